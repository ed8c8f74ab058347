"""``--policy lerobot:PATH`` without LeRobot: every error a user can hit before LeRobot runs names the file,
the key and what heron expected. The adapter running a real LeRobot policy is tested in tests/interop."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from heron.evaluation.evaluate import evaluate
from heron.runtime import lerobot_policy as lp
from heron.runtime import load_policy

FEATURES = {
    "input_features": {
        "observation.images.front": {"type": "VISUAL", "shape": [3, 96, 96]},
        "observation.images.wrist": {"type": "VISUAL", "shape": [3, 96, 96]},
        "observation.state": {"type": "STATE", "shape": [22]},
    },
    "output_features": {"action": {"type": "ACTION", "shape": [5]}},
}


def _folder(path, edit=None, weights=True):
    cfg = json.loads(json.dumps({"type": "act", **FEATURES}))
    if edit:
        edit(cfg)
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps(cfg))
    if weights:
        (path / "model.safetensors").write_bytes(b"")
    return path


def test_a_heron_shaped_folder_is_read_and_a_checkpoint_folder_resolves(tmp_path):
    spec = lp.read_spec(f"lerobot:{_folder(tmp_path / 'run' / 'pretrained_model')}")
    assert (spec.type, spec.proprio_dim, spec.action_dim) == ("act", 22, 5)
    assert spec.cameras == {"rgb_front": (96, 96), "rgb_wrist": (96, 96)}
    assert lp.read_spec(f"lerobot:{tmp_path / 'run'}").folder == tmp_path / "run" / "pretrained_model"
    one_cam = lp.read_spec(str(_folder(tmp_path / "front", lambda c: c["input_features"].pop("observation.images.wrist"))))
    assert one_cam.cameras == {"rgb_front": (96, 96)}


def test_missing_folder_config_weights_or_bad_json(tmp_path):
    with pytest.raises(lp.LeRobotError, match=r"no such LeRobot policy folder '.*nowhere'"):
        lp.read_spec(f"lerobot:{tmp_path / 'nowhere'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(lp.LeRobotError, match=r"empty: no config.json; a LeRobot policy folder is what PreTrainedPolicy.save_pretrained"):
        lp.read_spec(f"lerobot:{tmp_path / 'empty'}")
    with pytest.raises(lp.LeRobotError, match=r"no model.safetensors beside config.json"):
        lp.read_spec(f"lerobot:{_folder(tmp_path / 'noweights', weights=False)}")
    bad = _folder(tmp_path / "bad")
    (bad / "config.json").write_text("{not json")
    with pytest.raises(lp.LeRobotError, match=r"bad/config.json: not valid JSON"):
        lp.read_spec(f"lerobot:{bad}")
    with pytest.raises(lp.LeRobotError, match=r"missing input_features, output_features; is this a LeRobot policy config"):
        lp.read_spec(str(_folder(tmp_path / "other", lambda c: [c.pop("input_features"), c.pop("output_features")])))


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["input_features"].update({"observation.images.top": {"type": "VISUAL", "shape": [3, 96, 96]}}),
     r"input_features 'observation.images.top' have no heron counterpart; heron gives observation.images.front, "
     r"observation.images.wrist, observation.state"),
    (lambda c: c["input_features"].update({"observation.environment_state": {"type": "ENV", "shape": [9]}}),
     r"'observation.environment_state' have no heron counterpart"),
    (lambda c: c["input_features"]["observation.state"].update(shape=[14]),
     r"input_features.observation.state has shape \[14\]; heron's proprio is \[22\] \(joint_pos_0, .*ee_qw\)"),
    (lambda c: c["input_features"]["observation.images.front"].update(shape=[96, 96, 3]),
     r"input_features.observation.images.front has shape \[96, 96, 3\]; expected \[3, H, W\]"),
    (lambda c: c["output_features"]["action"].update(shape=[7]),
     r"output_features.action has shape \[7\]; heron's action is \[5\] \(dx, dy, dz, dyaw, gripper\)"),
    (lambda c: c["output_features"].pop("action"), r"output_features has no 'action' \(it has nothing\)"),
])
def test_features_that_do_not_fit_heron_are_named(tmp_path, edit, message):
    with pytest.raises(lp.LeRobotError, match=message):
        lp.read_spec(f"lerobot:{_folder(tmp_path / 'p', edit)}")


def test_no_lerobot_anywhere_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.delenv("HERON_LEROBOT_PYTHON", raising=False)
    monkeypatch.setattr(lp, "REPO_VENV", tmp_path / ".venv-lerobot" / "bin" / "python")
    with pytest.raises(lp.LeRobotError, match=r"LeRobot is not installed here.*`make interop` builds .venv-lerobot.*"
                                              r"pip install lerobot==0.4.4.*HERON_LEROBOT_PYTHON="):
        lp.lerobot_python()
    monkeypatch.setenv("HERON_LEROBOT_PYTHON", str(tmp_path / "missing" / "python"))
    with pytest.raises(lp.LeRobotError, match=r"HERON_LEROBOT_PYTHON=.*missing/python: no such file.*make interop"):
        lp.lerobot_python()


def test_eval_checks_the_folder_before_any_worker_starts(tmp_path):
    kw = dict(suite="seen", episodes=2, workers=2, tasks=["touch"], runtime="onnx")
    with pytest.raises(lp.LeRobotError, match=r"input_features.observation.state has shape \[6\]"):
        evaluate(f"lerobot:{_folder(tmp_path / 'p', lambda c: c['input_features']['observation.state'].update(shape=[6]))}", **kw)
    with pytest.raises(lp.LeRobotError, match="no such LeRobot policy folder"):
        load_policy(f"lerobot:{tmp_path / 'nowhere'}")


def test_a_python_without_lerobot_fails_with_the_install_command(tmp_path, monkeypatch):
    # heron's own venv has no LeRobot: the worker really starts there and reports its import error
    monkeypatch.setenv("HERON_LEROBOT_PYTHON", sys.executable)
    with pytest.raises(RuntimeError, match=r"(?s)LeRobot policy .*p: ModuleNotFoundError: No module named 'lerobot'.*make interop"):
        load_policy(f"lerobot:{_folder(tmp_path / 'p')}")


def test_the_adapter_imports_neither_torch_nor_lerobot():
    code = "import sys, heron.runtime.lerobot_policy; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert not [m for m in ("torch", "lerobot", "pybullet", "rclpy") if m in out]


def test_a_lerobot_that_never_loads_is_stopped_with_a_message(tmp_path, monkeypatch):
    hang = tmp_path / "python"
    hang.write_text("#!/bin/sh\necho 'loading forever' >&2\nexec sleep 60\n")
    hang.chmod(0o755)
    monkeypatch.setenv("HERON_LEROBOT_PYTHON", str(hang))
    monkeypatch.setattr(lp, "START_TIMEOUT_S", 1.0)
    with pytest.raises(RuntimeError, match=r"(?s)did not load the policy within 1 s.*LeRobot's output:\nloading forever"):
        load_policy(f"lerobot:{_folder(tmp_path / 'p')}")
