"""heron export: a trained policy folder -> ONNX graphs + spec, checked against PyTorch."""

from __future__ import annotations

import json

HELP = "export a policy to ONNX (instruction_encoder.onnx + policy_step.onnx) with a parity check"


def add_arguments(p) -> None:
    p.add_argument("--policy", default="default", help="policy folder or 'default'")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--fp16", action="store_true", help="also write fp16 graphs for GPUs")
    p.add_argument("--data", default=None, help="demonstrations to check parity on recorded observations (default: random inputs)")
    p.add_argument("--closed-loop-episodes", type=int, default=0,
                   help="also run this many fixed-seed simulator episodes with both runtimes and compare outcomes")


def recorded_inputs(model, data: str, n: int = 16) -> dict:
    """Step inputs built from recorded observations (not random noise) for the parity check."""
    import numpy as np
    import torch

    from heron.data import DemoDataset, WindowDataset
    from heron.policies.language import Tokenizer, tokenizer_dir

    cfg = model.cfg
    windows = WindowDataset(DemoDataset(data), cfg.history, cfg.head.chunk, in_memory=False)
    picks = np.linspace(0, len(windows) - 1, n).astype(int)
    samples = [windows[int(i)] for i in picks]
    tok = Tokenizer(tokenizer_dir(cfg.language), cfg.language.max_tokens)
    ids, mask = map(np.concatenate, zip(*(tok(s["instruction"]) for s in samples)))
    ids, mask = torch.from_numpy(ids), torch.from_numpy(mask)
    with torch.no_grad():
        lang = model.encode_instruction(ids, mask)
    images = torch.from_numpy(np.stack([np.stack([s[c] for c in cfg.cameras]) for s in samples]))
    proprio = torch.from_numpy(np.stack([s["proprio"] for s in samples]))
    return {"images": images, "proprio": proprio, "lang": lang, "lang_mask": mask, "state": model.initial_state(n),
            "input_ids": ids, "attention_mask": mask}


def closed_loop_parity(policy: str, out: str, episodes: int) -> dict:
    from heron.evaluation.evaluate import evaluate

    results = {rt: evaluate(policy if rt == "torch" else out, suite="seen", episodes=episodes, workers=1, runtime=rt)
               for rt in ("torch", "onnx")}
    outcomes = {rt: [r["success"] for r in res["episodes"]] for rt, res in results.items()}
    return {"episodes": episodes, "torch_success": results["torch"]["overall"]["success"],
            "onnx_success": results["onnx"]["overall"]["success"], "same_outcomes": outcomes["torch"] == outcomes["onnx"],
            "mismatched": sum(a != b for a, b in zip(outcomes["torch"], outcomes["onnx"]))}


def run(args) -> int:
    from pathlib import Path

    from heron.policies.checkpoint import load_policy_model
    from heron.policies.export import check_parity, export_policy

    spec = export_policy(args.policy, args.out, fp16=args.fp16)
    if args.data:
        model = load_policy_model(args.policy)
        spec["parity_recorded"] = check_parity(model, Path(args.out), recorded_inputs(model, args.data))
    if args.closed_loop_episodes:
        spec["parity_closed_loop"] = closed_loop_parity(args.policy, args.out, args.closed_loop_episodes)
    (Path(args.out) / "spec.json").write_text(json.dumps(spec, indent=2))
    print(json.dumps({k: spec[k] for k in ("config_hash", "parity", "parity_recorded", "parity_closed_loop", "fp16") if k in spec}))
    if "parity_closed_loop" in spec and not spec["parity_closed_loop"]["same_outcomes"]:
        print("warning: closed-loop outcomes differ between PyTorch and ONNX Runtime")
        return 1
    return 0
