"""``heron train`` across machines: two torchrun launchers, one per "node", rendezvous over c10d (the recipe in
docs/distributed.md), end with identical weights, as the one-node DDP run does."""

from __future__ import annotations

import os
import subprocess
import sys


def test_two_node_rendezvous_trains_identical_weights(tmp_path, synthetic_demos):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    base = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1",
            "--rdzv-backend", "c10d", "--rdzv-endpoint", "127.0.0.1:29611", "--rdzv-id", "heron-two-nodes",
            "-m", "heron.cli.main", "train", "--config", "configs/train/tiny.yaml", f"data={synthetic_demos}",
            f"out={tmp_path}", "steps=6", "--no-progress"]
    nodes = [subprocess.Popen(base, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in nodes]
    for p, (_, err) in zip(nodes, outs):
        assert p.returncode == 0, err[-2000:]
    digests = [(tmp_path / f"weights_rank{r}.sha256").read_text() for r in (0, 1)]
    assert digests[0] == digests[1] and len(digests[0]) == 64
    assert (tmp_path / "final" / "model.safetensors").is_file()  # rank 0 saved the policy
