"""Corrections inside one utterance: "no wait", "sorry", "actually", "I mean" replace what came before.

    "put the red block in the bowl, no wait, the green one"       -> "put the green one in the bowl"
    "push the blue cube left, sorry, right"                        -> "push the blue cube right"
    "put the red block in the bowl, actually put it on the green one" -> "put the red block on the green one"
    "put the red block in the bowl, no wait"                       -> "" (taken back: nothing to do)

A correction replaces the last clause before it. With a verb of its own it replaces the whole
clause ("it" becomes the block that clause named); without one it replaces the part it names: a
block (the most recently named block: the object, or the base of a stack), a place (the tray or
a zone) or a direction. A marker with nothing before it is politeness ("sorry, could you ...").
The result is plain text, read by the rules like anything the person typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from heron.language import lexicon as L
from heron.language.clauses import Token, split_clauses, tokenize
from heron.language.mentions import Mention, parse_np

PLACE_NOUNS = ("container", "zone", "zones", "table")
_CONTENT = (L.VERB, L.COLOR, L.NOUN, L.PRON, L.QUANT, L.DIR, L.WORD, L.REL)


@dataclass
class _Slots:
    verb_end: int | None = None
    obj: Mention | None = None
    dest: tuple[int, Mention] | None = None  # (start of the preposition, the place or base)
    direction: tuple[int, int] | None = None


def apply_corrections(text: str) -> tuple[str, list[str]]:
    """The utterance with its corrections applied, and a note per correction (empty when none)."""
    tokens = tokenize(text)
    marks = [i for i, t in enumerate(tokens) if t.kind == L.CORR]
    if not marks:
        return text, []
    pieces, prev = [], 0
    for i in marks:
        pieces.append(_span(text, tokens[prev:i]))
        prev = i + 1
    pieces.append(_span(text, tokens[prev:]))
    # "sorry, I mean ...": markers in a row are one correction
    pieces = [pieces[0]] + [p for p in pieces[1:-1] if _has_content(p)] + [pieces[-1]]
    out, notes = pieces[0], []
    for piece in pieces[1:]:
        if not _has_content(out):
            out = piece  # "sorry, put the red block in the bowl": politeness
            continue
        before = out
        out = correct(out, piece)
        notes.append(f"corrected: {before!r} -> {out!r}" if out else f"taken back: {before!r}")
    return out, notes


def correct(before: str, fix: str) -> str:
    """``before`` with its last clause corrected by ``fix``."""
    clauses = split_clauses(tokenize(before))
    if not clauses:
        return fix
    last = clauses[-1]
    head, clause = before[:last.start], before[last.start:last.end]
    fix_tokens = tokenize(fix)
    if not _has_content(fix):
        return head.rstrip(" ,;.:!?").removesuffix(" and").removesuffix(" then").strip()
    old = _slots(tokenize(clause))
    if any(t.kind in (L.VERB, L.NEG) for t in fix_tokens):
        return head + _resolve_pronouns(fix, fix_tokens, clause, old)
    new = _slots(fix_tokens)
    if new.obj is None and new.dest is None and new.direction is None:
        return head + fix  # nothing it could replace: read it on its own
    edits: list[tuple[int, int, str]] = []  # spans of ``clause`` to replace
    tail: list[str] = []
    if new.direction is not None:
        d = fix[new.direction[0]:new.direction[1]]
        if old.direction is not None:
            edits.append((*old.direction, d))
        else:
            tail.append(d)
    if new.dest is not None:
        words = fix[new.dest[0]:new.dest[1].end]
        bare = new.dest[0] == new.dest[1].start  # "sorry, the yellow zone": the place without its preposition
        if old.dest is not None:
            edits.append((old.dest[1].start if bare else old.dest[0], old.dest[1].end, words))
        else:
            tail.append(("in " if bare else "") + words)
    if new.obj is not None:
        words = fix[new.obj.start:new.obj.end]
        if old.dest is not None and not _is_place(old.dest[1]) and new.dest is None:
            edits.append((old.dest[1].start, old.dest[1].end, words))  # the base: the block named last
        elif old.obj is not None:
            edits.append((old.obj.start, old.obj.end, words))
        elif old.verb_end is not None:
            edits.append((old.verb_end, old.verb_end, " " + words))
        else:
            tail.insert(0, words)
    for s, e, words in sorted(edits, reverse=True):
        clause = clause[:s] + words + clause[e:]
    return head + " ".join([clause.rstrip(" ,;.:!?")] + tail)


def _span(text: str, tokens: list[Token]) -> str:
    return text[tokens[0].start:tokens[-1].end].strip(" ,;.:!?") if tokens else ""


def _has_content(text: str) -> bool:
    return any(t.kind in _CONTENT for t in tokenize(text))


def _is_place(m: Mention) -> bool:
    return m.noun in PLACE_NOUNS


def _slots(tokens: list[Token]) -> _Slots:
    """Where a clause names its object, its destination and its direction (character spans)."""
    out, pending, j = _Slots(), None, 0
    while j < len(tokens):
        t = tokens[j]
        if t.kind == L.VERB:
            out.verb_end = out.verb_end or t.end
        elif t.kind == L.DIR:
            out.direction = out.direction or (t.start, t.end)
        elif t.kind == L.PREP:
            pending = pending or t
        else:
            m, k = parse_np(tokens, j)
            if m is not None:
                if pending is not None and out.dest is None:
                    out.dest = (pending.start, m)
                elif out.obj is None and not _is_place(m):
                    out.obj = m
                elif out.dest is None:
                    out.dest = (m.start, m)  # "the red block in the bowl" without its preposition
                pending, j = None, k
                continue
        j += 1
    return out


def _resolve_pronouns(fix: str, tokens: list[Token], clause: str, old: _Slots) -> str:
    """"actually put it on the green one": "it" is the block the corrected clause named."""
    if old.obj is None or old.obj.ref is not None:
        return fix
    named = clause[old.obj.start:old.obj.end]
    for t in reversed(tokens):
        if t.kind == L.PRON and t.value in ("last", "group"):
            fix = fix[:t.start] + named + fix[t.end:]
    return fix
