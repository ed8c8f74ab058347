"""Robot profiles through the launch files and the nodes' ``profile`` parameter.

``launch``/``launch_ros`` are not on PyPI, so the launch files are not loaded here: they are thin
(declare ``profiles.launch_arguments``, then one Node per ``profiles.launch_nodes`` entry, checked in
test_launch_and_params.py), and these tests call ``heron.ros.profiles`` with what launch would hand it (every
declared argument in ``context.launch_configurations``, '' unless given), then start the real nodes on
the parameter files it writes."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import rclpy
import yaml
from rclpy.context import Context
from rclpy.parameter import Parameter

from conftest import next_domain_id
from heron.configs import CONFIG_DIR
from heron.ros import profiles
from heron.ros.params import PolicyNodeConfig

ROOT = Path(__file__).resolve().parents[2]
ROBOTS = CONFIG_DIR / "ros" / "robots"
LAUNCH = {p.name.split(".")[0]: p for p in (ROOT / "launch").glob("*.launch.py")}


def launch_constants(name: str) -> dict:
    out = {}
    for node in ast.parse(LAUNCH[name].read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Tuple, ast.Constant)):
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def configs_for(name: str, **given: str) -> dict:
    """What launch's context holds for ``name``.launch.py: each declared argument, '' or its default, then the given ones."""
    c = launch_constants(name)
    configs = {arg: default for arg, default, _ in profiles.launch_arguments(c["EXECUTABLES"], c["DEFAULT_PROFILE"])}
    configs.update(given)
    return configs


def launch(name: str, tmp_path, **given: str) -> dict:
    """{node name: the parameters its params file holds} for ``name``.launch.py with ``given`` arguments."""
    nodes = profiles.launch_nodes(configs_for(name, **given), launch_constants(name)["EXECUTABLES"], tmp_path)
    out = {}
    for kwargs in nodes:
        assert kwargs["output"] == "screen" and len(kwargs["parameters"]) == 1
        doc = yaml.safe_load(Path(kwargs["parameters"][0]).read_text())
        assert list(doc) == [kwargs["name"]]
        out[kwargs["name"]] = (kwargs["executable"], doc[kwargs["name"]]["ros__parameters"])
    return out


def profile_section(profile: str, node: str) -> dict:
    return yaml.safe_load((ROBOTS / f"{profile}.yaml").read_text())[node]["ros__parameters"]


CASES = [("sim_agent", "sim"), ("robot_agent", "fr3_servo"), ("robot_agent", "ur_servo"), ("robot_agent", "sim")]


@pytest.mark.parametrize("launch_file, profile", CASES, ids=[f"{a}-{p}" for a, p in CASES])
def test_each_profile_reaches_each_node_unchanged(launch_file, profile, tmp_path):
    got = launch(launch_file, tmp_path, profile=profile)
    execs = launch_constants(launch_file)["EXECUTABLES"]
    assert [exe for exe, _ in got.values()] == list(execs)
    for node, (_, params) in got.items():
        want = profile_section(profile, node)
        assert params.pop("profile") == profile
        assert params == want
        for key, value in want.items():  # ROS types: a float stays a float even if written 10
            cls_default = getattr(profiles.NODE_CONFIGS[node](), key)
            assert type(params[key]) is type(cls_default), key


def test_launch_arguments_override_the_profile_and_keep_the_rest(tmp_path):
    given = {"control_rate_hz": "20", "workspace_low": "[0.3, -0.3, 0.1]", "autostart": "true",
             "front_image_topic": "/cam/front/image_raw", "finger_joint_names": "[left_finger, right_finger]"}
    (_, params), = launch("robot_agent", tmp_path, profile="ur_servo", **given).values()
    want = profile_section("ur_servo", "heron_policy_node")
    assert params["control_rate_hz"] == 20.0 and isinstance(params["control_rate_hz"], float)
    assert params["workspace_low"] == [0.3, -0.3, 0.1]
    assert params["autostart"] is True and want["autostart"] is False
    assert params["front_image_topic"] == "/cam/front/image_raw"
    assert params["finger_joint_names"] == ["left_finger", "right_finger"]
    untouched = {k: v for k, v in want.items() if k not in given}
    assert {k: params[k] for k in untouched} == untouched


def test_sim_agent_sends_each_node_only_its_own_arguments(tmp_path):
    got = launch("sim_agent", tmp_path, policy="random", sim_step_mode="command", sim_seed="3", sim_image_size="64")
    _, sim = got["heron_sim_node"]
    _, policy = got["heron_policy_node"]
    assert (sim["step_mode"], sim["seed"], sim["image_size"]) == ("command", 3, 64)
    assert policy["policy"] == "random" and "policy" not in sim
    assert policy["image_size"] == profile_section("sim", "heron_policy_node")["image_size"]  # sim_image_size is the sim's
    assert "seed" not in policy


def test_unknown_profile_lists_the_available_ones(tmp_path):
    with pytest.raises(ValueError) as err:
        launch("robot_agent", tmp_path, profile="ur_sevo")
    msg = str(err.value)
    assert "unknown robot profile 'ur_sevo'" in msg and "Did you mean 'ur_servo'?" in msg
    assert "fr3_servo, sim, ur_servo" in msg
    assert not list(tmp_path.iterdir())  # nothing written


def test_robot_agent_needs_a_profile(tmp_path):
    with pytest.raises(ValueError, match=r"no robot profile given: set profile:=NAME, NAME one of fr3_servo, sim, ur_servo"):
        launch("robot_agent", tmp_path)


def test_a_profile_without_the_sim_section_is_refused_by_sim_agent(tmp_path):
    with pytest.raises(ValueError, match=r"fr3_servo.yaml: no heron_sim_node section \(it has: heron_policy_node\); profiles with one: sim"):
        launch("sim_agent", tmp_path, profile="fr3_servo")


def test_a_yaml_path_is_a_profile(tmp_path):
    generic = CONFIG_DIR / "ros" / "robot_policy_node.yaml"
    (_, params), = launch("robot_agent", tmp_path / "out", profile=str(generic)).values()
    assert params.pop("profile") == str(generic)
    assert params == yaml.safe_load(generic.read_text())["heron_policy_node"]["ros__parameters"]
    mine = tmp_path / "my_arm.yaml"
    mine.write_text("heron_policy_node:\n  ros__parameters:\n    command_frame_id: my_base\n    control_rate_hz: 15\n")
    (_, params), = launch("robot_agent", tmp_path / "out2", profile=str(mine)).values()
    assert params == {"profile": str(mine), "command_frame_id": "my_base", "control_rate_hz": 15.0}
    with pytest.raises(ValueError, match=r"robot profile '.*missing.yaml': no such file"):
        launch("robot_agent", tmp_path / "out3", profile=str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize("given, pattern", [
    ({"control_rate_hz": "fast"}, r"control_rate_hz='fast': expected float"),
    ({"control_rate_hz": "99.0"}, r"ur_servo for heron_policy_node with control_rate_hz:=99.0: parameter control_rate_hz=99.0: allowed 10..30 Hz"),
    ({"ee_pose_qos": "sometimes"}, r"parameter ee_pose_qos='sometimes': allowed best_effort, reliable"),
    ({"workspace_low": "[0.3, -0.3"}, r"workspace_low:='\[0.3, -0.3': expected list\[float\]"),
    ({"autostart": "maybe"}, r"autostart='maybe': expected bool"),
    ({"contrl_rate_hz": "20.0"}, r"launch argument contrl_rate_hz:=...: unknown; did you mean control_rate_hz:=...\?"),
], ids=["type", "range", "choice", "yaml", "bool", "misspelt"])
def test_bad_launch_arguments_are_named(given, pattern, tmp_path):
    with pytest.raises(ValueError, match=pattern):
        launch("robot_agent", tmp_path, profile="ur_servo", **given)


def test_a_profile_with_an_unknown_parameter_is_refused(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text("heron_policy_node:\n  ros__parameters:\n    comand_frame_id: base_link\n")
    with pytest.raises(ValueError, match=r"typo.yaml: unknown heron_policy_node parameter 'comand_frame_id'; did you mean 'command_frame_id'\?"):
        profiles.load(str(bad), "heron_policy_node")


def test_the_launch_file_s_params_file_starts_the_policy_node_with_those_values(tmp_path):
    from heron.ros.policy_node import PolicyNode

    (_, want), = launch("robot_agent", tmp_path, profile="fr3_servo", control_rate_hz="20.0").values()
    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(), args=["--ros-args", "--params-file", str(tmp_path / "heron_policy_node.yaml")])
    try:
        node = PolicyNode(context=ctx)
        assert node.get_parameter("profile").value == "fr3_servo"
        for key, value in want.items():
            if key != "profile":
                assert getattr(node.config, key) == value, key
        assert node.config.control_rate_hz == 20.0
        node.destroy_node()
    finally:
        rclpy.shutdown(context=ctx)


def test_policy_node_profile_parameter_gives_defaults_that_other_parameters_override():
    from heron.ros.policy_node import PolicyNode

    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(),
               args=["--ros-args", "-p", "profile:=ur_servo", "-p", "control_rate_hz:=20.0", "-p", "command_frame_id:=base"])
    try:
        node = PolicyNode(context=ctx)
        want = profile_section("ur_servo", "heron_policy_node")
        want.update(control_rate_hz=20.0, command_frame_id="base")
        for key, value in want.items():
            assert getattr(node.config, key) == value, key
        assert node.config.max_xyz_step == PolicyNodeConfig().max_xyz_step  # not in the profile: the node's default
        result = node.set_parameters([Parameter("profile", value="fr3_servo")])[0]
        assert not result.successful and "read-only" in result.reason
        node.destroy_node()
    finally:
        rclpy.shutdown(context=ctx)


def test_policy_node_with_an_unknown_profile_says_which_exist():
    from heron.ros.policy_node import PolicyNode

    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(), args=["--ros-args", "-p", "profile:=franka"])
    try:
        with pytest.raises(ValueError, match=r"unknown robot profile 'franka'.*fr3_servo, sim, ur_servo"):
            PolicyNode(context=ctx)
    finally:
        rclpy.shutdown(context=ctx)


def test_sim_node_profile_parameter(tmp_path):
    from heron.ros.sim_node import SimNode

    mine = tmp_path / "my_sim.yaml"  # sim.yaml's sim values are the node's defaults: these are not
    mine.write_text("heron_sim_node:\n  ros__parameters:\n    control_hz: 20\n    seed: 7\n    cmd_timeout_s: 1\n    step_mode: clock\n")
    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(), args=["--ros-args", "-p", f"profile:={mine}", "-p", "step_mode:=command"])
    try:
        node = SimNode(context=ctx)
        try:
            c = node.config
            assert (c.control_hz, c.seed, c.cmd_timeout_s, c.step_mode) == (20, 7, 1.0, "command")
            assert node.get_parameter("profile").value == str(mine)
        finally:
            node.destroy_node()
            node.env.close()
    finally:
        rclpy.shutdown(context=ctx)


@pytest.mark.parametrize("exe, profile, message", [
    ("heron-policy-node", "ur_sevo", "heron-policy-node: unknown robot profile 'ur_sevo'. Did you mean 'ur_servo'? Available: one of fr3_servo, sim, ur_servo"),
    ("heron-sim-node", "fr3_servo", "heron-sim-node: robot profile " + str(ROBOTS / "fr3_servo.yaml") + ": no heron_sim_node section"),
], ids=["policy-node", "sim-node"])
def test_console_script_with_a_bad_profile_exits_with_the_message(exe, profile, message, ros_env):
    script = Path(sys.executable).parent / exe
    proc = subprocess.run([str(script), "--ros-args", "-p", f"profile:={profile}"], env=ros_env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
