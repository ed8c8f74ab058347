"""Latched topics: the instruction, the task, the command (and stop) reach a node that joins late.

A latched topic is transient local, depth 1: the writer keeps its last message and hands it to every
reader that joins later. heron's publishers of these topics use ``LATCHED``; heron's nodes read them
with ``LatchedSubscription``, two DDS readers behind one callback:

- a transient-local reader, which receives the last message a latched publisher sent before this
  node existed (or while it was busy configuring), and
- a volatile reader, because DDS never matches a transient-local reader with a volatile writer
  (``ros2 topic pub`` without ``--qos-durability transient_local``, an older client): without it such
  a publisher would be silently ignored.

A latched publisher matches both readers, so each message is taken once: by its writer and sequence
number, and a message older than one already taken from the same writer is dropped (the two readers
do not deliver in one order).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

LATCHED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
LIVE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE,
                  durability=DurabilityPolicy.VOLATILE)


def latched_publisher(node, msg_type, topic: str):
    """A publisher whose last message a late subscriber still receives."""
    return node.create_publisher(msg_type, topic, LATCHED)


class Once:
    """Each message once, in its writer's order, across the readers of one topic."""

    def __init__(self):
        self._last: dict[bytes, int] = {}  # writer gid -> the newest sequence number taken
        self._lock = threading.Lock()

    def fresh(self, info: dict | None) -> bool:
        if not info or not info.get("publisher_gid"):
            return True
        seq = info.get("publication_sequence_number") or info.get("source_timestamp") or 0
        gid = bytes(info["publisher_gid"]["data"])
        with self._lock:
            if seq <= self._last.get(gid, -1):
                return False
            self._last[gid] = seq
            return True


def _quiet(_event) -> None:
    """A volatile writer offered to the transient-local reader: expected, the volatile reader hears it."""


class LatchedSubscription:
    """One callback for a topic, from latched and volatile publishers alike (see the module docstring)."""

    def __init__(self, node, msg_type, topic: str, callback: Callable, callback_group=None, depth: int = 10):
        self._callback, self._once = callback, Once()
        live = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.VOLATILE)
        self.subscriptions = [
            node.create_subscription(msg_type, topic, self._on, LATCHED, callback_group=callback_group,
                                     event_callbacks=SubscriptionEventCallbacks(incompatible_qos=_quiet)),
            node.create_subscription(msg_type, topic, self._on, live, callback_group=callback_group),
        ]
        self.topic = topic

    def _on(self, msg, info) -> None:
        if self._once.fresh(info):
            self._callback(msg)

    def destroy(self, node) -> None:
        for s in self.subscriptions:
            node.destroy_subscription(s)
        self.subscriptions = []
