"""Training: losses fall, checkpoints resume, bad data is refused, and DDP ranks end identical."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import write_synthetic_demos

from heron.configtools import ConfigError
from heron.data import DatasetError
from heron.training.config import load_train_config
from heron.training.trainer import Trainer


def _cfg(data, out, *extra):
    return load_train_config("configs/train/tiny.yaml", [f"data={data}", f"out={out}", *extra])


def test_training_reduces_loss_and_writes_a_policy_folder(tmp_path, synthetic_demos):
    summary = Trainer(_cfg(synthetic_demos, tmp_path, "steps=40", "log_every=5", "augment.shift=0",
                           "augment.color_jitter=0"), progress=False).fit()
    history = json.loads((tmp_path / "history.json").read_text())
    losses = [h["loss"] for h in history if "loss" in h]
    assert losses[-1] < losses[0]
    for name in ("config.json", "model.safetensors", "stats.json", "train_config.json"):
        assert (tmp_path / "final" / name).is_file()
    assert summary["steps"] == 40
    assert (tmp_path / "tb").is_dir()


def test_resume_continues_from_the_checkpoint(tmp_path, synthetic_demos):
    first = Trainer(_cfg(synthetic_demos, tmp_path, "steps=10", "checkpoint_every=10", "log_every=2"), progress=False).fit()
    summary = Trainer(_cfg(synthetic_demos, tmp_path, "steps=14", "log_every=2"), progress=False).fit()
    assert summary["steps"] == 14
    history = json.loads((tmp_path / "history.json").read_text())
    steps = [h["step"] for h in history if "loss" in h]
    # the curve continues: the first run's records are kept, the second run's follow from step 10, none twice
    assert steps == [2, 4, 6, 8, 10, 12, 14]
    resumed = [h for h in history if "loss" in h and h["step"] > 10]
    # ... and so does the training clock (max_minutes and lr_schedule=minutes count from it)
    assert all(h["train_s"] >= first["train_s"] for h in resumed)
    assert summary["train_s"] > first["train_s"]


def test_the_same_seed_gives_the_same_run(tmp_path, synthetic_demos):
    runs = [Trainer(_cfg(synthetic_demos, tmp_path / name, "steps=8", "log_every=2", "seed=3"), progress=False).fit()
            for name in ("a", "b")]
    curves = [[h["loss"] for h in json.loads((tmp_path / n / "history.json").read_text()) if "loss" in h] for n in ("a", "b")]
    assert curves[0] == curves[1]
    assert runs[0]["weights_sha256"] == runs[1]["weights_sha256"]
    other = Trainer(_cfg(synthetic_demos, tmp_path / "c", "steps=8", "seed=4"), progress=False).fit()
    assert other["weights_sha256"] != runs[0]["weights_sha256"]


def test_minutes_schedule_anneals_over_the_time_budget():
    from heron.training.trainer import lr_lambda

    cfg = load_train_config("configs/train/tiny.yaml", ["lr_schedule=minutes", "max_minutes=10", "warmup_steps=4",
                                                        "lr_floor=0.1", "steps=1000000"])
    share = [0.0]
    f = lr_lambda(cfg, lambda: share[0])
    assert f(0) == pytest.approx(0.25)  # warm-up is counted in steps
    assert f(4) == pytest.approx(1.0)
    share[0] = 0.5
    assert f(5) == pytest.approx(0.55)  # half-way through the minutes: half-way down the cosine, whatever the step
    share[0] = 1.0
    assert f(6) == pytest.approx(0.1)
    share[0] = 3.0
    assert f(7) == pytest.approx(0.1)
    steps = lr_lambda(load_train_config("configs/train/tiny.yaml", ["steps=104", "warmup_steps=4"]), lambda: 0.9)
    assert steps(54) == pytest.approx(0.05 + 0.95 * 0.5)  # the steps schedule ignores the clock


def test_ema_weights_are_saved_and_the_raw_weights_resume(tmp_path, synthetic_demos):
    import torch
    from safetensors.torch import load_file

    trainer = Trainer(_cfg(synthetic_demos, tmp_path, "steps=10", "ema_decay=0.9", "checkpoint_every=10"), progress=False)
    trainer.fit()
    final = load_file(str(tmp_path / "final" / "model.safetensors"))
    raw = torch.load(tmp_path / "checkpoint" / "trainer_state.pt", weights_only=True)["raw_model"]
    moved = [k for k in final if final[k].is_floating_point() and not torch.equal(final[k], raw[k])]
    assert moved, "final/ should hold the average, which differs from the raw weights"
    for k, v in trainer.ema.model.trainable_state_dict().items():
        assert torch.equal(final[k], v), k
    assert trainer.ema.updates == 10
    again = Trainer(_cfg(synthetic_demos, tmp_path, "steps=12", "ema_decay=0.9"), progress=False)
    assert again.fit()["steps"] == 12
    assert again.ema.updates == 12  # the average's warm-up count continues too
    with pytest.raises(ConfigError, match="ema_decay"):
        Trainer(_cfg(synthetic_demos, tmp_path, "steps=14"), progress=False).fit()


def test_fine_tune_starts_from_the_saved_policy(tmp_path, synthetic_demos):
    import torch
    from safetensors.torch import load_file

    Trainer(_cfg(synthetic_demos, tmp_path / "base", "steps=6"), progress=False).fit()
    saved = tmp_path / "base" / "final"
    # different data statistics would be computed from a second dataset; the fine-tune keeps the saved ones
    trainer = Trainer(_cfg(synthetic_demos, tmp_path / "ft", "steps=1", f"init_from={saved}",
                           "policy=configs/policy/does-not-matter.yaml"), progress=False)
    trainer._setup()
    weights = load_file(str(saved / "model.safetensors"))
    for name, value in trainer.model.state_dict().items():
        if name in weights:
            assert torch.equal(value, weights[name]), name
    assert trainer.stats == json.loads((saved / "stats.json").read_text())
    with pytest.raises(ConfigError, match="init_from"):
        _cfg(synthetic_demos, tmp_path / "ft2", f"init_from={saved}", "policy_overrides=[head.chunk=4]")


def test_the_model_adopts_the_datas_features_unless_pinned(tmp_path):
    data = write_synthetic_demos(tmp_path / "d96", episodes=2, size=96)  # the tiny preset says 64
    summary = Trainer(_cfg(data, tmp_path / "run", "steps=2", "val_fraction=0"), progress=False).fit()
    assert summary["steps"] == 2
    saved = json.loads((tmp_path / "run" / "final" / "config.json").read_text())["policy"]
    assert saved["image_size"] == 96 and saved["cameras"] == ["rgb_front", "rgb_wrist"]
    assert (saved["proprio_dim"], saved["action_dim"]) == (22, 5)
    with pytest.raises(ConfigError, match=r"image_size=64 is pinned, but the data has image_size=96"):
        Trainer(_cfg(data, tmp_path / "run2", "policy_overrides=[image_size=64]"), progress=False).fit()


@pytest.mark.parametrize("override, message", [
    ("batch_size=0", "batch_size"),
    ("lr=fast", "lr"),
    ("optimiser=sgd", "unknown key"),
    ("precision=fp16", "precision='fp16': allowed fp32, bf16"),
    ("lr_schedule=minutes", "lr_schedule=minutes: the cosine runs over max_minutes"),
    ("lr_schedule=hours", "lr_schedule='hours': allowed steps, minutes"),
    ("ema_decay=1.0", "ema_decay=1.0: allowed 0 <= d < 1"),
    ("lr_floor=-0.1", "lr_floor=-0.1: allowed 0..1"),
])
def test_bad_training_config(override, message):
    with pytest.raises(ConfigError, match=message):
        load_train_config("configs/train/tiny.yaml", [override])


def test_bf16_channels_last_training_learns_and_saves_fp32_weights(tmp_path, synthetic_demos):
    from safetensors.torch import load_file

    summary = Trainer(_cfg(synthetic_demos, tmp_path, "steps=40", "log_every=5", "augment.shift=0", "augment.color_jitter=0",
                           "precision=bf16", "channels_last=true"), progress=False).fit()
    history = json.loads((tmp_path / "history.json").read_text())
    losses = [h["loss"] for h in history if "loss" in h]
    assert losses[-1] < losses[0] and summary["steps"] == 40
    weights = load_file(str(tmp_path / "final" / "model.safetensors"))
    # autocast never changes the saved weights (BatchNorm's num_batches_tracked counters are int64)
    assert {str(v.dtype) for v in weights.values() if v.is_floating_point()} == {"torch.float32"}


def test_device_auto_trains_here_and_cuda_without_a_gpu_is_named(tmp_path, synthetic_demos):
    import torch

    assert not torch.cuda.is_available()  # this machine: the CPU wheel, no GPU
    with pytest.raises(ConfigError, match="device='tpu': allowed cpu, cuda, auto"):
        load_train_config("configs/train/tiny.yaml", ["device=tpu"])
    with pytest.raises(ConfigError, match="device=cuda: torch sees no CUDA GPU"):
        Trainer(_cfg(synthetic_demos, tmp_path / "cuda", "steps=2", "device=cuda"), progress=False).fit()
    summary = Trainer(_cfg(synthetic_demos, tmp_path / "auto", "steps=2", "device=auto"), progress=False).fit()
    assert summary["steps"] == 2 and (tmp_path / "auto" / "final" / "model.safetensors").is_file()


def test_ddp_two_cpu_processes_end_with_identical_weights(tmp_path, synthetic_demos):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29557",
           "-m", "heron.cli.main", "train", "--config", "configs/train/tiny.yaml", f"data={synthetic_demos}",
           f"out={tmp_path}", "steps=6", "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    digests = [(tmp_path / f"weights_rank{r}.sha256").read_text() for r in (0, 1)]
    assert digests[0] == digests[1]
    assert len(digests[0]) == 64


def test_word_dropout_variants_of_each_instruction(tiny_policy):
    import numpy as np
    import torch

    from heron.policies.checkpoint import load_policy_model
    from heron.training.language_bank import LanguageBank, drop_words

    rng = np.random.default_rng(0)
    for _ in range(50):
        out = drop_words("put the red block in the bowl", 0.9, rng)
        assert out and set(out.split()) <= set("put the red block in the bowl".split())
    model = load_policy_model(tiny_policy)
    texts = ["put the red block in the bowl", "touch the green block"]
    plain = LanguageBank(model, texts)
    bank = LanguageBank(model, texts, word_dropout=0.3, variants=8, seed=0)
    assert len(bank) == 2 and all(len(c) > 1 for c in bank.choices.values())
    # without augmentation: the original instruction's features, as without dropout
    a, _ = bank.lookup(model, texts)
    b, _ = plain.lookup(model, texts)
    assert torch.equal(a, b)
    # with it: draws spread over the original and its variants
    gen = torch.Generator().manual_seed(0)
    drawn = {bank.lookup(model, [texts[0]], augment=True, gen=gen)[0].sum().item() for _ in range(60)}
    assert len(drawn) >= 4
    with pytest.raises(ConfigError, match="word_dropout"):
        load_train_config("configs/train/tiny.yaml", ["augment.word_dropout=1.5"])


def test_paraphrases_are_drawn_as_variants(tiny_policy):
    import torch

    from heron.policies.checkpoint import load_policy_model
    from heron.training.language_bank import LanguageBank

    model = load_policy_model(tiny_policy)
    texts = ["put the red block in the bowl", "touch the green block"]
    table = {texts[0]: ["drop the red cube into the tray", "place the red block in the bowl"], "unused text": ["x"]}
    bank = LanguageBank(model, texts, paraphrases=table)
    alone = LanguageBank(model, ["drop the red cube into the tray"])
    assert [len(bank.choices[t]) for t in texts] == [3, 1]
    a, _ = bank.lookup(model, texts)  # no augmentation: the recorded instruction
    assert torch.equal(a, LanguageBank(model, texts).lookup(model, texts)[0])
    gen = torch.Generator().manual_seed(0)
    drawn = [bank.lookup(model, [texts[0]], augment=True, gen=gen)[0] for _ in range(40)]
    target = alone.lookup(model, ["drop the red cube into the tray"])[0]
    assert any(torch.equal(d, target) for d in drawn)  # the paraphrase's own features are among the draws
    assert len({d.numpy().tobytes() for d in drawn}) == 3  # three phrasings (sums of normalized features can tie)
    # with word dropout too: variants of every phrasing, not only of the recorded one
    both = LanguageBank(model, texts, word_dropout=0.3, variants=4, seed=0, paraphrases=table)
    assert len(both.choices[texts[0]]) > 3


def test_paraphrase_augmentation_needs_the_table(tmp_path):
    from heron.data import PARAPHRASES_FILE, write_paraphrases

    data = write_synthetic_demos(tmp_path / "demos", episodes=3, steps=6)
    with pytest.raises(DatasetError, match="paraphrases.json.*heron collect"):
        Trainer(_cfg(data, tmp_path / "run", "steps=2", "augment.paraphrases=true"), progress=False).fit()
    (data / PARAPHRASES_FILE).write_text('{"pick up the red block": "lift it"}')
    with pytest.raises(DatasetError, match="list of non-empty strings"):
        Trainer(_cfg(data, tmp_path / "run", "steps=2", "augment.paraphrases=true"), progress=False).fit()
    write_paraphrases(data, {"pick up the red block": ["lift the red cube", "raise the red block off the table"]})
    trainer = Trainer(_cfg(data, tmp_path / "run", "steps=2", "augment.paraphrases=true"), progress=False)
    assert trainer.fit()["steps"] == 2
    assert len(trainer.bank.choices["pick up the red block"]) == 3


def test_task_weights_oversample_a_family(tmp_path):
    data = write_synthetic_demos(tmp_path / "two", episodes=8, tasks=("pick", "push"))

    def push_share(*extra):
        trainer = Trainer(_cfg(data, tmp_path / "out", "val_fraction=0", "batch_size=16", *extra), progress=False)
        trainer._setup()
        tasks = [t for _ in range(3) for batch in trainer._loader(trainer.train_set, True, 0) for t in batch["task"]]
        return sum(t == "push" for t in tasks) / len(tasks)

    assert push_share() == pytest.approx(0.5)  # half the windows are push: every window once per epoch
    assert push_share("task_weights={push: 9.0}") > 0.8  # 9 to 1: about 0.9
    with pytest.raises(ConfigError, match=r"task_weights: stak not in the data \(its families: pick, push\)"):
        Trainer(_cfg(data, tmp_path / "out", "task_weights={stak: 2.0}"), progress=False)._setup()
    with pytest.raises(ConfigError, match="task_weights.push=0: allowed 0 < w <= 100"):
        _cfg(data, tmp_path / "out", "task_weights={push: 0}")


def test_training_on_several_datasets_reads_them_all(tmp_path):
    """``data: [a, b]``: the DAgger aggregate; collection indices repeat across datasets, not within one."""
    from heron.data import DemoDataset, write_paraphrases

    a = write_synthetic_demos(tmp_path / "a", episodes=4, tasks=("pick",))
    b = write_synthetic_demos(tmp_path / "b", episodes=3, tasks=("push",), seed=1)  # indices 0..2 again
    ds = DemoDataset([a, b])
    assert len(ds) == 7 and ds.task_counts() == {"pick": 4, "push": 3} and ds.roots == [a, b]
    write_paraphrases(a, {"pick up the red block": ["lift the red block"]})
    write_paraphrases(b, {"pick up the red block": ["grab the red block"]})
    trainer = Trainer(_cfg(f"[{a}, {b}]", tmp_path / "out", "val_fraction=0", "steps=2", "augment.paraphrases=true"),
                      progress=False)
    summary = trainer.fit()
    assert summary["steps"] == 2 and set(trainer.train_set.seg_task) == {"pick", "push"} and len(trainer.train_set) == ds.num_steps
    assert len(trainer.bank.choices["pick up the red block"]) == 3  # its own text and both datasets' phrasings
    with pytest.raises(ConfigError, match="a dataset is named twice"):
        _cfg(f"[{a}, {a}]", tmp_path / "out")
    with pytest.raises(DatasetError, match=f"{tmp_path / 'nope'}: no such dataset"):
        Trainer(_cfg(f"[{a}, {tmp_path / 'nope'}]", tmp_path / "out"), progress=False)._setup()
