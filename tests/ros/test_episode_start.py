"""The sim node's episode budget is not spent while the policy waits for its instruction.

A policy node sends hold commands (zero motion) from the moment a task is reset until its
instruction arrives; with ``episode_start: instruction`` those move nothing and count no step, in
both step modes, however long the instruction takes."""

import json
import time

import pytest
from geometry_msgs.msg import TwistStamped
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile
from ros_helpers import Spinner, wait_for
from std_msgs.msg import Float64, Float64MultiArray, String

from heron.ros import topics
from heron.ros.sim_node import SimNode

DELAY_S = 3.0


class HoldingPolicy(Node):
    """Stands in for a policy node without an instruction: a twist + gripper hold pair (or a raw hold
    action) at 10 Hz, stamped at publish time like the policy node's."""

    def __init__(self, ctx, command: str):
        super().__init__("holding_policy", context=ctx)
        r = QoSProfile(depth=10)
        self.command = command
        self.twist_pub = self.create_publisher(TwistStamped, topics.CMD_TWIST, r)
        self.gripper_pub = self.create_publisher(Float64, topics.GRIPPER_CMD, r)
        self.action_pub = self.create_publisher(Float64MultiArray, topics.CMD_ACTION, r)
        self.task_pub = self.create_publisher(String, topics.TASK, r)
        self.instruction_pub = self.create_publisher(String, topics.INSTRUCTION, r)
        self.status = []
        self.create_subscription(String, topics.TASK_STATUS, lambda m: self.status.append(json.loads(m.data)), r)
        self.sent = 0
        self.create_timer(0.1, self._hold)

    def _hold(self):
        if self.command == "twist":
            m = TwistStamped()
            m.header.stamp = self.get_clock().now().to_msg()
            m.header.frame_id = "world"
            self.twist_pub.publish(m)
            self.gripper_pub.publish(Float64(data=0.0))
        else:
            self.action_pub.publish(Float64MultiArray(data=[0.0, 0.0, 0.0, 0.0, -1.0]))
        self.sent += 1


@pytest.mark.parametrize("step_mode", ["clock", "command"])
@pytest.mark.parametrize("command", ["twist", "array"])
def test_holds_before_the_instruction_spend_no_budget(ros_context, step_mode, command):
    node = SimNode(context=ros_context, parameter_overrides=[
        Parameter("image_size", value=64), Parameter("task", value="pick"), Parameter("step_mode", value=step_mode)])
    client = HoldingPolicy(ros_context, command)
    spinner = Spinner(ros_context, node, client, threads=2)
    try:
        wait_for(lambda: client.status, what="a task status")
        client.task_pub.publish(String(data=json.dumps({"task": "pick", "args": {"object": "blue"}, "seed": 5})))
        reset = wait_for(lambda: next((s for s in client.status if s["args"] == {"object": "blue"}), None), what="the reset")
        assert reset["steps"] == 0 and reset["episode_started_at"] is None
        sent0 = client.sent
        time.sleep(DELAY_S)
        # the holds keep coming through the delay (30 at 10 Hz; a starved machine delays timers, so wait for 5)
        wait_for(lambda: client.sent - sent0 >= 5, timeout=20.0, what="5 hold commands during the delay")
        st = client.status[-1]
        assert st["steps"] == 0 and st["state"] == "waiting_for_command", st
        assert st["waiting_for"] == f"an instruction on {topics.INSTRUCTION}" and node.steps == 0
        t_instruction = node.get_clock().now().nanoseconds * 1e-9
        client.instruction_pub.publish(String(data=st["instruction"]))
        wait_for(lambda: node.steps >= 3, timeout=10.0, what="steps once the instruction is there")
        st = wait_for(lambda: client.status[-1]["episode_started_at"] and client.status[-1], what="a started episode")
        assert st["state"] == "running" and st["waiting_for"] is None
        assert st["episode_started_at"] >= t_instruction - 0.05 and st["waited_s"] >= DELAY_S
        assert st["steps"] < st["max_steps"]
    finally:
        spinner.close()
        node.destroy_node()
        client.destroy_node()
        node.env.close()


def test_episode_start_command_keeps_the_old_behaviour(ros_context):
    node = SimNode(context=ros_context, parameter_overrides=[
        Parameter("image_size", value=64), Parameter("task", value="pick"), Parameter("episode_start", value="command")])
    client = HoldingPolicy(ros_context, "array")
    spinner = Spinner(ros_context, node, client, threads=2)
    try:
        wait_for(lambda: node.steps >= 3, timeout=10.0, what="holds stepping the episode without an instruction")
        assert wait_for(lambda: client.status and client.status[-1]["waiting_for"] is None, what="a running status")
    finally:
        spinner.close()
        node.destroy_node()
        client.destroy_node()
        node.env.close()


def test_two_node_processes_with_a_late_instruction(ros_env, tmp_path):
    """Issue 12's case end to end: both nodes as processes, the instruction 3 s after the task. The
    policy node holds (no instruction) all that time, and the episode starts with the instruction.
    The scripted expert drives (policy: expert), so success measures the plumbing, not the model.
    (Issue 12 measured the shipped model on pick blue from seed 5, which it fails lock-step with or
    without a delay. Touch, not pick: on this loaded machine, late commands make lock-step repeat a
    step now and then, and the rate-limited expert then misses pick's tight 40-step budget.)"""
    import rclpy
    from rclpy.context import Context

    from heron.bench.ros import Operator, local_env, node_processes

    domain = int(ros_env["ROS_DOMAIN_ID"])
    env = local_env(domain, ros_env["ROS_LOG_DIR"])
    sim = {"task": "touch", "step_mode": "command", "publish_expert": True, "image_size": 64}
    policy = {"policy": "expert", "control_trigger": "sensors", "control_rate_hz": 10.0}
    with node_processes(env, sim, policy, tmp_path):
        ctx = Context()
        rclpy.init(context=ctx, domain_id=domain)
        op = Operator(ctx)
        try:
            op.wait_ready(timeout=60)
            k = len(op.status)
            final = op.run_task({"task": "touch", "args": {"object": "blue"}, "seed": 5}, timeout=60, instruction_delay_s=DELAY_S)
            assert final["success"] and 0 < final["steps"] < final["max_steps"], final
            assert final["waited_s"] >= DELAY_S and final["episode_started_at"] is not None
            held = [s for s in op.status[k:] if (s["holding"] or "").startswith("no_instruction")]
            assert len(held) >= 10  # the policy node kept sending holds while it waited: they cost nothing
        finally:
            op.close()
            rclpy.shutdown(context=ctx)
