"""Optional: a local Hugging Face causal LM folder as the planner, behind the interpreter's interface.

PaLM-E / SayCan style: the LM reads the skill grammar, the scene and the command, and writes a plan
as JSON. Its output is never trusted: ``validate_lm_output`` checks it against the skill grammar
(``heron/envs/tabletop/tasks`` families and arguments) and the scene (blocks and zones present, one block in the
hand); anything malformed or impossible falls back to the rule interpreter, and ``last_source``
says which answered. A stop, an answer (help, a negated request) or a refusal from the rules (out of
scope, impossible here) is final: the LM is asked only where the rules plan or ask. Nothing is
downloaded: the folder must hold ``config.json`` and a tokenizer.
"""

from __future__ import annotations

import json
from pathlib import Path

from heron.language import skills
from heron.language.interpreter import Interpreter, _check_one_in_hand, _fits
from heron.language.results import Plan, Question, Refusal, Refuse, Reply, Step
from heron.language.rules import Draft
from heron.language.scene import SceneDescription

PROMPT = """You plan for a robot arm. Skills (task: args): pick: object; place: object (into the tray); \
stack: object, base; push: object, direction (left|right|forward|back); touch: object; zone: object, zone.
Objects are blocks named by colour. Answer with JSON only: {{"steps": [{{"task": ..., "args": {{...}}}}], \
"question": null, "refusal": null}}; ask a question when the command is ambiguous, refuse when it is impossible.
Scene: {scene}
Command: {command}
JSON:"""


class LMPlanner:
    def __init__(self, folder: str | Path, rules: Interpreter | None = None, max_new_tokens: int = 160):
        self.folder = Path(folder)
        if not (self.folder / "config.json").is_file():
            raise FileNotFoundError(f"LM planner: {self.folder} has no config.json (a local Hugging Face causal LM "
                                    f"folder is needed; nothing is downloaded)")
        self.rules = rules or Interpreter()
        self.max_new_tokens = int(max_new_tokens)
        self._model = self._tok = None
        self.last_source = "none"

    def _load(self) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._tok = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)
        self._model = AutoModelForCausalLM.from_pretrained(str(self.folder), local_files_only=True).eval()

    def generate(self, prompt: str) -> str:
        import torch

        if self._model is None:
            self._load()
        batch = self._tok(prompt, return_tensors="pt")
        batch.pop("token_type_ids", None)
        with torch.no_grad():
            out = self._model.generate(**batch, max_new_tokens=self.max_new_tokens, do_sample=False,
                                       pad_token_id=self._tok.pad_token_id or self._tok.eos_token_id or 0)
        return self._tok.decode(out[0, batch["input_ids"].shape[1]:], skip_special_tokens=True)

    def interpret(self, text, scene: SceneDescription) -> Reply:
        bad = self.rules._check_text(text)
        if bad is not None:
            self.last_source = "rules (input check)"
            return bad
        first = self.rules.interpret(text, scene)
        if first.kind in ("stop", "answer", "refusal"):  # stop, help, negation, out of scope: never an LM plan
            self.last_source = f"rules ({first.kind}: the LM is not asked)"
            return first
        output = self.generate(PROMPT.format(scene=json.dumps(scene.to_dict()), command=text.strip()))
        reply, why = validate_lm_output(output, scene)
        if reply is None:
            self.last_source = f"rules (lm output {why})"
            return first
        self.last_source = "lm"
        return reply


def validate_lm_output(output: str, scene: SceneDescription) -> tuple[Reply | None, str]:
    """The LM's JSON as a Plan / Question / Refusal, or (None, why) when it must not be used."""
    data = _first_json_object(output)
    if not isinstance(data, dict):
        return None, "malformed: no JSON object"
    if isinstance(data.get("refusal"), str) and data["refusal"].strip():
        return Refusal(data["refusal"].strip()[:500]), "ok"
    if isinstance(data.get("question"), str) and data["question"].strip():
        return Question(data["question"].strip()[:500]), "ok"
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps or len(steps) > 12:
        return None, "malformed: no steps"
    out: list[Step] = []
    for i, s in enumerate(steps):
        if not isinstance(s, dict) or s.get("task") not in skills.families() or not isinstance(s.get("args"), dict):
            return None, f"malformed: step {i + 1} is not a known task with args"
        try:
            args = skills.validate_step(s["task"], s["args"])
        except ValueError:
            return None, f"invalid: step {i + 1} args"
        problem = _scene_problem(s["task"], args, scene)
        if problem:
            return None, f"impossible: step {i + 1} {problem}"
        canon = skills.canonical(s["task"], args)
        words = s.get("instruction") if isinstance(s.get("instruction"), str) and _fits(s["instruction"]) else canon
        out.append(Step(s["task"], args, words, canon, source="lm"))
    try:
        _check_one_in_hand([Draft(st.task, st.args, st.instruction) for st in out])
    except Refuse:
        return None, "impossible: two blocks in one hand"
    return Plan(tuple(out)), "ok"


def _scene_problem(task: str, args: dict, scene: SceneDescription) -> str | None:
    if task == "place" and not scene.has_tray:
        return "needs a tray the scene lacks"
    if task == "stack" and args["object"] == args["base"]:
        return "stacks a block on itself"
    for key in ("object", "base"):
        if key in args and args[key] not in scene.blocks:
            return f"names a {args[key]} block the scene lacks"
    if "zone" in args and scene.zone_colors is not None and args["zone"] not in scene.zone_colors:
        return f"names a {args['zone']} zone the scene lacks"
    return None


def _first_json_object(text: str):
    start = text.find("{")
    while start >= 0:
        depth = 0
        for j in range(start, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        return json.loads(text[start:j + 1])
                    except json.JSONDecodeError:
                        break
        start = text.find("{", start + 1)
    return None
