"""The task registry: ``@register_task("stack")`` returns the class; unknown names get a did-you-mean."""

from __future__ import annotations

import difflib
from typing import Callable, TypeVar

T = TypeVar("T")


def unknown_name_message(kind: str, name, known) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}; known: {', '.join(known)}.{hint}"


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, type] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(cls: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            cls.name = name
            self._items[name] = cls
            return cls

        return decorate

    def get(self, name: str):
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise ValueError(unknown_name_message(self.kind, name, self._items)) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name) -> bool:
        return name in self._items

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


TASKS = Registry("task")


def register_task(name: str):
    return TASKS.register(name)
