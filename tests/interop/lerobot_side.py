"""Runs inside .venv-lerobot (LeRobot 0.4.4), never in heron's venv: LeRobot's own reader and writer.

    python lerobot_side.py read ROOT OUT.npz            LeRobotDataset(root=ROOT) -> every frame, as arrays
    python lerobot_side.py write ROOT TRUTH.npz MODE    create / add_frame / save_episode / finalize
    python lerobot_side.py train ROOT OUT STEPS          a tiny ACT trained on ROOT, saved as lerobot-train does
    python lerobot_side.py act FOLDER OBS.npz OUT.npz    FOLDER's policy on each saved observation, LeRobot alone
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


def train(root: str, out: str, steps: str) -> None:
    """ACT with tiny dims (untrained backbone: offline), its processors from the dataset's statistics,
    STEPS AdamW steps, then ``save_pretrained`` of policy and processors: a ``pretrained_model`` folder."""
    import torch
    from lerobot.configs.types import FeatureType
    from lerobot.datasets.lerobot_dataset import LeRobotDataset
    from lerobot.datasets.utils import dataset_to_policy_features
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.factory import make_pre_post_processors

    torch.manual_seed(0)
    meta = LeRobotDataset("heron/export", root=root).meta
    features = dataset_to_policy_features(meta.features)
    cfg = ACTConfig(
        input_features={k: f for k, f in features.items() if f.type is not FeatureType.ACTION},
        output_features={k: f for k, f in features.items() if f.type is FeatureType.ACTION},
        chunk_size=4, n_action_steps=4, dim_model=32, n_heads=2, dim_feedforward=64, n_encoder_layers=1,
        n_decoder_layers=1, n_vae_encoder_layers=1, latent_dim=8, pretrained_backbone_weights=None, device="cpu")
    ds = LeRobotDataset("heron/export", root=root, delta_timestamps={"action": [i / meta.fps for i in range(cfg.chunk_size)]})
    policy = ACTPolicy(cfg)
    pre, post = make_pre_post_processors(cfg, dataset_stats=meta.stats)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True)
    policy.train()
    done = 0
    while done < int(steps):
        for batch in loader:
            loss, _ = policy.forward(pre(batch))
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done >= int(steps):
                break
    for thing in (policy, pre, post):
        thing.save_pretrained(out)


def act(folder: str, obs: str, out: str) -> None:
    """LeRobot alone (no heron code): FOLDER's policy and processors on each observation in OBS.npz
    (front, wrist uint8 HWC, state float32, task), converted by lerobot-eval's own preprocess_observation;
    actions to OUT.npz."""
    import torch
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.envs.utils import preprocess_observation
    from lerobot.policies.factory import get_policy_class, make_pre_post_processors

    cfg = PreTrainedConfig.from_pretrained(folder)
    policy = get_policy_class(cfg.type).from_pretrained(folder, config=cfg)
    pre, post = make_pre_post_processors(cfg, pretrained_path=folder)
    data = np.load(obs)
    actions = []
    for i in range(len(data["state"])):
        batch = preprocess_observation({"pixels": {cam: data[cam][i][None] for cam in ("front", "wrist")},
                                        "agent_pos": data["state"][i][None]})
        batch["task"] = [str(data["task"][i])]  # what lerobot-eval's add_envs_task adds
        with torch.inference_mode():
            actions.append(post(policy.select_action(pre(batch))).numpy()[0])
    np.savez(out, action=np.stack(actions))


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "act":
        act(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
