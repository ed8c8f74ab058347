"""Every preset and every fusion x head builds, runs, saves and reloads to exactly the same outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from heron.configtools import ConfigError
from heron.policies.checkpoint import CheckpointError, load_policy_model, save_policy
from heron.policies.config import CONFIG_DIR, load_policy_config
from heron.policies.export import example_inputs
from heron.policies.model import HeronPolicy

COMBOS = [(f, h) for f in ("palme", "flamingo") for h in ("mlp", "lstm", "bins")]


def _run(model, inputs):
    with torch.no_grad():
        return model(inputs["images"], inputs["proprio"], inputs["lang"], inputs["lang_mask"], inputs["state"])


@pytest.mark.parametrize("fusion,head", COMBOS)
def test_fusion_head_combination_saves_and_reloads_exactly(tmp_path, fusion, head):
    cfg = load_policy_config("tiny", [f"fusion.type={fusion}", f"head.type={head}", "history=2"])
    torch.manual_seed(0)
    model = HeronPolicy(cfg).eval()
    inputs = example_inputs(model, batch=3)
    out = _run(model, inputs)
    assert out["action"].shape == (3, cfg.head.chunk, 5)
    assert out["done_logit"].shape == (3,)
    assert torch.isfinite(out["action"]).all()
    save_policy(model, tmp_path / "p", stats={"proprio": {"mean": [0.0] * 22, "std": [1.0] * 22}})
    again = _run(load_policy_model(tmp_path / "p"), inputs)
    for key in ("action", "done_logit", "state"):
        assert torch.equal(out[key], again[key]), key


@pytest.mark.parametrize("preset", sorted(p.stem for p in CONFIG_DIR.glob("*.yaml")))
def test_every_preset_parses(preset):
    cfg = load_policy_config(preset)
    assert cfg.name == preset


def test_small_preset_builds_with_frozen_minilm():
    model = HeronPolicy(load_policy_config("small"))
    assert model.language.external_weights
    assert not any(p.requires_grad for p in model.language.parameters())
    assert not any(k.startswith("language.") for k in model.trainable_state_dict())
    out = _run(model.eval(), example_inputs(model, batch=1))
    assert out["action"].shape == (1, 8, 5)


def test_language_changes_the_action():
    """The instruction reaches the output (FiLM + tokens): two instructions give different chunks."""
    torch.manual_seed(0)
    model = HeronPolicy(load_policy_config("tiny")).eval()
    for p in model.vision.film.parameters():  # FiLM starts as identity; give it some weight
        torch.nn.init.normal_(p, std=0.1)
    a = example_inputs(model, batch=1, seed=0)
    b = dict(a, lang=example_inputs(model, batch=1, seed=1)["lang"])
    assert not torch.allclose(_run(model, a)["action"], _run(model, b)["action"])


@pytest.mark.parametrize("override,needle", [
    (["fusion.type=perceiver"], "fusion.type"),
    (["head.chunk=0"], "head.chunk"),
    (["vision.depths=[1]"], "vision.hidden_sizes"),
    (["histroy=2"], "did you mean 'history'"),
    (["image_size=big"], "image_size"),
    (["cameras=[top]"], "cameras"),  # camera keys are named rgb_<camera>
])
def test_bad_config_names_the_key(override, needle):
    with pytest.raises(ConfigError) as err:
        load_policy_config("tiny", override)
    assert needle.lower() in str(err.value).lower()


def test_unknown_preset_lists_known():
    with pytest.raises(ConfigError, match="small"):
        load_policy_config("smol")


def test_missing_pretrained_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        HeronPolicy(load_policy_config("tiny", ["vision.type=pretrained", f"vision.pretrained_path={tmp_path / 'nope'}"]))


def test_corrupt_and_missing_checkpoints(tmp_path, tiny_policy):
    with pytest.raises(CheckpointError, match="not found"):
        load_policy_model(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in Path(tiny_policy).iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    data = (broken / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_policy_model(broken)
    (broken / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_policy_model(broken)
    (broken / "config.json").unlink()
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load_policy_model(broken)


def test_wrist_scale_pools_the_wrist_camera_only():
    """wrist_scale=2: the wrist frame is seen at half resolution (detail inside each 2x2 block is gone),
    the front frame at full resolution; the input shape and the token count stay the same."""
    cfg = load_policy_config("tiny", ["wrist_scale=2", "vision.pool=2"])
    torch.manual_seed(0)
    model = HeronPolicy(cfg).eval()
    assert model.vision.num_tokens == HeronPolicy(load_policy_config("tiny", ["vision.pool=2"])).vision.num_tokens
    inputs = example_inputs(model, batch=2)
    base = _run(model, inputs)["action"]
    wrist = cfg.cameras.index("rgb_wrist")
    front = cfg.cameras.index("rgb_front")

    def swap_within_blocks(images, cam):  # the same 2x2 block means, other pixels
        out = images.clone()
        view = out[:, cam]
        view[..., 0::2, :, :], view[..., 1::2, :, :] = images[:, cam][..., 1::2, :, :], images[:, cam][..., 0::2, :, :]
        return out

    same = _run(model, dict(inputs, images=swap_within_blocks(inputs["images"], wrist)))["action"]
    assert torch.allclose(base, same, atol=1e-5)
    moved = _run(model, dict(inputs, images=swap_within_blocks(inputs["images"], front)))["action"]
    assert not torch.allclose(base, moved, atol=1e-5)


@pytest.mark.parametrize("override,needle", [
    (["wrist_scale=3", "vision.pool=2"], "wrist_scale=3"),
    (["wrist_scale=2"], "vision.pool"),
    (["wrist_scale=2", "vision.type=vit", "vision.pool=2"], "conv tower"),
])
def test_bad_wrist_scale_names_the_key(override, needle):
    with pytest.raises(ConfigError, match=needle):
        load_policy_config("tiny", override)


def test_cond_queries_read_the_instruction_tokens_and_ignore_padding():
    """cond_queries=N: N attention queries over the instruction's tokens feed FiLM; padded tokens have no weight."""
    torch.manual_seed(0)
    model = HeronPolicy(load_policy_config("tiny", ["cond_queries=2"])).eval()
    assert model.cond[0].in_features == 2 * model.language.dim
    inputs = example_inputs(model, batch=2)
    mask = inputs["lang_mask"].clone()
    mask[:, -3:] = 0
    lang = inputs["lang"].clone()
    pooled = model.cond_pool(lang, mask)
    lang[:, -3:] += 5.0  # padding changes: the pooled conditioning does not
    assert torch.allclose(pooled, model.cond_pool(lang, mask), atol=1e-6)
    lang[:, 0] += 5.0  # a real token changes: it does
    assert not torch.allclose(pooled, model.cond_pool(lang, mask), atol=1e-3)
    with pytest.raises(ConfigError, match="cond_queries=17"):
        load_policy_config("tiny", ["cond_queries=17"])
