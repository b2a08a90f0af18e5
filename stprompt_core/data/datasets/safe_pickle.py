"""A restricted unpickler for annotation files that are plain pickles.

Liu & Ma's UCF-Crime boxes (ACM MM 2019) are shipped as a pickled dict. ``pickle.load``
runs whatever code a pickle names, so this module never calls it: :class:`PlainUnpickler`
refuses every global (``find_class`` raises), which leaves only what pickle's opcodes build
by themselves: dict, list, tuple, set, frozenset, str, bytes, bytearray, int, float,
bool and None. A file that needs anything else (a numpy array or scalar, a class) is
refused with an error that names the file and the global it asked for, and says how to
convert it once, in a trusted environment, to JSON (which every loader here also reads).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

CONVERT_HINT = (
    "convert it once, in an environment you trust, to JSON with plain numbers, e.g. "
    "python -c \"import json, pickle; d = pickle.load(open('IN.pkl', 'rb')); "
    "json.dump({str(k): [[str(r[0])] + [float(x) for x in r[1:]] for r in v] for k, v in d.items()}, "
    "open('OUT.json', 'w'))\" and pass the JSON file instead"
)


class ForbiddenGlobal(pickle.UnpicklingError):
    """The pickle asked for a global (class or function); restricted loading refuses all."""

    def __init__(self, module: str, name: str):
        super().__init__(f"global {module}.{name} is not allowed")
        self.module = module
        self.name = name


class PlainUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that loads builtin containers and scalars only.

    Every ``GLOBAL``/``STACK_GLOBAL``/``EXT`` opcode goes through :meth:`find_class`, which
    always raises, so no callable can be reached and nothing can be executed. Persistent
    ids are refused by the base class (no ``persistent_load``).
    """

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle API
        raise ForbiddenGlobal(module, name)


def loads_plain(data: bytes, source: str = "<bytes>") -> Any:
    """Unpickle bytes with :class:`PlainUnpickler`; see :func:`load_plain_pickle`."""
    try:
        # latin1 reads Python 2 ``str`` pickles (protocol <= 2) without guessing an encoding.
        return PlainUnpickler(io.BytesIO(data), encoding="latin1").load()
    except ForbiddenGlobal as exc:
        what = "numpy objects" if exc.module.split(".")[0] == "numpy" else f"{exc.module}.{exc.name}"
        raise ValueError(f"{source}: refusing to unpickle {what} (global {exc.module}.{exc.name}); "
                         f"only builtin containers and scalars are loaded. {CONVERT_HINT}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError,
            KeyError, AttributeError, MemoryError, UnicodeDecodeError, OverflowError, RecursionError) as exc:
        raise ValueError(f"{source}: not a readable pickle ({type(exc).__name__}: {exc})") from None


def load_plain_pickle(path: str | Path) -> Any:
    """Load a pickle that holds only builtin containers and scalars.

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: the file needs a global (numpy, a class) or is not a pickle; the
            message names the file and, for globals, how to convert it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pickle not found: {path}")
    return loads_plain(path.read_bytes(), source=str(path))
