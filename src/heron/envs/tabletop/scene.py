"""The tabletop scene in one PyBullet client: table, Panda, blocks, tray, zones, distractors.

Builds the bodies once; ``layout(rng)`` places them at random non-overlapping poses. Queries
(poses, contacts, "is the robot holding it") are what tasks and experts read: tasks never call
PyBullet themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from heron.envs.tabletop import objects as O
from heron.envs.tabletop.robot import FINGER_LINKS, Panda

# Object centres are drawn inside this box on the table (x forward from the robot base, y to its left).
LAYOUT_X = (0.33, 0.67)
LAYOUT_Y = (-0.27, 0.27)
# Clearance radii used for non-overlap: blocks leave room for open fingers around them.
R_BLOCK, R_TRAY, R_ZONE, R_DISTRACTOR = 0.05, 0.105, 0.08, 0.04


@dataclass
class Layout:
    """Where everything is after a ``layout`` call (x, y on the table; yaw in rad)."""

    blocks: dict[str, tuple[float, float, float]]
    tray: tuple[float, float]
    zones: dict[str, tuple[float, float]]
    distractors: dict[str, tuple[float, float]]


class Scene:
    """``block_scale`` scales every block (one size per scene); ``distractors`` names kinds from
    ``heron.envs.tabletop.randomization.DISTRACTOR_POOL`` (None: the fixed purple cylinder and orange sphere);
    ``block_rgba`` overrides block colours (domain randomisation)."""

    def __init__(self, p, client: int, draw_table: bool = False, block_scale: float = 1.0,
                 distractors: tuple[str, ...] | None = None, block_rgba: dict | None = None):
        self.p, self.cid = p, client
        kw = {"physicsClientId": client}
        self._build_table(kw, draw_table)
        self.robot = Panda(p, client)
        self.block_size = O.BLOCK_SIZE * float(block_scale)
        half = self.block_size / 2
        self.blocks: dict[str, int] = {}
        for color in O.BLOCK_COLORS:
            rgba = (block_rgba or {}).get(color, O.RGBA[color])
            col = p.createCollisionShape(p.GEOM_BOX, halfExtents=[half] * 3, **kw)
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[half] * 3, rgbaColor=rgba, **kw)
            body = p.createMultiBody(O.BLOCK_MASS, col, vis, (0, 0, half), **kw)
            p.changeDynamics(body, -1, lateralFriction=1.0, spinningFriction=0.002, rollingFriction=0.0, **kw)
            self.blocks[color] = body
        self.tray = self._build_tray(kw)
        self.zones: dict[str, int] = {}  # zone body by slot; colors change per layout
        self._zone_bodies = []
        for _ in range(O.NUM_ZONES):
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[O.ZONE_SIZE / 2, O.ZONE_SIZE / 2, 0.0005], rgbaColor=(1, 1, 1, 1), **kw)
            self._zone_bodies.append(p.createMultiBody(0, -1, vis, (0, 0, O.TABLE_Z + 0.0005), **kw))
        from heron.envs.tabletop.randomization import DEFAULT_DISTRACTORS, DISTRACTOR_POOL

        pool = {name: (shape, rgba) for name, shape, rgba in DISTRACTOR_POOL}
        names = DEFAULT_DISTRACTORS if distractors is None else tuple(distractors)
        unknown = [n for n in names if n not in pool]
        if unknown:
            raise ValueError(f"distractors: unknown kind(s) {unknown}; known: {', '.join(pool)}")
        self.distractors: dict[str, int] = {}
        self._distractor_z: dict[str, float] = {}
        for name in names:
            body, z = self._build_distractor(kw, *pool[name])
            self.distractors[name] = body
            self._distractor_z[name] = z
        self.layout_state: Layout | None = None

    def _build_distractor(self, kw, shape: str, rgba) -> tuple[int, float]:
        """A static distractor body; returns (body, height of its centre above the table)."""
        p, r, h = self.p, O.DISTRACTOR_RADIUS, O.DISTRACTOR_HEIGHT
        if shape == "cylinder":
            vis = p.createVisualShape(p.GEOM_CYLINDER, radius=r, length=h, rgbaColor=rgba, **kw)
            col = p.createCollisionShape(p.GEOM_CYLINDER, radius=r, height=h, **kw)
            z = h / 2
        elif shape == "sphere":
            vis = p.createVisualShape(p.GEOM_SPHERE, radius=r, rgbaColor=rgba, **kw)
            col = p.createCollisionShape(p.GEOM_SPHERE, radius=r, **kw)
            z = r
        else:  # capsule lying on its side
            quat = p.getQuaternionFromEuler((math.pi / 2, 0, 0))
            vis = p.createVisualShape(p.GEOM_CAPSULE, radius=r * 0.7, length=h, rgbaColor=rgba, visualFrameOrientation=quat, **kw)
            col = p.createCollisionShape(p.GEOM_CAPSULE, radius=r * 0.7, height=h, collisionFrameOrientation=quat, **kw)
            z = r * 0.7
        return p.createMultiBody(0, col, vis, (0, 0, z), **kw), z

    def _build_table(self, kw, draw: bool) -> None:
        """The table collides everywhere; it is drawn only if ``draw`` (the cameras paint it in)."""
        p = self.p
        half = (0.75, 0.8, 0.025)
        col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, **kw)
        if draw:
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=O.RGBA["table"], **kw)
        else:  # a speck out of sight: with no visual at all, PyBullet would draw the collision box
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[1e-3] * 3, visualFramePosition=(0, 0, -0.5), **kw)
        self.table = p.createMultiBody(0, col, vis, (0.45, 0, O.TABLE_Z - half[2]), **kw)
        p.changeDynamics(self.table, -1, lateralFriction=0.6, **kw)

    def _build_tray(self, kw) -> int:
        p = self.p
        a, t, h, f = O.TRAY_INNER / 2, O.TRAY_WALL, O.TRAY_HEIGHT, O.TRAY_FLOOR
        outer = a + t
        boxes = [  # (half extents, centre) relative to the tray origin on the table
            ((outer, outer, f / 2), (0, 0, f / 2)),
            ((t / 2, outer, h / 2), (a + t / 2, 0, h / 2)),
            ((t / 2, outer, h / 2), (-a - t / 2, 0, h / 2)),
            ((a, t / 2, h / 2), (0, a + t / 2, h / 2)),
            ((a, t / 2, h / 2), (0, -a - t / 2, h / 2)),
        ]
        he = [b[0] for b in boxes]
        pos = [b[1] for b in boxes]
        n = len(boxes)
        col = p.createCollisionShapeArray([p.GEOM_BOX] * n, halfExtents=he, collisionFramePositions=pos, **kw)
        vis = p.createVisualShapeArray(
            [p.GEOM_BOX] * n, halfExtents=he, visualFramePositions=pos, rgbaColors=[O.RGBA["container"]] * n, **kw
        )
        return p.createMultiBody(0, col, vis, (0, 0, O.TABLE_Z), **kw)

    # -- layout ---------------------------------------------------------------------------------
    def layout(self, rng: np.random.Generator, zone_colors: tuple[str, ...] = ()) -> Layout:
        """Place everything at random non-overlapping poses; ``zone_colors`` must be among the zones."""
        required = list(dict.fromkeys(zone_colors))
        if len(required) > O.NUM_ZONES:
            raise ValueError(f"at most {O.NUM_ZONES} zone colors fit in one scene, got {required}")
        others = [c for c in O.ZONE_COLORS if c not in required]
        extra = rng.choice(len(others), O.NUM_ZONES - len(required), replace=False)
        colors = required + [others[i] for i in sorted(extra)]
        for _ in range(100):
            placed: list[tuple[float, float, float]] = []
            tray = self._sample(rng, placed, R_TRAY)
            zones = [self._sample(rng, placed, R_ZONE) for _ in colors]
            blocks = [self._sample(rng, placed, R_BLOCK) for _ in O.BLOCK_COLORS]
            dist = [self._sample(rng, placed, R_DISTRACTOR) for _ in self.distractors]
            if all(v is not None for v in [tray, *zones, *blocks, *dist]):
                break
        else:
            raise RuntimeError("could not lay out the scene without overlaps")
        yaws = rng.uniform(-math.pi / 4, math.pi / 4, size=len(O.BLOCK_COLORS))
        self.layout_state = Layout(
            blocks={c: (b[0], b[1], float(y)) for c, b, y in zip(O.BLOCK_COLORS, blocks, yaws)},
            tray=tray,
            zones=dict(zip(colors, zones)),
            distractors=dict(zip(self.distractors, dist)),
        )
        self._apply_layout()
        return self.layout_state

    @staticmethod
    def _sample(rng, placed: list, radius: float):
        for _ in range(200):
            x, y = rng.uniform(*LAYOUT_X), rng.uniform(*LAYOUT_Y)
            if all(math.hypot(x - px, y - py) >= radius + pr for px, py, pr in placed):
                placed.append((x, y, radius))
                return (float(x), float(y))
        return None

    def _apply_layout(self) -> None:
        p, kw, L = self.p, {"physicsClientId": self.cid}, self.layout_state
        half = self.block_size / 2
        for color, (x, y, yaw) in L.blocks.items():
            quat = p.getQuaternionFromEuler((0, 0, yaw), **kw)
            p.resetBasePositionAndOrientation(self.blocks[color], (x, y, O.TABLE_Z + half), quat, **kw)
            p.resetBaseVelocity(self.blocks[color], (0, 0, 0), (0, 0, 0), **kw)
            # Resting blocks sleep (skipped by the solver: ~40% faster physics) until touched.
            p.changeDynamics(
                self.blocks[color], -1, activationState=p.ACTIVATION_STATE_ENABLE_SLEEPING | p.ACTIVATION_STATE_SLEEP, **kw
            )
        p.resetBasePositionAndOrientation(self.tray, (*L.tray, O.TABLE_Z), (0, 0, 0, 1), **kw)
        self.zones = {}
        for body, (color, (x, y)) in zip(self._zone_bodies, L.zones.items()):
            p.resetBasePositionAndOrientation(body, (x, y, O.TABLE_Z + 0.0005), (0, 0, 0, 1), **kw)
            shade = [1 - O.ZONE_SHADE * (1 - c) for c in O.RGBA[color][:3]]
            p.changeVisualShape(body, -1, rgbaColor=shade + [1.0], **kw)
            self.zones[color] = body
        for name, (x, y) in L.distractors.items():
            z = O.TABLE_Z + self._distractor_z[name]
            p.resetBasePositionAndOrientation(self.distractors[name], (x, y, z), (0, 0, 0, 1), **kw)

    # -- queries --------------------------------------------------------------------------------
    def block_pose(self, color: str) -> tuple[np.ndarray, np.ndarray]:
        pos, quat = self.p.getBasePositionAndOrientation(self.blocks[color], physicsClientId=self.cid)
        return np.array(pos), np.array(quat)

    def block_pos(self, color: str) -> np.ndarray:
        return self.block_pose(color)[0]

    def block_speed(self, color: str) -> float:
        lin, _ = self.p.getBaseVelocity(self.blocks[color], physicsClientId=self.cid)
        return float(np.linalg.norm(lin))

    def block_yaw(self, color: str) -> float:
        """Yaw of the block's face normal, folded into [-pi/4, pi/4) (a cube looks the same every 90 deg)."""
        _, q = self.block_pose(color)
        x, y, z, w = q
        yaw = math.atan2(2 * (x * y + z * w), 1 - 2 * (y * y + z * z))
        return (yaw + math.pi / 4) % (math.pi / 2) - math.pi / 4

    def block_upright(self, color: str) -> bool:
        _, q = self.block_pose(color)
        up = self.p.getMatrixFromQuaternion(q, physicsClientId=self.cid)
        # Any face up is fine for a cube: some axis must be near vertical.
        return max(abs(up[6]), abs(up[7]), abs(up[8])) > 0.95

    def tray_center(self) -> np.ndarray:
        pos, _ = self.p.getBasePositionAndOrientation(self.tray, physicsClientId=self.cid)
        return np.array(pos)

    def zone_center(self, color: str) -> np.ndarray:
        if color not in self.zones:
            raise ValueError(f"there is no {color} zone in this scene; zones here: {', '.join(self.zones)}")
        pos, _ = self.p.getBasePositionAndOrientation(self.zones[color], physicsClientId=self.cid)
        return np.array(pos)

    def _contacts(self, a: int, b: int, link_a: int | None = None):
        kw = {"physicsClientId": self.cid}
        if link_a is None:
            return self.p.getContactPoints(bodyA=a, bodyB=b, **kw)
        return self.p.getContactPoints(bodyA=a, bodyB=b, linkIndexA=link_a, **kw)

    def robot_touching(self, color: str) -> bool:
        """Any contact point between the robot and the block."""
        return len(self._contacts(self.robot.body, self.blocks[color])) > 0

    def held(self, color: str) -> bool:
        """Gripper commanded closed, fingers apart (something between them) and both touch the block."""
        if not self.robot.gripper_closed or self.robot.joint_state()[2] < self.block_size / 2:
            return False
        body = self.blocks[color]
        return all(len(self._contacts(self.robot.body, body, link)) > 0 for link in FINGER_LINKS)

    def held_block(self) -> str | None:
        for color in self.blocks:
            if self.held(color):
                return color
        return None

    def obstacles(self, exclude: str | None = None) -> list[tuple[np.ndarray, float]]:
        """(centre xy, clearance radius) of every standing object but ``exclude``; zones are flat."""
        out = []
        for color in self.blocks:
            if color != exclude:
                out.append((self.block_pos(color)[:2], R_BLOCK - 0.01))
        out.append((self.tray_center()[:2], R_TRAY))
        for body in self.distractors.values():
            pos, _ = self.p.getBasePositionAndOrientation(body, physicsClientId=self.cid)
            out.append((np.array(pos[:2]), R_DISTRACTOR))
        return out
