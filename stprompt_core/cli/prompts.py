"""``stprompt prompts``: write a prompt bank (curated copy or LLM-generated) for a dataset."""

from __future__ import annotations

import argparse
import logging
import sys

from stprompt_core.config import PromptsConfig
from stprompt_core.prompts.backends import BACKENDS


def register(sub, name: str, help_text: str) -> None:
    d = PromptsConfig()
    p = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--dataset", required=True, help="dataset key (ucf_crime, xd_violence, shanghaitech, ubnormal, "
                                                    "synthvad)")
    p.add_argument("--backend", choices=BACKENDS, default=d.backend,
                   help="static: the curated bank; hf_local: a local causal LM (default the offline Gemma-3-270M); "
                        "openai: an OpenAI-compatible chat endpoint")
    p.add_argument("--model", default=d.model, help="hf_local: model name, folder or .gguf (default gemma3-270m); "
                                                    "openai: the served model name")
    p.add_argument("--base-url", default=d.base_url, help="openai: endpoint base URL, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--api-key-env", default=d.api_key_env, help="openai: environment variable with the key")
    p.add_argument("--bank", default=None, help="static: copy this bank file instead of the curated one")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--n-normal", type=int, default=d.n_normal, help="background descriptions wanted")
    p.add_argument("--n-per-class", type=int, default=d.n_per_class, help="event descriptions wanted per class")
    p.add_argument("--max-new-tokens", type=int, default=d.max_new_tokens, help="hf_local: tokens per sample")
    p.add_argument("--samples", type=int, default=d.samples, help="hf_local: sequences sampled per call")
    p.add_argument("--threads", type=int, default=d.threads,
                   help="hf_local: CPU threads while generating (0: torch default; 1 is faster on a busy CPU)")
    p.add_argument("--temperature", type=float, default=d.temperature, help="sampling temperature (LLM backends)")
    p.add_argument("--cache-dir", default=d.cache_dir, help="hf_local: where the offline model is assembled")
    p.add_argument("--out", required=True, help="bank JSON to write")
    p.add_argument("-v", "--verbose", action="store_true", help="log every rejected line")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.prompts.backends import BackendError, make_backend
    from stprompt_core.prompts.generate import generate_bank

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        backend = make_backend(args.backend, model=args.model, base_url=args.base_url, bank=args.bank,
                               api_key_env=args.api_key_env, cache_dir=args.cache_dir,
                               max_new_tokens=args.max_new_tokens, samples=args.samples,
                               temperature=args.temperature, threads=args.threads)
        bank, report = generate_bank(args.dataset, backend, seed=args.seed, n_normal=args.n_normal,
                                     n_per_class=args.n_per_class, progress=not args.quiet)
    except BackendError as exc:
        print(f"stprompt prompts: error: {exc}", file=sys.stderr)
        return 2
    bank.save(args.out)
    print(report.format())
    print(f"wrote {args.out}: {len(bank.normal)} normal, "
          f"{sum(len(v) for v in bank.abnormal.values())} abnormal over {len(bank.abnormal)} classes")
    return 0
