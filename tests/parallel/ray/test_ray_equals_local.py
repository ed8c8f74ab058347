"""``--ray``: a private local Ray gives the numbers and the data that local worker processes give."""

from __future__ import annotations

import json
import subprocess
import sys

from heron.collection.collect import collect
from heron.data.merge import episode_digests
from heron.evaluation.evaluate import evaluate

SAME = ("index", "seed", "family", "task", "args", "instruction", "success", "steps")


def _same(records, keys=SAME):
    return [{k: r.get(k) for k in keys} for r in records]


def test_collect_on_ray_writes_the_episodes_local_workers_write(local_ray, tmp_path):
    args = dict(tasks="pick,place,push", episodes=6, progress=False, image_size=64)
    collect(out=tmp_path / "local", workers=2, **args)
    summary = collect(out=tmp_path / "ray", workers=2, ray="local", **args)
    assert summary["ray"]["actors"] == 2 and summary["saved"] == 6
    assert episode_digests(tmp_path / "ray") == episode_digests(tmp_path / "local")
    assert sorted(p.name for p in (tmp_path / "ray").glob("shard-ray-*.h5"))[0] == "shard-ray-0000000-0000000.h5"
    again = collect(out=tmp_path / "ray", workers=2, ray="local", **args)  # resumes: nothing left to do
    assert again["saved"] == 0 and again["skipped"] == 6


def test_eval_on_ray_gives_the_numbers_of_local_workers(local_ray, tiny_onnx):
    args = dict(policy=str(tiny_onnx), suite="seen", episodes=4, runtime="onnx")
    local = evaluate(**args, workers=2)
    on_ray = evaluate(**args, workers=2, ray="local")  # the ONNX export travels through the object store
    assert _same(on_ray["episodes"]) == _same(local["episodes"])
    assert on_ray["aggregates"] == local["aggregates"] and on_ray["ray"]["items"] == 4


def test_metaworld_on_ray_equals_local(local_ray, tmp_path):
    from heron.collection.metaworld import collect_metaworld
    from heron.evaluation.metaworld import evaluate_metaworld

    args = dict(tasks="reach-v3", episodes_per_task=3, noise=0.1, image_size=32, progress=False)
    collect_metaworld(out=tmp_path / "local", workers=2, **args)
    summary = collect_metaworld(out=tmp_path / "ray", workers=2, ray="local", **args)
    assert summary["episodes_written"] == 3 and summary["ray"]["actors"] == 2
    assert episode_digests(tmp_path / "ray") == episode_digests(tmp_path / "local")
    ev = dict(policy="metaworld-mt50", tasks="handle-press-v3,door-unlock-v3", episodes=2, progress=False)
    keys = ("task", "seed", "success", "steps")
    local = evaluate_metaworld(**ev, workers=2)
    on_ray = evaluate_metaworld(**ev, workers=2, ray="local")
    assert _same(on_ray["episodes"], keys) == _same(local["episodes"], keys)
    assert on_ray["mean_of_groups"] == local["mean_of_groups"]


def test_cli_ray_turns_usage_statistics_off_and_reports(tmp_path):
    """A separate process starts its own private Ray (``--ray local``); RAY_USAGE_STATS_ENABLED is unset there."""
    env = {k: v for k, v in __import__("os").environ.items() if k != "RAY_USAGE_STATS_ENABLED"}
    code = ("import os, runpy, sys; sys.argv = ['heron'] + sys.argv[1:]; "
            "from heron.cli.main import main; rc = main(); "
            "print('USAGE_STATS=' + os.environ.get('RAY_USAGE_STATS_ENABLED', 'unset')); sys.exit(rc)")
    run = subprocess.run([sys.executable, "-c", code, "collect", "--tasks", "pick", "--episodes", "2", "--out",
                          str(tmp_path / "d"), "--ray", "local", "--workers", "1", "--json", "--no-progress"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "USAGE_STATS=0" in run.stdout
    summary = json.loads(run.stdout[: run.stdout.rindex("}") + 1])
    assert summary["saved"] == 2 and summary["ray"]["address"] == "local" and summary["ray"]["nodes"] == 1
    bad = subprocess.run([sys.executable, "-m", "heron", "collect", "--episodes", "2", "--out", str(tmp_path / "e"),
                          "--ray", "nowhere"], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "--ray 'nowhere': expected auto, local, HOST:PORT" in bad.stderr


def test_dagger_on_ray_sends_the_driving_policy_and_matches_local(local_ray, tmp_path, tiny_policy):
    """DAgger (``--policy``): the driving policy's folder goes to the actors through the object store."""
    args = dict(tasks="pick", episodes=2, progress=False, image_size=64, policy=str(tiny_policy), policy_share=0.5,
                max_attempts=1)
    local = collect(out=tmp_path / "local", workers=1, **args)
    on_ray = collect(out=tmp_path / "ray", workers=2, ray="local", **args)
    assert local["saved"] == on_ray["saved"] == 2
    assert episode_digests(tmp_path / "ray") == episode_digests(tmp_path / "local")
