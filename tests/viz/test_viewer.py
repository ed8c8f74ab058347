"""heron view (.rrd through rerun, PNG contact sheets) and the heron data command line."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from heron.cli.main import main
from heron.data import DemoDataset, Episode, open_writer, shard_path
from heron.data.mp4 import Mp4Writer
from heron.viz.viewer import load, write_contact_sheet, write_rrd


def demos(path, n=2, steps=5):
    rng = np.random.default_rng(0)
    with open_writer(shard_path(path, 0)) as w:
        for i in range(n):
            w.write(Episode(rgb_front=rng.integers(0, 255, (steps + i, 32, 32, 3), dtype=np.uint8),
                            rgb_wrist=rng.integers(0, 255, (steps + i, 32, 32, 3), dtype=np.uint8),
                            proprio=rng.normal(size=(steps + i, 22)).astype(np.float32),
                            actions=rng.uniform(-1, 1, (steps + i, 5)).astype(np.float32),
                            instruction=f"pick up block {i}", task="pick", index=i, seed=i, success=i == 0))
    return path


def rrd_rows(path) -> Counter:
    from rerun.chunk import RrdReader

    rows: Counter = Counter()
    for chunk in RrdReader(str(path)).stream():
        rows[chunk.entity_path] += chunk.num_rows
    return rows


def test_rrd_of_a_dataset_and_of_its_lerobot_export(tmp_path):
    src = demos(tmp_path / "demos")
    rows = rrd_rows(write_rrd(load(src), tmp_path / "a.rrd"))
    for ep, steps in (("episode_000000", 5), ("episode_000001", 6)):
        for key in ("camera/front", "camera/wrist", "proprio", "action", "done"):
            assert rows[f"/{ep}/{key}"] == steps, (ep, key)
        assert rows[f"/{ep}/instruction"] == 1 and rows[f"/{ep}/success"] == 1
    assert main(["data", "export", "--in", str(src), "--out", str(tmp_path / "lr"), "--mode", "image", "--no-progress"]) == 0
    assert main(["view", str(tmp_path / "lr"), "--out", str(tmp_path / "b.rrd")]) == 0
    assert rrd_rows(tmp_path / "b.rrd")["/episode_000001/camera/wrist"] == 6
    assert main(["data", "import", "--format", "lerobot", "--in", str(tmp_path / "lr"), "--out", str(tmp_path / "back"), "--no-progress"]) == 0
    assert [e.instruction for e in DemoDataset(tmp_path / "back").episodes] == ["pick up block 0", "pick up block 1"]


def test_png_contact_sheet_and_eval_run(tmp_path, capsys):
    src = demos(tmp_path / "demos", n=3)
    assert main(["view", str(src), "--png", "--out", str(tmp_path / "sheet.png"), "--episodes", "2"]) == 0
    import cv2

    img = cv2.imread(str(tmp_path / "sheet.png"))
    assert img is not None and img.shape[0] > 200 and img.shape[1] > 800
    assert json.loads(capsys.readouterr().out.splitlines()[0])["episodes"] == 2
    video = tmp_path / "ep0.mp4"
    w = Mp4Writer(video, 10, 32, 32)
    w.write(np.zeros((7, 32, 32, 3), np.uint8))
    w.close()
    (tmp_path / "eval.json").write_text(json.dumps({"episodes": [
        {"task": "pick", "instruction": "pick up the red block", "success": True, "steps": 7, "video": str(video)},
        {"task": "push", "instruction": "push the blue block left", "success": False, "steps": 30}]}))
    episodes = load(tmp_path / "eval.json")
    assert [e.success for e in episodes] == [True, False] and len(episodes[0].frames["video"]) == 7
    rows = rrd_rows(write_rrd(episodes, tmp_path / "eval.rrd"))
    assert rows["/episode_0000/camera/video"] == 7 and rows["/episode_0001/success"] == 1
    write_contact_sheet(episodes, tmp_path / "eval.png")


def test_view_and_data_errors(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    assert main(["view", str(tmp_path / "x")]) == 2
    assert "not a heron dataset (shard-*.h5), LeRobot folder" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="needs an 'episodes' list"):
        load(tmp_path / "bad.json")
    assert main(["data", "import", "--format", "lerobot", "--in", str(tmp_path / "x"), "--out", str(tmp_path / "o")]) == 2
    assert "meta/info.json: missing; " in capsys.readouterr().err
