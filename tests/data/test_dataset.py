"""The demonstration dataset: round trip, training windows, statistics, bad files, crash safety."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from heron.data import (
    DatasetError,
    DemoDataset,
    Episode,
    WindowDataset,
    compute_stats,
    open_writer,
    read_meta,
    shard_path,
    write_meta,
)


def make_episode(index: int, steps: int = 6, *, success: bool = True, task: str = "pick", seed: int | None = None) -> Episode:
    rng = np.random.default_rng(index)
    return Episode(
        rgb_front=rng.integers(0, 256, (steps, 12, 16, 3), dtype=np.uint8),
        rgb_wrist=rng.integers(0, 256, (steps, 8, 8, 3), dtype=np.uint8),
        proprio=rng.normal(size=(steps, 22)).astype(np.float32),
        actions=rng.uniform(-1, 1, (steps, 5)).astype(np.float32),
        instruction=f"pick up the block number {index}",
        task=task,
        index=index,
        seed=1000 + index if seed is None else seed,
        success=success,
        split="train",
        args={"object": "red", "n": index},
    )


def write(out: Path, shard: int, episodes: list[Episode], **options) -> Path:
    path = shard_path(out, shard)
    with open_writer(path, **options) as writer:
        for ep in episodes:
            writer.write(ep)
    return path


def assert_same(a: Episode, b: Episode) -> None:
    for k, v in a.arrays().items():
        np.testing.assert_array_equal(v, b.arrays()[k], err_msg=k)
        assert v.dtype == b.arrays()[k].dtype
    for attr in ("instruction", "task", "index", "seed", "success", "split", "args"):
        assert getattr(a, attr) == getattr(b, attr), attr


# --- round trip ------------------------------------------------------------------------------------
@pytest.mark.parametrize("compression", ["lzf", "gzip", "none"])
def test_round_trip_across_shards(tmp_path, compression):
    eps = [make_episode(i, steps=3 + i) for i in range(5)]
    # index order differs from shard order: the reader sorts by collection index
    write(tmp_path, 0, [eps[3], eps[0], eps[4]], compression=compression)
    write(tmp_path, 1, [eps[1], eps[2]], compression=compression, chunk_frames=2)
    ds = DemoDataset(tmp_path)
    assert len(ds) == 5 and len(ds.shards) == 2
    assert [e.index for e in ds.episodes] == [0, 1, 2, 3, 4]
    assert ds.num_steps == sum(e.num_steps for e in eps)
    for i, ep in enumerate(ds):
        assert_same(eps[i], ep)
    info = ds.episodes[2]
    assert info.image_shapes == {"rgb_front": (12, 16, 3), "rgb_wrist": (8, 8, 3)}
    assert info.args == {"object": "red", "n": 2}
    part = ds.read(4, ("actions",), 2, 5)
    np.testing.assert_array_equal(part["actions"], eps[4].actions[2:5])
    assert ds.task_counts() == {"pick": 5}
    # a single shard file can be opened directly
    assert [e.index for e in DemoDataset(shard_path(tmp_path, 1)).episodes] == [1, 2]


def test_episode_validation_names_the_array():
    ep = make_episode(0)
    with pytest.raises(DatasetError, match="proprio.*shape"):
        Episode(**{**ep.arrays(), "proprio": ep.proprio[:, :21]}, instruction="x", task="t", index=0, seed=0)
    with pytest.raises(DatasetError, match="actions.*float32"):
        Episode(**{**ep.arrays(), "actions": ep.actions.astype(np.float64)}, instruction="x", task="t", index=0, seed=0)
    with pytest.raises(DatasetError, match="rgb_wrist.*4 steps"):
        Episode(**{**ep.arrays(), "rgb_wrist": ep.rgb_wrist[:4]}, instruction="x", task="t", index=0, seed=0)


def test_duplicate_episode_is_refused(tmp_path):
    write(tmp_path, 0, [make_episode(0)])
    with open_writer(shard_path(tmp_path, 0)) as w, pytest.raises(DatasetError, match="already stored"):
        w.write(make_episode(0))
    write(tmp_path, 1, [make_episode(0)])
    with pytest.raises(DatasetError, match="stored twice"):
        DemoDataset(tmp_path)


def test_meta_round_trip(tmp_path):
    assert read_meta(tmp_path) is None
    write_meta(tmp_path, {"counts": {"saved": 3}})
    assert read_meta(tmp_path) == {"counts": {"saved": 3}}
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(DatasetError, match="meta.json"):
        read_meta(tmp_path)


# --- windows ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("in_memory", [True, False])
def test_windows_shapes_padding_masks_done(tmp_path, in_memory):
    ok, failed = make_episode(0, steps=5), make_episode(1, steps=3, success=False)
    write(tmp_path, 0, [ok, failed])
    w = WindowDataset(tmp_path, history=3, horizon=4, in_memory=in_memory)
    assert w.in_memory is in_memory
    assert len(w) == 8
    s = w[0]  # episode 0, t = 0: history padded with frame 0 twice
    assert s["rgb_front"].shape == (3, 12, 16, 3) and s["rgb_front"].dtype == np.uint8
    assert s["rgb_wrist"].shape == (3, 8, 8, 3)
    assert s["proprio"].shape == (3, 22) and s["proprio"].dtype == np.float32
    assert s["history_mask"].tolist() == [False, False, True]
    for k in range(3):
        np.testing.assert_array_equal(s["rgb_front"][k], ok.rgb_front[0])
    np.testing.assert_array_equal(s["actions"], ok.actions[0:4])
    assert s["action_mask"].tolist() == [True] * 4
    assert s["done"] == 0.0 and s["instruction"] == ok.instruction and s["episode"] == 0 and s["step"] == 0

    s = w[3]  # t = 3: full history [1, 2, 3], actions 3, 4 then one hold
    assert s["history_mask"].tolist() == [True, True, True]
    np.testing.assert_array_equal(s["rgb_wrist"], ok.rgb_wrist[1:4])
    np.testing.assert_array_equal(s["proprio"], ok.proprio[1:4])
    np.testing.assert_array_equal(s["actions"][:2], ok.actions[3:5])
    hold = np.array([0, 0, 0, 0, ok.actions[4, 4]], np.float32)
    np.testing.assert_array_equal(s["actions"][2:], np.stack([hold, hold]))
    assert s["action_mask"].tolist() == [True, True, False, False]
    assert [w[t]["done"] for t in range(5)] == [0, 0, 0, 1, 1]  # last 2 steps of a success

    assert [w[5 + t]["done"] for t in range(3)] == [0, 0, 0]  # failed episode: never done
    s = w[-1]
    assert s["episode"] == 1 and s["step"] == 2
    assert s["history_mask"].tolist() == [True, True, True]
    with pytest.raises(IndexError):
        w[8]


def test_windows_from_ram_equal_windows_from_disk(tmp_path):
    write(tmp_path, 0, [make_episode(i, steps=4 + i) for i in range(3)])
    ram = WindowDataset(tmp_path, history=2, horizon=3, in_memory=True)
    disk = WindowDataset(tmp_path, history=2, horizon=3, in_memory=False)
    sub = WindowDataset(tmp_path, history=2, horizon=3, episodes=[2])
    assert len(sub) == 6 and sub[0]["episode"] == 2
    for i in range(len(ram)):
        a, b = ram[i], disk[i]
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    auto = WindowDataset(tmp_path, history=2, horizon=3, memory_limit_mb=1e-6)
    assert auto.in_memory is False


def test_reader_keeps_only_a_few_dataset_handles_open(tmp_path, monkeypatch):
    # each open handle holds its decompressed chunks: loading 6,000 episodes once kept 18 GB resident
    import heron.data.hdf5 as hdf5

    monkeypatch.setattr(hdf5, "OPEN_DATASETS", 3)
    write(tmp_path, 0, [make_episode(i, steps=4) for i in range(4)])
    ds = DemoDataset(tmp_path)
    for i in range(len(ds)):
        ds.read(i)
    reader = next(iter(ds._readers.values()))
    assert len(reader._datasets) == 3
    again = ds.read(0)  # a closed handle reopens
    np.testing.assert_array_equal(again["actions"], make_episode(0, steps=4).actions)


def test_window_options_are_validated(tmp_path):
    write(tmp_path, 0, [make_episode(0)])
    with pytest.raises(ValueError, match="history=0"):
        WindowDataset(tmp_path, history=0)
    with pytest.raises(ValueError, match="horizon"):
        WindowDataset(tmp_path, horizon=1.5)
    with pytest.raises(ValueError, match="episodes"):
        WindowDataset(tmp_path, episodes=[3])


def test_windows_batch_in_a_torch_dataloader(tmp_path):
    torch = pytest.importorskip("torch")
    write(tmp_path, 0, [make_episode(0, steps=7)])
    loader = torch.utils.data.DataLoader(WindowDataset(tmp_path, history=2, horizon=5), batch_size=4)
    batch = next(iter(loader))
    assert batch["rgb_front"].shape == (4, 2, 12, 16, 3) and batch["rgb_front"].dtype == torch.uint8
    assert batch["actions"].shape == (4, 5, 5) and batch["history_mask"].dtype == torch.bool
    assert batch["done"].shape == (4,) and len(batch["instruction"]) == 4


# --- statistics ------------------------------------------------------------------------------------
def test_stats_match_numpy_and_are_deterministic(tmp_path):
    eps = [make_episode(i, steps=4 + i) for i in range(4)]
    write(tmp_path, 0, eps[:2])
    write(tmp_path, 1, eps[2:])
    stats = compute_stats(DemoDataset(tmp_path))
    assert stats == compute_stats(tmp_path)
    json.dumps(stats)
    for key, attr in (("proprio", "proprio"), ("actions", "actions")):
        x = np.concatenate([getattr(e, attr) for e in eps]).astype(np.float64)
        np.testing.assert_allclose(stats[key]["mean"], x.mean(0), rtol=1e-12)
        np.testing.assert_allclose(stats[key]["std"], x.std(0), rtol=1e-12)
        np.testing.assert_array_equal(stats[key]["min"], x.min(0))
        np.testing.assert_array_equal(stats[key]["max"], x.max(0))
        assert len(stats[key]["mean"]) == (22 if key == "proprio" else 5)
    assert stats["num_episodes"] == 4 and stats["num_steps"] == 22
    sub = compute_stats(WindowDataset(tmp_path, episodes=[1, 3]))
    x = np.concatenate([eps[1].actions, eps[3].actions]).astype(np.float64)
    np.testing.assert_allclose(sub["actions"]["mean"], x.mean(0), rtol=1e-12)


# --- bad input -------------------------------------------------------------------------------------
def test_truncated_shard_names_the_file(tmp_path):
    path = write(tmp_path, 0, [make_episode(0, steps=20)], compression="none")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"shard-00000\.h5.*truncated"):
        DemoDataset(tmp_path)


def test_foreign_hdf5_names_the_file(tmp_path):
    with h5py.File(tmp_path / "shard-00000.h5", "w") as f:
        f["images"] = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(DatasetError, match=r"shard-00000\.h5: not a heron demonstration shard"):
        DemoDataset(tmp_path)
    with pytest.raises(DatasetError, match="not a heron"):  # and the writer will not append to it
        open_writer(tmp_path / "shard-00000.h5")
    (tmp_path / "shard-00000.h5").write_text("hello")
    with pytest.raises(DatasetError, match=r"shard-00000\.h5: cannot open as HDF5"):
        DemoDataset(tmp_path)


def test_missing_key_names_file_and_episode(tmp_path):
    path = write(tmp_path, 0, [make_episode(0), make_episode(1)])
    with h5py.File(path, "a") as f:
        del f["episodes/000001/actions"]
    with pytest.raises(DatasetError, match=r"shard-00000\.h5: episode 'episodes/000001': missing array 'actions'"):
        DemoDataset(tmp_path)
    with h5py.File(path, "a") as f:
        del f["episodes/000001"]
        del f["episodes/000000"].attrs["seed"]
    with pytest.raises(DatasetError, match=r"shard-00000\.h5: episode 'episodes/000000': missing attribute.*seed"):
        DemoDataset(tmp_path)


def test_wrong_version_names_the_file(tmp_path):
    path = write(tmp_path, 0, [make_episode(0)])
    with h5py.File(path, "a") as f:
        f.attrs["version"] = 2
    with pytest.raises(DatasetError, match=r"shard-00000\.h5: shard format version 2.*reads version 1"):
        DemoDataset(tmp_path)


def test_missing_dataset_paths(tmp_path):
    with pytest.raises(DatasetError, match="no shard files"):
        DemoDataset(tmp_path)
    with pytest.raises(DatasetError, match="no such dataset"):
        DemoDataset(tmp_path / "nowhere")


# --- crash safety ----------------------------------------------------------------------------------
def test_incomplete_episode_is_ignored_then_repaired(tmp_path):
    path = write(tmp_path, 0, [make_episode(0), make_episode(1)])
    with h5py.File(path, "a") as f:  # what a crash between the arrays and the 'complete' mark leaves
        g = f.create_group("episodes/000002")
        g["rgb_front"] = make_episode(2).rgb_front
    ds = DemoDataset(tmp_path)
    assert [e.index for e in ds.episodes] == [0, 1]
    assert ds.incomplete == [f"{path}:000002"]
    ds.close()
    with open_writer(path) as w:
        assert w.repaired == 1 and w.completed() == {0, 1}
        w.write(make_episode(2))
    assert_same(DemoDataset(tmp_path)[2], make_episode(2))


CRASH = """
import os, sys
sys.path.insert(0, {tests!r})
from test_dataset import make_episode
from heron.data import open_writer
w = open_writer({path!r})
w.write(make_episode(0))
w.write(make_episode(1))
g = w._f["episodes"].create_group("000002")   # the episode in flight when the process dies
g["rgb_front"] = make_episode(2, steps=50).rgb_front
os._exit(1)                                   # no close, no flush: a hard crash
"""


def test_hard_crash_loses_only_the_episode_in_flight(tmp_path):
    path = shard_path(tmp_path, 0)
    code = CRASH.format(tests=str(Path(__file__).parent), path=str(path))
    assert subprocess.run([sys.executable, "-c", code]).returncode == 1
    ds = DemoDataset(tmp_path)
    assert [e.index for e in ds.episodes] == [0, 1]
    assert_same(ds[1], make_episode(1))
    ds.close()
    with open_writer(path) as w:
        w.write(make_episode(2))
    assert len(DemoDataset(tmp_path)) == 3


def test_windows_in_dataloader_workers_read_from_disk(tmp_path):
    torch = pytest.importorskip("torch")
    write(tmp_path, 0, [make_episode(i, steps=5) for i in range(3)])
    ds = WindowDataset(tmp_path, history=2, horizon=3, in_memory=False)
    ds[0]  # the parent has open handles before the workers fork
    loader = torch.utils.data.DataLoader(ds, batch_size=5, num_workers=2)
    steps = torch.cat([b["step"] for b in loader])
    assert steps.tolist() == [t for _ in range(3) for t in range(5)]


def test_importing_the_dataset_pulls_no_simulator_agent_or_torch():
    code = (
        "import sys, heron.data; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sim', 'agent', 'ros', 'pybullet', 'rclpy', 'torch')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
