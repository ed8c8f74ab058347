"""A LeRobot policy folder as a heron Policy: ``--policy lerobot:PATH``.

PATH is what ``PreTrainedPolicy.save_pretrained`` writes (``config.json`` + ``model.safetensors``; from
``lerobot-train`` also ``policy_preprocessor.json`` / ``policy_postprocessor.json``), or a training
checkpoint folder that holds one as ``pretrained_model/``. LeRobot runs in a Python of its own (LeRobot
0.4.4 cannot share heron's torch), as a child process: ``heron/runtime/lerobot_worker.py``, which loads
the folder with LeRobot's own classes and processors and calls ``select_action``. This module imports
neither torch nor LeRobot; everything it can check from ``config.json`` it checks before starting it.

Which Python: ``$HERON_LEROBOT_PYTHON``; else this one if it has LeRobot; else ``.venv-lerobot/bin/python``
in the repository (``make interop`` builds it).

Observation mapping (the feature names of heron's LeRobot export, ``heron/data/lerobot_format.py``):
``rgb_front`` -> ``observation.images.front``, ``rgb_wrist`` -> ``observation.images.wrist``, ``proprio``
(22) -> ``observation.state``, the instruction -> ``task``. LeRobot's ``action`` (5) is heron's action,
clipped to [-1, 1]; LeRobot policies have no termination output, so ``done`` is always 0.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heron.data import lerobot_format as fmt
from heron.policies import schema
from heron.runtime.interfaces import StepOutput

PREFIX = "lerobot:"
WORKER = Path(__file__).with_name("lerobot_worker.py")
REPO_VENV = Path(__file__).resolve().parents[3] / ".venv-lerobot" / "bin" / "python"
INSTALL_HINT = ("LeRobot runs in a venv of its own: `make interop` builds .venv-lerobot (LeRobot 0.4.4 beside CPU "
                "torch 2.13; recipe in tests/interop/make_venv.sh), or `pip install lerobot==0.4.4` into another "
                "Python 3.10/3.11 venv; then set HERON_LEROBOT_PYTHON=/path/to/that/venv/bin/python")
CAMERA_KEYS = {key: cam for cam, key in fmt.CAMERA_FEATURES.items()}  # observation.images.front -> rgb_front
START_TIMEOUT_S = 300.0


class LeRobotError(ValueError):
    """A LeRobot policy folder heron cannot run, or a LeRobot that is not there."""


def is_lerobot(name) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


@dataclass(frozen=True)
class LeRobotSpec:
    """What ``config.json`` says the policy takes and gives, checked against heron's observation."""

    folder: Path
    type: str
    cameras: dict[str, tuple[int, int]]  # heron camera -> (H, W) the policy expects
    proprio_dim: int
    action_dim: int


def policy_folder(name: str) -> Path:
    path = Path(os.path.expanduser(name[len(PREFIX):] if is_lerobot(name) else name))
    if not str(path) or not path.exists():
        raise LeRobotError(f"policy {name!r}: no such LeRobot policy folder {str(path)!r}")
    if not (path / "config.json").is_file() and (path / "pretrained_model" / "config.json").is_file():
        path = path / "pretrained_model"  # a lerobot-train checkpoint folder
    return path


def read_spec(name: str) -> LeRobotSpec:
    """``config.json`` -> the features, checked: heron's two cameras, 22 proprio values, 5 actions."""
    folder = policy_folder(name)
    config = folder / "config.json"
    if not config.is_file():
        raise LeRobotError(f"{folder}: no config.json; a LeRobot policy folder is what PreTrainedPolicy.save_pretrained "
                           "writes (config.json + model.safetensors), e.g. outputs/train/<run>/checkpoints/last/pretrained_model")
    if not (folder / "model.safetensors").is_file():
        raise LeRobotError(f"{folder}: no model.safetensors beside config.json")
    try:
        cfg = json.loads(config.read_text())
    except json.JSONDecodeError as exc:
        raise LeRobotError(f"{config}: not valid JSON ({exc})") from None
    missing = [k for k in ("type", "input_features", "output_features") if not isinstance(cfg.get(k), (str, dict))]
    if missing:
        raise LeRobotError(f"{config}: missing {', '.join(missing)}; is this a LeRobot policy config?")
    cameras, state = _inputs(config, cfg["input_features"])
    action = _feature_shape(config, "output_features", cfg["output_features"], fmt.ACTION)
    if action != [schema.ACTION_DIM]:
        raise LeRobotError(f"{config}: output_features.{fmt.ACTION} has shape {action}; heron's action is "
                           f"[{schema.ACTION_DIM}] ({', '.join(schema.ACTION_NAMES)})")
    return LeRobotSpec(folder, cfg["type"], cameras, state, action[0])


def _feature_shape(config: Path, section: str, feats: dict, key: str) -> list:
    if key not in feats:
        raise LeRobotError(f"{config}: {section} has no {key!r} (it has {', '.join(feats) or 'nothing'})")
    shape = feats[key].get("shape") if isinstance(feats[key], dict) else None
    if not isinstance(shape, list):
        raise LeRobotError(f"{config}: {section}.{key} has no shape list")
    return shape


def _inputs(config: Path, feats: dict) -> tuple[dict[str, tuple[int, int]], int]:
    allowed = [*CAMERA_KEYS, fmt.STATE]
    unknown = [k for k in feats if k not in allowed]
    if unknown:
        raise LeRobotError(
            f"{config}: input_features {', '.join(map(repr, unknown))} have no heron counterpart; heron gives "
            f"{', '.join(allowed)} (the names of its LeRobot export: cameras rgb_front, rgb_wrist; proprio)")
    cameras = {}
    for key, cam in CAMERA_KEYS.items():
        if key in feats:
            shape = _feature_shape(config, "input_features", feats, key)
            if len(shape) != 3 or shape[0] != 3:
                raise LeRobotError(f"{config}: input_features.{key} has shape {shape}; expected [3, H, W] (RGB)")
            cameras[cam] = (int(shape[1]), int(shape[2]))
    state = _feature_shape(config, "input_features", feats, fmt.STATE) if fmt.STATE in feats else [schema.PROPRIO_DIM]
    if state != [schema.PROPRIO_DIM]:
        raise LeRobotError(f"{config}: input_features.{fmt.STATE} has shape {state}; heron's proprio is "
                           f"[{schema.PROPRIO_DIM}] ({', '.join(fmt.proprio_names())})")
    return cameras, state[0]


def lerobot_python() -> str:
    """The Python that runs LeRobot: $HERON_LEROBOT_PYTHON, this one if it has LeRobot, or .venv-lerobot."""
    env = os.environ.get("HERON_LEROBOT_PYTHON")
    if env:
        if not Path(env).is_file():
            raise LeRobotError(f"HERON_LEROBOT_PYTHON={env}: no such file. {INSTALL_HINT}")
        return env
    if importlib.util.find_spec("lerobot") is not None:
        return sys.executable
    if REPO_VENV.is_file():
        return str(REPO_VENV)
    raise LeRobotError(f"LeRobot is not installed here, HERON_LEROBOT_PYTHON is not set and {REPO_VENV} does not exist. {INSTALL_HINT}")


def check_lerobot(name: str) -> LeRobotSpec:
    """Everything that can fail before a process starts: the folder, its features, a Python for LeRobot."""
    spec = read_spec(name)
    lerobot_python()
    return spec


class LeRobotPolicy:
    """reset / set_instruction / act over a pipe to ``lerobot_worker.py`` in LeRobot's Python."""

    def __init__(self, name: str, threads: int | None = None, python: str | None = None):
        self.spec = read_spec(name)
        self.name, self.proprio_dim, self.action_dim = name, self.spec.proprio_dim, self.spec.action_dim
        self.instruction = ""
        python = python or lerobot_python()
        self._log = tempfile.TemporaryFile()  # LeRobot's own output, quoted in errors
        # one intra-op thread unless told: beside the simulator, two threads were 3-10x slower per inference
        self._proc = subprocess.Popen([python, "-I", str(WORKER), str(self.spec.folder), str(threads or 1)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, env=worker_env(python))
        hello = self._read(timeout=START_TIMEOUT_S)
        self.info = {k: hello.get(k) for k in ("type", "lerobot", "python", "processors")}

    def reset(self) -> None:
        self._call({"cmd": "reset"})

    def set_instruction(self, text: str) -> None:
        self.instruction = str(text)
        self.reset()

    def act(self, obs: dict) -> StepOutput:
        arrays = [(key, self._image(obs, cam)) for cam, key in fmt.CAMERA_FEATURES.items() if cam in self.spec.cameras]
        arrays.append((fmt.STATE, self._proprio(obs)))
        payload = b"".join(a.tobytes() for _, a in arrays)
        reply = self._call({"cmd": "act", "task": self.instruction, "nbytes": len(payload),
                            "arrays": [[k, a.dtype.str, list(a.shape)] for k, a in arrays]}, payload)
        action = np.asarray(reply["action"], np.float32)
        if action.shape != (self.action_dim,) or not np.all(np.isfinite(action)):
            raise LeRobotError(f"LeRobot policy {self.spec.folder}: select_action gave {action.tolist()}; "
                               f"expected {self.action_dim} finite values")
        action = np.clip(action, -1.0, 1.0)
        return StepOutput(action=action, done=0.0)

    def _image(self, obs: dict, cam: str) -> np.ndarray:
        from heron.runtime.inputs import ObservationError

        img = np.ascontiguousarray(obs.get(cam) if obs.get(cam) is not None else np.zeros(0, np.uint8))
        want = (*self.spec.cameras[cam], 3)
        if img.dtype != np.uint8 or img.shape != want:
            raise ObservationError(f"{cam}: {img.dtype} {img.shape}; LeRobot policy {self.spec.folder} expects uint8 {want} "
                                   f"(its config.json; heron eval --image-size sets the simulator's camera size)")
        return img

    def _proprio(self, obs: dict) -> np.ndarray:
        from heron.runtime.inputs import ObservationError

        prop = np.ascontiguousarray(obs.get(schema.PROPRIO, np.zeros(0)), np.float32)
        if prop.shape != (self.proprio_dim,) or not np.all(np.isfinite(prop)):
            raise ObservationError(f"proprio: shape {prop.shape} (finite: {bool(np.all(np.isfinite(prop)))}); expected ({self.proprio_dim},) finite")
        return prop

    def _call(self, msg: dict, payload: bytes = b"") -> dict:
        if self._proc.poll() is not None:
            raise self._failure("its LeRobot process has exited")
        try:
            self._proc.stdin.write((json.dumps(msg) + "\n").encode() + payload)
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise self._failure("its LeRobot process has exited") from None
        return self._read()

    def _read(self, timeout: float | None = None) -> dict:
        if timeout is not None and not select.select([self._proc.stdout], [], [], timeout)[0]:
            self._proc.kill()
            self._proc.wait()
            raise self._failure(f"LeRobot did not load the policy within {timeout:.0f} s")
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait(timeout=10)
            raise self._failure(f"its LeRobot process exited (code {self._proc.returncode})")
        reply = json.loads(line)
        if "error" in reply:
            raise self._failure(reply["error"], reply.get("trace", ""))
        return reply

    def _failure(self, what: str, trace: str = "") -> RuntimeError:
        self._log.seek(0)
        tail = (self._log.read().decode(errors="replace")[-2000:] + trace).strip()
        hint = f"\n{INSTALL_HINT}" if "No module named 'lerobot'" in what + tail else ""
        return RuntimeError(f"LeRobot policy {self.spec.folder}: {what}{hint}" + (f"\n--- LeRobot's output:\n{tail}" if tail else ""))

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.stdin.write(b'{"cmd": "close"}\n')
            proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def __del__(self) -> None:
        self.close()


def worker_env(python: str) -> dict[str, str]:
    """Offline (never the Hub), and PyAV's FFmpeg for torchcodec where make_venv.sh noted it."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    libs = Path(python).parent.parent / "ffmpeg_libs"
    if libs.is_file():
        env["LD_LIBRARY_PATH"] = f"{libs.read_text().strip()}:{env.get('LD_LIBRARY_PATH', '')}"
    return env


def load_lerobot(name: str, threads: int | None = None) -> LeRobotPolicy:
    return LeRobotPolicy(name, threads=threads)
