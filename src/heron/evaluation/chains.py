"""Random feasible chains of subtasks for the ``chains`` suite (CALVIN-style long horizon).

A chain is a list of ``{"task", "args"}`` for ``options["chain"]``. Subtasks must not conflict:
a picked block is carried next (place / zone / stack) or the chain ends; blocks in the tray or in a
stack are not used again; each zone holds one block; a block is pushed only while still where the
layout put it, in a direction that is free in that layout; touch never targets the block the
previous subtask handled (it would succeed at once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

CARRY = ("place", "zone", "stack")
FAMILIES = ("pick", "touch", "push", "zone", "place", "stack")
MAX_IN_TRAY = 1  # a second block in the small tray often lands on the first


@dataclass
class _State:
    blocks: tuple[str, ...]
    zones: tuple[str, ...]
    held: str | None = None
    retired: set = field(default_factory=set)  # in the tray or in a stack
    moved: set = field(default_factory=set)  # no longer where the layout put it
    zone_of: dict = field(default_factory=dict)  # zone color -> block in it
    in_tray: int = 0
    last: str | None = None  # the block the previous subtask handled


def _candidates(s: _State, families: list[str], last_step: bool) -> list[tuple[str, dict]]:
    free = [b for b in s.blocks if b not in s.retired]
    out: list[tuple[str, dict]] = []
    carry_ok = any(f in families for f in CARRY)
    for fam in families:
        if s.held is not None and fam not in CARRY:
            continue
        objs = [s.held] if s.held is not None else free
        for x in objs:
            if fam == "pick" and (carry_ok or last_step):
                out.append((fam, {"object": x}))
            elif fam == "touch" and x != s.last:
                out.append((fam, {"object": x}))
            elif fam == "push" and x not in s.moved:
                out.append((fam, {"object": x, "direction": None}))  # direction fixed against the layout
            elif fam == "zone":
                for z in s.zones:
                    if z not in s.zone_of:
                        out.append((fam, {"object": x, "zone": z}))
            elif fam == "place" and s.in_tray < MAX_IN_TRAY:
                out.append((fam, {"object": x}))
            elif fam == "stack":
                for base in free:
                    if base != x:
                        out.append((fam, {"object": x, "base": base}))
    return out


def _advance(s: _State, fam: str, args: dict) -> None:
    x = args["object"]
    for z, b in list(s.zone_of.items()):
        if b == x and fam in ("pick", "push", "place", "stack", "zone"):
            del s.zone_of[z]
    s.held = x if fam == "pick" else None
    if fam in ("pick", "push", "zone", "place", "stack"):
        s.moved.add(x)
    if fam == "zone":
        s.zone_of[args["zone"]] = x
    if fam == "place":
        s.retired.add(x)
        s.in_tray += 1
    if fam == "stack":
        s.retired.update((x, args["base"]))
    s.last = x


def draw_chain(rng: np.random.Generator, families: list[str], length: int, blocks: tuple[str, ...],
               zones: tuple[str, ...]) -> list[dict[str, Any]]:
    """A conflict-free chain of ``length`` subtasks; push directions are left ``None``.

    A draw that runs into a dead end (every block used up) is drawn again, up to 200 times.
    """
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ValueError(f"chains can use the families {', '.join(FAMILIES)}; {', '.join(unknown)} has no chain rules")
    for _ in range(200):
        chain = _draw_once(rng, families, length, blocks, zones)
        if chain is not None:
            return chain
    raise ValueError(f"cannot build a {length}-subtask chain from the families {', '.join(families)} without "
                     f"conflicts; add some of {', '.join(FAMILIES)} or shorten the chain")


def _draw_once(rng, families, length, blocks, zones) -> list[dict[str, Any]] | None:
    s = _State(blocks=tuple(blocks), zones=tuple(zones))
    chain = []
    for i in range(length):
        options = _candidates(s, list(families), last_step=i == length - 1)
        if not options:
            return None
        by_family: dict[str, list[dict]] = {}
        for fam, args in options:
            by_family.setdefault(fam, []).append(args)
        names = sorted(by_family)
        fam = names[int(rng.integers(len(names)))]
        args = dict(by_family[fam][int(rng.integers(len(by_family[fam])))])
        _advance(s, fam, args)
        chain.append({"task": fam, "args": args})
    return chain


def sample_chain(backend, spec) -> list[dict[str, Any]]:
    """Draw ``spec``'s chain and fix push directions against the seed's layout.

    The layout depends on the seed and the zone colors the chain requires (in order), so a probe
    reset with the same zone requirements shows the very layout the chain will start from.
    """
    from heron.envs.tabletop import BLOCK_COLORS, ZONE_COLORS
    from heron.envs.tabletop.objects import NUM_ZONES
    from heron.envs.tabletop.tasks.push import push_feasible

    rng = np.random.default_rng([spec.seed, 0xC4A1])
    zones = tuple(str(z) for z in rng.choice(ZONE_COLORS, NUM_ZONES, replace=False))
    chain = draw_chain(rng, list(spec.families), spec.chain_length, tuple(BLOCK_COLORS), zones)
    used = list(dict.fromkeys(c["args"]["zone"] for c in chain if c["task"] == "zone"))
    probe = [{"task": "zone", "args": {"object": BLOCK_COLORS[0], "zone": z}} for z in used]
    backend.env.reset(seed=spec.seed, options={"chain": probe or [{"task": "touch", "args": {"object": BLOCK_COLORS[0]}}],
                                               "split": spec.split})
    scene = backend.env.scene
    for c in chain:
        if c["task"] == "push":
            dirs = _directions(scene, c["args"]["object"], push_feasible, rng)
            if dirs:
                c["args"]["direction"] = dirs[0]
            else:  # no free direction in this layout: touch the block instead
                c["task"], c["args"] = "touch", {"object": c["args"]["object"]}
    return chain


def _directions(scene, color: str, feasible, rng) -> list[str]:
    from heron.envs.tabletop import DIRECTIONS

    order = [DIRECTIONS[i] for i in rng.permutation(len(DIRECTIONS))]
    return [d for d in order if feasible(scene, color, d)]
