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

ASSET_VERSION = 3
DECIMATE_CELL = 0.03  # m: vertex-clustering grid for the visual meshes
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
    out.parent.mkdir(parents=True, exist_ok=True)
    text = (data / "panda.urdf").read_text()
    # collision meshes keep their files; visual meshes become decimated copies of them
    text = text.replace("package://meshes/collision/", f"{(data / 'meshes' / 'collision').as_posix()}/")
    mesh_dir = out.parent / f"panda_lowpoly_{key}"
    mesh_dir.mkdir(exist_ok=True)

    def visual(match: re.Match) -> str:
        name = Path(match.group(1)).stem
        dst = mesh_dir / f"{name}.obj"
        if not dst.exists():
            decimate_obj(data / "meshes" / "collision" / f"{name}.obj", dst, DECIMATE_CELL)
        return f'<mesh filename="{dst.as_posix()}"/>'

    text = re.sub(r"(<visual>.*?</visual>)", lambda m: re.sub(r'<mesh filename="([^"]+)"/>', visual, m.group(1)), text, flags=re.S)
    text = _recolor(text)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)
    return str(out)


def decimate_obj(src: Path, dst: Path, cell: float) -> None:
    """Vertex-clustering simplification of a triangle OBJ: vertices within one grid cell merge."""
    import numpy as np

    verts, faces = [], []
    for line in Path(src).read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(v) for v in line.split()[1:4]])
        elif line.startswith("f "):
            idx = [int(tok.split("/")[0]) - 1 for tok in line.split()[1:]]
            faces += [(idx[0], idx[i], idx[i + 1]) for i in range(1, len(idx) - 1)]
    v = np.asarray(verts)
    _, cluster = np.unique(np.floor(v / cell).astype(np.int64), axis=0, return_inverse=True)
    cluster = cluster.reshape(-1)
    n = cluster.max() + 1
    centers = np.zeros((n, 3))
    np.add.at(centers, cluster, v)
    centers /= np.bincount(cluster, minlength=n)[:, None]
    kept, seen = [], set()
    for f in faces:
        a, b, c = (int(cluster[i]) for i in f)
        key = tuple(sorted((a, b, c)))
        if a != b and b != c and a != c and key not in seen:
            seen.add(key)
            kept.append((a, b, c))
    lines = [f"v {x:.5f} {y:.5f} {z:.5f}" for x, y, z in centers]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in kept]
    tmp = Path(dst).with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, dst)


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
