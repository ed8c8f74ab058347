"""The bag import mapping: which topics feed the cameras, proprio and actions, and how episodes are cut.

    rate_hz: 10                      # control rate: streams are sampled on this grid ...
    tick: grid                       # ... or once per message of this topic
    tick_key: null                   # with a JSON String tick topic: only messages where this key changed
    command: first                   # per tick: the first command after it (or: last before the next tick)
    image_size: 96                   # square side (images are cropped / resized: image_fit crop|resize)
    cameras: {rgb_front: /camera/front/image_raw, rgb_wrist: /camera/wrist/image_raw}
    proprio:                         # pieces, concatenated in order
      - {topic: /joint_states, field: position, joints: [panda_joint1, ...]}
      - {topic: /joint_states, field: position, joints: [panda_finger_joint1, panda_finger_joint2], reduce: sum}
      - {topic: /heron/ee_pose, field: pose}                 # x y z qx qy qz qw
    action:                          # pieces from command topics ...
      - {topic: /heron/cmd_twist, field: twist, indices: [0, 1, 2, 5], scale: 4.0}
      - {topic: /heron/gripper_cmd, field: data, scale: 2.0, offset: -1.0}
    # ... or from the next state:  action: {from: next_state, columns: [0, 1, 2], delta: false}
    action_clip: [-1, 1]             # optional
    instruction: /heron/instruction  # std_msgs/String; each message starts an episode
    task: /heron/task                # optional std_msgs/String JSON {"task", "args", "seed"}: also starts one
    status: /heron/task_status       # optional std_msgs/String JSON: {"state": "done", "success": ...} ends one
    episode_service:                 # optional: only the spans between recorded service calls are episodes
      start: /heron/episode/start    #   each call starts one (std_srvs/srv/Trigger, Empty or any service type)
      stop: /heron/episode/stop      #   each call ends it
    # or episode_service: {set_bool: /heron/episode/active}   # std_srvs/srv/SetBool: data true starts, false stops
    episode_flag: /heron/episode/active   # optional std_msgs/Bool topic: true starts, false stops
    max_age_s: 0.5                   # an observation older than this at a tick drops the tick

``configs/data/heron_sim_bag.yaml`` maps heron's own sim and policy nodes to the 22 / 5 layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heron.data.errors import DatasetError
from heron.data.mapping import IMAGE_FITS, _no_unknown, _read_yaml
from heron.policies import schema

# message type -> fields a piece can take (each a vector); cameras take Image / CompressedImage
FIELDS = {
    "sensor_msgs/msg/JointState": ("position", "velocity", "effort"),
    "geometry_msgs/msg/PoseStamped": ("pose", "position", "orientation"),
    "geometry_msgs/msg/Pose": ("pose", "position", "orientation"),
    "geometry_msgs/msg/TwistStamped": ("twist", "linear", "angular"),
    "geometry_msgs/msg/Twist": ("twist", "linear", "angular"),
    "std_msgs/msg/Float64": ("data",),
    "std_msgs/msg/Float32": ("data",),
    "std_msgs/msg/Float64MultiArray": ("data",),
    "std_msgs/msg/Float32MultiArray": ("data",),
    "trajectory_msgs/msg/JointTrajectory": ("positions", "velocities"),
}
IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
TEXT_TYPES = ("std_msgs/msg/String",)
REDUCES = ("sum", "mean")
COMMAND_PICKS = ("first", "last")


@dataclass
class Piece:
    topic: str
    field: str
    joints: list[str] | None = None  # JointState / JointTrajectory: these joints, in this order
    indices: list[int] | None = None  # then these entries of the vector
    reduce: str | None = None  # then sum / mean to one value
    scale: float | list[float] = 1.0
    offset: float | list[float] = 0.0


@dataclass
class NextState:
    columns: list[int] | None = None  # proprio entries; None = all
    delta: bool = False  # action = next - current instead of next


@dataclass
class EpisodeService:
    """Services whose recorded calls bound the episodes (rosbag2 records ``<name>/_service_event``)."""

    start: str | None = None  # each call starts an episode (a call while one runs starts a new one)
    stop: str | None = None  # each call ends the running episode
    set_bool: str | None = None  # std_srvs/srv/SetBool: data true starts (if none runs), false ends

    def names(self) -> dict[str, str]:
        return {k: v for k, v in (("start", self.start), ("stop", self.stop), ("set_bool", self.set_bool)) if v}


SERVICE_FORMS = "{start: SERVICE, stop: SERVICE} (std_srvs/Trigger or any service), {start: SERVICE}, or {set_bool: SERVICE}"


def _episode_service(raw: Any, where: str) -> EpisodeService:
    if not isinstance(raw, dict):
        raise DatasetError(f"{where}: episode_service={raw!r}: expected {SERVICE_FORMS}")
    _no_unknown(raw, {"start", "stop", "set_bool"}, f"{where}: episode_service", "")
    for key, name in raw.items():
        if not isinstance(name, str) or not name.startswith("/"):
            raise DatasetError(f"{where}: episode_service.{key}={name!r}: expected a service name (/...)")
    keys = set(raw)
    if keys not in ({"start"}, {"start", "stop"}, {"set_bool"}):
        raise DatasetError(f"{where}: episode_service has {sorted(keys)}: expected {SERVICE_FORMS}")
    return EpisodeService(**raw)


@dataclass
class BagMap:
    cameras: dict[str, str]
    proprio: list[Piece]
    action: list[Piece] | NextState
    instruction: str
    task: str | None = None
    status: str | None = None  # JSON status topic: the first {"state": "done"} ends the episode, "success" labels it
    episode_service: EpisodeService | None = None  # service calls that start / stop episodes
    episode_flag: str | None = None  # std_msgs/Bool topic: true starts an episode, false stops it
    rate_hz: float = 10.0
    tick: str = "grid"  # grid: every 1/rate_hz s; or a topic: one step per message on it
    tick_key: str | None = None  # JSON tick topic: a tick where this key's value changes (e.g. a step counter)
    command: str = "first"  # first: the first command after the tick; last: the last before the next tick
    image_size: int = 96
    image_fit: str = "crop"
    action_clip: list[float] | None = None
    max_age_s: float = 0.5
    source: str = "<mapping>"

    def __post_init__(self) -> None:
        where = self.source
        if set(self.cameras) != set(schema.CAMERAS):
            raise DatasetError(f"{where}: cameras must map both {', '.join(schema.CAMERAS)} to topics, got {sorted(self.cameras)}")
        if not self.proprio:
            raise DatasetError(f"{where}: proprio: give at least one piece ({{topic, field}})")
        if not 0.1 <= float(self.rate_hz) <= 1000:
            raise DatasetError(f"{where}: rate_hz={self.rate_hz!r}: allowed 0.1..1000")
        if self.command not in COMMAND_PICKS:
            raise DatasetError(f"{where}: command={self.command!r}: allowed {', '.join(COMMAND_PICKS)}")
        if self.tick != "grid" and not self.tick.startswith("/"):
            raise DatasetError(f"{where}: tick={self.tick!r}: 'grid' or a topic name (/...)")
        if self.image_fit not in IMAGE_FITS:
            raise DatasetError(f"{where}: image_fit={self.image_fit!r}: allowed {', '.join(IMAGE_FITS)}")
        if not isinstance(self.image_size, int) or not 8 <= self.image_size <= 1024:
            raise DatasetError(f"{where}: image_size={self.image_size!r}: must be an integer 8..1024")
        if self.episode_flag is not None and not str(self.episode_flag).startswith("/"):
            raise DatasetError(f"{where}: episode_flag={self.episode_flag!r}: expected a std_msgs/Bool topic name (/...)")

    def topics(self) -> set[str]:
        pieces = self.proprio + (self.action if isinstance(self.action, list) else [])
        return {*self.cameras.values(), *(p.topic for p in pieces), self.instruction, *([self.task] if self.task else []),
                *([self.status] if self.status else []), *([self.tick] if self.tick != "grid" else []),
                *self.switch_topics()}

    def switch_topics(self) -> list[str]:
        """The topics of the episode switches: service event topics, then the flag topic."""
        from heron.data.bag_reader import service_topic

        names = self.episode_service.names().values() if self.episode_service else []
        return [service_topic(n) for n in names] + ([self.episode_flag] if self.episode_flag else [])


def _piece(raw: Any, where: str) -> Piece:
    if not isinstance(raw, dict) or "topic" not in raw or "field" not in raw:
        raise DatasetError(f"{where}: must be {{topic: ..., field: ...}}, got {raw!r}")
    _no_unknown(raw, {"topic", "field", "joints", "indices", "reduce", "scale", "offset"}, where, "")
    if raw.get("reduce") not in (None, *REDUCES):
        raise DatasetError(f"{where}.reduce={raw['reduce']!r}: allowed {', '.join(REDUCES)}")
    return Piece(**raw)


def load_bag_map(path: str | Path) -> BagMap:
    raw = _read_yaml(path)
    where = str(path)
    _no_unknown(raw, {"cameras", "proprio", "action", "instruction", "task", "status", "rate_hz", "tick", "tick_key", "command",
                      "image_size", "image_fit", "action_clip", "max_age_s", "episode_service", "episode_flag"}, where, "")
    for key in ("cameras", "proprio", "action", "instruction"):
        if key not in raw:
            raise DatasetError(f"{where}: missing key {key!r} (see configs/data/heron_sim_bag.yaml for an example)")
    proprio = raw["proprio"] if isinstance(raw["proprio"], list) else [raw["proprio"]]
    action_raw = raw["action"]
    if isinstance(action_raw, dict) and "from" in action_raw:
        if action_raw["from"] != "next_state":
            raise DatasetError(f"{where}: action.from={action_raw['from']!r}: allowed 'next_state' (or a list of command pieces)")
        _no_unknown(action_raw, {"from", "columns", "delta"}, f"{where}: action", "")
        action: list[Piece] | NextState = NextState(action_raw.get("columns"), bool(action_raw.get("delta", False)))
    else:
        items = action_raw if isinstance(action_raw, list) else [action_raw]
        action = [_piece(p, f"{where}: action[{i}]") for i, p in enumerate(items)]
    extra = {k: raw[k] for k in ("task", "status", "rate_hz", "tick", "tick_key", "command", "image_size", "image_fit", "action_clip",
                                 "max_age_s", "episode_flag") if k in raw}
    if raw.get("episode_service") is not None:
        extra["episode_service"] = _episode_service(raw["episode_service"], where)
    return BagMap(cameras=dict(raw["cameras"]), proprio=[_piece(p, f"{where}: proprio[{i}]") for i, p in enumerate(proprio)],
                  action=action, instruction=str(raw["instruction"]), source=where, **extra)


__all__ = ["BagMap", "EpisodeService", "FIELDS", "IMAGE_TYPES", "NextState", "Piece", "TEXT_TYPES", "load_bag_map"]
