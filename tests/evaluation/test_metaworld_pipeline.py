"""Meta-World end to end, small: collect 2 demonstrations, train 3 steps on the data's own features, export to
ONNX with the parity check, run an episode through ONNX Runtime in the benchmark's harness; a policy whose
features don't fit the env fails naming both."""

from __future__ import annotations

import json

import pytest

from heron.data import DemoDataset, read_meta


@pytest.fixture(scope="module")
def mw_policy(tmp_path_factory):
    from heron.collection.metaworld import collect_metaworld
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    root = tmp_path_factory.mktemp("mw")
    summary = collect_metaworld("reach", episodes_per_task=2, out=root / "demos", workers=1, image_size=64, progress=False)
    assert summary["episodes_written"] == 2 and summary["episodes_failed"] == 0
    again = collect_metaworld("reach", episodes_per_task=2, out=root / "demos", workers=1, image_size=64, progress=False)
    assert again["episodes_resumed"] == 2 and again["episodes_written"] == 0  # resumed, nothing rewritten
    cfg = load_train_config("configs/train/tiny.yaml", [f"data={root / 'demos'}", f"out={root / 'run'}", "steps=3",
                                                         "val_fraction=0"])
    Trainer(cfg, progress=False).fit()
    return root


def test_demonstrations_record_the_envs_features(mw_policy):
    demos = DemoDataset(mw_policy / "demos")
    ep = demos[0]
    assert set(ep.images) == {"rgb_corner2"} and ep.images["rgb_corner2"].shape[1:] == (64, 64, 3)
    assert ep.proprio.shape[1] == 4 and ep.actions.shape[1] == 4 and ep.instruction == "Reach a goal position"
    assert read_meta(mw_policy / "demos")["features"]["actions"] == ["dx", "dy", "dz", "gripper"]


def test_training_builds_the_model_for_the_data(mw_policy):
    cfg = json.loads((mw_policy / "run" / "final" / "config.json").read_text())["policy"]
    assert cfg["cameras"] == ["rgb_corner2"] and cfg["image_size"] == 64
    assert (cfg["proprio_dim"], cfg["action_dim"]) == (4, 4)
    assert cfg["state_names"] == ["hand_x", "hand_y", "hand_z", "gripper"]


def test_export_with_parity_and_an_episode_through_onnx_runtime(mw_policy):
    from heron.evaluation.metaworld import evaluate_metaworld
    from heron.policies.export import export_policy

    spec = export_policy(mw_policy / "run" / "final", mw_policy / "onnx")
    spec = json.loads((mw_policy / "onnx" / "spec.json").read_text())
    assert spec["inputs"]["images"]["cameras"] == ["rgb_corner2"] and spec["inputs"]["proprio"]["shape"][-1] == 4
    assert spec["parity"]["max_abs_diff"] < 1e-3
    assert spec["policy"]["action_names"] == ["dx", "dy", "dz", "gripper"]
    result = evaluate_metaworld(str(mw_policy / "onnx"), "reach", episodes=1, workers=1, progress=False,
                                json_path=mw_policy / "eval" / "mw.json")
    (record,) = result["episodes"]
    assert record["seed"] == 1000 and 1 <= record["steps"] <= 500
    assert result["groups"]["easy"]["episodes"] == 1 and (mw_policy / "eval" / "mw.png").is_file()


def test_a_policy_that_does_not_fit_the_env_names_both(tiny_onnx):
    from heron.evaluation.metaworld import evaluate_metaworld

    with pytest.raises(RuntimeError, match=r"cameras: policy \['rgb_front', 'rgb_wrist'\], environment \['rgb_corner2'\]"):
        evaluate_metaworld(str(tiny_onnx), "reach", episodes=1, workers=1, progress=False)
