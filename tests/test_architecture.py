"""The house: one package, calls pointing down, light imports, configs shipped as package data.

Layers, bottom first (a folder may import only folders of lower layers; a static scan of every import,
lazy ones inside functions included):

    0  configs, registry, configtools,      shared plumbing, no heron above them
       parallel
    1  envs, policies                       scene -> observation; the model (arrays in, arrays out)
    2  data                                 the dataset format (may use the policy schema)
    3  training, runtime                    behaviour cloning; policy runtimes, loop, safety, backends
    4  viz                                  videos, viewer
    5  language                             commands -> plans, chat
    6  evaluation                           suites, runner, reports
    7  collection                           experts, DAgger (uses evaluation's chain sampler)
    8  ros, bench                           ROS 2 nodes; benchmarks (bench may use ros)
    9  cli, __init__, __main__              the `heron` command and the public API
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import heron
from heron.configs import CONFIG_DIR

SRC = Path(heron.__file__).resolve().parent
LAYERS = {
    "configs": 0, "registry": 0, "configtools": 0, "parallel": 0,
    "envs": 1, "policies": 1,
    "data": 2,
    "training": 3, "runtime": 3,
    "viz": 4, "language": 5, "evaluation": 6, "collection": 7,
    "ros": 8, "bench": 8,
    "cli": 9, "__init__": 9, "__main__": 9,
}
SAME_LAYER_OK = {("bench", "ros"), ("configtools", "configs"), ("__main__", "cli")}  # bench drives the ROS nodes

HEAVY = ["torch", "onnxruntime", "pybullet", "rclpy", "mujoco", "metaworld", "transformers"]
FORBIDDEN = {
    "heron": HEAVY,
    "heron.policies": HEAVY,
    "heron.envs": ["torch", "onnxruntime", "pybullet", "rclpy", "mujoco", "metaworld", "heron.policies", "heron.runtime", "heron.ros"],
    "heron.data": ["torch", "pybullet", "rclpy", "mujoco", "heron.envs", "heron.runtime", "heron.ros"],
    "heron.runtime": ["torch", "onnxruntime", "pybullet", "rclpy", "mujoco", "heron.ros", "heron.cli", "heron.evaluation"],
    "heron.runtime.onnx_policy": ["torch", "transformers", "rclpy", "pybullet", "mujoco"],
    "heron.language": ["torch", "pybullet", "rclpy", "onnxruntime"],
    "heron.cli.main": ["torch", "pybullet", "rclpy", "transformers", "onnxruntime", "mujoco"],
}


def folder_imports() -> dict[tuple[str, str], list[str]]:
    """(importing folder, imported folder) -> the places, for every ``heron.X`` import in the package."""
    edges: dict[tuple[str, str], list[str]] = {}
    for f in SRC.rglob("*.py"):
        rel = f.relative_to(SRC).parts
        src = rel[0][:-3] if len(rel) == 1 else rel[0]
        for node in ast.walk(ast.parse(f.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + ([f"heron.{a.name}" for a in node.names] if node.module == "heron" else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "heron" and len(parts) > 1 and parts[1] in LAYERS and parts[1] != src:
                    edges.setdefault((src, parts[1]), []).append(f"{f.relative_to(SRC)}:{node.lineno}")
    return edges


def test_every_folder_has_a_layer():
    folders = {p.name[:-3] if p.suffix == ".py" else p.name for p in SRC.iterdir()
               if (p.suffix == ".py" or (p / "__init__.py").is_file())}
    assert folders == set(LAYERS), f"folders without a layer: {folders - set(LAYERS)}; stale: {set(LAYERS) - folders}"


def test_calls_point_down():
    wrong = {f"{a} -> {b}": places for (a, b), places in folder_imports().items()
             if LAYERS[b] > LAYERS[a] or (LAYERS[b] == LAYERS[a] and (a, b) not in SAME_LAYER_OK)}
    assert not wrong, f"imports that point up or sideways: {wrong}"


def test_no_folder_imports_another_in_a_circle():
    edges = folder_imports()
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in graph.get(start, ()))

    circles = sorted(f"{a} <-> {b}" for a, b in edges if reaches(b, a))
    assert not circles, circles


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_import_does_not_pull_in(module):
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    loaded = set(out) | {m.split(".")[0] for m in out}
    leaked = [m for m in FORBIDDEN[module] if m in loaded]
    assert not leaked, f"importing {module} imported {leaked}"


def test_only_heron_is_importable_from_the_source_tree():
    top = sorted(p.name for p in SRC.parent.iterdir() if p.is_dir() and not p.name.endswith(".egg-info") and p.name != "__pycache__")
    assert top == ["heron"], top


def test_no_file_over_600_lines():
    long = {str(f.relative_to(SRC)): n for f in SRC.rglob("*.py") if (n := len(f.read_text().splitlines())) > 600}
    assert not long, long


def test_schema_names_agree():
    import heron.envs.tabletop.spaces as b
    import heron.policies.schema as a

    for name in ("RGB_FRONT", "RGB_WRIST", "PROPRIO", "INSTRUCTION", "PROPRIO_DIM", "ACTION_DIM", "MAX_INSTRUCTION_CHARS"):
        assert getattr(a, name) == getattr(b, name), name


def test_cli_help_is_fast_and_lists_every_command():
    import time

    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "heron", "--help"], capture_output=True, text=True, check=True).stdout
    assert time.perf_counter() - t < 5.0  # generous for a loaded CI machine; ~0.3 s when idle
    for cmd in ("collect", "train", "eval", "export", "run", "chat", "bench"):
        assert cmd in out


def test_each_bench_target_shows_only_its_own_options():
    latency = subprocess.run([sys.executable, "-m", "heron", "bench", "latency", "--help"], capture_output=True, text=True,
                             check=True).stdout
    assert "--providers" in latency and "--cuda-graph" in latency
    for other in ("--eval-every-min", "--expert-episodes", "--size", "--soak"):
        assert other not in latency, other


def test_every_yaml_in_the_shipped_configs_parses():
    import yaml

    files = sorted(CONFIG_DIR.rglob("*.yaml"))
    assert len(files) > 20
    for f in files:
        assert isinstance(yaml.safe_load(f.read_text()), dict), f


def test_a_config_path_resolves_to_the_shipped_copy_from_any_folder(tmp_path, monkeypatch):
    from heron.configs import resolve

    monkeypatch.chdir(tmp_path)
    assert resolve("configs/train/tiny.yaml") == CONFIG_DIR / "train" / "tiny.yaml"
    (tmp_path / "configs" / "train").mkdir(parents=True)
    (tmp_path / "configs" / "train" / "tiny.yaml").write_text("steps: 1\n")
    assert resolve("configs/train/tiny.yaml").resolve() == (tmp_path / "configs" / "train" / "tiny.yaml").resolve()
    with pytest.raises(FileNotFoundError, match="configs/train/nope.yaml"):
        resolve("configs/train/nope.yaml")
