"""LeRobotDataset v3.0 export and import on heron's side (no LeRobot here; tests/interop checks against it)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from heron.data import DatasetError, DemoDataset, Episode, open_writer, shard_path
from heron.data.lerobot_export import ExportConfig, export_lerobot
from heron.data.lerobot_import import ImportConfig, import_lerobot

VIDEO_MEAN_ERR = 6.0


def smooth_frames(steps: int, size: int, phase: int) -> np.ndarray:
    """Gradients that move each step: realistic for a video codec (random noise is not)."""
    y, x = np.mgrid[0:size, 0:size]
    return np.stack([np.stack([(x * 5 + t * 7 + phase) % 256, (y * 3 + phase) % 256, np.full_like(x, 90 + phase)], -1)
                     for t in range(steps)]).astype(np.uint8)


def write_demos(path, episodes: int = 3, steps: int = 6, size: int = 32, dims: dict | None = None) -> list[Episode]:
    rng = np.random.default_rng(1)
    n_p, n_a = (dims or {}).get("proprio", 22), (dims or {}).get("actions", 5)
    eps = [Episode(rgb_front=smooth_frames(steps + i, size, 10 * i), rgb_wrist=smooth_frames(steps + i, size, 100 + 10 * i),
                   proprio=rng.normal(size=(steps + i, n_p)).astype(np.float32),
                   actions=rng.uniform(-1, 1, (steps + i, n_a)).astype(np.float32),
                   instruction=["pick up the red block", "push the blue block left"][i % 2], task=["pick", "push"][i % 2],
                   index=i, seed=100 + i, success=i != 1, args={"object": "red"} if i % 2 == 0 else {"object": "blue", "direction": "left"},
                   dims=dims) for i in range(episodes)]
    if episodes > 2:  # episode 2 is chained: two sub-instructions
        n = eps[2].num_steps
        eps[2].segments = [{"start": 0, "stop": 3, "task": "pick", "args": {"object": "red"}, "instruction": "pick up the red block", "done_from": 2},
                           {"start": 3, "stop": n, "task": "place", "args": {"object": "red"}, "instruction": "put it in the bowl"}]
    with open_writer(shard_path(path, 0)) as w:
        for e in eps:
            w.write(e)
    return eps


@pytest.mark.parametrize("mode", ["image", "video"])
def test_export_writes_v30_layout_and_imports_back(tmp_path, mode):
    eps = write_demos(tmp_path / "demos")
    summary = export_lerobot(ExportConfig(str(tmp_path / "demos"), str(tmp_path / "lr"), mode=mode, fps=10))
    assert summary["episodes"] == 3 and summary["frames"] == sum(e.num_steps for e in eps) and summary["tasks"] == 3
    root = tmp_path / "lr"
    info = json.loads((root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0" and info["fps"] == 10 and info["total_episodes"] == 3
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    feats = info["features"]
    assert feats["observation.state"]["shape"] == [22] and len(feats["observation.state"]["names"]) == 22
    assert feats["action"]["names"] == ["dx", "dy", "dz", "dyaw", "gripper"]
    assert feats["observation.images.front"]["dtype"] == mode and feats["observation.images.wrist"]["shape"] == [32, 32, 3]
    assert {"timestamp", "frame_index", "episode_index", "index", "task_index"} <= set(feats)
    stats = json.loads((root / "meta/stats.json").read_text())
    assert np.allclose(stats["action"]["mean"], np.concatenate([e.actions for e in eps]).mean(0))
    assert np.array(stats["observation.images.front"]["mean"]).shape == (3, 1, 1)
    tasks = pq.read_table(root / "meta/tasks.parquet").to_pylist()
    assert [t["__index_level_0__"] for t in tasks] == ["pick up the red block", "push the blue block left", "put it in the bowl"]
    frames = pq.read_table(root / "data/chunk-000/file-000.parquet", columns=["episode_index", "task_index"]).to_pylist()
    assert [f["task_index"] for f in frames if f["episode_index"] == 2] == [0] * 3 + [2] * (eps[2].num_steps - 3)
    episodes = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [r["length"] for r in episodes] == [e.num_steps for e in eps] and episodes[1]["dataset_from_index"] == 6
    assert episodes[2]["tasks"] == ["pick up the red block", "put it in the bowl"]
    if mode == "video":
        assert (root / "videos/observation.images.front/chunk-000/file-000.mp4").is_file()
        assert episodes[1]["videos/observation.images.front/from_timestamp"] == pytest.approx(0.6)
    back = list(DemoDataset(import_lerobot(ImportConfig(str(root), str(tmp_path / "back")))["out"]))
    assert len(back) == 3
    for a, b in zip(eps, back):
        assert (a.instruction, a.task, a.args, a.seed, a.success, a.index, a.segments) == (
            b.instruction, b.task, b.args, b.seed, b.success, b.index, b.segments)
        np.testing.assert_array_equal(a.proprio, b.proprio)
        np.testing.assert_array_equal(a.actions, b.actions)
        for cam in ("rgb_front", "rgb_wrist"):
            err = np.abs(getattr(a, cam).astype(int) - getattr(b, cam))
            assert err.max() == 0 if mode == "image" else err.mean() < VIDEO_MEAN_ERR, f"{cam}: {err.mean():.2f}"


def test_other_robot_widths_train_save_export_and_run_but_not_in_the_sim(tmp_path):
    """6-d state / 3-d actions: imported with a mapping, trained, saved, exported to ONNX, run; the loop refuses it."""
    from heron.policies.export import export_policy
    from heron.runtime.loop import ControlLoop
    from heron.runtime.onnx_policy import OnnxPolicy
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    write_demos(tmp_path / "demos", episodes=4, size=64, dims={"proprio": 8, "actions": 4})
    export_lerobot(ExportConfig(str(tmp_path / "demos"), str(tmp_path / "lr"), mode="image"))
    (tmp_path / "map.yaml").write_text("state: {key: observation.state, columns: [0, 1, 2, 3, 4, state_7]}\n"
                                       "action: {key: action, columns: [action_0, action_1, 3]}\n")
    summary = import_lerobot(ImportConfig(str(tmp_path / "lr"), str(tmp_path / "mine"), str(tmp_path / "map.yaml")))
    assert summary["dims"] == {"proprio": 6, "actions": 3} and summary["sim_compatible"] is False
    src = list(DemoDataset(tmp_path / "demos"))
    mine = list(DemoDataset(tmp_path / "mine"))
    np.testing.assert_array_equal(mine[2].proprio, src[2].proprio[:, [0, 1, 2, 3, 4, 7]])
    np.testing.assert_array_equal(mine[2].actions, src[2].actions[:, [0, 1, 3]])
    cfg = load_train_config("configs/train/tiny.yaml", [f"data={tmp_path / 'mine'}", f"out={tmp_path / 'run'}", "steps=3",
                                                        "policy_overrides=[proprio_dim=6, action_dim=3]"])
    Trainer(cfg, progress=False).fit()
    export_policy(tmp_path / "run" / "final", tmp_path / "onnx")
    policy = OnnxPolicy(tmp_path / "onnx")
    policy.set_instruction("pick up the red block")
    out = policy.act({"rgb_front": mine[0].rgb_front[0], "rgb_wrist": mine[0].rgb_wrist[0], "proprio": mine[0].proprio[0]})
    assert out.chunk.shape == (4, 3) and np.all(np.isfinite(out.chunk))
    with pytest.raises(ValueError, match=r"takes proprio \(6,\) and gives actions \(3,\).*simulator"):
        ControlLoop(policy)


def test_import_errors_name_file_key_and_expected(tmp_path):
    write_demos(tmp_path / "demos")
    export_lerobot(ExportConfig(str(tmp_path / "demos"), str(tmp_path / "lr"), mode="image"))
    root = tmp_path / "lr"

    def imp(map_text=None, name="out"):
        path = None
        if map_text is not None:
            path = tmp_path / f"{name}.yaml"
            path.write_text(map_text)
        return import_lerobot(ImportConfig(str(root), str(tmp_path / name), str(path) if path else None))

    with pytest.raises(DatasetError, match=r"m1\.yaml: state: columns\[1\]='elbow': no such column in 'observation.state' \(its names are \['joint_pos_0'"):
        imp("state: {key: observation.state, columns: [0, elbow]}", "m1")
    with pytest.raises(DatasetError, match=r"m2\.yaml: action\.key='act': no such feature in .*info\.json \(vector features: \['observation.state', 'action'\]\)"):
        imp("action: act", "m2")
    with pytest.raises(DatasetError, match=r"m3\.yaml: cameras\.rgb_front='observation.images.top': no such feature"):
        imp("cameras: {rgb_front: observation.images.top}", "m3")
    with pytest.raises(DatasetError, match=r"m4\.yaml: unknown key 'camera' .*did you mean 'cameras'"):
        imp("camera: {}", "m4")
    with pytest.raises(DatasetError, match=r"m5\.yaml: action: columns\[0\]=9 is out of range: 'action' has 5 entries"):
        imp("action: {columns: [9]}", "m5")
    info_path = root / "meta/info.json"
    info = json.loads(info_path.read_text())
    good = info_path.read_text()
    info["codebase_version"] = "v2.1"
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match=r"info\.json: codebase_version='v2.1', expected 'v3.0'"):
        imp()
    info["codebase_version"] = "v3.0"
    info["features"]["observation.state"]["shape"] = [21]
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match=r"file-000\.parquet: 'observation.state' has 22 values per frame; meta/info.json says shape \[21\]"):
        imp()
    del info["features"]["action"]
    info_path.write_text(json.dumps(info))
    with pytest.raises(DatasetError, match=r"<defaults>: action\.key='action': no such feature"):
        imp()
    info_path.write_text(good)
    data = root / "data/chunk-000/file-000.parquet"
    data.write_bytes(data.read_bytes()[: len(data.read_bytes()) // 2])
    with pytest.raises(DatasetError, match=r"data/chunk-000/file-000\.parquet: cannot read as parquet"):
        imp()
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.tmp-*"))  # nothing half-written


def test_corrupt_video_and_missing_column(tmp_path):
    write_demos(tmp_path / "demos")
    export_lerobot(ExportConfig(str(tmp_path / "demos"), str(tmp_path / "lr"), mode="video"))
    video = tmp_path / "lr/videos/observation.images.wrist/chunk-000/file-000.mp4"
    video.write_bytes(b"\x00" * 64 + video.read_bytes()[200:])
    with pytest.raises(DatasetError, match=r"observation\.images\.wrist/chunk-000/file-000\.mp4: cannot decode the video"):
        import_lerobot(ImportConfig(str(tmp_path / "lr"), str(tmp_path / "out")))
    export_lerobot(ExportConfig(str(tmp_path / "demos"), str(tmp_path / "lr2"), mode="image"))
    data = tmp_path / "lr2/data/chunk-000/file-000.parquet"
    pq.write_table(pq.read_table(data).drop_columns(["action"]), data)
    with pytest.raises(DatasetError, match=r"file-000\.parquet: missing column\(s\) \['action'\]"):
        import_lerobot(ImportConfig(str(tmp_path / "lr2"), str(tmp_path / "out")))


def test_existing_output_is_kept_until_the_new_one_is_complete(tmp_path, monkeypatch):
    write_demos(tmp_path / "demos")
    out = tmp_path / "lr"
    export_lerobot(ExportConfig(str(tmp_path / "demos"), str(out), mode="image"))
    before = (out / "meta/info.json").read_text()
    with pytest.raises(DatasetError, match="already exists; pass --overwrite"):
        export_lerobot(ExportConfig(str(tmp_path / "demos"), str(out), mode="image"))
    import heron.data.lerobot_export as ex

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(ex, "_write_meta", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_lerobot(ExportConfig(str(tmp_path / "demos"), str(out), mode="video", overwrite=True))
    assert (out / "meta/info.json").read_text() == before and not (out / "videos").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demos", "lr"]
    monkeypatch.undo()
    export_lerobot(ExportConfig(str(tmp_path / "demos"), str(out), mode="video", overwrite=True))
    assert (out / "videos").is_dir()
