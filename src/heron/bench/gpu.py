"""``heron bench gpu`` (``make gpu-check``): one JSON of what heron does on a GPU, or of why there is none.

Finding the GPU is cheap and imports neither torch nor anything heavy before a cheap check has said yes:
``CUDA_VISIBLE_DEVICES``, the NVIDIA driver's files, ``nvidia-smi`` and ONNX Runtime's providers. Without a
GPU the check stops there and exits 0. With one, each part runs in a child process
(``heron.bench.gpu_parts``) under its own time budget, inside one budget for the whole check (7.5 minutes by
default); a part that fails or runs out of time records its error and the next one runs. The CUDA parts run
first, the TensorRT parts (engine builds) last. Exit 0 when there is no GPU, or when there is one and every
CUDA part ran; 1 when a GPU was found and a CUDA part failed.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HELP = ("one GPU check (make gpu-check): the default policy's ONNX step on CUDA and TensorRT against the CPU, "
        "a SmolVLM-256M-sized policy, training samples/s, peak GPU memory; exits 0 saying so without a GPU")

# (part, seconds it may take), in the order they run: CUDA first, TensorRT engine builds last.
PARTS = (("onnx-cpu", 45), ("onnx-cuda", 30), ("train-small", 40), ("train-largest", 40), ("vlm-export", 150),
         ("vlm-cuda", 45), ("onnx-tensorrt", 60), ("vlm-tensorrt", 150))
CUDA_PARTS = ("onnx-cuda", "train-small", "train-largest", "vlm-cuda")  # the exit code needs these
BUDGET_S = 450.0  # the whole check, the probe included: under 8 minutes with start-up and one last kill
MIN_PART_S = 10.0  # a part is not started with less than this left
PROBE_S = 60.0  # the torch / ONNX Runtime probe, out of the same budget


def add_arguments(p) -> None:
    p.add_argument("--json", default="outputs/gpu-check.json", help="where the check's JSON goes")
    p.add_argument("--work", default="outputs/gpu-check-work",
                   help="exports, TensorRT engine cache and random data (kept: a second run reuses the engines)")
    p.add_argument("--budget-s", type=float, default=BUDGET_S, help="seconds for the whole check (each part also has its own cap)")
    p.add_argument("--gpu-steps", type=int, default=300, help="timed steps of the default policy per provider")
    p.add_argument("--vlm-steps", type=int, default=30, help="timed steps of the VLM policy per provider")
    p.add_argument("--train-steps", type=int, default=100, help="timed optimizer steps per training recipe")
    p.add_argument("--skip", action="append", default=[], metavar="PART", help=f"leave a part out; parts: {', '.join(n for n, _ in PARTS)}")


# -- finding the GPU, cheaply ------------------------------------------------------------------
def hidden_by_env(environ) -> str | None:
    """Why the environment hides every GPU from CUDA, or None."""
    value = environ.get("CUDA_VISIBLE_DEVICES")
    if value is not None and value.strip() in ("", "-1"):
        return f"CUDA_VISIBLE_DEVICES={value!r} hides every GPU"
    return None


def parse_nvidia_smi(text: str) -> list[dict]:
    """``nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`` -> one dict a GPU."""
    gpus = []
    for line in text.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or not parts[0]:
            continue
        name, mem, driver = parts
        gpus.append({"name": name, "memory_total_mb": int(mem) if mem.isdigit() else None, "driver": driver})
    return gpus


def nvidia_smi() -> dict:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {"error": "nvidia-smi is not on PATH"}
    try:
        res = subprocess.run([exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"],
                             check=False, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"nvidia-smi: {exc}"}
    gpus = parse_nvidia_smi(res.stdout)
    if res.returncode != 0 or not gpus:
        return {"error": f"nvidia-smi exit {res.returncode}, no GPU listed: {(res.stderr or res.stdout).strip()[:300]}"}
    return {"gpus": gpus}


def onnxruntime_check() -> tuple[dict, str | None]:
    """ONNX Runtime's providers and whether its CUDA libraries load (no torch imported)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return {"error": str(exc)}, f"onnxruntime does not import: {exc}"
    from heron.runtime.onnx_policy import cuda_libraries_present

    providers = ort.get_available_providers()
    info = {"version": ort.__version__, "providers": providers}
    if "CUDAExecutionProvider" not in providers:
        return info, f"onnxruntime {ort.__version__} has no CUDAExecutionProvider (providers {providers}; install onnxruntime-gpu)"
    info["cuda_libraries"] = cuda_libraries_present()
    if not info["cuda_libraries"]:
        return info, "onnxruntime lists CUDAExecutionProvider, but the CUDA libraries (libcublasLt) do not load: it would run on the CPU"
    return info, None


def detect(environ=os.environ) -> dict:
    """Cheap checks, cheapest first; ``gpu`` is None when they cannot tell (driver files but no nvidia-smi:
    the torch probe decides). ``reasons`` holds every check that said no."""
    checks: dict = {"CUDA_VISIBLE_DEVICES": environ.get("CUDA_VISIBLE_DEVICES")}
    reasons = []
    hidden = hidden_by_env(environ)
    if hidden:
        reasons.append(hidden)
    checks["proc_driver_nvidia"] = Path("/proc/driver/nvidia").is_dir()
    checks["dev_nvidia"] = sorted(glob.glob("/dev/nvidia[0-9]*"))
    if not checks["proc_driver_nvidia"] and not checks["dev_nvidia"]:
        reasons.append("no NVIDIA driver: no /proc/driver/nvidia, no /dev/nvidia[0-9]*")
    checks["nvidia_smi"] = nvidia_smi()
    if "error" in checks["nvidia_smi"]:
        reasons.append(checks["nvidia_smi"]["error"])
    checks["onnxruntime"], why = onnxruntime_check()
    if why:
        reasons.append(why)
    if hidden or (not checks["proc_driver_nvidia"] and not checks["dev_nvidia"] and "gpus" not in checks["nvidia_smi"]):
        gpu = False
    else:
        gpu = True if "gpus" in checks["nvidia_smi"] else None
    return {"gpu": gpu, "reasons": reasons, "checks": checks}


# -- running the parts -------------------------------------------------------------------------
def part_timeout(own_s: float, deadline: float, now: float) -> float | None:
    """A part's time limit: its own budget, cut to what is left of the check's; None when too little is left."""
    left = deadline - now
    return None if left < MIN_PART_S else min(float(own_s), left)


class MemorySampler(threading.Thread):
    """Peak device memory in use (nvidia-smi, every process on GPU 0), overall and since the last ``take()``."""

    def __init__(self, every_s: float = 0.5):
        super().__init__(daemon=True)
        self.exe, self.every_s = shutil.which("nvidia-smi"), every_s
        self.peak = self.part_peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while self.exe and not self.stop.is_set():
            try:
                out = subprocess.run([self.exe, "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                                     check=False, capture_output=True, text=True, timeout=5).stdout.strip()
                mb = int(out.splitlines()[0]) if out else 0
            except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
                mb = 0
            self.peak, self.part_peak = max(self.peak, mb), max(self.part_peak, mb)
            self.stop.wait(self.every_s)

    def take(self) -> int | None:
        peak, self.part_peak = self.part_peak, 0
        return peak if self.exe else None


def run_child(name: str, work: Path, settings: dict, timeout_s: float) -> dict:
    """One part in a child process of its own session, killed with its children at ``timeout_s``."""
    out, log = work / "parts" / f"{name}.json", work / "parts" / f"{name}.log"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "heron.bench.gpu_parts", name, "--work", str(work), "--out", str(out),
           "--settings", json.dumps(settings)]
    t = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"error": f"timed out after {timeout_s:.0f} s (its budget); log {log}", "wall_s": round(time.perf_counter() - t, 1)}
    if out.is_file():
        result = json.loads(out.read_text())
    else:
        tail = log.read_text()[-600:].strip()
        result = {"error": f"exit code {rc} without a result: {tail}"}
    if "error" in result:
        result["log"] = str(log)
    return result


def run_parts(work: Path, settings: dict, deadline: float, skip: list[str]) -> dict:
    """Every part in order, each cut to what is left before ``deadline`` (``time.perf_counter()``)."""
    parts: dict = {}
    sampler = MemorySampler()
    sampler.start()
    try:
        for name, own in PARTS:
            if name in skip:
                parts[name] = {"skipped": "--skip"}
                continue
            limit = part_timeout(own, deadline, time.perf_counter())
            if limit is None:
                parts[name] = {"error": "not started: the check's time budget was spent (--budget-s)"}
                continue
            print(f"heron bench gpu: {name} (at most {limit:.0f} s)", file=sys.stderr, flush=True)
            parts[name] = run_child(name, work, settings, limit) | {"budget_s": round(limit)}
            parts[name]["gpu_memory_peak_mb"] = sampler.take()
    finally:
        sampler.stop.set()
    parts["_peak_mb"] = sampler.peak if sampler.exe else None
    return parts


# -- the report --------------------------------------------------------------------------------
def summarize(parts: dict) -> dict:
    """The headline figures, each from its part (None where that part failed)."""
    def fig(part, *keys):
        v = parts.get(part, {})
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        return v

    out: dict = {}
    for model, targets in (("onnx", ("cpu", "cuda", "tensorrt")), ("vlm", ("cuda", "tensorrt"))):
        for stat in ("p50_ms", "p99_ms"):
            out[f"{model}_step_{stat}"] = {t: fig(f"{model}-{t}", "step", stat) for t in targets}
    cpu = out["onnx_step_p50_ms"]["cpu"]
    out["speedup_p50_over_cpu"] = {t: round(cpu / v, 2) if cpu and v else None
                                   for t, v in out["onnx_step_p50_ms"].items() if t != "cpu"}
    out["train_samples_per_s"] = {p: fig(f"train-{p}", "samples_per_s") for p in ("small", "largest")}
    torch_peaks = [fig(p, "torch_max_memory_allocated_mb") for p in ("train-small", "train-largest")]
    out["peak_gpu_memory_mb"] = {"nvidia_smi_used": parts.get("_peak_mb"),
                                 "torch_max_allocated": max([v for v in torch_peaks if v is not None], default=None)}
    return out


def exit_code(result: dict) -> int:
    """0 without a GPU, or with one when every CUDA part ran; 1 when a GPU was found and a CUDA part failed."""
    return 0 if not result.get("gpu") or result.get("ok") else 1


def check(json_path: str, work: str, budget_s: float = BUDGET_S, settings: dict | None = None, skip=()) -> dict:
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    result = detect()
    work_dir = Path(work).resolve()
    if result["gpu"] is not False:
        result["probe"] = run_child("probe", work_dir, {}, min(PROBE_S, budget_s))
        if result["gpu"] is None:
            result["gpu"] = bool(result["probe"].get("torch_sees_gpu"))
            if not result["gpu"]:
                result["reasons"].append(f"torch sees no GPU: {result['probe'].get('error') or 'torch.cuda.is_available() is False'}")
    smi = result["checks"]["nvidia_smi"].get("gpus") or [{}]
    result["device"] = smi[0].get("name") or result.get("probe", {}).get("device_name")
    if not result["gpu"]:
        result["message"] = "no GPU found: " + "; ".join(result["reasons"])
    else:
        parts = run_parts(work_dir, dict(settings or {}, device="cuda"), deadline, list(skip))
        result["summary"] = summarize(parts)
        parts.pop("_peak_mb", None)
        result["parts"] = parts
        result["failed_cuda_parts"] = [p for p in CUDA_PARTS if "error" in parts.get(p, {})]
        result["ok"] = not result["failed_cuda_parts"]
    result["wall_s"], result["budget_s"] = round(time.perf_counter() - t0, 1), budget_s
    result["json"] = str(json_path)
    Path(json_path).parent.mkdir(parents=True, exist_ok=True)
    Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
    if not result["gpu"]:
        print(f"heron bench gpu: {result['message']} (exit 0; {json_path})", file=sys.stderr)
    return result


def run(args) -> dict:
    unknown = [s for s in args.skip if s not in dict(PARTS)]
    if unknown:
        raise ValueError(f"--skip {unknown[0]}: unknown part; parts: {', '.join(n for n, _ in PARTS)}")
    settings = {"steps": args.gpu_steps, "vlm_steps": args.vlm_steps, "train_steps": args.train_steps}
    return check(args.json, args.work, args.budget_s, settings, args.skip)
