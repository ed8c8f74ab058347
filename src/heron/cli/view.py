"""heron view: an episode, dataset, LeRobot folder, ROS 2 bag or evaluation run -> rerun .rrd (or a PNG sheet)."""

from __future__ import annotations

import json

HELP = "view data in the rerun viewer: a dataset, LeRobot folder, bag or eval JSON -> .rrd (--png: contact sheet)"


def add_arguments(p) -> None:
    p.add_argument("path", help="heron dataset folder or shard, LeRobot v3.0 folder, rosbag2 folder / .mcap, or eval JSON")
    p.add_argument("--out", default=None, help="output file (default: outputs/view/<name>.rrd or .png)")
    p.add_argument("--png", action="store_true", help="write a PNG contact sheet (frames + action plots) instead of .rrd")
    p.add_argument("--episodes", type=int, default=10, help="at most this many episodes (default 10)")
    p.add_argument("--map", default=None, help="mapping YAML for a LeRobot folder or a bag (see heron data import)")
    p.add_argument("--fps", type=float, default=10.0, help="frame rate of the time axis (default 10)")


def run(args) -> int:
    from pathlib import Path

    from heron.cli.data import require
    from heron.viz.viewer import load, write_contact_sheet, write_rrd

    if not args.png:
        require("rerun")

    if args.episodes < 1:
        raise ValueError(f"--episodes={args.episodes}: must be >= 1")
    episodes = load(args.path, args.episodes, args.map)
    name = Path(args.path.rstrip("/")).stem or "view"
    out = args.out or f"outputs/view/{name}.{'png' if args.png else 'rrd'}"
    path = write_contact_sheet(episodes, out) if args.png else write_rrd(episodes, out, args.fps)
    print(json.dumps({"out": str(path), "episodes": len(episodes), "steps": sum(len(e.actions) if e.actions is not None
                      else max((len(f) for f in e.frames.values()), default=0) for e in episodes)}))
    if not args.png:
        print(f"open it with: rerun {path}")
    return 0
