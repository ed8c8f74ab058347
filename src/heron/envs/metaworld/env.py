"""``MetaWorldEnv``: one MT50 task under LeRobot's protocol, with heron's observation keys.

Observation: ``rgb_corner2`` uint8 (S, S, 3) (LeRobot's camera), ``proprio`` float32 (4,) (hand xyz and
gripper opening: the first 4 values of metaworld's observation), ``instruction`` (LeRobot's string).
Action: float32 (4,) in [-1, 1] (hand xyz delta, gripper). ``info["success"]`` is whether the task has been
solved at any step of the episode; the episode terminates on success and is truncated at 500 steps.

Rendering: by default the cheap look (no shadows, no anti-aliasing; about 10 ms a frame at 96 px on a CPU
core, against about 150 ms for LeRobot's 480 px default look); ``look="lerobot"`` renders metaworld's default
look. Train and evaluate with the same look: the pixels differ (about 9/255 on average).
"""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym
import numpy as np

from heron.envs.features import PROPRIO, Features
from heron.envs.metaworld.tasks import check_task, expert_class, instruction

CAMERA = "rgb_corner2"
CAMERA_POS = (0.75, 0.075, 0.7)  # LeRobot moves metaworld's corner2 camera here
LOOKS = ("cheap", "lerobot")
GL_BACKENDS = ("egl", "osmesa", "glfw")
STATE_NAMES = ("hand_x", "hand_y", "hand_z", "gripper")
ACTION_NAMES = ("dx", "dy", "dz", "gripper")
MAX_INSTRUCTION_CHARS = 256


def _import_metaworld():
    os.environ.setdefault("MUJOCO_GL", "egl")  # headless; works here through Mesa's CPU renderer
    if os.environ["MUJOCO_GL"] not in GL_BACKENDS:
        raise RuntimeError(f"MUJOCO_GL={os.environ['MUJOCO_GL']!r}: MuJoCo renders headless with one of {', '.join(GL_BACKENDS)}")
    try:
        import metaworld
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(f"the Meta-World environments need the metaworld package ({exc}); install heron's "
                                  "extra: pip install 'heron[metaworld]'") from None
    return metaworld


class MetaWorldEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 80}

    def __init__(self, task: str, image_size: int = 96, look: str = "cheap", max_steps: int = 500):
        self.task = check_task(task)
        if look not in LOOKS:
            raise ValueError(f"look={look!r}: allowed {', '.join(LOOKS)}")
        if not 32 <= int(image_size) <= 512:
            raise ValueError(f"image_size={image_size}: allowed 32..512")
        self.image_size, self.look, self.max_steps = int(image_size), look, int(max_steps)
        self.instruction = instruction(self.task)
        metaworld = _import_metaworld()
        mt1 = metaworld.MT1(self.task, seed=42)
        self._env = mt1.train_classes[self.task](render_mode="rgb_array", camera_name="corner2",
                                                 width=self.image_size, height=self.image_size)
        self._env.set_task(mt1.train_tasks[0])
        self._env._freeze_rand_vec = False  # positions drawn afresh at every reset,
        self._env.seeded_rand_vec = True  # from the reset seed (LeRobot's protocol)
        model = self._env.model
        import mujoco

        model.cam_pos[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, "corner2")] = CAMERA_POS
        if look == "cheap":
            model.vis.quality.offsamples = 0  # before the first render: no anti-aliasing
        self._viewer = None
        s = self.image_size
        self.features = Features(cameras={CAMERA: (s, s)}, state=STATE_NAMES, actions=ACTION_NAMES)
        self.observation_space = gym.spaces.Dict({
            CAMERA: gym.spaces.Box(0, 255, (s, s, 3), np.uint8),
            PROPRIO: gym.spaces.Box(-np.inf, np.inf, (len(STATE_NAMES),), np.float32),
            "instruction": gym.spaces.Text(MAX_INSTRUCTION_CHARS, min_length=1),
        })
        self.action_space = gym.spaces.Box(-1.0, 1.0, (len(ACTION_NAMES),), np.float32)
        self._raw = None
        self._steps, self._success = 0, False
        self._expert = None

    # -- rendering --------------------------------------------------------------------------
    def _frame(self) -> np.ndarray:
        if self._viewer is None:
            import mujoco

            self._viewer = self._env.mujoco_renderer._get_viewer("rgb_array")
            if self.look == "cheap":
                self._viewer.scn.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        # Another env's renderer may have made its own context current: rendering then gives silent black frames.
        self._viewer.make_context_current()
        img = np.ascontiguousarray(np.flip(self._env.render(), (0, 1)))  # LeRobot rotates the image 180 degrees
        if img.max() == 0 or img.std() < 1.0:
            raise RuntimeError(f"{self.task}: the rendered frame is blank (max {img.max()}, std {img.std():.2f}): "
                               f"the MuJoCo GL context is broken (MUJOCO_GL={os.environ.get('MUJOCO_GL')}; "
                               f"choices {', '.join(GL_BACKENDS)}); keep one rendering env per process")
        return img

    def _obs(self) -> dict[str, Any]:
        return {CAMERA: self._frame(), PROPRIO: np.asarray(self._raw[:4], np.float32), "instruction": self.instruction}

    # -- gymnasium --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is None:
            seed = int(self.np_random.integers(2**31 - 1))
        # metaworld's own reset ignores its seed argument: seed its generator, then draw this episode's object
        # and goal positions from it (seeded_rand_vec), so a reset seed always gives the same scene.
        self._env.seed(int(seed))
        self._raw, _ = self._env.reset()
        self._steps, self._success = 0, False
        return self._obs(), {"instruction": self.instruction, "success": False, "task": self.task}

    def step(self, action):
        if self._raw is None:
            raise RuntimeError("call reset() before step()")
        a = np.clip(np.asarray(action, np.float32).reshape(-1), -1.0, 1.0)
        if a.shape != self.action_space.shape or not np.all(np.isfinite(a)):
            raise ValueError(f"action {a!r}: expected {self.action_space.shape[0]} finite values in [-1, 1]")
        self._raw, reward, _, _, info = self._env.step(a)
        self._steps += 1
        self._success = self._success or bool(info.get("success", 0.0) >= 1.0)
        terminated = self._success
        truncated = not terminated and self._steps >= self.max_steps
        out = {"instruction": self.instruction, "success": self._success, "task": self.task}
        return self._obs(), float(reward), terminated, truncated, out

    def expert_action(self) -> np.ndarray:
        """metaworld's scripted policy for this task, on the full (hidden) state: the demonstrator (stateless, so
        one per env serves every episode)."""
        if self._expert is None:
            from metaworld import policies

            self._expert = getattr(policies, expert_class(self.task))()
        return np.clip(np.asarray(self._expert.get_action(self._raw), np.float32), -1.0, 1.0)

    def render(self):
        return self._frame()

    def close(self):
        if self._viewer is not None:
            self._viewer.make_context_current()
        self._env.close()
        self._viewer = None
