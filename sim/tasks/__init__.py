"""Task families: one file each, registered by name in ``TASKS``.

    from sim.tasks import TASKS, sample_instruction, parse_instruction
    TASKS.names()  # ['pick', 'place', 'push', 'stack', 'touch', 'zone']
"""

from sim.tasks.registry import TASKS, register_task
from sim.tasks.base import ARG_VALUES, Task
from sim.tasks.language import fill_template, parse_instruction, sample_instruction
from sim.tasks import pick, place, push, stack, touch, zone  # noqa: F401  (registers the families)

__all__ = ["TASKS", "register_task", "Task", "ARG_VALUES", "sample_instruction", "parse_instruction", "fill_template"]
