"""heron plan: what a plain-language command would do in the scene of a seed, as one JSON line; runs nothing.

Each step's ``instruction`` is what the policy would hear: the step's canonical (training) phrasing,
or with ``--user-words`` the person's own words for it (as ``heron run -i`` and ``heron chat`` do).
"""

from __future__ import annotations

import json
import sys

HELP = ("interpret a plain-language command against a scene: one JSON line (steps, question, refusal, stop, answer); "
        "moves nothing")
USER_WORDS_HELP = ("give the policy the person's own words for each step instead of the step's canonical (training) "
                   "phrasing; the policy's grounding of free wording is measured by the heldout suite")


def add_words_arguments(p) -> None:
    """--user-words, and --canonical (the default, kept for scripts that pass it)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--user-words", action="store_true", help=USER_WORDS_HELP)
    g.add_argument("--canonical", action="store_true", help="each step's canonical phrasing (the default)")


def canonical_words(args) -> bool:
    """Whether the policy hears each step's canonical phrasing (the default) rather than the person's words."""
    return not getattr(args, "user_words", False)


def add_arguments(p) -> None:
    p.add_argument("text", help='the command, e.g. "put all the blocks except the red one in the bowl"')
    p.add_argument("--seed", type=int, default=0, help="scene seed: the simulator's layout for it (default 0)")
    p.add_argument("--scene", default=None, metavar="F.json",
                   help="a scene description file instead of the simulator (see heron/language/scene.py)")
    add_words_arguments(p)
    p.add_argument("--no-embedding", action="store_true",
                   help="rules only: no MiniLM suggestion in the question asked about a wording no rule reads")
    p.add_argument("--lm", default=None, metavar="FOLDER",
                   help="a local Hugging Face causal LM folder as the planner; its plans are checked against the "
                        "skills and the scene, and the rules answer when they fail")
    p.add_argument("--scene-out", action="store_true", help="also print the scene the plan was made against (stderr)")


def run(args, out=None) -> int:
    from heron.language import make_interpreter

    out = out or sys.stdout
    scene = load_scene(args.scene, args.seed)
    interpreter = make_interpreter(None if args.no_embedding else "minilm")
    if getattr(args, "lm", None):
        from heron.language.lm_planner import LMPlanner

        interpreter = LMPlanner(args.lm, rules=interpreter)
    reply = interpreter.interpret(args.text, scene)
    if getattr(args, "lm", None):
        print(f"answered by: {interpreter.last_source}", file=sys.stderr)
    if args.scene_out:
        print(json.dumps(scene.to_dict()), file=sys.stderr)
    print(json.dumps(reply.to_dict(canonical=canonical_words(args))), file=out, flush=True)
    return 0


def load_scene(path: str | None, seed: int):
    """The scene from a JSON file, or the simulator's layout for ``seed``."""
    if path:
        from pathlib import Path

        from heron.language import scene_from_json

        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"--scene: no such file {file}")
        try:
            return scene_from_json(file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"--scene {file}: {exc}") from None
    from heron.language.plan_runner import canonical_scene
    from heron.runtime.backends.sim_backend import SimBackend

    with _stdout_to_stderr(), SimBackend(image_size=32) as backend:  # PyBullet prints a banner on stdout
        return canonical_scene(backend, seed)


class _stdout_to_stderr:
    """Send file descriptor 1 to stderr for a while, so that stdout carries only the JSON line."""

    def __enter__(self):
        import os

        sys.stdout.flush()
        try:
            self._saved = os.dup(1)
            os.dup2(2, 1)
        except OSError:
            self._saved = None
        return self

    def __exit__(self, *exc):
        import os

        if self._saved is not None:
            os.dup2(self._saved, 1)
            os.close(self._saved)
