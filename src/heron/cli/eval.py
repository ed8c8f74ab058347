"""``heron eval``: closed-loop success of a policy on a suite, with Wilson 95% intervals."""

from __future__ import annotations

import argparse
import sys

from heron.cli._common import add_distributed_arguments, ray_address
from heron.evaluation.evaluate import EVAL_SEED
from heron.viz.video import DEFAULT_VIDEO_SIZE, video_size_arg

HELP = "evaluate a policy in the simulator: success per task family with 95% intervals"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", default=None,
                   help="a policy folder, a policy name (e.g. default), 'oracle' (scripted expert), 'random', py:package.module:factory (your own Policy), or lerobot:PATH (a LeRobot "
                        "policy folder, run in LeRobot's own venv: $HERON_LEROBOT_PYTHON or .venv-lerobot)")
    p.add_argument("--suite", default="seen",
                   help="seen (training templates), heldout (held-out templates), chains (5 in a row), chains-done (moves on "
                        "when the policy's done fires; reports done too early/late), robust (seen under one perturbation "
                        "axis at a time; --episodes per axis), a suite .yaml, "
                        "commands (plain-language commands through the interpreter; --episodes = end-to-end sample), "
                        "or metaworld-mt50 (Meta-World MT50 under LeRobot's protocol: --episodes per task, seeds 1000+; "
                        "--tasks narrows it to tasks or groups)")
    p.add_argument("--instructions-file", metavar="F.jsonl",
                   help='JSON lines {"task", "args", "instruction", "seed"}: one episode each (replaces --episodes)')
    p.add_argument("--episodes", type=int, default=20, help="number of episodes (families take turns)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes, each with its own simulator and policy (default 1); with --ray, Ray actors "
                        "(default: one per CPU of the cluster)")
    p.add_argument("--seed", type=int, default=EVAL_SEED,
                   help=f"episode i uses seed SEED + i (default {EVAL_SEED}: scenes disjoint from `heron collect`'s default seeds)")
    p.add_argument("--tasks", type=lambda s: [t.strip() for t in s.split(",") if t.strip()],
                   help="comma-separated task families to keep, e.g. pick,place")
    p.add_argument("--shuffle-instructions", action="store_true",
                   help="language ablation: give each episode an instruction of another task/object")
    p.add_argument("--runtime", choices=("torch", "onnx"), default="onnx", help="policy runtime (default onnx)")
    p.add_argument("--video-dir", help="write mp4 videos of the first --videos episodes of each family here")
    p.add_argument("--videos", type=int, default=1, help="videos per family (with --video-dir)")
    p.add_argument("--video-size", type=video_size_arg, default=DEFAULT_VIDEO_SIZE, metavar="WxH",
                   help="presentation camera size of the videos, e.g. 480x360 (the default); the policy's "
                        "own views are shown in a strip below it")
    p.add_argument("--json", dest="json_path", metavar="OUT.json",
                   help="write all episode records, aggregates and the config; a .md table and .png chart beside it")
    p.add_argument("--image-size", type=int, default=None, help="camera image size (default: the simulator's)")
    p.add_argument("--threads", type=int, default=None, help="intra-op threads per worker (default 1 with workers > 1)")
    add_distributed_arguments(p, "planned episodes (tabletop: indices i, i+N, ...; metaworld: every N-th (task, seed))",
                              "`heron eval --merge` joins their --json reports")
    p.add_argument("--merge", nargs="+", metavar="SHARD.json",
                   help="join the --json reports of `--shard i/N` runs into one report (with --json OUT.json: written "
                        "like a whole run's); runs nothing")


def run(args: argparse.Namespace) -> int:
    if args.merge:
        return run_merge(args)
    if not args.policy:
        raise SystemExit("heron eval: error: --policy is required (or --merge SHARD.json ... to join shard reports)")
    args.ray = ray_address(args.ray)
    if args.suite == "metaworld-mt50":  # Meta-World under LeRobot's protocol (seeds 1000, 1001, ...)
        from heron.evaluation.metaworld import run_cli as run_metaworld

        args.default_seed = EVAL_SEED
        return run_metaworld(args)
    if args.suite == "commands" or str(args.suite).endswith("commands.jsonl"):  # plain-language commands
        if args.shard or args.ray:
            raise ValueError("--shard / --ray: the commands suite runs in one process (a few minutes); it is not sharded")
        from heron.evaluation.commands import run_cli

        return run_cli(args)
    from heron.evaluation.evaluate import evaluate
    from heron.evaluation.report import markdown_table

    result = evaluate(
        args.policy, args.suite, args.episodes, args.workers or (None if args.ray else 1),
        seed=args.seed, tasks=args.tasks, instructions_file=args.instructions_file,
        shuffle_instructions=args.shuffle_instructions, runtime=args.runtime,
        video_dir=args.video_dir, videos=args.videos, video_size=args.video_size, json_path=args.json_path,
        image_size=args.image_size, threads=args.threads, progress=sys.stderr.isatty(),
        shard=args.shard, ray=args.ray,
    )
    print(markdown_table(result))
    outputs = result.get("outputs")
    if outputs:
        print("wrote " + ", ".join(outputs.values()))
    videos = [r["video"] for r in result["episodes"] if r.get("video")]
    if videos:
        print(f"wrote {len(videos)} video(s) to {args.video_dir}")
    print(f"{len(result['episodes'])} episodes in {result['wall_s']:.1f} s")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from heron.evaluation.merge import merge_results

    result = merge_results(args.merge, args.json_path)
    if result.get("suite") == "metaworld-mt50":
        from heron.evaluation.metaworld import markdown

        print(markdown(result))
    else:
        from heron.evaluation.report import markdown_table

        print(markdown_table(result))
    if result.get("outputs"):
        print("wrote " + ", ".join(result["outputs"].values()))
    print(f"merged {len(args.merge)} shard reports: {len(result['episodes'])} episodes")
    return 0
