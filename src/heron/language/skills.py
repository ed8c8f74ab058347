"""The skill grammar the robot has: the task families of ``heron/envs/tabletop/tasks`` with their arguments.

Plain Python (``heron.envs.tabletop.tasks`` imports no PyBullet). Every step a planner proposes is checked here, so
a plan can only name families and arguments that the simulator and the policy were built for.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _tasks():
    from heron.envs.tabletop.tasks import TASKS, fill_template

    return TASKS, fill_template


def families() -> list[str]:
    return list(_tasks()[0].names())


def arg_keys(task: str) -> tuple[str, ...]:
    return tuple(_tasks()[0].get(task).arg_keys)


def validate_step(task: str, args: dict) -> dict[str, str]:
    """The args as the task family accepts them; ValueError naming the family and key otherwise."""
    return _tasks()[0].get(task).validate_args(dict(args))


def canonical(task: str, args: dict) -> str:
    """The first training phrasing of ``task`` with ``args`` (what ``--canonical`` gives the policy)."""
    tasks, fill = _tasks()
    return fill(tasks.get(task).templates["train"][0], args)


def templates(task: str, split: str = "train") -> tuple[str, ...]:
    return tuple(_tasks()[0].get(task).templates[split])


def fill(template: str, args: dict) -> str:
    return _tasks()[1](template, args)
