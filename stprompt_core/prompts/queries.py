"""Localization queries: the texts patches are compared with, built from a prompt bank.

The prompt bank (:class:`~stprompt_core.prompts.bank.PromptBank`, ``localize.bank``) is the
JSON of background descriptions and event augmentations; the localization queries are the
texts one localization sends through the text tower, each marked normal or abnormal.

Normal side: the normal class name of :mod:`stprompt_core.classes` in the class template
(``"a photo of normal."``), plus the bank's background descriptions unless
``use_backgrounds`` is off (the prompt-study ablation; without any normal query every
patch would be abnormal, so the class query always stays).

Abnormal side, for every anomaly class (all classes: localization does not know the
video's class): the class name in the template, plus the bank's event augmentations
unless ``use_augmentations`` is off. ``class_names`` picks the name: ``canonical`` (from
classes.py), ``paraphrased`` (the bank's ``paraphrases`` instead) or ``none``.

Bank items are used as written; only class names go through the template, as in
CLIP's zero-shot prompts.

The queries live with the banks, below both the method's localization
(:mod:`stprompt_core.localize`) and the offline world that evaluates SynthCLIP with them
(:mod:`stprompt_core.offline.synthclip.evaluate`), so neither climbs to the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from stprompt_core.backbone.text_tower import frozen_pooled, has_pooled_source, is_locked_hf_text
from stprompt_core.classes import class_labels, class_prompts
from stprompt_core.config import LocalizeConfig, choices
from stprompt_core.prompts.bank import BankError, PromptBank

CLASS_NAME_MODES = choices("localize.class_names")
DEFAULT_TEMPLATE = "a photo of {}."  # CLIP's zero-shot ImageNet template


@dataclass
class LocalizationQueries:
    """``N`` localization query texts with their side and class.

    Attributes:
        texts: ``[N]`` query strings.
        abnormal: ``[N]`` bool, True for abnormal queries.
        classes: ``[N]`` dataset label each query belongs to (``normal`` label for normal).
    """

    texts: list[str]
    abnormal: np.ndarray
    classes: list[str]

    @property
    def n_normal(self) -> int:
        return int((~self.abnormal).sum())

    @property
    def n_abnormal(self) -> int:
        return int(self.abnormal.sum())


def build_queries(bank: PromptBank, *, use_backgrounds: bool = True, use_augmentations: bool = True,
                  class_names: str = "canonical", template: str = DEFAULT_TEMPLATE) -> LocalizationQueries:
    """The normal and abnormal localization queries of ``bank`` (see the module docstring).

    Raises:
        BankError: ``class_names='paraphrased'`` and a class has no paraphrases, or the
            choices leave the abnormal side empty.
        ValueError: unknown ``class_names`` mode or a template without ``{}``.
    """
    if class_names not in CLASS_NAME_MODES:
        raise ValueError(f"class_names {class_names!r} is not one of {list(CLASS_NAME_MODES)}")
    if "{}" not in template:
        raise ValueError(f"prompt template {template!r} needs a '{{}}' for the class name")
    labels, names = class_labels(bank.dataset), class_prompts(bank.dataset)
    texts, abnormal, classes = [template.format(names[0])], [False], [labels[0]]
    if use_backgrounds:
        texts += bank.normal
        abnormal += [False] * len(bank.normal)
        classes += [labels[0]] * len(bank.normal)
    for label, name in zip(labels[1:], names[1:]):
        if class_names == "canonical":
            own = [template.format(name)]
        elif class_names == "paraphrased":
            if not bank.paraphrases.get(label):
                raise BankError(f"prompt bank for {bank.dataset!r} has no paraphrases for class {label!r} "
                                f"(needed by class_names='paraphrased')")
            own = [template.format(p) for p in bank.paraphrases[label]]
        else:
            own = []
        own += bank.abnormal[label] if use_augmentations else []
        texts += own
        abnormal += [True] * len(own)
        classes += [label] * len(own)
    if not any(abnormal):
        raise BankError("class_names='none' without augmentations leaves no abnormal query")
    return LocalizationQueries(texts=texts, abnormal=np.asarray(abnormal, bool), classes=classes)


def encode_texts(model, model_name: str, texts: list[str], batch_size: int = 256) -> torch.Tensor:
    """L2-normalised text embeddings ``[N, D]`` (float32 torch) from an open_clip model.

    Args:
        model: an open_clip ``CLIP`` (its text tower).
        model_name: the open_clip name, for :func:`open_clip.get_tokenizer`.
        texts: ``N`` texts (localization queries, class prompts, captions).

    A frozen Hugging Face tower inside
    :func:`~stprompt_core.backbone.text_tower.pooled_text_source` takes its pooled outputs
    from that source and only runs its projection.
    """
    import open_clip  # 2.3 s on import; the prompts package is imported by `stprompt --help` (prompts.backends)

    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            chunk = texts[i : i + batch_size]
            if has_pooled_source() and is_locked_hf_text(model):
                pooled = frozen_pooled(model, model_name, chunk).to(next(model.parameters()).device)
                emb = model.text.proj(pooled).float()  # [n, D]
            else:
                emb = model.encode_text(open_clip.get_tokenizer(model_name)(chunk)).float()  # [n, D]
            out.append(F.normalize(emb, dim=-1))
    return torch.cat(out)


def settings_queries(bank: PromptBank, s: LocalizeConfig) -> LocalizationQueries:
    """:func:`build_queries` with a run's ``localize`` settings (what ``localize`` and ``detect`` use)."""
    return build_queries(bank, use_backgrounds=s.use_backgrounds, use_augmentations=s.use_augmentations,
                         class_names=s.class_names, template=s.template)
