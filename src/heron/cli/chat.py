"""heron chat: type commands one after another to a robot in one persistent simulated scene."""

from __future__ import annotations

import sys

from heron.cli._common import add_policy_arguments, load_from_args

HELP = "interactive natural-language commands over one persistent scene (reset, quit)"
PROMPT = "heron> "


def add_arguments(p) -> None:
    add_policy_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="scene seed")
    p.add_argument("--gui", action="store_true", help="open the PyBullet window")
    p.add_argument("--done-threshold", type=float, default=0.5, help="policy done probability that ends a sub-instruction")
    p.add_argument("--canonical", action="store_true", help="give the policy each step's training phrasing, not your words")
    p.add_argument("--raw", action="store_true",
                   help="no interpreter: split compound commands and hand the words to the policy as typed")


def run(args, stdin=None, out=None) -> int:
    import heron.envs.tabletop.tasks
    from heron.language import make_interpreter
    from heron.language.chat import ChatSession
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.loop import LoopConfig

    stdin = stdin or sys.stdin
    out = out or sys.stdout
    say = lambda s: print(s, file=out, flush=True)  # noqa: E731
    policy = load_from_args(args)
    interpreter = None if getattr(args, "raw", False) else make_interpreter("minilm")
    with SimBackend(image_size=int(getattr(policy, "image_size", 96)), gui=args.gui) as backend:
        session = ChatSession(policy, backend, heron.envs.tabletop.tasks.parse_instruction, done_threshold=args.done_threshold,
                              seed=args.seed, config=LoopConfig(rate_hz=1.0 / backend.period, pace=args.gui), log=say,
                              interpreter=interpreter, canonical=getattr(args, "canonical", False))
        say(f"heron chat ({policy.runtime} on {policy.provider}). Type a command, 'reset' for a new scene, 'quit' to leave.")
        interactive = stdin.isatty()
        while True:
            if interactive:
                out.write(PROMPT)
                out.flush()
            line = stdin.readline()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in ("quit", "exit", "q"):
                break
            if line.lower().startswith("reset"):
                parts = line.split()
                session.reset(seed=int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else session.seed + 1)
                say(f"new scene (seed {session.seed})")
                continue
            say(f"> {line}")
            try:
                session.command(line)
            except ValueError as exc:
                say(f"  cannot do that: {exc}")
    say("bye")
    return 0
