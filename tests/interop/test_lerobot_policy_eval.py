"""``heron eval --policy lerobot:PATH``: a LeRobot policy, trained by LeRobot on data heron exported, evaluated
on heron's suites through the adapter (heron/runtime/lerobot_policy.py).

LeRobot trains a tiny ACT (``lerobot_side.py train``: LeRobot's own ACTPolicy, processors and dataset
reader, saved with ``save_pretrained``); the adapter must give exactly the actions LeRobot itself gives
for the same observations, and heron's evaluation must report it in the same schema as its own policy.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from heron.data import DemoDataset
from heron.data.lerobot_export import ExportConfig, export_lerobot
from heron.evaluation.evaluate import evaluate
from heron.runtime import load_policy
from heron.runtime.lerobot_policy import worker_env

SIDE = Path(__file__).with_name("lerobot_side.py")
STEPS = 8  # observations compared step by step: two ACT chunks of 4


def lerobot_side(*args: str) -> None:
    python = os.environ["HERON_LEROBOT_PYTHON"]
    run = subprocess.run([python, str(SIDE), *args], capture_output=True, text=True, env=worker_env(python), timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from heron.collection.collect import collect

    root = tmp_path_factory.mktemp("lerobot_policy")
    collect(tasks="touch", episodes=2, out=root / "demos", workers=1, seed=5, progress=False)
    export_lerobot(ExportConfig(str(root / "demos"), str(root / "export"), mode="image"))
    # a lerobot-train-like checkpoint folder: the policy and its processors under pretrained_model/
    lerobot_side("train", str(root / "export"), str(root / "run" / "pretrained_model"), "5")
    return root


def test_adapter_gives_the_actions_lerobot_itself_gives(trained, tmp_path):
    ep = next(iter(DemoDataset(trained / "demos")))
    np.savez(tmp_path / "obs.npz", front=ep.rgb_front[:STEPS], wrist=ep.rgb_wrist[:STEPS], state=ep.proprio[:STEPS],
             task=np.array([ep.instruction] * STEPS))
    lerobot_side("act", str(trained / "run" / "pretrained_model"), str(tmp_path / "obs.npz"), str(tmp_path / "want.npz"))
    want = np.load(tmp_path / "want.npz")["action"]

    policy = load_policy(f"lerobot:{trained / 'run'}")  # the checkpoint folder resolves to pretrained_model/
    assert policy.info["type"] == "act" and policy.info["lerobot"] == "0.4.4" and policy.info["processors"] == "saved"
    policy.set_instruction(ep.instruction)
    obs = [{"rgb_front": ep.rgb_front[t], "rgb_wrist": ep.rgb_wrist[t], "proprio": ep.proprio[t]} for t in range(STEPS)]
    got = np.stack([policy.act(o).action for o in obs])
    assert got.shape == (STEPS, 5) and got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got, np.clip(want, -1, 1), atol=1e-5)
    assert np.ptp(got, axis=0).max() > 1e-4, "actions never change: the observations did not reach the policy"
    policy.set_instruction(ep.instruction)  # clears LeRobot's action queue: step 0 again
    np.testing.assert_allclose(policy.act(obs[0]).action, got[0], atol=1e-5)
    policy.close()


def test_heron_eval_reports_a_lerobot_policy_like_its_own(trained, tmp_path):
    kw = dict(suite="seen", episodes=2, workers=1, tasks=["touch"], runtime="onnx")
    theirs = evaluate(f"lerobot:{trained / 'run'}", json_path=tmp_path / "lerobot.json", **kw)
    ours = evaluate("default", **kw)
    assert set(theirs) == set(ours) | {"outputs"}
    assert set(theirs["aggregates"]) == set(ours["aggregates"]) and set(theirs["overall"]) == set(ours["overall"])
    assert [set(e) for e in theirs["episodes"]] == [set(e) for e in ours["episodes"]]
    same = ("family", "seed", "task", "args", "instruction", "max_steps")
    assert [[e[k] for k in same] for e in theirs["episodes"]] == [[e[k] for k in same] for e in ours["episodes"]]
    assert len(theirs["episodes"]) == 2 and all(1 <= e["steps"] <= e["max_steps"] for e in theirs["episodes"])
    assert all(e["policy_done"] == 0.0 for e in theirs["episodes"])  # LeRobot policies have no done output
    saved = json.loads((tmp_path / "lerobot.json").read_text())
    assert saved["config"]["policy"] == f"lerobot:{trained / 'run'}" and len(saved["episodes"]) == 2
