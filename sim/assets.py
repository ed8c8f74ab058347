"""Low-poly robot assets, generated once into a cache folder.

The stock Panda's visual meshes (1-2 MB OBJ per link) make the CPU TinyRenderer ~10x slower. We write
a copy of its URDF whose visual meshes are its collision meshes (a few hundred triangles per link),
with colors that keep the parts apart: arm white, joints light grey, hand and fingers dark.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

ASSET_VERSION = 1
_LINK_COLORS = {
    "panda_link0": "0.75 0.75 0.78 1",
    "panda_link1": "0.95 0.95 0.95 1",
    "panda_link2": "0.95 0.95 0.95 1",
    "panda_link3": "0.95 0.95 0.95 1",
    "panda_link4": "0.95 0.95 0.95 1",
    "panda_link5": "0.95 0.95 0.95 1",
    "panda_link6": "0.80 0.80 0.82 1",
    "panda_link7": "0.35 0.35 0.38 1",
    "panda_hand": "0.25 0.25 0.28 1",
    "panda_leftfinger": "0.12 0.12 0.12 1",
    "panda_rightfinger": "0.12 0.12 0.12 1",
}


def cache_dir() -> Path:
    """``$HERON_CACHE`` or ``~/.cache/heron``."""
    root = os.environ.get("HERON_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "heron")
    return Path(root)


def lowpoly_panda_urdf() -> str:
    """Path of the low-poly Panda URDF, written on first use (atomically: workers may race)."""
    import pybullet_data

    data = Path(pybullet_data.getDataPath()) / "franka_panda"
    key = hashlib.sha1(f"{ASSET_VERSION}:{data}".encode()).hexdigest()[:10]
    out = cache_dir() / "meshes" / f"panda_lowpoly_{key}.urdf"
    if out.exists():
        return str(out)
    text = (data / "panda.urdf").read_text()
    text = text.replace("package://meshes/visual/", "package://meshes/collision/")
    text = text.replace("package://meshes/", f"{data.as_posix()}/meshes/")
    text = _recolor(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)
    return str(out)


def _recolor(urdf: str) -> str:
    """Give each link's visual its own inline color (the stock file names one white material)."""

    def visual(match: re.Match) -> str:
        block = match.group(0)
        return re.sub(r"<material name=\"[^\"]*\"\s*/>|<material name=\"[^\"]*\">.*?</material>", "", block, flags=re.S)

    parts = re.split(r"(<link name=\"[^\"]+\">.*?</link>)", urdf, flags=re.S)
    out = []
    for part in parts:
        m = re.match(r"<link name=\"([^\"]+)\">", part)
        if m and m.group(1) in _LINK_COLORS:
            color = _LINK_COLORS[m.group(1)]
            part = re.sub(r"<visual>.*?</visual>", visual, part, flags=re.S)
            part = part.replace(
                "</visual>", f'  <material name="{m.group(1)}_color"><color rgba="{color}"/></material>\n    </visual>'
            )
        out.append(part)
    return "".join(out)
