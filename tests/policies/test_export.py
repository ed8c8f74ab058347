"""ONNX export: both graphs, the spec, parity with PyTorch, fp16, and a dynamic batch axis."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import torch

from heron.policies.checkpoint import load_policy_model
from heron.policies.export import STEP_INPUTS, STEP_OUTPUTS, example_inputs, export_policy


def test_export_writes_graphs_spec_and_passes_parity(tiny_onnx):
    spec = json.loads((tiny_onnx / "spec.json").read_text())
    assert spec["parity"]["max_abs_diff"] <= 1e-4
    assert spec["stats"]["proprio"]["mean"]
    for name in ("policy_step.onnx", "instruction_encoder.onnx", "tokenizer.json"):
        assert (tiny_onnx / name).is_file()


def test_dynamic_batch_axis(tiny_policy, tiny_onnx):
    model = load_policy_model(tiny_policy)
    sess = ort.InferenceSession(str(tiny_onnx / "policy_step.onnx"), providers=["CPUExecutionProvider"])
    for batch in (1, 5):
        ex = example_inputs(model, batch=batch, seed=batch)
        got = sess.run(list(STEP_OUTPUTS), {n: ex[n].numpy() for n in STEP_INPUTS})
        with torch.no_grad():
            ref = model(*(ex[n] for n in STEP_INPUTS))
        assert got[0].shape == (batch, model.cfg.head.chunk, 5)
        assert np.abs(got[0] - ref["action"].numpy()).max() <= 1e-4


def test_lstm_flamingo_exports_with_state(tmp_path, synthetic_demos):
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    cfg = load_train_config("configs/train/tiny.yaml", [f"data={synthetic_demos}", f"out={tmp_path}", "steps=2",
                                                       "policy_overrides=[fusion.type=flamingo, head.type=lstm, history=2]"])
    Trainer(cfg, progress=False).fit()
    spec = export_policy(tmp_path / "final", tmp_path / "onnx", fp16=True)
    assert spec["recurrent"] and spec["parity"]["max_abs_diff"] <= 1e-4
    assert (tmp_path / "onnx" / "policy_step.fp16.onnx").is_file()
    sess = ort.InferenceSession(str(tmp_path / "onnx" / "policy_step.fp16.onnx"), providers=["CPUExecutionProvider"])
    model = load_policy_model(tmp_path / "final")
    ex = example_inputs(model, batch=1)
    ex["images"], ex["proprio"] = ex["images"][:, :, -1:], ex["proprio"][:, -1:]  # one step at run time
    action, done, state = sess.run(list(STEP_OUTPUTS), {n: ex[n].numpy() for n in STEP_INPUTS})
    assert state.shape == (1, model.head.state_size()) and np.isfinite(action).all()


def test_wrist_scale_and_cond_queries_export_with_parity(tmp_path, synthetic_demos):
    """The wrist camera's pooling and the attention-pooled conditioning are inside the graph: the ONNX
    step takes full-size frames and agrees with PyTorch."""
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    cfg = load_train_config("configs/train/tiny.yaml", [f"data={synthetic_demos}", f"out={tmp_path}", "steps=2",
                                                       "policy_overrides=[wrist_scale=2, vision.pool=2, cond_queries=2]"])
    Trainer(cfg, progress=False).fit()
    spec = export_policy(tmp_path / "final", tmp_path / "onnx")
    assert spec["parity"]["max_abs_diff"] <= 1e-4
    assert spec["inputs"]["images"]["shape"][-3:] == [64, 64, 3]
