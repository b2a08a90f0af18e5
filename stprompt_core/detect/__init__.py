"""``stprompt detect``: one video through a trained run, in bounded memory.

Modules, one concept each: ``detector`` (the run loaded for scoring), ``stream`` (pass 1:
chunked decode, extraction, maps and scoring with overlap), ``outputs`` (scores, intervals,
boxes, into a ``DetectionFolder``), ``video_writer`` (pass 2: the annotated MP4), ``report`` (the offline HTML page),
``run`` (:func:`detect`, which checks, runs both passes and writes atomically).
"""

from stprompt_core.detect.detector import Detector, RunFolderError, load_detector
from stprompt_core.detect.run import Detection, detect
from stprompt_core.figures.detection_folder import DetectionFolder

__all__ = ["Detection", "DetectionFolder", "Detector", "RunFolderError", "detect", "load_detector"]
