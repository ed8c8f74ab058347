"""``heron collect`` on the real simulator: CLI smoke test, determinism, resume, Ctrl-C, videos."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import cv2
import h5py
import numpy as np
import pytest

from heron.cli.main import main
from heron.collection.collect import collect
from heron.collection.config import episode_seed, resolve_tasks, task_of
from heron.data import DemoDataset, WindowDataset, compute_stats, read_meta, read_paraphrases, shard_path, write_meta
from heron.viz.video import VideoError, tile, write_video

FAST = ["--tasks", "touch,pick", "--image-size", "32", "--no-progress"]


def test_cli_collects_with_two_workers_and_reads_back(tmp_path, capsys):
    out, videos = tmp_path / "demos", tmp_path / "videos"
    argv = ["collect", "--episodes", "4", "--out", str(out), "--workers", "2", "--seed", "7", "--json"]
    rc = main(argv + FAST + ["--video-dir", str(videos), "--videos", "1"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["saved"] + len(summary["missing"]) == 4 and summary["stored"] == summary["saved"] >= 3
    assert summary["workers"] == 2 and summary["episodes_per_min"] > 0
    ds = DemoDataset(out)
    assert [p.name for p in ds.shards] == ["shard-00000.h5", "shard-00001.h5"][: len(ds.shards)]
    for info in ds.episodes:
        assert info.task == task_of(("touch", "pick"), info.index)  # round robin over the families
        assert info.success and info.split == "train"
        assert info.seed in {episode_seed(7, info.index, a) for a in range(3)}
        assert info.image_shapes["rgb_front"] == (32, 32, 3) and info.instruction
    ep = ds[0]
    assert np.all(np.abs(ep.actions) <= 1) and ep.proprio.shape == (ep.num_steps, 22)
    assert ep.rgb_front.std() > 0 and ep.rgb_wrist.std() > 0  # real renders, not blank frames
    assert not np.array_equal(ep.rgb_wrist[0], ep.rgb_wrist[-1]) and not np.array_equal(ep.proprio[0], ep.proprio[-1])
    windows = WindowDataset(ds, history=2, horizon=4)
    assert len(windows) == ds.num_steps and windows[len(windows) - 1]["done"] == 1.0
    assert compute_stats(ds)["num_steps"] == ds.num_steps
    meta = read_meta(out)
    assert meta["config"]["tasks"] == ["touch", "pick"] and meta["config"]["seed"] == 7
    assert meta["versions"]["pybullet"] and meta["versions"]["h5py"] == h5py.__version__
    assert meta["counts"]["stored"] == len(ds)
    # the paraphrase table: each stored instruction -> the other train phrasings of its task and arguments
    from heron.envs.tabletop.tasks.language import paraphrases

    table = read_paraphrases(out)
    assert summary["paraphrases"] == str(out / "paraphrases.json") and set(table) == {e.instruction for e in ds.episodes}
    for info in ds.episodes:
        alts = table[info.instruction]
        assert info.instruction not in alts and sorted(alts + [info.instruction]) == sorted(paraphrases(info.task, info.args))
    mp4 = list(videos.glob("episode-000000-touch.mp4"))
    assert len(mp4) == 1 and cv2.VideoCapture(str(mp4[0])).get(cv2.CAP_PROP_FRAME_COUNT) == ep.num_steps


def test_resume_skips_stored_episodes_and_data_does_not_depend_on_workers(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    kw = dict(tasks="touch,pick", seed=3, noise=0.2, image_size=32, progress=False)
    first = collect(episodes=2, out=a, workers=2, **kw)
    assert first["saved"] == 2 and first["skipped"] == 0
    more = collect(episodes=3, out=a, workers=1, **kw)  # resume with more episodes, another worker count
    assert more["skipped"] == 2 and more["saved"] == 1 and more["stored"] == 3
    again = collect(episodes=3, out=a, workers=2, **kw)
    assert again["saved"] == 0 and again["skipped"] == 3 and again["workers"] == 0
    assert len(read_meta(a)["runs"]) == 3
    collect(episodes=3, out=b, workers=1, **kw)  # same episodes, one worker, one env for all
    da, db = DemoDataset(a), DemoDataset(b)
    assert [e.index for e in da.episodes] == [e.index for e in db.episodes] == [0, 1, 2]
    for i in range(3):
        ea, eb = da[i], db[i]
        assert ea.seed == eb.seed and ea.instruction == eb.instruction and ea.args == eb.args
        for k, v in ea.arrays().items():
            np.testing.assert_array_equal(v, eb.arrays()[k], err_msg=f"episode {i} {k}")


def test_resume_with_other_settings_is_refused(tmp_path):
    with pytest.raises(ValueError, match="did you mean 'pick'|Did you mean 'pick'"):
        resolve_tasks("pik")
    assert resolve_tasks("all") == tuple(sorted(resolve_tasks("all")))
    write_meta(tmp_path, {"config": {"tasks": ["pick"], "seed": 0, "noise": 0.1, "image_size": 96,
                                     "control_hz": 10, "split": "train", "max_attempts": 3}, "runs": []})
    with pytest.raises(ValueError, match=r"noise: stored 0.1, now 0.2"):
        collect(tasks="pick", episodes=1, out=tmp_path, noise=0.2, progress=False)
    with pytest.raises(ValueError, match="workers=0"):
        collect(tasks="pick", episodes=1, out=tmp_path / "x", workers=0, progress=False)


def test_ctrl_c_leaves_valid_shards_and_a_rerun_resumes(tmp_path):
    out = tmp_path / "demos"
    # Far more episodes than can finish before the interrupt, however fast the machine is.
    cmd = [sys.executable, "-m", "heron.cli.main", "collect", "--episodes", "5000", "--out", str(out), "--workers", "2"] + FAST
    # Output to files, not pipes: multiprocessing's resource tracker inherits the child's descriptors
    # and can outlive it, so reading pipes to EOF may never end although the command has exited.
    log_out, log_err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(log_out, "w") as fo, open(log_err, "w") as fe:
        # SIGINT back to its default in the child: a shell that starts this suite in the background
        # makes its children ignore SIGINT, and Python then installs no KeyboardInterrupt handler.
        proc = subprocess.Popen(cmd, start_new_session=True, stdout=fo, stderr=fe, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.time() + 60
        while time.time() < deadline and not (shard_path(out, 0).exists() and shard_path(out, 0).stat().st_size > 20_000):
            time.sleep(0.1)
        time.sleep(0.5)  # a few episodes in
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    stdout, stderr = log_out.read_text(), log_err.read_text()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout
    partial = DemoDataset(out)
    assert 0 < len(partial) < 5000 and partial.incomplete == []
    assert read_meta(out)["runs"][-1]["interrupted"] is True
    stored, top = len(partial), max(e.index for e in partial.episodes) + 1
    partial.close()
    # Re-running resumes: what is stored is skipped, the gaps the two workers left and 4 more are filled.
    summary = collect(tasks="touch,pick", episodes=top + 4, out=out, workers=2, image_size=32, progress=False)
    assert summary["skipped"] == stored and summary["stored"] == top + 4 - len(summary["missing"])


def test_write_video_round_trip_and_errors(tmp_path):
    frames = [tile(np.full((24, 32, 3), (10 * i, 0, 200), np.uint8), np.zeros((16, 16, 3), np.uint8)) for i in range(6)]
    assert frames[0].shape == (24, 48, 3)
    path = write_video(tmp_path / "sub" / "v.mp4", frames, fps=10)
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 6 and cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 48
    ok, bgr = cap.read()
    assert ok and abs(int(bgr[5, 5, 0]) - 200) < 12 and int(bgr[5, 5, 2]) < 12  # RGB in, BGR on disk
    with pytest.raises(VideoError, match="must end in"):
        write_video(tmp_path / "v.txt", frames, fps=10)
    with pytest.raises(VideoError, match="frame 1"):
        write_video(tmp_path / "w.mp4", [frames[0], frames[1][:, :40]], fps=10)
    with pytest.raises(VideoError, match="no frames"):
        write_video(tmp_path / "e.mp4", [], fps=10)
    (tmp_path / "file").write_text("x")
    with pytest.raises((VideoError, OSError)):
        write_video(tmp_path / "file" / "x.mp4", frames, fps=10)
