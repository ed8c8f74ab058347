"""The evaluation harness: statistics, suites, instructions files, reports, and real episodes."""

from __future__ import annotations

import json
import math

import pytest

from agent.evaluation.report import markdown_table, write_reports
from agent.evaluation.stats import aggregate, chain_metrics, wilson_interval
from agent.evaluation.suites import (
    Suite,
    SuiteEntry,
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
    chains = [
        {"family": "chain", "chain": True, "success": c == 5, "steps": 100, "completed": c, "num_subtasks": 5}
        for c in (5, 2, 0, 4)
    ]
    agg = aggregate(chains)
    assert agg["chains"]["avg_len"] == pytest.approx(11 / 4)
    assert [s["successes"] for s in agg["chains"]["success_after"]] == [3, 3, 2, 2, 1]


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
    from pathlib import Path

    files = sorted((Path(__file__).resolve().parents[2] / "configs" / "eval").glob("*.yaml"))
    assert files, "configs/eval/ has no suite files"
    for f in files:
        suite = load_suite(f)
        assert suite.name


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
