"""When a sensor-triggered controller acts (``control_trigger: sensors``): pure timing, no ROS.

A *set* is one new message from every sensor. Sensors at the control rate (a simulator that steps at
it) give every set its own step, however jittery their arrival; sensors n times faster give every n-th
set a step; and when no set has come for two control periods the stream has stalled, so the node's
watchdog timer steps instead (with the old observation, which the safety layer then holds on once it
is stale).
"""

from __future__ import annotations

import math

STALL_PERIODS = 2.0  # no set for this many control periods: stalled
EMA = 0.2  # weight of the newest interval in the set-interval estimate (its prior: one control period)
ROUND_UP = 0.3  # n = floor(set rate / control rate + this): a jittery stream at the control rate stays at n = 1


class SensorSetClock:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.last: float | None = None  # arrival of the newest complete set
        self.interval: float | None = None  # mean interval between sets (EMA)
        self.since_step = 0  # sets since the last control step
        self.sets = 0  # sets in all

    def add_set(self, t: float, rate_hz: float) -> None:
        if self.last is not None:
            prior = 1.0 / rate_hz if self.interval is None else self.interval
            self.interval = (1.0 - EMA) * prior + EMA * (t - self.last)
        self.last = t
        self.since_step += 1
        self.sets += 1

    def decimation(self, rate_hz: float) -> int:
        """Step on every n-th set: n = set rate / control rate, rounded (see ROUND_UP), at least 1."""
        if self.interval is None or self.interval <= 0:
            return 1
        return max(1, math.floor(1.0 / (rate_hz * self.interval) + ROUND_UP))

    def due(self, rate_hz: float) -> bool:
        return self.since_step >= self.decimation(rate_hz)

    def stepped(self) -> None:
        self.since_step = 0

    def stalled(self, now: float, rate_hz: float) -> bool:
        """True before the first set and after STALL_PERIODS control periods without one."""
        return self.last is None or now - self.last >= STALL_PERIODS / rate_hz
