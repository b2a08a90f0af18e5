"""Choose the workshop profile's heatmap-to-box settings on validation videos, never on test.

The validation videos are the SynthVAD training videos SynthCLIP holds out
(``synthclip.split_videos(..., val_per_class)["val"]``): SynthCLIP never trained on them and
localization is training-free, so nothing was fitted to them. On every 4th anomalous frame
of each, patch tokens come from the same
:class:`~stprompt_core.backbone.encoder.FrameEncoder`, maps and boxes from the same
functions ``stprompt localize`` uses (curated bank, the profile's localization queries), and each
variant of (map_normalize, map_threshold, temperature, balance_groups) is scored by the mean IoU
of its box with the annotated box. Each map (temperature, balance_groups) also gets its own
pointing (:func:`stprompt_core.localize.baselines.pointing`: its top-tied patches inside the box,
chance beside it), the quality of the map before any box rule. Writes ``benchmarks/results/localize_selection.json`` with every
variant's mean IoU and the chosen one; the profile's ``localize`` section is then set to it
by hand when a variant is clearly better (the JSON says which values).

    .venv/bin/python benchmarks/select_localize.py [--profile workshop]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import json
from pathlib import Path

import numpy as np
import torch

RESULT = Path(__file__).parent / "results" / "localize_selection.json"
NORMALIZE = ("none", "minmax")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
# softmax temperatures over patch-prompt cosines: CLIP's 0.01 saturates a small backbone's maps
TEMPERATURES = (0.01, 0.02, 0.03, 0.05, 0.1)
STRIDE = 4  # every 4th anomalous frame (one per snippet gives too few frames to compare variants)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="workshop")
    parser.add_argument("--out", default=str(RESULT))
    args = parser.parse_args()

    from stprompt_core.backbone.clip import load_clip
    from stprompt_core.backbone.encoder import FrameEncoder
    from stprompt_core.config import LocalizeConfig, load_config
    from stprompt_core.data.manifest import load_manifest
    from stprompt_core.io import write_json
    from stprompt_core.prompts.queries import build_queries, encode_texts
    from stprompt_core.localize.baselines import pointing
    from stprompt_core.localize.retrieval import frame_patch_boxes, map_boxes, patch_anomaly_probs
    from stprompt_core.localize.tiou import region_iou
    from stprompt_core.prompts.bank import load_curated_bank
    from stprompt_core.offline.synthclip.data import load_frames, split_videos

    cfg = load_config(args.profile)
    s = cfg.localize
    val = [v for v in split_videos(load_manifest(cfg.manifest()), cfg.synthclip.val_per_class)["val"]
           if v.label]
    frames = load_frames(val, cfg.data_root(), STRIDE, cfg.data.dataset, anomalous_only=True)
    model = load_clip(cfg.backbone)
    enc = FrameEncoder(model, precision="fp32")
    with torch.no_grad():
        tokens = torch.cat([enc(frames.frames[i : i + 64]).tokens for i in range(0, len(frames), 64)])  # [N, P, D]
    queries = build_queries(load_curated_bank(cfg.data.dataset), use_backgrounds=s.use_backgrounds,
                            use_augmentations=s.use_augmentations, class_names=s.class_names, template=s.template)
    text = encode_texts(model, cfg.backbone.model_name, queries.texts)
    H, W = frames.frames.shape[1:3]
    geometry = enc.geometry((W, H))
    rows, cols = enc.patch_grid
    learned_t = round(1.0 / float(model.logit_scale.exp()), 4)
    results = []
    temperatures = sorted({LocalizeConfig().temperature, s.temperature, learned_t, *TEMPERATURES})
    patches = frame_patch_boxes(geometry, (rows, cols), (W, H))
    maps = []
    for temperature, balance in itertools.product(temperatures, (False, True)):
        probs = patch_anomaly_probs(tokens, text, queries.abnormal, temperature, balance).reshape(-1, 1, rows, cols)
        points = [pointing(p.reshape(-1).numpy(), patches, [b.tolist()]) for p, b in zip(probs, frames.boxes)]
        maps.append({"temperature": temperature, "balance_groups": balance,
                     "pointing": round(float(np.mean([p[0] for p in points])), 4),
                     "chance": round(float(np.mean([p[1] for p in points])), 4),
                     "median_ties": float(np.median([p[2] for p in points]))})
        for norm, thr in itertools.product(NORMALIZE, THRESHOLDS):
            variant = dataclasses.replace(s, temperature=temperature, balance_groups=balance, map_normalize=norm,
                                          map_threshold=thr)
            _, boxes = map_boxes(probs, (W, H), [geometry], variant)  # as `stprompt localize` boxes them
            ious = [region_iou(pred, [b.tolist()]) for pred, b in zip(boxes, frames.boxes)]
            results.append({"temperature": temperature, "balance_groups": balance, "map_normalize": norm,
                            "map_threshold": thr, "mean_iou": round(float(np.mean(ious)), 4)})
    best = max(results, key=lambda r: r["mean_iou"])
    earlier = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
    write_json(args.out, {
        "benchmark": "localize_selection", "date": datetime.date.today().isoformat(), "profile": args.profile,
        "backbone": cfg.backbone.model_name, "split": "SynthCLIP validation videos (held-out training videos)",
        "videos": [v.id for v in val], "frames": len(frames), "box_mode": s.box_mode,
        "command": f".venv/bin/python benchmarks/select_localize.py --profile {args.profile}",
        "chosen": best, "maps": maps, "variants": results,
        # the selections of earlier worlds, kept (each with its own `previous_*`)
        **({"previous": {k: v for k, v in earlier.items() if k != "variants"}} if earlier else {}),
    })
    print(f"{len(frames)} validation frames; best {best}")
    for m in maps:
        print(m)


if __name__ == "__main__":
    main()
