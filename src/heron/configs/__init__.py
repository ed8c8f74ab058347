"""The configs heron loads by name, shipped as package data: policy presets, training recipes, eval suites,
randomisation ranges, bag maps and robot profiles.

``resolve("configs/train/small.yaml")`` is that file on disk if it exists (a user's own copy wins), else the
shipped one, so the same path works from a repo checkout and from a plain wheel install in any folder.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
PREFIX = "configs/"


def find(path: str | Path) -> Path:
    """``path`` if it exists, else its shipped copy if there is one, else ``path`` unchanged (the caller's own
    "not found" error then names it)."""
    p = Path(path).expanduser()
    text = p.as_posix()
    if not p.exists() and text.startswith(PREFIX) and (CONFIG_DIR / text[len(PREFIX):]).exists():
        return CONFIG_DIR / text[len(PREFIX):]
    return p


def resolve(path: str | Path) -> Path:
    """A config path as given, or its shipped copy under ``heron/configs``; a missing file names both places."""
    p = Path(path).expanduser()
    if p.exists():
        return p
    text = p.as_posix()
    rel = text[len(PREFIX):] if text.startswith(PREFIX) else None
    if rel is not None and (CONFIG_DIR / rel).exists():
        return CONFIG_DIR / rel
    shipped = f" or the shipped heron/configs/{rel}" if rel is not None else ""
    raise FileNotFoundError(f"config {text!r} not found (looked for {p.resolve()}{shipped}); shipped configs: "
                            f"{', '.join(sorted(PREFIX + q.relative_to(CONFIG_DIR).as_posix() for q in CONFIG_DIR.rglob('*.yaml')))[:400]}")
