"""The commands suite: its file, plan accuracy against the simulator's scenes, end to end with the
scripted expert, heron plan / run -i / chat through the interpreter, and the eval hook."""

from __future__ import annotations

import io
import json
from collections import Counter
from types import SimpleNamespace

import pytest

from heron.cli.main import main
from heron.configs import CONFIG_DIR
from heron.evaluation.commands import DEFAULT_SUITE, evaluate_commands, load_commands


def test_the_shipped_suite_is_varied_and_meets_the_plan_bars():
    rows = load_commands(DEFAULT_SUITE)
    cats = Counter(r["category"] for r in rows)
    assert len(rows) >= 240 and set(cats) == {"single", "compound", "quantified", "relational", "ambiguous", "impossible",
                                              "stop", "negation", "correction", "out_of_scope", "help"}
    assert {r["expect"] for r in rows} == {"plan", "question", "refusal", "stop", "answer"}
    assert min(cats["stop"], cats["negation"], cats["correction"], cats["out_of_scope"]) >= 10
    assert sum(1 for r in rows if r["expect"] == "plan" and 2 <= len(r["steps"]) <= 3) >= 40
    result = evaluate_commands("oracle", DEFAULT_SUITE, e2e=0)
    p = result["plans"]
    assert p["plan_accuracy"]["rate"] >= 0.95, p["wrong"]
    assert p["questions_refusals_correct"]["rate"] == 1.0, p["wrong"]
    assert p["steps_commanded_for_questions_refusals"] == 0


def test_end_to_end_with_the_expert_runs_every_step_on_one_scene(tmp_path):
    suite = tmp_path / "commands.jsonl"
    lines = [
        {"id": "a", "command": "pick up the crimson cube, then put it in the bowl", "seed": 2_000_100, "category": "compound",
         "expect": "plan", "steps": [{"task": "pick", "args": {"object": "red"}}, {"task": "place", "args": {"object": "red"}}]},
        {"id": "b", "command": "tap the green block and then touch the blue one", "seed": 2_000_101, "category": "compound",
         "expect": "plan", "steps": [{"task": "touch", "args": {"object": "green"}}, {"task": "touch", "args": {"object": "blue"}}]},
        {"id": "c", "command": "pick up the purple block", "seed": 2_000_102, "category": "impossible", "expect": "refusal",
         "steps": []},
    ]
    suite.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "r.json"
    result = evaluate_commands("oracle", suite, e2e=5, json_path=out)
    assert result["plans"]["plan_accuracy"]["rate"] == 1.0
    for label in ("user_words", "canonical"):
        runs = result[f"e2e_{label}"]["runs"]
        assert [r["id"] for r in runs] == ["a", "b"] and all(r["success"] for r in runs), runs
        assert all(r["control_steps"] > 2 for r in runs)
    assert result["e2e_user_words"]["runs"][0]["instructions"] == ["pick up the crimson cube", "put the red block in the bowl"]
    assert result["e2e_canonical"]["runs"][0]["instructions"] == ["pick up the red block", "put the red block in the bowl"]
    assert json.loads(out.read_text())["plans"]["plan_accuracy"]["n"] == 2


@pytest.mark.parametrize("line,needle", [
    ("{", "not valid JSON"),
    ('{"id": "x"}', "missing key(s)"),
    ('{"id": "x", "command": "a", "seed": 0, "category": "c", "expect": "maybe", "steps": []}', "expect='maybe'"),
    ('{"id": "x", "command": "a", "seed": -1, "category": "c", "expect": "plan", "steps": []}', "seed"),
    ('{"id": "x", "command": "a", "seed": 0, "category": "c", "expect": "plan", "steps": []}', "non-empty list"),
])
def test_bad_suite_lines_name_the_line(tmp_path, line, needle):
    f = tmp_path / "bad.jsonl"
    f.write_text(line + "\n")
    with pytest.raises(ValueError) as exc:
        load_commands(f)
    assert f"{f}:1:" in str(exc.value) and needle in str(exc.value)


def test_heron_plan_prints_one_json_line(capfd):
    assert main(["plan", "touch every block except the red one", "--seed", "3", "--no-embedding"]) == 0
    out = capfd.readouterr().out.strip().splitlines()
    assert len(out) == 1
    reply = json.loads(out[0])
    assert reply["question"] is None and reply["refusal"] is None
    assert [s["args"]["object"] for s in reply["steps"]] == ["green", "blue", "yellow"]
    assert main(["plan", "pick up the purple block", "--no-embedding"]) == 0
    assert "no purple block" in json.loads(capfd.readouterr().out)["refusal"]
    assert main(["plan", "grab the crimson cube", "--no-embedding"]) == 0  # what the policy hears: canonical
    assert json.loads(capfd.readouterr().out)["steps"][0]["instruction"] == "pick up the red block"
    assert main(["plan", "grab the crimson cube", "--user-words", "--no-embedding"]) == 0
    assert json.loads(capfd.readouterr().out)["steps"][0]["instruction"] == "grab the crimson cube"
    assert main(["plan", "stop", "--no-embedding"]) == 0
    assert json.loads(capfd.readouterr().out) == {"steps": [], "question": None, "refusal": None, "stop": True,
                                                  "answer": None, "notes": ["stopping: holding still, the queue is cleared"]}
    assert main(["plan", "what can you do", "--no-embedding"]) == 0
    assert "I can pick up" in json.loads(capfd.readouterr().out)["answer"]


def test_run_refusal_commands_nothing_and_a_plan_reports_each_step(tmp_path, tiny_onnx, capsys):
    out = tmp_path / "run.json"
    assert main(["run", "-i", "pick up the purple block", "--policy", str(tiny_onnx), "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["steps"] == 0 and summary["success"] is None and "no purple block" in summary["refusal"]
    assert "nothing was commanded" in capsys.readouterr().out
    assert main(["run", "-i", "stop", "--policy", str(tiny_onnx), "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["steps"] == 0 and summary["plan"]["stop"] is True and "STOP:" in capsys.readouterr().out
    assert main(["run", "-i", "tap the scarlet block, then touch the blue block", "--policy", str(tiny_onnx),
                 "--max-steps", "3", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert [o["args"] for o in summary["outcomes"]] == [{"object": "red"}, {"object": "blue"}]
    assert summary["canonical"] is True and summary["outcomes"][0]["instruction"] == "touch the red block"
    # an untrained policy fails step 1 within its 3 steps; step 2 is then not run
    assert summary["outcomes"][0]["steps"] == 3 and summary["outcomes"][1]["success"] is None
    assert summary["success"] is False and summary["steps"] == 3
    assert main(["run", "-i", "tap the scarlet block", "--user-words", "--policy", str(tiny_onnx),
                 "--max-steps", "2", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["canonical"] is False and summary["outcomes"][0]["instruction"] == "tap the scarlet block"


def test_chat_through_the_interpreter(tiny_onnx):
    from heron.cli import chat

    args = SimpleNamespace(policy=str(tiny_onnx), runtime="onnx", providers=None, threads=1, precision="fp32",
                           seed=0, gui=False, done_threshold=0.5, canonical=True, raw=False)
    out = io.StringIO()
    stdin = io.StringIO("pick up the purple block\ngrab the crimson cube\nquit\n")
    assert chat.run(args, stdin=stdin, out=out) == 0
    text = out.getvalue()
    assert "refusal: there is no purple block" in text
    assert "step 1/1: pick {'object': 'red'}" in text and "'pick up the red block': 40 steps" in text


def test_the_independent_free_phrasings_parse_to_their_tasks():
    from heron.language import Interpreter, vocabulary_scene

    lines = [json.loads(x) for x in open(CONFIG_DIR / "eval/paraphrases.jsonl") if x.strip()]
    for line in lines:
        reply = Interpreter().interpret(line["instruction"], vocabulary_scene())
        assert [(s.task, s.args) for s in reply.steps] == [(line["task"], line["args"])], line
