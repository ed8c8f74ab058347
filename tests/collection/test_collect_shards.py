"""``heron collect --shard i/N`` + ``heron data merge``: N shards joined hold exactly the episodes of one run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from heron.collection.collect import collect
from heron.data import DatasetError, read_meta
from heron.data.merge import episode_digests, merge_datasets

ARGS = dict(tasks="pick,place", episodes=6, workers=1, progress=False, noise=0.2, image_size=64)


@pytest.fixture(scope="module")
def whole_and_shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    collect(out=root / "whole", **ARGS)
    for i in range(3):
        s = collect(out=root / f"s{i}", shard=f"{i}/3", **ARGS)
        assert s["requested"] == 2 and s["shard"] == {"index": i, "count": 3}
    return root


def test_merged_shards_hold_the_episodes_of_one_run(whole_and_shards):
    root = whole_and_shards
    summary = merge_datasets([root / "s0", root / "s1", root / "s2"], root / "merged")
    assert summary["episodes"] == 6 and summary["shards"] == {"count": 3, "merged": [0, 1, 2], "missing": []}
    whole = episode_digests(root / "whole")
    assert sorted(whole) == list(range(6))
    assert episode_digests(root / "merged") == whole  # the same arrays, metadata, seeds
    assert sorted(episode_digests(root / "s1")) == [1, 4]  # shard 1/3: indices 1, 4 (seeds base + 1, base + 4)
    meta = read_meta(root / "merged")
    assert "shard" not in meta and meta["counts"]["stored"] == 6 and meta["config"] == read_meta(root / "whole")["config"]
    assert json.loads((root / "merged" / "paraphrases.json").read_text()) == json.loads((root / "whole" / "paraphrases.json").read_text())


def test_merge_refuses_what_is_not_one_run(whole_and_shards, tmp_path):
    root = whole_and_shards
    with pytest.raises(DatasetError, match=r"shard\(s\) 2/3 missing"):
        merge_datasets([root / "s0", root / "s1"], tmp_path / "a")
    assert not (tmp_path / "a").exists()
    assert merge_datasets([root / "s0", root / "s1"], tmp_path / "a", allow_missing=True)["episodes"] == 4
    with pytest.raises(DatasetError, match="already exists"):  # nothing saved is lost
        merge_datasets([root / "s0", root / "s1", root / "s2"], tmp_path / "a")
    with pytest.raises(DatasetError, match="not a shard"):
        merge_datasets([root / "s0", root / "whole"], tmp_path / "b")
    with pytest.raises(DatasetError, match="given twice"):
        merge_datasets([root / "s0", root / "s0"], tmp_path / "b")
    other = collect(out=tmp_path / "other", shard="1/3", **{**ARGS, "noise": 0.1})["out"]
    with pytest.raises(DatasetError, match=r"different config: noise: 0.2 in .*s0, 0.1 in .*other"):
        merge_datasets([root / "s0", other, root / "s2"], tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_a_shard_folder_resumes_only_as_the_same_shard(whole_and_shards):
    root = whole_and_shards
    with pytest.raises(ValueError, match="holds shard 0/3; this run asks for 1/3"):
        collect(out=root / "s0", shard="1/3", **ARGS)
    again = collect(out=root / "s0", shard="0/3", **ARGS)  # a re-run of the same shard resumes: nothing to do
    assert again["saved"] == 0 and again["skipped"] == 2


def test_cli_merge_and_bad_shard(whole_and_shards, tmp_path):
    root = whole_and_shards
    run = subprocess.run([sys.executable, "-m", "heron", "data", "merge", str(root / "s0"), str(root / "s1"), str(root / "s2"),
                          "--out", str(tmp_path / "m")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["episodes"] == 6
    bad = subprocess.run([sys.executable, "-m", "heron", "collect", "--episodes", "2", "--out", str(tmp_path / "x"),
                          "--shard", "3/3"], capture_output=True, text=True)
    assert bad.returncode != 0 and "shard 3/3" in bad.stderr and not (tmp_path / "x").exists()


def test_metaworld_shards_merge_to_one_run(tmp_path):
    from heron.collection.metaworld import collect_metaworld

    args = dict(tasks="reach-v3", episodes_per_task=3, workers=1, noise=0.1, image_size=32, progress=False)
    collect_metaworld(out=tmp_path / "whole", **args)
    for i in range(2):
        collect_metaworld(out=tmp_path / f"s{i}", shard=f"{i}/2", **args)
    merge_datasets([tmp_path / "s0", tmp_path / "s1"], tmp_path / "merged")
    whole = episode_digests(tmp_path / "whole")
    assert len(whole) == 3 and episode_digests(tmp_path / "merged") == whole
