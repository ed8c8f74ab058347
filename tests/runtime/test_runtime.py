"""Policy runtimes: PyTorch and ONNX Runtime agree; bad exports and bad observations get clear errors."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from heron.runtime import load_policy
from heron.runtime.inputs import ObservationError
from heron.runtime.onnx_policy import OnnxSignatureError


def _obs(size=64, seed=0):
    rng = np.random.default_rng(seed)
    return {"rgb_front": rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
            "rgb_wrist": rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
            "proprio": rng.normal(size=22).astype(np.float32)}


def test_torch_and_onnx_agree_step_by_step(tiny_policy, tiny_onnx):
    pt, ox = load_policy(tiny_policy, "torch"), load_policy(tiny_onnx, "onnx", providers=["cpu"])
    assert ox.provider == "CPUExecutionProvider"
    for p in (pt, ox):
        p.set_instruction("pick up the red block")
    for i in range(4):
        a, b = pt.act(_obs(seed=i)), ox.act(_obs(seed=i))
        assert a.chunk.shape == b.chunk.shape == (4, 5)
        assert np.abs(a.chunk - b.chunk).max() <= 1e-4
        assert abs(a.done - b.done) <= 1e-4


def test_instruction_changes_onnx_output(tiny_onnx):
    ox = load_policy(tiny_onnx, "onnx")
    ox.set_instruction("pick up the red block")
    a = ox.act(_obs())
    ox.set_instruction("push the blue block left")
    b = ox.act(_obs())
    assert not np.allclose(a.chunk, b.chunk)


@pytest.mark.parametrize("key,value,needle", [
    ("rgb_front", np.zeros((32, 32, 3), np.uint8), "shape"),
    ("rgb_front", np.zeros((64, 64, 3), np.float32), "dtype"),
    ("proprio", np.zeros(7, np.float32), "proprio"),
    ("proprio", np.full(22, np.nan, np.float32), "NaN"),
])
def test_bad_observations_are_refused(tiny_onnx, key, value, needle):
    ox = load_policy(tiny_onnx, "onnx")
    ox.set_instruction("pick up the red block")
    with pytest.raises(ObservationError, match=needle):
        ox.act({**_obs(), key: value})


def test_act_before_instruction_is_an_error(tiny_onnx):
    with pytest.raises(RuntimeError, match="set_instruction"):
        load_policy(tiny_onnx, "onnx").act(_obs())


def test_missing_files_and_wrong_signature(tmp_path, tiny_onnx):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_onnx, broken)
    (broken / "policy_step.onnx").unlink()
    with pytest.raises(FileNotFoundError, match="policy_step.onnx is missing"):
        load_policy(broken, "onnx")
    shutil.copy(tiny_onnx / "instruction_encoder.onnx", broken / "policy_step.onnx")  # a graph with another signature
    with pytest.raises(OnnxSignatureError, match="does not match"):
        load_policy(broken, "onnx")
    (broken / "policy_step.onnx").write_bytes(b"garbage")
    with pytest.raises(OnnxSignatureError, match="cannot load"):
        load_policy(broken, "onnx")


def test_unknown_provider_and_runtime(tiny_onnx, tmp_path):
    with pytest.raises(ValueError, match="unknown ONNX Runtime provider"):
        load_policy(tiny_onnx, "onnx", providers=["WarpDriveExecutionProvider"])
    with pytest.raises(ValueError, match="Did you mean 'onnx'"):
        load_policy(tiny_onnx, "onnxx")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_policy(tmp_path / "nope", "onnx")


def test_gpu_providers_requested_without_cuda_fall_back_to_cpu_and_say_so(tiny_onnx):
    ox = load_policy(tiny_onnx, "onnx", providers=["cuda", "cpu"])
    assert ox.provider == "CPUExecutionProvider"  # this machine has no CUDA; the provider in use is reported


def test_onnx_runtime_path_imports_neither_torch_nor_transformers(tiny_onnx):
    code = (
        "import sys, numpy as np\n"
        "from heron.runtime import load_policy\n"
        f"p = load_policy({str(tiny_onnx)!r}, 'onnx')\n"
        "p.set_instruction('pick up the red block')\n"
        "o = {'rgb_front': np.zeros((64, 64, 3), np.uint8), 'rgb_wrist': np.zeros((64, 64, 3), np.uint8), 'proprio': np.zeros(22, np.float32)}\n"
        "p.act(o)\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_policy_folder_is_exported_once_into_the_cache(tiny_policy, tmp_path, monkeypatch):
    monkeypatch.setenv("HERON_CACHE", str(tmp_path))
    first = load_policy(tiny_policy, "onnx")
    assert (first.folder / "spec.json").is_file() and str(first.folder).startswith(str(tmp_path))
    assert load_policy(tiny_policy, "onnx").folder == first.folder


def test_gpu_provider_options_tensorrt_fp16_cache_and_cuda_graphs(tmp_path):
    from heron.runtime.onnx_policy import provider_options

    cache = tmp_path / "engines"
    trt, cuda, cpu = provider_options(["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
                                      cuda_graph=True, trt_fp16=True, trt_cache=cache)
    assert trt["trt_fp16_enable"] == "1" and trt["trt_engine_cache_enable"] == "1"
    assert trt["trt_engine_cache_path"] == str(cache) and cache.is_dir() and trt["trt_cuda_graph_enable"] == "1"
    assert cuda == {"enable_cuda_graph": "1"} and cpu == {}
    trt32, cuda_plain = provider_options(["TensorrtExecutionProvider", "CUDAExecutionProvider"], trt_fp16=False)
    assert trt32 == {"trt_fp16_enable": "0"} and cuda_plain == {}


def test_cuda_graph_request_without_a_gpu_runs_on_cpu_and_says_so(tiny_onnx):
    ox = load_policy(tiny_onnx, "onnx", providers=["cuda", "cpu"], cuda_graph=True)
    assert ox.provider == "CPUExecutionProvider" and not ox.cuda_graph
    ox.set_instruction("pick up the red block")
    assert np.isfinite(ox.act(_obs()).chunk).all()


def test_torch_compile_gives_the_eager_action(tiny_policy):
    eager, compiled = load_policy(tiny_policy, "torch"), load_policy(tiny_policy, "torch", compile=True)
    assert compiled.provider == "torch-cpu-compiled"
    obs = _obs()
    for p in (eager, compiled):
        p.set_instruction("pick up the red block")
    a, b = eager.act(obs), compiled.act(obs)
    assert np.abs(a.chunk - b.chunk).max() <= 1e-4


def test_onnx_threads_spin_except_in_a_rate_limited_node(tiny_onnx):
    from heron.runtime.onnx_policy import OnnxPolicy

    def spinning(policy):
        try:
            return policy.step.get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
        except Exception:  # noqa: BLE001 - ORT raises when the entry is unset: its default, spinning
            return "1"

    assert spinning(OnnxPolicy(tiny_onnx, threads=2)) == "1"  # heron run / eval / bench: the fastest step
    assert spinning(OnnxPolicy(tiny_onnx, threads=2, spin=False)) == "0"  # the ROS node at 10 Hz
