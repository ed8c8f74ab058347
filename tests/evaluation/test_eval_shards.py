"""``heron eval --shard i/N`` + ``heron eval --merge``: the shards' reports joined give the numbers of one run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from heron.evaluation.evaluate import evaluate
from heron.evaluation.merge import merge_results

SAME = ("index", "seed", "family", "task", "args", "instruction", "success", "steps")


def _episodes(result, keys=SAME):
    return [{k: r.get(k) for k in keys} for r in result["episodes"]]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, tiny_onnx):
    root = tmp_path_factory.mktemp("eval-shards")
    args = dict(policy=str(tiny_onnx), suite="seen", episodes=5, runtime="onnx")
    whole = evaluate(**args, json_path=root / "whole.json")
    for i in range(3):
        part = evaluate(**args, shard=f"{i}/3", json_path=root / f"s{i}.json")
        assert [r["index"] for r in part["episodes"]] == list(range(5))[i::3]
    return root, whole


def test_merged_shard_reports_equal_one_run(reports):
    root, whole = reports
    merged = merge_results([root / "s2.json", root / "s0.json", root / "s1.json"], root / "merged.json")
    assert _episodes(merged) == _episodes(whole)
    assert merged["aggregates"] == whole["aggregates"] and merged["overall"] == whole["overall"]
    assert merged["merged_from"]["count"] == 3
    on_disk = json.loads((root / "merged.json").read_text())
    assert on_disk["aggregates"] == whole["aggregates"] and (root / "merged.md").is_file()


def test_merge_refuses_reports_of_other_runs(reports, tmp_path):
    root, _ = reports
    with pytest.raises(ValueError, match=r"shard\(s\) 2/3 missing"):
        merge_results([root / "s0.json", root / "s1.json"])
    with pytest.raises(ValueError, match="whole run, not a shard"):
        merge_results([root / "s0.json", root / "whole.json"])
    with pytest.raises(ValueError, match="given twice"):
        merge_results([root / "s0.json", root / "s0.json", root / "s1.json"])
    (tmp_path / "copy.json").write_text((root / "s0.json").read_text())
    with pytest.raises(ValueError, match="shard 0/3 is given twice"):
        merge_results([root / "s0.json", tmp_path / "copy.json", root / "s1.json"])
    other = json.loads((root / "s1.json").read_text())
    other["config"]["seed"] = 7
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(ValueError, match=r"different evaluations \(seed: 1000000 in .*s0.json, 7 in .*other.json"):
        merge_results([root / "s0.json", tmp_path / "other.json", root / "s2.json"])
    (tmp_path / "junk.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a `heron eval --json` report"):
        merge_results([root / "s0.json", tmp_path / "junk.json"])


def test_cli_merge(reports, tmp_path):
    root, whole = reports
    run = subprocess.run([sys.executable, "-m", "heron", "eval", "--merge", *(str(root / f"s{i}.json") for i in range(3)),
                          "--json", str(tmp_path / "m.json")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "merged 3 shard reports: 5 episodes" in run.stdout
    assert json.loads((tmp_path / "m.json").read_text())["aggregates"] == whole["aggregates"]
    no_policy = subprocess.run([sys.executable, "-m", "heron", "eval", "--suite", "seen"], capture_output=True, text=True)
    assert no_policy.returncode != 0 and "--policy is required" in no_policy.stderr


def test_metaworld_shards_merge_to_one_run(tmp_path):
    from heron.evaluation.metaworld import evaluate_metaworld

    args = dict(policy="metaworld-mt50", tasks="handle-press-v3,door-unlock-v3", episodes=2, workers=1, progress=False)
    whole = evaluate_metaworld(**args)
    parts = [evaluate_metaworld(**args, shard=f"{i}/2", json_path=tmp_path / f"s{i}.json") for i in range(2)]
    assert [len(p["episodes"]) for p in parts] == [2, 2]
    merged = merge_results([tmp_path / "s0.json", tmp_path / "s1.json"], tmp_path / "m.json")
    keys = ("task", "seed", "success", "steps")
    assert _episodes(merged, keys) == _episodes(whole, keys)
    assert merged["mean_of_groups"] == whole["mean_of_groups"] and merged["tasks"] == whole["tasks"]
