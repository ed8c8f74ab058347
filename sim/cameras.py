"""The two cameras: a fixed front camera facing the robot across the table, and one on the wrist.

View and projection matrices are computed here in NumPy (OpenGL convention, column-major, as
PyBullet's ``getCameraImage`` expects). Rendering uses the CPU TinyRenderer without shadows or a
segmentation mask, which is what makes ~100+ control steps/s with two cameras possible.
"""

from __future__ import annotations

import math

import numpy as np

# Front camera: across the table, looking back at the robot. In its image, world +y is to the right
# and world -x (toward the robot) is up, which fixes what "left/right/forward/back" mean in push.
FRONT_EYE = np.array([0.98, 0.0, 0.68])
FRONT_TARGET = np.array([0.48, 0.0, 0.0])
FRONT_FOV = 45.0
WRIST_FOV = 70.0
NEAR, FAR = 0.02, 3.0
# Wrist camera in the hand frame (z along the fingers, x away from the finger axis).
WRIST_EYE = np.array([0.065, 0.0, 0.03])
WRIST_TARGET = np.array([0.0, 0.0, 0.20])
WRIST_UP = np.array([1.0, 0.0, 0.0])


def look_at(eye, target, up) -> list[float]:
    eye, target, up = (np.asarray(v, dtype=np.float64) for v in (eye, target, up))
    f = target - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m.T.reshape(-1).tolist()


def perspective(fov_deg: float, aspect: float = 1.0, near: float = NEAR, far: float = FAR) -> list[float]:
    t = 1.0 / math.tan(math.radians(fov_deg) / 2)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = t / aspect, t
    m[2, 2], m[2, 3] = (far + near) / (near - far), 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m.T.reshape(-1).tolist()


FRONT_VIEW = look_at(FRONT_EYE, FRONT_TARGET, (0, 0, 1))
FRONT_PROJ = perspective(FRONT_FOV)
WRIST_PROJ = perspective(WRIST_FOV)


def project_front(points: np.ndarray, size: int) -> np.ndarray:
    """Pixel (u right, v down) of world points (N, 3) in a front image of ``size`` px."""
    pts = np.c_[np.atleast_2d(points), np.ones(len(np.atleast_2d(points)))]
    view = np.array(FRONT_VIEW).reshape(4, 4).T
    proj = np.array(FRONT_PROJ).reshape(4, 4).T
    clip = (proj @ view @ pts.T).T
    ndc = clip[:, :3] / clip[:, 3:4]
    return np.c_[(ndc[:, 0] + 1) / 2 * size, (1 - ndc[:, 1]) / 2 * size]


def wrist_view(hand_pos: np.ndarray, hand_rot: np.ndarray) -> list[float]:
    """View matrix of the wrist camera from the hand link's pose (rotation matrix 3x3)."""
    return look_at(hand_pos + hand_rot @ WRIST_EYE, hand_pos + hand_rot @ WRIST_TARGET, hand_rot @ WRIST_UP)


def render(p, client: int, size: int, view, proj, depth: bool = False):
    """RGB uint8 (size, size, 3) and, if asked, linear depth in metres float32 (size, size)."""
    _, _, rgba, zbuf, _ = p.getCameraImage(
        size, size, view, proj, shadow=0, renderer=p.ER_TINY_RENDERER,
        flags=p.ER_NO_SEGMENTATION_MASK, physicsClientId=client,
    )
    rgb = np.asarray(rgba, dtype=np.uint8).reshape(size, size, 4)[:, :, :3].copy()
    if not depth:
        return rgb, None
    z = np.asarray(zbuf, dtype=np.float32).reshape(size, size)
    lin = (FAR * NEAR / (FAR - (FAR - NEAR) * z)).astype(np.float32)
    return rgb, lin
