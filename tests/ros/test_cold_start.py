"""No instruction lost on a cold start (issue 23 §2).

In-process: an instruction sent before the policy node existed (latched), or after it was built but
before it was configured, is applied at activation; configure says what it is doing; the sim node
reports the instruction it received, and a policy's holds without that instruction start nothing.
As processes: an empty HERON_CACHE (the first run exports the shipped model to ONNX), the instruction
sent 3 s after the task while the policy node is still configuring, and the task succeeds."""

import json
import time

import pytest
from geometry_msgs.msg import TwistStamped
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile
from ros_helpers import Spinner, wait_for
from std_msgs.msg import Float64, String
from test_policy_node import Harness

from heron.ros import topics
from heron.ros.latched import latched_publisher
from heron.ros.policy_node import PolicyNode
from heron.ros.sim_node import SimNode

EXPORTING = "configuring: exporting the policy to ONNX (first run)"


def expert_node(ctx, **params):
    overrides = {"policy": "expert", "stale_timeout_s": 0.3, "control_rate_hz": 20.0, "command_embedding": False, **params}
    return PolicyNode(context=ctx, parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()])


def first_active(h):
    return next((s for s in h.statuses if s["state"] == "active"), None)


def test_a_latched_instruction_sent_before_the_node_existed_is_applied_at_activation(ros_context):
    h = Harness(ros_context)
    latched_publisher(h, String, topics.INSTRUCTION).publish(String(data="touch the red block"))
    node = expert_node(ros_context)
    spinner = Spinner(ros_context, node, h)
    try:
        node.trigger_configure()
        time.sleep(0.5)  # time for the latched sample to reach the reader while the node is inactive
        assert node.loop.instruction is None
        node.trigger_activate()
        s = wait_for(lambda: first_active(h), what="the activation status")
        assert s["instruction"] == "touch the red block"  # applied at activation, before the first step
        wait_for(h.moving, what="commanding")
        assert not any((x["holding"] or "").startswith("no_instruction") for x in h.statuses)
    finally:
        spinner.close()
        node.destroy_node()
        h.destroy_node()


def test_an_instruction_sent_before_configure_is_kept_for_activation(ros_context):
    node = expert_node(ros_context)
    h = Harness(ros_context)
    spinner = Spinner(ros_context, node, h)
    try:  # a plain (volatile) publisher: the node's reader exists from construction, so it is heard
        wait_for(lambda: h.count_subscribers(topics.INSTRUCTION) >= 2, what="the node's instruction readers")
        time.sleep(0.3)
        h.instruction_pub.publish(String(data="touch the blue block"))
        time.sleep(0.5)
        node.trigger_configure()
        node.trigger_activate()
        s = wait_for(lambda: first_active(h), what="the activation status")
        assert s["instruction"] == "touch the blue block" and node.instructions_in == 1
        wait_for(h.moving, what="commanding")
    finally:
        spinner.close()
        node.destroy_node()
        h.destroy_node()


def test_configure_says_it_exports_on_a_first_run(ros_context, tiny_policy, tmp_path, monkeypatch):
    monkeypatch.setenv("HERON_CACHE", str(tmp_path / "empty_cache"))
    node = PolicyNode(context=ros_context, parameter_overrides=[Parameter("policy", value=str(tiny_policy))])
    h = Harness(ros_context)
    spinner = Spinner(ros_context, node, h)
    try:
        wait_for(lambda: h.count_publishers(topics.STATUS) >= 1, what="the status publisher")
        time.sleep(0.3)
        node.trigger_configure()
        wait_for(lambda: h.statuses and h.statuses[-1]["state"] == "inactive", timeout=120.0, what="configured")
        states = [(s["state"], s["activity"]) for s in h.statuses]
        assert ("configuring", EXPORTING) in states and states[-1] == ("inactive", None)
        assert (tmp_path / "empty_cache" / "onnx").is_dir()
        node.trigger_cleanup()  # a second configure finds the export: no "first run"
        n = len(h.statuses)
        node.trigger_configure()
        wait_for(lambda: any(s["state"] == "inactive" for s in h.statuses[n:]), timeout=60.0, what="configured again")
        assert ("configuring", "configuring: loading the policy") in [(s["state"], s["activity"]) for s in h.statuses[n:]]
    finally:
        spinner.close()
        node.destroy_node()
        h.destroy_node()


class PolicyStandIn(Node):
    """A policy node's outputs: hold twists at 10 Hz and a /heron/status that names its instruction."""

    def __init__(self, ctx):
        super().__init__("policy_stand_in", context=ctx)
        r = QoSProfile(depth=10)
        self.twist_pub = self.create_publisher(TwistStamped, topics.CMD_TWIST, r)
        self.gripper_pub = self.create_publisher(Float64, topics.GRIPPER_CMD, r)
        # as the policy node publishes it: latched (a volatile status publisher is not a heron policy node)
        self.status_pub = self.create_publisher(String, topics.STATUS, QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        self.task_pub = latched_publisher(self, String, topics.TASK)
        self.instruction_pub = latched_publisher(self, String, topics.INSTRUCTION)
        self.instruction = None
        self.task_status = []
        self.create_subscription(String, topics.TASK_STATUS, lambda m: self.task_status.append(json.loads(m.data)), r)
        self.create_timer(0.1, self._tick)

    def _tick(self):
        holding = None if self.instruction else "no_instruction: waiting for one on /heron/instruction"
        self.status_pub.publish(String(data=json.dumps({"state": "active", "instruction": self.instruction, "holding": holding})))
        m = TwistStamped()
        m.header.stamp = self.get_clock().now().to_msg()
        self.twist_pub.publish(m)
        self.gripper_pub.publish(Float64(data=0.0))


@pytest.mark.parametrize("step_mode", ["clock", "command"])
def test_holds_of_a_policy_without_the_instruction_start_no_episode(ros_context, step_mode):
    sim = SimNode(context=ros_context, parameter_overrides=[Parameter("image_size", value=64), Parameter("task", value="touch"),
                                                            Parameter("step_mode", value=step_mode)])
    pol = PolicyStandIn(ros_context)
    spinner = Spinner(ros_context, sim, pol, threads=2)
    try:
        pol.task_pub.publish(String(data=json.dumps({"task": "touch", "args": {"object": "blue"}, "seed": 5})))
        reset = wait_for(lambda: next((s for s in pol.task_status if s["args"] == {"object": "blue"}), None), what="the reset")
        assert reset["instruction"] == reset["task_instruction"] and reset["instruction_received"] is False
        pol.instruction_pub.publish(String(data="tap the navy cube"))  # the sim hears it; the policy "did not"
        st = wait_for(lambda: pol.task_status[-1]["instruction_received"] and pol.task_status[-1], what="the instruction taken")
        assert st["instruction"] == "tap the navy cube" and st["task_instruction"] != "tap the navy cube"
        time.sleep(2.0)  # 20 hold pairs, stamped after the instruction
        st = pol.task_status[-1]
        assert sim.steps == 0 and st["episode_started_at"] is None and st["state"] == "waiting_for_command"
        assert st["waiting_for"].startswith("the policy node to report the instruction")
        pol.instruction = "tap the navy cube"  # now the policy's status names it: its commands count
        wait_for(lambda: sim.steps >= 3, timeout=10.0, what="the episode started")
        st = wait_for(lambda: pol.task_status[-1]["episode_started_at"] and pol.task_status[-1], what="a started episode")
        assert st["waited_s"] >= 2.0 and st["instruction"] == "tap the navy cube"
    finally:
        spinner.close()
        sim.destroy_node()
        pol.destroy_node()
        sim.env.close()


class ColdClient(Node):
    """A new user's client: latched task and instruction, and the two status topics (latched readers)."""

    def __init__(self, ctx):
        super().__init__("cold_client", context=ctx)
        latched_reader = QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.task_pub = latched_publisher(self, String, topics.TASK)
        self.instruction_pub = latched_publisher(self, String, topics.INSTRUCTION)
        self.task_status, self.status = [], []
        self.create_subscription(String, topics.TASK_STATUS, lambda m: self.task_status.append(json.loads(m.data)), QoSProfile(depth=10))
        self.create_subscription(String, topics.STATUS, lambda m: self.status.append(json.loads(m.data)), latched_reader)


def test_cold_start_with_an_empty_cache_loses_no_instruction(ros_env, tmp_path):
    """Issue 23's case end to end: both nodes as processes, the shipped model with an empty HERON_CACHE
    (configure exports it to ONNX first), the instruction 3 s after the task, while the policy node is
    still configuring. Lock-step (the sim steps once per command), so a loaded machine cannot starve it."""
    import rclpy
    from rclpy.context import Context

    from heron.bench.ros_graph import node_processes

    env = dict(ros_env, HERON_CACHE=str(tmp_path / "empty_cache"))
    domain = int(env["ROS_DOMAIN_ID"])
    ctx = Context()
    rclpy.init(context=ctx, domain_id=domain)
    client = ColdClient(ctx)
    spinner = Spinner(ctx, client, threads=2)
    task = {"task": "touch", "args": {"object": "red"}, "seed": 1_000_000}
    try:
        with node_processes(env, {"task": "touch", "step_mode": "command"}, {"policy": "default"}, tmp_path / "logs"):
            # "waits until they subscribe": both nodes' task and instruction readers (two each: latched and volatile)
            wait_for(lambda: client.count_subscribers(topics.TASK) >= 2 and client.count_subscribers(topics.INSTRUCTION) >= 4,
                     timeout=120.0, what="the nodes' subscriptions")
            client.task_pub.publish(String(data=json.dumps(task)))
            reset = wait_for(lambda: next((s for s in client.task_status if s["args"] == task["args"] and s["steps"] == 0), None),
                             timeout=60.0, what="the sim's reset")
            time.sleep(3.0)
            s = wait_for(lambda: client.status and client.status[-1], timeout=60.0, what="a policy status")
            assert s["state"] == "configuring" and s["activity"] == EXPORTING, s  # still exporting: the old failure case
            client.instruction_pub.publish(String(data=reset["task_instruction"]))
            final = wait_for(lambda: client.task_status[-1]["state"] == "done" and client.task_status[-1], timeout=400.0,
                             interval=0.1, what="the episode to end")
    finally:
        spinner.close()
        client.destroy_node()
        rclpy.shutdown(context=ctx)
    print(f"cold start: {len(client.status)} policy statuses, episode {final['steps']} steps, waited {final['waited_s']} s")
    assert final["success"] and 0 < final["steps"] < final["max_steps"], final
    assert final["instruction"] == reset["task_instruction"] and final["instruction_received"] is True
    assert any(x["state"] == "active" and x["instruction"] == reset["task_instruction"] for x in client.status)
    assert (tmp_path / "empty_cache" / "onnx").is_dir()
