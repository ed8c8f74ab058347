"""The instruction encoder: the shipped MiniLM is verified; bad instructions are refused or truncated."""

from __future__ import annotations

import pytest

from heron.policies import language
from heron.policies.tokenizer import InstructionError, Tokenizer


def test_minilm_hash_is_verified():
    language.verify_minilm(language.minilm_path())


def test_minilm_hash_mismatch_is_refused(tmp_path):
    fake = tmp_path / "minilm"
    fake.mkdir()
    (fake / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="sha256"):
        language.verify_minilm(fake)


def test_tokenizer_pads_and_truncates_with_warning():
    tok = Tokenizer(language.minilm_path(), 8)
    ids, mask = tok("pick up the red block")
    assert ids.shape == (1, 8) and mask.sum() == 7  # [CLS] 5 words [SEP]
    with pytest.warns(UserWarning, match="truncated"):
        ids, mask = tok("please pick up the red block and then put it down gently")
    assert mask.sum() == 8 and ids[0, -1] == tok._tok.token_to_id("[SEP]")


@pytest.mark.parametrize("bad", ["", "   ", "x" * 300, None, 42])
def test_bad_instructions(bad):
    tok = Tokenizer(language.minilm_path(), 8)
    with pytest.raises(InstructionError):
        tok(bad)


def test_missing_tokenizer_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        Tokenizer(tmp_path, 8)
