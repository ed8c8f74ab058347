"""Parameters of the two nodes: declared with descriptors, validated in one place.

``PolicyNodeConfig`` / ``SimNodeConfig`` are plain dataclasses (validated in ``__post_init__`` with
errors naming the parameter); ``declare(node, cls)`` declares every field as a ROS parameter with its
default and description, and ``read(node, cls)`` builds the config from the node's current values.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields

COMMAND_TYPES = ("twist", "array", "joint_trajectory", "joint_positions")
QOS_NAMES = ("best_effort", "reliable")  # a best-effort subscription also hears reliable publishers
IMAGE_TRANSPORTS = ("raw", "compressed")
PANDA_ARM = [f"panda_joint{i}" for i in range(1, 8)]
PANDA_FINGERS = ["panda_finger_joint1", "panda_finger_joint2"]
RUNTIMES = ("onnx", "torch")
CONTROL_RATE_RANGE = (10.0, 30.0)
CHUNKING_TYPES = ("none", "ensemble", "queue")
CONTROL_TRIGGERS = ("timer", "sensors")
EPISODE_STARTS = ("instruction", "command")


def _check(cond: bool, key: str, value, allowed: str) -> None:
    if not cond:
        raise ValueError(f"parameter {key}={value!r}: {allowed}")


@dataclass
class PolicyNodeConfig:
    policy: str = field(default="default", metadata={"doc": "model folder/.onnx path, 'default' (the shipped model), or random | hold | expert"})
    runtime: str = field(default="onnx", metadata={"doc": "onnx | torch"})
    providers: list[str] = field(default_factory=lambda: ["CPUExecutionProvider"], metadata={"doc": "ONNX Runtime execution providers, in order"})
    control_rate_hz: float = field(default=10.0, metadata={"doc": "control timer rate, 10..30 Hz"})
    control_trigger: str = field(default="timer", metadata={"doc": "timer: act on a fixed-rate timer | sensors: act on each complete set of new sensor messages, or every n-th set when the sensors are n times faster than control_rate_hz (the timer then only watches for a stalled stream)"})
    action_hz: float = field(default=10.0, metadata={"doc": "the rate the policy's actions were trained at: a unit action moves max_xyz_step per 1/action_hz s"})
    front_image_topic: str = "/camera/front/image_raw"
    wrist_image_topic: str = "/camera/wrist/image_raw"
    joint_states_topic: str = "/joint_states"
    ee_pose_topic: str = "/heron/ee_pose"
    instruction_topic: str = "/heron/instruction"
    instruction_repeat_s: float = field(default=1.0, metadata={"doc": "the current instruction received again within this many s of the last time continues the episode (a client re-sending it); later, it starts the policy's episode afresh (history and action queue cleared)"})
    expert_topic: str = field(default="/heron/expert_action", metadata={"doc": "only for policy: expert (the sim node's scripted expert)"})
    front_image_transport: str = field(default="raw", metadata={"doc": "raw (sensor_msgs/Image) | compressed (sensor_msgs/CompressedImage jpeg/png, e.g. .../image_raw/compressed)"})
    wrist_image_transport: str = field(default="raw", metadata={"doc": "raw | compressed"})
    front_image_qos: str = field(default="best_effort", metadata={"doc": "best_effort (hears any publisher) | reliable (hears only reliable publishers)"})
    wrist_image_qos: str = "best_effort"
    joint_states_qos: str = "best_effort"
    ee_pose_qos: str = field(default="best_effort", metadata={"doc": "franka_ros2 publishes current_pose best effort: a reliable subscription hears nothing"})
    instruction_qos: str = "reliable"
    arm_joint_names: list[str] = field(default_factory=lambda: list(PANDA_ARM), metadata={"doc": "the arm's joints in /joint_states, in the proprio's order (1..7; an arm with fewer leaves the last slots at 0)"})
    finger_joint_names: list[str] = field(default_factory=lambda: list(PANDA_FINGERS), metadata={"doc": "finger joints whose positions (m) sum to the gripper opening; [''] for none"})
    image_size: int = field(default=96, metadata={"doc": "image side the policy expects (0: take the policy's own, else 96)"})
    resize_images: bool = field(default=True, metadata={"doc": "crop and resize camera images of another size; false: reject them"})
    image_crop: str = field(default="center", metadata={"doc": "center: the largest centered box of the policy's aspect (times image_crop_fraction), then resize | none: squash the whole frame"})
    image_crop_fraction: float = field(default=1.0, metadata={"doc": "0.1..1: keep this fraction of the centered box (zoom in)"})
    max_image_bytes: int = field(default=16 * 1024 * 1024, metadata={"doc": "larger camera messages are rejected unread"})
    stale_timeout_s: float = field(default=0.5, metadata={"doc": "hold when any sensor is older than this (by arrival, and by header stamp when set)"})
    clock_offset_tolerance_s: float = field(default=0.05, metadata={"doc": "how far the senders' clocks may differ from this node's: stamps up to this far in the future are accepted, and stamp ages are reduced by it"})
    command_type: str = field(default="twist", metadata={"doc": "twist (TwistStamped m/s, rad/s + Float64 gripper) | array (Float64MultiArray raw 5-d action) | joint_trajectory (JointTrajectory, one point) | joint_positions (Float64MultiArray joint positions for a forward_command_controller)"})
    command_frame_id: str = field(default="world", metadata={"doc": "TwistStamped header.frame_id: the robot's planning frame (fr3_link0, base_link); never empty"})
    twist_topic: str = field(default="/heron/cmd_twist", metadata={"doc": "MoveIt Servo: /servo_node/delta_twist_cmds"})
    gripper_topic: str = "/heron/gripper_cmd"
    action_topic: str = "/heron/cmd_action"
    trajectory_topic: str = field(default="/heron/joint_trajectory", metadata={"doc": "JointTrajectoryController: /<controller>/joint_trajectory"})
    joint_command_topic: str = field(default="/heron/joint_commands", metadata={"doc": "forward_command_controller: /<controller>/commands"})
    command_joint_names: list[str] = field(default_factory=lambda: PANDA_ARM + PANDA_FINGERS, metadata={"doc": "joint_trajectory / joint_positions: the controller's joints, in its order; each one of arm_joint_names or finger_joint_names"})
    trajectory_time_from_start_s: float = field(default=0.0, metadata={"doc": "time_from_start of the one trajectory point (0: one action step, 1 / action_hz)"})
    max_xyz_step: float = field(default=0.025, metadata={"doc": "metres one unit of dx/dy/dz moves in one action step"})
    max_yaw_step: float = field(default=0.25, metadata={"doc": "radians one unit of dyaw turns in one action step"})
    workspace_low: list[float] = field(default_factory=lambda: [0.25, -0.40, 0.015])
    workspace_high: list[float] = field(default_factory=lambda: [0.80, 0.40, 0.40])
    max_delta_per_step: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0, 1.0, 2.0])
    chunking: str = field(default="ensemble", metadata={"doc": "none | ensemble | queue"})
    ensemble_k: float = 0.01
    n_action_steps: int = 4
    autostart: bool = field(default=True, metadata={"doc": "configure and activate at start"})

    def __post_init__(self):
        lo, hi = CONTROL_RATE_RANGE
        _check(lo <= self.control_rate_hz <= hi, "control_rate_hz", self.control_rate_hz, f"allowed {lo:g}..{hi:g} Hz")
        _check(0 < self.action_hz <= 100, "action_hz", self.action_hz, "allowed (0, 100] Hz")
        _check(self.runtime in RUNTIMES, "runtime", self.runtime, f"allowed {', '.join(RUNTIMES)}")
        _check(self.command_type in COMMAND_TYPES, "command_type", self.command_type, f"allowed {', '.join(COMMAND_TYPES)}")
        _check(self.control_trigger in CONTROL_TRIGGERS, "control_trigger", self.control_trigger, f"allowed {', '.join(CONTROL_TRIGGERS)}")
        _check(self.chunking in CHUNKING_TYPES, "chunking", self.chunking, f"allowed {', '.join(CHUNKING_TYPES)}")
        _check(bool(self.policy.strip()), "policy", self.policy, "must name a model path, 'default', random, hold or expert")
        _check(self.stale_timeout_s > 0 and math.isfinite(self.stale_timeout_s), "stale_timeout_s", self.stale_timeout_s, "must be > 0 s")
        _check(self.image_size == 0 or 16 <= self.image_size <= 1024, "image_size", self.image_size, "0 or 16..1024")
        for key in ("front_image_topic", "wrist_image_topic", "joint_states_topic", "ee_pose_topic", "instruction_topic",
                    "twist_topic", "gripper_topic", "action_topic", "trajectory_topic", "joint_command_topic"):
            _check(getattr(self, key).startswith("/"), key, getattr(self, key), "must be an absolute topic name")
        for key in ("front_image_qos", "wrist_image_qos", "joint_states_qos", "ee_pose_qos", "instruction_qos"):
            _check(getattr(self, key) in QOS_NAMES, key, getattr(self, key), f"allowed {', '.join(QOS_NAMES)}")
        for key in ("front_image_transport", "wrist_image_transport"):
            _check(getattr(self, key) in IMAGE_TRANSPORTS, key, getattr(self, key), f"allowed {', '.join(IMAGE_TRANSPORTS)}")
        _check(bool(self.command_frame_id.strip()), "command_frame_id", self.command_frame_id, "must name the robot's planning frame (e.g. fr3_link0, base_link)")
        _check(self.instruction_repeat_s >= 0, "instruction_repeat_s", self.instruction_repeat_s, "must be >= 0 s (0: every message restarts)")
        _check(self.clock_offset_tolerance_s >= 0, "clock_offset_tolerance_s", self.clock_offset_tolerance_s, "must be >= 0 s")
        _check(self.trajectory_time_from_start_s >= 0, "trajectory_time_from_start_s", self.trajectory_time_from_start_s, "0 (one action step) or > 0 s")
        self._check_joints()
        from heron.ros.image_input import ImageFit

        try:
            ImageFit(crop=self.image_crop, crop_fraction=self.image_crop_fraction, max_bytes=self.max_image_bytes)
        except ValueError as exc:
            raise ValueError(f"parameter {exc}") from None

    def _check_joints(self) -> None:
        arm, fingers = self.arm_joints, self.finger_joints
        _check(1 <= len(arm) <= 7 and all(arm), "arm_joint_names", self.arm_joint_names, "1..7 non-empty joint names")
        _check(len(set(arm + fingers)) == len(arm + fingers), "finger_joint_names", self.finger_joint_names, "names must differ from each other and from arm_joint_names")
        if self.command_type in ("joint_trajectory", "joint_positions"):
            _check(len(arm) == 7, "arm_joint_names", self.arm_joint_names, f"command_type {self.command_type} uses the 7-joint Panda/FR3 kinematics: name 7 arm joints")
            known = arm + fingers
            unknown = [j for j in self.command_joint_names if j not in known]
            _check(bool(self.command_joint_names) and not unknown, "command_joint_names", self.command_joint_names,
                   f"the controller's joints, each one the node computes ({', '.join(known)}); unknown: {unknown}")

    @property
    def arm_joints(self) -> list[str]:
        return [j for j in self.arm_joint_names]

    @property
    def finger_joints(self) -> list[str]:
        return [j for j in self.finger_joint_names if j]  # [''] names none

    def image_fit(self, size: tuple[int, int] | None):
        from heron.ros.image_input import ImageFit

        return ImageFit(size=size, crop=self.image_crop, crop_fraction=self.image_crop_fraction, resize=self.resize_images,
                        max_bytes=self.max_image_bytes)

    def safety_dict(self) -> dict:
        return {
            "max_delta_per_step": tuple(self.max_delta_per_step),
            "workspace_low": tuple(self.workspace_low),
            "workspace_high": tuple(self.workspace_high),
            "max_step_m": self.max_xyz_step,
            "stale_timeout_s": self.stale_timeout_s,
        }


@dataclass
class SimNodeConfig:
    image_size: int = 96
    control_hz: int = field(default=10, metadata={"doc": "physics/control step rate; 240 must divide by it"})
    camera_rate_hz: float = field(default=0.0, metadata={"doc": "0: publish the cameras after every step"})
    joint_state_rate_hz: float = field(default=0.0, metadata={"doc": "0: publish joint_states and ee_pose after every step"})
    split: str = "train"
    task: str = field(default="", metadata={"doc": "initial task family ('' : any)"})
    seed: int = 0
    cmd_timeout_s: float = field(default=0.5, metadata={"doc": "no command for this long: the arm holds still"})
    max_xyz_step: float = 0.025
    max_yaw_step: float = 0.25
    publish_expert: bool = field(default=False, metadata={"doc": "publish the scripted expert's action on /heron/expert_action (tests, baselines)"})
    wait_for_command: bool = field(default=True, metadata={"doc": "after a task reset, step physics only once a command arrives"})
    step_mode: str = field(default="clock", metadata={"doc": "clock: step at control_hz in wall-clock time | command: one step per command received (lock-step, for tests and evaluation)"})
    episode_start: str = field(default="instruction", metadata={"doc": "instruction: after a task reset the episode (its steps and budget) starts at the first command that follows an instruction on instruction_topic; earlier commands (a policy's holds while it has no instruction) move nothing and cost nothing | command: at the first command (a client that sends no instructions)"})
    instruction_topic: str = field(default="/heron/instruction", metadata={"doc": "where episode_start: instruction listens"})
    randomize: str = field(default="", metadata={"doc": "a YAML of domain-randomisation ranges (e.g. configs/collect/randomize.yaml): every task reset draws a scene ('' : the plain scene)"})

    def __post_init__(self):
        _check(16 <= self.image_size <= 1024, "image_size", self.image_size, "16..1024")
        _check(self.control_hz in (10, 12, 15, 16, 20, 24, 30), "control_hz", self.control_hz, "one of 10, 12, 15, 16, 20, 24, 30")
        for key in ("camera_rate_hz", "joint_state_rate_hz"):
            _check(0 <= getattr(self, key) <= 200, key, getattr(self, key), "0 (every step) or up to 200 Hz")
        _check(self.cmd_timeout_s > 0, "cmd_timeout_s", self.cmd_timeout_s, "must be > 0 s")
        _check(self.step_mode in ("clock", "command"), "step_mode", self.step_mode, "clock or command")
        _check(self.episode_start in EPISODE_STARTS, "episode_start", self.episode_start, f"allowed {', '.join(EPISODE_STARTS)}")
        _check(self.instruction_topic.startswith("/"), "instruction_topic", self.instruction_topic, "must be an absolute topic name")


def declare(node, cls, defaults: dict | None = None) -> None:
    """Declare every field of ``cls`` on ``node`` with its default (``defaults``, e.g. a robot profile's
    values, replace the dataclass's) and a descriptor."""
    from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor

    for f in fields(cls):
        default = f.default if f.default is not MISSING else f.default_factory()
        default = (defaults or {}).get(f.name, default)
        desc = ParameterDescriptor(name=f.name, description=f.metadata.get("doc", f.name))
        if cls is PolicyNodeConfig and f.name == "control_rate_hz":
            desc.floating_point_range = [FloatingPointRange(from_value=CONTROL_RATE_RANGE[0], to_value=CONTROL_RATE_RANGE[1], step=0.0)]
        node.declare_parameter(f.name, default, desc)


def read(node, cls, overrides: dict | None = None):
    """Build ``cls`` from the node's parameter values (plus ``overrides``, for on-set validation)."""
    values = {}
    for f in fields(cls):
        v = node.get_parameter(f.name).value
        values[f.name] = list(v) if isinstance(v, (list, tuple)) or type(v).__name__ == "array" else v
    values.update(overrides or {})
    for f in fields(cls):  # ROS hands integers for float params given as "10"
        default = f.default if f.default is not MISSING else None
        if isinstance(default, float) and isinstance(values[f.name], int):
            values[f.name] = float(values[f.name])
    return cls(**values)
