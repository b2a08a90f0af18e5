"""Training the temporal detector with video-level labels only (MIL).

``train(cfg, run_dir)`` is what ``stprompt train`` and the training notebook call:

1. checks the feature store against the config (dimensions, K, empty splits, NaN,
   zero-length videos) before any work;
2. carves a validation split from the *training* videos (stratified by label, seeded),
   unless the store has its own ``val`` split; the test split is never read here;
3. trains with balanced batches (half normal, half abnormal; ``train.sampling``) over every
   stored crop of every training video (multi-crop stores: each crop once per epoch, as
   VadCLIP's ten rows per video), AdamW + MultiStepLR;
4. after every epoch scores the validation videos with video-level labels only (top-k
   mean of snippet scores → ROC-AUC) and keeps the best epoch as ``best.safetensors``;
5. writes ``config.json``, ``run_manifest.json``, ``train_log.jsonl`` and resumable
   checkpoints; re-running on the same run folder continues after the last finished epoch.

Same seed and same machine → same numbers: every epoch reseeds from ``(seed, epoch)``, so
a resumed run replays exactly what an uninterrupted one would.

The package by job: :mod:`.store_checks` (the store against the config),
:mod:`.sampling` (validation split, batches), :mod:`.loop` (the epochs),
:mod:`.run_folder` (create, resume, checkpoint, load).
"""

from stprompt_core.train.loop import train, video_level_auc
from stprompt_core.train.run_folder import TRAINING_SECTIONS, RunDirError, build_model, load_run
from stprompt_core.train.sampling import PRELOAD_BYTES, SplitPlan, TrainingData, plan_splits
from stprompt_core.train.store_checks import check_store, sa2_off_reason

__all__ = ["PRELOAD_BYTES", "RunDirError", "SplitPlan", "TRAINING_SECTIONS", "TrainingData", "build_model",
           "check_store", "load_run", "plan_splits", "sa2_off_reason", "train", "video_level_auc"]
