"""Closed-loop benchmark of the two nodes as separate processes: success, steps and image -> command
latency, printed as JSON. The graph stays on this machine (localhost discovery, its own domain).

    python -m ros.bench --policy default --trigger sensors --task pick --episodes 5
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from agent.evaluate import EVAL_SEED
from ros import topics

BIN = Path(sys.executable).parent


def local_env(domain_id: int, log_dir: str) -> dict:
    env = dict(os.environ)
    env.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_DOMAIN_ID=str(domain_id), ROS_LOG_DIR=log_dir)
    return env


def start_node(exe: str, params: dict, env: dict, log_dir: Path, log_name: str | None = None) -> subprocess.Popen:
    """Start one console-script node with ``-p key:=value`` params, its output in ``log_dir``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    args = [a for k, v in params.items() for a in ("-p", f"{k}:={_ros_value(v)}")]
    with open(log_dir / f"{log_name or exe}.log", "a") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([str(BIN / exe), "--ros-args", *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_node(p: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 10.0) -> None:
    """Stop a node started by ``start_node`` (SIGINT: a clean shutdown; SIGKILL: a crash)."""
    try:
        if p.poll() is None:
            os.killpg(p.pid, sig)
    except ProcessLookupError:  # it ended between the poll and the signal
        pass
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


@contextmanager
def node_processes(env: dict, sim_params: dict | None, policy_params: dict, log_dir: Path):
    """Start heron-sim-node (unless ``sim_params`` is None) and heron-policy-node with ``-p key:=value``
    params; stop them on exit."""
    procs = []
    nodes = ([] if sim_params is None else [("heron-sim-node", sim_params)]) + [("heron-policy-node", policy_params)]
    try:
        for exe, params in nodes:
            procs.append(start_node(exe, params, env, log_dir))
        yield procs
    finally:
        for p in procs:
            stop_node(p)


def _ros_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(float(v))
    return str(v)


class Operator:
    """A node that sends tasks and instructions and records the two status topics."""

    def __init__(self, context):
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node
        from rclpy.qos import QoSProfile
        from std_msgs.msg import String

        self.String = String
        self.node = Node("heron_operator", context=context)
        r = QoSProfile(depth=10)
        self.task_pub = self.node.create_publisher(String, topics.TASK, r)
        self.instruction_pub = self.node.create_publisher(String, topics.INSTRUCTION, r)
        self.task_status: list[dict] = []
        self.status: list[dict] = []
        self.node.create_subscription(String, topics.TASK_STATUS, lambda m: self.task_status.append(json.loads(m.data)), r)
        self.on_status = None  # called with each policy-node status (the soak's meter)
        self.node.create_subscription(String, topics.STATUS, self._on_status, r)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _on_status(self, msg) -> None:
        s = json.loads(msg.data)
        self.status.append(s)
        if self.on_status is not None:
            self.on_status(s)

    def trim(self, keep: int = 100) -> None:
        """Between episodes: drop all but the newest statuses (a long soak would keep them all)."""
        del self.task_status[:-keep], self.status[:-keep]

    def _spin(self):
        try:
            while not self._stop.is_set():
                self.executor.spin_once(timeout_sec=0.02)
        except Exception:  # noqa: BLE001 - a context shut down under us ends the loop
            pass

    def wait(self, pred, timeout: float, what: str):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = pred()
            if v:
                return v
            time.sleep(0.01)
        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        self.wait(lambda: self.task_status and self.status and self.status[-1]["state"] == "active", timeout, "both nodes up")

    def run_task(self, task: dict, timeout: float = 60.0, instruction_delay_s: float = 0.0) -> dict:
        """Send ``task``; once the sim has reset (and ``instruction_delay_s`` later), send its
        instruction; return the final task status."""
        n = len(self.task_status)
        self.task_pub.publish(self.String(data=json.dumps(task)))

        def reset_index():
            # any status since the request, not only the latest: the policy node's hold commands may
            # already have stepped the new episode (clock step mode) before this thread looks
            return next((i for i in range(n, len(self.task_status)) if (s := self.task_status[i])["steps"] == 0
                         and s["state"] != "done" and s["task"] == task["task"]
                         and (task.get("args") is None or s["args"] == task["args"])), None)

        i = self.wait(lambda: (k := reset_index()) is not None and k + 1, 10.0, "the task reset") - 1
        time.sleep(instruction_delay_s)
        return self.finish(self.task_status[i]["instruction"], i, timeout)

    def finish(self, instruction: str, since: int, timeout: float = 60.0) -> dict:
        """Instruct the episode whose reset status is ``task_status[since]`` and wait for its end."""
        self.instruct(instruction, since)
        return self.wait(lambda: self.task_status[-1]["state"] == "done" and self.task_status[-1], timeout, "the episode to end")

    def instruct(self, text: str, since: int, timeout: float = 10.0) -> None:
        """Publish ``text`` until the policy node reports it and the sim node no longer waits for an
        instruction: a node that has just (re)started may not have discovered this publisher yet, and
        a repeated instruction changes nothing in either node."""
        def taken():
            sim_ok = any(not (s.get("waiting_for") or "").startswith("an instruction") for s in self.task_status[since + 1:])
            return sim_ok and self.status and self.status[-1]["instruction"] == text

        end = time.monotonic() + timeout
        while True:
            self.instruction_pub.publish(self.String(data=text))
            resend = time.monotonic() + 0.3
            while time.monotonic() < resend:
                if taken():
                    return
                time.sleep(0.01)
            if time.monotonic() > end:
                raise TimeoutError(f"timed out after {timeout:g} s waiting for the nodes to take the instruction {text!r}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()


# what heron-record must have subscribed to before the first task, so that no episode is cut short
RECORD_READY = ("recording /heron/expert_action ", "recording /heron/task ", "recording /heron/instruction ",
                "recording /heron/task_status ", "recording /camera/front/image_raw ")


def task_families(task: str) -> list[str]:
    """``pick``, ``pick,place`` or ``all`` -> the families to cycle through (unknown names are named)."""
    from sim.tasks import TASKS

    names = list(TASKS.names()) if task == "all" else [t.strip() for t in task.split(",") if t.strip()]
    for n in names:
        TASKS.get(n)  # raises with the known names
    if not names:
        raise ValueError(f"--task {task!r}: no family named")
    return names


def run_bench(policy: str, trigger: str, task: str, episodes: int, domain_id: int, runtime: str = "onnx", publish_expert: bool = False,
              step_mode: str = "clock", seed: int = 0, randomize: str | None = None, record: Path | None = None) -> dict:
    """``episodes`` tasks (families of ``task`` in turn, seeds ``seed + i``) through both nodes; with
    ``record``, heron-record writes the session as a rosbag2 bag there (the worked fine-tuning example)."""
    import rclpy
    from rclpy.context import Context

    families = task_families(task)
    if record is not None and (record.exists() or record.with_name(record.name + ".partial").exists()):
        raise ValueError(f"--record {record}: already exists; give a new path (nothing is overwritten)")
    log_dir = Path(tempfile.mkdtemp(prefix="heron_ros_bench_"))
    env = local_env(domain_id, str(log_dir / "ros_log"))
    os.environ.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_LOG_DIR=env["ROS_LOG_DIR"])
    sim_params = {"task": families[0], "publish_expert": publish_expert or policy == "expert" or record is not None,
                  "step_mode": step_mode, **({"randomize": str(randomize)} if randomize else {})}
    pol_params = {"policy": policy, "runtime": runtime, "control_trigger": trigger}
    results = []
    with node_processes(env, sim_params, pol_params, log_dir):
        rec = start_node("heron-record", {"output": str(record), "discovery_period_s": 0.1}, env, log_dir) if record else None
        ctx = Context()
        rclpy.init(context=ctx, domain_id=domain_id)
        op = Operator(ctx)
        try:
            op.wait_ready()
            if rec is not None:
                log = log_dir / "heron-record.log"
                op.wait(lambda: all(r in log.read_text() for r in RECORD_READY), 60, "heron-record's subscriptions")
                time.sleep(0.5)
            for i in range(episodes):
                final = op.run_task({"task": families[i % len(families)], "seed": seed + i})
                results.append({"task": final["task"], "args": final["args"], "seed": seed + i, "success": final["success"], "steps": final["steps"],
                                "max_steps": final["max_steps"], "instruction": final["instruction"]})
            status = op.status[-1]
        finally:
            op.close()
            rclpy.shutdown(context=ctx)
            if rec is not None:
                stop_node(rec, timeout=60.0)
    return {
        "policy": policy, "runtime": runtime, "trigger": trigger, "step_mode": step_mode, "task": task, "episodes": episodes,
        "randomize": randomize, "bag": str(record) if record else None,
        "success_rate": sum(r["success"] for r in results) / max(1, len(results)),
        "image_to_cmd_ms": status["image_to_cmd_ms"], "step_latency_ms": status["step_latency_ms"],
        "inference_ms": status["inference_ms"], "missed_deadlines": status["missed_deadlines"],
        "episodes_detail": results, "logs": str(log_dir),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ros.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--policy", default="default", help="default | a policy folder | random | hold | expert")
    ap.add_argument("--runtime", default="onnx", choices=("onnx", "torch"))
    ap.add_argument("--trigger", default="sensors", choices=("timer", "sensors"))
    ap.add_argument("--task", default="pick", help="a family, a comma list, or all (cycled)")
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--step-mode", default="clock", choices=("clock", "command"),
                    help="clock: the sim steps on its own wall clock (a robot); command: one step per command (lock-step)")
    ap.add_argument("--seed", type=int, default=EVAL_SEED, help=f"env seed of the first episode (default {EVAL_SEED}, the evaluation seeds)")
    ap.add_argument("--domain-id", type=int, default=61)
    ap.add_argument("--soak", type=int, metavar="MINUTES", help="soak instead: episodes of touch/pick/place back to back, "
                    "reported per minute (RSS, step latency, missed deadlines, messages); see ros/soak.py")
    ap.add_argument("--out", type=Path, help="also write the JSON here (written to a temp file, then renamed)")
    ap.add_argument("--randomize", help="the sim node's -p randomize:=YAML (a scene variant, e.g. configs/collect/table_color.yaml)")
    ap.add_argument("--record", type=Path, metavar="BAG", help="record the session with heron-record as a rosbag2 bag here")
    a = ap.parse_args(argv)
    if a.soak is not None:
        from ros.soak import run_soak

        if a.soak < 1:
            ap.error(f"--soak {a.soak}: at least 1 minute")
        result = run_soak(a.soak, a.domain_id, a.policy, a.trigger, seed=a.seed)
        _emit(result, a.out)
        return 0
    try:
        result = run_bench(a.policy, a.trigger, a.task, a.episodes, a.domain_id, a.runtime, step_mode=a.step_mode, seed=a.seed,
                           randomize=a.randomize, record=a.record)
    except (ValueError, KeyError) as exc:
        ap.error(str(exc))
    _emit(result, a.out)
    return 0


def _emit(result: dict, out: Path | None) -> None:
    text = json.dumps(result, indent=1)
    print(text)
    if out is not None:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text + "\n")
        tmp.replace(out)


if __name__ == "__main__":
    raise SystemExit(main())
