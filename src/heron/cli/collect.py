"""``heron collect``: record scripted-expert demonstrations into HDF5 shards."""

from __future__ import annotations

import argparse
import json

from heron.cli._common import add_distributed_arguments, ray_address

HELP = "record scripted-expert demonstrations (DART noise) into an HDF5 dataset"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="tabletop", choices=("tabletop", "metaworld"),
                        help="tabletop (heron's PyBullet scene, default) or metaworld (MT50, metaworld's scripted experts)")
    parser.add_argument("--tasks", default="all", help="task families, comma-separated, or 'all' (default); "
                        "metaworld: mt50, a group (easy, medium, hard, very_hard) or task names")
    parser.add_argument("--episodes-per-task", type=int, default=50, help="metaworld: demonstrations per task (default 50)")
    parser.add_argument("--look", default="cheap", choices=("cheap", "lerobot"),
                        help="metaworld: rendering (cheap: no shadows or anti-aliasing, default; lerobot: metaworld's default look)")
    parser.add_argument("--episodes", type=int, default=100, help="episodes wanted in --out (default 100)")
    parser.add_argument("--out", default="data/demos", help="output folder; re-running resumes it (default data/demos)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes, one shard each (default 2); with --ray, Ray actors (default: one per CPU of the cluster)")
    parser.add_argument("--seed", type=int, default=0, help="episode i uses env seed SEED+i (default 0)")
    parser.add_argument("--noise", type=float, default=None,
                        help="std of DART noise on executed actions (default 0.2 on the tabletop, 0 on metaworld)")
    parser.add_argument("--image-size", type=int, default=96, help="camera images, square pixels (default 96)")
    parser.add_argument("--control-hz", type=int, default=10, help="control rate (default 10)")
    parser.add_argument("--split", default="train", choices=("train", "heldout"), help="instruction templates (default train)")
    parser.add_argument("--max-attempts", type=int, default=3, help="expert tries per episode, a new seed each (default 3)")
    parser.add_argument("--compression", default="gzip", choices=("gzip", "lzf", "none"), help="image compression (default gzip)")
    parser.add_argument("--video-dir", default=None, help="also write the first --videos episodes as mp4 here")
    parser.add_argument("--videos", type=int, default=3, help="how many episodes --video-dir gets (default 3)")
    parser.add_argument("--chain-fraction", type=float, default=0.0,
                        help="share of episodes that chain several instructions without a reset (default 0)")
    parser.add_argument("--chain-length", default="2-5", help="sub-instructions per chain, MIN-MAX (default 2-5)")
    parser.add_argument("--post-steps", type=int, default=0,
                        help="hold steps recorded after each success, labelled done (default 0)")
    parser.add_argument("--randomize", default=None,
                        help="YAML file of domain-randomisation ranges (heron/envs/tabletop/randomization.py LIMITS; e.g. configs/collect/randomize.yaml)")
    parser.add_argument("--episode-budget", type=int, default=400, help="most steps of a chained episode (default 400)")
    parser.add_argument("--policy", default=None,
                        help="DAgger: this trained policy drives (a share of) the steps and the expert labels every one; "
                             "failed episodes are kept (e.g. runs/NAME/final; train on [expert data, this data])")
    parser.add_argument("--policy-share", type=float, default=None,
                        help="with --policy: share of the steps the policy's action is executed, (0, 1] (default 1)")
    add_distributed_arguments(parser, "episodes (tabletop: episode indices i, i+N, ...; metaworld: every N-th (task, demo))",
                              "`heron data merge` joins the shards' folders")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    if args.env == "metaworld":
        return run_metaworld(args)
    from heron.collection.collect import collect, format_summary

    args.noise = 0.2 if args.noise is None else args.noise
    randomize = None
    if args.randomize:
        from heron.envs.tabletop.randomization import Randomization

        try:
            randomize = Randomization.from_file(args.randomize).to_dict()
        except ValueError as exc:
            raise SystemExit(f"heron collect: --randomize: {exc}") from None
    try:
        lo, _, hi = args.chain_length.partition("-")
        chain_length = (int(lo), int(hi or lo))
    except ValueError:
        raise ValueError(f"--chain-length {args.chain_length!r}: expected MIN-MAX, e.g. 2-5") from None
    summary = collect(
        tasks=args.tasks,
        episodes=args.episodes,
        out=args.out,
        workers=args.workers or (None if args.ray else 2),
        seed=args.seed,
        noise=args.noise,
        image_size=args.image_size,
        control_hz=args.control_hz,
        split=args.split,
        max_attempts=args.max_attempts,
        video_dir=args.video_dir,
        videos=args.videos,
        compression=args.compression,
        progress=not args.no_progress,
        chain_fraction=args.chain_fraction,
        chain_length=chain_length,
        post_steps=args.post_steps,
        randomize=randomize,
        episode_budget=args.episode_budget,
        policy=args.policy,
        policy_share=args.policy_share if args.policy_share is not None else (1.0 if args.policy else 0.0),
        shard=args.shard,
        ray=ray_address(args.ray),
    )
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    if summary["interrupted"]:
        print("interrupted: the shards are valid; run the same command again to finish", flush=True)
        return 130
    return 0


def run_metaworld(args: argparse.Namespace) -> int:
    from heron.collection.metaworld import collect_metaworld

    out = args.out if args.out != "data/demos" else "data/metaworld"
    summary = collect_metaworld(tasks=args.tasks, episodes_per_task=args.episodes_per_task, out=out,
                                workers=args.workers or (None if args.ray else 2), seed=args.seed, noise=args.noise or 0.0,
                                image_size=args.image_size, look=args.look, max_attempts=args.max_attempts,
                                compression=args.compression, progress=not args.no_progress, shard=args.shard,
                                ray=ray_address(args.ray))
    print(json.dumps(summary) if args.json else
          f"{summary['episodes_written']} demonstrations written ({summary['episodes_resumed']} already there, "
          f"{summary['episodes_failed']} failed), {summary['frames_written']} frames in {summary['wall_s']} s -> {out}")
    return 0
