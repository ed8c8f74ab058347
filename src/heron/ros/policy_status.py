"""The policy node's /heron/status (String JSON) and /diagnostics, built from the node's state.

``activity`` says what a lifecycle transition is doing while it runs: during configure, "loading the
policy" or, on a first run with an empty cache, "exporting the policy to ONNX (first run)"; the
``state`` is then "configuring".
"""

from __future__ import annotations

import json

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from heron.runtime.timing import percentiles_ms


def node_status(node) -> dict:
    loop = node.loop
    timing = loop.stats.summary() if loop else {"stages": {"total": {}}, "missed_deadlines": 0, "steps": 0}
    total, stages = timing["stages"]["total"], timing["stages"]
    img = percentiles_ms(list(node.image_to_cmd))
    return {
        "state": "stopped" if node.stopped and node.state == "active" else node.state,
        "activity": f"{node.state}: {node.activity}" if node.activity else None,
        "policy": node.config.policy,
        "instruction": loop.instruction if loop else None,
        "done": round(float(getattr(node, "_last_done", 0.0)), 4),
        "holding": node.holding,
        "steps": timing["steps"],
        "commands_sent": node.commands_sent,
        "messages_in": node.messages_in,
        "instructions_in": node.instructions_in,
        "last_step_ms": node._last_step_ms,
        "step_latency_ms": {"p50": total.get("p50_ms"), "p99": total.get("p99_ms")},
        "inference_ms": {"p50": stages.get("inference", {}).get("p50_ms"), "p99": stages.get("inference", {}).get("p99_ms")},
        "image_to_cmd_ms": {"p50": img["p50_ms"], "p99": img["p99_ms"]},
        "missed_deadlines": timing["missed_deadlines"],
        "bad_inputs": node.bad_inputs,
        "last_bad_input": node.last_bad_input,
        "last_bad_input_ms": node.last_bad_input_ms,
        "safety_events": dict(loop.event_counts) if loop else {},
        "last_error": node.last_error,  # None once the node is healthy again; then past_error holds it
        "past_error": node.past_error,
    }


def diagnostics(node, s: dict) -> DiagnosticArray:
    """One DiagnosticStatus: WARN when not active or holding, OK when commanding; every status key as a value."""
    d = DiagnosticStatus(name=f"{node.get_name()}: control", hardware_id="heron")
    if s["state"] != "active":
        d.level, d.message = DiagnosticStatus.WARN, f"not active ({s['activity'] or s['state']})"
    elif s["holding"]:
        d.level, d.message = DiagnosticStatus.WARN, f"holding: {s['holding']}"
    else:
        d.level, d.message = DiagnosticStatus.OK, "commanding"
    d.values = [KeyValue(key=k, value=json.dumps(v)) for k, v in s.items()]
    return DiagnosticArray(status=[d])
