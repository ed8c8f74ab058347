"""Save and load a policy in the Hugging Face folder convention.

    <folder>/config.json        the resolved PolicyConfig + format version
    <folder>/model.safetensors  weights (frozen pretrained language weights are referenced, not copied)
    <folder>/stats.json         normalization statistics of the training data
    <folder>/train_config.json  the resolved training config it was made with (if trained)
"""

from __future__ import annotations

import json
from pathlib import Path

from heron.configtools import ConfigError, from_dict, to_dict
from heron.policies.config import PolicyConfig

FORMAT = "heron-policy"
VERSION = 1
DEFAULT_DIR = Path(__file__).resolve().parent / "default"
# Policies shipped in the package, by name: the tabletop default and the Meta-World MT50 policy.
SHIPPED = {"default": DEFAULT_DIR, "metaworld-mt50": Path(__file__).resolve().parent / "metaworld-mt50"}


class CheckpointError(ValueError):
    """A policy folder that is missing, incomplete, corrupt or from an incompatible version."""


def resolve_policy_dir(path_or_name: str | Path) -> Path:
    """A shipped name (``default``, ``metaworld-mt50``) or a folder path -> the folder."""
    if str(path_or_name) in SHIPPED and not Path(path_or_name).exists():
        return SHIPPED[str(path_or_name)]
    return Path(path_or_name)


def save_policy(model, folder: str | Path, stats: dict | None = None, train_config: dict | None = None) -> Path:
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "model.safetensors.tmp"
    save_file({k: v.detach().contiguous().cpu() for k, v in model.trainable_state_dict().items()}, str(tmp))
    tmp.replace(folder / "model.safetensors")  # atomic: an interrupted save never leaves half a file
    (folder / "config.json").write_text(json.dumps({"format": FORMAT, "version": VERSION, "policy": to_dict(model.cfg)}, indent=2))
    if stats is not None:
        (folder / "stats.json").write_text(json.dumps(stats, indent=2))
    if train_config is not None:
        (folder / "train_config.json").write_text(json.dumps(train_config, indent=2, default=str))
    return folder


def read_config(folder: str | Path) -> PolicyConfig:
    folder = resolve_policy_dir(folder)
    cfg_path = folder / "config.json"
    if not folder.is_dir():
        raise CheckpointError(f"policy folder not found: {folder}")
    if not cfg_path.is_file():
        raise CheckpointError(f"{folder} is not a heron policy folder: config.json is missing")
    try:
        data = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{cfg_path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{cfg_path} is not a heron policy config (format {data.get('format') if isinstance(data, dict) else None!r})")
    if data.get("version") != VERSION:
        raise CheckpointError(f"{cfg_path} has format version {data.get('version')}; this heron reads version {VERSION}")
    try:
        return from_dict(PolicyConfig, data["policy"])
    except ConfigError as exc:
        raise CheckpointError(f"{cfg_path}: {exc}") from None


def load_policy_model(folder: str | Path):
    """Rebuild the model from a folder; outputs are exactly those of the saved model."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from heron.policies.model import HeronPolicy

    folder = resolve_policy_dir(folder)
    cfg = read_config(folder)
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise CheckpointError(f"{folder}: model.safetensors is missing")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights} is corrupt or truncated: {exc}") from None
    model = HeronPolicy(cfg)
    missing, unexpected = model.load_state_dict(state, strict=False)
    external = model.external_keys()
    missing = [k for k in missing if k not in external]
    if missing or unexpected:
        raise CheckpointError(
            f"{weights} does not match its config.json: missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    model.eval()
    return model


def read_stats(folder: str | Path) -> dict | None:
    path = resolve_policy_dir(folder) / "stats.json"
    return json.loads(path.read_text()) if path.is_file() else None
