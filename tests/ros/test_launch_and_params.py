"""Launch files name executables that exist and resolve robot profiles; the YAMLs parse and load into the nodes."""

import ast
import shutil
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import rclpy
import tomllib
import yaml
from rclpy.context import Context

from conftest import next_domain_id
from heron.configs import CONFIG_DIR
from heron.ros.params import PolicyNodeConfig, SimNodeConfig

ROOT = Path(__file__).resolve().parents[2]
LAUNCH_FILES = sorted((ROOT / "launch").glob("*.launch.py"))
PARAM_FILES = sorted((CONFIG_DIR / "ros").glob("*.yaml"))
NODE_CONFIGS = {"heron_policy_node": PolicyNodeConfig, "heron_sim_node": SimNodeConfig}


def constants(path: Path) -> dict:
    """Module-level tuple and string constants of a launch file, read without importing ``launch`` (not on PyPI)."""
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Tuple, ast.Constant)):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def test_there_are_launch_files_and_param_files():
    assert {p.name for p in LAUNCH_FILES} == {"sim_agent.launch.py", "robot_agent.launch.py"}
    assert len(PARAM_FILES) >= 2


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_names_existing_things(path):
    """Each launch file starts its EXECUTABLES through heron.ros.profiles (tested in test_launch_profiles.py)."""
    from heron.ros import profiles

    c = constants(path)
    text = path.read_text()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for exe in c["EXECUTABLES"]:
        assert exe in scripts, f"{path.name}: {exe} is not a console script in pyproject.toml"
        assert shutil.which(exe, path=str(Path(sys.executable).parent)), f"{exe} not installed in the venv"
        assert exe in profiles.LAUNCH_NODES, f"{path.name}: heron/ros/profiles.py has no LaunchNode for {exe}"
    assert c["DEFAULT_PROFILE"] in ("", *profiles.available())
    assert "profiles.launch_arguments(EXECUTABLES, DEFAULT_PROFILE)" in text
    assert "profiles.launch_nodes(context.launch_configurations, EXECUTABLES)" in text
    assert "Node(**kwargs)" in text
    compile(text, str(path), "exec")


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
    from heron.ros.policy_node import PolicyNode

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
