"""The simulator and the policy as two ROS 2 nodes: ``ros2 launch launch/sim_agent.launch.py``.

Needs a ROS 2 install for ``launch``/``launch_ros`` (not on PyPI); the nodes themselves run from the
heron venv (``pip install -e '.[ros]'``). Then send a task and its instruction:
    ros2 topic pub --once /heron/task std_msgs/String '{data: "{\\"task\\": \\"pick\\", \\"seed\\": 0}"}'
    ros2 topic echo /heron/task_status     # its "instruction" field
    ros2 topic pub --once /heron/instruction std_msgs/String '{data: "pick up the red block"}'
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "ros"
EXECUTABLES = ("heron-sim-node", "heron-policy-node")
PARAM_FILES = ("sim_node.yaml", "policy_node.yaml")


def generate_launch_description() -> LaunchDescription:
    policy = LaunchConfiguration("policy")
    return LaunchDescription([
        # Discovery stays on this machine unless the user says otherwise.
        SetEnvironmentVariable("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST"),
        DeclareLaunchArgument("policy", default_value="default", description="model folder, 'default', random or hold"),
        Node(executable="heron-sim-node", name="heron_sim_node", output="screen",
             parameters=[str(CONFIGS / "sim_node.yaml")]),
        Node(executable="heron-policy-node", name="heron_policy_node", output="screen",
             parameters=[str(CONFIGS / "policy_node.yaml"), {"policy": policy}]),
    ])
