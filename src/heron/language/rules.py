"""The rule parser: one clause (in execution order) -> task-family steps, or Ask / Refuse / NotUnderstood.

The verb gives a class (pick, put, move, push, stack, touch, build); the destination decides the
family: the tray -> place, a zone -> zone, a block -> stack, a direction -> push. Each step keeps the
person's own words for that clause, with references, quantifiers and relations replaced by the block
they resolved to ("put it in the bowl" -> "put the red block in the bowl"). Steps that have no words
of their own (a tower built from "stack the blocks", a clause that borrows the previous verb) get the
canonical training phrasing instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from heron.language import lexicon as L
from heron.language.clauses import Clause, Token
from heron.language.mentions import Context, Mention, block_names, parse_np, resolve_blocks, resolve_zone
from heron.language.results import SKILLS, Ask, NotUnderstood, Refuse
from heron.language.scene import SceneDescription, join_words
from heron.language.scope import check_clause

VERB_WORDS = {L.PICK: "pick up", L.PUT: "put", L.MOVE: "move", L.PUSH: "push", L.STACK: "stack",
              L.TOUCH: "touch", L.BUILD: "build with"}
NOT_PLACES = {"nextto": "next to", "near": "near", "beside": "beside", "behind": "behind", "under": "under",
              "below": "below", "beneath": "beneath", "between": "between", "against": "against",
              "around": "around", "infrontof": "in front of", "leftof": "to the left of", "rightof": "to the right of",
              "closest": "next to"}


@dataclass
class Draft:
    task: str
    args: dict[str, str]
    instruction: str | None  # None: use the canonical phrasing


@dataclass
class Meaning:
    """What a clause said, kept so that the next verbless clause can reuse it."""

    verb: str | None
    dest: tuple | None
    direction: str | None


@dataclass
class _Parts:
    verb: str | None
    objects: list[Mention]
    dest: Mention | None
    dest_prep: str | None
    direction: str | None
    unknown: list[str]
    cut: list[tuple[int, int]]  # spans left out of the step's words (a trailing "except the red one")
    tower: bool = False  # "build a tower": a tower was named
    excluded: list[Mention] | None = None  # "put the green block in the bowl but not the red one"


def read_clause(clause: Clause, text: str, scene: SceneDescription, ctx: Context,
                prev: Meaning | None) -> tuple[list[Draft], Meaning]:
    parts = _parts(clause.tokens)
    if not clause.inherits:
        check_clause(clause.tokens, parts.verb, bool(parts.objects or parts.dest or parts.tower), parts.unknown, scene)
    if parts.verb is None and clause.inherits and prev is not None:
        parts.verb = prev.verb
    dest = _destination(parts, scene, ctx)
    direction = parts.direction
    if clause.inherits and prev is not None and dest is None and direction is None:
        dest, direction = prev.dest, prev.direction
    family = _family(parts, dest, direction)
    colors = _objects(parts, family, dest, scene, ctx)
    drafts = _drafts(family, colors, dest, direction, parts, scene)
    if not clause.inherits and family != "tower" and not (family == "stack" and len(drafts) > 1):
        drafts = [Draft(d.task, d.args, _words_for(text, clause, parts, d)) for d in drafts]
    if family in ("touch", "push") and any(t.word == "twice" for t in clause.tokens):
        drafts = [d for d in drafts for _ in range(2)]
    _remember(ctx, drafts, colors, dest)
    return drafts, Meaning(parts.verb, dest, direction)


def _parts(tokens: list[Token]) -> _Parts:
    verbs = [t for t in tokens if t.kind == L.VERB]
    oos = [t for t in verbs if t.value == L.OOS]
    if oos:
        raise Refuse(f"I can't {oos[0].word}: {SKILLS}")
    verb = verbs[0] if verbs else None
    objects: list[Mention] = []
    dest = dest_prep = direction = pending = None
    unknown: list[str] = []
    excepts_spans: list[tuple[int, int]] = []
    excluded: list[Mention] = []
    tower = False
    j = 0
    while j < len(tokens):
        t = tokens[j]
        if t.kind == L.VERB:
            j += 1
            continue
        if t.kind == L.DIR:
            direction = direction or t.value
            j += 1
            continue
        if t.kind == L.EXCEPT and objects:
            ex, k = parse_np(tokens, j + 1)  # "move every block into the tray except the yellow one"
            if ex is not None:
                target = next((o for o in reversed(objects) if o.quant or o.plural), None)
                if target is not None:
                    target.excepts += ex.items or [ex]
                else:  # "the green block but not the red one": the red one is left alone
                    excluded += ex.items or [ex]
                excepts_spans.append((t.start, tokens[k - 1].end))
                j = k
                continue
        if t.kind == L.PREP or (t.kind == L.REL and t.value in ("leftof", "rightof", "closest")):
            pending = t.value  # a relation not inside a noun phrase is a placement: "move it left of the blue one"
            j += 1
            continue
        m, k = parse_np(tokens, j)
        if m is None:
            if t.kind == L.WORD:
                unknown.append(t.word)
            j += 1
            continue
        if m.noun == "tower" and not m.colors and pending is None:  # "build a tower", "into a tower"
            tower = True
            j = k
            continue
        if pending is not None and dest is None and not (verb and verb.value == L.BUILD and pending in ("with", "of", "from", "using")):
            dest, dest_prep = m, pending
        else:
            objects.append(m)
        pending = None
        j = k
    return _Parts(verb.value if verb else None, objects, dest, dest_prep, direction, unknown, excepts_spans,
                  tower or (dest is not None and dest.noun == "tower"), excluded)


def _destination(parts: _Parts, scene: SceneDescription, ctx: Context) -> tuple | None:
    m, prep = parts.dest, parts.dest_prep
    if m is None:
        return None
    if prep in NOT_PLACES and parts.verb != L.TOUCH:
        raise Refuse(f"I can't put a block {NOT_PLACES[prep]} something: I can stack it on another block, "
                     f"put it in the tray or move it into a zone")
    if m.noun == "container":
        if not scene.has_tray:
            raise Refuse("there is no tray here")
        return ("tray",)
    if m.noun in ("zone", "zones"):
        return ("zone", resolve_zone(m, scene))
    if m.noun == "table":
        return ("table", prep)
    if m.noun == "tower":
        return ("tower",)
    if m.noun in ("cylinder", "sphere") or (m.colors and m.colors[0] not in scene.blocks
                                             and any(n.split()[0] == m.colors[0] for n in scene.distractors)):
        what = next((n for n in scene.distractors if n.split()[0] in m.colors or n.split()[-1] == m.noun),
                    " ".join(m.color_words + [m.noun or "object"]))
        raise Refuse(f"I can't put anything on or in the {what}: I can stack a block on another block, "
                     f"put it in the tray or move it into a zone")
    if parts.verb == L.TOUCH:
        return ("touch_target",)
    if m.ref == "self":
        return ("self",)
    bases = resolve_blocks(m, scene, ctx)
    if len(bases) != 1:
        raise Ask(f"on which block: {join_words([f'the {c} one' for c in bases], 'or')}?")
    return ("block", bases[0])


def _family(parts: _Parts, dest: tuple | None, direction: str | None) -> str:
    verb, kind = parts.verb, dest[0] if dest else None
    if verb == L.TOUCH:
        return "touch"
    if verb == L.BUILD:
        return "stack" if kind == "block" else "tower"
    if kind == "table" and (direction is not None or dest[1] in ("along", "across")):
        kind = None  # "slide it to the right along the table": the table is where, not whither
    if kind == "table":
        if dest[1] in ("off", "above", "from", "up", "over") or verb == L.PICK:
            return "pick"
        raise Refuse("I can't put a block down on the table; " + SKILLS)
    if kind == "tray":
        return "place"
    if kind == "zone":
        return "zone"
    if kind in ("block", "self"):
        return "stack"
    if kind == "tower":
        return "tower"
    if verb == L.STACK:
        return "tower"
    if direction is not None and verb in (L.PUSH, L.MOVE, L.PUT, None):
        return "push"
    if verb == L.PICK:
        return "pick"
    if verb == L.PUSH:
        return "push?"
    if verb in (L.PUT, L.MOVE):
        return "where?"
    raise NotUnderstood(" ".join(parts.unknown))


def _objects(parts: _Parts, family: str, dest: tuple | None, scene: SceneDescription, ctx: Context) -> list[str]:
    mentions = parts.objects
    if family == "touch" and not mentions and parts.dest is not None:
        mentions = [parts.dest]
    if not mentions:
        if family == "tower" and (parts.verb == L.STACK or (parts.verb == L.BUILD and parts.tower)):
            return list(scene.block_colors)
        if parts.verb == L.BUILD:
            raise Ask(f"what should I build? The only thing I build is a tower of the blocks ({block_names(scene)})")
        verb = VERB_WORDS.get(parts.verb or "", "move")
        raise Ask(f"which block should I {verb}? I see {block_names(scene)} ones")
    colors: list[str] = []
    for m in mentions:
        colors += [c for c in resolve_blocks(m, scene, ctx) if c not in colors]
    for m in parts.excluded or ():
        colors = [c for c in colors if c not in resolve_blocks(m, scene, ctx)]
    if not colors:
        raise Refuse("that leaves no block to act on")
    return colors


def negated_blocks(clause: Clause, scene: SceneDescription, ctx: Context) -> list[str]:
    """The blocks a negated clause names ("don't touch anything" -> all of them); [] when it names none
    that can be told (its words are still reported)."""
    try:
        parts = _parts(clause.tokens)
    except Refuse:
        return []
    mentions = parts.objects or ([parts.dest] if parts.dest is not None and parts.verb == L.TOUCH else [])
    if not mentions and parts.verb is not None and not parts.unknown:
        return list(scene.block_colors)  # "never push", "don't touch": nothing at all
    colors: list[str] = []
    for m in mentions:
        try:
            colors += [c for c in resolve_blocks(m, scene, ctx) if c not in colors]
        except (Ask, Refuse):
            continue
    return colors


def _drafts(family: str, colors: list[str], dest, direction, parts: _Parts, scene: SceneDescription) -> list[Draft]:
    if family == "where?":
        zones = f" ({join_words(scene.zone_colors, 'or')})" if scene.zone_colors else ""
        raise Ask(f"where should I {VERB_WORDS[parts.verb]} the {join_words(colors)} block"
                  f"{'s' if len(colors) > 1 else ''}: in the tray, on another block, or in a zone{zones}?")
    if family == "push?":
        raise Ask(f"which way should I push the {join_words(colors)} block: left, right, forward or back "
                  f"(as seen from the front camera)?")
    if family in ("pick", "place", "touch"):
        return [Draft(family, {"object": c}, None) for c in colors]
    if family == "zone":
        return [Draft("zone", {"object": c, "zone": dest[1]}, None) for c in colors]
    if family == "push":
        return [Draft("push", {"object": c, "direction": direction}, None) for c in colors]
    if family == "stack":
        if dest[0] == "self":
            raise Refuse(f"I can't stack the {colors[0]} block on itself")
        base = dest[1]
        todo = [c for c in colors if c != base]
        if not todo:
            raise Refuse(f"I can't stack the {base} block on itself")
        out, below = [], base
        for c in todo:
            out.append(Draft("stack", {"object": c, "base": below}, None))
            below = c
        return out
    # tower: the first block named (or the scene's first) at the bottom
    if len(colors) < 2:
        raise Ask(f"which block should I stack the {colors[0]} block on? I see {block_names(scene)} ones")
    return [Draft("stack", {"object": c, "base": b}, None) for b, c in zip(colors, colors[1:])]


def _words_for(text: str, clause: Clause, parts: _Parts, d: Draft) -> str | None:
    """The clause's words for one step: object and base phrases that are not one explicit colour are
    replaced by the block they resolved to."""
    edits: list[tuple[int, int, str]] = []
    objs = parts.objects or ([parts.dest] if d.task == "touch" and parts.dest is not None else [])
    if objs and not (len(objs) == 1 and objs[0].simple):
        edits.append((objs[0].start, objs[-1].end, f"the {d.args['object']} block"))
    if d.task == "stack" and parts.dest is not None and not parts.dest.simple:
        edits.append((parts.dest.start, parts.dest.end, f"the {d.args['base']} block"))
    edits += [(s, e, "") for s, e in parts.cut]
    out, pos = [], clause.start
    for s, e, rep in sorted(edits):
        if s < pos:
            return None
        out += [text[pos:s], rep]
        pos = e
    out.append(text[pos:clause.end])
    words = _SPACES.sub(" ", "".join(out)).strip(" ,;.:!?")
    return words or None


def _remember(ctx: Context, drafts: list[Draft], colors: list[str], dest) -> None:
    if dest and dest[0] == "block":
        ctx.note([dest[1]])
    ctx.note(colors)
    if drafts:
        ctx.last = drafts[-1].args["object"]
    ctx.group = list(colors) if len(colors) > 1 else []


_SPACES = re.compile(r"\s+")
