"""``load_policy``: a policy folder (or ``default``) and a runtime name -> a Policy."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from heron.policies import checkpoint  # torch-free: it imports torch only when loading weights
from heron.registry import unknown_name_message

log = logging.getLogger(__name__)
RUNTIMES = ("onnx", "torch")
DEFAULT_POLICY_DIR = checkpoint.DEFAULT_DIR


def resolve_policy_dir(name_or_dir) -> Path:
    path = checkpoint.resolve_policy_dir(name_or_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"policy folder not found: {path}")
    return path


def cache_root() -> Path:
    return Path(os.environ.get("HERON_CACHE", Path.home() / ".cache" / "heron"))


def export_key(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "stats.json"):
        f = folder / name
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def onnx_dir_for(folder: Path) -> Path:
    """An ONNX export folder for ``folder``: itself if it is one, else a cached export made once."""
    if (folder / "spec.json").is_file():
        return folder
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} is neither a policy folder (config.json) nor an ONNX export (spec.json)")
    out = cache_root() / "onnx" / export_key(folder)
    if not (out / "spec.json").is_file():
        log.warning("no ONNX export of %s yet: exporting once to %s (needs torch; later runs start from the cache)", folder, out)
        from heron.policies.export import export_policy  # torch is imported only here, once

        export_policy(folder, out)
    return out


def load_policy(name_or_dir, runtime: str = "onnx", providers=None, threads: int | None = None, precision: str = "fp32",
                compile: bool = False, **onnx_options):
    """``onnx_options``: OnnxPolicy's GPU settings (cuda_graph, trt_fp16, trt_cache); ``compile``: torch.compile
    the torch runtime's model."""
    if runtime not in RUNTIMES:
        raise ValueError(unknown_name_message("runtime", runtime, RUNTIMES))
    from heron.runtime.plugin import is_plugin, load_plugin

    if is_plugin(name_or_dir):  # py:package.module:factory, your own Policy object
        return load_plugin(name_or_dir)
    from heron.runtime.lerobot_policy import is_lerobot, load_lerobot

    if is_lerobot(name_or_dir):  # lerobot:PATH, a LeRobot policy folder run by LeRobot in its own Python
        return load_lerobot(name_or_dir, threads=threads)
    folder = resolve_policy_dir(name_or_dir)
    if runtime == "torch":
        from heron.runtime.torch_policy import TorchPolicy

        if not (folder / "config.json").is_file():
            raise FileNotFoundError(f"{folder}: config.json is missing; the torch runtime needs a policy folder, not an ONNX export")
        return TorchPolicy(folder, threads=threads, compile=compile)
    from heron.runtime.onnx_policy import OnnxPolicy

    return OnnxPolicy(onnx_dir_for(folder), providers=providers, threads=threads, precision=precision, **onnx_options)
