"""Chains that move on when the policy says it is done, as a robot would (``advance: done``).

The simulator does not advance by itself (``advance="manual"``): the next instruction starts when
the policy's ``done`` probability passes the threshold. Each subtask records when the simulator
first saw success and when ``done`` fired:
- too early: ``done`` fired before success; the robot moves on with the subtask unfinished, and
  the chain ends there;
- too late: ``done`` fired more than ``LATE_AFTER`` steps after success, or not within
  ``WAIT_AFTER`` steps (then the next instruction starts anyway, so the chain can go on).
"""

from __future__ import annotations

import dataclasses
from typing import Any

LATE_AFTER = 5
WAIT_AFTER = 10
THRESHOLD = 0.5


def run_done_chain(loop, backend, task, video: bool = False, threshold: float = THRESHOLD) -> dict[str, Any]:
    """Run ``task`` (a TaskSpec with a chain) on ``backend`` (SimBackend) with ``loop`` (ControlLoop)."""
    from heron.envs.tabletop.tasks import TASKS
    from heron.runtime.loop import _frame

    obs = backend.reset(seed=task.seed, task=dataclasses.replace(task, advance="manual"))
    info = dict(backend.info)
    n = int(info["num_subtasks"])
    hz = int(round(1.0 / backend.period))
    loop.reset()
    loop.set_instruction(obs["instruction"])
    frames: list | None = [] if video else None
    subs: list[dict[str, Any]] = []
    cur = _subtask(info)
    total = 0
    while True:
        if frames is not None:
            frames.append(_frame(obs))
        step = loop.step(obs, now=backend.now())
        backend.apply(step.action)
        obs = backend.observe()
        info = dict(backend.info)
        total += 1
        cur["steps"] += 1
        if info.get("subtask_success") and cur["success_step"] is None:
            cur["success_step"] = cur["steps"]
        fired = step.done > threshold
        if fired and cur["success_step"] is None:
            cur.update(done_step=cur["steps"], early=True)
            subs.append(cur)
            break
        waited = cur["success_step"] is not None and cur["steps"] - cur["success_step"] >= WAIT_AFTER
        if fired or waited:
            cur["done_step"] = cur["steps"] if fired else None
            cur["late"] = not fired or cur["steps"] - cur["success_step"] > LATE_AFTER
            subs.append(cur)
            if len(subs) >= n:
                break
            obs = backend.advance()
            loop.set_instruction(obs["instruction"])
            cur = _subtask(dict(backend.info))
            continue
        if cur["steps"] >= TASKS.get(cur["task"]).budget(hz):
            subs.append(cur)  # never succeeded, and done never fired: out of steps
            break
    completed = 0
    for s in subs:
        if s["success_step"] is None or s["early"]:
            break
        completed += 1
    return {
        "chain": True,
        "advance": "done",
        "success": completed == n,
        "completed": completed,
        "num_subtasks": n,
        "steps": total,
        "instruction": subs[0]["instruction"] if subs else None,
        "instructions": [s["instruction"] for s in subs],
        "done_timing": subs,
        "done_early": [bool(s["early"]) for s in subs],
        "done_late": [bool(s["late"]) for s in subs if s["success_step"] is not None and not s["early"]],
        "frames": frames,
    }


def _subtask(info: dict) -> dict[str, Any]:
    return {"task": info.get("task"), "args": info.get("args"), "instruction": info.get("instruction"),
            "steps": 0, "success_step": None, "done_step": None, "early": False, "late": False}
