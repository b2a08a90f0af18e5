"""Training-free spatial localization: patch-to-prompt retrieval, boxes, TIoU, prompt studies.

- localization queries (a prompt bank turned into normal / abnormal texts) live with the banks,
  :mod:`~stprompt_core.prompts.queries`; re-exported here.
- :mod:`~stprompt_core.localize.retrieval`: patch probabilities, heatmaps, boxes (:func:`map_boxes`).
- :mod:`~stprompt_core.localize.windows`: which windows of the frame the maps see (``localize.window``).
- :mod:`~stprompt_core.localize.dense`: optional value-value refinement of CLIP's last block.
- :mod:`~stprompt_core.localize.tiou`: Liu & Ma's TIoU.
- :mod:`~stprompt_core.localize.event_size`: how much of the frame an annotated event covers; size terciles.
- :mod:`~stprompt_core.localize.run`: ``localize(run_dir)`` -> ``localization.json``.
- :mod:`~stprompt_core.localize.maps`: ``localization_maps.safetensors``, written and read back.
- :mod:`~stprompt_core.localize.study`: the prompt-study table.
"""

from stprompt_core.localize.maps import LocalizationMaps, load_maps
from stprompt_core.prompts.queries import LocalizationQueries, build_queries, encode_texts
from stprompt_core.localize.retrieval import frame_heatmap, map_boxes, patch_anomaly_probs, windows_heatmap
from stprompt_core.localize.run import LocalizationError, load_context, localize
from stprompt_core.localize.study import prompt_study
from stprompt_core.localize.tiou import region_iou, scale_boxes, tiou

__all__ = ["LocalizationError", "LocalizationMaps", "LocalizationQueries", "build_queries",
           "encode_texts", "frame_heatmap", "load_context", "load_maps", "localize", "map_boxes",
           "patch_anomaly_probs", "prompt_study", "region_iou", "scale_boxes", "tiou", "windows_heatmap"]
