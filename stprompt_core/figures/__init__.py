"""Figures of the notebooks and the book: functions returning plotly figures or DataFrames.

- :mod:`~stprompt_core.figures.temporal`: score curves with ground truth, ROC / PR,
  per-class AUC, training curves, metric tables.
- :mod:`~stprompt_core.figures.spatial`: SA2's motion patches on frames, heatmaps with
  predicted and ground-truth boxes, prompt-bank and localization tables.
- :mod:`~stprompt_core.figures.snippet`: the snippet slider (one test video through the trained
  detector: SA2's patches and weights, the adapter's attention row, the score curve).
- :mod:`~stprompt_core.figures.explorer`: the video explorer (a self-contained plotly figure
  with a video dropdown and a frame slider, and an ipywidgets panel).

Every function takes what the pipeline wrote (``scores.json``, ``metrics.json``, the
manifest, ``localization_maps.safetensors``); none computes a stage itself.
"""

from stprompt_core.figures.explorer import (ExplorerVideo, explorer_figure, explorer_widget, heatmap_examples_figure,
                                            load_explorer_videos)
from stprompt_core.figures.snippet import SnippetTrace, load_snippet_trace, snippet_slider_figure
from stprompt_core.figures.spatial import (baselines_table, heatmap_boxes_figure, heatmap_title, localization_table,
                                           motion_patches_figure, prompt_bank_table, prompt_study_table,
                                           sa2_patches_from_video)
from stprompt_core.figures.temporal import (example_videos, frame_series, metrics_table, per_class_auc_figure,
                                            roc_pr_figure, score_curves_figure, training_curves_figure)

__all__ = ["ExplorerVideo", "SnippetTrace", "example_videos", "explorer_figure", "explorer_widget", "frame_series",
           "baselines_table", "heatmap_boxes_figure", "heatmap_examples_figure", "heatmap_title", "load_explorer_videos", "load_snippet_trace", "localization_table",
           "metrics_table", "motion_patches_figure", "per_class_auc_figure", "prompt_bank_table",
           "prompt_study_table", "roc_pr_figure", "sa2_patches_from_video", "score_curves_figure",
           "snippet_slider_figure", "training_curves_figure"]
