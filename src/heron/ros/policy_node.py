"""``heron-policy-node``: the VLA policy as a ROS 2 lifecycle node.

Inputs:  /camera/front/image_raw, /camera/wrist/image_raw (sensor_msgs/Image rgb8|bgr8|rgba8|bgra8|
         mono8 of any size, or CompressedImage jpeg|png: heron/ros/image_input.py), /joint_states (the arm
         and finger joints named by parameters), /heron/ee_pose (geometry_msgs/PoseStamped),
         /heron/instruction (std_msgs/String). Topic names and QoS per input are parameters; the
         latest message of each is kept. Staleness: by arrival, and by header stamp when one is set.
Outputs: heron/ros/command_output.py: TwistStamped (m/s, rad/s, for MoveIt Servo) + Float64 gripper, or
         Float64MultiArray (raw action or joint positions), or JointTrajectory; /heron/status (String
         JSON), /diagnostics. Services /heron/stop, /heron/reset. Robot profiles: configs/ros/robots/.
Lifecycle: configure loads the policy and wires topics; activate starts the control timer;
deactivate commands a hold and stops. Bad or stale input -> hold (zero motion), reported in status.
The instruction and command subscriptions exist from construction and are latched (heron/ros/
latched.py): one sent before the node existed or while it configured (the first run exports the
model to ONNX, about 13 s) is kept and applied at activation; the status says what configure does.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import deque

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.clock import Clock, ClockType
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from heron.policies.schema import INSTRUCTION, PROPRIO, RGB_FRONT, RGB_WRIST, TIMESTAMP
from heron.ros import conversions as cv
from heron.ros import topics
from heron.ros.command_bridge import CommandBridge
from heron.ros.command_output import CommandOutput
from heron.ros.image_input import parse_cdr, to_policy_image
from heron.ros.latched import LATCHED
from heron.ros.latest_reader import LatestReader
from heron.ros.node_main import run_node
from heron.ros.params import PolicyNodeConfig, declare, read
from heron.ros.policy_factory import configure_activity, load_node_policy
from heron.ros.policy_status import diagnostics, node_status
from heron.ros.profiles import declare_profile
from heron.ros.sensor_clock import SensorSetClock
from heron.runtime.chunking import ChunkingConfig
from heron.runtime.loop import ControlLoop, LoopConfig, LoopStep
from heron.runtime.safety import POLICY_ERROR, SafetyConfig

NODE_NAME = "heron_policy_node"
SENSORS = ("front", "wrist", "joints", "ee_pose")
DYNAMIC_PARAMS = ("control_rate_hz", "stale_timeout_s")  # applied while configured; others at configure
ERROR_CODES = ("bad_input", "stale_observation", "policy_error")  # hold reasons that set last_error


class PolicyNode(LifecycleNode):
    """See the module docstring. ``PolicyNode(context=ctx, parameter_overrides=[...])`` in tests."""

    def __init__(self, node_name: str = NODE_NAME, **kwargs):
        super().__init__(node_name, **kwargs)
        try:
            declare(self, PolicyNodeConfig, declare_profile(self, NODE_NAME))  # -p profile:=NAME: its values are the defaults
            self.config = read(self, PolicyNodeConfig)  # raises ValueError on a bad params file or profile
        except ValueError:
            super().destroy_node()  # half-built: context shutdown must not call our destroy_node
            raise
        # /heron/command -> interpreter -> steps as instructions, /heron/feedback (heron/ros/command_bridge.py); made
        # before the on-set callback, which validates PolicyNodeConfig's parameters only
        self.command_bridge = CommandBridge(self, instruct=lambda text: self._on_instruction(String(data=text)),
                                            stop=lambda: self._on_stop(None, Trigger.Response()), status=self.status,
                                            active=lambda: self._active)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._lock = threading.Lock()
        # Reentrant groups, with locks where state is shared: in rclpy's MultiThreadedExecutor an entity
        # that is ready while its mutually exclusive group is busy is re-dispatched in a tight loop
        # (each refused handler wakes the executor again), which burned a core whenever four sensor
        # messages arrived together.
        self._sensor_group = ReentrantCallbackGroup()
        self._control_group = ReentrantCallbackGroup()
        self._latest: dict[str, tuple] = {}  # sensor -> (value, receive time, preprocess s)
        self._errors: dict[str, str] = {}  # sensor -> last bad-input message (cleared by a good one)
        self._pending_instruction: str | None = None
        self._reset_requested = False
        self._instruction_error: str | None = None
        self._expert_action: np.ndarray | None = None
        self._expert_time: float | None = None
        self.loop: ControlLoop | None = None
        self.policy = None
        self._timer = None
        # control_trigger: sensors — a control thread woken by each complete sensor set. (An rclpy guard
        # condition in the control callback group made the MultiThreadedExecutor busy-spin: ~95% of a
        # core, and a harness streaming at 50 Hz in the same process fell to 12 Hz.)
        self._wake = threading.Event()
        self._control_thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()  # timer callbacks and the control thread never tick at once
        self.sensor_clock = SensorSetClock()  # control_trigger: sensors — when to step on complete sensor sets
        self._active = False
        self._entities: list = []
        self.state = "unconfigured"
        self.activity: str | None = None  # what a transition is doing, for the status ("exporting ...")
        self.stopped = False
        self.holding: str | None = None
        self.last_error: str | None = None
        self.past_error: str | None = None  # the last error once the node was healthy again
        self.bad_inputs = 0
        self.last_bad_input: str | None = None  # the newest rejected message, even one a good one replaced before a step
        self.last_bad_input_ms: float | None = None
        self.commands_sent = 0
        self.messages_in = 0  # sensor and instruction messages taken
        self.instructions_in = 0
        self.output: CommandOutput | None = None
        self._instruction_reader: LatestReader | None = None
        self._instruction_seen = -1e9  # monotonic time the current instruction was last received
        self._last_step_ms: float | None = None
        self._last_used_image_t: float | None = None
        self.image_to_cmd = deque(maxlen=5000)  # s, image arrival -> command publish
        self._logged: dict[str, str] = {}  # source -> last warning logged
        # latched (depth 10 as before): a client that joins during a long configure still sees "configuring: ..."
        self.status_pub = self.create_publisher(String, topics.STATUS, QoSProfile(depth=10, reliability=LATCHED.reliability,
                                                                                  durability=LATCHED.durability))
        self.diag_pub = self.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)
        self._diag_timer = self.create_timer(1.0, self._publish_diagnostics)
        self._ensure_instruction_reader()  # from construction: an instruction sent while configuring is kept

    # -- lifecycle ------------------------------------------------------------------------------------
    def on_configure(self, state) -> TransitionCallbackReturn:
        try:
            self.config = read(self, PolicyNodeConfig)
            self.state, self.activity = "configuring", configure_activity(self.config)
            self.get_logger().info(f"configuring: {self.activity}")
            self._publish_status()
            self.policy, image_size = load_node_policy(self.config, expert_source=lambda: self._expert_action)
            self.image_size = (image_size, image_size) if image_size else None
            c = self.config
            loop_cfg = LoopConfig(
                rate_hz=c.control_rate_hz,
                chunking=ChunkingConfig(type=c.chunking, k=c.ensemble_k, n_action_steps=c.n_action_steps),
                safety=SafetyConfig(**c.safety_dict()),
            )
            self.loop = ControlLoop(self.policy, loop_cfg)
            self.loop.reset()
        except Exception as exc:  # noqa: BLE001 - a failed configure is reported, the node lives on
            self.last_error = f"configure failed: {exc}"
            self.get_logger().error(self.last_error)
            self.state, self.activity = "unconfigured", None
            self._publish_status()
            return TransitionCallbackReturn.FAILURE
        self._create_entities()
        self.state, self.activity = "inactive", None
        self.get_logger().info(f"configured: policy={c.policy!r} runtime={c.runtime} rate={c.control_rate_hz:g} Hz command={c.command_type}")
        self._publish_status()
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state) -> TransitionCallbackReturn:
        with self._tick_lock:  # what arrived before activation is applied now, before the first step
            self._take_instruction()
            with self._lock:
                pending, self._pending_instruction = self._pending_instruction, None
            if pending is not None and self.loop is not None:
                error = self._apply_instruction(pending, time.monotonic())
                if error:
                    self.last_error = error
            self._start_timer()
            self.state = "active"
        self.command_bridge.on_activate()
        self._publish_status()
        return super().on_activate(state)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        with self._tick_lock:  # a step in flight finishes first, so the hold below is the last command
            self._stop_timer()
            if self.loop is not None:
                self._publish_command(self.loop.hold("deactivated: lifecycle deactivate").action)
        self.state = "inactive"
        self._publish_status()
        return super().on_deactivate(state)

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        self._destroy_timer()
        self._destroy_entities()
        self.policy = self.loop = None
        self.state = "unconfigured"
        self._publish_status()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state) -> TransitionCallbackReturn:
        self._destroy_timer()
        self._destroy_entities()
        self.state = "finalized"
        return TransitionCallbackReturn.SUCCESS

    def destroy_node(self) -> None:
        self._stop_control_thread()  # a node destroyed while active
        if self._instruction_reader is not None:
            self._instruction_reader.destroy()
            self._instruction_reader = None
        super().destroy_node()

    def _stop_control_thread(self) -> None:
        thread, self._control_thread = self._control_thread, None  # the worker loops while it is current
        if thread is not None:
            self._wake.set()
            thread.join(timeout=2.0)

    # The timer and control thread live from configure to cleanup; activate/deactivate only start and
    # stop them (destroying them under a spinning executor races its wait set).
    def _start_timer(self) -> None:
        with self._lock:
            self.sensor_clock.reset()
        self._active = True
        if self._timer is None:
            # a steady clock: under use_sim_time the node keeps commanding (holds) while /clock is silent
            self._timer = self.create_timer(1.0 / self.config.control_rate_hz, self._on_timer, callback_group=self._control_group,
                                            clock=Clock(clock_type=ClockType.STEADY_TIME))
            if self.config.control_trigger == "sensors":
                self._control_thread = threading.Thread(target=self._control_worker, name="heron_control", daemon=True)
                self._control_thread.start()
        else:
            self._timer.timer_period_ns = int(1e9 / self.config.control_rate_hz)
            self._timer.reset()

    def _stop_timer(self) -> None:
        self._active = False
        if self._timer is not None:
            self._timer.cancel()

    def _destroy_timer(self) -> None:
        self._stop_timer()
        if self._timer is not None:
            self.destroy_timer(self._timer)
            self._timer = None
        self._stop_control_thread()

    def _create_entities(self) -> None:
        c, reliable, g = self.config, QoSProfile(depth=10), self._sensor_group
        self._image_fit = c.image_fit(self.image_size)  # before the subscriptions that use it

        def qos(name: str) -> QoSProfile:  # best_effort: sensor-data QoS, which hears any publisher
            return reliable if name == "reliable" else qos_profile_sensor_data

        image_types = {"raw": Image, "compressed": CompressedImage}
        self._entities = [
            self.create_subscription(image_types[c.front_image_transport], c.front_image_topic, lambda m: self._on_image("front", m),
                                     qos(c.front_image_qos), callback_group=g, raw=True),
            self.create_subscription(image_types[c.wrist_image_transport], c.wrist_image_topic, lambda m: self._on_image("wrist", m),
                                     qos(c.wrist_image_qos), callback_group=g, raw=True),
            self.create_subscription(JointState, c.joint_states_topic, self._on_joints, qos(c.joint_states_qos), callback_group=g),
            self.create_subscription(PoseStamped, c.ee_pose_topic, self._on_pose, qos(c.ee_pose_qos), callback_group=g),
            self.create_service(Trigger, topics.STOP_SRV, self._on_stop),
            self.create_service(Trigger, topics.RESET_SRV, self._on_reset),
        ]
        if c.policy == "expert":
            self._entities.append(self.create_subscription(Float64MultiArray, c.expert_topic, self._on_expert, reliable, callback_group=g))
        self.output = CommandOutput(self, c)
        self._entities += self.output.publishers
        self._ensure_instruction_reader()

    def _ensure_instruction_reader(self) -> None:
        """The instruction reader, read once per control step, not per message (heron/ros/latest_reader.py): a
        flooded topic cannot slow control. Made at construction; remade only if its topic or QoS changed."""
        c, r = self.config, self._instruction_reader
        key = (c.instruction_topic, c.instruction_qos)
        if r is not None and getattr(r, "key", None) == key:
            return
        if r is not None:
            r.destroy()
        self._instruction_reader = LatestReader(self.context, f"{self.get_name()}_instruction_reader", String, c.instruction_topic,
                                                reliable=c.instruction_qos == "reliable", latched=True)
        self._instruction_reader.key = key

    def _take_instruction(self) -> None:
        reader = self._instruction_reader
        msg = reader.take() if reader is not None else None
        if msg is not None:
            self._on_instruction(msg)

    def _destroy_entities(self) -> None:
        for e in self._entities:
            kind = type(e).__name__
            {"Subscription": self.destroy_subscription, "Service": self.destroy_service, "Publisher": self.destroy_publisher}.get(kind, lambda _: None)(e)
        self._entities = []

    # -- parameters -----------------------------------------------------------------------------------
    def _on_set_parameters(self, params) -> SetParametersResult:
        try:
            new = read(self, PolicyNodeConfig, {p.name: p.value for p in params})
        except (ValueError, TypeError) as exc:
            return SetParametersResult(successful=False, reason=str(exc))
        if self.loop is None:
            self.config = new
        else:  # configured: rate and stale timeout change now, the rest at the next configure
            changed = [p.name for p in params if p.name not in DYNAMIC_PARAMS]
            if changed:
                self.get_logger().info(f"parameters {changed} take effect at the next configure")
            for key in DYNAMIC_PARAMS:
                setattr(self.config, key, getattr(new, key))
            self.loop.config.safety.stale_timeout_s = new.stale_timeout_s
            self.loop.stats.period_s = 1.0 / new.control_rate_hz
        if self._timer is not None:
            self._timer.timer_period_ns = int(1e9 / new.control_rate_hz)
        return SetParametersResult(successful=True)

    # -- sensors (never blocked by inference: their own callback group) ------------------------------
    def _store(self, key: str, fn, msg, parse=None) -> None:
        t0 = time.monotonic()
        try:
            if parse is not None:
                msg = parse(msg)  # raw CDR bytes -> the message's fields
            value = fn(msg)
        except cv.BadInput as exc:
            with self._lock:
                self._errors[key] = str(exc)
                self.bad_inputs += 1
                self.last_bad_input = f"{key}: {exc}"
                self.last_bad_input_ms = round((time.monotonic() - t0) * 1e3, 3)  # what rejecting it cost
            self._warn(key, f"bad {key} input: {exc}")
            return
        t1 = time.monotonic()
        header = getattr(msg, "header", None)
        stamp = header.stamp.sec * 1_000_000_000 + header.stamp.nanosec if header is not None else 0
        with self._lock:
            self._latest[key] = (value, t1, t1 - t0, stamp or None)  # stamp: node-clock ns, None when unset
            self._errors.pop(key, None)
            self.messages_in += 1
        self._logged.pop(key, None)
        self._maybe_trigger()

    def _maybe_trigger(self) -> None:
        """control_trigger: sensors: a complete set is one message from every sensor newer than the
        previous set (cameras, joints and pose from the same instant); each set wakes the control step."""
        if self._control_thread is None or not self._active:
            return
        with self._lock:
            last = self.sensor_clock.last
            times = [self._latest[s][1] if s in self._latest else None for s in SENSORS]
            if self.config.policy == "expert":
                times.append(self._expert_time)
            if not all(t is not None and (last is None or t > last) for t in times):
                return
            self.sensor_clock.add_set(max(times), self.config.control_rate_hz)
        self._wake.set()

    def _on_image(self, camera: str, raw: bytes) -> None:
        """Cameras arrive as CDR bytes (raw subscriptions): see heron/ros/image_input.py for why."""
        compressed = getattr(self.config, f"{camera}_image_transport") == "compressed"
        self._store(camera, lambda m: to_policy_image(m, self._image_fit), raw, parse=lambda r: parse_cdr(r, compressed, self._image_fit))

    def _on_joints(self, msg: JointState) -> None:
        arm, fingers = tuple(self.config.arm_joints), tuple(self.config.finger_joints)
        self._store("joints", lambda m: cv.joint_state_to_arrays(m, arm, fingers), msg)

    def _on_pose(self, msg: PoseStamped) -> None:
        self._store("ee_pose", cv.pose_to_arrays, msg)

    def _on_expert(self, msg: Float64MultiArray) -> None:
        if len(msg.data) == 5:
            self._expert_action = np.asarray(msg.data, np.float32)
            self._expert_time = time.monotonic()
            self._maybe_trigger()

    def _on_instruction(self, msg: String) -> None:
        try:
            text = cv.check_instruction(msg.data)
        except cv.BadInput as exc:
            with self._lock:
                self._instruction_error = str(exc)
                self._pending_instruction = None
                self.bad_inputs += 1
                self.last_bad_input = f"instruction: {exc}"
            self._warn("instruction", f"rejected instruction: {exc}; holding until a valid one arrives")
            return
        with self._lock:
            self._pending_instruction = text
            self._instruction_error = None
            self.messages_in += 1
            self.instructions_in += 1
        if self._logged.get("instruction") != text:  # once per new text, not at every message
            self.get_logger().info(f"instruction: {text!r}")
            self._logged["instruction"] = text

    # -- services ---------------------------------------------------------------------------------------
    def _on_stop(self, request, response):
        self.stopped = True
        if self.loop is not None:
            self._publish_command(self.loop.hold("stopped: /heron/stop was called").action)
        response.success, response.message = True, "stopped: holding until /heron/reset or a new instruction"
        self._publish_status()
        return response

    def _on_reset(self, request, response):
        with self._lock:
            text = self._pending_instruction or (self.loop.instruction if self.loop else None)
            self._pending_instruction = text
        self._reset_requested = True
        self.stopped = False
        response.success, response.message = True, "reset: policy state and action queue cleared"
        return response

    # -- control ----------------------------------------------------------------------------------------
    def _on_timer(self) -> None:
        if self.config.control_trigger == "sensors":
            # sensors are driving the loop; the timer only catches a stalled stream (no complete set for
            # 2 periods), so a merely late set never gets a second step with the old observation
            with self._lock:
                if not self.sensor_clock.stalled(time.monotonic(), self.config.control_rate_hz):
                    return
        self._tick(wait=False)

    def _control_worker(self) -> None:
        """control_trigger: sensors: step once per n complete sensor sets, until the timer is destroyed."""
        me = threading.current_thread()
        while self._control_thread is me:
            if not self._wake.wait(timeout=0.1):
                continue
            self._wake.clear()
            with self._lock:
                due = self.sensor_clock.due(self.config.control_rate_hz)
            if due and self._active:
                try:
                    self._tick()
                except Exception as exc:  # noqa: BLE001 - the loop already holds on policy errors; never let the thread die
                    self._warn("control", f"control step failed: {type(exc).__name__}: {exc}")

    def _tick(self, wait: bool = True) -> None:
        if not self._tick_lock.acquire(blocking=wait):
            return  # the timer fired while a step is still running: the step itself reports its missed deadline
        try:
            self._tick_locked()
        finally:
            self._tick_lock.release()

    def _tick_locked(self) -> None:
        loop = self.loop
        if loop is None or not self._active:
            return
        self._take_instruction()
        now = time.monotonic()
        with self._lock:
            self.sensor_clock.stepped()
            latest, errors = dict(self._latest), dict(self._errors)
            pending, self._pending_instruction = self._pending_instruction, None
            instr_error = self._instruction_error
        if self._reset_requested:
            self._reset_requested = False
            loop.reset()
        reason = None
        if pending is not None:
            reason = self._apply_instruction(pending, now)
        elif instr_error is not None and loop.instruction is not None:
            loop.instruction = None  # a rejected instruction ends the current one
        reason = reason or self._hold_reason(latest, errors, instr_error, now)
        step: LoopStep | None = None
        if reason is None:
            obs = {
                RGB_FRONT: latest["front"][0],
                RGB_WRIST: latest["wrist"][0],
                PROPRIO: cv.build_proprio(*latest["joints"][0], *latest["ee_pose"][0]),
                INSTRUCTION: loop.instruction,
                TIMESTAMP: min(latest[s][1] for s in SENSORS),
            }
            loop.stats.add("preprocess", sum(latest[s][2] for s in SENSORS))
            step = loop.step(obs, now=now)  # a failing policy holds inside the loop
            if step.events and step.events[0].startswith(POLICY_ERROR):
                reason = step.events[0]
        if step is None:
            step = loop.hold(reason)
        else:
            self._last_step_ms = round(step.compute_s * 1e3, 3)
        self.holding = reason if reason else (step.events[0] if step.events and not step.inferred else None)
        if reason:
            if reason.split(":", 1)[0] in ERROR_CODES:
                self.last_error = reason
            self._warn("hold", f"holding: {reason}")
        else:
            self._logged.pop("hold", None)
            if self.last_error is not None:  # healthy again: the error is history, not the present
                self.past_error, self.last_error = self.last_error, None
        self._publish_command(step.action, latest)
        t_img = latest.get("front", (None, None))[1]
        if t_img is not None and t_img != self._last_used_image_t and not reason:
            self.image_to_cmd.append(time.monotonic() - t_img)
            self._last_used_image_t = t_img
        self._last_done = step.done
        self._publish_status()

    def _apply_instruction(self, text: str, now: float) -> str | None:
        """Give the loop a received instruction; the hold reason if the policy refuses it."""
        loop = self.loop
        seen, self._instruction_seen = self._instruction_seen, now
        if text == loop.instruction and not self.stopped and now - seen < self.config.instruction_repeat_s:
            return None  # the same instruction repeated (a client re-sending it): the episode goes on
        try:
            loop.set_instruction(text)
            self.stopped = False
        except Exception as exc:  # noqa: BLE001 - e.g. the tokenizer refuses it: hold, keep running
            loop.instruction = None
            return f"policy_error: set_instruction({text!r}) failed: {type(exc).__name__}: {exc}"
        return None

    def _hold_reason(self, latest: dict, errors: dict, instr_error: str | None, now: float) -> str | None:
        if self.stopped:
            return "stopped: /heron/stop was called; /heron/reset or a new instruction resumes"
        if instr_error is not None and self.loop.instruction is None:
            return f"bad_input: {instr_error}"
        if self.loop.instruction is None:
            return f"no_instruction: waiting for one on {self.config.instruction_topic}"
        for s in SENSORS:
            if s in errors:
                return f"bad_input: {errors[s]}"
        if self.config.policy == "expert" and self._expert_action is None:
            return f"waiting_for_sensor: expert action on {self.config.expert_topic}"
        now_ros = self.get_clock().now().nanoseconds
        if now_ros == 0:
            return "waiting_for_sensor: use_sim_time is set and no /clock message has come yet"
        tol = self.config.clock_offset_tolerance_s
        for s in SENSORS:
            if s not in latest:
                return f"waiting_for_sensor: no {s} message yet"
            age = now - latest[s][1]
            stamp = latest[s][3]
            if stamp is not None:  # the sender's stamp: catches frames that waited in a queue or a driver
                stamp_age = (now_ros - stamp) * 1e-9
                if stamp_age < -tol:
                    return (f"bad_input: {s} header stamp is {-stamp_age:.3f} s in the future (> clock_offset_tolerance_s "
                            f"{tol:g}): synchronise the clocks (chrony/PTP), or raise clock_offset_tolerance_s")
                age = max(age, stamp_age - tol)
            if age > self.config.stale_timeout_s:
                return f"stale_observation: {s} is {age:.2f} s old (> {self.config.stale_timeout_s:g} s)"
        return None

    def _publish_command(self, action: np.ndarray, latest: dict | None = None) -> None:
        joints = (latest or {}).get("joints")
        try:
            # joint commands without a joint state send nothing: the robot's controller holds
            sent = self.output.publish(action, joints[0] if joints else None)
        except Exception as exc:  # noqa: BLE001 - e.g. a reliable writer's history is full: report, keep running
            self._warn("publish", f"command not sent: {type(exc).__name__}: {exc}")
            return
        self.commands_sent += int(sent)

    # -- reporting (heron/ros/policy_status.py) ---------------------------------------------------------
    def status(self) -> dict:
        return node_status(self)

    def _publish_status(self) -> None:
        self.status_pub.publish(String(data=json.dumps(self.status())))

    def _publish_diagnostics(self) -> None:
        msg = diagnostics(self, self.status())
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(msg)

    def _warn(self, source: str, text: str) -> None:
        key = re.sub(r"[0-9]+(\.[0-9]+)?", "#", text)  # "front is 0.41 s old" and "0.51 s old" are one problem
        if self._logged.get(source) != key:  # once per distinct problem, not at every message
            self.get_logger().warning(text)
            self._logged[source] = key


def make_executor():
    """One thread spins the callbacks; inference runs on the node's own control thread. rclpy's
    4-thread MultiThreadedExecutor cost 68% of a core on 42 messages/s and, on a busy host, missed
    56-62 deadlines a minute where this one missed none (README "Soak"). HERON_ROS_EXECUTOR=multi
    brings it back."""
    if os.environ.get("HERON_ROS_EXECUTOR", "single") == "multi":
        return MultiThreadedExecutor(num_threads=4)
    return SingleThreadedExecutor()


def _autostart(node: PolicyNode) -> None:
    if node.config.autostart:
        node.trigger_configure()
        if node.state == "inactive":
            node.trigger_activate()


def main(args: list[str] | None = None) -> int:
    """Console script ``heron-policy-node [--ros-args -p profile:=ur_servo | --params-file configs/ros/policy_node.yaml]``."""
    return run_node("heron-policy-node", PolicyNode, make_executor, args, on_start=_autostart)


if __name__ == "__main__":
    raise SystemExit(main())
