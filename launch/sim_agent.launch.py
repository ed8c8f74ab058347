"""The simulator and the policy as two ROS 2 nodes: ``ros2 launch launch/sim_agent.launch.py [profile:=sim]``.

``profile`` (default ``sim``): a name in configs/ros/robots/ or a YAML path with both a
``heron_sim_node`` and a ``heron_policy_node`` section. Every parameter is also a launch argument that
overrides the profile's value: the policy node's by name (``policy:=random``, ``control_rate_hz:=20.0``),
the sim node's with a ``sim_`` prefix (``sim_step_mode:=command``, ``sim_seed:=3``); ``--show-args``
lists them. Resolution and checks live in heron/ros/profiles.py. Needs a ROS 2 install for
``launch``/``launch_ros`` (not on PyPI); the nodes run from the heron venv (``pip install -e '.[ros]'``).
Then send a task and its instruction:
    ros2 topic pub --once /heron/task std_msgs/String '{data: "{\\"task\\": \\"pick\\", \\"seed\\": 0}"}'
    ros2 topic echo /heron/task_status     # its "instruction" field
    ros2 topic pub --once /heron/instruction std_msgs/String '{data: "pick up the red block"}'
"""

import sys
from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable
from launch_ros.actions import Node

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # a heron checkout, for heron.ros.profiles (an installed heron works too)
from heron.ros import profiles  # noqa: E402

EXECUTABLES = ("heron-sim-node", "heron-policy-node")
DEFAULT_PROFILE = "sim"


def _nodes(context):
    return [Node(**kwargs) for kwargs in profiles.launch_nodes(context.launch_configurations, EXECUTABLES)]


def generate_launch_description() -> LaunchDescription:
    args = profiles.launch_arguments(EXECUTABLES, DEFAULT_PROFILE)
    return LaunchDescription([
        # Discovery stays on this machine unless the user says otherwise.
        SetEnvironmentVariable("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST"),
        *[DeclareLaunchArgument(name, default_value=default, description=doc) for name, default, doc in args],
        OpaqueFunction(function=_nodes),
    ])
