"""heron bench vlm on a tiny random VLM: every phase runs and reports its figure (the figures themselves
are the benchmark's business, not the test's)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_bench_vlm_reports_every_phase(tmp_path):
    out = subprocess.run([sys.executable, "-m", "heron.cli.main", "bench", "vlm", "--size", "tiny", "--work", str(tmp_path),
                          "--vlm-steps", "3"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["arch"] == "smolvlm" and r["params_m"] > 0 and 0 < r["trainable_params_m"] < r["params_m"]
    assert r["tokens_per_step"]["image"] == 2 * 16  # two cameras, 8x8 patches pixel-shuffled by 2
    assert r["torch_step"]["p50_ms"] > 0 and r["train"]["samples_per_s"] > 0
    assert r["onnx"]["parity_max_abs_diff"] <= 1e-4 and r["onnx"]["step_fp32"]["p50_ms"] > 0
    assert r["onnx"]["int8_mb"] < r["onnx"]["files_mb"] and r["onnx"]["step_int8"]["p50_ms"] > 0
    assert r["peak_rss_mb"] > 100


def test_bench_vlm_unknown_size_is_named():
    out = subprocess.run([sys.executable, "-m", "heron.cli.main", "bench", "vlm", "--size", "gpt-9"], capture_output=True, text=True)
    assert out.returncode != 0 and "unknown VLM size 'gpt-9'; known: tiny, smolvlm-256m" in out.stderr
