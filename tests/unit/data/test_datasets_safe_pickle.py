"""The restricted unpickler loads builtin data and refuses every global."""

from __future__ import annotations

import collections
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from stprompt_core.data.datasets.safe_pickle import load_plain_pickle, loads_plain

PLAIN = {"a": [1, 2.5, -3], "b": ("x", None, True), "c": {"nested": ["000016.jpg", "text"]}, 7: 1 << 70}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_builtin_containers_and_scalars_load(protocol: int) -> None:
    assert loads_plain(pickle.dumps(PLAIN, protocol=protocol)) == PLAIN


def test_bytes_load_from_protocol_3() -> None:
    # Protocols 0-2 spell Python 3 bytes as a call to _codecs.encode, which is refused.
    assert loads_plain(pickle.dumps([b"raw"], protocol=3)) == [b"raw"]
    with pytest.raises(ValueError, match="_codecs.encode"):
        loads_plain(pickle.dumps([b"raw"], protocol=2))


def test_python2_str_pickle_loads() -> None:
    # Protocol-2 pickle written by Python 2 of {'v': ['000016.jpg', 1, 2.5]} (SHORT_BINSTRING strings).
    py2 = b"\x80\x02}q\x00U\x01vq\x01]q\x02(U\n000016.jpgq\x03K\x01G@\x04\x00\x00\x00\x00\x00\x00es."
    assert loads_plain(py2) == {"v": ["000016.jpg", 1, 2.5]}


def test_sets_load_with_protocol_4() -> None:
    data = {"s": {1, 2}, "f": frozenset({3})}
    assert loads_plain(pickle.dumps(data, protocol=4)) == data


def test_class_is_refused_naming_file_and_global(tmp_path: Path) -> None:
    path = tmp_path / "boxes.pkl"
    path.write_bytes(pickle.dumps(collections.OrderedDict(a=1)))
    with pytest.raises(ValueError, match=r"boxes\.pkl.*collections\.OrderedDict"):
        load_plain_pickle(path)


class _Evil:
    def __init__(self, target: str):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_code_in_a_pickle_never_runs(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    with pytest.raises(ValueError, match="refusing to unpickle"):
        loads_plain(pickle.dumps({"x": _Evil(str(target))}), source="evil.pkl")
    assert not target.exists()
    # The same bytes with plain pickle would have run os.mkdir: the test is meaningful.
    pickle.loads(pickle.dumps(_Evil(str(target))))
    assert target.exists()


def test_numpy_is_refused_with_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "Liu_Ma_boxes.pkl"
    path.write_bytes(pickle.dumps({"Arson011_x264": np.array([[1, 2, 3, 4]])}))
    with pytest.raises(ValueError) as err:
        load_plain_pickle(path)
    msg = str(err.value)
    assert "Liu_Ma_boxes.pkl" in msg and "numpy" in msg and "JSON" in msg


def test_garbage_and_missing_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.pkl"
    path.write_bytes(pickle.dumps(PLAIN)[:-5])
    with pytest.raises(ValueError, match=r"broken\.pkl: not a readable pickle"):
        load_plain_pickle(path)
    with pytest.raises(FileNotFoundError, match="nothere.pkl"):
        load_plain_pickle(tmp_path / "nothere.pkl")
