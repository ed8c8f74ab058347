"""Soak test of the two nodes as separate processes: episodes back to back for MINUTES, reported per
minute (resident memory of each node, policy step latency p50/p99/max, missed deadlines, messages
the policy node took in and commands it sent, episodes and successes).

    python -m heron.bench.ros --soak 60 [--out soak.json]

Goal (issue 12): no memory growth after warm-up, under 0.1% missed deadlines.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from heron.bench.ros_graph import Operator, local_env, node_processes

FAMILIES = ("touch", "pick", "place")
WARMUP_MINUTES = 2


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class SoakMeter:
    """Per-minute buckets fed by the policy node's status (one per control step) and episode ends."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self._lock = threading.Lock()
        self._latency: list[float] = []
        self._last: dict | None = None
        self._prev: dict | None = None  # the status that closed the previous minute
        self._episodes = self._successes = 0
        self.rows: list[dict] = []

    def on_status(self, s: dict) -> None:
        with self._lock:
            if self._last is not None and s["steps"] > self._last["steps"] and s.get("last_step_ms") is not None:
                self._latency.append(s["last_step_ms"])
            if self._last is None or s["steps"] >= self._last["steps"]:
                self._last = s

    def on_episode(self, final: dict) -> None:
        with self._lock:
            self._episodes += 1
            self._successes += bool(final["success"])

    def close_minute(self) -> dict:
        with self._lock:
            lat, self._latency = self._latency, []
            last, prev = self._last or {}, self._prev or {}
            self._prev = last
            episodes, successes, self._episodes, self._successes = self._episodes, self._successes, 0, 0

        def delta(key):
            return last.get(key, 0) - prev.get(key, 0)

        arr = np.asarray(lat, np.float64)
        row = {
            "minute": len(self.rows) + 1,
            "rss_mb": {name: rss_mb(pid) for name, pid in self.pids.items()},
            "step_ms": {"p50": _pct(arr, 50), "p99": _pct(arr, 99), "max": round(float(arr.max()), 3) if arr.size else None},
            "steps": delta("steps"), "latency_samples": int(arr.size), "missed_deadlines": delta("missed_deadlines"),
            "messages_in": delta("messages_in"), "messages_out": delta("commands_sent"),
            "episodes": episodes, "successes": successes, "holding": last.get("holding"),
        }
        self.rows.append(row)
        return row


def _pct(arr: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(arr, q)), 3) if arr.size else None


def summarize(rows: list[dict]) -> dict:
    steps = sum(r["steps"] for r in rows)
    missed = sum(r["missed_deadlines"] for r in rows)
    after = [r for r in rows if r["minute"] > WARMUP_MINUTES] or rows
    growth = {}
    for name in rows[0]["rss_mb"] if rows else ():
        a, b = after[0]["rss_mb"][name], after[-1]["rss_mb"][name]
        growth[name] = None if a is None or b is None else round(b - a, 1)
    return {
        "minutes": len(rows), "steps": steps, "missed_deadlines": missed,
        "missed_fraction": round(missed / steps, 6) if steps else None,
        "episodes": sum(r["episodes"] for r in rows), "successes": sum(r["successes"] for r in rows),
        "rss_growth_mb_after_warmup": growth,
        "step_ms_max": max((r["step_ms"]["max"] for r in rows if r["step_ms"]["max"] is not None), default=None),
    }


def run_soak(minutes: int, domain_id: int, policy: str = "default", trigger: str = "sensors", seed: int = 0,
             progress=sys.stderr, minute_s: float = 60.0) -> dict:
    """Run for ``minutes`` reporting periods of ``minute_s`` seconds (60: real minutes; tests shorten it)."""
    import rclpy
    from rclpy.context import Context

    log_dir = Path(tempfile.mkdtemp(prefix="heron_ros_soak_"))
    env = local_env(domain_id, str(log_dir / "ros_log"))
    os.environ.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_LOG_DIR=env["ROS_LOG_DIR"])
    sim_params = {"publish_expert": policy == "expert", "step_mode": "clock"}
    pol_params = {"policy": policy, "control_trigger": trigger}
    with node_processes(env, sim_params, pol_params, log_dir) as procs:
        ctx = Context()
        rclpy.init(context=ctx, domain_id=domain_id)
        op = Operator(ctx)
        meter = SoakMeter({"sim_node": procs[0].pid, "policy_node": procs[1].pid})
        stop = threading.Event()
        try:
            op.wait_ready()
            op.on_status = meter.on_status
            t0 = time.monotonic()

            def minutes_clock():
                k = 1
                while not stop.wait(max(0.0, t0 + minute_s * k - time.monotonic())):
                    row = meter.close_minute()
                    print(json.dumps(row), file=progress, flush=True)
                    k += 1
                    if k > minutes:
                        stop.set()

            clock = threading.Thread(target=minutes_clock, daemon=True)
            clock.start()
            i = 0
            while not stop.is_set():
                final = op.run_task({"task": FAMILIES[i % len(FAMILIES)], "seed": seed + i}, timeout=120.0)
                meter.on_episode(final)
                op.trim()
                i += 1
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError(f"a node exited during the soak; logs in {log_dir}")
            clock.join(timeout=5.0)
        finally:
            stop.set()
            op.close()
            rclpy.shutdown(context=ctx)
    return {"policy": policy, "trigger": trigger, "step_mode": "clock", "summary": summarize(meter.rows),
            "per_minute": meter.rows, "logs": str(log_dir)}
