"""Instructions: filling templates, and a keyword parser that maps free text back to (task, args).

``parse_instruction`` is deliberately simple (keywords, color order): it sets up and judges a typed
command in ``heron run``/chat; the policy itself reads the raw text.
"""

from __future__ import annotations

import re

import numpy as np

from heron.envs.tabletop import objects as O
from heron.envs.tabletop.tasks.registry import TASKS

DIRECTION_PHRASES = {"left": "to the left", "right": "to the right", "forward": "forward", "back": "backward"}
_DIRECTION_WORDS = {
    "left": "left", "right": "right", "forward": "forward", "forwards": "forward", "ahead": "forward",
    "back": "back", "backward": "back", "backwards": "back",
}
_ZONE_WORDS = {"zone", "zones", "square", "area", "patch", "region", "mat", "spot", "target"}
_CONTAINER_WORDS = {"bowl", "tray", "container", "basket", "bin", "dish"}
_STACK_WORDS = {"stack", "on", "onto", "top", "pile", "tower", "atop", "above"}
_TOUCH_WORDS = {"touch", "tap", "poke", "contact", "fingertip", "press", "prod"}
_PUSH_WORDS = {"push", "shove", "slide", "nudge", "move", "drag"}
_PICK_WORDS = {"pick", "lift", "grab", "raise", "take", "hoist", "grasp", "up", "hold"}


def sample_instruction(task: str, args: dict, rng: np.random.Generator, split: str = "train") -> str:
    """A random paraphrase of ``task`` with ``args`` from the ``split`` ("train" | "heldout") templates."""
    cls = TASKS.get(task)
    if split not in ("train", "heldout"):
        raise ValueError(f"split={split!r}; allowed: train, heldout")
    args = cls.validate_args(args)
    templates = cls.templates[split]
    template = templates[int(rng.integers(len(templates)))]
    return fill_template(template, args)


def paraphrases(task: str, args: dict, split: str = "train") -> list[str]:
    """Every phrasing of ``task`` with ``args`` that the ``split`` templates give."""
    if split not in ("train", "heldout"):
        raise ValueError(f"split={split!r}; allowed: train, heldout")
    cls = TASKS.get(task)
    args = cls.validate_args(args)
    return list(dict.fromkeys(fill_template(t, args) for t in cls.templates[split]))


def fill_template(template: str, args: dict) -> str:
    values = dict(args)
    if "direction" in values:
        values["direction"] = DIRECTION_PHRASES[values["direction"]]
    return template.format(**values)


def parse_instruction(text: str) -> tuple[str, dict] | None:
    """Keyword parse of free text: "stack green on yellow" -> ("stack", {"object": "green", "base": "yellow"}).

    Returns None when it cannot tell (no color named, or no cue for any family).
    """
    if not isinstance(text, str):
        return None
    words = re.findall(r"[a-z]+", text.lower())
    colors = [w for w in words if w in O.BLOCK_COLORS]
    if not colors:
        return None
    obj = colors[0]
    second = colors[1] if len(colors) > 1 else None
    vocab = set(words)
    if vocab & _ZONE_WORDS:
        return ("zone", {"object": obj, "zone": second}) if second else None
    if vocab & _CONTAINER_WORDS:
        return "place", {"object": obj}
    if second and vocab & _STACK_WORDS:
        return ("stack", {"object": obj, "base": second}) if second != obj else None
    directions = [_DIRECTION_WORDS[w] for w in words if w in _DIRECTION_WORDS]
    if directions and not second:
        return "push", {"object": obj, "direction": directions[0]}
    if second:
        return None
    if vocab & _TOUCH_WORDS:
        return "touch", {"object": obj}
    if vocab & _PICK_WORDS:
        return "pick", {"object": obj}
    return None
