"""``heron-sim-node``: the PyBullet tabletop as a ROS 2 robot, stepping in wall-clock time.

Publishes /camera/front/image_raw, /camera/wrist/image_raw (rgb8), /joint_states (7 arm + 2 finger
joints), /heron/ee_pose (PoseStamped) and /heron/task_status (String JSON {"task", "args",
"instruction", "instruction_received", "task_instruction", "instruction_index", "success", "steps",
"max_steps", "state", "waiting_for", "episode_started_at", "waited_s"}). Applies /heron/cmd_twist +
/heron/gripper_cmd (or the raw /heron/cmd_action); a command older than ``cmd_timeout_s`` means
"hold still". /heron/task (String JSON {"task", "args"?, "seed"?, "instruction"?}) resets the scene
to a new task; bad JSON is reported and ignored. /heron/task and /heron/instruction are latched
(heron/ros/latched.py): the last of each reaches this node even if it was sent before it started.

Episode start (``episode_start: instruction``, the default): after a reset nothing moves and no step
is counted until an instruction has arrived on /heron/instruction and then a command sent with it.
While a policy node publishes /heron/status, a command counts only once that status reports the
instruction this node received: a hold sent because the policy has no instruction (yet, or lost)
starts nothing. The holds spend none of the episode's budget, in either step mode. ``task_status``
says when the episode started (``episode_started_at``, node clock, s) and how long it waited for it
(``waited_s``); its ``instruction`` is the one received since the reset (``instruction_received``
true), or the task's own wording until one arrives (``task_instruction`` always holds that).
"""

from __future__ import annotations

import json
import time

import numpy as np
from geometry_msgs.msg import PoseStamped, TwistStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from rclpy.time import Time
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64, Float64MultiArray, String

from heron.policies.schema import PROPRIO, RGB_FRONT, RGB_WRIST
from heron.ros import conversions as cv
from heron.ros import topics
from heron.ros.latched import LATCHED, LatchedSubscription
from heron.ros.node_main import run_node
from heron.ros.params import SimNodeConfig, declare, read
from heron.ros.profiles import declare_profile

NODE_NAME = "heron_sim_node"


class SimNode(Node):
    def __init__(self, node_name: str = NODE_NAME, env=None, **kwargs):
        super().__init__(node_name, **kwargs)
        declare(self, SimNodeConfig, declare_profile(self, NODE_NAME))  # -p profile:=NAME: its values are the defaults
        self.config = c = read(self, SimNodeConfig)
        if env is None:
            from heron.envs import tabletop as sim
            from heron.envs.tabletop.randomization import Randomization

            randomize = Randomization.from_file(c.randomize) if c.randomize else None  # errors name the file and key
            env = sim.make_env(image_size=c.image_size, control_hz=c.control_hz, split=c.split,
                               max_xyz_step=c.max_xyz_step, max_yaw_step=c.max_yaw_step, randomize=randomize)
        self.env = env
        self._group = MutuallyExclusiveCallbackGroup()  # physics, commands and tasks: one at a time
        sensor, reliable = qos_profile_sensor_data, QoSProfile(depth=10)
        self.front_pub = self.create_publisher(Image, topics.FRONT_IMAGE, sensor)
        self.wrist_pub = self.create_publisher(Image, topics.WRIST_IMAGE, sensor)
        self.joint_pub = self.create_publisher(JointState, topics.JOINT_STATES, sensor)
        self.pose_pub = self.create_publisher(PoseStamped, topics.EE_POSE, sensor)
        self.status_pub = self.create_publisher(String, topics.TASK_STATUS, reliable)
        self.expert_pub = self.create_publisher(Float64MultiArray, topics.EXPERT_ACTION, reliable) if c.publish_expert else None
        g = self._group
        self.create_subscription(TwistStamped, topics.CMD_TWIST, self._on_twist, reliable, callback_group=g)
        self.create_subscription(Float64, topics.GRIPPER_CMD, self._on_gripper, reliable, callback_group=g)
        self.create_subscription(Float64MultiArray, topics.CMD_ACTION, self._on_action, reliable, callback_group=g)
        self._latched = [LatchedSubscription(self, String, topics.TASK, self._on_task, callback_group=g)]
        self._policy_instruction: str | None = None  # what the policy node's /heron/status says it acts on
        self._policy_status_seen = False
        if c.episode_start == "instruction":
            self._latched.append(LatchedSubscription(self, String, c.instruction_topic, self._on_instruction, callback_group=g))
            # latched, as the policy node publishes it: the newest status even if it was sent before this matched
            self._status_sub = self.create_subscription(String, topics.STATUS, self._on_policy_status, LATCHED, callback_group=g)
        self._action = np.zeros(5, np.float32)
        self._action[4] = -1.0
        self._cmd_time: float | None = None
        self._gripper = -1.0
        self._twist_refused = False
        self.terminal = False
        self.waiting = c.wait_for_command
        self.steps = 0
        self._instruction_time: int | None = None  # node clock (ns) of the first instruction since the reset
        self._instruction: str | None = None  # the instruction received since the reset (what the policy heard)
        self._reset_time = 0
        self.started_at: int | None = None  # node clock (ns) of the episode's first counted command
        self.last_error: str | None = None
        self._reset({"task": c.task or None, "seed": c.seed})
        self.create_timer(1.0 / c.control_hz, self._step, callback_group=g)
        if c.camera_rate_hz:
            self.create_timer(1.0 / c.camera_rate_hz, self._publish_cameras, callback_group=g)
        if c.joint_state_rate_hz:
            self.create_timer(1.0 / c.joint_state_rate_hz, self._publish_joints, callback_group=g)

    # -- tasks ------------------------------------------------------------------------------------------
    def _on_task(self, msg: String) -> None:
        try:
            spec = json.loads(msg.data)
            if not isinstance(spec, dict) or not isinstance(spec.get("task"), str):
                raise ValueError('expected a JSON object like {"task": "pick", "args": {"object": "red"}, "seed": 0}')
            unknown = sorted(set(spec) - {"task", "args", "seed", "instruction"})
            if unknown:
                raise ValueError(f"unknown keys {unknown}; allowed: task, args, seed, instruction")
            self._reset(spec)
        except (ValueError, KeyError, TypeError) as exc:
            self.last_error = f"bad task {msg.data[:200]!r}: {exc}"
            self.get_logger().warning(self.last_error)
            self._publish_status()

    def _reset(self, spec: dict) -> None:
        options = {"task": spec.get("task"), "args": spec.get("args") or None}
        if spec.get("instruction"):
            options["instruction"] = spec["instruction"]
        seed = spec.get("seed")
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.obs, self.info = self.env.reset(seed=seed, options=options)
        self.seed = seed
        self.steps, self.terminal, self.waiting = 0, False, self.config.wait_for_command
        self._cmd_time = None
        self._instruction_time = self.started_at = self._instruction = None
        self._reset_time = self.get_clock().now().nanoseconds
        if not self.waiting:
            self.started_at = self._reset_time
        self.last_error = None
        self.get_logger().info(f"task {self.info['task']} {self.info['args']}: {self.info['instruction']!r}")
        self._publish_all()

    def _on_instruction(self, msg: String) -> None:
        text = msg.data.strip()
        if not text:
            return
        if self._instruction_time is None:
            self._instruction_time = self.get_clock().now().nanoseconds
        if text != self._instruction:
            self._instruction = text
            self._publish_status()

    def _on_policy_status(self, msg: String) -> None:
        try:
            s = json.loads(msg.data)
        except (json.JSONDecodeError, TypeError):
            return
        if isinstance(s, dict) and "instruction" in s:
            self._policy_status_seen = True
            text = s["instruction"]
            self._policy_instruction = text.strip() if isinstance(text, str) else None

    def _policy_has_it(self) -> bool:
        """Whether the policy acts on the instruction this node received: true when no policy node reports a
        latched status (a client of its own), else only once its status names that instruction."""
        if not self._policy_status_seen and self._status_sub.get_publisher_count() == 0:
            return True
        return self._policy_instruction is not None and self._policy_instruction == self._instruction

    # -- commands ---------------------------------------------------------------------------------------
    def _on_twist(self, msg: TwistStamped) -> None:
        # A twist stamped before this node saw the instruction is a hold the policy sent without one.
        self._twist_refused = not self._counts(Time.from_msg(msg.header.stamp).nanoseconds)
        if self._twist_refused:
            return
        c, t = self.config, msg.twist
        a = cv.twist_values_to_action((t.linear.x, t.linear.y, t.linear.z), t.angular.z, 0.0, c.max_xyz_step, c.max_yaw_step, c.control_hz)
        self._action[:4] = a[:4]
        self._command_received()

    def _on_gripper(self, msg: Float64) -> None:
        refused, self._twist_refused = self._twist_refused, False  # the second half of a refused pair
        if np.isfinite(msg.data) and self._counts() and not refused:
            self._action[4] = float(np.clip(2.0 * msg.data - 1.0, -1.0, 1.0))
            self._command_received()
            if self.config.step_mode == "command":  # the gripper message closes a twist + gripper pair
                self._advance()

    def _on_action(self, msg: Float64MultiArray) -> None:
        a = np.asarray(msg.data, np.float32)
        if a.shape != (5,) or not np.all(np.isfinite(a)):
            self.get_logger().warning(f"ignoring {topics.CMD_ACTION}: need 5 finite values, got {list(msg.data)[:8]}")
            return
        if not self._counts():
            return
        self._action = np.clip(a, -1.0, 1.0)
        self._command_received()
        if self.config.step_mode == "command":
            self._advance()

    def _counts(self, stamp_ns: int | None = None) -> bool:
        """Whether a command may start (or continue) the episode: with episode_start: instruction, not
        before an instruction has arrived since the reset (nor, for a stamped command, stamped before it)."""
        if not self.waiting or self.config.episode_start == "command":
            return True
        return (self._instruction_time is not None and (not stamp_ns or stamp_ns >= self._instruction_time)
                and self._policy_has_it())

    def _command_received(self) -> None:
        self._cmd_time = time.monotonic()
        if self.waiting:
            self.waiting = False
            self.started_at = self.get_clock().now().nanoseconds

    # -- physics ----------------------------------------------------------------------------------------
    def _step(self) -> None:
        """The control-rate timer: steps physics in ``clock`` mode; in ``command`` mode it only keeps
        the sensors streaming while nothing moves (commands step the physics there)."""
        if self.terminal or self.waiting:
            self._publish_all()  # the cameras keep streaming while nothing moves
            return
        if self.config.step_mode == "clock":
            self._advance()
        elif self._cmd_time is not None and time.monotonic() - self._cmd_time > 1.0 / self.config.control_hz:
            self._publish_all()  # a lost sensor message must not stall a lock-step loop: send them again

    def _advance(self) -> None:
        if self.terminal:
            return
        a = self._action.copy()
        if self._cmd_time is None or time.monotonic() - self._cmd_time > self.config.cmd_timeout_s:
            a[:4] = 0.0  # command timed out: hold still, keep the gripper as it was
        self.obs, _, terminated, truncated, self.info = self.env.step(a)
        self.steps += 1
        self.terminal = bool(terminated or truncated)
        self._publish_all()

    def _publish_all(self) -> None:
        if not self.config.camera_rate_hz:
            self._publish_cameras()
        if not self.config.joint_state_rate_hz:
            self._publish_joints()
        if self.expert_pub is not None and not self.terminal:
            self.expert_pub.publish(Float64MultiArray(data=[float(v) for v in self.env.expert_action()]))
        self._publish_status()

    def _publish_cameras(self) -> None:
        stamp = self.get_clock().now().to_msg()
        for pub, key, frame in ((self.front_pub, RGB_FRONT, "front_camera"), (self.wrist_pub, RGB_WRIST, "wrist_camera")):
            msg = Image(**cv.array_to_image_fields(self.obs[key]))
            msg.header.stamp, msg.header.frame_id = stamp, frame
            pub.publish(msg)

    def _publish_joints(self) -> None:
        p = np.asarray(self.obs[PROPRIO], np.float64)
        stamp = self.get_clock().now().to_msg()
        js = JointState()
        js.header.stamp = stamp
        js.name = list(cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES)
        js.position = [*p[0:7].tolist(), p[14] / 2, p[14] / 2]
        js.velocity = [*p[7:14].tolist(), 0.0, 0.0]
        self.joint_pub.publish(js)
        pose = PoseStamped()
        pose.header.stamp, pose.header.frame_id = stamp, "world"
        pose.pose.position.x, pose.pose.position.y, pose.pose.position.z = p[15:18].tolist()
        o = pose.pose.orientation
        o.x, o.y, o.z, o.w = p[18:22].tolist()
        self.pose_pub.publish(pose)

    def task_status(self) -> dict:
        i = self.info
        state = "done" if self.terminal else "waiting_for_command" if self.waiting else "running"
        waiting_for = None
        if self.waiting:
            need_instruction = self.config.episode_start == "instruction" and self._instruction_time is None
            waiting_for = f"an instruction on {self.config.instruction_topic}" if need_instruction else "a command"
            if not need_instruction and self.config.episode_start == "instruction" and not self._policy_has_it():
                waiting_for = "the policy node to report the instruction (its commands until then are holds)"
        started = self.started_at
        return {
            "task": i["task"], "args": i["args"], "instruction": self._instruction or i["instruction"],
            "instruction_received": self._instruction is not None, "task_instruction": i["instruction"],
            "instruction_index": i["subtask_index"], "success": bool(i["success"]), "steps": self.steps,
            "max_steps": i["max_steps"], "state": state, "waiting_for": waiting_for,
            "episode_started_at": None if started is None else started * 1e-9,
            "waited_s": None if started is None else round((started - self._reset_time) * 1e-9, 3),
            "last_error": self.last_error, "seed": self.seed,
            # what domain randomisation drew (-p randomize:=...): a recorded bag can replay the scene
            **({"scene": i["randomization"]} if self.config.randomize else {}),
        }

    def _publish_status(self) -> None:
        self.status_pub.publish(String(data=json.dumps(self.task_status())))


def main(args: list[str] | None = None) -> int:
    """Console script ``heron-sim-node [--ros-args -p profile:=sim | --params-file configs/ros/sim_node.yaml]``."""
    # one callback at a time (physics, commands, tasks) without a thread pool: a mutually exclusive
    # group on a MultiThreadedExecutor re-dispatches whatever arrives during a physics step in a tight loop
    return run_node("heron-sim-node", SimNode, SingleThreadedExecutor, args, on_exit=lambda node: node.env.close())


if __name__ == "__main__":
    raise SystemExit(main())
