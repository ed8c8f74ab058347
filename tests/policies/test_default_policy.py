"""The shipped default: ONNX parity on recorded observations and the same closed-loop outcomes."""

from __future__ import annotations

import json

import pytest

from heron.runtime.factory import DEFAULT_POLICY_DIR, onnx_dir_for


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A few real expert episodes from the simulator, as `heron collect` records them."""
    from heron.collection.collect import collect

    out = tmp_path_factory.mktemp("recorded") / "demos"
    collect(tasks="pick,place,push", episodes=3, out=str(out), workers=1, seed=500, progress=False)
    return out


def test_default_policy_folder_is_complete_and_small():
    for name in ("config.json", "model.safetensors", "stats.json", "train_config.json"):
        assert (DEFAULT_POLICY_DIR / name).is_file(), name
    total = sum(f.stat().st_size for f in DEFAULT_POLICY_DIR.iterdir())
    assert total <= 30 * 1024 * 1024
    assert json.loads((DEFAULT_POLICY_DIR / "config.json").read_text())["policy"]["name"] == "small"


def test_default_onnx_parity_on_recorded_observations(recorded):
    from heron.cli.export import recorded_inputs
    from heron.policies.checkpoint import load_policy_model
    from heron.policies.export import check_parity

    model = load_policy_model("default")
    parity = check_parity(model, onnx_dir_for(DEFAULT_POLICY_DIR), recorded_inputs(model, str(recorded), n=12))
    assert parity["max_abs_diff"] <= 1e-4


def test_default_same_closed_loop_outcome_torch_and_onnx():
    from heron.cli.export import closed_loop_parity

    result = closed_loop_parity("default", str(onnx_dir_for(DEFAULT_POLICY_DIR)), episodes=6)
    assert result["same_outcomes"], result
