"""Typed configuration: dataclasses, YAML profiles and one override function.

A profile (``stprompt_core/configs/NAME.yaml``) lists only the values that differ from
the defaults below. :func:`load_config` reads a profile and applies overrides; the CLI
(``--set section.key=value``) and notebook parameters go through the same
:func:`apply_overrides`, so an unknown or mistyped key fails the same way everywhere:
with the nearest valid key in the message, before any work starts.

Each field's comment says where its default comes from: the STPrompt paper where it states
a value, the same group's VadCLIP code (AAAI 2024, github.com/nwpu-zxr/VadCLIP) where it does
not, or "project default" (what the offline ``tiny``/``workshop`` profiles use). VadCLIP's
UCF-Crime and XD-Violence recipes differ; the paper profiles (``ucf_crime.yaml`` ...) set every
such value explicitly with its source, and ``book/run_it_yourself.md`` lists where this
project departs from them and the override that restores the cited behaviour.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

CONFIG_DIR = Path(__file__).parent / "configs"
DATA_ROOT_ENV = "STPROMPT_DATA_ROOT"
MANIFEST_NAME = "manifest.json"  # the manifest's name inside a data root (the default data.manifest)


class ConfigError(ValueError):
    """A configuration value or key is invalid; the message names it."""


@dataclass
class DataConfig:
    dataset: str = "synthvad"  # key into stprompt_core.classes.DATASET_CLASSES
    # manifest JSON (path relative to the working directory); its video paths resolve against
    # data_root. Empty: <data_root>/manifest.json, where SynthVAD writes it
    manifest: str = ""
    data_root: str = ""  # videos root; empty -> $STPROMPT_DATA_ROOT
    feature_store: str = "cache/features/synthvad"  # feature store directory
    # where the store comes from: "extract" (`stprompt extract` on the videos of the manifest) or
    # "vadclip" (VadCLIP's released CLIP features under data_root, `stprompt data import-features vadclip`:
    # [CLS] only, no patch tokens, so model.sa2_mode must be "none")
    features: Literal["extract", "vadclip"] = "extract"
    # frames per snippet, one feature each (VadCLIP); extraction samples one frame per snippet, so
    # this is also its frame stride
    snippet_len: int = 16
    max_len: int = 256  # snippets per video in training; longer ones pooled (VadCLIP)
    long_video: Literal["pool", "sample"] = "pool"  # VadCLIP's average pooling, or uniform sampling
    # share of *training* videos held out for model selection (project choice: VadCLIP selects
    # its checkpoint on the test set)
    val_fraction: float = 0.1
    test_split: str = "test"  # split evaluated by `stprompt evaluate`


@dataclass
class SynthVADConfig:
    """The SynthVAD world a profile renders (``stprompt synthvad``, ``stprompt demo``)."""
    preset: str = "workshop"  # SynthVAD preset rendered into data.data_root by `stprompt demo`
    seed: int = 0  # SynthVAD is deterministic from this seed
    # background bias of the training split, 0..1 (SynthPreset.scene_bias): the probability that a
    # training video's scene goes with its label. The test split is never biased, and SynthCLIP
    # (pretrained once, frozen) does not depend on it. 0: no bias (the workshop's choice)
    scene_bias: float = 0.0


@dataclass
class BackboneConfig:
    model_name: str = "ViT-B-16-quickgelu"  # open_clip name; QuickGELU for OpenAI weights
    pretrained: str = "openai"  # open_clip tag, local checkpoint path, or "" for random init
    init_seed: int = 0  # seeds random-init backbones so text features are reproducible
    # True: the weights are SynthCLIP's, trained on SynthVAD `synthvad.preset` with the recipe of the
    # `synthclip` section by the pipeline (`stprompt synthclip train`) when `pretrained` does not
    # hold them yet (cache-or-compute).
    synthclip: bool = False


@dataclass
class SynthClipConfig:
    """How SynthCLIP, the offline backbone (``backbone.synthclip``), is trained: everything but the
    model config (``backbone.model_name``) and the data (``synthvad``). The defaults are the recipe of
    the shipped workshop weights (stprompt_core/offline/synthclip/pretrained/, recorded in their
    card); the recipe is part of the weights' cache key, so changing a value here retrains."""

    # optimizer steps: zero-shot accuracy keeps rising with steps, slowly, so the recipe trains
    # once for long and ships the weights (the step study: benchmarks/results/synthclip_study.json)
    steps: int = 6000
    batch_frames: int = 40  # whole frames per step, half of them anomalous, distinct captions
    batch_regions: int = 24  # region crops per step, distinct event phrases (the cleanest event signal)
    frame_stride: int = 4  # decode every 4th frame of each training video
    lr: float = 1e-3  # AdamW peak (small ViT from scratch; CLIP recipes use 5e-4 at batch 32k)
    weight_decay: float = 0.05  # on matrices only
    warmup_steps: int = 300  # linear warmup, then cosine to zero
    patch_loss_weight: float = 1.0  # weight of the patch-token contrastive loss (tokens under the box)
    event_loss_weight: float = 1.0  # weight of anomalous frames' embeddings vs their event phrase alone
    # "clip": InfoNCE of anomalous frames against their located event phrases, distinct in the batch
    # ("... on the grass" and "... on the road" are negatives of each other); "anchored": frames and
    # region crops classified over all event captions without location (one text per kind of event)
    event_loss: Literal["clip", "anchored"] = "clip"
    region_margin: float = 0.3  # region crop = box grown by this share of its size on each side
    region_min_side: float = 28.0  # region crops cover at least this many frame pixels
    # extra short SynthVAD videos per anomaly class rendered for SynthCLIP only: with 160 per class
    # the model overfits (train 0.95-0.997 against test 0.35-0.49, results/synthclip_supervised.json)
    corpus_per_class: int = 1000
    corpus_normal: int = 1500  # extra normal videos (13 training videos per class overfit: measured)
    corpus_frames: int = 48  # length of a corpus video (SynthVAD's minimum is 32)
    # [min, max] event length in corpus videos
    corpus_anomaly_frames: list[int] = field(default_factory=lambda: [16, 32])
    corpus_stride: int = 3  # decode every 3rd corpus frame
    val_per_class: int = 2  # training videos per class held out for validation (never trained on)
    seed: int = 0  # initialisation, sampling and augmentation
    # a SynthCLIP checkpoint to start from instead of a random init (its position embeddings resized
    # to this model's patch grid, e.g. 112-px weights fine-tuned at 224 px); empty: from scratch
    init: str = ""


@dataclass
class ExtractConfig:
    top_k_patches: int = 16  # K in SA2: patches kept per frame by motion (project default)
    # crops per sampled frame: 1 = the backbone's own transform (resize + centre crop); 2, 5 or
    # 10 = torchvision's FiveCrop/TenCrop order as in VadCLIP's released features (issue 2 of
    # nwpu-zxr/VadCLIP: 0 centre, 1-4 corners, then their mirrors); 2 = centre and its mirror
    crops: Literal[1, 2, 5, 10] = 1
    # short side the frame is resized to before multi-crop (crops > 1); 0 = the backbone's input
    # size. 256 is the usual ten-crop convention (I3D/DeepMIL features); with 0 the four corners of
    # a 4:3 frame collapse to two. Project default: VadCLIP's crop code squashes instead (crop_resize_wh)
    crop_resize: int = 256
    # [width, height] every frame is resized to before multi-crop, whatever its aspect (VadCLIP's crop
    # code: [340, 256]); empty: the short side to crop_resize (project default)
    crop_resize_wh: list[int] = field(default_factory=list)
    crop_splits: list[str] = field(default_factory=lambda: ["train"])  # splits extracted with every crop
    batch_size: int = 64  # frames per backbone forward
    keep_tokens: Literal["none", "boxed_test", "test", "all"] = "boxed_test"  # which videos keep every patch token
    device: str = "auto"  # "auto" -> cuda when available, else cpu


@dataclass
class ModelConfig:
    # "attention" (query from the frame), "query" (one learned query), "text" (prompt-guided),
    # "mean", "motion_softmax", "none" (the [CLS] feature alone)
    sa2_mode: Literal["attention", "query", "text", "mean", "motion_softmax", "none"] = "attention"
    sa2_motion_temperature: float = 1.0  # softmax temperature of motion_softmax weights
    adapter_kind: Literal["distance", "self_attention", "none"] = "distance"  # paper; the others: ablations
    adapter_depth: int = 1  # residual blocks in the temporal adapter (project default)
    # A_ij = softmax_j(-|i-j| / sigma): the paper's form, with sigma a project default. VadCLIP's
    # adjacency is unnormalised, exp(-|i-j| / e), inside a graph convolution.
    sigma: float = 1.0
    adapter_heads: int = 8  # heads of the self_attention ablation only
    ffn_ratio: float = 1.0  # adapter FFN width / D (project default, keeps scoring fast)
    dropout: float = 0.1  # dropout in adapter and binary branch (project default; VadCLIP's model has none: 0)
    binary_hidden: int = 128  # hidden width of the binary branch MLP; 0 = linear head (project default)
    # binary head: "mlp" (LayerNorm -> MLP of binary_hidden -> logit; project default) or "vadclip"
    # (VadCLIP's classifier(x + MLP(x)), MLP 4x wide with QuickGELU)
    binary_head: Literal["mlp", "vadclip"] = "mlp"
    # VadCLIP's visual prompt: the binary-logit-weighted sum of the video's snippet features, normalised,
    # added to every class text feature, then t + MLP(t), before the alignment branch (VadCLIP model.py).
    # Not in STPrompt's description (project default: off)
    visual_prompt: bool = False
    prompt_ctx_len: int = 8  # learnable context prompt: context tokens before each class name (CoOp-style)
    logit_temperature: float = 0.07  # alignment logits = cos / temperature (CLIP init)


@dataclass
class LossConfig:
    k_divisor: int = 16  # MIL top-k with k = floor(T / k_divisor) + 1 (VadCLIP)
    # binary MIL: "prob" = top-k mean of sigmoid probabilities, then BCE (VadCLIP's CLAS2);
    # "logit" = top-k mean of logits, BCE with logits (project default)
    bce_pool: Literal["prob", "logit"] = "logit"
    # MIL-Align targets: "soft" = uniform over the video's labels (VadCLIP's CLASM; equals one-hot
    # for single-label videos); "first" = one-hot on the first label only
    align_targets: Literal["soft", "first"] = "soft"
    w_bce: float = 1.0  # weight of MIL top-k BCE on the binary branch (VadCLIP)
    w_align: float = 1.0  # weight of MIL-Align cross-entropy (VadCLIP)
    # weight of the mean |cos| between the normal and each abnormal text embedding (0 turns the term
    # off). Project default 1e-4; VadCLIP: 0.1 on UCF-Crime, 1e-4 on XD-Violence (its sum / 13 and / 6
    # are this mean). One-class datasets (ShanghaiTech, UBnormal) have a single |cos|
    w_text_sep: float = 1e-4


@dataclass
class TrainConfig:
    seed: int = 0
    epochs: int = 10  # VadCLIP
    # videos per step. "balanced": half normal, half abnormal, ceil(max(normal, abnormal) / half) steps,
    # the smaller side cycled (project default); "balanced_min": half and half, min(normal, abnormal) // half
    # steps, the rest dropped (VadCLIP UCF-Crime: two loaders of 64, drop_last); "shuffle": drawn from all
    # training videos (VadCLIP XD-Violence: 96). Project default 64.
    batch_size: int = 64
    sampling: Literal["balanced", "balanced_min", "shuffle"] = "balanced"
    lr: float = 2e-5  # AdamW (VadCLIP UCF-Crime; XD-Violence: 1e-5)
    weight_decay: float = 0.01  # AdamW default
    milestones: list[int] = field(default_factory=lambda: [4, 8])  # MultiStepLR (VadCLIP UCF-Crime; XD: [3, 6, 10])
    gamma: float = 0.1  # MultiStepLR factor (VadCLIP)
    device: str = "auto"  # "auto" -> cuda when available, else cpu
    num_threads: int = 0  # torch CPU threads; 0 keeps torch's default


@dataclass
class EvalConfig:
    far_threshold: float = 0.5  # false alarm rate: normal frames scored above this
    batch_size: int = 16  # videos per scoring forward
    # crop of the test videos that is scored (an index of extract.crops; the split must have been
    # extracted with it, see extract.crop_splits). Project default: the centre crop. VadCLIP
    # scores crop 5 (the mirrored centre) on UCF-Crime and crop 0 on XD-Violence.
    crop: int = 0
    # branch the test scores come from: "binary" (sigmoid of the binary branch; project default, VadCLIP's
    # reported AUC) or "align" (1 - softmax probability of the normal class in the alignment branch;
    # VadCLIP's reported XD-Violence AP, xd_test.py). Validation selects on the same branch
    score_branch: Literal["binary", "align"] = "binary"


@dataclass
class LocalizeConfig:
    """Training-free spatial localization (``stprompt localize``)."""
    bank: str = ""  # prompt bank JSON; "" -> the curated bank of data.dataset
    temperature: float = 0.01  # softmax temperature over patch-prompt cosines (CLIP logit scale 100)
    score_threshold: float = 0.5  # temporal score a frame must reach to count in TIoU (sigmoid midpoint)
    map_threshold: float = 0.5  # anomaly probability a pixel must reach to be boxed (project default)
    map_normalize: Literal["none", "minmax"] = "none"  # probabilities as they are, or per frame to [0, 1]
    # True: each prompt group's softmax mass divided by its size (equal similarities -> 0.5; the paper
    # profiles); False: the summed abnormal mass, which a bank with more abnormal than normal prompts
    # biases upwards (project default, what the workshop threshold was chosen with)
    balance_groups: bool = False
    box_mode: Literal["largest", "all"] = "largest"  # the largest component (UCF-Crime frames carry one box)
    min_area: float = 0.0  # components under this fraction of the frame are dropped
    template: str = "a photo of {}."  # class-name template (CLIP's zero-shot template)
    use_backgrounds: bool = True  # include the bank's normal background descriptions
    use_augmentations: bool = True  # include the bank's abnormal event descriptions
    class_names: Literal["canonical", "paraphrased", "none"] = "canonical"  # "paraphrased": the bank's
    dense: bool = False  # recompute CLIP's last block (needs the videos; see localize.dense)
    dense_attention: Literal["vv", "qq", "kk", "qk"] = "vv"  # "qk" is CLIP's own; in the recomputed block
    # windows of the frame the maps come from (localize.windows): "stored" (the store's tokens: the
    # backbone's own transform, CLIP's centre crop), or re-encoded from the videos so the map covers
    # the whole frame: "squash", "pad" (open_clip's longest) or "tiles" (input-sized windows across
    # the long side, averaged where they overlap). Square workshop frames: all the same window. The
    # paper profiles use 3 tiles (measured: benchmarks/results/localize_views.json). Not the crops of
    # multi-crop extraction (extract.crops)
    window: Literal["stored", "squash", "pad", "tiles"] = "stored"
    n_tiles: int = 0  # window "tiles": windows along the long side; 0 = the fewest that cover it
    split: str = ""  # "" -> data.test_split
    save_maps: bool = True  # write localization_maps.safetensors for the figures


@dataclass
class PromptsConfig:
    """Prompt-bank generation (``stprompt prompts``)."""
    backend: Literal["static", "hf_local", "openai"] = "static"  # static: the curated bank
    model: str = ""  # hf_local: name/path ("" -> gemma3-270m); openai: served model name
    base_url: str = ""  # openai: endpoint base, e.g. http://127.0.0.1:8000/v1
    api_key_env: str = "OPENAI_API_KEY"  # openai: environment variable holding the key
    seed: int = 0  # bank seed; per-target seeds derive from it
    n_normal: int = 12  # background descriptions wanted (project default, ~ curated banks)
    n_per_class: int = 6  # event descriptions wanted per anomaly class (project default)
    max_words: int = 16  # longer items are rejected (CLIP's 77-token context; project default)
    max_attempts: int = 3  # calls per target before an empty target is an error
    temperature: float = 0.8  # sampling temperature of LLM backends (project default)
    max_new_tokens: int = 64  # hf_local: tokens per sample (~6-8 short bullets)
    samples: int = 4  # hf_local: sequences sampled per call (4 needs fewer calls than 2: measured)
    threads: int = 0  # hf_local: torch CPU threads while generating; 0 = torch default (1 on a busy CPU)
    timeout_s: float = 60.0  # openai: per request
    cache_dir: str = "cache/models"  # hf_local: assembled + converted offline model


@dataclass
class Config:
    profile: str = "default"
    data: DataConfig = field(default_factory=DataConfig)
    synthvad: SynthVADConfig = field(default_factory=SynthVADConfig)
    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    synthclip: SynthClipConfig = field(default_factory=SynthClipConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    localize: LocalizeConfig = field(default_factory=LocalizeConfig)
    prompts: PromptsConfig = field(default_factory=PromptsConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def data_root(self) -> Path:
        """Videos root from the config or ``$STPROMPT_DATA_ROOT``."""
        root = self.data.data_root or os.environ.get(DATA_ROOT_ENV, "")
        if not root:
            raise ConfigError(f"data.data_root is empty and ${DATA_ROOT_ENV} is not set")
        return Path(root)

    def manifest(self) -> Path:
        """``data.manifest``, or ``<data root>/manifest.json`` when it is empty."""
        return Path(self.data.manifest) if self.data.manifest else self.data_root() / MANIFEST_NAME


def _literal_fields() -> dict[str, tuple[Any, ...]]:
    """Every field typed ``Literal[...]``, as ``{"section.key": its values}``."""
    out = {}
    for f in dataclasses.fields(Config):
        if dataclasses.is_dataclass(f.default_factory):
            for name, hint in typing.get_type_hints(f.default_factory).items():
                if typing.get_origin(hint) is Literal:
                    out[f"{f.name}.{name}"] = typing.get_args(hint)
    return out


# Values checked against a closed set: each declared once, as the Literal type of its field;
# the parser, the CLI's choices and the modules read them from here (:func:`choices`).
CHOICES: dict[str, tuple[Any, ...]] = _literal_fields()


def choices(key: str) -> tuple[Any, ...]:
    """The values ``key`` ("section.name") accepts, from its field's ``Literal`` type."""
    if key not in CHOICES:
        raise KeyError(f"{key} is not a config field with a closed set of values")
    return CHOICES[key]


# Values checked by a rule; the message says what the rule asks for.
RULES: dict[str, tuple[typing.Callable[[Any], bool], str]] = {
    "synthclip.steps": (lambda v: v >= 1, "a positive number of optimizer steps"),
    "synthvad.scene_bias": (lambda v: 0.0 <= v <= 1.0, "a probability in [0, 1]"),
    "extract.crop_resize_wh": (lambda v: v == [] or (len(v) == 2 and min(v) > 0),
                               "[] or [width, height] in pixels"),
    "synthclip.corpus_anomaly_frames": (lambda v: len(v) == 2 and 0 < v[0] <= v[1],
                                        "[min, max] event frames with 0 < min <= max"),
}


# Keys that are no longer settings because their value follows from another; setting one is an
# error naming what to set instead. Stored configs (a run's config.json) may still hold them:
# config_from_dict drops them.
DERIVED_KEYS: dict[str, str] = {
    "extract.frame_stride": "extraction samples one frame per snippet: set data.snippet_len",
    "backbone.embed_dim": "the joint-space width is read from the model config of backbone.model_name",
}

# Keys that moved; setting the old one is an error naming the new one. A stored config holding
# the old key loads with its value under the new key (config_from_dict), except a value in
# MOVED_UNSET, which meant "not set" under the old key.
MOVED_KEYS: dict[str, str] = {
    "backbone.synthclip_steps": "synthclip.steps",
    "localize.view": "localize.window",
    "synth.preset": "synthvad.preset",
    "synth.seed": "synthvad.seed",
}
MOVED_UNSET: dict[str, Any] = {"backbone.synthclip_steps": 0}  # 0 kept the recipe's steps
# Sections that were renamed: a mapping under the old name is flattened with the old prefix, so
# its keys meet MOVED_KEYS (an error when set, the new key when a stored config is loaded).
MOVED_SECTIONS: dict[str, str] = {"synth": "synthvad"}


def available_profiles() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load_config(profile: str = "tiny", overrides: Mapping[str, Any] | list[str] | None = None) -> Config:
    """Load a profile and apply overrides.

    Args:
        profile: a name in ``stprompt_core/configs`` or a path to a YAML file.
        overrides: ``{"train.lr": 1e-3}`` / ``{"train": {"lr": 1e-3}}`` or CLI-style
            ``["train.lr=1e-3"]``.
    """
    path = Path(profile)
    if not (path.suffix in (".yaml", ".yml") and _exists(path)):
        path = CONFIG_DIR / f"{profile}.yaml"
        if not _exists(path):
            near = difflib.get_close_matches(profile, available_profiles(), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ConfigError(f"unknown profile {profile!r}{hint} (available: {available_profiles()})")
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).replace("\n", " ")
        raise ConfigError(f"{path}: not a readable YAML profile ({type(exc).__name__}: {reason})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a profile must be a mapping of sections")
    cfg = Config(profile=path.stem)
    apply_overrides(cfg, raw, source=str(path))
    if overrides:
        apply_overrides(cfg, overrides)
    return cfg


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # e.g. a name longer than the file system allows
        return False


def config_from_dict(values: Mapping[str, Any]) -> Config:
    """Rebuild a :class:`Config` from :meth:`Config.to_dict` output (e.g. a run's config.json)."""
    cfg = Config()
    values = {k: v for k, v in _flatten(dict(values)).items() if k not in DERIVED_KEYS}
    for old, new in MOVED_KEYS.items():
        if old in values:
            value = values.pop(old)
            if not (old in MOVED_UNSET and value == MOVED_UNSET[old]):
                values.setdefault(new, value)
    apply_overrides(cfg, values, source="config dict")
    return cfg


def apply_overrides(cfg: Config, overrides: Mapping[str, Any] | list[str], source: str = "override") -> Config:
    """Set dotted keys on ``cfg`` in place, checking names, types and choices.

    Every value is checked before the first is set, so a rejected call leaves ``cfg`` as it was.
    A value given as text (``"train.lr=1e-3"``) is read as YAML, except by string fields, which
    take the text as written (surrounding spaces stripped; a YAML-quoted value is unquoted):
    ``data.manifest=2024-01-01.json`` and ``localize.template=a photo #{}`` stay as typed.

    Raises:
        ConfigError: naming the key, the nearest valid key, or the expected type.
    """
    checked = [_check(cfg, key, value, source) for key, value in _flatten(_as_mapping(overrides, source)).items()]
    for target, name, value in checked:
        setattr(target, name, value)
    return cfg


def localize_settings(base: LocalizeConfig | None = None, overrides: Mapping[str, Any] | list[str] | None = None,
                      source: str = "localize settings") -> LocalizeConfig:
    """``base`` (default: the project's ``localize`` defaults) with ``overrides`` applied, through
    :func:`apply_overrides` as ``--set`` applies them: every field of the result is checked
    (names, types, choices), ``base``'s included.

    Args:
        base: settings to start from (a run's ``cfg.localize``); not modified.
        overrides: ``{"score_threshold": 0.3}`` or ``{"localize.window": "tiles"}`` or
            ``["localize.dense=true"]``.
        source: named in error messages.

    Raises:
        ConfigError: a key outside ``localize``, an unknown key or a bad value (named).
    """
    given = {}
    for key, value in _as_mapping(overrides or {}, source).items():
        key = key.strip()
        if "." in key and not key.startswith("localize."):
            raise ConfigError(f"{source}: {key} is not a localize setting (give localize.KEY or KEY)")
        given[key if key.startswith("localize.") else f"localize.{key}"] = value
    start = {f"localize.{k}": v for k, v in dataclasses.asdict(base or LocalizeConfig()).items()}
    return apply_overrides(Config(), {**start, **given}, source).localize


def valid_keys(cfg: Config | None = None) -> list[str]:
    cfg = cfg or Config()
    keys = []
    for f in dataclasses.fields(cfg):
        sub = getattr(cfg, f.name)
        if dataclasses.is_dataclass(sub):
            keys += [f"{f.name}.{g.name}" for g in dataclasses.fields(sub)]
        else:
            keys.append(f.name)
    return keys


class _Text(str):
    """A value written as text (``--set KEY=TEXT``), read by the field's type in :func:`_coerce`."""


def _sections() -> list[str]:
    return [f.name for f in dataclasses.fields(Config) if dataclasses.is_dataclass(f.default_factory)]


def _as_mapping(overrides: Mapping[str, Any] | list[str], source: str) -> dict[str, Any]:
    if isinstance(overrides, Mapping):
        return dict(overrides)
    if not isinstance(overrides, (list, tuple)):
        raise ConfigError(f"{source}: overrides must be a mapping or a list of KEY=VALUE strings, "
                          f"got {type(overrides).__name__}")
    out: dict[str, Any] = {}
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise ConfigError(f"{source}: expected KEY=VALUE, got {item!r}")
        key, text = item.split("=", 1)
        key = key.strip()
        # a whole section as YAML (train={lr: 0.1, epochs: 2}) is flattened like a nested mapping
        out[key] = _parse_text(text) if key in _sections() or key in MOVED_SECTIONS else _Text(text)
    return out


def _parse_text(text: str) -> Any:
    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and prefix == "" and (key in _sections() or key in MOVED_SECTIONS):
            out.update(_flatten(v, f"{key}."))
        else:
            out[key] = v
    return out


def _check(cfg: Config, key: str, value: Any, source: str) -> tuple[Any, str, Any]:
    """``(object, attribute, coerced value)`` that setting ``key`` to ``value`` would assign."""
    keys = valid_keys(cfg)
    if key in DERIVED_KEYS:
        raise ConfigError(f"{source}: {key} is not a setting: {DERIVED_KEYS[key]}")
    if key in MOVED_KEYS:
        raise ConfigError(f"{source}: {key} is not a setting: it moved to {MOVED_KEYS[key]}")
    if key in MOVED_SECTIONS:
        raise ConfigError(f"{source}: {key} is not a section: it was renamed {MOVED_SECTIONS[key]}")
    if key in _sections():
        names = [k.split(".", 1)[1] for k in keys if k.startswith(f"{key}.")]
        raise ConfigError(f"{source}: {key} is a section: give {key}.KEY=VALUE or a mapping "
                          f"(keys: {', '.join(names)}), got {value!r}")
    if key not in keys:
        near = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
        if not near:  # try the last component alone, e.g. "lr" -> "train.lr"
            tail = {k.split(".")[-1]: k for k in keys}
            hit = difflib.get_close_matches(key.split(".")[-1], list(tail), n=1)
            near = [tail[hit[0]]] if hit else []
        hint = f"; did you mean {near[0]!r}?" if near else f" (keys are SECTION.NAME, SECTION one of {_sections()})"
        raise ConfigError(f"{source}: unknown config key {key!r}{hint}")
    if "." in key:
        section, name = key.split(".", 1)
        target = getattr(cfg, section)
    else:
        target, name = cfg, key
    hints = typing.get_type_hints(type(target))
    coerced = _coerce(value, hints[name], key, source)
    if key in RULES and not RULES[key][0](coerced):
        raise ConfigError(f"{source}: {key}={coerced!r}: expected {RULES[key][1]}")
    return target, name, coerced


def _coerce(value: Any, typ: Any, key: str, source: str) -> Any:
    if isinstance(value, _Text):
        if typ is str:
            quoted = value.strip()[:1] in ("'", '"')
            parsed = _parse_text(value) if quoted else None
            return parsed if isinstance(parsed, str) else str(value).strip()
        value = _parse_text(value)
    origin = typing.get_origin(typ)
    if origin is Literal:
        allowed = typing.get_args(typ)
        coerced = _coerce(value, type(allowed[0]), key, source)
        if coerced not in allowed:
            raise ConfigError(f"{source}: {key}={coerced!r} is not one of {list(allowed)}")
        return coerced
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(typ):
            try:
                return _coerce(value, arm, key, source)
            except ConfigError:
                continue
        raise ConfigError(f"{source}: {key} expects {typ}, got {value!r}")
    if origin is list:
        (item,) = typing.get_args(typ)
        if isinstance(value, str):
            value = _parse_text(value)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: {key} expects a list, got {value!r}")
        return [_coerce(v, item, key, source) for v in value]
    if typ is type(None):
        if value is None:
            return None
        raise ConfigError(f"{source}: {key} expects None")
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ConfigError(f"{source}: {key} expects true/false, got {value!r}")
    if typ is int:
        if isinstance(value, str):
            value = _parse_text(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source}: {key} expects an integer, got {value!r}")
        return value
    if typ is float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{source}: {key} expects a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{source}: {key} expects a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(f"{source}: {key} expects a finite number, got {value!r}")
        return number
    if typ is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} expects a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{source}: {key} has unsupported type {typ}")
