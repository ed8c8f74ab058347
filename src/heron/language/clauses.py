"""Tokens and clauses: text -> tokens with character spans -> clauses in the order they are to run.

"before you stack it on the blue one, lift the red block" -> [lift the red block] [stack it on the blue one]
Ordering words: "first ... then", "after that", "next", "finally", "before (you) ...", "after (you) ...",
"but before that ...". A clause without a verb after a comma or "and" continues the previous clause's
object list ("touch the red block, the blue block and the green one"); after "then" it reuses the previous
verb ("pick up the red block, then the blue one"). A negation ("don't", "never", "do not") marks its
clause ``negated`` and, after a clause that has a verb, starts a clause of its own ("put the red
block in the bowl but don't touch the blue one").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from heron.language import lexicon as L

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:\.\d+)?|[,;.!?:]")
_MAX_PHRASE = max(len(k) for k in L.PHRASES)
_NOUN_AFTER = {"a", "an", "the", "into", "in", "one", "this", "that", "my", "your"}


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    start: int  # character span in the original text
    end: int
    word: str  # the original words, lower case


@dataclass
class Clause:
    tokens: list[Token]
    marker: str | None = None  # "before", "after", "before_that": a subordinate clause
    boundary: str = "start"  # what separated it from the previous clause: start, seq, comma, and, marker
    inherits: bool = False  # no verb of its own: reuses the previous clause's verb (and destination)
    partner: "Clause | None" = None  # the other clause of a before/after pair ("... after lifting it")
    negated: bool = False  # "don't touch the red block": what not to do

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    def has(self, *kinds: str) -> bool:
        return any(t.kind in kinds for t in self.tokens)


def _verb_of(word: str) -> str | None:
    if word in L.VERBS:
        return L.VERBS[word]
    candidates = []
    if word.endswith("ing"):
        candidates = [word[:-3], word[:-3] + "e", word[:-4]]
    elif word.endswith("ed"):
        candidates = [word[:-2], word[:-1], word[:-3]]
    elif word.endswith("es"):
        candidates = [word[:-2], word[:-1]]
    elif word.endswith("s"):
        candidates = [word[:-1]]
    for c in candidates:
        if len(c) >= 3 and c in L.VERBS:
            return L.VERBS[c]
    return None


def _classify(word: str, prev: str | None) -> tuple[str, str]:
    if word in L.VERBS and word in L.NOUNS:  # "stack", "pile": a noun after a determiner
        return (L.NOUN, L.NOUNS[word]) if prev in _NOUN_AFTER else (L.VERB, L.VERBS[word])
    if word in L.COLORS:
        return L.COLOR, L.COLORS[word]
    if word in L.NOUNS:
        return L.NOUN, L.NOUNS[word]
    if word in L.VERBS:
        return L.VERB, L.VERBS[word]
    if word in L.DIRECTIONS:
        return L.DIR, L.DIRECTIONS[word]
    if word in L.PRONOUNS:
        return L.PRON, L.PRONOUNS[word]
    if word in L.QUANTS:
        return L.QUANT, "all"
    if word in L.EXCEPTS:
        return L.EXCEPT, "except"
    if word in L.PREPS:
        return L.PREP, word
    if word in L.FILLERS:
        return L.FILLER, word
    verb = _verb_of(word)
    if verb is not None:
        return L.VERB, verb
    return L.WORD, word


def tokenize(text: str) -> list[Token]:
    """Words and punctuation with spans; known phrases become one token (longest match first)."""
    raw = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
    out: list[Token] = []
    i = 0
    while i < len(raw):
        word, start, end = raw[i]
        if word in ",;.!?:":
            out.append(Token(L.SEP, word, start, end, word))
            i += 1
            continue
        for n in range(min(_MAX_PHRASE, len(raw) - i), 0, -1):
            words = tuple(w for w, _, _ in raw[i:i + n])
            if n > 1 and any(w in ",;.!?:" for w in words):
                continue
            if words in L.PHRASES:
                kind, value = L.PHRASES[words]
                out.append(Token(kind, value, start, raw[i + n - 1][2], " ".join(words)))
                i += n
                break
        else:
            kind, value = _classify(word, out[-1].word if out else None)
            out.append(Token(kind, value, start, end, word))
            i += 1
    return out


def split_clauses(tokens: list[Token]) -> list[Clause]:
    """Cut at separators and sequencing words; "and" cuts only before a verb or ordering word."""
    clauses: list[Clause] = []
    cur: list[Token] = []
    marker, boundary, negated = None, "start", False

    def close(next_boundary: str, next_marker: str | None = None):
        nonlocal cur, marker, boundary, negated
        if cur:
            clauses.append(Clause(cur, marker, boundary, negated=negated))
            boundary, marker, negated = next_boundary, next_marker, False
        else:  # nothing since the last cut (", then"): the stronger boundary wins, a marker sticks
            if next_marker is not None:
                marker = next_marker
            if clauses and next_boundary in ("seq", "marker"):
                boundary = next_boundary
        cur = []

    for i, tok in enumerate(tokens):
        if tok.kind == L.NEG:
            while cur and cur[-1].kind in (L.EXCEPT, L.AND, L.FILLER):  # "... but don't", "... and never"
                cur.pop()
            if any(t.kind == L.VERB for t in cur):
                close("and")
            negated = True
        elif tok.kind == L.CORR:
            continue  # corrections are applied before (corrections.py); a stray marker is politeness
        elif tok.kind == L.SEP:
            close("comma" if tok.value in ",:" else "seq")
        elif tok.kind in (L.SEQ, L.FIRST):
            close("seq")
        elif tok.kind in (L.BEFORE, L.AFTER):
            close("marker", tok.value)
        elif tok.kind == L.AND and (_next_starts_clause(tokens, i + 1) or _gapped(cur, tokens, i + 1)):
            close("and")
        else:
            cur.append(tok)
    close("seq")
    return _join_verbless(clauses)


def _next_starts_clause(tokens: list[Token], i: int) -> bool:
    for tok in tokens[i:]:
        if tok.kind == L.FILLER:
            continue
        return tok.kind in (L.VERB, L.SEQ, L.BEFORE, L.AFTER, L.FIRST)
    return False


def _gapped(cur: list[Token], tokens: list[Token], i: int) -> bool:
    """ "move the red block to the green zone and the blue one to the tray": a second object with its own
    destination after a clause that has a verb and a destination."""
    if not any(t.kind == L.VERB for t in cur) or not any(t.kind in (L.PREP, L.DIR) for t in cur):
        return False
    saw_object = False
    for tok in tokens[i:]:
        if tok.kind in (L.SEP, L.SEQ, L.AND, L.BEFORE, L.AFTER):
            return False
        if tok.kind in (L.COLOR, L.NOUN, L.PRON) and not saw_object:
            saw_object = True
        elif tok.kind in (L.PREP, L.DIR) and saw_object:
            return True
    return False


def _join_verbless(clauses: list[Clause]) -> list[Clause]:
    """Drop clauses with nothing in them; a verbless one continues or reuses the previous clause."""
    out: list[Clause] = []
    for c in clauses:
        has_object = c.has(L.COLOR, L.NOUN, L.PRON, L.QUANT, L.REL)
        if not c.has(L.VERB) and not has_object and not c.has(L.WORD, L.DIR):
            continue  # "using a closed gripper," / "please"
        if c.has(L.VERB) or not out:
            out.append(c)
            continue
        has_goal = c.has(L.DIR) or any(t.kind == L.PREP for t in c.tokens)
        if c.boundary in ("comma", "and") and c.marker is None and not has_goal and not c.negated:
            prev = out[-1]
            glue = Token(L.AND, "and", c.start, c.start, ",")
            out[-1] = Clause(prev.tokens + [glue] + c.tokens, prev.marker, prev.boundary, prev.inherits,
                             negated=prev.negated)
        else:
            c.inherits = True
            out.append(c)
    return out


def order_clauses(clauses: list[Clause]) -> list[Clause]:
    """Execution order: a "before" clause runs after its partner, an "after" clause before it."""
    n = len(clauses)
    partner_of: dict[int, int] = {}
    for i, c in enumerate(clauses):
        if c.marker is None:
            continue
        if c.marker == "before_that":
            j = i - 1
        elif i == 0 or c.boundary == "seq":
            j = i + 1
        else:
            j = i - 1
        if 0 <= j < n and clauses[j].marker is None and j not in partner_of.values() and j not in partner_of:
            partner_of[i] = j
    out: list[Clause] = []
    done: set[int] = set()
    for i, c in enumerate(clauses):
        if i in done:
            continue
        pair = next(((m, p) for m, p in partner_of.items() if i in (m, p)), None)
        if pair is None:
            out.append(c)
            done.add(i)
            continue
        marked, partner = pair
        first, second = ((partner, marked) if clauses[marked].marker == "before" else (marked, partner))
        clauses[first].partner, clauses[second].partner = clauses[second], clauses[first]
        out += [clauses[first], clauses[second]]
        done.update(pair)
    return out
