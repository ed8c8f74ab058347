"""The evaluation harness: statistics, suites, instructions files, reports, and real episodes."""

from __future__ import annotations

import json

import pytest

from heron.configs import CONFIG_DIR
from heron.evaluation.report import markdown_table, write_reports
from heron.evaluation.stats import aggregate, chain_metrics, wilson_interval
from heron.evaluation.suites import (
    Suite,
    load_instructions_file,
    load_suite,
    plan_episodes,
)

# -- statistics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, n, low, high",
    [
        (81, 263, 0.2553, 0.3662),  # the textbook example (Wilson 1927 / Newcombe 1998 style)
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 1, 0.2065, 1.0),
        (0, 0, 0.0, 1.0),
    ],
)
def test_wilson_interval_known_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_chain_metrics_from_synthetic_records():
    # completed-in-a-row per chain: 5, 0, 3, 1, 2 -> >=1: 4/5, >=2: 3/5, >=3: 2/5, >=4: 1/5, 5: 1/5
    m = chain_metrics([5, 0, 3, 1, 2], length=5)
    assert [s["rate"] for s in m["success_after"]] == pytest.approx([0.8, 0.6, 0.4, 0.2, 0.2])
    assert m["avg_len"] == pytest.approx(11 / 5)
    assert m["success_after"][0]["ci_low"] == pytest.approx(wilson_interval(4, 5)[0])
    with pytest.raises(ValueError, match="outside"):
        chain_metrics([6], length=5)


def test_aggregate_per_family_and_chains():
    recs = [
        {"family": "pick", "success": True, "steps": 10},
        {"family": "pick", "success": False, "steps": 50},
        {"family": "push", "success": True, "steps": 20},
    ]
    agg = aggregate(recs)
    assert agg["families"]["pick"]["rate"] == pytest.approx(0.5)
    assert agg["families"]["pick"]["mean_steps"] == pytest.approx(30)
    assert agg["overall"]["successes"] == 2 and agg["overall"]["n"] == 3
    assert "chains" not in agg
    subs = [{"task": t, "args": {}} for t in ("pick", "place", "touch", "pick", "zone")]
    chains = [
        {"family": "chain", "chain": True, "success": c == 5, "steps": 100, "completed": c, "num_subtasks": 5,
         "subtasks": subs}
        for c in (5, 2, 0, 4)
    ]
    agg = aggregate(chains)
    assert agg["chains"]["avg_len"] == pytest.approx(11 / 4)
    assert [s["successes"] for s in agg["chains"]["success_after"]] == [3, 3, 2, 2, 1]
    # reached: pick@0 x4 (3 ok), place@1 x3 (3 ok), touch@2 x3 (2 ok: the c=2 chain failed it),
    # pick@3 x2 (2 ok), zone@4 x2 (1 ok: the c=4 chain failed it)
    per = agg["chains"]["subtasks"]
    assert {k: (v["successes"], v["n"]) for k, v in per.items()} == {
        "pick": (5, 6), "place": (3, 3), "touch": (2, 3), "zone": (1, 2)
    }


# -- suites and instructions files ---------------------------------------------------------------

KNOWN = ["pick", "place", "push"]


def test_plan_round_robin_and_seeds():
    specs = plan_episodes(load_suite("seen"), 7, seed=100, known_tasks=KNOWN)
    assert [s.family for s in specs] == ["pick", "place", "push", "pick", "place", "push", "pick"]
    assert [s.seed for s in specs] == list(range(100, 107))
    assert {s.split for s in specs} == {"train"}
    assert {s.split for s in plan_episodes(load_suite("heldout"), 3, 0, KNOWN)} == {"heldout"}
    narrowed = plan_episodes(load_suite("seen", tasks=["push"]), 2, 0, KNOWN)
    assert [s.family for s in narrowed] == ["push", "push"]
    chains = plan_episodes(load_suite("chains"), 2, 0, KNOWN)
    assert all(s.family == "chain" and s.chain_length == 5 for s in chains)


def test_unknown_suite_and_task_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown suite 'sen'.*Did you mean 'seen'"):
        load_suite("sen")
    with pytest.raises(ValueError, match="unknown task 'pik'.*Did you mean 'pick'"):
        plan_episodes(Suite(name="x", tasks=["pik"]), 1, 0, KNOWN)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsplit: test\n")
    with pytest.raises(ValueError, match="split"):
        load_suite(bad)
    bad.write_text("name: bad\nentires: []\n")
    with pytest.raises(ValueError, match="Did you mean 'entries'"):
        load_suite(bad)


def test_suite_yaml_entries(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(
        "name: mine\nsplit: heldout\nentries:\n"
        "  - {task: pick, args: {object: red}, instruction: grab the red one}\n"
        "  - {task: push, split: train, seed: 7}\n"
    )
    specs = plan_episodes(load_suite(f), 4, seed=10, known_tasks=KNOWN)
    assert [(s.task, s.split, s.seed) for s in specs] == [
        ("pick", "heldout", 10), ("push", "train", 7), ("pick", "heldout", 12), ("push", "train", 7)
    ]
    assert specs[0].args == {"object": "red"} and specs[0].instruction == "grab the red one"


def _write(tmp_path, lines):
    p = tmp_path / "instr.jsonl"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_instructions_file_parses(tmp_path):
    p = _write(tmp_path, [
        '{"task": "pick", "args": {"object": "red"}, "instruction": "lift the red cube", "seed": 3}',
        "",
        '{"task": "push", "args": {"object": "blue", "direction": "left"}, "instruction": "shove blue left", "seed": 4}',
    ])
    entries = load_instructions_file(p, KNOWN)
    assert [(e.task, e.seed, e.line) for e in entries] == [("pick", 3, 1), ("push", 4, 3)]
    assert entries[1].args == {"object": "blue", "direction": "left"}


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"task": "pick", "args": {}, "instruction": "x", ', "line 2|:2: not valid JSON"),
        ('{"task": "pik", "args": {}, "instruction": "x", "seed": 1}', ":2: unknown task 'pik'.*Did you mean 'pick'"),
        ('{"task": "pick", "args": {}, "seed": 1}', ":2: missing key.*instruction"),
        ('{"task": "pick", "args": {}, "instruction": "x", "seed": -1}', ":2: seed"),
        ('{"task": "pick", "args": [], "instruction": "x", "seed": 1}', ":2: args"),
        ('["pick"]', ":2: expected a JSON object"),
        ('{"task": "pick", "args": {}, "instruction": "x", "seed": 1, "colour": 2}', ":2: unknown key.*colour"),
    ],
)
def test_instructions_file_bad_lines_name_the_line(tmp_path, bad, message):
    p = _write(tmp_path, ['{"task": "pick", "args": {"object": "red"}, "instruction": "lift it", "seed": 0}', bad])
    with pytest.raises(ValueError, match=message):
        load_instructions_file(p, KNOWN)


def test_instructions_file_missing_or_empty(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_instructions_file(tmp_path / "nope.jsonl", KNOWN)
    with pytest.raises(ValueError, match="no instructions"):
        load_instructions_file(_write(tmp_path, [""]), KNOWN)


def test_every_eval_config_parses():

    folder = CONFIG_DIR / "eval"
    files = sorted(folder.glob("*.yaml"))
    assert files, "configs/eval/ has no suite files"
    for f in files:
        suite = load_suite(f)
        assert plan_episodes(suite, 2, 0, ["pick", "place", "push", "stack", "touch", "zone"])
    for f in sorted(folder.glob("*.jsonl")):
        if f.name == "commands.jsonl":  # plain-language commands, not instructions (heron/evaluation/commands.py)
            from heron.evaluation.commands import load_commands

            assert load_commands(f)
            continue
        assert load_instructions_file(f, ["pick", "place", "push", "stack", "touch", "zone"])


# -- reports --------------------------------------------------------------------------------------


def _fake_result():
    recs = [{"index": i, "family": ["pick", "push"][i % 2], "success": i % 3 != 0, "steps": 10 + i} for i in range(6)]
    return {"config": {"policy": "p", "suite": "seen"}, "aggregates": aggregate(recs), "episodes": recs}


def test_reports_written(tmp_path):
    res = _fake_result()
    out = write_reports(res, tmp_path / "sub" / "eval.json")
    data = json.loads((tmp_path / "sub" / "eval.json").read_text())
    assert data["aggregates"]["overall"]["n"] == 6 and len(data["episodes"]) == 6
    md = (tmp_path / "sub" / "eval.md").read_text()
    assert "| pick | 3 |" in md and "**overall**" in md and "95% CI" in md
    png = (tmp_path / "sub" / "eval.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    assert set(out) == {"json", "markdown", "chart"}


def test_markdown_shows_chain_metrics():
    recs = [{"family": "chain", "chain": True, "success": False, "steps": 9, "completed": c, "num_subtasks": 5} for c in (1, 3)]
    md = markdown_table({"config": {}, "aggregates": aggregate(recs)})
    assert "avg len" in md and "| 2.00 |" in md and "100.0%" in md


# -- chains: the conflict rules -----------------------------------------------------------------


def test_drawn_chains_never_conflict():
    import numpy as np

    from heron.evaluation.chains import FAMILIES, draw_chain

    blocks, zones = ("red", "green", "blue", "yellow"), ("red", "blue")
    rng = np.random.default_rng(0)
    for _ in range(300):
        chain = draw_chain(rng, list(FAMILIES), 5, blocks, zones)
        assert len(chain) == 5
        retired, zone_used, held, last, moved = set(), {}, None, None, set()
        for sub in chain:
            fam, x = sub["task"], sub["args"]["object"]
            assert x not in retired, chain
            if held is not None:
                assert fam in ("place", "zone", "stack") and x == held, chain
            if fam == "touch":
                assert x != last, chain
            if fam == "push":
                assert x not in moved, chain
            if fam != "touch":  # the block leaves any zone it stood in
                zone_used = {z: b for z, b in zone_used.items() if b != x}
            if fam == "zone":
                assert sub["args"]["zone"] not in zone_used, chain  # one block per zone
                zone_used[sub["args"]["zone"]] = x
            if fam == "stack":
                assert sub["args"]["base"] not in retired and sub["args"]["base"] != x
                retired.update((x, sub["args"]["base"]))
            if fam == "place":
                retired.add(x)
            if fam != "touch":
                moved.add(x)
            held = x if fam == "pick" else None
            last = x
    with pytest.raises(ValueError, match="cannot build"):
        draw_chain(rng, ["pick"], 5, blocks, zones)
    with pytest.raises(ValueError, match="no chain rules"):
        draw_chain(rng, ["fly"], 5, blocks, zones)


# -- real episodes in the simulator ---------------------------------------------------------------

from heron.envs import tabletop as sim  # noqa: E402
from heron.evaluation.evaluate import evaluate  # noqa: E402


def test_oracle_succeeds_on_seen():
    res = evaluate("oracle", "seen", episodes=6, workers=1, seed=0)
    agg = res["aggregates"]
    assert agg["overall"]["n"] == 6 and set(agg["families"]) == set(sim.TASKS.names())
    assert agg["overall"]["rate"] >= 0.9
    for rec in res["episodes"]:
        assert rec["split"] == "train"
        assert rec["instruction"] and rec["steps"] <= rec["max_steps"]


def test_random_policy_fails_on_heldout_templates():
    res = evaluate("random", "heldout", episodes=2, workers=1, seed=3, tasks=["pick", "stack"])
    assert res["aggregates"]["overall"]["rate"] <= 0.25
    templates = {t: sim.TASKS.get(t).templates for t in sim.TASKS.names()}
    for rec in res["episodes"]:
        assert rec["split"] == "heldout"
        assert rec["instruction"] in {tpl.format(**rec["args"]) for tpl in templates[rec["task"]]["heldout"]}


def test_same_results_with_two_workers():
    one = evaluate("random", "seen", episodes=3, workers=1, seed=11, tasks=["touch", "pick"])
    two = evaluate("random", "seen", episodes=3, workers=2, seed=11, tasks=["touch", "pick"])  # pick runs in worker 2
    keys = ("index", "family", "seed", "args", "instruction", "success", "steps")
    assert [{k: r[k] for k in keys} for r in one["episodes"]] == [{k: r[k] for k in keys} for r in two["episodes"]]
    assert [r["seed"] for r in one["episodes"]] == [11, 12, 13]
    assert [r["family"] for r in one["episodes"]] == ["touch", "pick", "touch"]


def test_runner_is_reused_across_calls_with_a_policy_object():
    from heron.evaluation.runner import EpisodeRunner
    from heron.runtime.simple import HoldPolicy

    runner = EpisodeRunner()
    try:
        a = evaluate(HoldPolicy(), "seen", episodes=1, tasks=["touch"], runner=runner)
        backends = dict(runner._backends)
        b = evaluate("oracle", "seen", episodes=1, tasks=["touch"], runner=runner)
        assert runner._backends == backends  # same simulator connection
        assert a["config"]["policy"] == "HoldPolicy" and a["aggregates"]["overall"]["rate"] == 0.0
        assert b["aggregates"]["overall"]["rate"] == 1.0
    finally:
        runner.close()
    with pytest.raises(ValueError, match="workers > 1"):
        evaluate(HoldPolicy(), "seen", episodes=2, workers=2)


@pytest.mark.parametrize("tasks", [None, ["pick"]])
def test_shuffled_instructions_belong_to_another_task_or_object(tasks):
    res = evaluate("oracle", "seen", episodes=6 if tasks is None else 3, workers=1, seed=5, tasks=tasks,
                   shuffle_instructions=True)
    assert res["config"]["shuffle_instructions"] is True
    for rec in res["episodes"]:
        donor = rec["donor"]
        assert rec["shuffled"] is True
        assert (donor["task"], donor["args"]) != (rec["task"], rec["args"])
        assert donor["args"]["object"] not in (rec["args"]["object"], rec["args"].get("base"))
        assert rec["instruction"] == donor["instruction"] != donor["own_instruction"]
        if tasks:
            assert donor["task"] == "pick" and donor["args"]["object"] != rec["args"]["object"]
    # The scripted expert reads the simulator, not the words: it still succeeds (a grounded policy would not).
    assert res["aggregates"]["overall"]["rate"] >= 0.8


class ListeningExpert:
    """A language-grounded scripted policy for tests: parses the instruction it is given and runs
    the expert of *that* task in the runner's simulator (the env's own task is never consulted)."""

    def __init__(self, runner):
        self.runner, self.task = runner, None

    def reset(self) -> None:
        self.task = None

    def set_instruction(self, text: str) -> None:
        self.parsed = sim.parse_instruction(text)
        self.task = None

    def act(self, obs):
        from heron.runtime.interfaces import StepOutput

        env = self.runner.backend("train").env
        if self.task is None:
            name, args = self.parsed
            self.task = sim.TASKS.get(name)(args)
            self.task.begin(env)
        return StepOutput(action=self.task.expert_action(env))


def test_shuffled_instructions_collapse_a_grounded_policy():
    from heron.evaluation.runner import EpisodeRunner

    runner = EpisodeRunner()
    try:
        policy = ListeningExpert(runner)
        kw = dict(episodes=6, seed=20, tasks=["pick", "touch", "place"], runner=runner)
        plain = evaluate(policy, "seen", **kw)["overall"]["success"]
        shuffled = evaluate(policy, "seen", shuffle_instructions=True, **kw)["overall"]["success"]
    finally:
        runner.close()
    assert plain >= 0.8 and shuffled <= 0.2, (plain, shuffled)


def test_instructions_file_end_to_end(tmp_path):
    p = tmp_path / "mine.jsonl"
    p.write_text(
        '{"task": "touch", "args": {"object": "red"}, "instruction": "boop the red cube", "seed": 42}\n'
        '{"task": "pick", "args": {"object": "blue"}, "instruction": "get the blue one up", "seed": 7}\n'
    )
    res = evaluate("oracle", "seen", episodes=99, instructions_file=p)
    recs = res["episodes"]
    assert [(r["task"], r["args"], r["instruction"], r["seed"], r["line"]) for r in recs] == [
        ("touch", {"object": "red"}, "boop the red cube", 42, 1),
        ("pick", {"object": "blue"}, "get the blue one up", 7, 2),
    ]
    assert all(r["success"] for r in recs)


def test_oracle_chains_report_calvin_metrics():
    res = evaluate("oracle", "chains", episodes=2, workers=1, seed=0)
    chains = res["aggregates"]["chains"]
    assert chains["n"] == 2 and chains["length"] == 5
    for rec in res["episodes"]:
        assert rec["chain"] and len(rec["subtasks"]) == 5 and 0 <= rec["completed"] <= 5
        assert len(rec["instructions"]) == min(rec["completed"] + 1, 5)
        assert len(set(rec["instructions"])) == len(rec["instructions"])
    expected = sum(r["completed"] for r in res["episodes"]) / 2
    assert chains["avg_len"] == pytest.approx(expected) and expected >= 3


def test_outputs_and_videos_written(tmp_path):
    res = evaluate("oracle", "seen", episodes=2, tasks=["touch"], json_path=tmp_path / "out" / "r.json",
                   video_dir=tmp_path / "vid", videos=1)
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert data["config"]["policy"] == "oracle" and len(data["episodes"]) == 2
    assert (tmp_path / "out" / "r.md").read_text().startswith("### policy `oracle`")
    assert (tmp_path / "out" / "r.png").stat().st_size > 2000
    videos = [r.get("video") for r in res["episodes"]]
    assert videos[0] and videos[1] is None
    from pathlib import Path

    assert Path(videos[0]).stat().st_size > 1000


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such policy folder"):
        evaluate(str(tmp_path / "nope"), "seen", episodes=1)
    with pytest.raises(ValueError, match="unknown task 'pik'"):
        evaluate("oracle", "seen", episodes=1, tasks=["pik"])
    with pytest.raises(ValueError, match="unknown suite"):
        evaluate("oracle", "everything", episodes=1)
    with pytest.raises(ValueError, match="episodes"):
        evaluate("oracle", "seen", episodes=0)
    with pytest.raises(ValueError, match="chains"):
        evaluate("oracle", "chains", episodes=1, shuffle_instructions=True)
    lines = tmp_path / "l.jsonl"
    lines.write_text('{"task": "touch", "args": {"object": "red"}, "instruction": "tap red", "seed": 0}\n')
    with pytest.raises(ValueError, match="cannot run as the chains suite"):
        evaluate("oracle", "chains", instructions_file=lines)
    lines.write_text('{"task": "touch", "args": {"object": "red"}, "instruction": "tap red", "seed": 0}\n'
                     '{"task": "push", "args": {"object": "red"}, "instruction": "push red", "seed": 0}\n')
    with pytest.raises(ValueError, match="line 2: push takes args.*direction"):
        evaluate("oracle", "seen", instructions_file=lines)


def test_cli_prints_table_and_writes_json(tmp_path, capsys):
    from heron.cli.main import main

    out = tmp_path / "cli.json"
    assert main(["eval", "--policy", "oracle", "--suite", "seen", "--tasks", "touch", "--episodes", "1",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| touch | 1 | 100.0% |" in printed and out.is_file()
    assert main(["eval", "--policy", "oracle", "--suite", "sen"]) == 2
    assert "Did you mean 'seen'" in capsys.readouterr().err


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_learned_policy_runs_in_both_runtimes(request, runtime):
    # The torch runtime loads a policy folder, the ONNX one its export (no export into ~/.cache here).
    folder = request.getfixturevalue("tiny_policy" if runtime == "torch" else "tiny_onnx")
    res = evaluate(str(folder), "seen", episodes=1, tasks=["touch"], runtime=runtime)
    rec = res["episodes"][0]
    assert rec["steps"] >= 1 and res["config"]["runtime"] == runtime
    assert rec["latency_ms"]["p50_ms"] > 0  # the loop ran the policy's inference
    assert 0.0 <= res["overall"]["success"] <= 1.0


def test_training_callback_shape(tiny_policy):
    from heron.evaluation.evaluate import make_eval_callback

    out = make_eval_callback(1)(0, tiny_policy)
    assert 0.0 <= out["success"] <= 1.0
