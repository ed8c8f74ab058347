"""The PyBullet simulator as a ``Backend``, in lock-step or realtime mode.

``lockstep``  each ``apply`` steps the simulator once: the policy's compute time is free.
``realtime``  the simulated robot does not wait for the policy. The wall time from ``observe()`` to
              ``apply()`` (preprocess + inference + postprocess) beyond one control period is sim
              time during which the robot keeps executing its previous command; it is paid as
              extra env steps holding the previous action (fractions carry over). A policy slower
              than the control rate thus reacts late and loses success as it would on a robot.
              Compute under one period costs nothing (the step's action is applied on time).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from heron.policies.schema import ACTION_DIM, TIMESTAMP
from heron.runtime.interfaces import Observation, TaskSpec

MODES = ("lockstep", "realtime")


class SimBackend:
    """Wraps a ``sim`` env (``sim.make_env``); ``info`` holds the last step's info plus
    ``backend_steps`` (env steps including held ones) and ``held_steps``."""

    def __init__(
        self,
        env: Any = None,
        *,
        mode: str = "lockstep",
        image_size: int = 96,
        control_hz: int = 10,
        max_held_steps: int = 50,
        clock=time.perf_counter,
        **env_kwargs,
    ):
        if mode not in MODES:
            raise ValueError(f"sim backend mode={mode!r}: allowed {', '.join(MODES)}")
        if env is None:
            from heron.envs import tabletop as sim  # heavy (pybullet); only when we build the env ourselves

            hz = int(control_hz) if float(control_hz).is_integer() else control_hz  # the env needs an int
            env = sim.make_env(image_size=image_size, control_hz=hz, **env_kwargs)
        elif env_kwargs:
            raise ValueError(f"sim backend: env options {sorted(env_kwargs)} given with a ready env; pass one or the other")
        self.env = env
        self.mode = mode
        self.max_held_steps = int(max_held_steps)
        self.clock = clock
        hz = getattr(env, "control_hz", None) or getattr(getattr(env, "unwrapped", env), "control_hz", None) or control_hz
        self.period = 1.0 / float(hz)
        self.observation_space = env.observation_space
        self.action_space = env.action_space
        self._obs: Observation | None = None
        self.info: dict = {}
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._last_action = np.zeros(ACTION_DIM, np.float32)
        self._last_action[4] = -1.0
        self._t_observe: float | None = None
        self._debt = 0.0
        self.backend_steps = 0
        self.held_steps = 0
        self.terminated = self.truncated = False

    # -- Backend ------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, task: TaskSpec | None = None) -> Observation:
        options = None
        if task is not None:
            options = {}
            if task.chain:
                options["chain"] = [dict(sub) for sub in task.chain]
            elif task.task is not None:
                # Empty args: the task samples them from the scene.
                options.update(task=task.task, args=dict(task.args) if task.args else None)
            if task.instruction and not task.chain:
                options["instruction"] = task.instruction
            if task.split:
                options["split"] = task.split
            if task.advance:
                options["advance"] = task.advance
            if seed is None:
                seed = task.seed
        self._obs, info = self.env.reset(seed=seed, options=options)
        self._reset_counters()
        self._set_info(info)
        return self.observe()

    def observe(self) -> Observation:
        if self._obs is None:
            raise RuntimeError("SimBackend.observe() before reset(): call reset(seed=..., task=...) first")
        self._t_observe = self.clock()
        obs = dict(self._obs)
        obs[TIMESTAMP] = self.now()
        return obs

    def now(self) -> float:
        """The simulator's clock (s); observations are stamped with it."""
        return float(self.env.sim_time)

    def apply(self, action) -> None:
        a = np.asarray(action, dtype=np.float32).reshape(ACTION_DIM)
        if self.mode == "realtime" and self._t_observe is not None:
            lag = self.clock() - self._t_observe
            self._debt += max(0.0, lag - self.period)
            n = min(int(self._debt // self.period), self.max_held_steps)
            self._debt = min(self._debt - n * self.period, self.period)
            for _ in range(n):
                if self.info.get("success"):
                    break
                self._step(self._last_action)
                self.held_steps += 1
        self._t_observe = None
        self._step(a)
        self._last_action = a

    def close(self) -> None:
        self.env.close()

    def __enter__(self) -> "SimBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- extras ---------------------------------------------------------------------------------------
    def set_task(self, task: str, args: dict | None = None, instruction: str | None = None) -> Observation:
        """A new instruction on the same scene (chat): objects and robot pose stay; success and the
        step budget start afresh. Returns the observation carrying the new instruction."""
        info = self.env.set_task(task, dict(args) if args is not None else None, instruction=instruction)
        self._obs = {**self._obs, "instruction": info["instruction"]}
        self.backend_steps = self.held_steps = 0
        self._set_info(info)
        return self.observe()

    def advance(self) -> Observation:
        """Manual chains (``TaskSpec(advance="manual")``): start the next subtask once the active one
        succeeded; returns the observation carrying the new instruction."""
        info = self.env.advance()
        self._obs = {**self._obs, "instruction": info["instruction"]}
        self._set_info(info)
        return self.observe()

    def expert_action(self) -> np.ndarray:
        return self.env.expert_action()

    def _step(self, a: np.ndarray) -> None:
        self._obs, _, self.terminated, self.truncated, info = self.env.step(a)
        self.backend_steps += 1
        self._set_info(info)

    def _set_info(self, info: dict) -> None:
        self.info = {**info, "backend_steps": self.backend_steps, "held_steps": self.held_steps}
