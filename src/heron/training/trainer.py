"""The behaviour-cloning loop: AdamW, warm-up + cosine (over steps or over training minutes), clipping,
augmentation, a weight average (EMA), validation, TensorBoard, checkpoints + resume, a closed-loop
callback, and PyTorch DDP under ``torchrun``."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset

from heron.configtools import ConfigError
from heron.data import PARAPHRASES_FILE, DatasetError, DemoDataset, WindowDataset, compute_stats, read_meta, read_paraphrases
from heron.policies.checkpoint import load_policy_model, read_stats, resolve_policy_dir, save_policy
from heron.policies.config import adopt_features, load_policy_config
from heron.policies.model import HeronPolicy
from heron.policies.schema import ACTION_DIM, CAMERAS, PROPRIO, PROPRIO_DIM
from heron.training.augment import augment_images
from heron.training.config import TrainConfig
from heron.training.ema import WeightAverage
from heron.training.language_bank import LanguageBank

log = logging.getLogger(__name__)
EvalCallback = Callable[[int, Path], dict]
# the parts of a training step whose mean milliseconds each history record carries (ms_<phase>)
PHASES = ("load", "forward", "backward", "optimizer")


def _collate(samples: list[dict]) -> dict:
    out = {}
    for key in samples[0]:
        values = [s[key] for s in samples]
        out[key] = values if isinstance(values[0], str) else torch.from_numpy(np.stack(values))
    return out


def lr_lambda(cfg: TrainConfig, train_fraction: Callable[[], float]) -> Callable[[int], float]:
    """The lr factor: linear warm-up over ``warmup_steps``, then a cosine to ``lr_floor`` over the remaining
    steps, or (``lr_schedule: minutes``) over ``train_fraction()``, the share of ``max_minutes`` trained so far."""
    def f(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        if cfg.lr_schedule == "minutes":
            progress = min(1.0, max(0.0, train_fraction()))
        else:
            progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
        return cfg.lr_floor + (1 - cfg.lr_floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return f


def data_features(demos: DemoDataset) -> dict:
    """The policy-config values a dataset decides: its cameras (the tabletop's order first), their common
    square size, and the proprio / action widths."""
    info = demos.episodes[0]
    cams = sorted(info.image_shapes, key=lambda c: (c not in CAMERAS, CAMERAS.index(c) if c in CAMERAS else 0, c))
    sizes = {tuple(info.image_shapes[c][:2]) for c in cams}
    out: dict = {"cameras": cams}
    if len(sizes) == 1 and (size := next(iter(sizes)))[0] == size[1]:
        out["image_size"] = int(size[0])
    dims = info.dims or {}
    out["proprio_dim"] = int(dims.get(PROPRIO, PROPRIO_DIM))
    out["action_dim"] = int(dims.get("actions", ACTION_DIM))
    declared = (read_meta(demos.roots[0]) or {}).get("features") if getattr(demos, "roots", None) else None
    if declared:  # the names the environment declared, recorded by the collector
        out["state_names"], out["action_names"] = list(declared["state"]), list(declared["actions"])
    return out


def check_dataset_matches(demos: DemoDataset, windows: WindowDataset, model: HeronPolicy) -> None:
    """Shapes in the data must be what the policy config expects; say which key differs."""
    sample = windows[0]
    cfg = model.cfg
    for cam in cfg.cameras:
        if cam not in sample:
            raise DatasetError(f"{demos.root}: the policy uses camera {cam!r}, which the dataset does not have")
        h, w = sample[cam].shape[1:3]
        if (h, w) != (cfg.image_size, cfg.image_size):
            raise DatasetError(f"{demos.root}: {cam} images are {h}x{w}, the policy config expects "
                               f"image_size={cfg.image_size}; re-collect with --image-size {cfg.image_size} or set image_size={h}")
    if sample["proprio"].shape[-1] != cfg.proprio_dim:
        raise DatasetError(f"{demos.root}: proprio has {sample['proprio'].shape[-1]} dims, the policy expects {cfg.proprio_dim}")
    if sample["actions"].shape[-1] != cfg.action_dim:
        raise DatasetError(f"{demos.root}: actions have {sample['actions'].shape[-1]} dims, the policy expects {cfg.action_dim}")


def weights_digest(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def resolve_device(name: str, world: int = 1) -> torch.device:
    """``cpu``, ``cuda`` (an error naming why when torch sees no GPU) or ``auto``."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("device=cuda: torch sees no CUDA GPU (this torch is a CPU build, or no GPU is visible); "
                              "use device=cpu or device=auto")
        if world > 1:
            raise ConfigError("device=cuda with DDP: multi-GPU training is not supported yet; run one process")
    return torch.device(name)


class Trainer:
    def __init__(self, cfg: TrainConfig, eval_callback: EvalCallback | None = None, progress: bool = True):
        self.cfg = cfg
        self.eval_callback = eval_callback
        self.progress = progress
        self.out = Path(cfg.out)
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.ema: WeightAverage | None = None

    # -- setup --------------------------------------------------------------------------------
    def _setup(self):
        cfg = self.cfg
        torch.set_num_threads(cfg.num_threads)
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        if self.world > 1 and not torch.distributed.is_initialized():
            torch.distributed.init_process_group("gloo")
        init_stats = None
        if cfg.init_from:
            self.model = load_policy_model(cfg.init_from)  # fit() switches it to train mode
            self.policy_cfg = self.model.cfg
            init_stats = read_stats(cfg.init_from)
            log.info("fine-tuning from %s", resolve_policy_dir(cfg.init_from))
        demos = DemoDataset(cfg.data)
        if len(demos) == 0:
            raise DatasetError(f"{demos.root}: the dataset has no episodes")
        if not cfg.init_from:  # the model is built for the data's cameras, sizes and widths unless they are pinned
            overrides = adopt_features(cfg.policy_overrides, data_features(demos))
            self.policy_cfg = load_policy_config(cfg.policy, overrides)
            self.model = HeronPolicy(self.policy_cfg)
        n_val = int(round(len(demos) * cfg.val_fraction)) if len(demos) > 1 else 0
        perm = np.random.default_rng(cfg.seed).permutation(len(demos))
        val_idx, train_idx = sorted(perm[:n_val].tolist()), sorted(perm[n_val:].tolist())
        if cfg.max_episodes:
            train_idx = train_idx[:cfg.max_episodes]
        k, h = self.policy_cfg.history, self.policy_cfg.head.chunk
        self.train_set = WindowDataset(demos, k, h, episodes=train_idx, in_memory=cfg.in_memory or None)
        self.val_set = WindowDataset(demos, k, h, episodes=val_idx, in_memory=cfg.in_memory or None) if val_idx else None
        check_dataset_matches(demos, self.train_set, self.model)
        families = set(self.train_set.seg_task)
        unknown = sorted(set(cfg.task_weights) - families)
        if unknown:
            raise ConfigError(f"task_weights: {', '.join(unknown)} not in the data (its families: {', '.join(sorted(families))})")
        if cfg.task_weights and self.world > 1:
            raise ConfigError("task_weights with DDP: weighted sampling runs in one process; drop task_weights or run one process")
        self.sample_weights = None  # per training window, for the weighted sampler
        if cfg.task_weights:
            seg_weights = [cfg.task_weights.get(t, 1.0) for t in self.train_set.seg_task]
            self.sample_weights = torch.from_numpy(self.train_set.per_sample(np.array(seg_weights, np.float64)))
        # a fine-tune keeps the normalization its weights were trained with
        self.stats = init_stats or compute_stats(self.train_set)
        self.model.set_stats(self.stats)
        # every sub-instruction of chained episodes too; metadata only: no arrays decompressed
        instructions = [seg["instruction"] for e in demos.episodes for seg in e.segment_list()]
        aug = cfg.augment
        table = None
        if aug.paraphrases:
            table = {}
            for root in demos.roots:
                part = read_paraphrases(root if root.is_dir() else root.parent)
                if part is None:
                    n = sum(1 for e in demos.episodes if e.shard == root or e.shard.parent == root)
                    raise DatasetError(f"augment.paraphrases: {root} has no {PARAPHRASES_FILE}; "
                                       f"`heron collect --out {root} --episodes {n}` writes it (nothing is recollected)")
                for text, others in part.items():
                    table[text] = list(dict.fromkeys([*table.get(text, []), *others]))
            missing = len(set(instructions) - set(table))
            log.info("paraphrases: %d instructions, %d phrasings in all, %d without any",
                     len(set(instructions)), sum(map(len, table.values())), missing)
        self.device = resolve_device(cfg.device, self.world)
        self.model.to(self.device)
        if cfg.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.bank = LanguageBank(self.model, instructions, aug.word_dropout, aug.instruction_variants, cfg.seed, table)
        self.demos = demos

    def _loader(self, dataset, shuffle: bool, seed: int) -> DataLoader:
        sampler = None
        gen = torch.Generator().manual_seed(seed)
        if shuffle and self.sample_weights is not None:
            sampler = torch.utils.data.WeightedRandomSampler(self.sample_weights, len(dataset), generator=gen)
        elif self.world > 1:
            sampler = torch.utils.data.distributed.DistributedSampler(dataset, self.world, self.rank, shuffle=shuffle, seed=seed)
        return DataLoader(dataset, batch_size=self.cfg.batch_size, shuffle=shuffle and sampler is None, sampler=sampler,
                          collate_fn=_collate, drop_last=shuffle and len(dataset) >= self.cfg.batch_size, generator=gen)

    def _batch_inputs(self, batch: dict, model, augment: bool):
        cams = torch.stack([batch[c] for c in self.policy_cfg.cameras], dim=1)  # (B, C, K, H, W, 3)
        if augment:
            cams = augment_images(cams, self.cfg.augment.shift, self.cfg.augment.color_jitter, self.gen)
        lang, mask = self.bank.lookup(model, batch["instruction"], augment, self.gen)
        state = model.initial_state(cams.shape[0])
        dev = self.device
        return cams.to(dev), batch["proprio"].float().to(dev), lang.to(dev), mask.to(dev), state.to(dev)

    def _loss(self, model, core, batch: dict, augment: bool) -> tuple[torch.Tensor, dict]:
        bf16 = self.cfg.precision == "bf16"
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16):
            out = model(*self._batch_inputs(batch, core, augment))
        if bf16:  # the losses in fp32; an fp32 step has nothing to convert
            out = {k: v.float() if torch.is_tensor(v) and v.is_floating_point() else v for k, v in out.items()}
        dev = self.device
        a_loss = core.head.action_loss(out, batch["actions"].float().to(dev), batch["action_mask"].float().to(dev))
        d_loss = core.head.done_loss(out["done_logit"], batch["done"].float().to(dev))
        return a_loss + self.cfg.done_weight * d_loss, {"action": float(a_loss.detach()), "done": float(d_loss.detach())}

    # -- checkpoints --------------------------------------------------------------------------
    @property
    def saved_model(self) -> HeronPolicy:
        """What checkpoints, evaluations and final/ hold: the weight average when ``ema_decay`` is on."""
        return self.ema.model if self.ema is not None else self.model

    def _save(self, folder: Path, step: int, opt, sched, train_s: float = 0.0, history: list | None = None) -> None:
        if self.rank != 0:
            return
        resolved = asdict(self.cfg) | {"step": step, "world_size": self.world}
        save_policy(self.saved_model, folder, stats=self.stats, train_config=resolved)
        state = {"step": step, "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "torch_rng": torch.get_rng_state(), "gen": self.gen.get_state(), "train_s": train_s}
        if self.ema is not None:  # the raw weights, which training continues from
            state |= {"raw_model": self.model.trainable_state_dict(), "ema": self.ema.state_dict()}
        tmp = folder / "trainer_state.pt.tmp"
        torch.save(state, tmp)
        tmp.replace(folder / "trainer_state.pt")
        if history is not None:
            self._write_history(history)

    def _write_history(self, history: list) -> None:
        """The curve so far (atomically), which a resumed run continues."""
        tmp = self.out / "history.json.tmp"
        tmp.write_text(json.dumps(history, indent=1, default=float))
        tmp.replace(self.out / "history.json")

    def _resume(self, opt, sched) -> tuple[int, float, list]:
        """(step, training seconds, history) of the checkpoint in ``out``; (0, 0.0, []) when there is none."""
        folder = self.out / "checkpoint"
        state_path = folder / "trainer_state.pt"
        if not state_path.is_file():
            return 0, 0.0, []
        from safetensors.torch import load_file

        saved = load_file(str(folder / "model.safetensors"))
        state = torch.load(state_path, weights_only=True)
        if self.ema is not None:
            if "ema" not in state:
                raise ConfigError(f"{folder} was trained without ema_decay; resume it with ema_decay=0 or train into a new out")
            self.ema.model.load_state_dict(saved, strict=False)
            self.ema.load_state_dict(state["ema"])
            saved = state["raw_model"]
        elif "ema" in state:
            raise ConfigError(f"{folder} was trained with ema_decay; resume it with the same ema_decay or train into a new out")
        self.model.load_state_dict(saved, strict=False)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        self.gen.set_state(state["gen"])
        step = int(state["step"])
        history = []
        if (self.out / "history.json").is_file():
            history = [h for h in json.loads((self.out / "history.json").read_text())
                       if "summary" not in h and h.get("step", 0) <= step]
        log.info("resumed from %s at step %d (%.1f training minutes)", folder, step, state.get("train_s", 0.0) / 60)
        return step, float(state.get("train_s", 0.0)), history

    @torch.no_grad()
    def validate(self) -> float | None:
        if self.val_set is None or len(self.val_set) == 0:
            return None
        model = self.saved_model
        model.eval()
        total, n = 0.0, 0
        loader = DataLoader(Subset(self.val_set, range(min(len(self.val_set), 2048))), batch_size=self.cfg.batch_size, collate_fn=_collate)
        for batch in loader:
            loss, _ = self._loss(model, model, batch, augment=False)
            total += float(loss) * len(batch["instruction"])
            n += len(batch["instruction"])
        self.model.train()
        return total / max(n, 1)

    # -- the loop -----------------------------------------------------------------------------
    def fit(self) -> dict:
        from torch.utils.tensorboard import SummaryWriter
        from tqdm import tqdm

        cfg = self.cfg
        self._setup()
        self.gen = torch.Generator().manual_seed(cfg.seed + self.rank)
        params = [p for p in self.model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.ema = WeightAverage(self.model, cfg.ema_decay) if cfg.ema_decay else None
        clock = {"t0": time.time(), "eval_s": 0.0}  # training time = now - t0 - eval_s

        def train_s() -> float:
            return time.time() - clock["t0"] - clock["eval_s"]

        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg, lambda: train_s() / (60 * (cfg.max_minutes or 1))))
        step, resumed_s, history = self._resume(opt, sched)
        model = self.model
        if self.world > 1:
            model = torch.nn.parallel.DistributedDataParallel(self.model)
        writer = SummaryWriter(str(self.out / "tb")) if self.rank == 0 else None
        if self.rank == 0:
            self.out.mkdir(parents=True, exist_ok=True)
            log.info("data: %d episodes, %d train windows, %d instructions; %d trainable params",
                     len(self.demos), len(self.train_set), len(self.bank), sum(p.numel() for p in params))
        self.model.train()
        clock["t0"] = time.time() - resumed_s  # a resumed run continues the clock: max_minutes, the minutes schedule, the curve
        next_eval_min = cfg.eval_every_min * (math.floor(resumed_s / 60 / cfg.eval_every_min) + 1) if cfg.eval_every_min else 0.0
        epoch = step * cfg.batch_size // max(1, len(self.train_set))
        bar = tqdm(total=cfg.steps, initial=step, disable=not self.progress or self.rank != 0, dynamic_ncols=True)
        seen, t_rate = 0, time.time()
        phases = dict.fromkeys(PHASES, 0.0)  # seconds per phase since the last log line (the throughput breakdown)
        stop_reason = "steps"
        while step < cfg.steps:
            loader = self._loader(self.train_set, True, cfg.seed + epoch)
            if hasattr(loader.sampler, "set_epoch"):
                loader.sampler.set_epoch(epoch)
            t_mark = time.perf_counter()
            for batch in loader:
                t_loaded = time.perf_counter()
                loss, parts = self._loss(model, self.model, batch, augment=True)
                t_forward = time.perf_counter()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                t_backward = time.perf_counter()
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
                opt.step()
                sched.step()
                if self.ema is not None:
                    self.ema.update()
                step += 1
                t_step = time.perf_counter()
                for key, dt in zip(PHASES, (t_loaded - t_mark, t_forward - t_loaded, t_backward - t_forward, t_step - t_backward)):
                    phases[key] += dt
                seen += len(batch["instruction"]) * self.world
                bar.update(1)
                if step % cfg.log_every == 0:
                    rate = seen / max(1e-9, time.time() - t_rate)
                    seen, t_rate = 0, time.time()
                    bar.set_postfix(loss=f"{float(loss.detach()):.4f}", sps=f"{rate:.0f}")
                    rec = {"step": step, "loss": float(loss.detach()), **parts, "lr": sched.get_last_lr()[0], "samples_per_s": rate,
                           "elapsed_s": time.time() - clock["t0"], "train_s": train_s(),
                           **{f"ms_{k}": 1e3 * v / cfg.log_every for k, v in phases.items()}}
                    phases = dict.fromkeys(PHASES, 0.0)
                    history.append(rec)
                    if not self.progress and self.rank == 0:
                        log.info("step %d/%d loss %.4f (action %.4f, done %.4f) %.0f samples/s", step, cfg.steps,
                                 rec["loss"], parts["action"], parts["done"], rate)
                    if writer:
                        for k, v in rec.items():
                            if k != "step":
                                writer.add_scalar(f"train/{k}", v, step)
                if step % cfg.val_every == 0 and self.rank == 0:
                    val = self.validate()
                    if val is not None:
                        history.append({"step": step, "val_loss": val})
                        if writer:
                            writer.add_scalar("val/loss", val, step)
                if step % cfg.checkpoint_every == 0:
                    self._save(self.out / "checkpoint", step, opt, sched, train_s(), history)
                t_train = train_s()
                due = bool(cfg.eval_every and step % cfg.eval_every == 0)
                if cfg.eval_every_min and t_train >= next_eval_min * 60:
                    due, next_eval_min = True, next_eval_min + cfg.eval_every_min
                if due and self.eval_callback and self.rank == 0:
                    t_eval = time.time()
                    self._save(self.out / "checkpoint", step, opt, sched, t_train, history)
                    result = self.eval_callback(step, self.out / "checkpoint")
                    clock["eval_s"] += time.time() - t_eval
                    history.append({"step": step, "eval": result, "elapsed_s": time.time() - clock["t0"], "train_s": t_train,
                                    "eval_s": time.time() - t_eval})
                    self._write_history(history)
                    if writer and "success" in result:
                        writer.add_scalar("eval/success", result["success"], step)
                if cfg.max_minutes and train_s() > cfg.max_minutes * 60:
                    stop_reason = "time"
                    break
                if step >= cfg.steps:
                    break
                t_mark = time.perf_counter()  # what follows until the next batch is loading (and any logging above)
            epoch += 1
            if stop_reason == "time":
                break
        bar.close()
        if self.world > 1:
            # DDP keeps parameters in sync; BatchNorm running statistics follow rank 0 from here on.
            for buf in self.model.buffers():
                torch.distributed.broadcast(buf, 0)
        val = self.validate() if self.rank == 0 else None
        t_end = train_s()
        self._save(self.out / "checkpoint", step, opt, sched, t_end, history)
        final = self.out / "final"
        if self.rank == 0:
            save_policy(self.saved_model, final, stats=self.stats, train_config=asdict(cfg) | {"step": step, "world_size": self.world})
        digest = weights_digest(self.saved_model)
        self.out.mkdir(parents=True, exist_ok=True)
        if self.world > 1:
            (self.out / f"weights_rank{self.rank}.sha256").write_text(digest)
        summary = {"steps": step, "stop_reason": stop_reason, "wall_s": time.time() - clock["t0"], "train_s": t_end,
                   "eval_s": clock["eval_s"], "val_loss": val, "ema_decay": cfg.ema_decay, "lr_schedule": cfg.lr_schedule,
                   "train_windows": len(self.train_set), "episodes": len(self.demos), "weights_sha256": digest,
                   "samples_per_s": np.mean([r["samples_per_s"] for r in history if "samples_per_s" in r]) if any("samples_per_s" in r for r in history) else None,
                   "out": str(final)}
        if self.rank == 0:
            (self.out / "history.json").write_text(json.dumps(history + [{"summary": summary}], indent=1, default=float))
        if writer:
            writer.close()
        if self.world > 1:
            torch.distributed.destroy_process_group()
        return summary
