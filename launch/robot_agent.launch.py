"""The policy node alone, on a real robot: ``ros2 launch launch/robot_agent.launch.py profile:=fr3_servo``.

``profile`` (required): fr3_servo | ur_servo | sim (configs/ros/robots/), or the path of a YAML parameter
file with a ``heron_policy_node`` section (e.g. configs/ros/robot_policy_node.yaml, a generic Panda).
Every node parameter is also a launch argument that overrides the profile's value, e.g.
``control_rate_hz:=20.0 front_image_topic:=/cam/image_raw workspace_low:='[0.3, -0.3, 0.05]'``;
``ros2 launch launch/robot_agent.launch.py --show-args`` lists them. Resolution and checks live in
heron/ros/profiles.py. Needs ``launch``/``launch_ros`` from a ROS 2 install; the node runs from the heron venv.
"""

import sys
from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch_ros.actions import Node

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # a heron checkout, for heron.ros.profiles (an installed heron works too)
from heron.ros import profiles  # noqa: E402

EXECUTABLES = ("heron-policy-node",)
DEFAULT_PROFILE = ""  # a real arm: the user names it


def _nodes(context):
    return [Node(**kwargs) for kwargs in profiles.launch_nodes(context.launch_configurations, EXECUTABLES)]


def generate_launch_description() -> LaunchDescription:
    args = profiles.launch_arguments(EXECUTABLES, DEFAULT_PROFILE)
    return LaunchDescription([
        *[DeclareLaunchArgument(name, default_value=default, description=doc) for name, default, doc in args],
        OpaqueFunction(function=_nodes),
    ])
