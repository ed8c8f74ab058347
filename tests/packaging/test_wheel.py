"""A plain wheel install works from any folder and puts only ``heron`` into site-packages.

Builds ``pip wheel . --no-deps``, installs it (not editable) into a fresh venv with its dependencies, then:
- the installed files are ``heron/``, its dist-info and the console scripts: no other top-level name;
- ``heron plan`` and ``heron run`` work from a folder outside the repo (configs and the default policy come
  from the package data).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TORCH = os.environ.get("TORCH", "torch==2.13.0")


def run(cmd, **kw):
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=1200, **kw)
    assert out.returncode == 0, f"{cmd}: exit {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def test_wheel_installs_only_heron_and_runs_outside_the_repo(tmp_path):
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", wheels])
    (wheel,) = wheels.glob("heron-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    run([py, "-m", "pip", "install", "-q", TORCH])
    run([py, "-m", "pip", "install", "-q", wheel])

    work = tmp_path / "elsewhere"  # outside the repo: nothing of the checkout is on sys.path
    work.mkdir()
    record = run([py, "-c", "import importlib.metadata as m; print('\\n'.join(str(f) for f in m.distribution('heron').files))"], cwd=work)
    tops = {line.split("/")[0] for line in record.split() if not line.startswith("..")}
    assert tops == {"heron", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}, tops
    site = Path(run([py, "-c", "import heron, os; print(os.path.dirname(os.path.dirname(heron.__file__)))"], cwd=work).strip())
    assert site.name == "site-packages" and not str(site).startswith(str(ROOT)), site
    for name in ("agent", "policies", "sim", "ros"):
        assert not (site / name).exists(), f"{name} in site-packages"

    bin_ = env_dir / "bin"
    env = {**os.environ, "HERON_CACHE": str(tmp_path / "cache"), "PATH": f"{bin_}:{os.environ['PATH']}"}
    plan = json.loads(run([bin_ / "heron", "plan", "put the red block in the bowl"], cwd=work, env=env).strip().splitlines()[-1])
    assert plan["steps"] and plan["steps"][0]["task"] == "place", plan
    out = run([bin_ / "heron", "run", "--instruction", "put the red block in the bowl", "--seed", "0", "--json", work / "run.json"],
              cwd=work, env=env)
    summary = json.loads((work / "run.json").read_text())
    assert summary["steps"] > 0, out
