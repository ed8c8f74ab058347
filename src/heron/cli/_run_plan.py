"""``heron run -i`` through the interpreter: plan against the seed's scene, then run the steps in turn.

Each step's canonical phrasing goes to the policy (``--user-words``: the person's words for it). A
question, a refusal, an answer ("help", a negated request) or a stop is printed and nothing is
commanded. ``--raw`` (or ``--task``) keeps the direct path, where the policy gets the words as typed.
"""

from __future__ import annotations

import json

from heron.cli._common import load_from_args, rss_mb, step_printer
from heron.cli.plan import canonical_words
from heron.viz.video import DEFAULT_VIDEO_SIZE, VideoRecorder


def run_interpreted(args, instruction: str) -> int:
    from heron.language import make_interpreter
    from heron.language.plan_runner import canonical_scene, run_plan
    from heron.runtime.backends.sim_backend import SimBackend
    from heron.runtime.loop import LoopConfig

    policy = load_from_args(args)
    mode = "realtime" if args.realtime else "lockstep"
    size = int(getattr(policy, "image_size", None) or policy.cfg.image_size)
    backend = SimBackend(mode=mode, gui=args.gui, image_size=size)
    first_action: list[float] = []
    on_step = step_printer(first_action, indent="    ")

    canonical = canonical_words(args)
    with backend:
        scene = canonical_scene(backend, args.seed)
        reply = make_interpreter("minilm").interpret(instruction, scene)
        print(f"heron run: {instruction!r} (seed {args.seed}, {policy.runtime} on {policy.provider}, {mode})", flush=True)
        print("plan: " + json.dumps(reply.to_dict(canonical=canonical)), flush=True)
        if reply.kind != "plan":
            print(f"{reply.kind.upper()}: {reply.text} (nothing was commanded)")  # a stop: there is nothing to halt
            _write(args, {"instruction": instruction, "seed": args.seed, "success": None, "steps": 0,
                          "plan": reply.to_dict(canonical=canonical), reply.kind: reply.text,
                          "runtime": policy.runtime, "provider": policy.provider, "mode": mode})
            return 0
        for note in reply.notes:
            print(f"note: {note}", flush=True)
        config = LoopConfig(rate_hz=1.0 / backend.period, pace=args.gui)
        recorder = VideoRecorder(backend, getattr(args, "video_size", DEFAULT_VIDEO_SIZE)) if args.video else None
        outcomes = run_plan(policy, recorder or backend, reply, canonical=canonical, config=config,
                            max_steps=args.max_steps, on_step=on_step)
        if recorder is not None and recorder.parts:
            recorder.record_now()  # the state after the last action
    summary = _summary(args, instruction, reply, outcomes, policy, mode, canonical)
    summary["time_to_first_action_s"] = round(first_action[0], 2) if first_action else None
    if recorder is not None and recorder.parts:
        summary["video"] = str(recorder.write(args.video, fps=1.0 / backend.period))
    done = sum(1 for o in outcomes if o.success)
    verdict = "SUCCESS" if summary["success"] else "FAILED"
    print(f"{verdict}: {done}/{len(outcomes)} plan steps succeeded in {summary['steps']} control steps; step latency "
          f"p50 {summary['latency_ms'].get('p50')} ms, p99 {summary['latency_ms'].get('p99')} ms; first action "
          f"{summary['time_to_first_action_s']} s after start; peak RSS {summary['max_rss_mb']} MB"
          + (f"; video {summary['video']}" if "video" in summary else ""))
    _write(args, summary)
    return 0


def _summary(args, instruction, reply, outcomes, policy, mode, canonical) -> dict:
    ran = [o for o in outcomes if o.result is not None]
    longest = max(ran, key=lambda o: o.steps).result if ran else None
    stages = longest.timing["stages"] if longest else {}
    one = reply.steps[0] if len(reply.steps) == 1 else None
    return {
        "instruction": instruction, "seed": args.seed,
        "task": one.task if one else None, "args": dict(one.args) if one else None,
        "plan": reply.to_dict(canonical=canonical), "canonical": canonical,
        "outcomes": [o.to_dict() for o in outcomes],
        "success": all(o.success for o in outcomes), "steps": sum(o.steps for o in outcomes),
        "done": round(ran[-1].result.done, 3) if ran else None,
        "runtime": policy.runtime, "provider": policy.provider, "mode": mode,
        # latency of the longest step (each step is its own episode of the control loop)
        "latency_ms": {k[:-3]: v for k, v in stages.get("total", {}).items() if k in ("p50_ms", "p95_ms", "p99_ms")},
        "stages_ms": {name: v["p50_ms"] for name, v in stages.items()},
        "missed_deadlines": longest.timing.get("missed_deadlines") if longest else None,
        "max_rss_mb": round(rss_mb(), 1),
        "safety_events": {k: sum(o.result.safety_events.get(k, 0) for o in ran)
                          for k in sorted({k for o in ran for k in o.result.safety_events})},
    }


def _write(args, summary: dict) -> None:
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(summary, f, indent=2)
