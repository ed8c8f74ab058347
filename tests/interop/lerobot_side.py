"""Runs inside .venv-lerobot (LeRobot 0.4.4), never in heron's venv: LeRobot's own reader and writer.

    python lerobot_side.py read ROOT OUT.npz            LeRobotDataset(root=ROOT) -> every frame, as arrays
    python lerobot_side.py write ROOT TRUTH.npz MODE    create / add_frame / save_episode / finalize
"""

from __future__ import annotations

import sys

import numpy as np

# The dataset heron imports: a 6-joint arm, two 40x56 cameras, 3-d actions; episode 2 switches task.
SHAPE = (40, 56, 3)
EPISODES = [(5, ["reach the cup"]), (7, ["open the drawer"]), (6, ["open the drawer", "reach the cup"])]
STATE_NAMES = ["j0", "j1", "j2", "j3", "j4", "gripper"]
ACTION_NAMES = ["vx", "vy", "grip"]


def read(root: str, out: str) -> None:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset("heron/export", root=root)
    items = [ds[i] for i in range(len(ds))]
    arrays = {key: np.stack([(it[key].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for it in items])
              for key in ds.meta.camera_keys}
    arrays["state"] = np.stack([it["observation.state"].numpy() for it in items])
    arrays["action"] = np.stack([it["action"].numpy() for it in items])
    arrays["task"] = np.array([it["task"] for it in items])
    for key in ("episode_index", "frame_index", "index", "task_index"):
        arrays[key] = np.array([int(it[key]) for it in items])
    arrays["timestamp"] = np.array([float(it["timestamp"]) for it in items])
    arrays["fps"] = np.array(ds.fps)
    arrays["state_names"] = np.array(ds.meta.features["observation.state"]["names"])
    np.savez(out, **arrays)


def write(root: str, truth: str, mode: str) -> None:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    dtype = "video" if mode == "video" else "image"
    features = {
        "observation.images.top": {"dtype": dtype, "shape": SHAPE, "names": ["height", "width", "channels"]},
        "observation.images.side": {"dtype": dtype, "shape": SHAPE, "names": ["height", "width", "channels"]},
        "observation.state": {"dtype": "float32", "shape": (len(STATE_NAMES),), "names": STATE_NAMES},
        "action": {"dtype": "float32", "shape": (len(ACTION_NAMES),), "names": ACTION_NAMES},
    }
    extra = {"vcodec": "h264"} if mode == "video" else {}
    ds = LeRobotDataset.create("heron/interop", fps=15, features=features, root=root, robot_type="six_dof",
                               use_videos=mode == "video", image_writer_threads=0, **extra)
    rng = np.random.default_rng(0)
    out: dict[str, list] = {k: [] for k in ("top", "side", "state", "action", "task", "episode")}
    for e, (n, tasks) in enumerate(EPISODES):
        for t in range(n):
            # smooth images (a moving gradient + noise) so that video coding error stays small
            y, x = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
            top = np.stack([(x * 4 + t * 9) % 256, (y * 5 + e * 40) % 256, np.full_like(x, 60 + 20 * e)], -1).astype(np.uint8)
            side = np.ascontiguousarray(top[::-1, ::-1])
            frame = {"observation.images.top": top, "observation.images.side": side,
                     "observation.state": rng.normal(size=len(STATE_NAMES)).astype(np.float32),
                     "action": rng.uniform(-1, 1, len(ACTION_NAMES)).astype(np.float32),
                     "task": tasks[0] if t < n // 2 or len(tasks) == 1 else tasks[1]}
            for k, v in (("top", top), ("side", side), ("state", frame["observation.state"]), ("action", frame["action"]),
                         ("task", frame["task"]), ("episode", e)):
                out[k].append(v)
            ds.add_frame(frame)  # (takes "task" out of the dict)
        ds.save_episode()
    ds.finalize()
    np.savez(truth, **{k: np.array(v) for k, v in out.items()})


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
