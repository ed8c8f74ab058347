"""Chained, recovery and randomised demonstrations: segments in the data, windows that never cross
them, done labels after success, resume, and bad settings."""

from __future__ import annotations

import numpy as np
import pytest

from heron.collection.collect import collect
from heron.data import DemoDataset, WindowDataset

RANDOM = {"camera_shift": 0.05, "light": 0.5, "table_color": 0.5, "distractors": 3, "arm_start": 1.0}
KW = dict(tasks="touch,pick,place", workers=1, seed=3, image_size=32, progress=False,
          chain_fraction=1.0, chain_length=(2, 3), post_steps=2, randomize=RANDOM)


@pytest.fixture(scope="module")
def chained(tmp_path_factory):
    out = tmp_path_factory.mktemp("chains") / "demos"
    summary = collect(episodes=3, out=out, **KW)
    return out, summary


def test_chains_store_contiguous_segments_with_their_own_instructions(chained):
    out, summary = chained
    assert summary["stored"] == 3
    ds = DemoDataset(out)
    for info in ds.episodes:
        segs = info.segment_list()
        assert 2 <= len(segs) <= 3 and segs[0]["start"] == 0 and segs[-1]["stop"] == info.num_steps
        assert all(a["stop"] == b["start"] for a, b in zip(segs, segs[1:]))
        assert all(s["success"] and s["stop"] - s["done_from"] == 2 for s in segs)  # two post-success steps
        assert info.scene["randomization"] and len(info.scene["chain"]) == len(segs)
        assert [s["task"] for s in segs] == [c["task"] for c in info.scene["chain"]]


def test_windows_never_cross_a_segment(chained):
    out, _ = chained
    ds = DemoDataset(out)
    w = WindowDataset(ds, history=3, horizon=8)
    assert len(w) == ds.num_steps
    arrays = [ds.read(i) for i in range(len(ds))]
    for i in range(len(w)):
        k, t = w.locate_segment(i)
        j, start, stop = int(w.seg_episode[k]), int(w.seg_start[k]), int(w.seg_stop[k])
        s = w[i]
        assert s["instruction"] == w.seg_text[k]
        n = int(s["action_mask"].sum())
        done_from = int(w.seg_done_from[k])
        # the chunk stops at the segment's success: the post-success hold steps teach done, not actions
        assert n == max(0, min(8, done_from - t)) and done_from < stop
        np.testing.assert_array_equal(s["actions"][:n], arrays[j]["actions"][t:t + n])
        if t == start:  # history padded with the segment's first frame, not the previous segment's
            assert s["history_mask"].tolist() == [False, False, True]
            assert (s["rgb_front"] == arrays[j]["rgb_front"][start]).all()
        done = float(s["done"])
        assert done == (1.0 if t >= ds.episodes[j].segment_list()[k - _first(w, j)]["done_from"] else 0.0)


def _first(w, j):
    return int(np.flatnonzero(w.seg_episode == j)[0])


def test_post_success_steps_hold_still(chained):
    out, _ = chained
    ds = DemoDataset(out)
    ep = ds[0]
    for seg in ep.segments:
        post = ep.actions[seg["done_from"]:seg["stop"]]
        assert np.all(post[:, :4] == 0) and np.all(np.abs(post[:, 4]) == 1)


def test_interrupted_chained_collection_resumes(chained, tmp_path):
    out = tmp_path / "demos"
    first = collect(episodes=2, out=out, **KW)
    again = collect(episodes=3, out=out, **KW)
    assert first["stored"] == 2 and again["skipped"] == 2 and again["saved"] == 1 and again["stored"] == 3
    ref = DemoDataset(chained[0])
    got = DemoDataset(out)
    a = {e.index: e.segment_list() for e in ref.episodes}
    b = {e.index: e.segment_list() for e in got.episodes}
    assert a == b  # the same episodes as one uninterrupted run


def test_resume_with_other_chain_settings_is_refused(tmp_path):
    out = tmp_path / "demos"
    collect(episodes=1, out=out, **KW)
    with pytest.raises(ValueError, match="chain_fraction: stored 1.0, now 0.5"):
        collect(episodes=2, out=out, **{**KW, "chain_fraction": 0.5})


def test_chain_longer_than_the_budget_names_the_limit(tmp_path):
    with pytest.raises(ValueError, match=r"chain_length=\[2, 8\].*more than episode_budget=400.*shorten the chain \(max 5\)"):
        collect(episodes=1, out=tmp_path / "x", **{**KW, "tasks": "all", "chain_length": (2, 8)})


def test_bad_randomisation_range_names_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"randomize\.block_size=0\.5 out of range: allowed 0\.\.0\.3"):
        collect(episodes=1, out=tmp_path / "x", **{**KW, "randomize": {"block_size": 0.5}})
    assert not (tmp_path / "x" / "meta.json").exists()  # nothing written for a refused run
