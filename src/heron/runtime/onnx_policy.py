"""ONNX Runtime policy: numpy, onnxruntime and tokenizers only (no torch, no transformers).

Provider order is configurable (TensorRT -> CUDA -> CPU by default). onnxruntime-gpu lists CUDA as
*available* even on machines without CUDA and then silently runs on the CPU, so the provider in use
is read back from ``session.get_providers()`` and logged. On a GPU the step runs with IO binding.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from heron.policies.tokenizer import Tokenizer
from heron.runtime.inputs import History, check_observation
from heron.runtime.interfaces import StepOutput

log = logging.getLogger(__name__)

DEFAULT_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
PROVIDER_ALIASES = {"tensorrt": "TensorrtExecutionProvider", "trt": "TensorrtExecutionProvider",
                    "cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"}
STEP_INPUTS = {"images": "tensor(uint8)", "proprio": "tensor(float)", "lang": "tensor(float)",
               "lang_mask": "tensor(int64)", "state": "tensor(float)"}
STEP_OUTPUTS = ("action", "done", "state_out")


class OnnxSignatureError(ValueError):
    """An ONNX export whose files, spec or graph signature are not what heron expects."""


def cuda_libraries_present() -> bool:
    """Whether the CUDA runtime libraries the GPU providers need can be loaded at all."""
    import ctypes

    for lib in ("libcublasLt.so.13", "libcublasLt.so.12"):
        try:
            ctypes.CDLL(lib)
            return True
        except OSError:
            continue
    return False


def resolve_providers(requested) -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    names = [PROVIDER_ALIASES.get(str(p).lower(), p) for p in (requested or DEFAULT_PROVIDERS)]
    unknown = [p for p in names if p not in available and p not in DEFAULT_PROVIDERS]
    if unknown:
        raise ValueError(f"unknown ONNX Runtime provider(s) {unknown}; this build has {available}")
    chosen = [p for p in names if p in available]
    gpu = {"TensorrtExecutionProvider", "CUDAExecutionProvider"}
    if any(p in gpu for p in chosen) and not cuda_libraries_present():
        # The build lists GPU providers even without CUDA; asking for them only logs errors and falls back.
        log.info("CUDA libraries not found: skipping %s", [p for p in chosen if p in gpu])
        chosen = [p for p in chosen if p not in gpu]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")  # always a last resort
    return chosen


def provider_options(providers: list[str], cuda_graph: bool = False, trt_fp16: bool = True,
                     trt_cache: str | Path | None = None) -> list[dict]:
    """Options per provider, in order: TensorRT with fp16 and an engine cache folder (engines take minutes to
    build; the cache makes the second start fast), CUDA with CUDA graphs when asked (the whole step replayed
    as one graph; it needs fixed input shapes and addresses, which ``OnnxPolicy`` binds)."""
    out = []
    for p in providers:
        if p == "TensorrtExecutionProvider":
            opts = {"trt_fp16_enable": "1" if trt_fp16 else "0"}
            if trt_cache:
                Path(trt_cache).mkdir(parents=True, exist_ok=True)
                opts.update(trt_engine_cache_enable="1", trt_engine_cache_path=str(trt_cache), trt_timing_cache_enable="1",
                            trt_timing_cache_path=str(trt_cache))
            if cuda_graph:
                opts["trt_cuda_graph_enable"] = "1"
            out.append(opts)
        elif p == "CUDAExecutionProvider":
            out.append({"enable_cuda_graph": "1"} if cuda_graph else {})
        else:
            out.append({})
    return out


def make_session(path: Path, providers: list[str], threads: int | None, options: list[dict] | None = None,
                 spin: bool = True):
    import onnxruntime as ort

    ort.set_default_logger_severity(3)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # CUDA-less machines log a libcublas error per session; we report the provider ourselves
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    # ORT's pool threads spin-wait after every run by default: the fastest step when steps come back to back
    # (heron run, eval, the benchmarks). At a 10 Hz control rate it burnt half a core per session for nothing
    # (50.6% of a core vs 4.6%; docs/benchmarks.md) and starved whatever shares the robot's computer, so the
    # ROS node asks for spin=False.
    if not spin:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    try:
        sess = ort.InferenceSession(str(path), sess_options=opts, providers=providers, provider_options=options)
    except Exception as exc:  # ORT raises its own exception types (InvalidGraph, Fail, ...)
        raise OnnxSignatureError(f"{path}: ONNX Runtime cannot load it: {exc}") from None
    in_use = sess.get_providers()
    if in_use[0] != providers[0]:
        log.warning("%s: asked for %s, running on %s", path.name, providers[0], in_use[0])
    log.info("%s: provider in use %s", path.name, in_use[0])
    return sess


def check_signature(sess, path: Path) -> None:
    got_in = {i.name: i.type for i in sess.get_inputs()}
    got_out = [o.name for o in sess.get_outputs()]
    if got_in != STEP_INPUTS or list(got_out) != list(STEP_OUTPUTS):
        raise OnnxSignatureError(
            f"{path}: signature {got_in} -> {got_out} does not match heron's policy step "
            f"{STEP_INPUTS} -> {list(STEP_OUTPUTS)}; re-export with `heron export`"
        )


class OnnxPolicy:
    runtime = "onnx"

    def __init__(self, folder, providers=None, threads: int | None = None, precision: str = "fp32", cuda_graph: bool = False,
                 trt_fp16: bool = True, trt_cache: str | Path | None = None, spin: bool = True):
        """``spin``: ORT's pool threads spin-wait between runs (fastest back-to-back; False for a rate-limited node)."""
        folder = Path(folder)
        self.spin = bool(spin)
        self.folder = folder
        spec_path = folder / "spec.json"
        for name in ("spec.json", "policy_step.onnx", "instruction_encoder.onnx", "tokenizer.json"):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder}: {name} is missing; run `heron export --policy <dir> --out {folder}`")
        try:
            self.spec = json.loads(spec_path.read_text())
        except json.JSONDecodeError as exc:
            raise OnnxSignatureError(f"{spec_path} is not valid JSON: {exc}") from None
        if self.spec.get("format") != "heron-onnx":
            raise OnnxSignatureError(f"{spec_path} is not a heron ONNX spec")
        if precision not in ("fp32", "fp16"):
            raise ValueError(f"precision={precision!r}: allowed fp32, fp16")
        suffix = ".fp16.onnx" if precision == "fp16" else ".onnx"
        self.providers = resolve_providers(providers)
        self.cuda_graph = cuda_graph and self.providers[0] != "CPUExecutionProvider"
        options = provider_options(self.providers, self.cuda_graph, trt_fp16, trt_cache or folder / "trt_cache")
        self.step = make_session(folder / f"policy_step{suffix}", self.providers, threads, options, spin=self.spin)
        check_signature(self.step, folder / f"policy_step{suffix}")
        self.encoder = make_session(folder / f"instruction_encoder{suffix}", self.providers, threads, spin=self.spin)
        self.provider = self.step.get_providers()[0]
        pol = self.spec["policy"]
        self.cameras, self.image_size = pol["cameras"], pol["image_size"]
        self.tokenizer = Tokenizer(folder, self.spec["tokenizer"]["max_tokens"])
        self.history = History(self.cameras, 1 if self.spec["recurrent"] else pol["history"])
        self.state_size = self.spec["inputs"]["state"]["shape"][1]
        self.proprio_dim = int(self.spec["inputs"]["proprio"]["shape"][-1])  # 22 / 5 unless trained on another robot's data
        self.action_dim = int(self.spec["outputs"]["action"]["shape"][-1])
        self.lang = self.mask = None
        self.instruction: str | None = None
        self._binding = self._make_binding() if self.provider != "CPUExecutionProvider" else None
        self._device_inputs: dict = {}  # CUDA graphs: inputs live at fixed device addresses, updated in place
        self.reset()

    def _make_binding(self):
        """IO binding with preallocated device outputs: no per-step allocation on the GPU."""
        binding = self.step.io_binding()
        for name in STEP_OUTPUTS:
            binding.bind_output(name, "cuda")
        return binding

    def reset(self) -> None:
        self.history.clear()
        self.state = np.zeros((1, self.state_size), np.float32)

    def set_instruction(self, text: str) -> None:
        ids, mask = self.tokenizer(text)
        self.lang = self.encoder.run(["features"], {"input_ids": ids, "attention_mask": mask})[0]
        self.mask = mask
        self.instruction = text
        self.reset()

    def _run(self, feeds: dict) -> list[np.ndarray]:
        if self._binding is None:
            return self.step.run(list(STEP_OUTPUTS), feeds)
        if self.cuda_graph:
            for name, value in feeds.items():
                value = np.ascontiguousarray(value)
                if name not in self._device_inputs:  # first step only
                    from onnxruntime import OrtValue

                    self._device_inputs[name] = OrtValue.ortvalue_from_numpy(value, "cuda", 0)
                    self._binding.bind_ortvalue_input(name, self._device_inputs[name])
                else:
                    self._device_inputs[name].update_inplace(value)
            self.step.run_with_iobinding(self._binding)
            return self._binding.copy_outputs_to_cpu()
        for name, value in feeds.items():
            self._binding.bind_cpu_input(name, value)
        self.step.run_with_iobinding(self._binding)
        return self._binding.copy_outputs_to_cpu()

    def act(self, obs: dict) -> StepOutput:
        if self.lang is None:
            raise RuntimeError("set_instruction() must be called before act()")
        check_observation(obs, self.cameras, self.image_size, self.proprio_dim)
        images, proprio = self.history.push(obs)
        action, done, state = self._run({"images": images, "proprio": proprio, "lang": self.lang,
                                         "lang_mask": self.mask, "state": self.state})
        self.state = state
        chunk = action[0].astype(np.float32)
        return StepOutput(action=chunk[0], done=float(done[0]), chunk=chunk)

    def warmup(self, obs: dict, steps: int = 3) -> None:
        """Run a few steps before the loop starts (allocations, kernel selection); state is reset after."""
        for _ in range(steps):
            self.act(obs)
        self.reset()
