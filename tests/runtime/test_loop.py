"""The control loop: chunk ensembling, queue, instruction changes, latency stats, run_episode."""

import time

import numpy as np
import pytest

from heron.runtime.chunking import ActionChunker, ChunkingConfig
from heron.runtime.interfaces import StepOutput
from heron.runtime.loop import ControlLoop, LoopConfig
from heron.runtime.safety import SafetyConfig
from heron.runtime.simple import HoldPolicy, make_simple_policy
from heron.runtime.timing import LatencyStats, RateKeeper


def obs(ts=0.0):
    p = np.zeros(22, np.float32)
    p[15:18] = (0.5, 0.0, 0.2)
    return {"rgb_front": np.zeros((8, 8, 3), np.uint8), "rgb_wrist": np.zeros((4, 4, 3), np.uint8), "proprio": p, "timestamp": ts, "instruction": "x"}


class CountingChunkPolicy:
    """Chunk whose entries encode (query index, offset): action[0] = 0.1 * query, action[1] = offset / 10."""

    def __init__(self, h=4, sleep_s=0.0):
        self.h, self.sleep_s = h, sleep_s
        self.queries, self.instructions, self.resets = 0, [], 0

    def reset(self):
        self.resets += 1

    def set_instruction(self, text):
        self.instructions.append(text)

    def act(self, o):
        if self.sleep_s:
            time.sleep(self.sleep_s)
        c = np.zeros((self.h, 5), np.float32)
        c[:, 0] = 0.1 * self.queries
        c[:, 1] = np.arange(self.h) / 10
        self.queries += 1
        return StepOutput(action=c[0].copy(), done=0.1 * self.queries, chunk=c)


def test_ensemble_weights_match_act_formula():
    k = 0.5
    ch = ActionChunker(ChunkingConfig(type="ensemble", k=k))
    p = CountingChunkPolicy(h=4)
    got = []
    for _ in range(3):
        assert ch.needs_inference()
        ch.add(p.act(None))
        got.append(ch.next())
    # Step 2 sees predictions from queries 0, 1, 2 at offsets 2, 1, 0; oldest gets weight exp(0).
    w = np.exp(-k * np.arange(3))
    w /= w.sum()
    np.testing.assert_allclose(got[2][0], w @ np.array([0.0, 0.1, 0.2]), rtol=1e-6)
    np.testing.assert_allclose(got[2][1], w @ np.array([0.2, 0.1, 0.0]), rtol=1e-6)
    np.testing.assert_allclose(got[0], [0, 0, 0, 0, 0])


def test_ensemble_drops_expired_chunks():
    ch = ActionChunker(ChunkingConfig(type="ensemble", k=0.0))
    p = CountingChunkPolicy(h=2)
    for _ in range(5):
        ch.add(p.act(None))
        a = ch.next()
    assert len(ch) == 2  # only chunks covering the next step or later survive
    np.testing.assert_allclose(a[0], np.mean([0.3, 0.4]), rtol=1e-6)


def test_queue_runs_policy_every_n_steps():
    ch = ActionChunker(ChunkingConfig(type="queue", n_action_steps=3))
    p = CountingChunkPolicy(h=8)
    seen = []
    for _ in range(7):
        if ch.needs_inference():
            ch.add(p.act(None))
        seen.append(ch.next())
    assert p.queries == 3
    np.testing.assert_allclose([s[1] for s in seen], [0, 0.1, 0.2, 0, 0.1, 0.2, 0], atol=1e-6)


def test_none_mode_uses_action_and_policy_without_chunk():
    ch = ActionChunker(ChunkingConfig(type="none"))
    ch.add(StepOutput(action=np.full(5, 0.3, np.float32)))
    np.testing.assert_allclose(ch.next(), 0.3)
    with pytest.raises(RuntimeError, match="no action queued"):
        ch.next()
    with pytest.raises(ValueError, match="chunk has shape"):
        ch.add(StepOutput(action=np.zeros(5), chunk=np.zeros((3, 4))))


def test_chunking_config_validation():
    with pytest.raises(ValueError, match="chunking.type"):
        ChunkingConfig(type="ensembl")
    with pytest.raises(ValueError, match="n_action_steps"):
        ChunkingConfig(type="queue", n_action_steps=0)
    with pytest.raises(ValueError, match="rate_hz"):
        LoopConfig(rate_hz=0)
    cfg = LoopConfig.from_dict({"rate_hz": 20, "chunking": {"type": "queue"}, "safety": {"max_step_m": 0.03}})
    assert cfg.chunking.type == "queue" and cfg.safety.max_step_m == 0.03


def test_new_instruction_clears_queue():
    p = CountingChunkPolicy(h=8)
    loop = ControlLoop(p, LoopConfig(chunking=ChunkingConfig(type="queue", n_action_steps=8)))
    loop.reset()
    loop.set_instruction("a")
    loop.step(obs())
    loop.step(obs())
    assert p.queries == 1
    loop.set_instruction("b")
    s = loop.step(obs())
    assert s.inferred and p.queries == 2 and p.instructions == ["a", "b"] and loop.instruction == "b"


def test_stale_observation_holds_without_inference():
    p = CountingChunkPolicy(h=1)
    loop = ControlLoop(p, LoopConfig(chunking=ChunkingConfig(type="none"), safety=SafetyConfig(stale_timeout_s=0.2)))
    loop.set_instruction("a")
    fresh = loop.step(obs(ts=10.0), now=10.05)
    assert fresh.inferred and not fresh.events
    stale = loop.step(obs(ts=10.0), now=10.5)
    assert not stale.inferred and p.queries == 1
    assert stale.events[0].startswith("stale_observation")
    np.testing.assert_array_equal(stale.action[:4], 0)
    assert loop.event_counts["stale_observation"] == 1


def test_latency_stats_and_missed_deadlines():
    st = LatencyStats(period_s=0.1)
    for d in (0.01, 0.02, 0.15):
        st.add("inference", d)
        st.end_step()
    s = st.summary()
    assert s["steps"] == 3 and s["missed_deadlines"] == 1
    assert s["stages"]["inference"]["p50_ms"] == pytest.approx(20.0)
    assert s["stages"]["total"]["max_ms"] == pytest.approx(150.0)
    with pytest.raises(ValueError, match="unknown stage"):
        with st.stage("inferense"):
            pass


def test_loop_records_slow_inference_as_missed():
    loop = ControlLoop(CountingChunkPolicy(h=1, sleep_s=0.03), LoopConfig(rate_hz=50, chunking=ChunkingConfig(type="none")))
    loop.set_instruction("a")
    for _ in range(3):
        loop.step(obs())
    s = loop.stats.summary()
    assert s["missed_deadlines"] == 3 and s["stages"]["inference"]["p50_ms"] >= 25


def test_rate_keeper_reports_late_ticks():
    t = [0.0]
    slept = []
    rk = RateKeeper(10, clock=lambda: t[0], sleep=slept.append)
    assert rk.sleep() and slept[-1] == pytest.approx(0.1)
    t[0] = 0.35  # a slow step
    assert not rk.sleep()
    t[0] = 0.36
    assert rk.sleep() and slept[-1] == pytest.approx(0.09)


def test_simple_policy_registry():
    assert isinstance(make_simple_policy("hold"), HoldPolicy)
    r = make_simple_policy("random", seed=1, chunk_size=3).act(obs())
    assert r.chunk.shape == (3, 5) and np.all(np.abs(r.chunk) <= 1)
    with pytest.raises(KeyError, match="Did you mean 'random'"):
        make_simple_policy("randm")


def test_a_policy_that_raises_is_held_not_crashed():
    """A bad observation (or any policy failure) holds the robot and reports it; the loop goes on."""

    class Fragile:
        def __init__(self):
            self.calls = 0

        def reset(self):
            pass

        def set_instruction(self, text):
            pass

        def act(self, obs):
            self.calls += 1
            if self.calls == 1:
                raise ValueError("rgb_front: shape (10, 10, 3), expected (96, 96, 3)")
            return StepOutput(action=np.full(5, 0.5, np.float32))

    loop = ControlLoop(Fragile())
    loop.set_instruction("pick up the red block")
    obs = {"proprio": np.zeros(22, np.float32)}
    held = loop.step(obs)
    assert not held.inferred and np.allclose(held.action[:4], 0)
    assert held.events[0].startswith("policy_error: ValueError: rgb_front")
    assert loop.event_counts["policy_error"] == 1
    moving = loop.step(obs)
    assert moving.inferred and moving.action[0] > 0
