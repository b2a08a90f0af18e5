"""What the generators are asked: few-shot completions for base models, a list request for chat models.

The text sent to an LLM is the *generation request* (a few-shot completion, or an LLM
instruction for chat models); what comes back becomes the items of a prompt bank. These
requests are not CLIP prompts themselves.

A *target* is one list the bank needs: the normal background descriptions of the dataset's
scenes, or the event descriptions of one anomaly class. Each template has an id recorded in
the bank's provenance; change the text, change the id.

Base models (Gemma-3-270M is one) do not follow instructions; they continue text. The
few-shot template shows three worked examples in a fixed format and leaves the third open
after ``-``, so the continuation is a bullet list; it is cut at the first blank line or the
next header (:data:`COMPLETION_STOPS`). The examples are generic and never the target's own
class, so the model is not handed the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPLETION_TEMPLATE_ID = "fewshot-completion-v1"
CHAT_TEMPLATE_ID = "chat-list-v1"
COMPLETION_STOPS = ("\n\n", "\nEvent", "\nScene", "\n#")

# Worked examples for the few-shot template: (event name, what a camera sees).
EVENT_EXAMPLES: list[tuple[str, list[str]]] = [
    ("fighting", ["two men punching each other", "a person kicking another person on the ground",
                  "a group of people brawling in the street"]),
    ("shoplifting", ["a woman hiding goods under her coat in a store", "a man slipping a bottle into his bag",
                     "a person walking out of a shop without paying"]),
    ("road accident", ["a car crashing into another car", "a motorbike hitting a pedestrian",
                       "a car overturned at an intersection"]),
    ("a person falling", ["an old man slipping and falling on the floor", "a person lying motionless on the road",
                          "a cyclist falling off a bicycle"]),
]
SCENE_EXAMPLES: list[tuple[str, list[str]]] = [
    ("a city street seen by a traffic camera", ["a photo of a road", "a sidewalk", "a parked car",
                                                 "a traffic light", "a building"]),
    ("the inside of a shop", ["a store shelf", "a shop counter", "a tiled floor", "a glass door",
                              "a ceiling light"]),
    ("a park", ["a lawn", "a tree", "a bench", "a footpath", "the sky"]),
]


@dataclass(frozen=True)
class GenerationTarget:
    """One list to generate.

    Attributes:
        kind: ``"normal"`` (background descriptions) or ``"abnormal"`` (one class's events).
        label: the dataset label (``"Abuse"``) or ``"normal"``.
        name: natural-language name (``"abuse"``; for ``normal``, the scene setting).
        setting: where the dataset's cameras are, from the curated bank.
        n: how many items are wanted.
    """

    kind: str
    label: str
    name: str
    setting: str
    n: int


def completion_prompt(target: GenerationTarget) -> str:
    """The generation request for a base model: few-shot text ending with ``"\\n-"`` so the model
    writes a bullet."""
    if target.kind == "normal":
        head = "Short names of things in the background of an ordinary scene, two to five words each.\n\n"
        blocks = [_block("Scene", name, items) for name, items in SCENE_EXAMPLES]
        return head + "".join(blocks) + f"Scene: {target.setting or target.name}\n-"
    head = "Short descriptions of what a surveillance camera sees during an event, four to ten words each.\n\n"
    examples = [(n, items) for n, items in EVENT_EXAMPLES if not _overlaps(n, target.name)][:3]
    blocks = [_block("Event", name, items) for name, items in examples]
    return head + "".join(blocks) + f"Event: {target.name}\n-"


def chat_messages(target: GenerationTarget) -> list[dict[str, str]]:
    """The LLM instruction for an instruction-tuned chat model (system and user messages): one
    bank item per line, nothing else."""
    system = ("You write short visual descriptions used as CLIP text prompts. Answer with one "
              "description per line, no numbering, no extra text.")
    if target.kind == "normal":
        user = (f"List {target.n} different short descriptions (2 to 6 words) of static background "
                f"things or ordinary scene parts that a fixed camera sees in: {target.setting or target.name}. "
                f"Examples: a photo of a road; a wall; a parking lot.")
    else:
        where = f" Setting: {target.setting}." if target.setting else ""
        user = (f"List {target.n} different short descriptions (3 to 10 words) of what a surveillance "
                f"camera would show during this event: {target.name}.{where} "
                f"Example for fighting: two men punching each other.")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _block(header: str, name: str, items: list[str]) -> str:
    return f"{header}: {name}\n" + "".join(f"- {item}\n" for item in items) + "\n"


def _overlaps(a: str, b: str) -> bool:
    stop = {"a", "an", "the", "or", "of", "person"}
    return bool((set(a.lower().split()) - stop) & (set(b.lower().split()) - stop))
