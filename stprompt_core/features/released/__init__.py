"""VadCLIP's released CLIP features as a feature store (``stprompt data import-features vadclip``).

The authors of VadCLIP (AAAI 2024, github.com/nwpu-zxr/VadCLIP) released CLIP ViT-B/16 [CLS]
features of UCF-Crime and XD-Violence: one ``.npy`` per video and crop, ``[T, 512]``, one row
per 16-frame snippet, named ``<video>__<crop>.npy`` (UCF-Crime in class folders,
``Abuse/Abuse001_x264__0.npy``; XD-Violence flat). Crops are the ten crops in
torchvision's order (0 centre, 1-4 corners, 5-9 mirrored; their issue 2). Their lists name the
files, with absolute paths on the authors' machine::

    list/ucf_CLIP_rgb.csv       path,label   ten rows per training video (crops 0-9)
    list/ucf_CLIP_rgbtest.csv   path,label   one row per test video (crop 5)
    list/xd_CLIP_rgb.csv        path,label   ten rows per training video
    list/xd_CLIP_rgbtest.csv    path,label   one row per test video (crop 0)

Modules, one job each: :mod:`~stprompt_core.features.released.lists` (the CSV lists, grouped
into videos and crops), :mod:`~stprompt_core.features.released.files` (the ``.npy`` files under
the root, found by name and checked), :mod:`~stprompt_core.features.released.annotations` (the
dataset's annotation files through its own parser, and VadCLIP's frame ground truth) and
:mod:`~stprompt_core.features.released.importer` (:func:`import_vadclip`, the import itself).

The training split keeps every listed crop as a stored crop (``<split>.crop<k>``, as extraction
with ``extract.crops: 10`` writes it); the test split keeps the one crop the test list names as
its only stored crop, crop 0 of the store (VadCLIP scores that crop). The features carry no patch tokens: the store records
``top_k = 0``, so SA2 has nothing to attend over; training refuses an SA2 mode other than
``none`` on such a store (:func:`stprompt_core.train.check_store`), and the ``*_released``
profiles set ``model.sa2_mode: none``.
"""

from stprompt_core.features.released.importer import SOURCE, ImportSummary, import_vadclip
from stprompt_core.features.released.lists import ReleasedFeaturesError, parse_feature_list

__all__ = ["SOURCE", "ImportSummary", "ReleasedFeaturesError", "import_vadclip", "parse_feature_list"]
