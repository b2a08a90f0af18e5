"""Localization settings with their defaults (the ``localize`` section of the config to come).

Until ``stprompt_core.config`` has a ``localize`` section these are passed explicitly
(``stprompt localize`` fills them from its flags). Each default says where it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LocalizeSettings:
    bank: str = ""  # prompt bank JSON; "" -> the curated bank of data.dataset
    temperature: float = 0.01  # softmax temperature over patch-prompt cosines (CLIP logit scale 100)
    score_threshold: float = 0.5  # temporal score a frame must reach to count in TIoU (sigmoid midpoint)
    map_threshold: float = 0.5  # anomaly probability a pixel must reach to be boxed (project default)
    map_normalize: str = "none"  # "none" (probabilities as they are) or "minmax" (per frame, to [0, 1])
    box_mode: str = "largest"  # "largest" component (UCF-Crime frames carry one box) or "all"
    min_area: float = 0.0  # components under this fraction of the frame are dropped
    template: str = "a photo of {}."  # class-name template (CLIP's zero-shot template)
    use_backgrounds: bool = True  # include the bank's normal background descriptions
    use_augmentations: bool = True  # include the bank's abnormal event descriptions
    class_names: str = "canonical"  # "canonical", "paraphrased" (bank paraphrases) or "none"
    dense: bool = False  # recompute CLIP's last block (needs the videos; see localize.dense)
    dense_attention: str = "vv"  # "vv", "qq", "kk" or "qk" (CLIP's own) in the recomputed block
    split: str = ""  # "" -> data.test_split
    save_maps: bool = True  # write localization_maps.safetensors for the figures
