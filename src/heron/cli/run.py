"""heron run: one natural-language command, executed by the policy in the simulator.

Through the interpreter by default: each plan step's canonical phrasing goes to the policy
(``--user-words``: the person's words). ``--raw`` or ``--task`` hand the words to the policy as typed.
"""

from __future__ import annotations

import json
import sys

from heron.cli._common import add_policy_arguments, load_from_args, resolve_task, rss_mb, step_printer
from heron.cli.plan import add_words_arguments
from heron.viz.video import DEFAULT_VIDEO_SIZE, VideoRecorder, video_size_arg

HELP = "run the policy on one natural-language instruction in the simulator"


def add_arguments(p) -> None:
    p.add_argument("--instruction", "-i", required=True, help='e.g. "put the red block in the bowl"')
    add_policy_arguments(p)
    p.add_argument("--task", default=None, help="task family that judges success (default: read from the instruction)")
    p.add_argument("--args", dest="task_args", default=None, help='task arguments as JSON, e.g. \'{"object": "red"}\'')
    p.add_argument("--seed", type=int, default=0, help="scene seed")
    p.add_argument("--max-steps", type=int, default=None, help="step budget (default: the task's own)")
    p.add_argument("--video", default=None,
                   help="write an mp4: the presentation camera, with the policy's two views in a strip below")
    p.add_argument("--video-size", type=video_size_arg, default=DEFAULT_VIDEO_SIZE, metavar="WxH",
                   help="presentation camera size of --video, e.g. 480x360 (the default)")
    p.add_argument("--gui", action="store_true", help="open the PyBullet window (paced to the control rate)")
    p.add_argument("--realtime", action="store_true", help="the simulator keeps moving while the policy computes")
    p.add_argument("--json", dest="json_out", default=None, help="write the summary as JSON")
    add_words_arguments(p)
    p.add_argument("--raw", action="store_true",
                   help="no interpreter: the policy gets the words as typed (as with --task)")


def run(args) -> int:
    from heron.policies.tokenizer import validate_instruction
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.interfaces import TaskSpec
    from heron.runtime.loop import LoopConfig, run_episode

    instruction = validate_instruction(args.instruction)
    if not args.task and not getattr(args, "raw", False):
        from heron.cli._run_plan import run_interpreted

        return run_interpreted(args, instruction)
    task, task_args = resolve_task(instruction, args.task, args.task_args)
    if task is None:
        print("note: the instruction names no known task, so success cannot be judged; the episode stops on the "
              "policy's done signal or the step budget (pass --task/--args to judge it)", file=sys.stderr)
    policy = load_from_args(args)
    mode = "realtime" if args.realtime else "lockstep"
    backend = SimBackend(mode=mode, gui=args.gui, image_size=policy_image_size(policy))
    # With no known task the env samples a scene; the policy still gets the person's words.
    spec = TaskSpec(task=task, args=task_args, instruction=instruction, seed=args.seed)
    first_action: list[float] = []
    on_step = step_printer(first_action, indent="  ")

    print(f"heron run: {instruction!r} (task {task or '?'} {json.dumps(task_args) if task else ''}, seed {args.seed}, "
          f"{policy.runtime} on {policy.provider}, {mode})", flush=True)
    config = LoopConfig(rate_hz=backend_rate(backend), pace=args.gui, done_threshold=None if task else 0.5)
    recorder = VideoRecorder(backend, args.video_size) if args.video else None
    with backend:
        result = run_episode(policy, recorder or backend, spec, max_steps=args.max_steps, on_step=on_step,
                             config=config)
        if recorder is not None:
            recorder.record_now()  # the state after the last action
    summary = {
        "instruction": instruction, "task": task, "args": task_args, "seed": args.seed,
        "success": result.success if task else None, "steps": result.steps, "done": round(result.done, 3),
        "runtime": policy.runtime, "provider": policy.provider, "mode": mode,
        "latency_ms": {k[:-3]: v for k, v in result.timing["stages"]["total"].items() if k in ("p50_ms", "p95_ms", "p99_ms")},
        "stages_ms": {name: v["p50_ms"] for name, v in result.timing["stages"].items()},
        "missed_deadlines": result.timing.get("missed_deadlines"),
        "time_to_first_action_s": round(first_action[0], 2) if first_action else None,  # from process start
        "max_rss_mb": round(rss_mb(), 1), "safety_events": result.safety_events,
    }
    if recorder is not None:
        summary["video"] = str(recorder.write(args.video, fps=backend_rate(backend)))
    verdict = {True: "SUCCESS", False: "FAILED", None: "finished"}[summary["success"]]
    print(f"{verdict} after {result.steps} steps; step latency p50 {summary['latency_ms'].get('p50')} ms, "
          f"p99 {summary['latency_ms'].get('p99')} ms; first action {summary['time_to_first_action_s']} s after start; "
          f"peak RSS {summary['max_rss_mb']} MB" + (f"; video {summary['video']}" if "video" in summary else ""))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(summary, f, indent=2)
    return 0


def policy_image_size(policy) -> int:
    return int(getattr(policy, "image_size", None) or policy.cfg.image_size)


def backend_rate(backend) -> float:
    return 1.0 / backend.period
