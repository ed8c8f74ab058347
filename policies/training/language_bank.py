"""Frozen-encoder features computed once per distinct instruction (training reads them by index)."""

from __future__ import annotations

import numpy as np
import torch

from policies.language import Tokenizer, tokenizer_dir


class LanguageBank:
    def __init__(self, model, instructions: list[str]):
        cfg = model.cfg.language
        self.tokenizer = Tokenizer(tokenizer_dir(cfg), cfg.max_tokens)
        self.index = {text: i for i, text in enumerate(sorted(set(instructions)))}
        if not self.index:
            raise ValueError("no instructions: the dataset has no episodes")
        ids, masks = zip(*(self.tokenizer(t) for t in self.index))
        self.ids = torch.from_numpy(np.concatenate(ids))
        self.mask = torch.from_numpy(np.concatenate(masks))
        self.frozen = cfg.frozen
        self.features = None
        if self.frozen:
            with torch.no_grad():
                self.features = torch.cat([model.encode_instruction(self.ids[i:i + 256], self.mask[i:i + 256])
                                           for i in range(0, len(self.ids), 256)])

    def lookup(self, model, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.tensor([self.index[t] for t in texts])
        if self.features is not None:
            return self.features[idx], self.mask[idx]
        return model.encode_instruction(self.ids[idx], self.mask[idx]), self.mask[idx]

    def __len__(self) -> int:
        return len(self.index)
