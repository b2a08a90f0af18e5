"""``stprompt synthclip``: train and evaluate SynthCLIP, the offline CLIP-style backbone.

    stprompt synthclip train --preset benchmark_scale [--seed 0] [--out DIR] [--model NAME] [--steps N] [--set KEY=VALUE]
    stprompt synthclip evaluate --preset benchmark_scale [--seed 0] [--out DIR] [--split test] [--json PATH]
    stprompt synthclip publish --preset benchmark_scale [--device TEXT]

``publish`` copies trained weights into ``stprompt_core/offline/synthclip/pretrained/`` with their
card (:mod:`stprompt_core.offline.synthclip.card`): hash, reproducing command, device, zero-shot
figures on the validation and test videos and on the card's own check render.

``train`` renders SynthVAD when needed and trains unless matching weights are cached
(``DIR/<preset>-seed<seed>.safetensors``, default ``DIR`` = ``cache/synthclip/<model>``).
The recipe is the ``synthclip`` section of the profile that renders the preset (``tiny`` for
``tiny``, ``workshop`` for ``benchmark_scale``; the ``workshop``
profile for a preset without one), with ``--set`` and ``--steps``
applied by the project's one override parser (:func:`stprompt_core.config.apply_overrides`).
``evaluate`` prints zero-shot, paraphrase and localization figures on held-out anomalous frames.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SPLITS = ("val", "test")
RECIPE = "synthclip"  # the config section --set writes to


def register(sub: argparse._SubParsersAction, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description=help_text)
    actions = p.add_subparsers(dest="synthclip_command", metavar="ACTION", required=True)
    for action, text in (("train", "train SynthCLIP on a SynthVAD preset (reuses cached weights)"),
                         ("evaluate", "zero-shot, paraphrase and localization figures of trained weights"),
                         ("publish", "ship trained weights in the package with their card (hash, command, figures)")):
        a = actions.add_parser(action, help=text, description=text)
        a.add_argument("--preset", default="benchmark_scale",
                       help="SynthVAD preset (tiny, benchmark_scale, workshop); the recipe is the synthclip section of "
                            "the profile that renders it (the workshop profile for a preset without one)")
        a.add_argument("--seed", type=int, default=0, help="SynthVAD seed")
        a.add_argument("--out", default=None, help="checkpoint folder (default cache/synthclip/<model>)")
        a.add_argument("--model", default=None, help="open_clip model config (default: SynthCLIP's chosen design at the preset's size)")
        a.add_argument("--steps", type=int, default=None,
                       help="optimizer steps, short for --set synthclip.steps=N (default: the profile's recipe)")
        a.add_argument("--set", dest="recipe", action="append", default=[], metavar="KEY=VALUE",
                       help="override a value of the recipe, the config's synthclip section, parsed as --set is "
                            "everywhere: --set synthclip.corpus_per_class=480, or the bare name "
                            "--set corpus_per_class=480; lists as YAML: --set corpus_anomaly_frames=[16,32] "
                            "(repeatable; other sections follow --preset, --seed, --model and --out)")
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
    from stprompt_core.offline.synthclip import ensure_synthclip

    cfg = synthclip_config(args.preset, args.seed, args.model, args.out)
    apply_recipe(cfg, args.recipe, args.steps)
    if getattr(args, "checkpoint", None):
        cfg.backbone.pretrained = args.checkpoint
    settings = cfg.synthclip
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
                          "event": z["zero_shot"]["event"],
                          "pointing": z["localization"]["pointing"], "mean_iou": z["localization"]["mean_iou"]}
    command = f"stprompt synthclip train --preset {args.preset} --seed {args.seed}"
    command += "".join(f" --set {r}" for r in args.recipe) + (f" --steps {args.steps}" if args.steps else "")
    dest = publish(info["checkpoint"], args.preset, figures, command, args.device)
    print(f"published {info['checkpoint']} -> {dest} (test zero-shot {figures['test']['canonical']:.3f}, "
          f"paraphrases {figures['test']['paraphrase']:.3f})")
    return 0


def apply_recipe(cfg, items: list[str], steps: int | None = None):
    """Apply ``--set`` items (``synthclip.KEY=VALUE``, or a bare ``KEY=VALUE`` read as
    ``synthclip.KEY``) and ``--steps`` to ``cfg``'s recipe with :func:`~stprompt_core.config.apply_overrides`.

    Raises:
        ConfigError: an item is not KEY=VALUE, names a key outside the synthclip section or no
            key at all, or its value does not fit the field (the message names the key).
    """
    from stprompt_core.config import ConfigError, apply_overrides

    keyed = []
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, KEY a field of the {RECIPE} section")
        if "." not in key:
            key = f"{RECIPE}.{key}"
        elif key.split(".", 1)[0] != RECIPE:
            raise ConfigError(f"--set {item!r}: only the recipe ({RECIPE}.KEY) is set here; "
                              f"--preset, --seed, --model and --out choose the rest")
        keyed.append(f"{key}={text}")
    if steps is not None:
        keyed.append(f"{RECIPE}.steps={steps}")
    return apply_overrides(cfg, keyed, source="--set")


def profile_for_preset(preset: str) -> str:
    """The SynthVAD profile that renders ``preset`` (its ``synthvad.preset``; the one named like the
    preset first), else ``workshop``."""
    from stprompt_core.config import available_profiles, load_config

    names = sorted(available_profiles(), key=lambda n: n != preset)
    return next((n for n in names if (c := load_config(n)).data.dataset == "synthvad" and c.synthvad.preset == preset),
                "workshop")


def synthclip_config(preset: str, seed: int, model: str | None = None, out: str | None = None):
    """The project config SynthCLIP trains under: the profile that renders the preset
    (:func:`profile_for_preset`; else ``workshop`` with the data under ``cache/synthvad/<preset>``), with the
    SynthCLIP backbone and its checkpoint path. Its ``synthclip`` section is the recipe."""
    from stprompt_core.config import apply_overrides, load_config
    from stprompt_core.offline.synthclip import default_checkpoint
    from stprompt_core.offline.synthclip.model import default_model

    name = model or default_model(preset)
    cfg = load_config(profile_for_preset(preset))
    overrides = {"synthvad.preset": preset, "synthvad.seed": seed, "backbone.model_name": name}
    if cfg.synthvad.preset != preset:
        overrides |= {"data.data_root": f"cache/synthvad/{preset}"}
    checkpoint = default_checkpoint(name, preset, seed)
    if out:
        checkpoint = Path(out) / checkpoint.name
    overrides["backbone.pretrained"] = str(checkpoint)
    return apply_overrides(cfg, overrides)
