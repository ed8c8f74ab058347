"""The two cameras: a fixed front camera facing the robot across the table, and one on the wrist.

View and projection matrices are computed here in NumPy (OpenGL convention, column-major, as
PyBullet's ``getCameraImage`` expects). Rendering uses the CPU TinyRenderer without shadows or a
segmentation mask. The table top is not drawn by the renderer (a screen-filling triangle costs
more than everything else together): pixels where nothing was drawn are filled with the table's
shaded color, and, for depth, with the distance to the table plane.
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


def front_camera(shift=None, rotation=None, fov_delta=None) -> tuple[list[float], list[float]]:
    """(view, projection) of the front camera moved by ``shift`` (m, eye and target), turned by
    ``rotation`` (deg pan about the vertical, tilt about the camera's right axis) and with ``fov_delta``
    deg more field of view; all None gives FRONT_VIEW, FRONT_PROJ."""
    if shift is None and rotation is None and fov_delta is None:
        return FRONT_VIEW, FRONT_PROJ
    eye, target = FRONT_EYE.copy(), FRONT_TARGET.copy()
    if shift is not None:
        eye, target = eye + np.asarray(shift), target + np.asarray(shift)
    if rotation is not None:
        pan, tilt = (math.radians(a) for a in rotation)
        f = target - eye
        c, s = math.cos(pan), math.sin(pan)
        f = np.array([c * f[0] - s * f[1], s * f[0] + c * f[1], f[2]])
        right = np.cross(f, (0, 0, 1))
        right /= np.linalg.norm(right)
        # Rodrigues rotation of f about the right axis
        f = f * math.cos(tilt) + np.cross(right, f) * math.sin(tilt) + right * np.dot(right, f) * (1 - math.cos(tilt))
        target = eye + f
    fov = FRONT_FOV + (fov_delta or 0.0)
    return look_at(eye, target, (0, 0, 1)), perspective(fov)


def project_front(points: np.ndarray, size: int) -> np.ndarray:
    """Pixel (u right, v down) of world points (N, 3) in a front image of ``size`` px."""
    pts = np.c_[np.atleast_2d(points), np.ones(len(np.atleast_2d(points)))]
    view = np.array(FRONT_VIEW).reshape(4, 4).T
    proj = np.array(FRONT_PROJ).reshape(4, 4).T
    clip = (proj @ view @ pts.T).T
    ndc = clip[:, :3] / clip[:, 3:4]
    return np.c_[(ndc[:, 0] + 1) / 2 * size, (1 - ndc[:, 1]) / 2 * size]


# Presentation camera: an oblique overview of the robot and the table, only for videos (the policy
# never sees it); fixed, so domain randomisation of the front camera does not move it.
PRESENTATION_EYE = np.array([1.25, 0.7, 0.95])
PRESENTATION_TARGET = np.array([0.38, 0.0, 0.2])
PRESENTATION_FOV = 45.0  # vertical, deg
PRESENTATION_VIEW = look_at(PRESENTATION_EYE, PRESENTATION_TARGET, (0, 0, 1))


def render_rgb(p, client: int, width: int, height: int, view, fov_deg: float, background=None,
               light: dict | None = None) -> np.ndarray:
    """RGB uint8 (height, width, 3) of a perspective camera with vertical field of view ``fov_deg``;
    ``background`` fills undrawn pixels (the table), as in ``render``."""
    _, _, rgba, zbuf, _ = p.getCameraImage(
        width, height, view, perspective(fov_deg, width / height), shadow=0, renderer=p.ER_TINY_RENDERER,
        flags=p.ER_NO_SEGMENTATION_MASK, physicsClientId=client, **(light or {}),
    )
    rgb = np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()
    if background is not None:
        rgb[np.asarray(zbuf, dtype=np.float32).reshape(height, width) >= 1.0 - 1e-7] = background
    return rgb


def wrist_view(hand_pos: np.ndarray, hand_rot: np.ndarray) -> list[float]:
    """View matrix of the wrist camera from the hand link's pose (rotation matrix 3x3)."""
    return look_at(hand_pos + hand_rot @ WRIST_EYE, hand_pos + hand_rot @ WRIST_TARGET, hand_rot @ WRIST_UP)


def render(p, client: int, size: int, view, proj, depth: bool = False, background=None, plane_z: float = 0.0,
           light: dict | None = None):
    """RGB uint8 (size, size, 3) and, if asked, linear depth in metres float32 (size, size).

    ``background`` (RGB) fills undrawn pixels: the table plane at height ``plane_z``. ``light``:
    ``lightDirection`` / ``lightColor`` for the renderer (None: its default light).
    """
    _, _, rgba, zbuf, _ = p.getCameraImage(
        size, size, view, proj, shadow=0, renderer=p.ER_TINY_RENDERER,
        flags=p.ER_NO_SEGMENTATION_MASK, physicsClientId=client, **(light or {}),
    )
    rgb = np.asarray(rgba, dtype=np.uint8).reshape(size, size, 4)[:, :, :3].copy()
    z = np.asarray(zbuf, dtype=np.float32).reshape(size, size)
    empty = z >= 1.0 - 1e-7
    if background is not None:
        rgb[empty] = background
    if not depth:
        return rgb, None
    lin = (FAR * NEAR / (FAR - (FAR - NEAR) * z)).astype(np.float32)
    if background is not None:
        lin[empty] = plane_depth(tuple(view), tuple(proj), size, plane_z)[empty]
    return rgb, lin


_PLANE_DEPTH: dict = {}


def plane_depth(view: tuple, proj: tuple, size: int, plane_z: float) -> np.ndarray:
    """Eye-space depth (m) of the plane z = plane_z at every pixel (FAR where the ray misses it)."""
    key = (view, proj, size, plane_z)
    if key in _PLANE_DEPTH:
        return _PLANE_DEPTH[key]
    V = np.array(view).reshape(4, 4).T
    P = np.array(proj).reshape(4, 4).T
    rot, trans = V[:3, :3], V[:3, 3]
    eye = -rot.T @ trans
    centers = (np.arange(size) + 0.5) / size * 2 - 1
    x_ndc, y_ndc = np.meshgrid(centers, -centers)
    d_eye = np.stack([x_ndc / P[0, 0], y_ndc / P[1, 1], -np.ones_like(x_ndc)], -1)
    d_world = d_eye @ rot  # rows: rot.T @ d
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (plane_z - eye[2]) / d_world[..., 2]
    depth = np.where((t > 0) & np.isfinite(t), t, FAR).clip(NEAR, FAR).astype(np.float32)
    if len(_PLANE_DEPTH) > 16:
        _PLANE_DEPTH.clear()
    _PLANE_DEPTH[key] = depth
    return depth


_SHADED: dict = {}


def shaded_color(p, client: int, rgba, light: dict | None = None) -> np.ndarray:
    """The RGB the renderer gives an upward-facing surface of color ``rgba`` (measured once)."""
    key = (tuple(rgba), tuple(sorted((k, tuple(v)) for k, v in (light or {}).items())))
    if key not in _SHADED:
        if len(_SHADED) > 256:
            _SHADED.clear()
        kw = {"physicsClientId": client}
        vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[1, 1, 0.01], rgbaColor=rgba, **kw)
        body = p.createMultiBody(0, -1, vis, (0, 0, -50), **kw)
        view = look_at((0, 0, -48), (0, 0, -50), (1, 0, 0))
        rgb, _ = render(p, client, 8, view, perspective(30.0), light=light)
        p.removeBody(body, **kw)
        _SHADED[key] = rgb[4, 4].copy()
    return _SHADED[key]
