"""Writing an evaluation's results: JSON, a markdown table, a bar chart with Wilson error bars."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def markdown_table(result: dict[str, Any]) -> str:
    """Success per family and overall (Wilson 95% interval), mean steps; chain metrics if any."""
    agg = result["aggregates"]
    cfg = result.get("config", {})
    title = f"policy `{cfg.get('policy', '?')}` on suite `{cfg.get('suite', '?')}`"
    if cfg.get("shuffle_instructions"):
        title += " (instructions shuffled)"
    lines = [f"### {title}", "", "| family | episodes | success | 95% CI | mean steps |", "|---|---:|---:|---:|---:|"]
    rows = list(agg["families"].items()) + [("**overall**", agg["overall"])]
    for name, s in rows:
        lines.append(
            f"| {name} | {s['n']} | {_pct(s['rate'])} | {_pct(s['ci_low'])}–{_pct(s['ci_high'])} | {s['mean_steps']:.1f} |"
        )
    chains = agg.get("chains")
    if chains:
        ks = chains["success_after"]
        lines += ["", "| instructions in a row | " + " | ".join(str(k["k"]) for k in ks) + " | avg len |"]
        lines.append("|---|" + "---:|" * (len(ks) + 1))
        lines.append("| success | " + " | ".join(_pct(k["rate"]) for k in ks) + f" | {chains['avg_len']:.2f} |")
        done = chains.get("done") or {}
        if done:
            lines += ["", "| `done` fired | subtasks | rate | 95% CI |", "|---|---:|---:|---:|"]
            for key, what in (("early", "before success (too early)"), ("late", "> 5 steps after success or never (too late)")):
                if key in done:
                    s = done[key]
                    lines.append(f"| {what} | {s['n']} | {_pct(s['rate'])} | {_pct(s['ci_low'])}–{_pct(s['ci_high'])} |")
        subs = chains.get("subtasks") or {}
        if subs:
            lines += ["", "| subtask in chains | attempted | success | 95% CI |", "|---|---:|---:|---:|"]
            for name, s in subs.items():
                lines.append(f"| {name} | {s['n']} | {_pct(s['rate'])} | {_pct(s['ci_low'])}–{_pct(s['ci_high'])} |")
    if agg.get("axes"):
        lines += ["", axis_table(agg["axes"])]
    return "\n".join(lines) + "\n"


def axis_table(axes: dict[str, Any]) -> str:
    """Robust suite: one row per axis, overall with its Wilson interval, then each family."""
    fams = sorted({f for a in axes.values() for f in a["families"]})
    lines = ["| axis | episodes | success | 95% CI | " + " | ".join(fams) + " |", "|---|---:|---:|---|" + "---:|" * len(fams)]
    for name, a in axes.items():
        s = a["overall"]
        cells = [_pct(a["families"][f]["rate"]) if f in a["families"] else "" for f in fams]
        lines.append(f"| {name} | {s['n']} | {_pct(s['rate'])} | {_pct(s['ci_low'])}–{_pct(s['ci_high'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def write_json(result: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2, default=_jsonable)
    return path


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def bar_chart(result: dict[str, Any], path: str | Path) -> Path:
    """A PNG: success per family (and overall, and chain k-in-a-row) with Wilson 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    agg = result["aggregates"]
    groups = [("overall", agg["overall"])] + list(agg["families"].items())
    if agg.get("axes"):  # robust suite: one bar per axis
        groups = [("overall", agg["overall"])] + [(name, a["overall"]) for name, a in agg["axes"].items()]
        agg = {**agg, "families": dict(groups[1:])}
    if agg.get("chains"):
        groups += [(f"{k['k']} in a row", k) for k in agg["chains"]["success_after"]]
    names = [g[0] for g in groups]
    rates = [0.0 if math.isnan(g[1]["rate"]) else g[1]["rate"] for g in groups]
    low = [max(0.0, r - g[1]["ci_low"]) for r, g in zip(rates, groups)]
    high = [max(0.0, g[1]["ci_high"] - r) for r, g in zip(rates, groups)]
    colors = ["#444444"] + ["#3b7dd8"] * len(agg["families"]) + ["#d8873b"] * (len(groups) - 1 - len(agg["families"]))
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(groups) + 1.5), 3.6), dpi=120)
    ax.bar(range(len(groups)), rates, yerr=[low, high], capsize=4, color=colors)
    for i, g in enumerate(groups):
        ax.text(i, 0.02, f"n={g[1]['n']}", ha="center", va="bottom", fontsize=7,
                color="white" if rates[i] > 0.08 else "#333333")
    ax.set_xticks(range(len(groups)), names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success rate (Wilson 95% CI)")
    cfg = result.get("config", {})
    ax.set_title(f"{cfg.get('policy', '?')} on {cfg.get('suite', '?')}", fontsize=10)
    return save_figure(fig, path)


def save_figure(fig, path: str | Path) -> Path:
    """Lay out, write (creating the folder) and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_reports(result: dict[str, Any], json_path: str | Path) -> dict[str, str]:
    """JSON at ``json_path``, and the markdown table and PNG chart beside it (same stem)."""
    json_path = Path(json_path)
    out = {"json": str(json_path)}
    md = json_path.with_suffix(".md")
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(markdown_table(result))
    out["markdown"] = str(md)
    out["chart"] = str(bar_chart(result, json_path.with_suffix(".png")))
    result["outputs"] = out
    write_json(result, json_path)
    return out
