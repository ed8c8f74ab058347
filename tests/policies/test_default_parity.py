"""The shipped default gives the same actions after the move to one package as before it: ONNX Runtime on
fixed observations, against the chunks recorded with the code before the move (commit 386250a)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RECORDED = Path(__file__).with_name("data") / "default_actions_before_move.json"


def fixed_observations() -> list[dict]:
    rng = np.random.default_rng(20261206)
    return [{"rgb_front": rng.integers(0, 256, (96, 96, 3), dtype=np.uint8),
             "rgb_wrist": rng.integers(0, 256, (96, 96, 3), dtype=np.uint8),
             "proprio": rng.normal(0, 0.3, 22).astype(np.float32)} for _ in range(3)]


def test_default_policy_actions_match_the_recording_before_the_move():
    from heron.runtime import load_policy

    records = json.loads(RECORDED.read_text())["records"]
    policy = load_policy("default", "onnx", threads=1)
    observations = fixed_observations()
    for i, rec in enumerate(records):
        policy.reset()
        policy.set_instruction(rec["instruction"])
        chunk = policy.act(observations[i % len(observations)]).chunk
        np.testing.assert_allclose(chunk, np.asarray(rec["chunk"], np.float32), atol=1e-5, err_msg=rec["instruction"])
