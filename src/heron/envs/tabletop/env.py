"""TabletopEnv: a Panda, four blocks, a tray, two colored zones and two distractors, driven by
language-conditioned task families (``heron.envs.tabletop.tasks``).

Observation: rgb_front, rgb_wrist uint8 (S, S, 3); proprio float32 (22,); instruction str;
timestamp float64 () seconds of simulated time; depth_front float32 (S, S) metres if depth=True.
Action ("ee"): float32 (5,) in [-1, 1] = (dx, dy, dz, dyaw, gripper > 0 closes), scaled by the
max step sizes and executed through IK with the gripper pointing down. Action ("joint"): float32
(8,) = 7 joint-position deltas + gripper.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from heron.envs.features import Features
from heron.envs.tabletop import cameras, spaces
from heron.envs.tabletop import objects as O
from heron.envs.tabletop.config import PHYSICS_HZ, SPLITS, EnvConfig
from heron.envs.tabletop.randomization import SceneDraw
from heron.envs.tabletop.robot import FINGER_OPEN, HAND_LINK, LOWER, UPPER, YAW_LIMIT, quat_yaw
from heron.envs.tabletop.tasks import TASKS, sample_instruction

INSTRUCTION_CHARSET = "".join(c for c in string.printable if c not in "\t\n\r\x0b\x0c")
WORKSPACE_LOW = np.array([0.25, -0.40, 0.015])
WORKSPACE_HIGH = np.array([0.80, 0.40, 0.40])
START_EE = np.array([0.45, 0.0, 0.25])
TARGET_LEASH = 0.04  # the commanded ee target stays within this of the actual ee (m, per axis)
PROPRIO_BOUND = 100.0  # joint speeds stay far below this; finite bounds keep space checkers quiet
MAX_TIMESTAMP = 1e7
OPTION_KEYS = ("task", "args", "instruction", "split", "chain", "advance", "scene_draw")
ADVANCE_MODES = ("auto", "manual")
DRAW_STREAM = 0xD0  # domain randomisation of seed s is drawn from default_rng([s, 0xD0])
# Random start poses (recovery starts) are drawn in this box around START_EE, scaled by arm_start.
ARM_START_HALF_RANGE = np.array([0.17, 0.28, 0.13])
ARM_START_LOW_Z = 0.075  # above any block, even a stacked one's base


@dataclass
class Subtask:
    task: str
    args: dict | None = None
    instruction: str | None = None


def validate_instruction(text) -> str:
    if not isinstance(text, str):
        raise ValueError(f"instruction must be a string, got {type(text).__name__}")
    text = text.strip()
    if not 1 <= len(text) <= spaces.MAX_INSTRUCTION_CHARS:
        raise ValueError(f"instruction must have 1..{spaces.MAX_INSTRUCTION_CHARS} characters, got {len(text)}")
    bad = sorted(set(text) - set(INSTRUCTION_CHARSET))
    if bad:
        raise ValueError(f"instruction has characters outside printable ASCII: {bad!r}")
    return text


class TabletopEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, **kwargs):
        self.config = cfg = EnvConfig.from_kwargs(**kwargs)
        if cfg.task is not None:
            TASKS.get(cfg.task)
        self.render_mode = cfg.render_mode
        self.metadata = {**self.metadata, "render_fps": cfg.control_hz}
        s = cfg.image_size
        obs = {
            spaces.RGB_FRONT: gym.spaces.Box(0, 255, (s, s, 3), np.uint8),
            spaces.RGB_WRIST: gym.spaces.Box(0, 255, (s, s, 3), np.uint8),
            spaces.PROPRIO: gym.spaces.Box(-PROPRIO_BOUND, PROPRIO_BOUND, (spaces.PROPRIO_DIM,), np.float32),
            spaces.INSTRUCTION: gym.spaces.Text(spaces.MAX_INSTRUCTION_CHARS, min_length=1, charset=INSTRUCTION_CHARSET),
            spaces.TIMESTAMP: gym.spaces.Box(0.0, MAX_TIMESTAMP, (), np.float64),
        }
        if cfg.depth:
            obs[spaces.DEPTH_FRONT] = gym.spaces.Box(0.0, cameras.FAR, (s, s), np.float32)
        self.observation_space = gym.spaces.Dict(obs)
        dim = spaces.ACTION_DIM if cfg.action_mode == "ee" else spaces.JOINT_ACTION_DIM
        self.action_space = gym.spaces.Box(-1.0, 1.0, (dim,), np.float32)
        # what the tabletop declares: two cameras, 22 state values, 5 end-effector actions (joint mode: 8)
        actions = spaces.ACTION_NAMES if cfg.action_mode == "ee" else tuple(f"joint_{i}" for i in range(dim))
        self.features = Features(cameras={spaces.RGB_FRONT: (s, s), spaces.RGB_WRIST: (s, s)}, state=spaces.STATE_NAMES,
                                 actions=actions)
        self.workspace_low, self.workspace_high = WORKSPACE_LOW.copy(), WORKSPACE_HIGH.copy()

        import pybullet as p

        self._p = p
        self._cid = p.connect(p.GUI if cfg.gui else p.DIRECT)
        # measured before the first build: _build's resetSimulation clears the probe body's traces
        self._table_rgb = self._default_table_rgb = cameras.shaded_color(p, self._cid, O.RGBA["table"])
        self.draw = SceneDraw()  # what domain randomisation drew for this episode
        self._front_view, self._front_proj, self._light = cameras.FRONT_VIEW, cameras.FRONT_PROJ, None
        self._advance = "auto"
        self._pending = False  # manual advance: the active subtask succeeded, the next waits for advance()
        self.scene = self._build()
        self._fresh = True  # the first reset can use the world built here
        self._subtasks: list[Subtask] = []
        self.task = None
        self.instruction = ""
        self.split = cfg.split
        self._index = self._completed = 0
        self._steps = self._physics_steps = 0
        self._max_steps = 1
        self._all_done = self._success = False
        self._target_pos = START_EE.copy()
        self._target_yaw = 0.0
        self._joint_target = self._prev_joint_target = np.zeros(7)

    # -- properties read by tasks, experts and the control loop --------------------------------
    @property
    def sim_time(self) -> float:
        """Simulated seconds since reset (the observation timestamp)."""
        return self._physics_steps / PHYSICS_HZ

    @property
    def elapsed_steps(self) -> int:
        """Control steps since the active instruction was set (reset or set_task)."""
        return self._steps

    @property
    def ee_pos(self) -> np.ndarray:
        return self.scene.robot.ee_pose()[0]

    @property
    def ee_yaw(self) -> float:
        return quat_yaw(self.scene.robot.ee_pose()[1])

    @property
    def gripper_opening(self) -> float:
        return self.scene.robot.joint_state()[2]

    @property
    def client_id(self) -> int:
        return self._cid

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        subtasks, split = self._parse_options(options)
        self.split = split
        self._advance = options.get("advance") or "auto"
        if self._advance not in ADVANCE_MODES:
            raise ValueError(f"reset option advance={self._advance!r}; allowed: {', '.join(ADVANCE_MODES)}")
        if options.get("scene_draw") is not None:
            self.draw = SceneDraw.from_dict(options["scene_draw"])
        elif self.config.randomize.active:
            # Its own stream: the layout and instruction of a seed are the same with and without
            # randomisation, and a stored draw replays on any env.
            base = seed if seed is not None else int(self.np_random.integers(2**62))
            self.draw = self.config.randomize.draw(np.random.default_rng([base, DRAW_STREAM]))
        else:
            self.draw = SceneDraw()
        self._apply_draw_view()
        # A fresh world every episode (~12 ms): restoreState leaves solver warm-start state behind,
        # which would make an episode depend on the ones before it.
        needs_own = self.draw.block_scale is not None or self.draw.distractors is not None or self.draw.block_hue is not None
        if not self._fresh or needs_own:
            self.scene = self._build()
        self._fresh = False
        zones = []
        for sub in subtasks:
            if sub.args is not None:
                zones += TASKS.get(sub.task).required_zones(sub.args)
        self.scene.layout(self.np_random, tuple(zones))
        self._home()
        self._physics_steps = 0
        self._subtasks, self._completed, self._all_done, self._pending = subtasks, 0, False, False
        self._max_steps = sum(TASKS.get(s.task).budget(self.config.control_hz) for s in subtasks)
        self._start_subtask(0)
        return self._observation(), self._info()

    def step(self, action):
        a = np.asarray(action, dtype=np.float32).reshape(-1)
        if a.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {np.shape(action)}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"action has non-finite values: {a}")
        a = np.clip(a, -1.0, 1.0)
        if self.config.action_mode == "ee":
            self._apply_ee(a)
        else:
            self._apply_joint(a)
        self._run_physics()
        self._physics_steps += self.config.substeps
        self._steps += 1
        reward = 0.0
        if not self._all_done and not self._pending and self.task.success(self.scene):
            reward = 1.0
            self._completed += 1
            if self._index + 1 < len(self._subtasks):
                if self._advance == "manual":
                    self._pending = True
                else:
                    self._start_subtask(self._index + 1, keep_steps=True)
            else:
                self._all_done = self._success = True
        terminated = self._all_done
        truncated = bool(not terminated and self._steps >= self._max_steps)
        return self._observation(), reward, terminated, truncated, self._info()

    def advance(self) -> dict:
        """Manual advance (reset option ``advance="manual"``): start the next subtask of the chain once
        the active one has succeeded; returns the info. The caller decides when (e.g. when ``done`` fires)."""
        if not self._pending:
            raise RuntimeError("advance(): the active subtask has not succeeded yet (or the chain is over)")
        self._pending = False
        self._start_subtask(self._index + 1, keep_steps=True)
        return self._info()

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        size = self.config.render_size
        rgb, _ = cameras.render(self._p, self._cid, size, self._front_view, self._front_proj, background=self._table_rgb,
                                light=self._light)
        return rgb

    def render_front(self, size: int) -> np.ndarray:
        """The front camera at ``size`` px (a presentation view; the policy sees ``image_size``)."""
        rgb, _ = cameras.render(self._p, self._cid, int(size), self._front_view, self._front_proj,
                                background=self._table_rgb, light=self._light)
        return rgb

    def render_presentation(self, width: int, height: int) -> np.ndarray:
        """RGB uint8 (height, width, 3) from the presentation camera (``cameras.PRESENTATION_*``), for
        videos only: it reads the scene and changes nothing (no physics, no random draws)."""
        return cameras.render_rgb(self._p, self._cid, int(width), int(height), cameras.PRESENTATION_VIEW,
                                  cameras.PRESENTATION_FOV, background=self._table_rgb, light=self._light)

    def _apply_draw_view(self) -> None:
        """Camera matrices, light and table shade of this episode's draw (before the world is built:
        the table-shade probe body is cleared by the build's resetSimulation)."""
        d = self.draw
        self._front_view, self._front_proj = cameras.front_camera(d.camera_shift, d.camera_rotation, d.camera_fov)
        self._light = d.light_kwargs() or None
        if d.table_blend is None and self._light is None:
            self._table_rgb = self._default_table_rgb
        else:
            self._table_rgb = cameras.shaded_color(self._p, self._cid, d.table_rgba(O.RGBA["table"]), self._light)

    def _build(self):
        from heron.envs.tabletop.scene import Scene

        p, kw, d = self._p, {"physicsClientId": self._cid}, self.draw
        p.resetSimulation(**kw)
        p.setGravity(0, 0, -9.81, **kw)
        p.setTimeStep(1.0 / PHYSICS_HZ, **kw)
        p.setPhysicsEngineParameter(deterministicOverlappingPairs=1, **kw)
        rgba = None
        if d.block_hue is not None:
            rgba = {c: d.block_rgba(i, O.RGBA[c]) for i, c in enumerate(O.BLOCK_COLORS)}
        return Scene(p, self._cid, draw_table=self.config.gui, block_scale=d.block_scale or 1.0,
                     distractors=None if d.distractors is None else tuple(d.distractors), block_rgba=rgba)

    def close(self):
        if getattr(self, "_cid", None) is not None:
            try:
                self._p.disconnect(physicsClientId=self._cid)
            finally:
                self._cid = None

    # -- language / tasks -----------------------------------------------------------------------
    def set_task(self, task: str, args: dict | None = None, instruction: str | None = None) -> dict:
        """A new instruction on the same scene, no reset; step counter and success start afresh."""
        sub = self._subtask_from(task, args, instruction)
        if sub.args is not None:
            TASKS.get(sub.task)(sub.args).check_scene(self.scene)
        self._subtasks, self._completed, self._all_done, self._pending = [sub], 0, False, False
        self._max_steps = TASKS.get(sub.task).budget(self.config.control_hz)
        self._start_subtask(0)
        return self._info()

    def expert_action(self) -> np.ndarray:
        """Clean scripted-expert action for the active subtask: (5,) in ee mode, (8,) in joint mode."""
        if self.task is None:
            raise RuntimeError("call reset() before expert_action()")
        a = self.task.expert_action(self)
        if self.config.action_mode == "ee":
            return a
        return self._ee_to_joint_action(a)

    def _subtask_from(self, task, args, instruction) -> Subtask:
        cls = TASKS.get(task)
        if args is not None:
            args = cls.validate_args(args)
        if instruction is not None:
            instruction = validate_instruction(instruction)
        return Subtask(task, args, instruction)

    def _parse_options(self, options: dict) -> tuple[list[Subtask], str]:
        if not isinstance(options, dict):
            raise ValueError(f"reset options must be a dict, got {type(options).__name__}")
        unknown = [k for k in options if k not in OPTION_KEYS]
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; allowed: {', '.join(OPTION_KEYS)}")
        split = options.get("split", self.config.split)
        if split not in SPLITS:
            raise ValueError(f"split={split!r}; allowed: {', '.join(SPLITS)}")
        if options.get("chain") is not None:
            if any(options.get(k) is not None for k in ("task", "args", "instruction")):
                raise ValueError("reset options: give either 'chain' or 'task'/'args'/'instruction', not both")
            chain = options["chain"]
            if not isinstance(chain, (list, tuple)) or not chain:
                raise ValueError("reset option 'chain' must be a non-empty list of {'task', 'args', 'instruction'} dicts")
            subs = []
            for i, item in enumerate(chain):
                if not isinstance(item, dict) or "task" not in item:
                    raise ValueError(f"chain[{i}] must be a dict with a 'task' key, got {item!r}")
                extra = [k for k in item if k not in ("task", "args", "instruction")]
                if extra:
                    raise ValueError(f"chain[{i}] has unknown key(s) {extra}; allowed: task, args, instruction")
                subs.append(self._subtask_from(item["task"], item.get("args"), item.get("instruction")))
            return subs, split
        task = options.get("task") or self.config.task
        if task is None and options.get("args") is not None:
            raise ValueError("reset option 'args' needs a 'task' on the multi-task env (heron/Tabletop-v0)")
        if task is None:
            task = TASKS.names()[int(self.np_random.integers(len(TASKS)))]
        return [self._subtask_from(task, options.get("args"), options.get("instruction"))], split

    def _start_subtask(self, index: int, keep_steps: bool = False) -> None:
        sub = self._subtasks[index]
        cls = TASKS.get(sub.task)
        if sub.args is None:
            sub.args = cls.sample_args(self.scene, self.np_random)
        self.task = cls(sub.args)
        self.task.check_scene(self.scene)
        self.task.begin(self)
        if sub.instruction is None:
            sub.instruction = sample_instruction(sub.task, sub.args, self.np_random, self.split)
        self.instruction = sub.instruction
        self._index = index
        self._success = False
        if not keep_steps:
            self._steps = 0

    def _info(self) -> dict:
        return {
            "task": self.task.name if self.task else None,
            "args": dict(self.task.args) if self.task else {},
            "instruction": self.instruction,
            "split": self.split,
            "subtask_index": self._index,
            "completed": self._completed,
            "success": self._success,
            "subtask_success": bool(self._success or self._pending),
            "num_subtasks": len(self._subtasks),
            "max_steps": self._max_steps,
            "elapsed_steps": self._steps,
            "randomization": self.draw.to_dict(),
        }

    # -- control --------------------------------------------------------------------------------
    def _home(self) -> None:
        noise = self.np_random.uniform(-1, 1, 3) * self.config.start_noise * np.array([1.0, 1.0, 0.5])
        start, yaw, closed = START_EE + noise, 0.0, False
        d = self.draw
        if d.arm_start is not None:  # a recovery start: anywhere in the (scaled) workspace box
            start = START_EE + np.asarray(d.arm_start) * (d.arm_scale or 1.0) * ARM_START_HALF_RANGE
            start[2] = max(start[2], ARM_START_LOW_Z)
            yaw, closed = float(d.arm_yaw or 0.0), bool(d.gripper_closed)
        robot = self.scene.robot
        q = robot.home_joints(start, yaw)
        robot.set_joints(q, 0.0 if closed else FINGER_OPEN)
        robot.command_arm(q)
        robot.command_gripper(closed)
        self._target_pos, self._target_yaw = robot.ee_pose()[0], yaw
        self._joint_target = q.copy()
        self._prev_joint_target = q.copy()

    def _apply_ee(self, a: np.ndarray) -> None:
        cfg, robot = self.config, self.scene.robot
        ee = robot.ee_pose()[0]
        target = self._target_pos + a[:3] * cfg.max_xyz_step
        target = ee + np.clip(target - ee, -TARGET_LEASH, TARGET_LEASH)
        self._target_pos = np.clip(target, self.workspace_low, self.workspace_high)
        self._target_yaw = float(np.clip(self._target_yaw + a[3] * cfg.max_yaw_step, -YAW_LIMIT, YAW_LIMIT))
        q = robot.solve_ik(self._target_pos, self._target_yaw)
        self._prev_joint_target, self._joint_target = self._joint_target, q
        robot.command_gripper(bool(a[4] > 0))

    def _apply_joint(self, a: np.ndarray) -> None:
        robot = self.scene.robot
        q = np.clip(self._joint_target + a[:7] * self.config.max_joint_step, LOWER[:7], UPPER[:7])
        self._prev_joint_target, self._joint_target = self._joint_target, q
        robot.command_gripper(bool(a[7] > 0))

    def _run_physics(self) -> None:
        """Substeps at 240 Hz; the arm's joint targets ramp linearly over the control period with a
        velocity feed-forward, which tracks without the overshoot of a step change."""
        p, kw, n, robot = self._p, {"physicsClientId": self._cid}, self.config.substeps, self.scene.robot
        q0, q1 = self._prev_joint_target, self._joint_target
        vel = (q1 - q0) * self.config.control_hz
        for i in range(1, n + 1):
            robot.command_arm(q0 + (q1 - q0) * (i / n), vel)
            p.stepSimulation(**kw)

    def _ee_to_joint_action(self, a: np.ndarray) -> np.ndarray:
        cfg, robot = self.config, self.scene.robot
        ee, quat = robot.ee_pose()
        target = np.clip(ee + a[:3] * cfg.max_xyz_step, self.workspace_low, self.workspace_high)
        yaw = float(np.clip(quat_yaw(quat) + a[3] * cfg.max_yaw_step, -YAW_LIMIT, YAW_LIMIT))
        q = robot.solve_ik(target, yaw)
        dq = np.clip((q - self._joint_target) / cfg.max_joint_step, -1, 1)
        return np.concatenate([dq, [a[4]]]).astype(np.float32)

    # -- observation ----------------------------------------------------------------------------
    def _observation(self) -> dict:
        p, cid, cfg, robot = self._p, self._cid, self.config, self.scene.robot
        q, dq, opening = robot.joint_state()
        ee, quat = robot.ee_pose()
        proprio = np.concatenate([q, dq, [opening], ee, quat]).astype(np.float32)
        bg = self._table_rgb
        front, depth = cameras.render(p, cid, cfg.image_size, self._front_view, self._front_proj, cfg.depth, bg, O.TABLE_Z,
                                      light=self._light)
        hand_pos, hand_quat = robot.link_pose(HAND_LINK)
        rot = np.array(p.getMatrixFromQuaternion(hand_quat, physicsClientId=cid)).reshape(3, 3)
        wrist, _ = cameras.render(p, cid, cfg.image_size, cameras.wrist_view(hand_pos, rot), cameras.WRIST_PROJ, background=bg,
                                  light=self._light)
        obs = {
            spaces.RGB_FRONT: front,
            spaces.RGB_WRIST: wrist,
            spaces.PROPRIO: proprio,
            spaces.INSTRUCTION: self.instruction,
            spaces.TIMESTAMP: np.array(self.sim_time, dtype=np.float64),
        }
        if cfg.depth:
            obs[spaces.DEPTH_FRONT] = depth
        return obs
