"""The two heron nodes as separate processes on this machine (localhost discovery, a domain of their own),
and an operator node that sends tasks and instructions: shared by ``heron bench ros`` and the soak."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from heron.ros import topics

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
