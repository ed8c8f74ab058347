"""Launch files name executables and parameter files that exist; the YAMLs parse and load into the nodes."""

import ast
import shutil
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
import rclpy
import yaml
from rclpy.context import Context

from conftest import next_domain_id
from ros.params import PolicyNodeConfig, SimNodeConfig

ROOT = Path(__file__).resolve().parents[2]
LAUNCH_FILES = sorted((ROOT / "launch").glob("*.launch.py"))
PARAM_FILES = sorted((ROOT / "configs" / "ros").glob("*.yaml"))
NODE_CONFIGS = {"heron_policy_node": PolicyNodeConfig, "heron_sim_node": SimNodeConfig}


def constants(path: Path) -> dict:
    """Module-level tuple constants of a launch file, read without importing ``launch`` (not on PyPI)."""
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def test_there_are_launch_files_and_param_files():
    assert {p.name for p in LAUNCH_FILES} == {"sim_agent.launch.py", "robot_agent.launch.py"}
    assert len(PARAM_FILES) >= 2


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_names_existing_things(path):
    c = constants(path)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for exe in c["EXECUTABLES"]:
        assert exe in scripts, f"{path.name}: {exe} is not a console script in pyproject.toml"
        assert shutil.which(exe, path=str(Path(sys.executable).parent)), f"{exe} not installed in the venv"
        assert f'executable="{exe}"' in path.read_text()
    for name in c["PARAM_FILES"]:
        assert (ROOT / "configs" / "ros" / name).is_file(), f"{path.name} names configs/ros/{name}, which is missing"
        assert name in path.read_text()
    compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize("path", PARAM_FILES, ids=lambda p: p.name)
def test_param_yaml_parses_and_matches_the_node(path):
    doc = yaml.safe_load(path.read_text())
    (node_name, body), = doc.items()
    cls = NODE_CONFIGS[node_name]
    params = body["ros__parameters"]
    known = {f.name for f in fields(cls)}
    assert set(params) <= known, f"{path.name}: unknown parameters {sorted(set(params) - known)}"
    cls(**params)  # validates


@pytest.mark.parametrize("path", [p for p in PARAM_FILES if "policy" in p.name], ids=lambda p: p.name)
def test_policy_node_reads_its_params_file(path):
    from ros.policy_node import PolicyNode

    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(), args=["--ros-args", "--params-file", str(path)])
    try:
        node = PolicyNode(context=ctx)
        want = yaml.safe_load(path.read_text())["heron_policy_node"]["ros__parameters"]
        assert node.config.control_rate_hz == want["control_rate_hz"] and node.config.policy == want["policy"]
        assert node.config.max_delta_per_step == want["max_delta_per_step"]
        node.destroy_node()
    finally:
        rclpy.shutdown(context=ctx)
