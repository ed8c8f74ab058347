"""Interpreter figures, one JSON line: rule time per command over the commands suite, and the MiniLM
fallback's cosine on probe phrasings no rule reads (what the threshold separates).

    heron bench interpreter [--suite configs/eval/commands.jsonl] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time

# Clauses no rule reads: the first group should be understood, the second should not.
WANTED = ["levitate the crimson cube", "snag the red block", "nab the blue cube", "hug the yellow block",
          "heave the blue cube", "yank the red block"]
STATEMENTS = ["the red block is pretty", "what color is the red block", "is the red block heavy",
              "I like the blue block", "how far is the red block", "where is the blue block",
              "tell me about the green cube"]


HELP = "plain-language interpreter: rule time per command, and the MiniLM fallback's cosine on probe phrasings"


def add_arguments(p) -> None:
    p.add_argument("--suite", default="configs/eval/commands.jsonl", help="the commands suite (JSONL)")
    p.add_argument("--repeats", type=int, default=3, help="passes over the suite for the timing")


def run(args) -> dict:
    from heron.configs import find
    from heron.language import Interpreter, vocabulary_scene
    from heron.language.embedding import MiniLMEmbedder, candidate_steps
    from heron.language.mentions import Context

    scene = vocabulary_scene()
    rows = [json.loads(line)["command"] for line in open(find(args.suite), encoding="utf-8") if line.strip()]
    rules = Interpreter()
    for text in rows:
        rules.interpret(text, scene)
    t0 = time.perf_counter()
    for _ in range(args.repeats):
        for text in rows:
            rules.interpret(text, scene)
    per_ms = 1000 * (time.perf_counter() - t0) / (args.repeats * len(rows))
    emb = MiniLMEmbedder()
    threshold = rules.config.threshold

    def score(text):
        cands = candidate_steps(text, scene, Context())
        i, cos = emb.best(text, [c[2] for c in cands])
        return {"text": text, "cosine": round(cos, 3), "family": cands[i][0]}

    wanted, statements = [score(t) for t in WANTED], [score(t) for t in STATEMENTS]
    return {
        "rules_ms_per_command": round(per_ms, 2), "commands": len(rows), "threshold": threshold,
        "wanted": wanted, "statements": statements,
        "wanted_accepted": sum(w["cosine"] >= threshold for w in wanted),
        "statements_rejected": sum(s["cosine"] < threshold for s in statements),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(p)
    print(json.dumps(run(p.parse_args(argv))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
