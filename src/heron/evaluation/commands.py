"""``heron eval --suite commands``: the interpreter's replies on a suite of plain-language commands, and
end-to-end success of the multi-step ones with the policy, from the person's command.

Suite lines (``configs/eval/commands.jsonl``, written by ``heron/evaluation/commands_make.py``)::

    {"id", "command", "seed", "category", "expect": "plan"|"question"|"refusal"|"stop"|"answer",
     "steps": [{"task", "args"}]}

Plan accuracy: the steps (families and arguments, in order) equal the expected ones. Any other reply
is correct when it is the expected kind; nothing is commanded for it (the count of steps planned for
those is reported, and must be 0). End to end: a seeded sample of the 2-3 step commands runs on its
seed's scene, every step to its own success predicate; a failed step ends it. It runs twice: as heron
runs a command by default (each step's canonical phrasing goes to the policy), and with
``--user-words`` (the person's words for each step go to the policy: the gap between the two is the
policy's own grounding of free wording, which the ``heldout`` suite measures on its own).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from heron.configs import find
from heron.evaluation.stats import rate_summary
from heron.language.results import KINDS

DEFAULT_SUITE = "configs/eval/commands.jsonl"
KEYS = ("id", "command", "seed", "category", "expect", "steps")


def load_commands(path: str | Path) -> list[dict[str, Any]]:
    """The suite's lines; a bad line fails naming the file, the line and the key."""
    path = find(path)
    if not path.is_file():
        raise FileNotFoundError(f"commands suite not found: {path}")
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}: "
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}not valid JSON ({exc.msg} at character {exc.pos + 1})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{where}expected a JSON object with keys {', '.join(KEYS)}")
            missing = [k for k in KEYS if k not in row]
            if missing:
                raise ValueError(f"{where}missing key(s) {', '.join(missing)}; each line needs {', '.join(KEYS)}")
            if row["expect"] not in KINDS:
                raise ValueError(f"{where}expect={row['expect']!r}; allowed: {', '.join(KINDS)}")
            if not isinstance(row["seed"], int) or isinstance(row["seed"], bool) or row["seed"] < 0:
                raise ValueError(f"{where}seed: expected an integer >= 0, got {row['seed']!r}")
            steps = row["steps"]
            if not isinstance(steps, list) or (row["expect"] == "plan") != bool(steps) or not all(
                    isinstance(s, dict) and isinstance(s.get("task"), str) and isinstance(s.get("args"), dict) for s in steps):
                raise ValueError(f"{where}steps: a plan needs a non-empty list of {{'task', 'args'}}; "
                                 f"any other reply an empty one")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no commands")
    return rows


def plan_records(rows: list[dict], interpreter, backend) -> list[dict[str, Any]]:
    """Interpret every command against its seed's scene; one record per command."""
    from heron.language.plan_runner import canonical_scene

    scenes: dict[int, Any] = {}
    out = []
    for row in rows:
        if row["seed"] not in scenes:
            scenes[row["seed"]] = canonical_scene(backend, row["seed"])
        reply = interpreter.interpret(row["command"], scenes[row["seed"]])
        got = [{"task": s.task, "args": dict(s.args)} for s in getattr(reply, "steps", ())]
        correct = reply.kind == row["expect"] and (row["expect"] != "plan" or got == row["steps"])
        out.append({"id": row["id"], "category": row["category"], "expect": row["expect"], "kind": reply.kind,
                    "correct": correct, "steps": got, "text": getattr(reply, "text", None),
                    "embedding_steps": sum(1 for s in getattr(reply, "steps", ()) if s.source == "embedding"),
                    "reply": reply})
    return out


def end_to_end(rows: list[dict], records: list[dict], policy_name: str, *, runtime: str = "onnx",
               canonical: bool = False, progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Run each sampled command's interpreted plan with the policy on its seed's scene."""
    from heron.language.plan_runner import canonical_scene, run_plan
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.loop import LoopConfig

    policy = _load(policy_name, runtime)
    size = int(getattr(policy, "image_size", None) or 96) if policy is not None else 96
    out = []
    with SimBackend(image_size=size) as backend:
        if policy is None:
            from heron.runtime.simple import ExpertPolicy

            policy = ExpertPolicy(backend)
        config = LoopConfig(rate_hz=1.0 / backend.period)
        for row, rec in zip(rows, records):
            t0 = time.perf_counter()
            canonical_scene(backend, row["seed"])
            reply = rec["reply"]
            if reply.kind != "plan":
                out.append({"id": row["id"], "success": False, "steps_done": 0, "plan_correct": False})
                continue
            outcomes = run_plan(policy, backend, reply, canonical=canonical, config=config, log=lambda s: None)
            done = sum(1 for o in outcomes if o.success)
            out.append({"id": row["id"], "success": done == len(outcomes) and rec["correct"],
                        "steps_done": done, "num_steps": len(outcomes), "plan_correct": rec["correct"],
                        "control_steps": sum(o.steps for o in outcomes), "wall_s": round(time.perf_counter() - t0, 2),
                        "instructions": [o.instruction for o in outcomes]})
            if progress:
                progress(out[-1])
    return out


def _load(name: str, runtime: str):
    if name == "oracle":
        return None
    from heron.runtime import load_policy

    return load_policy(name, runtime=runtime, threads=1)


def evaluate_commands(policy: str, suite: str | Path = DEFAULT_SUITE, *, e2e: int = 40, seed: int = 0,
                      runtime: str = "onnx", interpreter=None, json_path: str | Path | None = None,
                      progress: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Plan accuracy on every command; end-to-end success on ``e2e`` sampled 2-3 step commands (0: none)."""
    from heron.language import make_interpreter
    from heron.runtime.backends.sim_backend import SimBackend

    t0 = time.perf_counter()
    rows = load_commands(suite)
    interpreter = interpreter or make_interpreter("minilm")
    with SimBackend(image_size=32) as backend:
        records = plan_records(rows, interpreter, backend)
    result: dict[str, Any] = {"config": {"policy": policy, "suite": str(suite), "commands": len(rows), "e2e": e2e,
                                         "seed": seed, "runtime": runtime}}
    result["plans"] = _plan_summary(records)
    multi = [i for i, r in enumerate(rows) if r["expect"] == "plan" and 2 <= len(r["steps"]) <= 3]
    pick = sorted(np.random.default_rng(seed).permutation(len(multi))[:e2e].tolist()) if e2e else []
    chosen = [multi[i] for i in pick]
    if chosen:
        sub_rows, sub_recs = [rows[i] for i in chosen], [records[i] for i in chosen]
        for label, canon in (("canonical", True), ("user_words", False)):
            runs = end_to_end(sub_rows, sub_recs, policy, runtime=runtime, canonical=canon, progress=progress)
            result[f"e2e_{label}"] = {**rate_summary(sum(r["success"] for r in runs), len(runs)),
                                      "steps": rate_summary(sum(r["steps_done"] for r in runs),
                                                            sum(r.get("num_steps", 0) for r in runs)),
                                      "runs": runs}
    result["records"] = [{k: v for k, v in r.items() if k != "reply"} for r in records]
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    if json_path:
        _write_json(result, Path(json_path))
    return result


def _plan_summary(records: list[dict]) -> dict[str, Any]:
    plans = [r for r in records if r["expect"] == "plan"]
    others = [r for r in records if r["expect"] != "plan"]
    by_cat: dict[str, list[dict]] = {}
    for r in records:
        by_cat.setdefault(r["category"], []).append(r)
    return {
        "plan_accuracy": rate_summary(sum(r["correct"] for r in plans), len(plans)),
        "questions_refusals_correct": rate_summary(sum(r["correct"] for r in others), len(others)),
        "steps_commanded_for_questions_refusals": sum(len(r["steps"]) for r in others),
        "by_category": {c: rate_summary(sum(r["correct"] for r in rs), len(rs)) for c, rs in sorted(by_cat.items())},
        "embedding_steps": sum(r["embedding_steps"] for r in records),
        "wrong": [{"id": r["id"], "expect": r["expect"], "kind": r["kind"], "steps": r["steps"], "text": r["text"]}
                  for r in records if not r["correct"]],
    }


def _write_json(result: dict, path: Path) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    os.replace(tmp, path)


def markdown(result: dict) -> str:
    p = result["plans"]
    lines = ["| measure | value | 95% CI | n |", "|---|---:|---|---:|"]

    def row(name, s):
        lines.append(f"| {name} | {100 * s['rate']:.1f}% | {100 * s['ci_low']:.1f}-{100 * s['ci_high']:.1f}% | {s['n']} |")

    row("plan accuracy (expected plans)", p["plan_accuracy"])
    row("questions, refusals, stops and answers correct", p["questions_refusals_correct"])
    for cat, s in p["by_category"].items():
        row(f"  {cat}", s)
    for label, words in (("canonical", "the person's command, canonical phrasing to the policy (default)"),
                         ("user_words", "the person's command, their words to the policy (--user-words)")):
        if f"e2e_{label}" in result:
            row(f"end to end, 2-3 steps, {words}", result[f"e2e_{label}"])
            row("  plan steps completed", result[f"e2e_{label}"]["steps"])
    lines.append(f"\nsteps planned for questions, refusals, stops and answers: "
                 f"{p['steps_commanded_for_questions_refusals']}")
    return "\n".join(lines)


def run_cli(args) -> int:
    """The ``heron eval --suite commands`` entry: ``--episodes`` is the end-to-end sample size."""
    suite = DEFAULT_SUITE if args.suite == "commands" else args.suite
    result = evaluate_commands(args.policy, suite, e2e=args.episodes, seed=0, runtime=args.runtime, json_path=args.json_path)
    print(markdown(result))
    for w in result["plans"]["wrong"][:20]:
        print(f"  wrong: {w['id']}: expected {w['expect']}, got {w['kind']} {w['steps'] or w['text']}")
    print(f"{result['config']['commands']} commands in {result['wall_s']:.1f} s")
    return 0
