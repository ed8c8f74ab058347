"""The policy node in-process: lifecycle, parameters, services, and bad input -> hold, then recovery."""

import json
import math
import re
import time

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped, TwistStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from ros_helpers import Spinner, wait_for
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64, Float64MultiArray, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from heron.ros import conversions as cv
from heron.ros import topics
from heron.ros.policy_node import PolicyNode

# The "expert" policy follows /heron/expert_action: a constant one here makes the node's output known.
EXPERT = [0.4, 0.0, 0.0, 0.0, 1.0]
EXPECTED_VX = 0.4 * 0.025 * 10  # action * max_xyz_step * action_hz, m/s


def image(size=96, encoding="rgb8"):
    m = Image(**cv.array_to_image_fields(np.full((size, size, 3), 100, np.uint8)))
    m.encoding = encoding
    return m


def joints(nan=False, drop=None):
    m = JointState()
    m.name = [n for n in cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES if n != drop]
    m.position = [0.1] * len(m.name)
    if nan:
        m.position[2] = math.nan
    return m


def pose():
    m = PoseStamped()
    m.pose.position.x, m.pose.position.z = 0.5, 0.2
    m.pose.orientation.x, m.pose.orientation.w = 1.0, 0.0
    return m


class Harness(Node):
    """A fake robot: streams sensors at 50 Hz (each replaceable), records what the node commands."""

    def __init__(self, ctx):
        super().__init__("harness", context=ctx)
        s, r = qos_profile_sensor_data, QoSProfile(depth=10)
        g = ReentrantCallbackGroup()  # the default (mutually exclusive) group busy-spins a MultiThreadedExecutor
        self.pubs = {
            "front": self.create_publisher(Image, topics.FRONT_IMAGE, s),
            "wrist": self.create_publisher(Image, topics.WRIST_IMAGE, s),
            "joints": self.create_publisher(JointState, topics.JOINT_STATES, s),
            "ee_pose": self.create_publisher(PoseStamped, topics.EE_POSE, s),
            "expert": self.create_publisher(Float64MultiArray, topics.EXPERT_ACTION, r),
        }
        self.msgs = {"front": image(), "wrist": image(64, "bgr8"), "joints": joints(), "ee_pose": pose(),
                     "expert": Float64MultiArray(data=EXPERT)}
        self.paused = False
        self.sets = 0
        self.instruction_pub = self.create_publisher(String, topics.INSTRUCTION, r)
        self.twists, self.grippers, self.statuses, self.diagnostics = [], [], [], []
        self.create_subscription(TwistStamped, topics.CMD_TWIST, self.twists.append, r, callback_group=g)
        self.create_subscription(Float64, topics.GRIPPER_CMD, self.grippers.append, r, callback_group=g)
        self.create_subscription(String, topics.STATUS, lambda m: self.statuses.append(json.loads(m.data)), r, callback_group=g)
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self.diagnostics.append, r, callback_group=g)
        self.create_timer(0.02, self._publish, callback_group=MutuallyExclusiveCallbackGroup())

    def _publish(self):
        if not self.paused:
            for k, pub in self.pubs.items():
                pub.publish(self.msgs[k])
            self.sets += 1

    def moving(self):
        return bool(self.twists) and self.twists[-1].twist.linear.x == pytest.approx(EXPECTED_VX, rel=1e-4)

    def holding(self, text=""):
        return (bool(self.twists) and self.twists[-1].twist.linear.x == 0.0 and bool(self.statuses)
                and text in (self.statuses[-1]["holding"] or ""))


@pytest.fixture
def rig(ros_context, request):
    overrides = {"policy": "expert", "stale_timeout_s": 0.3, "control_rate_hz": 20.0, **getattr(request, "param", {})}
    node = PolicyNode(context=ros_context, parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()])
    harness = Harness(ros_context)
    spinner = Spinner(ros_context, node, harness)
    node.trigger_configure()
    node.trigger_activate()
    yield node, harness
    spinner.close()
    node.destroy_node()
    harness.destroy_node()


def start(harness):
    harness.instruction_pub.publish(String(data="touch the red block"))
    wait_for(harness.moving, what="the node to command the expert's action")


def test_commands_twist_and_gripper(rig):
    node, h = rig
    wait_for(lambda: h.holding("no_instruction"), what="a hold before any instruction")
    start(h)
    wait_for(lambda: h.grippers and h.grippers[-1].data == pytest.approx(1.0), what="the gripper command")
    s = wait_for(lambda: h.statuses[-1]["instruction"] and h.statuses[-1]["holding"] is None and h.statuses[-1],
                 what="a status naming the instruction, not holding")
    assert s["state"] == "active" and s["instruction"] == "touch the red block"
    assert s["step_latency_ms"]["p50"] is not None and s["image_to_cmd_ms"]["p99"] is not None
    wait_for(lambda: h.diagnostics, what="/diagnostics")
    assert h.diagnostics[-1].status[0].name.startswith("heron_policy_node")


BAD_INPUTS = {
    "wrong_encoding": ("front", image(encoding="yuv422"), "encoding 'yuv422'"),
    "inconsistent_size": ("front", Image(height=96, width=96, encoding="rgb8", step=288, data=b"\x00" * 100), "expected step * height"),
    "empty_image": ("wrist", Image(height=0, width=0, encoding="rgb8", step=0, data=b""), "empty"),
    "missing_joint": ("joints", joints(drop="panda_joint4"), "lacks joints ['panda_joint4']"),
    "nan_joint": ("joints", joints(nan=True), "NaN"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_sensor_input_holds_then_recovers(rig, case):
    node, h = rig
    start(h)
    key, bad, text = BAD_INPUTS[case]
    good, h.msgs[key] = h.msgs[key], bad
    wait_for(lambda: h.holding(text), what=f"a hold on {case}")
    assert h.statuses[-1]["holding"].startswith("bad_input") and text in h.statuses[-1]["last_error"]
    assert h.statuses[-1]["bad_inputs"] > 0
    h.msgs[key] = good
    wait_for(h.moving, what=f"recovery after {case}")


@pytest.mark.parametrize("text, reason", [("   ", "instruction is empty"), ("x" * 10_000, "10000 characters")])
def test_bad_instruction_holds_then_recovers(rig, text, reason):
    node, h = rig
    start(h)
    h.instruction_pub.publish(String(data=text))
    wait_for(lambda: h.holding(reason), what="a hold on a bad instruction")
    start(h)


@pytest.mark.parametrize("trigger", ["timer", "sensors"])
def test_sensors_stopping_hold_within_one_period(ros_context, ros_env, tmp_path, trigger):
    # The node in its own process, as on a robot: in one process with the harness, the two executors
    # share the GIL, and the node's timer stalled for 0.3-0.5 s in about 1 run in 15 (measured with a
    # stack sampler: the whole process froze, outside the node's own code).
    from heron.bench.ros import local_env, node_processes

    env = local_env(ros_context.heron_domain_id, ros_env["ROS_LOG_DIR"])
    params = {"policy": "expert", "stale_timeout_s": 0.3, "control_rate_hz": 20.0, "control_trigger": trigger}
    h = Harness(ros_context)
    spinner = Spinner(ros_context, h)
    try:
        with node_processes(env, None, params, tmp_path) as procs:
            wait_for(lambda: h.statuses and h.statuses[-1]["state"] == "active", timeout=30.0, what="the node process to start")
            start(h)
            _check_stale_hold(h)
            assert procs[0].poll() is None
    finally:
        spinner.close()
        h.destroy_node()


def _check_stale_hold(h):
    h.paused = True
    n = len(h.statuses)
    first = wait_for(lambda: next((s for s in h.statuses[n:] if "stale_observation" in (s["holding"] or "")), None),
                     timeout=2.0, interval=0.002, what="a stale hold")
    wait_for(lambda: h.holding("stale_observation"), what="zero motion while the sensors are silent")
    # The node's own measure: how old the newest message of the stale sensor was when it held. Nominal:
    # stale timeout 0.3 s + at most one 50 ms control period. The slack covers the node's timer firing late
    # on a loaded 2-core machine; the harness's publishing and DDS delivery are outside this measure (a
    # wall-clock bound from the pause included them and failed about 1 run in 10 under load).
    age = float(re.search(r"is ([0-9.]+) s old", first["holding"]).group(1))
    assert 0.3 <= age <= 0.3 + 0.05 + 0.3, first["holding"]  # the reason prints the age to 10 ms
    h.paused = False
    wait_for(h.moving, what="recovery after the sensors resume")


def _call(client):
    fut = client.call_async(Trigger.Request())
    end = time.monotonic() + 2.0
    while not fut.done() and time.monotonic() < end:
        time.sleep(0.01)
    return fut.result()


def test_stop_and_reset_services(rig):
    node, h = rig
    start(h)
    stop = h.create_client(Trigger, topics.STOP_SRV)
    reset = h.create_client(Trigger, topics.RESET_SRV)
    assert stop.wait_for_service(timeout_sec=2.0) and reset.wait_for_service(timeout_sec=2.0)
    assert _call(stop).success
    wait_for(lambda: h.holding("stopped"), what="a hold after stop")
    assert _call(reset).success
    wait_for(h.moving, what="commanding after reset")


def test_control_rate_validated_on_set(rig):
    node, h = rig
    assert not node.set_parameters([Parameter("control_rate_hz", value=50.0)])[0].successful
    ok = node.set_parameters([Parameter("control_rate_hz", value=25.0)])[0]
    assert ok.successful and node.config.control_rate_hz == 25.0
    assert node._timer.timer_period_ns == 40_000_000
    bad = node.set_parameters([Parameter("command_type", value="pose")])[0]
    assert not bad.successful and "command_type" in bad.reason


def test_deactivate_stops_commanding(rig):
    node, h = rig
    start(h)
    node.trigger_deactivate()
    wait_for(lambda: h.statuses and h.statuses[-1]["state"] == "inactive", what="inactive status")
    wait_for(lambda: h.twists[-1].twist.linear.x == 0.0, what="a final hold")
    n = len(h.twists)
    time.sleep(0.2)
    assert len(h.twists) == n  # no commands while inactive
    node.trigger_activate()
    wait_for(h.moving, what="commanding after re-activation")


@pytest.mark.parametrize("rig", [{"command_type": "array"}], indirect=True)
def test_array_command_type(rig):
    node, h = rig
    got = []
    h.create_subscription(Float64MultiArray, topics.CMD_ACTION, got.append, 10)
    h.instruction_pub.publish(String(data="touch the red block"))
    wait_for(lambda: got and np.allclose(got[-1].data, EXPERT), what="the raw action on /heron/cmd_action")


@pytest.mark.parametrize("rig", [{"command_type": "joint_trajectory"}], indirect=True)
def test_joint_trajectory_command_type(rig):
    from heron.ros.panda_kinematics import fk

    node, h = rig
    got = []
    h.create_subscription(JointTrajectory, topics.JOINT_TRAJECTORY, got.append, 10)
    h.msgs["joints"].position = [0.0, 0.25, 0.0, -2.1, 0.0, 2.35, 0.785, 0.04, 0.04]
    q0 = np.array(h.msgs["joints"].position[:7])
    # the instruction only once the node has these joints: a step on the previous ones moves elsewhere
    wait_for(lambda: "joints" in node._latest and np.allclose(node._latest["joints"][0][0], q0), what="the new joint state")
    wait_for(lambda: got, what="a trajectory")  # holds computed from the previous joints may be queued: drop them
    time.sleep(0.1)
    got.clear()
    h.instruction_pub.publish(String(data="touch the red block"))

    def displacement(m):
        return fk(np.array(m.points[0].positions[:7]))[:3, 3] - fk(q0)[:3, 3]

    # Holds (zero motion) may come first, before the instruction reaches the node: wait for a move.
    msg = wait_for(lambda: next((m for m in reversed(got) if abs(displacement(m)[0]) > 1e-4), None),
                   what="a JointTrajectory that moves")
    assert list(msg.joint_names) == list(cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES) and len(msg.points) == 1
    moved = displacement(msg)
    assert moved[0] == pytest.approx(0.4 * 0.025, abs=2e-3)  # EXPERT dx = 0.4 of a 2.5 cm step
    assert msg.points[0].positions[7] == 0.0  # gripper closes (EXPERT gripper = 1)
    assert msg.points[0].time_from_start.nanosec == 100_000_000


def test_policy_exception_holds_and_node_survives(rig):
    node, h = rig
    start(h)
    good = node.loop.policy._expert

    def boom():
        raise RuntimeError("model blew up")

    node.loop.policy._expert = boom
    wait_for(lambda: h.holding("policy_error"), what="a hold on a policy exception")
    assert "model blew up" in h.statuses[-1]["last_error"]
    node.loop.policy._expert = good
    wait_for(h.moving, what="recovery after the policy works again")
