"""Writes the ``commands`` suite (``configs/eval/commands.jsonl``): plain-language commands with the plan
each should give on its seed's scene.

    python -m heron.evaluation.commands_make --out configs/eval/commands.jsonl

Every expected plan is written here from the phrase bank's own arguments and, for relations, from
the simulator's positions with this file's geometry (never by calling the interpreter); scenes where a
relation is within 2 cm of a tie are skipped. Push directions are ones the layout leaves free
(``heron.envs.tabletop.tasks.push.push_feasible``), so that the end-to-end runs measure the policy, not the layout.
Lines: ``{"id", "command", "seed", "category", "expect": "plan"|"question"|"refusal"|"stop"|"answer",
"steps": [{"task", "args"}]}``; each step's success predicate is its task family's own.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from heron.configs import CONFIG_DIR

COLORS = ("red", "green", "blue", "yellow")
SYN = {"red": ("red", "crimson", "scarlet"), "green": ("green", "emerald"), "blue": ("blue", "navy", "azure"),
       "yellow": ("yellow", "golden")}
NOUN = ("block", "cube", "brick", "block", "cube")
DIR_WORDS = {"left": ("left", "to the left"), "right": ("right", "to the right"),
             "forward": ("forward", "away from the camera"), "back": ("back", "toward the camera")}
SUITE_SEED = 2_000_000  # scenes of this suite: apart from training (0...) and the other eval suites (1,000,000...)

SINGLE = {
    "pick": ("pick up the {o}", "grab the {o}", "lift the {o} off the table", "could you raise the {o}",
             "hoist the {o}", "grasp the {o} please", "take the {o}"),
    "place": ("put the {o} in the bowl", "drop the {o} into the receptacle", "place the {o} in the container",
              "the {o} goes in the tray", "deposit the {o} in the basket"),
    "touch": ("touch the {o}", "tap the {o}", "poke the {o} gently", "put a fingertip on the {o}", "press on the {o}"),
    "push": ("push the {o} {d}", "shove the {o} {d}", "nudge the {o} {d}", "slide the {o} {d} along the table",
             "give the {o} a push {d}"),
    "stack": ("stack the {o} on the {b}", "put the {o} on top of the {b}", "balance the {o} on the {b}",
              "place the {o} onto the {b}", "put {oc} over {bc}"),
    "zone": ("move the {o} to the {z} zone", "put the {o} on the {z} square patch", "slide the {o} into the {z} area",
             "bring the {o} over to the {z} region"),
}


class Maker:
    def __init__(self, rng: np.random.Generator, env):
        self.rng, self.env = rng, env
        self.scene = env.scene

    def pick(self, seq, k=1, exclude=()):
        pool = [c for c in seq if c not in exclude]
        idx = self.rng.choice(len(pool), size=k, replace=False)
        return [pool[int(i)] for i in idx]

    def obj(self, color: str) -> str:
        return f"{self.rng.choice(SYN[color])} {self.rng.choice(NOUN)}"

    def direction(self, color: str) -> str | None:
        from heron.envs.tabletop.tasks.push import push_feasible

        free = [d for d in ("left", "right", "forward", "back") if push_feasible(self.scene, color, d)]
        return str(self.rng.choice(free)) if free else None

    def dword(self, d: str) -> str:
        return str(self.rng.choice(DIR_WORDS[d]))

    @property
    def zones(self) -> list[str]:
        return list(self.scene.zones)

    def xy(self, color: str) -> np.ndarray:
        return self.scene.block_pos(color)[:2]


def step(task, **args):
    return {"task": task, "args": args}


def single(m: Maker):
    family = str(m.rng.choice(list(SINGLE)))
    template = str(m.rng.choice(SINGLE[family]))
    a, b = m.pick(COLORS, 2)
    args = {"object": a}
    if family == "push":
        d = m.direction(a)
        if d is None:
            return None
        args["direction"] = d
    if family == "stack":
        args["base"] = b
    if family == "zone":
        args["zone"] = str(m.rng.choice(m.zones))
    text = template.format(o=m.obj(a), b=m.obj(b), oc=a, bc=b, z=args.get("zone"), d=m.dword(args.get("direction", "left")))
    return text, "plan", [step(family, **args)]


def compound(m: Maker):
    a, b, c = m.pick(COLORS, 3)
    z = str(m.rng.choice(m.zones))
    da, db = m.direction(a), m.direction(b)
    options = [
        (f"pick up the {m.obj(a)}, then put it in the bowl", [step("pick", object=a), step("place", object=a)]),
        (f"grab the {m.obj(a)} and stack it on the {m.obj(b)}", [step("pick", object=a), step("stack", object=a, base=b)]),
        (f"before you put it in the tray, lift the {m.obj(a)}", [step("pick", object=a), step("place", object=a)]),
        (f"first tap the {m.obj(a)}, then tap the {m.obj(b)}, and finally tap the {m.obj(c)}",
         [step("touch", object=a), step("touch", object=b), step("touch", object=c)]),
        (f"move the {m.obj(a)} to the {z} zone and then touch the {m.obj(b)}",
         [step("zone", object=a, zone=z), step("touch", object=b)]),
        (f"put the {m.obj(a)} in the tray, but before that touch the {m.obj(b)}",
         [step("touch", object=b), step("place", object=a)]),
        (f"stack the {m.obj(a)} on the {m.obj(b)}, then touch the other one",
         [step("stack", object=a, base=b), step("touch", object=b)]),
        (f"touch the {m.obj(a)} after you touch the {m.obj(b)}", [step("touch", object=b), step("touch", object=a)]),
        (f"lift the {m.obj(a)} and then set it down in the {z} square", [step("pick", object=a), step("zone", object=a, zone=z)]),
        (f"pick up the {m.obj(a)} and put it on the {m.obj(b)}, then poke the {m.obj(c)}",
         [step("pick", object=a), step("stack", object=a, base=b), step("touch", object=c)]),
    ]
    if da:
        options.append((f"push the {m.obj(a)} {m.dword(da)}, after that touch it",
                        [step("push", object=a, direction=da), step("touch", object=a)]))
    if db:
        options.append((f"touch the {m.obj(a)}, then push the {m.obj(b)} {m.dword(db)}",
                        [step("touch", object=a), step("push", object=b, direction=db)]))
    text, steps = options[int(m.rng.integers(len(options)))]
    return text, "plan", steps


def quantified(m: Maker):
    a, b = m.pick(COLORS, 2)
    z = str(m.rng.choice(m.zones))
    rest = [c for c in COLORS if c != a]
    options = [
        (f"touch every block except the {a} one", [step("touch", object=c) for c in rest]),
        ("touch all the blocks", [step("touch", object=c) for c in COLORS]),
        (f"put all the blocks except the {a} one and the {b} one in the tray",
         [step("place", object=c) for c in COLORS if c not in (a, b)]),
        (f"tap each block but the {m.obj(a)}", [step("touch", object=c) for c in rest]),
        ("stack the blocks into a tower", [step("stack", object=t, base=u) for u, t in zip(COLORS, COLORS[1:])]),
        (f"touch the {m.obj(a)} and the {m.obj(b)}", [step("touch", object=a), step("touch", object=b)]),
        (f"put the {a} and {b} blocks in the {z} zone", [step("zone", object=a, zone=z), step("zone", object=b, zone=z)]),
        (f"pick up the {a} and {b} blocks and put them in the bowl",
         [step("pick", object=a), step("place", object=a), step("pick", object=b), step("place", object=b)]),
    ]
    text, steps = options[int(m.rng.integers(len(options)))]
    return text, "plan", steps


def _ranked(m: Maker, key, among=COLORS):
    ranked = sorted(among, key=key)
    if len(ranked) > 1 and abs(key(ranked[0]) - key(ranked[1])) < 0.02:
        return None
    return ranked[0]


def relational(m: Maker):
    tray = m.scene.tray_center()[:2]
    choice = int(m.rng.integers(6))
    if choice == 0:
        c = _ranked(m, lambda k: float(np.linalg.norm(m.xy(k) - tray)))
        return c and ("pick up the block closest to the tray", "plan", [step("pick", object=c)])
    if choice == 1:
        c = _ranked(m, lambda k: -float(np.linalg.norm(m.xy(k) - tray)))
        return c and ("touch the block farthest from the tray", "plan", [step("touch", object=c)])
    if choice == 2:
        z = str(m.rng.choice(m.zones))
        zc = m.scene.zone_center(z)[:2]
        c = _ranked(m, lambda k: float(np.linalg.norm(m.xy(k) - zc)))
        d = c and m.direction(c)
        return d and (f"push the block nearest to the {z} zone {m.dword(d)}", "plan", [step("push", object=c, direction=d)])
    if choice == 3:  # left of X as seen from the front camera: smaller world y, the nearest such
        (x,) = m.pick(COLORS, 1)
        y0 = m.xy(x)[1]
        left = [k for k in COLORS if k != x and m.xy(k)[1] < y0 - 0.03]
        c = left and _ranked(m, lambda k: y0 - m.xy(k)[1], left)
        return c and (f"touch the block left of the {x} one as seen from the front camera", "plan", [step("touch", object=c)])
    if choice == 4:
        c = _ranked(m, lambda k: float(m.xy(k)[1]))
        return c and ("put the leftmost block in the bowl", "plan", [step("place", object=c)])
    c = _ranked(m, lambda k: -float(m.xy(k)[1]))
    (b,) = m.pick(COLORS, 1, exclude=(c,)) if c else (None,)
    return c and (f"stack the rightmost block on the {b} one", "plan", [step("stack", object=c, base=b)])


def ambiguous(m: Maker):
    a, b = m.pick(COLORS, 2)
    options = ["pick up the block", "touch the cube", "put it in the tray", f"move the {m.obj(a)}",
               f"push the {m.obj(a)}", f"pick up the {a} {b} block", f"move the {m.obj(a)} into the zone",
               f"stack the {m.obj(a)}", "", "   ", "把红色方块放进托盘", "touch it",
               f"put the {m.obj(a)}", "stack it on the blue one", "touch the other one", "put the block in the tray",
               f"pick up the {m.obj(a)} and the {m.obj(b)} and put it in the tray"]
    return options[int(m.rng.integers(len(options)))], "question", []


def impossible(m: Maker):
    a, b = m.pick(COLORS, 2)
    missing = [z for z in COLORS if z not in m.zones]
    options = ["pick up the purple block", "grab the orange cube", f"touch the pink {m.rng.choice(NOUN)}",
               f"put the {m.obj(a)} in the {missing[0]} zone", "pick up the tray", f"throw the {m.obj(a)} at the wall",
               f"put the {m.obj(a)} next to the {m.obj(b)}", f"stack the {m.obj(a)} on itself",
               f"pick up the {m.obj(a)} and the {m.obj(b)}", f"put the {m.obj(a)} in the purple cylinder",
               f"paint the {m.obj(a)} blue", "pick up the orange sphere", "x" * 10_240,
               f"pick up the {a}\x07 block", "clean the table", f"put the {m.obj(a)} under the {m.obj(b)}",
               "move the black block to the left", f"stack the {m.obj(a)} on the purple cylinder",
               "lift the purple block, then put it in the bowl"]
    return options[int(m.rng.integers(len(options)))], "refusal", []


def stop(m: Maker):
    (a,) = m.pick(COLORS, 1)
    options = ["stop", "halt!", "freeze", "cancel that", "stop right now", "robot, stop", "never mind", "wait",
               "hold on", "stop moving", "abort", "emergency stop", "please stop", f"stop pushing the {m.obj(a)}",
               "that's enough", "Stop! put it in the bowl"]
    return options[int(m.rng.integers(len(options)))], "stop", []


def negation(m: Maker):
    """Negated requests: nothing moves (an answer says what was understood); a negated part next to a
    request takes its block out of the plan. Every plan here has one step (the end-to-end sample of 2-3
    step commands stays the one measured before these kinds existed)."""
    a, b = m.pick(COLORS, 2)
    d = m.direction(a)
    options = [
        (f"don't touch the {m.obj(a)}", "answer", []), ("don't touch anything", "answer", []),
        (f"do not put the {m.obj(a)} in the bowl", "answer", []), (f"never stack the {m.obj(a)} on the {m.obj(b)}", "answer", []),
        (f"please don't pick up the {m.obj(a)}", "answer", []), (f"you should not move the {m.obj(a)}", "answer", []),
        ("don't move any block", "answer", []), (f"I don't want you to tap the {m.obj(a)}", "answer", []),
        (f"put the {m.obj(a)} in the bowl but don't touch the {m.obj(b)}", "plan", [step("place", object=a)]),
        (f"touch the {m.obj(a)} but never the {m.obj(b)}", "plan", [step("touch", object=a)]),
        (f"pick up the {m.obj(a)}, and do not touch the {m.obj(b)}", "plan", [step("pick", object=a)]),
    ]
    if d:
        options.append((f"never push the {m.obj(a)} {m.dword(d)}", "answer", []))
    return options[int(m.rng.integers(len(options)))]


def correction(m: Maker):
    """Corrections inside one utterance: only the corrected request is planned."""
    a, b, c = m.pick(COLORS, 3)
    zones = m.zones
    d = m.direction(a)
    options = [
        (f"put the {m.obj(a)} in the bowl, no wait, the {m.obj(b)}", [step("place", object=b)]),
        (f"pick up the {m.obj(a)}, sorry, I mean the {m.obj(b)}", [step("pick", object=b)]),
        (f"touch the {m.obj(a)}, actually the {m.obj(b)}", [step("touch", object=b)]),
        (f"put the {m.obj(a)} in the bowl, actually put it on the {m.obj(b)}", [step("stack", object=a, base=b)]),
        (f"stack the {m.obj(a)} on the {m.obj(b)}, no, on the {m.obj(c)}", [step("stack", object=a, base=c)]),
        (f"put the {m.obj(a)} on the {m.obj(b)}, I mean in the tray", [step("place", object=a)]),
        (f"grab the {m.obj(a)}, no wait, tap the {m.obj(b)}", [step("touch", object=b)]),
    ]
    if len(zones) > 1:
        z1, z2 = zones[0], zones[1]
        options.append((f"move the {m.obj(a)} to the {z1} zone, sorry, the {z2} zone", [step("zone", object=a, zone=z2)]))
    if d:
        other = [x for x in ("left", "right", "forward", "back") if x != d]
        d0 = str(m.rng.choice(other))
        options.append((f"push the {m.obj(a)} {m.dword(d0)}, no wait, {m.dword(d)}", [step("push", object=a, direction=d)]))
        options.append((f"tap the {m.obj(a)}, no wait, push it {m.dword(d)}", [step("push", object=a, direction=d)]))
    text, steps = options[int(m.rng.integers(len(options)))]
    return text, "plan", steps


def out_of_scope(m: Maker):
    """Open requests, questions, statements, nonsense and foreign words: refused, naming the skills."""
    (a,) = m.pick(COLORS, 1)
    options = ["make me a sandwich", f"hand me the {m.obj(a)}", "bring me a coffee", "water the plants", "tell me a joke",
               "what is your name", f"is the {m.obj(a)} heavy", f"where is the {m.obj(a)}", "how many blocks are there",
               "the sky is blue", f"the {m.obj(a)} is pretty", f"the {m.obj(a)} is in the bowl", "asdf qwer",
               f"blorp the {m.obj(a)}", f"levitate the {m.obj(a)}", "pon el bloque rojo en la bandeja",
               "mets le bloc rouge dans le bol", "nimm den roten Block", "build a house", "pick up the banana"]
    return options[int(m.rng.integers(len(options)))], "refusal", []


def help_request(m: Maker):
    options = ["help", "what can you do", "What can you do?", "what are your skills", "hello", "what can I say"]
    return options[int(m.rng.integers(len(options)))], "answer", []


CATEGORIES = {"single": (single, 45), "compound": (compound, 35), "quantified": (quantified, 20),
              "relational": (relational, 20), "ambiguous": (ambiguous, 20), "impossible": (impossible, 25),
              "stop": (stop, 10), "negation": (negation, 15), "correction": (correction, 20),
              "out_of_scope": (out_of_scope, 25), "help": (help_request, 5)}


def build(seed: int = 0) -> list[dict]:
    from heron.language.plan_runner import canonical_scene
    from heron.runtime.backends.sim_backend import SimBackend

    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    scene_seed = SUITE_SEED
    with SimBackend(image_size=32) as backend:
        for name, (fn, count) in CATEGORIES.items():
            made = 0
            while made < count:
                canonical_scene(backend, scene_seed)
                item = fn(Maker(rng, backend.env))
                if item:
                    text, expect, steps = item
                    rows.append({"id": f"{name}-{made:03d}", "command": text, "seed": scene_seed, "category": name,
                                 "expect": expect, "steps": steps})
                    made += 1
                scene_seed += 1
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(CONFIG_DIR / "eval" / "commands.jsonl"))
    p.add_argument("--seed", type=int, default=0, help="phrase-bank draws")
    args = p.parse_args(argv)
    rows = build(args.seed)
    out = Path(args.out)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, out)
    print(f"wrote {len(rows)} commands to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
