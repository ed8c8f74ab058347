"""The newest message on a topic, taken when the consumer asks for it rather than when it arrives.

The policy node reads its instruction topic this way, once per control step: a client flooding the
topic (1 kHz was tested) then costs the DDS layer, which keeps only the newest sample (keep-last 1),
and not the node's Python threads, which would otherwise run one callback per message and slow the
control loop. The reader lives on a node of its own that no executor spins.
"""

from __future__ import annotations

import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy


class LatestReader:
    def __init__(self, context, node_name: str, msg_type, topic: str, reliable: bool = True):
        self.node = rclpy.create_node(node_name, context=context, start_parameter_services=False)
        qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT)
        self.subscription = self.node.create_subscription(msg_type, topic, lambda _msg: None, qos)

    def take(self):
        """The newest message since the last call, or None."""
        sub, latest = self.subscription, None
        while True:
            with sub.handle:
                taken = sub.handle.take_message(sub.msg_type, sub.raw)
            if taken is None:
                return latest
            latest = taken[0]

    def destroy(self) -> None:
        self.node.destroy_node()
