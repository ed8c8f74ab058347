"""PyTorch eager runtime of a saved policy folder."""

from __future__ import annotations

import torch

from heron.policies.checkpoint import load_policy_model
from heron.policies.language import Tokenizer, tokenizer_dir
from heron.runtime.inputs import History, check_observation
from heron.runtime.interfaces import StepOutput


class TorchPolicy:
    runtime = "torch"

    def __init__(self, folder, threads: int | None = None, compile: bool = False):
        if threads:
            torch.set_num_threads(threads)
        self.model = load_policy_model(folder)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device)
        self._forward = torch.compile(self.model, dynamic=False) if compile else self.model
        cfg = self.model.cfg
        self.cfg = cfg
        self.proprio_dim, self.action_dim = cfg.proprio_dim, cfg.action_dim
        self.cameras, self.image_size = list(cfg.cameras), cfg.image_size  # as OnnxPolicy: what observations must hold
        self.tokenizer = Tokenizer(tokenizer_dir(cfg.language), cfg.language.max_tokens)
        self.history = History(cfg.cameras, 1 if self.model.head.recurrent else cfg.history)
        self.provider = f"torch-{self.device}" + ("-compiled" if compile else "")
        self.lang = self.mask = None
        self.instruction: str | None = None
        self.reset()

    def reset(self) -> None:
        self.history.clear()
        self.state = self.model.initial_state(1).to(self.device)

    @torch.no_grad()
    def set_instruction(self, text: str) -> None:
        ids, mask = self.tokenizer(text)
        self.mask = torch.from_numpy(mask).to(self.device)
        self.lang = self.model.encode_instruction(torch.from_numpy(ids).to(self.device), self.mask)
        self.instruction = text
        self.reset()

    @torch.no_grad()
    def act(self, obs: dict) -> StepOutput:
        if self.lang is None:
            raise RuntimeError("set_instruction() must be called before act()")
        check_observation(obs, self.cfg.cameras, self.cfg.image_size, self.cfg.proprio_dim)
        images, proprio = self.history.push(obs)
        out = self._forward(torch.from_numpy(images).to(self.device), torch.from_numpy(proprio).to(self.device), self.lang,
                            self.mask, self.state)
        self.state = out["state"]
        chunk = out["action"][0].float().cpu().numpy()
        return StepOutput(action=chunk[0], done=float(torch.sigmoid(out["done_logit"].float())[0]), chunk=chunk)
