"""``heron bench train --config``: training minutes exclude evaluations; the curve, the JSON and the plot."""

from __future__ import annotations

import json

import pytest

from heron.cli.main import main


def _config(tmp_path, data):
    cfg = tmp_path / "recipe.yaml"
    cfg.write_text(f"policy: tiny\ndata: {data}\nout: {tmp_path}/unused\nbatch_size: 8\nsteps: 100000\nlr: 0.001\n"
                   "warmup_steps: 5\nval_fraction: 0.2\nlog_every: 5\nval_every: 100000\ncheckpoint_every: 100000\n"
                   "num_threads: 1\n")
    return cfg


def test_bench_train_curve_excludes_evaluation_time(tmp_path, synthetic_demos, capsys):
    cfg, out, png = _config(tmp_path, synthetic_demos), tmp_path / "run", tmp_path / "curve.png"
    rc = main(["bench", "train", "--config", str(cfg), "--minutes", "0.08", "--eval-every-min", "0.03",
               "--eval-episodes", "2", "--out", str(out), "--plot", str(png)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["samples_per_s"] > 0 and res["steps"] > 0
    assert len(res["curve"]) >= 2  # at least one evaluation during training, and the final one
    minutes = [c["train_minutes"] for c in res["curve"]]
    assert minutes == sorted(minutes) and minutes[-1] <= 0.08 + 0.05
    assert res["eval_minutes"] > 0  # evaluations happened and were timed apart
    history = json.loads((out / "history.json").read_text())
    summary = history[-1]["summary"]
    # the gap is the evaluations (several seconds here), give or take setup and saving on a loaded machine
    assert summary["wall_s"] - summary["train_s"] == pytest.approx(summary["eval_s"], abs=0.5)
    assert all(0 <= c["success"] <= 1 for c in res["curve"])
    assert res["minutes_to_80"] is None or res["minutes_to_80"] in minutes
    assert png.stat().st_size > 1000
    # a second benchmark into the same folder would resume rather than start from scratch: refused
    with pytest.raises(ValueError, match="holds a checkpoint: a benchmark trains from scratch"):
        from heron.bench.train import bench_recipe

        bench_recipe(str(cfg), 0.05, 0.02, 1, out=str(out))


def test_compare_needs_a_benchmark_json(tmp_path, synthetic_demos):
    from heron.bench.train import _load

    bad = tmp_path / "x.json"
    bad.write_text('{"samples_per_s": 1}\n')
    with pytest.raises(ValueError, match="no 'curve' key"):
        _load(str(bad))


def test_throughput_breakdown_with_overrides(tmp_path, synthetic_demos, capsys):
    cfg = _config(tmp_path, synthetic_demos)
    rc = main(["bench", "train", "--throughput", "--config", str(cfg), "--train-steps", "20",
               "--set", "precision=bf16", "--set", "channels_last=true", "--set", "max_episodes=2"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["precision"] == "bf16" and res["channels_last"] is True and res["steps"] == 20
    assert res["samples_per_s"] > 0 and set(res["step_ms"]) == {"load", "forward", "backward", "optimizer"}
    assert all(v > 0 for v in res["step_ms"].values())
    # the breakdown accounts for the step: batch 8 at the measured rate
    assert sum(res["step_ms"].values()) == pytest.approx(8 / res["samples_per_s"] * 1e3, rel=0.35)
    with pytest.raises(ValueError, match="--train-steps 5: at least 20"):
        from heron.bench.train import bench_throughput

        bench_throughput(str(cfg), [], 5)
    assert main(["bench", "train", "--throughput", "--config", str(cfg), "--set", "precision=fp8"]) == 2
    assert "precision='fp8': allowed fp32, bf16" in capsys.readouterr().err


def test_curve_labels_name_the_overrides_that_make_each_recipe():
    from heron.bench.train import curve_label

    base = {"config": "configs/train/default.yaml", "samples_per_s": 184.46, "overrides": []}
    assert curve_label(base) == "default (184 samples/s)"
    assert curve_label(base | {"overrides": ["precision=bf16", "lr=0.001"]}) == "default precision=bf16 lr=0.001 (184 samples/s)"


@pytest.mark.parametrize("item,flag", [("out=runs/x", "--out"), ("max_minutes=5", "--minutes"),
                                       ("eval_episodes=3", "--eval-episodes")])
def test_settings_the_benchmark_owns_are_refused_in_set(tmp_path, synthetic_demos, item, flag):
    """`--set out=...` would be silently replaced by the benchmark's own folder: refused, naming the flag."""
    from heron.bench.train import bench_recipe

    with pytest.raises(ValueError, match=f"--set {item}: the benchmark sets .* itself; use {flag}"):
        bench_recipe(str(_config(tmp_path, synthetic_demos)), 0.05, 0.02, 1, out=str(tmp_path / "run"), overrides=[item])
    assert not (tmp_path / "run").exists()


def test_compare_without_config_redraws_saved_benchmarks(tmp_path, capsys):
    runs = []
    for i, over in enumerate((["precision=bf16"], ["precision=bf16", "lr=0.001"])):
        path = tmp_path / f"b{i}.json"
        path.write_text("log line\n" + json.dumps({"config": "configs/train/default.yaml", "overrides": over, "samples_per_s": 180.0,
                                                   "curve": [{"train_minutes": 5.0, "success": 0.1 * i}]}) + "\n")
        runs += ["--compare", str(path)]
    assert main(["bench", "train", *runs, "--plot", str(tmp_path / "p.png")]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(res["recipes"]) == 2 and res["recipes"][0] != res["recipes"][1]
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert main(["bench", "train", *runs]) == 2
    assert "give --plot" in capsys.readouterr().err
