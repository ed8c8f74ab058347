"""Running work beyond one process: local worker processes (``local``), deterministic shards of a run
(``shards``: ``--shard i/N``, one machine or a Slurm array each) and Ray actors across machines (``ray_pool``:
``--ray``). Nothing here imports heron above it; Ray is imported only when a run asks for it."""

from heron.parallel.local import report_errors, run_workers
from heron.parallel.shards import Shard, parse_shard, take_shard

__all__ = ["Shard", "parse_shard", "report_errors", "run_workers", "take_shard"]
