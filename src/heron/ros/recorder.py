"""``heron-record``: record ROS 2 topics into a rosbag2 bag (MCAP + metadata.yaml) without a ROS install.

Each topic is subscribed once a publisher appears, with the publisher's type and QoS (a reliable
subscription to a best-effort camera would receive nothing), and ``raw=True``: the bag stores the CDR
bytes exactly as they arrived on the wire (``serialize_message`` can return padded buffers that strict
readers reject). The bag is written by ``rosbags`` into ``<output>.partial`` and renamed to ``output``
when recording stops (Ctrl-C, SIGTERM, or ``duration_s``); a crash leaves the partial MCAP readable.

    heron-record --ros-args -p output:=bags/session1 [-p topics:="[/a, /b]"] [-p duration_s:=60.0]

A service is recorded as rosbag2 records it: list its event topic, ``/<service>/_service_event``
(published when introspection is on in its server or client), and the bag holds it with type
``<pkg>/srv/<Name>_Event`` and, like rosbag2, the ``.srv`` text as its definition.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from heron.data.bag_reader import is_service_event
from heron.ros import topics
from heron.ros.params import declare, read

DEFAULT_TOPICS = [topics.FRONT_IMAGE, topics.WRIST_IMAGE, topics.JOINT_STATES, topics.EE_POSE, topics.INSTRUCTION, topics.TASK,
                  topics.TASK_STATUS, topics.CMD_TWIST, topics.GRIPPER_CMD, topics.CMD_ACTION, topics.JOINT_TRAJECTORY,
                  topics.EXPERT_ACTION]
STORAGES = ("mcap", "sqlite3")


@dataclass
class RecorderConfig:
    output: str = field(default="bags/heron", metadata={"doc": "bag folder to create (must not exist)"})
    topics: list[str] = field(default_factory=lambda: list(DEFAULT_TOPICS), metadata={"doc": "topics to record"})
    storage: str = field(default="mcap", metadata={"doc": "mcap | sqlite3"})
    bag_version: int = field(default=9, metadata={"doc": "rosbag2 metadata version: 9 (Jazzy+) or 8 (Humble)"})
    duration_s: float = field(default=0.0, metadata={"doc": "stop after this long (0: until Ctrl-C / SIGTERM)"})
    discovery_period_s: float = field(default=0.2, metadata={"doc": "how often to look for publishers of topics not yet subscribed"})

    def __post_init__(self) -> None:
        if self.storage not in STORAGES:
            raise ValueError(f"parameter storage={self.storage!r}: allowed {', '.join(STORAGES)}")
        if self.bag_version not in (8, 9):
            raise ValueError(f"parameter bag_version={self.bag_version!r}: allowed 8, 9")
        if not self.topics or not all(t.startswith("/") for t in self.topics):
            raise ValueError(f"parameter topics={self.topics!r}: give absolute topic names")
        if Path(self.output).exists():
            raise ValueError(f"parameter output={self.output!r}: already exists; choose a new folder (nothing is overwritten)")
        if self.duration_s < 0 or self.discovery_period_s <= 0:
            raise ValueError("parameters duration_s >= 0 and discovery_period_s > 0 are required")


def message_class(msgtype: str):
    """'sensor_msgs/msg/Image' -> the rclpy message class."""
    package, kind, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), name)


def srv_schema(msgtype: str) -> str:
    """The definition rosbag2 stores for a service event type: ``SRV: pkg/srv/Name`` and the .srv text
    (from the ament share folders: AMENT_PREFIX_PATH, else this Python's prefix, where the ROS wheels put it)."""
    package, _, name = msgtype.rpartition("_Event")[0].split("/")
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p] + [sys.prefix]
    text = ""
    for prefix in prefixes:
        path = Path(prefix) / "share" / package / "srv" / f"{name}.srv"
        if path.is_file():
            text = path.read_text()
            break
    return "=" * 80 + f"\nSRV: {package}/srv/{name}\n{text}"


def subscription_qos(infos) -> QoSProfile:
    """A QoS that hears every publisher: best effort if any is, transient local only if all are."""
    profiles = [i.qos_profile for i in infos]
    reliable = all(p.reliability == ReliabilityPolicy.RELIABLE for p in profiles)
    latched = all(p.durability == DurabilityPolicy.TRANSIENT_LOCAL for p in profiles)
    depth = max([10] + [int(p.depth) for p in profiles])
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE)


def bag_qos(profile):
    """rclpy QoSProfile -> rosbags' Qos (the offered_qos_profiles of metadata.yaml)."""
    from rosbags.rosbag2.metadata import Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime

    def t(d):
        sec, nsec = divmod(int(d.nanoseconds), 10**9)
        return QosTime(sec, nsec)

    return Qos(QosHistory(int(profile.history)), int(profile.depth), QosReliability(int(profile.reliability)),
               QosDurability(int(profile.durability)), t(profile.deadline), t(profile.lifespan), QosLiveliness(int(profile.liveliness)),
               t(profile.liveliness_lease_duration), bool(profile.avoid_ros_namespace_conventions))


class Recorder(Node):
    """Subscribes to the configured topics as their publishers appear and writes every message to the bag."""

    def __init__(self, **kwargs):
        super().__init__("heron_recorder", **kwargs)
        declare(self, RecorderConfig)
        self.cfg = read(self, RecorderConfig)
        try:
            from rosbags.rosbag2 import StoragePlugin, Writer
            from rosbags.typesys import Stores, get_typestore
        except ModuleNotFoundError:
            raise SystemExit("heron-record needs rosbags, from heron's [data] extra: pip install -e '.[data]'") from None

        self.typestore = get_typestore(Stores.ROS2_KILTED)
        self.final = Path(self.cfg.output)
        self.partial = self.final.with_name(self.final.name + ".partial")
        plugin = StoragePlugin.MCAP if self.cfg.storage == "mcap" else StoragePlugin.SQLITE3
        self.writer = Writer(self.partial, version=self.cfg.bag_version, storage_plugin=plugin)
        self.writer.open()
        self.counts: dict[str, int] = {}
        self._conns: dict[str, object] = {}
        self._subs = []
        self._closed = False
        self.started = time.monotonic()
        self.create_timer(self.cfg.discovery_period_s, self._discover)
        self.get_logger().info(f"recording {len(self.cfg.topics)} topics into {self.final}")

    def _discover(self) -> None:
        for topic in self.cfg.topics:
            if topic in self._conns:
                continue
            infos = self.get_publishers_info_by_topic(topic)
            if not infos:
                continue
            msgtype = infos[0].topic_type
            try:
                cls = message_class(msgtype)
            except (ImportError, AttributeError, ValueError):
                self.get_logger().warning(f"{topic}: type {msgtype} has no Python message class here; not recorded")
                self._conns[topic] = None
                continue
            if is_service_event(topic, msgtype):  # rosbags' typestores hold no service types
                kind = {"msgdef": srv_schema(msgtype), "rihs01": str(infos[0].topic_type_hash)}
            else:
                kind = {"typestore": self.typestore}
            self._conns[topic] = self.writer.add_connection(topic, msgtype, **kind,
                                                            offered_qos_profiles=[bag_qos(i.qos_profile) for i in infos])
            self.counts[topic] = 0
            self._subs.append(self.create_subscription(cls, topic, lambda raw, t=topic: self._write(t, raw),
                                                       subscription_qos(infos), raw=True))
            self.get_logger().info(f"recording {topic} ({msgtype})")
        if self.cfg.duration_s and time.monotonic() - self.started >= self.cfg.duration_s:
            raise SystemExit(0)

    def _write(self, topic: str, raw: bytes) -> None:
        if self._closed:
            return
        self.writer.write(self._conns[topic], self.get_clock().now().nanoseconds, bytes(raw))
        self.counts[topic] += 1

    def close(self) -> Path:
        """Finish the bag (metadata.yaml) and move it to ``output``."""
        if not self._closed:
            self._closed = True
            self.writer.close()
            os.replace(self.partial, self.final)
            self.get_logger().info(f"wrote {self.final}: " + ", ".join(f"{t} {n}" for t, n in self.counts.items()))
        return self.final


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main(args: list[str] | None = None) -> int:
    """Console script ``heron-record [--ros-args -p output:=DIR ...]``."""
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` finishes the bag like Ctrl-C does
    try:
        with rclpy.init(args=args):
            node = Recorder()
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            try:
                executor.spin()
            except (KeyboardInterrupt, SystemExit, ExternalShutdownException):
                pass
            finally:
                node.close()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
