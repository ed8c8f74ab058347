"""The safety layer: clamps, rate limits, workspace box, holds on NaN / stale input."""

import numpy as np
import pytest

from heron.runtime.safety import (
    BAD_PROPRIO,
    CLAMPED,
    NONFINITE_ACTION,
    RATE_LIMITED,
    STALE_OBSERVATION,
    WORKSPACE,
    SafetyConfig,
    SafetyFilter,
)


def proprio(ee=(0.5, 0.0, 0.2)):
    p = np.zeros(22, np.float32)
    p[15:18] = ee
    p[21] = 1.0
    return p


def test_in_range_action_passes_unchanged():
    f = SafetyFilter(SafetyConfig(max_delta_per_step=2.0))
    a = np.array([0.3, -0.2, 0.1, 0.0, 1.0], np.float32)
    r = f(a, proprio())
    np.testing.assert_array_equal(r.action, a)
    assert r.events == [] and not r.held


def test_clamp_to_limits():
    f = SafetyFilter(SafetyConfig(max_delta_per_step=2.0))
    r = f(np.array([3.0, -5.0, 0.0, 0.0, 0.5]), proprio())
    np.testing.assert_allclose(r.action, [1.0, -1.0, 0.0, 0.0, 0.5])
    assert r.codes == [CLAMPED]
    f2 = SafetyFilter(SafetyConfig(action_low=-0.5, action_high=0.5, max_delta_per_step=2.0))
    assert f2(np.ones(5), proprio()).action.max() == pytest.approx(0.5)


def test_rate_limit_per_dim():
    f = SafetyFilter(SafetyConfig(max_delta_per_step=(0.25, 0.25, 0.25, 0.25, 2.0), initial_gripper=-1.0))
    r = f(np.array([1.0, -1.0, 0.1, 0.0, 1.0]), proprio())
    # xyz/yaw move at most 0.25 from the previous (zero) command; the gripper may jump -1 -> 1.
    np.testing.assert_allclose(r.action, [0.25, -0.25, 0.1, 0.0, 1.0], atol=1e-6)
    assert RATE_LIMITED in r.codes
    r2 = f(np.array([1.0, -1.0, 0.1, 0.0, 1.0]), proprio())
    np.testing.assert_allclose(r2.action, [0.5, -0.5, 0.1, 0.0, 1.0], atol=1e-6)


def test_workspace_box_cuts_only_the_offending_axis():
    cfg = SafetyConfig(workspace_low=(0.3, -0.3, 0.05), workspace_high=(0.7, 0.3, 0.5), max_step_m=0.02, max_delta_per_step=2.0)
    f = SafetyFilter(cfg)
    # ee 1 cm above the floor of the box; dz=-1 would go 2 cm down: cut to -0.5; x untouched.
    r = f(np.array([0.5, 0.0, -1.0, 0.0, 0.0]), proprio((0.5, 0.0, 0.06)))
    np.testing.assert_allclose(r.action[:3], [0.5, 0.0, -0.5], atol=1e-5)
    assert WORKSPACE in r.codes
    target = 0.06 + r.action[2] * cfg.max_step_m
    assert cfg.workspace_low[2] - 1e-6 <= target
    # Already outside (x too far): may move back in, not further out.
    r = f(np.array([1.0, 0.0, 0.0, 0.0, 0.0]), proprio((0.75, 0.0, 0.2)))
    assert r.action[0] == pytest.approx(0.0, abs=1e-6)
    r = f(np.array([-1.0, 0.0, 0.0, 0.0, 0.0]), proprio((0.75, 0.0, 0.2)))
    assert r.action[0] == pytest.approx(-1.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_action_holds_and_keeps_gripper(bad):
    f = SafetyFilter(SafetyConfig(max_delta_per_step=2.0))
    f(np.array([0.5, 0.5, 0.0, 0.0, 1.0]), proprio())  # gripper closed
    r = f(np.array([bad, 0.0, 0.0, 0.0, -1.0]), proprio())
    np.testing.assert_array_equal(r.action, [0, 0, 0, 0, 1.0])
    assert r.held and r.codes == [NONFINITE_ACTION]


def test_wrong_shape_action_holds():
    r = SafetyFilter()(np.zeros(4), proprio())
    assert r.held and r.codes == [NONFINITE_ACTION] and "shape" in r.events[0]


def test_stale_observation_holds():
    f = SafetyFilter(SafetyConfig(stale_timeout_s=0.2, max_delta_per_step=2.0))
    assert not f(np.full(5, 0.5), proprio(), obs_age_s=0.1).held
    r = f(np.full(5, 0.5), proprio(), obs_age_s=0.3)
    assert r.held and r.codes == [STALE_OBSERVATION]
    np.testing.assert_array_equal(r.action, [0, 0, 0, 0, 0.5])


def test_nan_proprio_holds():
    p = proprio()
    p[3] = np.nan
    r = SafetyFilter()(np.zeros(5), p)
    assert r.held and r.codes == [BAD_PROPRIO]


def test_hold_resets_rate_limit_reference():
    f = SafetyFilter(SafetyConfig(max_delta_per_step=0.5))
    f(np.array([0.5, 0, 0, 0, 0]), proprio())
    f(np.array([np.nan] * 5), proprio())
    r = f(np.array([1.0, 0, 0, 0, 0]), proprio())
    assert r.action[0] == pytest.approx(0.5)  # ramps from the held zero, not from 0.5


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"action_low": 1.0, "action_high": -1.0}, "action_low"),
        ({"workspace_low": (0, 0), "workspace_high": (1, 1, 1)}, "workspace_low"),
        ({"max_delta_per_step": 0.0}, "max_delta_per_step"),
        ({"max_step_m": -0.1}, "max_step_m"),
        ({"stale_timeout_s": 0}, "stale_timeout_s"),
        ({"initial_gripper": 3}, "initial_gripper"),
    ],
)
def test_config_validation_names_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        SafetyConfig(**kwargs)


def test_config_from_dict_rejects_unknown_keys():
    assert SafetyConfig.from_dict({"max_step_m": 0.03}).max_step_m == 0.03
    with pytest.raises(ValueError, match="stale_timout"):
        SafetyConfig.from_dict({"stale_timout": 1})
