"""heron chat halts at once on "stop" and clears the queue; the policy hears canonical phrasings by
default. Real simulator, real ONNX policy (an untrained tiny one), real interpreter; "typing" during a
step is a function that returns a line at a chosen control step, and the terminal path is a real pty."""

from __future__ import annotations

import io
import os
from types import SimpleNamespace

import pytest

from heron.cli.chat import LineSource


def typing(script: dict[int, str]):
    """A poll that returns ``script[k]`` at its k-th call (k counts control steps), else None."""
    calls = {"n": 0}

    def poll():
        calls["n"] += 1
        return script.get(calls["n"])

    return poll


@pytest.fixture
def session_factory(tiny_onnx):
    import heron.envs.tabletop.tasks
    from heron.language import make_interpreter
    from heron.language.chat import ChatSession
    from heron.runtime import load_policy
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.loop import LoopConfig

    policy = load_policy(str(tiny_onnx), threads=1)
    backends, logs = [], []

    def make(poll=None, canonical=True):
        backend = SimBackend(image_size=int(policy.image_size))
        backends.append(backend)
        log: list[str] = []
        logs.append(log)
        return ChatSession(policy, backend, heron.envs.tabletop.tasks.parse_instruction, seed=0,
                           config=LoopConfig(rate_hz=1.0 / backend.period), log=log.append,
                           interpreter=make_interpreter(None), canonical=canonical, poll=poll), log

    yield make
    for b in backends:
        b.close()


def test_stop_typed_during_a_step_halts_it_and_clears_the_plan_and_the_queue(session_factory):
    session, log = session_factory(typing({3: "touch the green block", 6: "stop"}))
    results = session.command("tap the scarlet block, then touch the blue block")
    assert [(r.instruction, r.reason, r.steps) for r in results] == [("touch the red block", "stopped", 5)]
    text = "\n".join(log)
    assert "queued 'touch the green block'" in text
    assert "stopped: 'stop' typed while a step ran; 1 queued command(s) dropped" in text
    assert "1 remaining step(s) of this plan cleared" in text
    assert not session.queue
    assert session.loop.event_counts  # the hold went through the safety layer: a command was sent


def test_a_line_typed_during_a_plan_runs_after_it(session_factory):
    session, log = session_factory(typing({2: "touch the green block"}))
    session.max_steps = 5
    session.command("touch the red block")
    assert list(session.queue) == ["touch the green block"]


def test_stop_and_answers_between_commands_command_nothing(session_factory):
    session, log = session_factory()
    env = session.backend.env
    t0 = env.sim_time
    assert session.command("stop") == []  # one hold: zero motion
    t1 = env.sim_time
    assert t1 > t0 and session.loop.event_counts
    assert session.command("don't touch anything") == [] and session.command("what can you do") == []
    assert env.sim_time == t1  # answers command nothing at all
    text = "\n".join(log)
    assert "stopped: stopping: holding still" in text
    assert "answer: OK: I won't touch anything. Nothing moves." in text and "answer: I can pick up" in text


def test_the_persons_words_reach_the_policy_only_with_user_words(session_factory):
    session, _ = session_factory(canonical=False)
    session.max_steps = 2
    r = session.command("tap the scarlet block")
    assert r[0].instruction == "tap the scarlet block"


def test_line_source_reads_a_terminal_without_blocking():
    master, slave = os.openpty()
    with os.fdopen(slave, "r") as tty:
        source = LineSource(tty)
        assert source.interactive and source.poll() is None
        os.write(master, b"touch the red block\nsto")
        assert source.poll() == "touch the red block\n"
        assert source.poll() is None  # half a line is not a line
        os.write(master, b"p\n")
        assert source.readline() == "stop\n"
    os.close(master)
    assert not LineSource(io.StringIO("a\n")).interactive and LineSource(io.StringIO("a\n")).readline() == "a\n"


def test_chat_cli_reads_stop_help_and_a_negation_from_stdin(tiny_onnx):
    from heron.cli import chat

    args = SimpleNamespace(policy=str(tiny_onnx), runtime="onnx", providers=None, threads=1, precision="fp32",
                           seed=0, gui=False, done_threshold=0.5, user_words=False, raw=False)
    out = io.StringIO()
    assert chat.run(args, stdin=io.StringIO("help\nstop\nnever touch the blue block\nquit\n"), out=out) == 0
    text = out.getvalue()
    assert "> help\n  answer: I can pick up" in text
    assert "> stop\n  stopped: stopping: holding still" in text
    assert "answer: OK: I won't touch the blue block. Nothing moves." in text and "step 1/" not in text
