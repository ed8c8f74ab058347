"""Evaluation suites: which tasks, arguments, instructions and template splits the episodes use.

Built-in suites: ``seen`` (training templates), ``heldout`` (held-out templates), ``chains``
(5-instruction chains, CALVIN style; ``advance: done`` moves on when the policy's ``done`` fires
instead of when the simulator sees success) and ``robust`` (``seen`` under one perturbation axis at a
time, see ``heron/evaluation/robust.py``). A YAML file (see ``configs/eval/``) or a JSONL instructions
file gives a custom list. ``plan_episodes`` turns a suite into one ``EpisodeSpec`` per episode:
episode ``i`` gets seed ``base + i`` and entry ``i % len(entries)`` (families round-robin).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from heron.configs import find
from heron.configtools import ConfigError, from_dict, load_yaml
from heron.registry import unknown_name_message

SPLITS = ("train", "heldout")
BUILTIN_SUITES = ("seen", "heldout", "chains", "chains-done", "robust")
ADVANCE = ("success", "done")
CHAIN = "chain"  # the family name under which chain episodes are reported


@dataclass
class SuiteEntry:
    """One kind of episode. ``args``/``instruction`` left out are drawn by the task from the seed."""

    task: str
    args: dict[str, Any] | None = None
    instruction: str | None = None
    split: Literal["train", "heldout"] | None = None  # None: the suite's split
    seed: int | None = None  # None: base seed + episode index
    line: int | None = field(default=None, init=False, repr=False)  # instructions-file line

    def __post_init__(self):
        if not isinstance(self.task, str) or not self.task:
            raise ValueError(f"task: expected a task family name, got {self.task!r}")
        if self.args is not None and not isinstance(self.args, dict):
            raise ValueError(f"args: expected a mapping, got {self.args!r}")
        if self.instruction is not None and (not isinstance(self.instruction, str) or not self.instruction.strip()):
            raise ValueError(f"instruction: expected non-empty text, got {self.instruction!r}")
        if self.split is not None and self.split not in SPLITS:
            raise ValueError(f"split: {self.split!r} is not allowed; allowed: {', '.join(SPLITS)}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"seed: expected an integer >= 0, got {self.seed!r}")


@dataclass
class Suite:
    """``type: tasks`` runs single instructions; ``type: chains`` runs chains of ``chain_length``.

    With no ``entries``, a tasks suite has one entry per family in ``tasks`` (all registered
    families when ``tasks`` is empty), and a chains suite draws its subtasks from ``tasks``.
    """

    name: str
    type: Literal["tasks", "chains", "robust"] = "tasks"
    split: Literal["train", "heldout"] = "train"
    tasks: list[str] = field(default_factory=list)
    entries: list[SuiteEntry] = field(default_factory=list)
    chain_length: int = 5
    advance: Literal["success", "done"] = "success"  # chains: next instruction on success, or when done fires
    axes: list[Any] = field(default_factory=list)  # robust: axis names or {name, severity}; empty = all built-in

    def __post_init__(self):
        if self.type not in ("tasks", "chains", "robust"):
            raise ValueError(f"type: {self.type!r} is not allowed; allowed: tasks, chains, robust")
        if self.advance not in ADVANCE:
            raise ValueError(f"advance: {self.advance!r} is not allowed; allowed: {', '.join(ADVANCE)}")
        if self.type == "robust":
            from heron.evaluation.robust import parse_axes

            self.axes = parse_axes(self.axes)
        elif self.axes:
            raise ValueError("axes: only a robust suite (type: robust) has perturbation axes")
        if self.split not in SPLITS:
            raise ValueError(f"split: {self.split!r} is not allowed; allowed: {', '.join(SPLITS)}")
        if not 1 <= self.chain_length <= 10:
            raise ValueError(f"chain_length: {self.chain_length!r} must be between 1 and 10")
        if self.type == "chains" and self.entries:
            raise ValueError("entries: a chains suite draws its own subtasks; list families in 'tasks' instead")


@dataclass
class EpisodeSpec:
    """Everything a worker needs to run one episode, picklable across processes."""

    index: int
    family: str  # task family, or "chain"
    seed: int
    split: str
    task: str | None = None
    args: dict[str, Any] | None = None
    instruction: str | None = None
    families: list[str] | None = None  # the suite's families: chain subtasks and shuffle donors
    chain_length: int = 0
    advance: str = "success"  # chains: "success" (the simulator's predicate) or "done" (the policy's)
    axis: str | None = None  # robust: the perturbation axis (label with severity)
    randomize: dict | None = None  # robust: the env's domain randomisation for this episode
    shuffle_instruction: bool = False  # give the policy an instruction from another task/scene
    line: int | None = None  # line of the instructions file this episode came from

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def builtin_suite(name: str, tasks: list[str] | None = None) -> Suite:
    if name == "seen":
        return Suite(name="seen", split="train", tasks=list(tasks or []))
    if name == "heldout":
        return Suite(name="heldout", split="heldout", tasks=list(tasks or []))
    if name == "chains":
        return Suite(name="chains", type="chains", split="train", tasks=list(tasks or []))
    if name == "chains-done":
        return Suite(name="chains-done", type="chains", split="train", tasks=list(tasks or []), advance="done")
    if name == "robust":
        return Suite(name="robust", type="robust", split="train", tasks=list(tasks or []))
    raise ValueError(unknown_name_message("suite", name, BUILTIN_SUITES) + " A suite may also be a .yaml file.")


def load_suite(name_or_path: str | Path, tasks: list[str] | None = None) -> Suite:
    """A built-in suite by name, or a suite YAML file; ``tasks`` narrows it to those families."""
    text = str(name_or_path)
    if text in BUILTIN_SUITES:
        suite = builtin_suite(text, tasks)
    elif text.endswith((".yaml", ".yml")) or find(text).is_file():
        data = load_yaml(text)
        data.setdefault("name", Path(text).stem)
        try:
            suite = from_dict(Suite, data)
        except (ConfigError, ValueError) as exc:
            raise ValueError(f"suite file {text}: {exc}") from None
        if tasks:
            suite = narrow(suite, tasks)
    else:
        raise ValueError(unknown_name_message("suite", text, BUILTIN_SUITES) + " A suite may also be a .yaml file.")
    return suite


def narrow(suite: Suite, tasks: list[str]) -> Suite:
    """Keep only the families in ``tasks`` (``--tasks``); an empty result is an error."""
    if suite.entries:
        entries = [e for e in suite.entries if e.task in tasks]
        if not entries:
            raise ValueError(f"suite {suite.name!r} has no entries for tasks {', '.join(tasks)}")
        return dataclasses.replace(suite, entries=entries)
    if suite.tasks:
        kept = [t for t in suite.tasks if t in tasks]
        if not kept:
            raise ValueError(f"suite {suite.name!r} lists none of the tasks {', '.join(tasks)}")
        return dataclasses.replace(suite, tasks=kept)
    return dataclasses.replace(suite, tasks=list(tasks))


def check_task_names(names: list[str], known: list[str], where: str = "") -> None:
    """ValueError with the known names and a "did you mean" for the first unknown family."""
    for name in names:
        if name not in known:
            raise ValueError(f"{where}{unknown_name_message('task', name, known)}")


def load_instructions_file(path: str | Path, known_tasks: list[str] | None = None) -> list[SuiteEntry]:
    """JSONL lines ``{"task", "args", "instruction", "seed"}`` -> entries; errors name the line."""
    path = find(path)
    if not path.is_file():
        raise FileNotFoundError(f"instructions file not found: {path}")
    required = ("task", "args", "instruction", "seed")
    allowed = set(required) | {"split"}
    entries = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            where = f"{path}:{lineno}: "
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}not valid JSON ({exc.msg} at character {exc.pos + 1})") from None
            if not isinstance(item, dict):
                raise ValueError(f"{where}expected a JSON object, got {type(item).__name__}")
            missing = [k for k in required if k not in item]
            if missing:
                raise ValueError(f"{where}missing key(s) {', '.join(missing)}; each line needs {', '.join(required)}")
            extra = sorted(set(item) - allowed)
            if extra:
                raise ValueError(f"{where}unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}")
            if known_tasks is not None:
                check_task_names([item["task"]], known_tasks, where)
            try:
                entries.append(SuiteEntry(**item))
            except ValueError as exc:
                raise ValueError(f"{where}{exc}") from None
            entries[-1].line = lineno
    if not entries:
        raise ValueError(f"{path}: no instructions (expected JSON lines with {', '.join(required)})")
    return entries


def plan_episodes(
    suite: Suite, episodes: int, seed: int, known_tasks: list[str], shuffle_instructions: bool = False
) -> list[EpisodeSpec]:
    """One spec per episode: seed ``seed + i`` (unless the entry fixes one), entries round-robin."""
    if episodes < 1:
        raise ValueError(f"episodes: expected >= 1, got {episodes}")
    families = suite.tasks or list(known_tasks)
    check_task_names(families, known_tasks, f"suite {suite.name!r}: ")
    if suite.type == "chains":
        return [
            EpisodeSpec(
                index=i, family=CHAIN, seed=seed + i, split=suite.split,
                families=list(families), chain_length=suite.chain_length,
                shuffle_instruction=shuffle_instructions, advance=suite.advance,
            )
            for i in range(episodes)
        ]
    if suite.type == "robust":  # ``episodes`` per axis, the same scenes on every axis
        specs = []
        for axis in suite.axes:
            for i in range(episodes):
                fam = families[i % len(families)]
                specs.append(EpisodeSpec(
                    index=len(specs), family=fam, seed=seed + i, split=axis.split(suite.split), task=fam,
                    families=list(families), shuffle_instruction=shuffle_instructions,
                    axis=axis.label, randomize=axis.randomize(),
                ))
        return specs
    entries = suite.entries or [SuiteEntry(task=t) for t in families]
    check_task_names([e.task for e in entries], known_tasks, f"suite {suite.name!r}: ")
    specs = []
    for i in range(episodes):
        e = entries[i % len(entries)]
        specs.append(
            EpisodeSpec(
                index=i, family=e.task, seed=e.seed if e.seed is not None else seed + i,
                split=e.split or suite.split, task=e.task, args=e.args, instruction=e.instruction,
                shuffle_instruction=shuffle_instructions, line=e.line,
                families=sorted({x.task for x in entries}),
            )
        )
    return specs
