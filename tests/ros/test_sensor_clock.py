"""When the sensor-triggered policy node steps: every set at the control rate, every n-th set when the
sensors are n times faster, the watchdog only after a stall (pure timing, no ROS)."""

import numpy as np
import pytest

from heron.ros.sensor_clock import SensorSetClock


def steps_for(arrivals, rate_hz):
    """Feed set arrival times; return the indices of the sets the node steps on."""
    clock, stepped = SensorSetClock(), []
    for i, t in enumerate(arrivals):
        clock.add_set(t, rate_hz)
        if clock.due(rate_hz):
            clock.stepped()
            stepped.append(i)
    return stepped, clock


def test_jittery_sets_at_the_control_rate_each_get_a_step():
    # a simulator stepping at 10 Hz whose messages arrive 60 and 140 ms apart
    arrivals = np.cumsum([0.06 if i % 2 else 0.14 for i in range(40)])
    stepped, clock = steps_for(arrivals, 10.0)
    assert stepped == list(range(40)) and clock.decimation(10.0) == 1
    # the old rule (step on a set at least 0.75 periods after the last step) skipped every 60 ms set


@pytest.mark.parametrize("sensor_hz, rate_hz, n", [(30.0, 10.0, 3), (40.0, 10.0, 4), (50.0, 20.0, 2), (10.0, 30.0, 1), (15.0, 10.0, 1)])
def test_faster_sensors_are_decimated(sensor_hz, rate_hz, n):
    stepped, clock = steps_for(np.arange(120) / sensor_hz, rate_hz)
    assert clock.decimation(rate_hz) == n
    assert np.all(np.diff(stepped[20:]) == n)  # once the rate estimate has settled


def test_watchdog_only_after_a_stall():
    clock = SensorSetClock()
    assert clock.stalled(0.0, 10.0)  # before the first set, the timer drives
    clock.add_set(1.0, 10.0)
    assert not clock.stalled(1.19, 10.0)  # a late set (up to 2 periods) is not a stall
    assert clock.stalled(1.21, 10.0)
    clock.reset()
    assert clock.last is None and clock.sets == 0 and clock.decimation(10.0) == 1
