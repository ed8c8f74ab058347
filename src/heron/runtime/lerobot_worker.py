"""Runs inside LeRobot's own venv (never heron's): one LeRobot policy folder behind a pipe.

    python -I lerobot_worker.py FOLDER [THREADS]

Imports only the standard library, numpy, torch and lerobot, so that it runs with any Python that has
LeRobot installed. The policy and its processors are LeRobot's own: ``PreTrainedConfig.from_pretrained``,
``get_policy_class(type).from_pretrained`` and ``make_pre_post_processors(cfg, pretrained_path=FOLDER)``
(the pipelines ``lerobot-train`` saves beside the weights; without them, the ones the policy type makes
with no dataset statistics). Each step is what ``lerobot-eval`` does: images HWC uint8 -> (1, 3, H, W)
float in [0, 1], state -> (1, D) float32, ``task`` -> [text]; preprocessor, ``select_action``,
postprocessor.

Protocol (``heron/runtime/lerobot_policy.py`` is the other end). Each message is one JSON line, for
``act`` followed by the raw bytes of the arrays it lists:
    -> {"cmd": "act", "task": str, "arrays": [[key, dtype, shape], ...]} + bytes   <- {"action": [...]}
    -> {"cmd": "reset"}                                                            <- {"ok": true}
    -> {"cmd": "close"} or end of input                                            (exits)
The first line it writes, once loaded, is {"ready": true, "type": ..., "lerobot": version, ...};
any failure is {"error": text}. LeRobot's own prints go to stderr: stdout carries only the protocol.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

PREPROCESSOR = "policy_preprocessor.json"


def _send(out, msg: dict) -> None:
    out.write((json.dumps(msg) + "\n").encode())
    out.flush()


def _load(folder: str):
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors

    cfg = PreTrainedConfig.from_pretrained(folder)
    cfg.device = "cpu"
    policy = get_policy_class(cfg.type).from_pretrained(folder, config=cfg)
    policy.eval()
    saved = os.path.join(folder, PREPROCESSOR)
    if os.path.isfile(saved):
        with open(saved) as f:
            steps = [s.get("registry_name") for s in json.load(f).get("steps", [])]
        overrides = {"device_processor": {"device": "cpu"}} if "device_processor" in steps else {}
        pre, post = make_pre_post_processors(cfg, pretrained_path=folder, preprocessor_overrides=overrides)
        processors = "saved"
    else:
        pre, post = make_pre_post_processors(cfg)
        processors = "new (no dataset statistics: inputs and actions are not normalised)"
    return cfg, policy, pre, post, processors


def _batch(header: dict, payload: bytes):
    import numpy as np
    import torch

    batch, pos = {}, 0
    for key, dtype, shape in header["arrays"]:
        n = int(np.prod(shape)) * np.dtype(dtype).itemsize
        x = np.frombuffer(payload[pos:pos + n], dtype=dtype).reshape(shape)
        pos += n
        t = torch.from_numpy(x.copy())
        if t.dtype == torch.uint8:  # an image: HWC uint8 -> 1CHW float in [0, 1], as lerobot-eval does
            t = t.permute(2, 0, 1).float().div_(255)
        batch[key] = t.float().unsqueeze(0)
    batch["task"] = [header.get("task", "")]
    return batch


def _act(policy, pre, post, header: dict, payload: bytes) -> list[float]:
    import torch

    with torch.inference_mode():
        action = post(policy.select_action(pre(_batch(header, payload))))
    return [float(v) for v in action.reshape(-1).tolist()]


def serve(folder: str, threads: int | None, inp, out) -> int:
    try:
        import torch

        if threads:
            torch.set_num_threads(threads)
        import lerobot

        cfg, policy, pre, post, processors = _load(folder)
    except BaseException as exc:  # noqa: BLE001 - reported to heron, which raises it with the folder's name
        _send(out, {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-3000:]})
        return 1
    _send(out, {"ready": True, "type": cfg.type, "lerobot": getattr(lerobot, "__version__", "?"),
                "python": sys.executable, "processors": processors})
    while True:
        line = inp.readline()
        if not line:
            return 0
        header = json.loads(line)
        payload = inp.read(int(header.get("nbytes", 0))) if header.get("nbytes") else b""
        try:
            if header["cmd"] == "act":
                _send(out, {"action": _act(policy, pre, post, header, payload)})
            elif header["cmd"] == "reset":
                policy.reset()
                pre.reset()
                post.reset()
                _send(out, {"ok": True})
            elif header["cmd"] == "close":
                return 0
            else:
                _send(out, {"error": f"unknown command {header['cmd']!r}"})
        except Exception as exc:  # noqa: BLE001
            _send(out, {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-3000:]})


def main() -> int:
    out = os.fdopen(os.dup(1), "wb")  # the protocol's own copy of stdout ...
    os.dup2(2, 1)  # ... and everything else printed (LeRobot's "Loading weights ...") goes to stderr
    sys.stdout = sys.stderr
    threads = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "0" else None
    return serve(sys.argv[1], threads, sys.stdin.buffer, out)


if __name__ == "__main__":
    sys.exit(main())
