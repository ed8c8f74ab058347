"""fusion.type: vlm with tiny random VLM folders made offline, one per supported architecture: train a few
steps, save and reload exactly, export to ONNX with parity, run closed-loop in the simulator; plus the
bad-input errors and the base preset's separate pretrained towers from local folders."""

from __future__ import annotations

import json

import pytest
import torch

from heron.policies.checkpoint import load_policy_model
from heron.policies.config import load_policy_config
from heron.policies.export import STEP_INPUTS, ExportError, example_inputs, export_policy
from heron.policies.fusion.vlm import ARCHITECTURES, VlmError
from heron.policies.fusion.vlm_random import make_random_vlm
from heron.policies.model import HeronPolicy

ARCHS = ["smolvlm", "idefics3", "paligemma", "qwen2_vl", "qwen2_5_vl"]


@pytest.fixture(scope="module")
def vlm_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("vlms")
    return {a: make_random_vlm(root / a, a) for a in ARCHS}


def _train(tmp_path, data, vlm_dir, extra=()):
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    overrides = ["fusion.type=vlm", f"fusion.vlm_path={vlm_dir}", "fusion.vlm_image_size=32", "fusion.lora_rank=4",
                 "fusion.num_queries=2", *extra]
    cfg = load_train_config("configs/train/tiny.yaml", [f"data={data}", f"out={tmp_path}", "steps=3",
                                                       f"policy_overrides=[{', '.join(overrides)}]"])
    Trainer(cfg, progress=False).fit()
    return tmp_path / "final"


def _step(model, ex):
    with torch.no_grad():
        return model(*(ex[n] for n in STEP_INPUTS))


@pytest.mark.parametrize("arch", ARCHS)
def test_vlm_trains_saves_reloads_exports_and_runs_closed_loop(tmp_path, synthetic_demos, vlm_dirs, arch):
    from safetensors import safe_open

    from heron.evaluation.evaluate import evaluate

    folder = _train(tmp_path, synthetic_demos, vlm_dirs[arch])
    saved = json.loads((folder / "config.json").read_text())["policy"]["fusion"]
    assert saved["vlm_sha256"] and len(saved["vlm_sha256"]) == 64
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert any("lora_" in k for k in keys), "LoRA adapters are saved"
    assert not any("vision" in k or "visual" in k or "embed_tokens" in k or "base_layer" in k for k in keys), \
        "frozen pretrained weights are referenced, not copied"

    model = load_policy_model(folder)
    assert model.fusion.arch == arch
    trained = {k: v for k, v in model.trainable_state_dict().items() if "lora_B" in k}
    assert trained and any(v.abs().max() > 0 for v in trained.values()), "LoRA B starts at zero; training moved it"
    ex = example_inputs(model, batch=1)
    again = load_policy_model(folder)
    a, b = _step(model, ex), _step(again, ex)
    assert torch.equal(a["action"], b["action"]) and torch.equal(a["done_logit"], b["done_logit"])

    runtimes = ["torch"]
    if arch in ("qwen2_vl", "qwen2_5_vl"):
        with pytest.raises(ExportError, match=r"vision tower .* splits the flat patch sequence per image .* torch.export cannot trace"):
            export_policy(folder, tmp_path / "onnx")
    else:
        spec = export_policy(folder, tmp_path / "onnx")
        assert spec["parity"]["max_abs_diff"] <= 1e-4
        runtimes.append("onnx")

    # Closed loop in the simulator, through PyTorch and through the exported graphs: the same episode.
    runs = {rt: evaluate(str(folder if rt == "torch" else tmp_path / "onnx"), "seen", episodes=1, tasks=["touch"], runtime=rt)
            for rt in runtimes}
    outcomes = {(r["episodes"][0]["steps"], r["episodes"][0]["success"]) for r in runs.values()}
    assert len(outcomes) == 1 and runs["torch"]["episodes"][0]["steps"] > 0, runs


def test_vlm_options_freeze_truncate_and_checkpointing(vlm_dirs):
    base = ["fusion.type=vlm", f"fusion.vlm_path={vlm_dirs['smolvlm']}", "fusion.vlm_image_size=32"]
    full = HeronPolicy(load_policy_config("tiny", base))
    assert len(full.fusion.text.layers) == 2
    cut = HeronPolicy(load_policy_config("tiny", base + ["fusion.vlm_layers=1", "fusion.freeze_vision=false",
                                                         "fusion.gradient_checkpointing=true"]))
    assert len(cut.fusion.text.layers) == 1 and cut.fusion.text.is_gradient_checkpointing
    assert all(p.requires_grad for p in cut.fusion.vision.parameters())
    assert not any(p.requires_grad for p in full.fusion.vision.parameters())
    assert not full.fusion.text.get_input_embeddings().weight.requires_grad
    frozen = HeronPolicy(load_policy_config("tiny", base + ["fusion.freeze_lm=true"]))
    assert not any(p.requires_grad for p in frozen.fusion.text.parameters())
    # The instruction changes the action: the VLM's own embeddings carry it.
    ex = example_inputs(full, batch=1)
    other = dict(ex, lang=full.encode_instruction(ex["input_ids"].flip(1), ex["attention_mask"]))
    assert not torch.allclose(_step(full, ex)["action"], _step(full, other)["action"])


def test_vlm_bad_input_is_named(tmp_path, vlm_dirs):
    def build(path, *extra):
        return HeronPolicy(load_policy_config("tiny", ["fusion.type=vlm", f"fusion.vlm_path={path}", *extra]))

    with pytest.raises(VlmError, match="not a directory"):
        build(tmp_path / "nope")
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(VlmError, match=r"'bert' model, not a supported VLM; supported architectures: .*PaliGemma.*Qwen2-VL"):
        build(bert)
    assert {"smolvlm", "paligemma", "qwen2_vl"} <= set(ARCHITECTURES)
    no_tok = make_random_vlm(tmp_path / "no_tok", "smolvlm")
    (no_tok / "tokenizer.json").unlink()
    with pytest.raises(VlmError, match="no tokenizer.json"):
        build(no_tok)
    with pytest.raises(VlmError, match=r"fusion.lora_rank=999 is out of range"):
        build(vlm_dirs["smolvlm"], "fusion.lora_rank=999", "fusion.vlm_image_size=32")
    with pytest.raises(VlmError, match=r"fusion.vlm_layers=7 is out of range: .* has 2 LM layers"):
        build(vlm_dirs["smolvlm"], "fusion.vlm_layers=7")
    with pytest.raises(VlmError, match="must be a multiple of 16"):
        build(vlm_dirs["smolvlm"], "fusion.vlm_image_size=40")
    with pytest.raises(Exception, match=r"fusion.vlm_image_size=3136: allowed 16..1024"):
        load_policy_config("tiny", ["fusion.type=vlm", f"fusion.vlm_path={vlm_dirs['qwen2_vl']}", "fusion.vlm_image_size=3136"])
    with pytest.raises(Exception, match="fusion.vlm_path is required"):
        load_policy_config("tiny", ["fusion.type=vlm"])


def test_vlm_checkpoint_refuses_different_weights(tmp_path, synthetic_demos):
    from heron.policies.checkpoint import save_policy

    vlm = make_random_vlm(tmp_path / "vlm", "paligemma", seed=0)
    model = HeronPolicy(load_policy_config("tiny", ["fusion.type=vlm", f"fusion.vlm_path={vlm}"]))
    save_policy(model, tmp_path / "policy")
    load_policy_model(tmp_path / "policy")  # same weights: fine
    make_random_vlm(vlm, "paligemma", seed=1)  # the folder now holds other weights
    with pytest.raises(VlmError, match=r"sha256 .* but this policy was trained on weights with sha256"):
        load_policy_model(tmp_path / "policy")


def test_base_preset_towers_from_local_folders(tmp_path, synthetic_demos):
    """The separate-towers path: a local SigLIP vision folder, a local BERT-style encoder, a local LM."""
    import shutil

    from transformers import BertConfig, BertModel, LlamaConfig, LlamaModel, SiglipVisionConfig, SiglipVisionModel

    from heron.policies.language import minilm_path

    SiglipVisionModel(SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                         image_size=64, patch_size=16)).save_pretrained(tmp_path / "vision")
    vocab = BertConfig.from_pretrained(str(minilm_path())).vocab_size
    BertModel(BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64)).save_pretrained(tmp_path / "lang")
    shutil.copy(minilm_path() / "tokenizer.json", tmp_path / "lang" / "tokenizer.json")
    LlamaModel(LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=4, vocab_size=8)).save_pretrained(tmp_path / "lm")
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    overrides = ["image_size=64", f"vision.pretrained_path={tmp_path / 'vision'}", "language.type=pretrained",
                 f"language.path={tmp_path / 'lang'}", "fusion.lm=pretrained", f"fusion.lm_path={tmp_path / 'lm'}",
                 "fusion.hidden_size=64", "fusion.num_layers=2", "fusion.num_heads=4", "head.hidden=64"]
    cfg = load_train_config("configs/train/tiny.yaml", [f"data={synthetic_demos}", f"out={tmp_path / 'run'}", "steps=2",
                                                       "policy=base", f"policy_overrides=[{', '.join(overrides)}]"])
    Trainer(cfg, progress=False).fit()
    model = load_policy_model(tmp_path / "run" / "final")
    assert type(model.vision.backbone).__name__.startswith("SiglipVision")
    ex = example_inputs(model, batch=2)
    assert torch.equal(_step(model, ex)["action"], _step(load_policy_model(tmp_path / "run" / "final"), ex)["action"])
    spec = export_policy(tmp_path / "run" / "final", tmp_path / "onnx")
    assert spec["parity"]["max_abs_diff"] <= 1e-4
