"""Live round trip: heron-sim-node + heron-policy-node (the scripted expert as the operator) over ROS 2,
recorded by heron-record, imported with configs/data/heron_sim_bag.yaml, trained a few steps, exported
and evaluated in the simulator."""

from __future__ import annotations

import json
import time

import numpy as np
import rclpy
from rclpy.context import Context

from policies.data import DemoDataset
from policies.data.rosbag import BagImportConfig, import_bag
from ros.bench import Operator, local_env, node_processes, start_node, stop_node

TASKS = [{"task": "touch", "args": {"object": "red"}, "seed": 3}, {"task": "pick", "args": {"object": "green"}, "seed": 4}]


def test_record_import_train_evaluate(ros_env, tmp_path):
    domain = int(ros_env["ROS_DOMAIN_ID"])
    env = local_env(domain, ros_env["ROS_LOG_DIR"])
    sim = {"task": "touch", "publish_expert": True, "step_mode": "clock"}  # the sim on its own 10 Hz clock, like a robot
    pol = {"policy": "expert", "control_rate_hz": 10.0, "control_trigger": "sensors"}
    finals = []
    with node_processes(env, sim, pol, tmp_path):
        rec = start_node("heron-record", {"output": str(tmp_path / "bag"), "discovery_period_s": 0.1}, env, tmp_path)
        ctx = Context()
        rclpy.init(context=ctx, domain_id=domain)
        op = Operator(ctx)
        try:
            op.wait_ready(timeout=120)
            # every topic an episode is cut from, this operator's task and instruction publishers included:
            # a task sent before the recorder subscribed would be missing from the bag
            needed = ("/heron/expert_action", "recording /heron/task ", "recording /heron/instruction ", "recording /heron/task_status ")
            op.wait(lambda: all(n in (tmp_path / "heron-record.log").read_text() for n in needed), 30, "the recorder's subscriptions")
            time.sleep(0.5)  # and for them to match
            for task in TASKS:
                finals.append(op.run_task(task, timeout=90))  # generous: a loaded machine runs slow
        finally:
            op.close()
            rclpy.shutdown(context=ctx)
            stop_node(rec)
    log = (tmp_path / "heron-record.log").read_text()
    print(json.dumps([{k: f[k] for k in ("task", "success", "steps")} for f in finals]))
    assert (tmp_path / "bag" / "metadata.yaml").is_file(), log[-2000:]

    summary = import_bag(BagImportConfig(str(tmp_path / "bag"), str(tmp_path / "demos")))
    assert summary["episodes"] == 2 and summary["sim_compatible"], summary
    ds = DemoDataset(tmp_path / "demos")
    for info, final, task in zip(ds.episodes, finals, TASKS):
        assert (info.instruction, info.task, info.args["object"], info.seed, info.success) == (
            final["instruction"], task["task"], task["args"]["object"], task["seed"], final["success"])
        assert abs(info.num_steps - final["steps"]) <= 1, (info.num_steps, final["steps"])  # one step per sim step
    for ep in ds:
        assert ep.rgb_front.shape[1:] == (96, 96, 3) and np.all(np.isfinite(ep.proprio))
        assert np.all(np.abs(ep.actions) <= 1) and set(np.unique(ep.actions[:, 4])) <= {-1.0, 1.0}
        np.testing.assert_allclose(np.linalg.norm(ep.proprio[:, 18:22], axis=1), 1.0, atol=1e-4)  # ee quaternion
    assert ds[0].actions[:, 4].max() == 1.0  # the expert touches with the gripper closed

    from agent.evaluate import evaluate
    from policies.export import export_policy
    from policies.training.config import load_train_config
    from policies.training.trainer import Trainer

    cfg = load_train_config("configs/train/tiny.yaml", [f"data={tmp_path / 'demos'}", f"out={tmp_path / 'run'}", "steps=3",
                                                        "val_fraction=0", "policy_overrides=[image_size=96]"])
    Trainer(cfg, progress=False).fit()
    export_policy(tmp_path / "run" / "final", tmp_path / "onnx")
    result = evaluate(str(tmp_path / "onnx"), suite="seen", episodes=1, workers=1, tasks=["touch"], runtime="onnx")
    print(json.dumps({"imported": summary, "eval": result["overall"]}))
    assert len(result["episodes"]) == 1 and result["episodes"][0]["steps"] > 0
