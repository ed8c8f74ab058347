"""The newest message on a topic, taken when the consumer asks for it rather than when it arrives.

The policy node reads its instruction topic this way, once per control step: a client flooding the
topic (1 kHz was tested) then costs the DDS layer, which keeps only the newest sample (keep-last 1),
and not the node's Python threads, which would otherwise run one callback per message and slow the
control loop. The reader lives on a node of its own that no executor spins.

``latched=True`` (the instruction): a transient-local reader as well as a volatile one, as
``heron/ros/latched.py`` explains, so a message sent before the node existed, or while it was
configuring, is still there to take; each message is taken once.
"""

from __future__ import annotations

import rclpy
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from heron.ros.latched import LATCHED, Once


class LatestReader:
    def __init__(self, context, node_name: str, msg_type, topic: str, reliable: bool = True, latched: bool = False):
        self.node = rclpy.create_node(node_name, context=context, start_parameter_services=False)
        qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                         durability=DurabilityPolicy.VOLATILE)
        self.subscriptions = [self.node.create_subscription(msg_type, topic, lambda _msg: None, qos)]
        if latched:
            self.subscriptions.insert(0, self.node.create_subscription(
                msg_type, topic, lambda _msg: None, LATCHED,
                event_callbacks=SubscriptionEventCallbacks(incompatible_qos=lambda _event: None)))
        self._once = Once()
        self.topic = topic

    def take(self):
        """The newest message since the last call, or None."""
        got = []
        for sub in self.subscriptions:
            while True:
                with sub.handle:
                    taken = sub.handle.take_message(sub.msg_type, sub.raw)
                if taken is None:
                    break
                got.append(taken)
        latest = None
        for msg, info in sorted(got, key=lambda t: (t[1] or {}).get("source_timestamp") or 0):
            if self._once.fresh(info):
                latest = msg
        return latest

    def destroy(self) -> None:
        self.node.destroy_node()
