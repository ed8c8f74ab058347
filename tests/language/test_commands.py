"""CLI smoke tests on the real simulator and ONNX Runtime: heron run, heron chat, compound commands."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from heron.cli.main import main
from heron.language.instructions import split_compound


@pytest.mark.parametrize("text,expected", [
    ("pick up the red block, then put it in the bowl", ["pick up the red block", "put the red block in the bowl"]),
    ("touch the green block; push it left. Then lift the yellow cube",
     ["touch the green block", "push the green block left", "lift the yellow cube"]),
    ("stack green on yellow and then push the blue block forward", ["stack green on yellow", "push the blue block forward"]),
    ("put the red block in the bowl", ["put the red block in the bowl"]),
])
def test_split_compound(text, expected):
    assert split_compound(text) == expected


def test_run_writes_summary_and_video(tmp_path, tiny_onnx):
    out = tmp_path / "run.json"
    video = tmp_path / "run.mp4"
    code = main(["run", "-i", "pick up the red block", "--policy", str(tiny_onnx), "--max-steps", "4",
                 "--video", str(video), "--json", str(out)])
    assert code == 0
    summary = json.loads(out.read_text())
    assert summary["task"] == "pick" and summary["args"] == {"object": "red"}
    assert summary["steps"] == 4 and isinstance(summary["success"], bool)
    assert summary["provider"] == "CPUExecutionProvider"
    assert summary["latency_ms"]["p99"] > 0 and summary["time_to_first_action_s"] > 0
    assert video.stat().st_size > 1000


def test_run_with_words_that_name_no_task_still_runs(tmp_path, tiny_onnx):
    out = tmp_path / "run.json"
    assert main(["run", "-i", "dance a little jig", "--policy", str(tiny_onnx), "--max-steps", "3", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["success"] is None


@pytest.mark.parametrize("argv,needle", [
    (["run", "-i", "   "], "instruction is empty"),
    (["run", "-i", "x" * 400], "at most 256"),
    (["run", "-i", "pick up the red block", "--policy", "/nonexistent/policy"], "not found"),
    (["run", "-i", "pick it", "--task", "pick", "--args", "{bad json"], "--args is not valid JSON"),
    (["run", "-i", "pick it", "--task", "pik"], "did you mean"),
])
def test_run_bad_input_is_a_clear_error(argv, needle, capsys):
    assert main(argv) == 2
    assert needle.lower() in capsys.readouterr().err.lower()


def test_chat_runs_a_compound_command_then_reset_and_quit(tiny_onnx):
    from heron.cli import chat

    args = SimpleNamespace(policy=str(tiny_onnx), runtime="onnx", providers=None, threads=1, precision="fp32",
                           seed=0, gui=False, done_threshold=0.5)
    out = io.StringIO()
    stdin = io.StringIO("touch the red block, then touch the blue block\n\nreset 3\nquit\n")
    assert chat.run(args, stdin=stdin, out=out) == 0
    text = out.getvalue()
    # An untrained policy runs out of steps on the first sub-instruction; the queue stops there.
    assert "[budget] 'touch the red block': 30 steps" in text
    assert "stopping the queue" in text and "'touch the blue block'" not in text
    assert "new scene (seed 3)" in text and text.rstrip().endswith("bye")


def test_heron_entry_point_answers_help():
    out = subprocess.run([sys.executable, "-m", "heron.cli.main", "run", "--help"], capture_output=True, text=True, check=True)
    assert "--instruction" in out.stdout and "--realtime" in out.stdout


def test_training_curve_spans_the_stages_of_one_model(tmp_path):
    from heron.bench.train import training_curve

    def run(name, evals, wall_s):
        folder = tmp_path / name
        folder.mkdir()
        history = [{"step": s, "eval": {"success": r, "episodes": 24}, "elapsed_s": t} for s, r, t in evals]
        (folder / "history.json").write_text(json.dumps(history + [{"summary": {"wall_s": wall_s}}]))
        return str(folder)

    first = run("small", [(1500, 0.5, 600.0), (3000, 0.75, 1200.0)], 1500.0)
    second = run("small_ft", [(1500, 0.79, 300.0), (3000, 0.875, 900.0)], 1200.0)
    curve = training_curve([first, second])
    assert [e["minutes"] for e in curve["evals"]] == [10.0, 20.0, 30.0, 40.0]
    assert curve["minutes_to_80pct_seen"] == 40.0 and curve["training_minutes"] == 45.0
    assert training_curve([first])["minutes_to_80pct_seen"] is None
    (tmp_path / "unfinished").mkdir()
    (tmp_path / "unfinished" / "history.json").write_text("[]")
    with pytest.raises(SystemExit, match="has not finished"):
        training_curve([str(tmp_path / "unfinished")])
