"""heron bench gpu: without a GPU it exits 0 within seconds saying why; its parts run here on the CPU (the GPU
itself cannot exist on this machine, so the CUDA and TensorRT figures are the check's business on a GPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from heron.bench import gpu, gpu_parts


def _heron_bench_gpu(tmp_path, **env):
    out = tmp_path / "gpu-check.json"
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "heron", "bench", "gpu", "--json", str(out), "--work", str(tmp_path / "work")],
                         check=False, capture_output=True, text=True, env=dict(os.environ, **env), timeout=120)
    return res, time.perf_counter() - t, out


def test_without_a_gpu_it_exits_0_in_seconds_saying_why(tmp_path):
    if gpu.detect()["gpu"] is not False:
        pytest.skip("a GPU (or its driver) is here: `make gpu-check` runs the whole check")
    res, wall, out = _heron_bench_gpu(tmp_path)
    assert res.returncode == 0, res.stderr
    assert wall < 30
    report = json.loads(out.read_text())
    assert report == json.loads(res.stdout.strip().splitlines()[-1])  # the JSON file and the last line agree
    assert report["gpu"] is False and report["device"] is None and "parts" not in report
    assert report["reasons"] and report["message"].startswith("no GPU found: ")
    assert "no GPU found" in res.stderr
    assert not (tmp_path / "work").exists()  # nothing was started


def test_cuda_visible_devices_empty_hides_the_gpu(tmp_path):
    res, wall, out = _heron_bench_gpu(tmp_path, CUDA_VISIBLE_DEVICES="")
    assert res.returncode == 0 and wall < 30, res.stderr
    report = json.loads(out.read_text())
    assert report["gpu"] is False
    assert "CUDA_VISIBLE_DEVICES='' hides every GPU" in report["reasons"]


def test_no_torch_on_the_no_gpu_path():
    code = ("import os, sys; os.environ['CUDA_VISIBLE_DEVICES'] = '-1'; from heron.bench.gpu import detect; "
            "r = detect(); print(r['gpu'], 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_help_shows_only_its_own_options():
    out = subprocess.run([sys.executable, "-m", "heron", "bench", "gpu", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--json" in out and "--budget-s" in out and "--skip" in out
    for other in ("--providers", "--eval-every-min", "--size", "--cuda-graph"):
        assert other not in out, other


@pytest.mark.parametrize("env,why", [({}, None), ({"CUDA_VISIBLE_DEVICES": "0"}, None),
                                     ({"CUDA_VISIBLE_DEVICES": ""}, "hides"), ({"CUDA_VISIBLE_DEVICES": "-1"}, "hides")])
def test_hidden_by_env(env, why):
    got = gpu.hidden_by_env(env)
    assert (got is None) if why is None else (why in got)


def test_parse_nvidia_smi():
    text = "NVIDIA H100 80GB HBM3, 81559, 550.54.15\nNVIDIA H200, 143771, 560.35.03\n\n"
    assert gpu.parse_nvidia_smi(text) == [
        {"name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559, "driver": "550.54.15"},
        {"name": "NVIDIA H200", "memory_total_mb": 143771, "driver": "560.35.03"}]
    assert gpu.parse_nvidia_smi("No devices were found\n") == []
    assert gpu.parse_nvidia_smi("NVIDIA A10, [N/A], 535.1\n")[0]["memory_total_mb"] is None


def test_part_timeout_cuts_to_the_check_budget():
    assert gpu.part_timeout(60, deadline=1000.0, now=100.0) == 60  # plenty left: its own budget
    assert gpu.part_timeout(60, deadline=1000.0, now=970.0) == pytest.approx(30)  # what is left
    assert gpu.part_timeout(60, deadline=1000.0, now=995.0) is None  # too little to start
    assert sum(own for _, own in gpu.PARTS) > gpu.BUDGET_S  # budgets are caps; the check's own budget bounds them
    assert gpu.BUDGET_S + 20 < 8 * 60 and gpu.PROBE_S < gpu.BUDGET_S  # the probe comes out of the budget; 20 s to start and write


def test_summary_and_exit_code():
    parts = {"onnx-cpu": {"step": {"p50_ms": 2.0, "p99_ms": 3.0}}, "onnx-cuda": {"step": {"p50_ms": 0.5, "p99_ms": 0.8}},
             "onnx-tensorrt": {"error": "RuntimeError: asked for TensorrtExecutionProvider, ..."},
             "vlm-cuda": {"step": {"p50_ms": 12.0, "p99_ms": 14.0}},
             "train-small": {"samples_per_s": 2000.0, "torch_max_memory_allocated_mb": 900.0},
             "train-largest": {"samples_per_s": 1500.0, "torch_max_memory_allocated_mb": 1100.0}, "_peak_mb": 4096}
    s = gpu.summarize(parts)
    assert s["onnx_step_p50_ms"] == {"cpu": 2.0, "cuda": 0.5, "tensorrt": None}
    assert s["speedup_p50_over_cpu"] == {"cuda": 4.0, "tensorrt": None}
    assert s["vlm_step_p99_ms"] == {"cuda": 14.0, "tensorrt": None}
    assert s["train_samples_per_s"] == {"small": 2000.0, "largest": 1500.0}
    assert s["peak_gpu_memory_mb"] == {"nvidia_smi_used": 4096, "torch_max_allocated": 1100.0}
    assert gpu.exit_code({"gpu": False}) == 0
    assert gpu.exit_code({"gpu": True, "ok": True}) == 0
    assert gpu.exit_code({"gpu": True, "ok": False}) == 1


def test_onnx_settings_ask_onnx_runtime_for_fp16_engines_cache_and_cuda_graphs(tmp_path):
    from heron.runtime.onnx_policy import provider_options, resolve_providers

    assert gpu_parts.onnx_settings("cpu", tmp_path) == (["cpu"], {})
    providers, opts = gpu_parts.onnx_settings("cuda", tmp_path)
    assert providers == ["cuda"] and opts == {"cuda_graph": True}
    providers, opts = gpu_parts.onnx_settings("tensorrt", tmp_path / "trt")
    assert providers == ["tensorrt", "cuda"] and opts["trt_fp16"] and opts["cuda_graph"]
    names = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    trt, cuda, _ = provider_options(names, opts["cuda_graph"], opts["trt_fp16"], opts["trt_cache"])
    assert trt["trt_fp16_enable"] == "1" and trt["trt_engine_cache_enable"] == "1" and trt["trt_cuda_graph_enable"] == "1"
    assert trt["trt_engine_cache_path"] == str(tmp_path / "trt") and cuda == {"enable_cuda_graph": "1"}
    assert resolve_providers(providers)[-1] == "CPUExecutionProvider"
    with pytest.raises(ValueError, match="unknown ONNX Runtime target 'rocm'"):
        gpu_parts.onnx_settings("rocm", tmp_path)


def test_onnx_step_part_on_the_cpu(tiny_onnx):
    r = gpu_parts.onnx_step(tiny_onnx, "cpu", steps=5, threads=1)
    assert r["provider"] == "CPUExecutionProvider" and r["step"]["p50_ms"] > 0 and r["steps"] == 5
    assert r["cuda_graph"] is False and r["io_binding"] is False


def test_a_cuda_part_that_falls_back_to_the_cpu_is_an_error_not_a_figure(tiny_onnx):
    from heron.runtime.onnx_policy import cuda_libraries_present

    if cuda_libraries_present():
        pytest.skip("CUDA libraries load here: ONNX Runtime would not fall back")
    with pytest.raises(RuntimeError, match="asked for CUDAExecutionProvider, the session runs on CPUExecutionProvider"):
        gpu_parts.onnx_step(tiny_onnx, "cuda", steps=5, threads=1)


def test_the_largest_recipe_is_the_largest_shipped_from_scratch_recipe():
    from heron.configs import CONFIG_DIR
    from heron.policies.config import adopt_features, load_policy_config
    from heron.policies.model import HeronPolicy
    from heron.training.config import load_train_config

    params, built = {}, {}
    for f in sorted((CONFIG_DIR / "train").glob("*.yaml")):
        cfg = load_train_config(f)
        if cfg.init_from:  # fine-tunes keep the model of the run they continue
            continue
        sets = adopt_features(cfg.policy_overrides, gpu_parts.recipe_features(cfg).policy_config())
        key = (cfg.policy, tuple(sets))
        if key not in built:
            built[key] = sum(p.numel() for p in HeronPolicy(load_policy_config(cfg.policy, sets)).parameters())
        params[f"configs/train/{f.name}"] = built[key]
    assert {gpu_parts.SMALL_RECIPE, gpu_parts.LARGEST_RECIPE} <= set(params)
    assert max(params, key=params.get) == gpu_parts.LARGEST_RECIPE, params


@pytest.mark.parametrize("recipe,cameras,dims", [(gpu_parts.SMALL_RECIPE, ["rgb_front", "rgb_wrist"], (22, 5)),
                                                 (gpu_parts.LARGEST_RECIPE, ["rgb_corner2"], (4, 4))])
def test_random_demos_have_the_recipes_shape(tmp_path, recipe, cameras, dims):
    from heron.data import DemoDataset
    from heron.training.config import load_train_config
    from heron.training.trainer import data_features

    out = gpu_parts.write_random_demos(tmp_path / "d", gpu_parts.recipe_features(load_train_config(recipe)), episodes=3, steps=5)
    f = data_features(DemoDataset(out))
    assert f["cameras"] == cameras and f["image_size"] == 96 and (f["proprio_dim"], f["action_dim"]) == dims


def test_train_part_on_the_cpu(tmp_path):
    r = gpu_parts.train(gpu_parts.LARGEST_RECIPE, tmp_path, steps=20, device="cpu", overrides=["batch_size=4"])
    assert r["samples_per_s"] > 0 and r["device"] == "cpu" and r["batch_size"] == 4 and r["steps"] == 20


def test_a_part_over_its_budget_is_killed_and_reported(tmp_path):
    t = time.perf_counter()
    r = gpu.run_child("probe", tmp_path, {}, timeout_s=0.3)  # the probe imports torch: more than 0.3 s
    assert time.perf_counter() - t < 10
    assert r["error"].startswith("timed out after 0 s")
    r = gpu.run_child("nope", tmp_path, {}, timeout_s=60)
    assert r["error"] == "ValueError: unknown part 'nope'" and (tmp_path / "parts" / "nope.log").is_file()


def test_vlm_parts_on_the_cpu(tmp_path):
    """The VLM of `heron bench vlm` (tiny here), exported, then stepped through the runtime as on a GPU."""
    r = gpu_parts.run_part("vlm-export", tmp_path, {"vlm_size": "tiny", "threads": 2})
    assert r["arch"] == "smolvlm" and r["parity_max_abs_diff"] <= 1e-4 and r["onnx_mb"] > 0
    r = gpu_parts.run_part("vlm-cpu", tmp_path, {"vlm_steps": 3, "threads": 1})
    assert r["provider"] == "CPUExecutionProvider" and r["step"]["p50_ms"] > 0
