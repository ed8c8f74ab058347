"""heron data export|import|merge: heron demonstrations <-> LeRobotDataset v3.0, ROS 2 bags -> heron, and
collection shards joined into one dataset."""

from __future__ import annotations

import json
import sys

HELP = ("convert datasets: export heron demos to LeRobot v3.0, import LeRobot v3.0 or ROS 2 bags (--map map.yaml); "
        "merge collection shards")
FORMATS_OUT = ("lerobot",)
FORMATS_IN = ("lerobot", "rosbag")


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = sub.add_parser("export", help="heron demonstrations -> LeRobotDataset v3.0")
    e.add_argument("--format", choices=FORMATS_OUT, default="lerobot")
    e.add_argument("--in", dest="src", required=True, help="heron dataset folder (shard-*.h5)")
    e.add_argument("--out", required=True, help="output folder (written whole, then moved into place)")
    e.add_argument("--mode", choices=("video", "image"), default="video",
                   help="cameras as mp4 under videos/ (default) or PNG bytes in the parquet (bit-exact)")
    e.add_argument("--fps", type=int, default=None, help="frame rate (default: the collection's control rate)")
    e.add_argument("--codec", choices=("h264", "libsvtav1"), default="h264")
    e.add_argument("--overwrite", action="store_true", help="replace --out once the new export is complete")
    e.add_argument("--no-progress", action="store_true")
    i = sub.add_parser("import", help="LeRobotDataset v3.0 or a ROS 2 bag -> heron demonstrations")
    i.add_argument("--format", choices=FORMATS_IN, required=True)
    i.add_argument("--in", dest="src", required=True, help="LeRobot dataset folder, or rosbag2 folder / .mcap file")
    i.add_argument("--out", required=True, help="heron dataset folder to create (e.g. data/NAME)")
    i.add_argument("--map", default=None, help="mapping YAML (cameras, state/action columns or topics); see README")
    i.add_argument("--overwrite", action="store_true", help="replace --out once the new import is complete")
    i.add_argument("--no-progress", action="store_true")
    m = sub.add_parser("merge", help="join dataset folders (e.g. `heron collect --shard i/N` outputs) into one")
    m.add_argument("inputs", nargs="+", metavar="IN", help="dataset folders, e.g. data/demos-0 data/demos-1")
    m.add_argument("--out", required=True, help="dataset folder to create (written whole, then moved into place)")
    m.add_argument("--allow-missing", action="store_true", help="merge even when some shards of the run are not given")
    m.add_argument("--overwrite", action="store_true", help="replace --out once the merged dataset is complete")


def require(*modules: str) -> None:
    """The optional [data] extra (pyarrow, av, rosbags, rerun-sdk): say how to install what is missing."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(f"this needs {', '.join(missing)}, from heron's [data] extra: pip install -e '.[data]' "
                         "(or pip install pyarrow av rosbags rerun-sdk)")


def _progress(enabled: bool, what: str):
    if not enabled:
        return None
    from tqdm import tqdm

    bar: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=what, unit="ep", file=sys.stderr)
        bar["bar"].update(done - bar["bar"].n)
        if done == total:
            bar["bar"].close()

    return update


def run(args) -> int:
    if args.action == "merge":
        from heron.data.merge import merge_datasets

        print(json.dumps(merge_datasets(args.inputs, args.out, args.allow_missing, args.overwrite)))
        return 0
    require("pyarrow", "av") if args.format == "lerobot" else require("rosbags")
    progress = _progress(not args.no_progress, f"{args.action} {args.format}")
    if args.action == "export":
        from heron.data.lerobot_export import ExportConfig, export_lerobot

        summary = export_lerobot(ExportConfig(args.src, args.out, mode=args.mode, fps=args.fps, codec=args.codec,
                                              overwrite=args.overwrite), progress)
    elif args.format == "lerobot":
        from heron.data.lerobot_import import ImportConfig, import_lerobot

        summary = import_lerobot(ImportConfig(args.src, args.out, args.map, args.overwrite), progress)
    else:
        from heron.data.rosbag import BagImportConfig, import_bag

        summary = import_bag(BagImportConfig(args.src, args.out, args.map, args.overwrite), progress)
    if args.action == "import" and not summary.get("sim_compatible", True):
        d = summary["dims"]
        print(f"note: proprio {d['proprio']} / action {d['actions']} values per step: this data trains, saves and exports "
              f"(set proprio_dim={d['proprio']} action_dim={d['actions']} in the policy config), but the simulator takes "
              "22 / 5 and cannot run such a policy", file=sys.stderr)
    print(json.dumps(summary))
    return 0
