"""Calls point one way: importing a package pulls in nothing it must not know about."""

from __future__ import annotations

import subprocess
import sys

import pytest

from heron.configs import CONFIG_DIR

FORBIDDEN = {
    "sim": ["policies", "agent", "ros", "rclpy", "torch"],
    "policies": ["sim", "agent", "ros", "rclpy", "pybullet"],
    "heron.data": ["sim", "agent", "ros", "rclpy", "pybullet", "torch"],
    "agent": ["rclpy", "pybullet", "torch", "ros"],
    "heron.runtime.onnx_policy": ["torch", "transformers", "rclpy", "pybullet"],
    "heron.cli.main": ["torch", "pybullet", "rclpy", "transformers", "onnxruntime"],
}


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_import_does_not_pull_in(module):
    code = f"import sys, {module}; print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    leaked = [m for m in FORBIDDEN[module] if m in out]
    assert not leaked, f"importing {module} imported {leaked}"


def test_schema_names_agree():
    import heron.envs.tabletop.spaces as b
    import heron.policies.schema as a

    for name in ("RGB_FRONT", "RGB_WRIST", "PROPRIO", "INSTRUCTION", "PROPRIO_DIM", "ACTION_DIM", "MAX_INSTRUCTION_CHARS"):
        assert getattr(a, name) == getattr(b, name), name


def test_cli_help_is_fast_and_lists_every_command():
    import time

    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "heron.cli.main", "--help"], capture_output=True, text=True, check=True).stdout
    assert time.perf_counter() - t < 5.0  # generous for a loaded CI machine; ~0.3 s when idle
    for cmd in ("collect", "train", "eval", "export", "run", "chat", "bench"):
        assert cmd in out


def test_every_yaml_in_configs_parses():

    import yaml

    files = sorted(CONFIG_DIR.rglob("*.yaml"))
    assert files
    for f in files:
        assert isinstance(yaml.safe_load(f.read_text()), dict), f
