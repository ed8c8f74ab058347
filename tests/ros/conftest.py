"""ROS 2 test plumbing: discovery kept on this machine, a private domain and context per test."""

import itertools
import os
import tempfile

import pytest

# Network safety first: before rclpy initialises anything.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="heron_ros_log_"))

import rclpy  # noqa: E402  (pip install -e ".[ros]")
from rclpy.context import Context  # noqa: E402

_domains = itertools.count()


def next_domain_id() -> int:
    """A domain for this test: spread by process id so parallel test runs do not meet."""
    return 10 + (os.getpid() * 7 + next(_domains)) % 90


@pytest.fixture
def ros_env(tmp_path):
    """Environment for a subprocess node: localhost discovery, this test's domain, a log dir."""
    env = dict(os.environ)
    env.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_DOMAIN_ID=str(next_domain_id()), ROS_LOG_DIR=str(tmp_path / "ros_log"))
    return env


@pytest.fixture
def ros_context():
    ctx = Context()
    domain = next_domain_id()
    rclpy.init(context=ctx, domain_id=domain)
    ctx.heron_domain_id = domain
    try:
        yield ctx
    finally:
        rclpy.shutdown(context=ctx)
