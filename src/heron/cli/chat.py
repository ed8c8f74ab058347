"""heron chat: type commands one after another to a robot in one persistent simulated scene.

On a terminal, lines typed while a plan runs are read as they come: "stop" (or "halt", "cancel
that", ...) halts the running step at once and clears the queue; anything else waits its turn.
"""

from __future__ import annotations

import os
import select
import sys

from heron.cli._common import add_policy_arguments, load_from_args
from heron.cli.plan import add_words_arguments, canonical_words

HELP = "interactive natural-language commands over one persistent scene (stop, help, reset, quit)"
PROMPT = "heron> "


def add_arguments(p) -> None:
    add_policy_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="scene seed")
    p.add_argument("--gui", action="store_true", help="open the PyBullet window")
    p.add_argument("--done-threshold", type=float, default=0.5, help="policy done probability that ends a sub-instruction")
    add_words_arguments(p)
    p.add_argument("--raw", action="store_true",
                   help="no interpreter: split compound commands and hand the words to the policy as typed")


class LineSource:
    """Lines from ``stream``: ``readline()`` waits for one; ``poll()`` returns one only if it was already
    typed (a terminal read with select and os.read, so nothing sits unseen in a Python buffer)."""

    def __init__(self, stream):
        self.stream = stream
        self._fd = stream.fileno() if stream.isatty() else None
        self._buf = b""
        self._eof = False

    @property
    def interactive(self) -> bool:
        return self._fd is not None

    def poll(self) -> str | None:
        if self._fd is None:
            return None
        if b"\n" not in self._buf and not self._eof and select.select([self._fd], [], [], 0)[0]:
            self._fill()
        return self._take()

    def readline(self) -> str:
        """The next line with its newline, or "" at the end of input."""
        if self._fd is None:
            return self.stream.readline()
        while b"\n" not in self._buf and not self._eof:
            self._fill()
        return self._take() or ""

    def _fill(self) -> None:
        chunk = os.read(self._fd, 4096)
        self._eof = not chunk
        self._buf += chunk

    def _take(self) -> str | None:
        if b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            return line.decode("utf-8", "replace") + "\n"
        if self._eof and self._buf:
            line, self._buf = self._buf, b""
            return line.decode("utf-8", "replace")
        return None


def run(args, stdin=None, out=None) -> int:
    import heron.envs.tabletop.tasks
    from heron.language import make_interpreter
    from heron.language.chat import ChatSession
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.loop import LoopConfig

    source = LineSource(stdin or sys.stdin)
    out = out or sys.stdout
    say = lambda s: print(s, file=out, flush=True)  # noqa: E731
    policy = load_from_args(args)
    interpreter = None if getattr(args, "raw", False) else make_interpreter("minilm")
    with SimBackend(image_size=int(getattr(policy, "image_size", 96)), gui=args.gui) as backend:
        session = ChatSession(policy, backend, heron.envs.tabletop.tasks.parse_instruction, done_threshold=args.done_threshold,
                              seed=args.seed, config=LoopConfig(rate_hz=1.0 / backend.period, pace=args.gui), log=say,
                              interpreter=interpreter, canonical=canonical_words(args),
                              poll=source.poll if source.interactive else None)
        say(f"heron chat ({policy.runtime} on {policy.provider}). Type a command, 'help', 'stop', 'reset' for a new "
            f"scene, 'quit' to leave.")
        while True:
            if session.queue:
                line = session.queue.popleft()
            else:
                if source.interactive:
                    out.write(PROMPT)
                    out.flush()
                line = source.readline()
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
