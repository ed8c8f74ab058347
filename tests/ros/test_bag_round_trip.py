"""Live round trip: heron-sim-node + heron-policy-node (the scripted expert as the operator) over ROS 2,
recorded by heron-record, imported with configs/data/heron_sim_bag.yaml, trained a few steps, exported
and evaluated in the simulator."""

from __future__ import annotations

import json

import numpy as np

from heron.bench.ros import run_bench
from heron.data import DemoDataset
from heron.data.rosbag import BagImportConfig, import_bag


def test_record_import_train_evaluate(ros_env, tmp_path):
    # the worked example's recording command: python -m heron.bench.ros --policy expert --record BAG (heron-record
    # beside both nodes, every episode's topics subscribed before the first task)
    # in a randomised scene variant, whose draw the import keeps so that each episode can be replayed
    result = run_bench("expert", "sensors", "touch,pick", 2, int(ros_env["ROS_DOMAIN_ID"]), step_mode="clock", seed=3,
                       record=tmp_path / "bag", randomize="configs/collect/table_color.yaml")
    finals = result["episodes_detail"]
    print(json.dumps(finals))
    assert (tmp_path / "bag" / "metadata.yaml").is_file() and [f["task"] for f in finals] == ["touch", "pick"]

    summary = import_bag(BagImportConfig(str(tmp_path / "bag"), str(tmp_path / "demos")))
    assert summary["episodes"] == 2 and summary["sim_compatible"], summary
    ds = DemoDataset(tmp_path / "demos")
    for info, final in zip(ds.episodes, finals):
        assert (info.instruction, info.task, info.args["object"], info.seed, info.success) == (
            final["instruction"], final["task"], final["args"]["object"], final["seed"], final["success"])
        assert abs(info.num_steps - final["steps"]) <= 1, (info.num_steps, final["steps"])  # one step per sim step
        assert 0 <= info.scene["randomization"]["table_blend"] <= 0.8
    from heron.envs import tabletop as sim

    replay = sim.make_env(task="touch")  # the stored draw replays on a plain env: the same table
    replay.reset(seed=3, options={"scene_draw": ds.episodes[0].scene["randomization"]})
    assert replay.draw.table_blend == ds.episodes[0].scene["randomization"]["table_blend"]
    replay.close()
    for ep in ds:
        assert ep.rgb_front.shape[1:] == (96, 96, 3) and np.all(np.isfinite(ep.proprio))
        assert np.all(np.abs(ep.actions) <= 1) and set(np.unique(ep.actions[:, 4])) <= {-1.0, 1.0}
        np.testing.assert_allclose(np.linalg.norm(ep.proprio[:, 18:22], axis=1), 1.0, atol=1e-4)  # ee quaternion
    assert ds[0].actions[:, 4].max() == 1.0  # the expert touches with the gripper closed

    from heron.evaluation.evaluate import evaluate
    from heron.policies.export import export_policy
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    cfg = load_train_config("configs/train/tiny.yaml", [f"data={tmp_path / 'demos'}", f"out={tmp_path / 'run'}", "steps=3",
                                                        "val_fraction=0", "policy_overrides=[image_size=96]"])
    Trainer(cfg, progress=False).fit()
    export_policy(tmp_path / "run" / "final", tmp_path / "onnx")
    result = evaluate(str(tmp_path / "onnx"), suite="seen", episodes=1, workers=1, tasks=["touch"], runtime="onnx")
    print(json.dumps({"imported": summary, "eval": result["overall"]}))
    assert len(result["episodes"]) == 1 and result["episodes"][0]["steps"] > 0
