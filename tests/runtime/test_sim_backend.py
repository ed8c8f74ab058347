"""The simulator backend under the control loop: lock-step and realtime, chat, timestamps."""

import numpy as np
import pytest

from heron.runtime.backends.sim_backend import SimBackend
from heron.runtime.interfaces import Backend, StepOutput, TaskSpec
from heron.runtime.loop import LoopConfig, run_episode
from heron.runtime.simple import ExpertPolicy, HoldPolicy

NO_CHUNKS = LoopConfig(chunking={"type": "none"})


@pytest.fixture(scope="module")
def backend():
    with SimBackend(image_size=64) as b:
        yield b


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class SlowExpert(ExpertPolicy):
    """The expert, but each act() costs ``cost_s`` on ``clock`` (a stand-in for slow inference)."""

    def __init__(self, backend, clock, cost_s):
        super().__init__(backend)
        self.clock, self.cost_s = clock, cost_s

    def act(self, obs):
        self.clock.t += self.cost_s
        return super().act(obs)


def test_is_a_backend(backend):
    assert isinstance(backend, Backend)
    with pytest.raises(ValueError, match="mode"):
        SimBackend(env=backend.env, mode="real-time")


@pytest.mark.parametrize("family", ["touch", "pick"])
def test_expert_solves_in_lockstep(backend, family):
    res = run_episode(ExpertPolicy(backend), backend, TaskSpec(family, seed=3), config=NO_CHUNKS, video=True)
    assert res.success and 0 < res.steps < backend.info["max_steps"]
    assert res.backend_steps == res.steps
    assert res.instruction == backend.info["instruction"]
    assert len(res.frames) == res.steps + 1 and res.frames[0].shape == (64, 128, 3)
    assert res.timing["steps"] == res.steps and res.timing["stages"]["inference"]["p50_ms"] is not None


def test_hold_policy_fails_within_budget(backend):
    res = run_episode(HoldPolicy(), backend, TaskSpec("touch", seed=3), config=NO_CHUNKS)
    assert not res.success and res.steps == backend.info["max_steps"]


def test_observations_carry_sim_time(backend):
    obs = backend.reset(seed=0, task=TaskSpec("pick", {"object": "red"}))
    assert obs["timestamp"] == 0.0 and obs["proprio"].shape == (22,)
    backend.apply(np.zeros(5, np.float32))
    assert backend.observe()["timestamp"] == pytest.approx(backend.period)
    assert backend.now() == pytest.approx(backend.period)


def test_realtime_slow_inference_costs_success():
    clock = FakeClock()
    with SimBackend(image_size=64, mode="realtime", clock=clock) as b:
        fast = run_episode(SlowExpert(b, clock, 0.05), b, TaskSpec("touch", seed=3), config=NO_CHUNKS)
        assert fast.success and b.held_steps == 0  # under one period: on time
        slow = run_episode(SlowExpert(b, clock, 0.35), b, TaskSpec("touch", seed=3), config=NO_CHUNKS)
        # 0.35 s per inference at 10 Hz: 2.5 held steps per action on average; the budget runs out.
        assert b.held_steps >= 2 * slow.steps - 1
        assert slow.backend_steps == b.info["backend_steps"] >= b.info["max_steps"]
        assert not slow.success and slow.steps < fast.steps * 2


def test_set_task_keeps_scene_and_changes_instruction(backend):
    backend.reset(seed=5, task=TaskSpec("touch", {"object": "red"}))
    before = backend.observe()["proprio"].copy()
    obs = backend.set_task("touch", {"object": "blue"}, instruction="tap the blue cube")
    assert obs["instruction"] == "tap the blue cube"
    np.testing.assert_allclose(obs["proprio"], before)
    pol = ExpertPolicy(backend)
    for _ in range(backend.info["max_steps"]):
        backend.apply(pol.act(backend.observe()).action)
        if backend.info["success"]:
            break
    assert backend.info["success"] and backend.info["args"] == {"object": "blue"}


def test_chunked_policy_runs_through_ensembling(backend):
    class ChunkExpert(ExpertPolicy):
        def act(self, obs):
            a = super().act(obs).action
            return StepOutput(action=a, chunk=np.stack([a, a * 0.5]))

    res = run_episode(ChunkExpert(backend), backend, TaskSpec("touch", seed=3), config=LoopConfig(chunking={"type": "ensemble", "k": 0.01}))
    assert res.success
