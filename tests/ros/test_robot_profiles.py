"""configs/ros/robots/*.yaml: every robot profile loads through the nodes' own parameter validation,
and the FR3 profile's best-effort end-effector pose is heard."""

from dataclasses import fields
from pathlib import Path

import pytest
import rclpy
import yaml
from geometry_msgs.msg import PoseStamped
from rclpy.context import Context
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import Spinner, wait_for

from conftest import next_domain_id
from heron.configs import CONFIG_DIR
from heron.ros.params import PolicyNodeConfig, SimNodeConfig

ROOT = Path(__file__).resolve().parents[2]
PROFILES = sorted((CONFIG_DIR / "ros" / "robots").glob("*.yaml"))


def test_the_three_profiles_exist():
    assert {p.stem for p in PROFILES} == {"sim", "fr3_servo", "ur_servo"}


def _params(path: Path, node: str) -> dict:
    return yaml.safe_load(path.read_text())[node]["ros__parameters"]


@pytest.fixture
def profile_context(request):
    """A context whose nodes start with ``--params-file PATH`` plus extra ROS args; yields (ctx, path)."""
    path, extra = request.param
    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(), args=["--ros-args", "--params-file", str(path), *extra])
    yield ctx, path
    rclpy.shutdown(context=ctx)


@pytest.mark.parametrize("profile_context", [(p, []) for p in PROFILES], ids=[p.stem for p in PROFILES], indirect=True)
def test_profile_loads_into_the_policy_node(profile_context):
    from heron.ros.policy_node import PolicyNode

    ctx, path = profile_context
    node = PolicyNode(context=ctx)  # declares, reads and validates every parameter (ValueError otherwise)
    try:
        want = _params(path, "heron_policy_node")
        unknown = set(want) - {f.name for f in fields(PolicyNodeConfig)}
        assert not unknown, f"{path.name}: unknown parameters {sorted(unknown)}"
        for key, value in want.items():
            assert getattr(node.config, key) == value, key
    finally:
        node.destroy_node()


@pytest.mark.parametrize("path", [p for p in PROFILES if "heron_sim_node" in yaml.safe_load(p.read_text())], ids=lambda p: p.stem)
def test_profile_loads_into_the_sim_node(path):
    from heron.ros.sim_node import SimNode

    ctx = Context()
    rclpy.init(context=ctx, domain_id=next_domain_id(), args=["--ros-args", "--params-file", str(path)])
    try:
        node = SimNode(context=ctx)
        want = _params(path, "heron_sim_node")
        for key, value in want.items():
            assert getattr(node.config, key) == value, key
        SimNodeConfig(**want)
        node.destroy_node()
        node.env.close()
    finally:
        rclpy.shutdown(context=ctx)


FR3 = CONFIG_DIR / "ros" / "robots" / "fr3_servo.yaml"


@pytest.mark.parametrize("profile_context", [(FR3, ["-p", "policy:=expert"])], ids=["fr3_servo"], indirect=True)
def test_fr3_best_effort_pose_is_heard(profile_context):
    from heron.ros.policy_node import PolicyNode

    ctx, _ = profile_context
    node = PolicyNode(context=ctx)
    robot = rclpy.create_node("fake_franka_state_broadcaster", context=ctx)
    best_effort = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
    pub = robot.create_publisher(PoseStamped, "/franka_robot_state_broadcaster/current_pose", best_effort)
    spinner = Spinner(ctx, node, robot)
    try:
        node.trigger_configure()
        assert node.state == "inactive", node.last_error
        msg = PoseStamped()
        msg.header.frame_id = "fr3_link0"
        msg.pose.position.x, msg.pose.orientation.w = 0.4, 1.0

        def heard():
            pub.publish(msg)
            return "ee_pose" in node._latest

        wait_for(heard, interval=0.05, what="the best-effort current_pose to reach the node")
        assert node._latest["ee_pose"][0][0][0] == pytest.approx(0.4)
    finally:
        spinner.close()
        node.destroy_node()
        robot.destroy_node()
