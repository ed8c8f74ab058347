"""Presentation videos (heron/viz/video.py): size, frame count, and that recording changes nothing the policy sees."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from heron.cli.main import main
from heron.evaluation.evaluate import evaluate
from heron.runtime.interfaces import StepOutput
from heron.viz.video import parse_video_size

cv2 = pytest.importorskip("cv2")


def read_frames(path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


class DigestPolicy:
    """Random actions from NumPy's global RNG (which eval seeds per episode); logs a digest of every
    observation it receives, so two runs can be compared observation by observation."""

    def __init__(self):
        self.log: list[str] = []

    def reset(self) -> None:
        pass

    def set_instruction(self, text: str) -> None:
        self.log.append(text)

    def act(self, obs) -> StepOutput:
        h = hashlib.sha1()
        for key in ("rgb_front", "rgb_wrist", "proprio"):
            h.update(np.ascontiguousarray(obs[key]).tobytes())
        self.log.append(h.hexdigest())
        return StepOutput(action=np.random.uniform(-1, 1, 5).astype(np.float32))


def test_eval_video_has_the_presentation_size_and_the_episode_is_unchanged(tmp_path):
    with_video = evaluate("oracle", "seen", episodes=1, tasks=["pick"], video_dir=tmp_path, videos=1)
    plain = evaluate("oracle", "seen", episodes=1, tasks=["pick"])
    rec, ref = with_video["episodes"][0], plain["episodes"][0]
    assert (rec["success"], rec["steps"], rec["seed"]) == (ref["success"], ref["steps"], ref["seed"])
    assert rec["success"] is True and "video" not in ref
    frames = read_frames(rec["video"])
    # 480x360 presentation view on top of a strip with the policy's 96 px views
    assert {f.shape for f in frames} == {(360 + 96, 480, 3)}
    assert len(frames) == rec["steps"] + 1  # the reset observation, one per step, the final state
    assert with_video["config"]["video_size"] == [480, 360]
    # the scene moves: the presentation view of the first and last frames differ
    assert np.abs(frames[0][:360].astype(int) - frames[-1][:360].astype(int)).mean() > 1.0


def test_presentation_render_leaves_the_policys_observations_and_rng_alone(tmp_path):
    a, b = DigestPolicy(), DigestPolicy()
    ra = evaluate(a, "seen", episodes=1, tasks=["touch"], video_dir=tmp_path, videos=1)["episodes"][0]
    rb = evaluate(b, "seen", episodes=1, tasks=["touch"])["episodes"][0]
    assert ra.get("video") and not rb.get("video")
    assert len(a.log) > 10 and a.log == b.log
    assert (ra["success"], ra["steps"]) == (rb["success"], rb["steps"])


def test_video_size_parsing():
    assert parse_video_size("480x360") == (480, 360)
    assert parse_video_size(" 640X480 ") == (640, 480)
    assert parse_video_size((320, 240)) == (320, 240)
    for bad in ("480", "480x361", "480x360x3", "32x32", "big", "4000x300"):
        with pytest.raises(ValueError, match=r"--video-size=.*WIDTHxHEIGHT"):
            parse_video_size(bad)


def test_video_size_flag_error_names_the_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["eval", "--policy", "oracle", "--video-size", "480x361"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--video-size" in err and "'480x361'" in err and "WIDTHxHEIGHT" in err


@pytest.mark.parametrize("path", [[], ["--task", "pick", "--args", '{"object": "red"}']], ids=["plan", "direct"])
def test_run_video_at_the_requested_size(tmp_path, tiny_onnx, path):
    from heron.cli.run import policy_image_size
    from heron.runtime import load_policy

    video = tmp_path / "run.mp4"
    assert main(["run", "-i", "pick up the red block", "--policy", str(tiny_onnx), "--max-steps", "3",
                 "--video", str(video), "--video-size", "320x240", *path]) == 0
    size = policy_image_size(load_policy(str(tiny_onnx), runtime="onnx"))
    frames = read_frames(video)
    assert len(frames) == 4 and {f.shape for f in frames} == {(240 + size + size % 2, 320, 3)}
