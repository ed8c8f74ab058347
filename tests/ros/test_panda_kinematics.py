"""The NumPy Panda kinematics of command_type: joint_trajectory agree with PyBullet's."""

import numpy as np
import pybullet as p
import pytest

from heron.envs.tabletop.assets import lowpoly_panda_urdf
from heron.ros.panda_kinematics import PandaKinematics, fk, solve, yaw_of

EE_LINK = 11


@pytest.fixture(scope="module")
def bullet():
    cid = p.connect(p.DIRECT)
    body = p.loadURDF(lowpoly_panda_urdf(), (0, 0, 0), (0, 0, 0, 1), useFixedBase=True, physicsClientId=cid)
    yield cid, body
    p.disconnect(cid)


def bullet_ee(bullet, q):
    cid, body = bullet
    for j, v in enumerate(q):
        p.resetJointState(body, j, float(v), physicsClientId=cid)
    ls = p.getLinkState(body, EE_LINK, computeForwardKinematics=True, physicsClientId=cid)
    return np.array(ls[4]), np.array(p.getMatrixFromQuaternion(ls[5])).reshape(3, 3)


def test_fk_matches_pybullet(bullet):
    rng = np.random.default_rng(0)
    for _ in range(10):
        q = rng.uniform(-1.5, 1.5, 7)
        q[3] = rng.uniform(-2.8, -0.2)
        pos, R = bullet_ee(bullet, q)
        T = fk(q)
        np.testing.assert_allclose(T[:3, 3], pos, atol=1e-5)
        np.testing.assert_allclose(T[:3, :3], R, atol=1e-5)


def test_ik_step_moves_the_ee_by_the_action(bullet):
    q0 = np.array([0.0, 0.25, 0.0, -2.1, 0.0, 2.35, np.pi / 4])
    q0 = solve(q0, fk(q0)[:3, 3], 0.0)  # pointing straight down, yaw 0
    k = PandaKinematics()
    positions, finger = k.target(q0, [1.0, -0.5, 0.2, 0.4, 1.0], 0.025, 0.25)
    pos, R = bullet_ee(bullet, positions[:7])
    np.testing.assert_allclose(pos - fk(q0)[:3, 3], [0.025, -0.0125, 0.005], atol=2e-4)
    assert yaw_of(R) == pytest.approx(0.1, abs=2e-3)
    assert finger == 0.0 and positions[7] == positions[8] == 0.0
