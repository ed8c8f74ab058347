"""Faults, with the nodes as separate processes (as on a robot): the sim node killed mid-episode and
restarted, the policy node restarted under a running sim, instructions at 1 kHz, a 20 MB image.

The scripted expert stands in for the model (``policy: expert``): these tests are about the plumbing."""

import re
import threading
import time

import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.qos import QoSProfile
from rclpy.serialization import serialize_message
from ros_helpers import Spinner, wait_for
from sensor_msgs.msg import Image
from std_msgs.msg import String
from test_policy_node import Harness, start

from heron.bench.ros import Operator, local_env, node_processes, start_node, stop_node
from heron.ros import topics

STALE_S, RATE_HZ = 0.3, 10.0
TASK = {"task": "touch", "args": {"object": "red"}, "seed": 3}
SIM = {"task": "touch", "publish_expert": True, "step_mode": "command", "image_size": 64}
POLICY = {"policy": "expert", "control_trigger": "sensors", "control_rate_hz": RATE_HZ, "stale_timeout_s": STALE_S}


@pytest.fixture
def operator(ros_env):
    ctx = Context()
    domain = int(ros_env["ROS_DOMAIN_ID"])
    rclpy.init(context=ctx, domain_id=domain)
    op = Operator(ctx)
    op.env = local_env(domain, ros_env["ROS_LOG_DIR"])
    op.ctx = ctx
    yield op
    op.close()
    rclpy.shutdown(context=ctx)


def _logs(tmp_path):
    return "\n".join(f"--- {p.name} ---\n{p.read_text()[-1500:]}" for p in sorted(tmp_path.glob("*.log")))


def test_sim_node_killed_mid_episode_then_back(operator, tmp_path):
    op = operator
    with node_processes(op.env, None, POLICY, tmp_path) as procs:
        sim = start_node("heron-sim-node", SIM, op.env, tmp_path)
        try:
            op.wait_ready()
            n = len(op.task_status)
            op.task_pub.publish(op.String(data='{"task": "pick", "seed": 1}'))  # a long episode to kill it in
            st = op.wait(lambda: next((s for s in op.task_status[n:] if s["task"] == "pick" and s["steps"] == 0), None), 10, "the reset")
            op.instruction_pub.publish(op.String(data=st["instruction"]))
            op.wait(lambda: op.task_status[-1]["steps"] >= 5, 20, "the episode under way")
            k = len(op.status)
            stop_node(sim, sig=9)  # SIGKILL: a crash, no goodbye
            first = op.wait(lambda: next((s for s in op.status[k:] if "stale_observation" in (s["holding"] or "")), None), 5,
                            "a stale hold")
            # held within one control period (+ slack for this loaded machine) of the stale timeout, and says why
            age = float(re.search(r"is ([0-9.]+) s old", first["holding"]).group(1))
            print(f"first hold after the kill: {first['holding']}")
            assert STALE_S <= age <= STALE_S + 1.0 / RATE_HZ + 0.3, first["holding"]
            assert "stale_observation" in first["last_error"]
            k = len(op.task_status)
            sim = start_node("heron-sim-node", SIM, op.env, tmp_path, log_name="heron-sim-node-2")
            # the new sim starts on its own initial task; a task sent now could reach it before it has
            # discovered this operator (a reset lost), the instruction is repeated until taken
            op.wait(lambda: len(op.task_status) > k, 60, "the new sim node")
            final = op.finish(op.task_status[k]["instruction"], k, timeout=60)
            if not final["success"]:  # see _complete_a_task
                final = _complete_a_task(op, attempts=2)
            assert final["success"] and final["steps"] <= final["max_steps"], final
            s = op.wait(lambda: op.status[-1]["holding"] is None and op.status[-1], 5, "a healthy status")
            assert s["last_error"] is None and "stale_observation" in s["past_error"]  # marked as past once healthy
            assert procs[0].poll() is None
        except Exception:
            print(_logs(tmp_path))
            raise
        finally:
            stop_node(sim)


def _complete_a_task(op, attempts: int) -> dict:
    """Touch tasks until one succeeds (at most ``attempts``). The scripted expert solves touch lock-step
    on a quiet machine; starved of CPU, a late command makes the sim node re-send its sensors and the
    policy node step twice on one observation, and an episode can run out of budget."""
    final = {}
    for seed in range(4, 4 + attempts):
        final = op.run_task({**TASK, "seed": seed}, timeout=60)
        if final["success"]:
            break
    return final


def test_policy_node_restarted_while_the_sim_runs(operator, tmp_path):
    op = operator
    sim_params = {**SIM, "step_mode": "clock"}
    sim = start_node("heron-sim-node", sim_params, op.env, tmp_path)
    policy = start_node("heron-policy-node", POLICY, op.env, tmp_path)
    try:
        op.wait_ready()
        assert op.run_task(TASK, timeout=60)["success"]
        stop_node(policy)  # SIGINT: the node goes away; the sim keeps running (and holds on silence)
        n, k = len(op.task_status), len(op.status)
        policy = start_node("heron-policy-node", POLICY, op.env, tmp_path, log_name="heron-policy-node-2")
        op.wait(lambda: any(s["state"] == "active" and s["commands_sent"] > 0 for s in op.status[k:]), 60,
                "the new policy node commanding")
        final = _complete_a_task(op, attempts=3)
        assert final["success"], final
        # the restarted node did the commanding (its status is periodic: wait for one sent after the task)
        op.wait(lambda: op.status[-1]["commands_sent"] >= final["steps"], 10, "the restarted node's command count")
        assert sim.poll() is None and len(op.task_status) > n
    except Exception:
        print(_logs(tmp_path))
        raise
    finally:
        stop_node(policy)
        stop_node(sim)


def _commands_in(h, seconds: float) -> int:
    n = len(h.twists)
    time.sleep(seconds)
    return len(h.twists) - n


@pytest.fixture
def policy_process(ros_context, ros_env, tmp_path, request):
    """The policy node in its own process (20 Hz timer, extra params from the test), fed by an
    in-process 50 Hz harness."""
    env = local_env(ros_context.heron_domain_id, ros_env["ROS_LOG_DIR"])
    params = {"policy": "expert", "stale_timeout_s": STALE_S, "control_rate_hz": 20.0, "control_trigger": "timer",
              **getattr(request, "param", {})}
    h = Harness(ros_context)
    if params.get("front_image_qos") == "reliable":
        h.destroy_publisher(h.pubs["front"])
        h.pubs["front"] = h.create_publisher(Image, topics.FRONT_IMAGE, QoSProfile(depth=5))
    spinner = Spinner(ros_context, h)
    try:
        with node_processes(env, None, params, tmp_path) as procs:
            wait_for(lambda: h.statuses and h.statuses[-1]["state"] == "active", timeout=30.0, what="the node process to start")
            start(h)
            yield h, procs[0]
    finally:
        spinner.close()
        h.destroy_node()


def test_instructions_at_1khz_do_not_slow_commanding(policy_process, ros_context):
    h, proc = policy_process
    baseline = _commands_in(h, 2.0)
    stop, sent = threading.Event(), [0]
    pub = h.create_publisher(String, topics.INSTRUCTION, QoSProfile(depth=1000))

    def flood():  # 1 kHz on average, in bursts of 10 every 10 ms (fewer wake-ups on a loaded machine)
        msg, t_next = String(data="touch the red block"), time.perf_counter()
        while not stop.is_set():
            for _ in range(10):
                pub.publish(msg)
            sent[0] += 10
            t_next += 0.01
            time.sleep(max(0.0, t_next - time.perf_counter()))

    t = threading.Thread(target=flood, daemon=True)
    in0 = h.statuses[-1]["instructions_in"]
    t.start()
    t0 = time.monotonic()
    during = _commands_in(h, 3.0)
    stop.set()
    t.join()
    rate = sent[0] / (time.monotonic() - t0)
    print(f"instructions sent at {rate:.0f} Hz; commands {baseline / 2.0:.1f}/s before, {during / 3.0:.1f}/s during")
    # 1,000 Hz on a quiet machine; one message at a time, a Python publisher here reached 130-310 Hz under load
    assert rate > 250, f"the flood reached only {rate:.0f} Hz on this machine"
    # Rates on this shared 2-core machine swing with others' load (4-20/s seen within minutes): this bound
    # only catches a node the flood brings to a crawl; the work bound below is the real check.
    assert during / 3.0 >= 0.5 * baseline / 2.0
    assert h.moving() and h.statuses[-1]["holding"] is None  # the same instruction again changes nothing
    taken = h.statuses[-1]["instructions_in"] - in0
    print(f"the node took {taken} of {sent[0]}: the newest at each control step (heron/ros/latest_reader.py)")
    assert 0 < taken <= sent[0] and taken < 0.2 * sent[0]  # about one per 50 ms step, not one per message
    # no backlog: a different instruction after the flood is taken at once
    t1 = time.monotonic()
    h.instruction_pub.publish(String(data="touch the blue block"))
    wait_for(lambda: h.statuses[-1]["instruction"] == "touch the blue block", timeout=2.0, what="the next instruction")
    assert time.monotonic() - t1 < 1.0
    assert proc.poll() is None


def _command_gaps(h, seconds: float) -> tuple[int, float]:
    """Commands received in the next ``seconds`` and the longest gap between two of them (s)."""
    n = len(h.twists)
    time.sleep(seconds)
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in h.twists[n:]]
    return len(stamps), float(np.max(np.diff(stamps))) if len(stamps) > 1 else float("inf")


# Reliable camera QoS here: best effort, a 20 MB sample is lost whenever one of its fragments is (on
# this loaded machine none got through in 30 s); reliable, DDS resends the lost fragments.
@pytest.mark.parametrize("policy_process", [{"front_image_qos": "reliable"}], indirect=True)
def test_a_20mb_image_is_rejected_without_stalling_control(policy_process):
    h, proc = policy_process
    side = 2600  # 2600 * 2600 * 3 = 20.3 MB
    big = Image(height=side, width=side, encoding="rgb8", step=3 * side, data=np.zeros(side * side * 3, np.uint8).tobytes())
    big = serialize_message(big)  # once: rclpy takes seconds to serialize 20 MB, holding this process's interpreter
    pub = h.create_publisher(Image, topics.FRONT_IMAGE, QoSProfile(depth=1))
    base_n, base_gap = _command_gaps(h, 3.0)
    bad0 = h.statuses[-1]["bad_inputs"]
    stop = threading.Event()

    def send_big():  # one 20 MB frame a second among the normal 50 Hz ones
        while not stop.is_set():
            pub.publish(big)
            stop.wait(1.0)

    t = threading.Thread(target=send_big, daemon=True)
    t.start()
    try:
        # delivery of 20 MB takes a while on a loaded machine; once the first is rejected, more keep coming
        wait_for(lambda: h.statuses[-1]["bad_inputs"] > bad0, timeout=60.0, what="the big image rejected")
        n_bad = h.statuses[-1]["bad_inputs"]
        n, gap = _command_gaps(h, 3.0)
        s = h.statuses[-1]
    finally:
        stop.set()
        t.join()
    print(f"while {s['bad_inputs'] - n_bad} more 20 MB images were rejected ({s['last_bad_input_ms']} ms in the callback): "
          f"{n / 3.0:.1f} commands/s, longest gap {gap * 1e3:.0f} ms (before: {base_n / 3.0:.1f}/s, {base_gap * 1e3:.0f} ms)")
    assert s["last_bad_input"].startswith("front: image message has 20280048 bytes, more than max_image_bytes"), s
    # Rejecting it costs the callback next to nothing (rclpy's deserializer alone held the interpreter
    # 0.49 s per 20 MB frame).
    assert s["last_bad_input_ms"] < 50.0, s["last_bad_input_ms"]
    # Receiving 20 MB (DDS reassembly, one copy) still costs the process CPU, and rates here swing with
    # others' load: this bound only catches a node brought to a halt.
    assert n >= 0.3 * base_n, (n, gap, base_n, base_gap)
    wait_for(h.moving, what="commanding on the normal frames again")
    assert proc.poll() is None
