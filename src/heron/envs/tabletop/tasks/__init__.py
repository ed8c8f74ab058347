"""Task families: one file each, registered by name in ``TASKS``.

    from heron.envs.tabletop.tasks import TASKS, sample_instruction, parse_instruction
    TASKS.names()  # ['pick', 'place', 'push', 'stack', 'touch', 'zone']
"""

from heron.envs.tabletop.tasks import pick, place, push, stack, touch, zone  # noqa: F401  (registers the families)
from heron.envs.tabletop.tasks.base import ARG_VALUES, Task
from heron.envs.tabletop.tasks.language import fill_template, parse_instruction, sample_instruction
from heron.envs.tabletop.tasks.registry import TASKS, register_task

__all__ = ["TASKS", "register_task", "Task", "ARG_VALUES", "sample_instruction", "parse_instruction", "fill_template"]
