"""Noun phrases and what they refer to in the scene.

A ``Mention`` is one phrase that names things: "the crimson cube", "it", "the other one", "all the
blocks except the red one", "the block closest to the tray", "the block left of the blue one". The
resolver turns it into block colours, or raises Ask (ambiguous) / Refuse (nothing like it here).
"Left" and "right" are as seen from the front camera (world +y is to the right in its image).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heron.language import lexicon as L
from heron.language.clauses import Token
from heron.language.results import Ask, Refuse
from heron.language.scene import SceneDescription, join_words

ANCHOR_WORDS = {"you": "robot", "robot": "robot", "me": "camera", "camera": "camera", "base": "robot"}
ROBOT_XY, CAMERA_XY = (0.0, 0.0, 0.0), (0.98, 0.0, 0.0)
TIE_M = 0.01  # two distances within 1 cm: too close to call
SIDE_M = 0.02  # "left of": at least 2 cm to that side


@dataclass
class Mention:
    start: int
    end: int
    colors: list[str] = field(default_factory=list)
    color_words: list[str] = field(default_factory=list)
    noun: str | None = None  # lexicon noun value, None for a bare colour ("stack green on yellow")
    ref: str | None = None  # "last", "other", "group"
    quant: bool = False
    rel: str | None = None  # closest, farthest, leftof, rightof, leftmost, rightmost
    anchor: "Mention | str | None" = None
    excepts: list["Mention"] = field(default_factory=list)
    items: list["Mention"] = field(default_factory=list)  # a list: "the red and the blue block"

    @property
    def plural(self) -> bool:
        return self.noun in ("blocks", "things", "zones") or self.quant

    @property
    def simple(self) -> bool:
        """A single explicit colour: the person's words already name the block."""
        return not self.items and not self.ref and not self.quant and not self.rel and len(self.colors) == 1


@dataclass
class Context:
    """What earlier clauses referred to: for "it", "the other one", "them"."""

    last: str | None = None
    group: list[str] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)

    def note(self, colors: list[str]) -> None:
        for c in colors:
            if c in self.mentioned:
                self.mentioned.remove(c)
            self.mentioned.append(c)


def parse_np(tokens: list[Token], i: int) -> tuple[Mention | None, int]:
    """The noun phrase starting at ``tokens[i]`` (lists joined by "and"), or (None, i)."""
    first, j = _parse_single(tokens, i)
    if first is None:
        return None, i
    items = [first]
    while j < len(tokens) and tokens[j].kind == L.AND:
        nxt, k = _parse_single(tokens, j + 1)
        if nxt is None:
            break
        items.append(nxt)
        j = k
    if len(items) == 1:
        return first, j
    # "the red and green blocks": the last item's noun applies to all
    noun = items[-1].noun
    for m in items:
        if m.noun is None or m.noun in ("blocks", "things"):
            m.noun = "block" if noun in ("blocks", "block", None, "things", "thing") else noun
    return Mention(start=items[0].start, end=items[-1].end, items=items, noun=noun), j


def _parse_single(tokens: list[Token], i: int) -> tuple[Mention | None, int]:
    j, n = i, len(tokens)
    m = Mention(start=tokens[i].start if i < n else 0, end=tokens[i].end if i < n else 0)
    seen = False
    while j < n:
        t = tokens[j]
        if t.kind == L.FILLER and t.value in ("the", "a", "an", "both", "your", "my", "closed"):
            j += 1
        elif t.kind == L.QUANT and not seen:
            m.quant, seen = True, True
            j += 1
        elif t.kind == L.COLOR and m.ref is None:
            m.colors.append(t.value)
            m.color_words.append(t.word)
            seen = True
            j += 1
        elif t.kind == L.REL and t.value in ("leftmost", "rightmost") and m.noun is None:
            m.rel, seen = t.value, True
            j += 1
        elif t.kind == L.NOUN and m.noun is None and m.ref is None:
            m.noun, seen = t.value, True
            j += 1
            if m.quant and t.value == "block":  # "every block" is all of them
                m.noun = "blocks"
        elif t.kind == L.PRON and not seen:
            m.ref, seen = t.value, True
            j += 1
            break
        else:
            break
    if not seen:
        return None, i
    m.end = tokens[j - 1].end
    if m.quant and m.noun is None and not m.colors:
        m.noun = "blocks"
    j = _parse_tail(tokens, j, m)
    return m, j


def _parse_tail(tokens: list[Token], j: int, m: Mention) -> int:
    """Relations and exceptions after the head: "closest to the tray", "except the red one"."""
    n = len(tokens)
    while j < n:
        t = tokens[j]
        if t.word in ("that", "which") or (t.kind == L.FILLER and t.value in ("is", "are", "the")):
            k = j + 1
            while k < n and tokens[k].kind == L.FILLER and tokens[k].value in ("is", "are", "the"):
                k += 1
            if k < n and tokens[k].kind == L.REL:
                j = k
                continue
            break
        if t.kind == L.REL and m.rel is None and not m.colors and not m.ref:  # "the red block left of X" is a place
            m.rel = "closest" if t.value == "closest_the" else t.value
            j += 1
            if m.rel in ("leftmost", "rightmost"):
                continue
            while j < n and tokens[j].kind == L.PREP and tokens[j].value in ("to", "from", "of"):
                j += 1
            k = j + 1 if j < n and tokens[j].word == "the" else j
            if k < n and tokens[k].word in ANCHOR_WORDS:
                m.anchor, j = ANCHOR_WORDS[tokens[k].word], k + 1
            else:
                anchor, j = _parse_single(tokens, j)
                m.anchor = anchor
            if j < n and tokens[j].kind == L.FILLER and tokens[j].value == "view":  # "as seen from the front camera"
                j += 1
            m.end = tokens[j - 1].end
        elif t.kind == L.EXCEPT and (m.quant or m.plural):
            ex, k = parse_np(tokens, j + 1)
            if ex is None:
                break
            m.excepts = ex.items or [ex]
            j = k
            m.end = tokens[j - 1].end
        else:
            break
    return j


# -- resolution ----------------------------------------------------------------------------------
def block_names(scene: SceneDescription) -> str:
    return join_words(scene.block_colors)


def resolve_blocks(m: Mention, scene: SceneDescription, ctx: Context) -> list[str]:
    """Block colours this mention means; Ask/Refuse when it cannot say."""
    if m.items:
        out: list[str] = []
        for item in m.items:
            out += [c for c in resolve_blocks(item, scene, ctx) if c not in out]
        return out
    if m.ref:
        return _resolve_ref(m, scene, ctx)
    _refuse_non_block(m, scene)
    colors = list(dict.fromkeys(m.colors))
    if len(colors) > 1:
        words = " and ".join(f"'{w}'" for w in dict.fromkeys(m.color_words))
        raise Ask(f"you named one block with two colours ({words}); which one do you mean: "
                  f"{join_words([f'the {c} block' for c in colors], 'or')}?")
    for c in colors:
        if c not in scene.blocks:
            raise Refuse(_no_such_block(c, scene))
    if m.quant or (m.plural and not colors):
        excluded = resolve_blocks(Mention(0, 0, items=m.excepts), scene, ctx) if m.excepts else []
        chosen = [c for c in scene.block_colors if c not in excluded]
        if not chosen:
            raise Refuse("that leaves no block to act on")
        return chosen
    if m.rel:
        return [_resolve_relation(m, scene, ctx)]
    if colors:
        return colors
    if len(scene.blocks) == 1:
        return list(scene.blocks)
    raise Ask(f"which block? I see {block_names(scene)} ones")


def _refuse_non_block(m: Mention, scene: SceneDescription) -> None:
    if m.noun == "container":
        raise Refuse("I can't move the tray: I can only move the blocks (" + block_names(scene) + ")")
    if m.noun in ("zone", "zones"):
        raise Refuse("the zones are painted on the table; I can only move the blocks (" + block_names(scene) + ")")
    if m.noun == "table":
        raise Refuse("I can't move the table; I can only move the blocks (" + block_names(scene) + ")")
    if m.noun in ("cylinder", "sphere") or (m.noun in ("tower",) and not m.colors):
        what = f"the {' '.join(m.color_words + [m.noun])}" if m.noun != "tower" else "a tower"
        raise Refuse(f"I can't move {what}: I can only move the blocks ({block_names(scene)})")


def _no_such_block(color: str, scene: SceneDescription) -> str:
    for name in scene.distractors:
        if name.split()[0] == color:
            return (f"there is no {color} block: the {color} object is a {name.split()[-1]}, which I can't move; "
                    f"the blocks here are {block_names(scene)}")
    return f"there is no {color} block here; the blocks are {block_names(scene)}"


def _resolve_ref(m: Mention, scene: SceneDescription, ctx: Context) -> list[str]:
    if m.ref in ("last", "self"):
        if len(ctx.group) > 1:  # "touch the red and the blue block, then push it": which?
            raise Ask(f"which one do you mean by '{_ref_word(m)}': "
                      f"{join_words([f'the {c} block' for c in ctx.group], 'or')}?")
        if ctx.last is None:
            raise Ask(f"which block do you mean by '{_ref_word(m)}'? I see {block_names(scene)} ones")
        return [ctx.last]
    if m.ref == "group":
        if ctx.group:
            return list(ctx.group)
        if ctx.last is not None:
            return [ctx.last]
        raise Ask(f"which blocks do you mean? I see {block_names(scene)} ones")
    # "the other one": the block mentioned before the last one, or the only other block
    others = [c for c in reversed(ctx.mentioned) if c != ctx.last]
    if others:
        return [others[0]]
    rest = [c for c in scene.block_colors if c != ctx.last]
    if ctx.last is not None and len(rest) == 1:
        return rest
    raise Ask(f"which one is 'the other one'? I see {block_names(scene)} blocks")


def _ref_word(m: Mention) -> str:
    return {"last": "it", "group": "them", "other": "the other one"}.get(m.ref or "", "it")


def _resolve_relation(m: Mention, scene: SceneDescription, ctx: Context) -> str:
    candidates = dict(scene.blocks)
    if not scene.has_positions():
        raise Refuse(f"I can't tell which block is {_rel_words(m)}: this scene has no object positions "
                     f"(name the block by its colour: {block_names(scene)})")
    anchor_pos, anchor_block = _anchor_position(m, scene, ctx)
    if anchor_block:
        candidates.pop(anchor_block, None)
    if m.rel in ("leftmost", "rightmost"):
        sign = 1 if m.rel == "leftmost" else -1
        ranked = sorted(candidates, key=lambda c: sign * candidates[c][1])
        return _unique(ranked, lambda c: sign * candidates[c][1], m)
    if m.rel in ("closest", "farthest"):
        sign = 1 if m.rel == "closest" else -1
        ranked = sorted(candidates, key=lambda c: sign * scene.distance(candidates[c], anchor_pos))
        return _unique(ranked, lambda c: sign * scene.distance(candidates[c], anchor_pos), m)
    # leftof / rightof: the nearest block on that side, as seen from the front camera (+y is right)
    side = -1 if m.rel == "leftof" else 1
    on_side = [c for c in candidates if side * (candidates[c][1] - anchor_pos[1]) > SIDE_M]
    if not on_side:
        raise Refuse(f"no block is {_rel_words(m)} as seen from the front camera")
    return min(on_side, key=lambda c: side * (candidates[c][1] - anchor_pos[1]))


def _unique(ranked: list[str], key, m: Mention) -> str:
    if len(ranked) > 1 and abs(key(ranked[0]) - key(ranked[1])) < TIE_M:
        raise Ask(f"the {ranked[0]} and {ranked[1]} blocks are about equally {_rel_words(m)}; which one do you mean?")
    return ranked[0]


def _anchor_position(m: Mention, scene: SceneDescription, ctx: Context):
    a = m.anchor
    if m.rel in ("leftmost", "rightmost"):
        return None, None
    if a is None:
        raise Ask(f"{_rel_words(m)} what? name a block, the tray or a zone")
    if a == "robot":
        return ROBOT_XY, None
    if a == "camera":
        return CAMERA_XY, None
    if a.noun == "container":
        if scene.tray is None:
            raise Refuse("I can't tell where the tray is in this scene")
        return scene.tray, None
    if a.noun == "zone":
        zone = resolve_zone(a, scene)
        pos = (scene.zones or {}).get(zone)
        if pos is None:
            raise Refuse(f"I can't tell where the {zone} zone is in this scene")
        return pos, None
    if a.noun in ("cylinder", "sphere") or any(
            n.split()[0] in a.colors for n in scene.distractors if a.colors and a.colors[0] not in scene.blocks):
        for name, pos in scene.distractors.items():
            if (a.colors and name.split()[0] == a.colors[0]) or name.split()[-1] == a.noun:
                if pos is None:
                    raise Refuse(f"I can't tell where the {name} is in this scene")
                return pos, None
        raise Refuse(f"there is no {' '.join(a.color_words + [a.noun or ''])} here".strip())
    block = resolve_blocks(a, scene, ctx)[0]
    return scene.blocks[block], block


def _rel_words(m: Mention) -> str:
    a = m.anchor
    if isinstance(a, Mention):
        what = ("the " + " ".join(a.color_words + [a.noun or "one"]).strip()) if not a.ref else "it"
    else:
        what = {"robot": "the robot", "camera": "the camera"}.get(a or "", "")
    return {"closest": f"closest to {what}", "farthest": f"farthest from {what}", "leftof": f"left of {what}",
            "rightof": f"right of {what}", "leftmost": "leftmost", "rightmost": "rightmost"}[m.rel or "closest"]


def resolve_zone(m: Mention, scene: SceneDescription) -> str:
    colors = list(dict.fromkeys(m.colors))
    known = scene.zone_colors
    if len(colors) > 1:
        raise Ask(f"which zone: {join_words([f'the {c} one' for c in colors], 'or')}?")
    if not colors:
        if known is not None and len(known) == 1:
            return known[0]
        choices = join_words(known, "or") if known else join_words(list(scene.zone_vocabulary), "or")
        raise Ask(f"which zone: {choices}?")
    color = colors[0]
    if known is None:
        if color not in scene.zone_vocabulary:
            raise Refuse(f"there is no {color} zone; zones can be {join_words(list(scene.zone_vocabulary), 'or')}")
        return color
    if color not in known:
        raise Refuse(f"there is no {color} zone here; the zones are {join_words(known)}")
    return color
