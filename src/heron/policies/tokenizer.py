"""Instruction tokenizer: the `tokenizers` library over ``tokenizer.json`` (no torch, no transformers),
shared by training and both runtimes so that every path tokenizes identically."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from heron.policies.schema import MAX_INSTRUCTION_CHARS


class InstructionError(ValueError):
    """An instruction the policy cannot take (empty, too long, not text)."""


def validate_instruction(text) -> str:
    if not isinstance(text, str):
        raise InstructionError(f"instruction must be text, got {type(text).__name__}")
    text = " ".join(text.split())
    if not text:
        raise InstructionError("instruction is empty")
    if len(text) > MAX_INSTRUCTION_CHARS:
        raise InstructionError(f"instruction is {len(text)} characters; at most {MAX_INSTRUCTION_CHARS} are accepted")
    return text


class Tokenizer:
    """Fast tokenizer from ``tokenizer.json`` (the `tokenizers` library, no transformers needed)."""

    def __init__(self, folder: str | Path, max_tokens: int):
        from tokenizers import Tokenizer as HFTokenizer

        path = Path(folder) / "tokenizer.json"
        if not path.is_file():
            raise FileNotFoundError(f"tokenizer file not found: {path}")
        self.max_tokens = max_tokens
        self._tok = HFTokenizer.from_file(str(path))
        self._tok.no_padding()
        self._tok.no_truncation()
        self.pad_id = self._tok.token_to_id("[PAD]") or 0

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """text -> (input_ids int64 (1, L), attention_mask int64 (1, L)), L = max_tokens."""
        text = validate_instruction(text)
        ids = self._tok.encode(text.lower()).ids
        if len(ids) > self.max_tokens:
            warnings.warn(f"instruction truncated from {len(ids)} to {self.max_tokens} tokens: {text!r}", stacklevel=2)
            ids = ids[: self.max_tokens - 1] + ids[-1:]  # keep the [SEP] token
        out = np.full((1, self.max_tokens), self.pad_id, dtype=np.int64)
        mask = np.zeros((1, self.max_tokens), dtype=np.int64)
        out[0, : len(ids)] = ids
        mask[0, : len(ids)] = 1
        return out, mask


