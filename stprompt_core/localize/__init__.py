"""Training-free spatial localization: patch-to-prompt retrieval, boxes, TIoU, prompt studies.

- :mod:`~stprompt_core.localize.prompt_set`: a bank turned into normal / abnormal prompts.
- :mod:`~stprompt_core.localize.retrieval`: patch probabilities, heatmaps, boxes.
- :mod:`~stprompt_core.localize.windows`: which windows of the frame the maps see (``localize.view``).
- :mod:`~stprompt_core.localize.dense`: optional value-value refinement of CLIP's last block.
- :mod:`~stprompt_core.localize.tiou`: Liu & Ma's TIoU.
- :mod:`~stprompt_core.localize.run`: ``localize(run_dir)`` -> ``localization.json``.
- :mod:`~stprompt_core.localize.maps`: ``localization_maps.safetensors``, written and read back.
- :mod:`~stprompt_core.localize.study`: the prompt-study table.
"""

from stprompt_core.localize.maps import LocalizationMaps, load_maps
from stprompt_core.localize.prompt_set import PromptSet, build_prompt_set, encode_prompts
from stprompt_core.localize.retrieval import boxes_from_map, frame_heatmap, patch_anomaly_probs, views_heatmap
from stprompt_core.localize.run import LocalizationError, load_context, localize
from stprompt_core.localize.study import prompt_study
from stprompt_core.localize.tiou import region_iou, scale_boxes, tiou

__all__ = ["LocalizationError", "LocalizationMaps", "PromptSet", "boxes_from_map",
           "build_prompt_set", "encode_prompts", "frame_heatmap", "load_context", "load_maps", "localize",
           "patch_anomaly_probs", "prompt_study", "region_iou", "scale_boxes", "tiou", "views_heatmap"]
