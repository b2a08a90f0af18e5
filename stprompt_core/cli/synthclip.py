"""``stprompt synthclip``: train and evaluate SynthCLIP, the offline CLIP-style backbone.

    stprompt synthclip train --preset workshop [--seed 0] [--out DIR] [--model NAME] [--steps N]
    stprompt synthclip evaluate --preset workshop [--seed 0] [--out DIR] [--split test] [--json PATH]
    stprompt synthclip publish --preset workshop [--device TEXT]

``publish`` copies trained weights into ``stprompt_core/offline/synthclip/pretrained/`` with their
card (:mod:`stprompt_core.offline.synthclip.card`): hash, reproducing command, device, zero-shot
figures on the validation and test videos and on the card's own check render.

``train`` renders SynthVAD when needed and trains unless matching weights are cached
(``DIR/<preset>-seed<seed>.safetensors``, default ``DIR`` = ``cache/synthclip/<model>``).
``evaluate`` prints zero-shot, paraphrase and localization figures on held-out anomalous frames.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

SPLITS = ("val", "test")


def register(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    actions = p.add_subparsers(dest="synthclip_command", metavar="ACTION", required=True)
    for action, text in (("train", "train SynthCLIP on a SynthVAD preset (reuses cached weights)"),
                         ("evaluate", "zero-shot, paraphrase and localization figures of trained weights"),
                         ("publish", "ship trained weights in the package with their card (hash, command, figures)")):
        a = actions.add_parser(action, help=text, description=text)
        a.add_argument("--preset", default="workshop", help="SynthVAD preset (tiny, workshop)")
        a.add_argument("--seed", type=int, default=0, help="SynthVAD seed")
        a.add_argument("--out", default=None, help="checkpoint folder (default cache/synthclip/<model>)")
        a.add_argument("--model", default=None, help="open_clip model config (default: SynthCLIP's chosen design at the preset's size)")
        a.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the preset's recipe)")
        a.add_argument("--set", dest="recipe", action="append", default=[], metavar="FIELD=VALUE",
                       help="override a field of the recipe (SynthClipSettings), e.g. --set corpus_per_class=480")
        if action == "train":
            a.add_argument("--eval-every", type=int, default=0, metavar="N",
                           help="record validation zero-shot accuracy every N steps")
        if action == "publish":
            a.add_argument("--device", default="2-core CPU", help="what the weights were trained on (recorded)")
        if action == "evaluate":
            a.add_argument("--checkpoint", default=None, metavar="PATH",
                           help="weights to evaluate, e.g. the shipped stprompt_core/offline/synthclip/pretrained/"
                                "SynthCLIP-S-MiniLM-workshop.safetensors (default: the trained cache entry)")
            a.add_argument("--split", choices=SPLITS, default="test", help="held-out videos to evaluate on")
            a.add_argument("--json", default=None, help="also write the figures to this JSON file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from stprompt_core.offline.synthclip import ensure_synthclip, settings_for

    cfg = synthclip_config(args.preset, args.seed, args.model, args.out)
    if getattr(args, "checkpoint", None):
        cfg.backbone.pretrained = args.checkpoint
    settings = settings_for(args.preset, parse_recipe(args.recipe))
    if args.steps is not None:
        settings = dataclasses.replace(settings, steps=args.steps)
    info = ensure_synthclip(cfg, progress=sys.stderr.isatty(), settings=settings,
                            eval_every=getattr(args, "eval_every", 0))
    if args.synthclip_command == "publish":
        return publish_weights(args, cfg, settings, info)
    if args.synthclip_command == "train":
        how = "reused" if info["reused"] else f"trained in {info['seconds']:.0f} s (loss {info['loss_first']:.3f} -> {info['loss_last']:.3f})"
        print(f"synthclip {cfg.backbone.model_name} on synthvad {args.preset} seed {args.seed}: {how} -> {info['checkpoint']}")
        return 0
    from stprompt_core.offline.synthclip import evaluate_checkpoint

    figures = evaluate_checkpoint(cfg, split=args.split, settings=settings)
    text = json.dumps(figures, indent=2, sort_keys=True)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


def publish_weights(args: argparse.Namespace, cfg, settings, info: dict) -> int:
    from stprompt_core.offline.synthclip import evaluate_checkpoint
    from stprompt_core.offline.synthclip.publish import publish

    figures = {}
    for split in SPLITS:
        z = evaluate_checkpoint(cfg, split=split, settings=settings)
        figures[split] = {"frames": z["frames"], "videos": z["videos"],
                          **{k: z["zero_shot"][k] for k in ("canonical", "canonical_bare", "paraphrase",
                                                            "descriptions", "canonical_per_class")},
                          "pointing": z["localization"]["pointing"], "mean_iou": z["localization"]["mean_iou"]}
    command = f"stprompt synthclip train --preset {args.preset} --seed {args.seed}"
    command += "".join(f" --set {r}" for r in args.recipe) + (f" --steps {args.steps}" if args.steps else "")
    dest = publish(info["checkpoint"], args.preset, figures, command, args.device)
    print(f"published {info['checkpoint']} -> {dest} (test zero-shot {figures['test']['canonical']:.3f}, "
          f"paraphrases {figures['test']['paraphrase']:.3f})")
    return 0


def parse_recipe(items: list[str]) -> dict[str, object]:
    """``["steps=100", "corpus_anomaly_frames=16,32"]`` -> recipe overrides typed like the fields.

    Raises:
        ValueError: an item is not FIELD=VALUE, names no field, or does not parse.
    """
    from stprompt_core.offline.synthclip.settings import SynthClipSettings

    defaults = SynthClipSettings()
    names = sorted(f.name for f in dataclasses.fields(SynthClipSettings))
    out: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or key not in names:  # (hasattr also let methods and dunders through)
            raise ValueError(f"--set {item!r}: expected FIELD=VALUE with FIELD one of {names}")
        current = getattr(defaults, key)
        if isinstance(current, tuple):
            expected = f"{len(current)} comma-separated {type(current[0]).__name__}s"
        else:
            expected = f"a {type(current).__name__}"
        try:
            out[key] = _recipe_value(current, text)
        except ValueError:
            raise ValueError(f"--set {item!r}: {key} takes {expected}") from None
    return out


def _recipe_value(current: object, text: str) -> object:
    """``text`` read as the type of ``current`` (a tuple: comma-separated, as many); ValueError otherwise."""
    if isinstance(current, tuple):
        value = tuple(type(current[0])(v) for v in text.split(","))
        if len(value) != len(current):
            raise ValueError(text)
    else:
        value = type(current)(text)
    if any(isinstance(v, float) and not math.isfinite(v) for v in (value if isinstance(value, tuple) else (value,))):
        raise ValueError(text)
    return value


def synthclip_config(preset: str, seed: int, model: str | None = None, out: str | None = None):
    """The project config SynthCLIP trains under: the profile named like the preset when one
    exists (else ``workshop`` with the data under ``cache/synthvad/<preset>``), with the
    SynthCLIP backbone and its checkpoint path."""
    from stprompt_core.config import apply_overrides, available_profiles, load_config
    from stprompt_core.offline.synthclip import default_checkpoint
    from stprompt_core.offline.synthclip.settings import default_model

    name = model or default_model(preset)
    cfg = load_config(preset if preset in available_profiles() else "workshop")
    overrides = {"synth.preset": preset, "synth.seed": seed, "backbone.model_name": name}
    if cfg.synth.preset != preset:
        overrides |= {"data.data_root": f"cache/synthvad/{preset}"}
    checkpoint = default_checkpoint(name, preset, seed)
    if out:
        checkpoint = Path(out) / checkpoint.name
    overrides["backbone.pretrained"] = str(checkpoint)
    return apply_overrides(cfg, overrides)
