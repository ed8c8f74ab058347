"""Frozen-encoder features computed once per distinct instruction (training reads them by index)."""

from __future__ import annotations

import numpy as np
import torch

from heron.policies.language import Tokenizer, tokenizer_dir


def _device(model) -> torch.device:
    return next(model.parameters()).device


def drop_words(text: str, p: float, rng: np.random.Generator) -> str:
    """Each word dropped with probability p; at least one word stays."""
    words = text.split()
    kept = [w for w in words if rng.random() >= p]
    return " ".join(kept) if kept else words[int(rng.integers(len(words)))]


class LanguageBank:
    """Features of every instruction, plus its training variants (precomputed like the originals);
    with ``augment`` a lookup draws the original or one variant per sample, so the policy cannot key
    on every word of the few phrasings in the data. Variants:

    - ``paraphrases``: instruction -> other phrasings of the same task (the dataset's paraphrases.json);
    - ``word_dropout`` > 0: up to ``variants`` copies of each with words dropped.
    """

    def __init__(self, model, instructions: list[str], word_dropout: float = 0.0, variants: int = 0, seed: int = 0,
                 paraphrases: dict[str, list[str]] | None = None):
        cfg = model.cfg.language
        self.tokenizer = Tokenizer(tokenizer_dir(cfg), cfg.max_tokens)
        originals = sorted(set(instructions))
        if not originals:
            raise ValueError("no instructions: the dataset has no episodes")
        rng = np.random.default_rng(seed)
        texts: list[str] = list(originals)
        self.choices: dict[str, list[int]] = {text: [i] for i, text in enumerate(originals)}  # [original, variants...]
        index = {text: i for i, text in enumerate(texts)}

        def add(text: str, variant: str) -> None:
            if variant != text:
                if variant not in index:
                    index[variant] = len(texts)
                    texts.append(variant)
                if index[variant] not in self.choices[text]:
                    self.choices[text].append(index[variant])

        for text in originals:
            phrasings = [text, *(paraphrases or {}).get(text, [])]
            for p in phrasings:
                add(text, p)
            if word_dropout > 0:
                for p in phrasings:
                    for variant in dict.fromkeys(drop_words(p, word_dropout, rng) for _ in range(variants)):
                        add(text, variant)
        ids, masks = zip(*(self.tokenizer(t) for t in texts))
        self.ids = torch.from_numpy(np.concatenate(ids))
        self.mask = torch.from_numpy(np.concatenate(masks))
        self.frozen = cfg.frozen
        self.features = None
        if self.frozen:
            dev = _device(model)
            with torch.no_grad():  # held on the CPU; the trainer moves each batch's rows to the model's device
                self.features = torch.cat([model.encode_instruction(self.ids[i:i + 256].to(dev), self.mask[i:i + 256].to(dev)).cpu()
                                           for i in range(0, len(self.ids), 256)])

    def lookup(self, model, texts: list[str], augment: bool = False, gen: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if augment:
            picks = [self.choices[t] for t in texts]
            r = torch.rand(len(texts), generator=gen).tolist()
            idx = torch.tensor([c[min(int(x * len(c)), len(c) - 1)] for c, x in zip(picks, r)])
        else:
            idx = torch.tensor([self.choices[t][0] for t in texts])
        if self.features is not None:
            return self.features[idx], self.mask[idx]
        dev = _device(model)
        return model.encode_instruction(self.ids[idx].to(dev), self.mask[idx].to(dev)), self.mask[idx]

    def __len__(self) -> int:
        return len(self.choices)
