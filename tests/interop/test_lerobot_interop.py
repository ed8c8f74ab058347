"""heron's LeRobotDataset v3.0 export and import, checked against LeRobot 0.4.4's own reader and writer.

LeRobot runs in .venv-lerobot (``tests/interop/lerobot_side.py`` as a subprocess): heron's venv never
imports it. Images must be bit-exact in image mode and within codec error in video mode.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from heron.data import DemoDataset
from heron.data.lerobot_export import ExportConfig, export_lerobot
from heron.data.lerobot_import import ImportConfig, import_lerobot

SIDE = Path(__file__).with_name("lerobot_side.py")
VIDEO_MEAN_ERR = 6.0  # uint8 levels: h264 crf 18 on 96 px sim frames measures about 3


def lerobot(*args: str) -> None:
    python = os.environ["HERON_LEROBOT_PYTHON"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    libs = Path(python).parent.parent / "ffmpeg_libs"  # PyAV's FFmpeg, for torchcodec (see make_venv.sh)
    if libs.is_file():
        env["LD_LIBRARY_PATH"] = f"{libs.read_text().strip()}:{env.get('LD_LIBRARY_PATH', '')}"
    run = subprocess.run([python, str(SIDE), *args], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]


@pytest.fixture(scope="module")
def sim_demos(tmp_path_factory):
    from heron.collection.collect import collect

    out = tmp_path_factory.mktemp("sim") / "demos"
    collect(tasks="pick,place", episodes=3, out=out, workers=1, seed=5, progress=False)
    return out


@pytest.mark.parametrize("mode", ["image", "video"])
def test_lerobot_reads_heron_export(sim_demos, tmp_path, mode):
    export_lerobot(ExportConfig(str(sim_demos), str(tmp_path / "lr"), mode=mode))
    lerobot("read", str(tmp_path / "lr"), str(tmp_path / "frames.npz"))
    got = np.load(tmp_path / "frames.npz")
    eps = list(DemoDataset(sim_demos))
    assert int(got["fps"]) == 10 and len(got["task"]) == sum(e.num_steps for e in eps)
    assert list(got["state_names"][:2]) == ["joint_pos_0", "joint_pos_1"] and got["state_names"][-1] == "ee_qw"
    for key, cam in (("observation.images.front", "rgb_front"), ("observation.images.wrist", "rgb_wrist")):
        want = np.concatenate([getattr(e, cam) for e in eps])
        assert got[key].shape == want.shape
        err = np.abs(got[key].astype(int) - want)
        if mode == "image":
            assert err.max() == 0, f"{key}: image mode must be bit-exact"
        else:
            assert err.mean() < VIDEO_MEAN_ERR, f"{key}: mean error {err.mean():.2f} levels"
    np.testing.assert_array_equal(got["state"], np.concatenate([e.proprio for e in eps]))
    np.testing.assert_array_equal(got["action"], np.concatenate([e.actions for e in eps]))
    assert list(got["task"]) == [e.instruction for e in eps for _ in range(e.num_steps)]
    assert list(got["episode_index"]) == [i for i, e in enumerate(eps) for _ in range(e.num_steps)]
    assert list(got["frame_index"]) == [t for e in eps for t in range(e.num_steps)]
    assert list(got["index"]) == list(range(len(got["index"])))


@pytest.mark.parametrize("mode", ["image", "video"])
def test_heron_imports_a_dataset_lerobot_wrote(tmp_path, mode):
    lerobot("write", str(tmp_path / "lr"), str(tmp_path / "truth.npz"), mode)
    truth = np.load(tmp_path / "truth.npz")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("cameras: {rgb_front: observation.images.top, rgb_wrist: observation.images.side}\n"
                       "state: {key: observation.state, columns: [j0, j1, j2, j3, j4, gripper]}\n"
                       "action: {key: action, columns: [0, 1, grip]}\nimage_size: 40\nimage_fit: crop\n")
    summary = import_lerobot(ImportConfig(str(tmp_path / "lr"), str(tmp_path / "heron"), str(mapping)))
    assert summary["dims"] == {"proprio": 6, "actions": 3} and not summary["sim_compatible"]
    ds = DemoDataset(tmp_path / "heron")
    # episode 2 switches task half-way: a chained heron episode with one segment per instruction
    assert len(ds) == 3 and [e.instruction for e in ds.episodes] == ["reach the cup", "open the drawer", "open the drawer"]
    assert [(s["start"], s["stop"], s["instruction"]) for s in ds.episodes[2].segment_list()] == [
        (0, 3, "open the drawer"), (3, 6, "reach the cup")]
    eps = list(ds)
    np.testing.assert_array_equal(np.concatenate([e.proprio for e in eps]), truth["state"])
    np.testing.assert_array_equal(np.concatenate([e.actions for e in eps]), truth["action"])
    assert [s["instruction"] for e in ds.episodes for s in e.segment_list() for _ in range(s["stop"] - s["start"])] == list(truth["task"])
    left = (56 - 40) // 2  # center crop of the 40x56 frames to 40x40
    for cam, key in (("rgb_front", "top"), ("rgb_wrist", "side")):
        got, want = np.concatenate([getattr(e, cam) for e in eps]).astype(int), truth[key][:, :, left:left + 40]
        err = np.abs(got - want)
        assert err.max() == 0 if mode == "image" else err.mean() < VIDEO_MEAN_ERR, f"{cam}: error {err.mean():.2f}"
    assert all(e.dims == {"proprio": 6, "actions": 3} for e in eps)
