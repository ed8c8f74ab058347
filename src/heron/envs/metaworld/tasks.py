"""The 50 MT50 tasks: LeRobot's instruction strings, difficulty groups and scripted-expert classes.

Read from ``mt50.json`` (package data, copied verbatim from LeRobot's ``metaworld_config.json``), so the
benchmark's instructions are exactly the ones the published rows were evaluated with. No metaworld import.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from heron.registry import unknown_name_message

GROUPS = ("easy", "medium", "hard", "very_hard")
NAMESPACE = "metaworld/"


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads((Path(__file__).with_name("mt50.json")).read_text())


def task_names() -> list[str]:
    """The 50 task names, e.g. ``reach-v3``."""
    return sorted(_table()["instructions"])


def instruction(task: str) -> str:
    return _table()["instructions"][check_task(task)]


def expert_class(task: str) -> str:
    return _table()["experts"][check_task(task)]


def group_of(task: str) -> str:
    task = check_task(task)
    return next(g for g in GROUPS if task in _table()["groups"][g])


def group_tasks(group: str) -> list[str]:
    if group not in GROUPS:
        raise ValueError(unknown_name_message("Meta-World difficulty group", group, GROUPS))
    return list(_table()["groups"][group])


def check_task(task: str) -> str:
    """``reach``, ``reach-v3`` or ``metaworld/reach-v3`` -> ``reach-v3``; unknown names get a "did you mean"."""
    name = task[len(NAMESPACE):] if task.startswith(NAMESPACE) else task
    if not name.endswith("-v3"):
        name += "-v3"
    if name not in _table()["instructions"]:
        raise ValueError(unknown_name_message("Meta-World task", task, task_names()))
    return name


def parse_tasks(text: str) -> list[str]:
    """``mt50`` / ``all``, a group (``easy``, ``very_hard``) or a comma list of task names -> task names."""
    out: list[str] = []
    for part in [p.strip() for p in str(text).split(",") if p.strip()]:
        if part in ("mt50", "all"):
            out += task_names()
        elif part in GROUPS:
            out += group_tasks(part)
        else:
            out.append(check_task(part))
    if not out:
        raise ValueError(f"no Meta-World tasks in {text!r}: give mt50, a group ({', '.join(GROUPS)}) or task names")
    return list(dict.fromkeys(out))
