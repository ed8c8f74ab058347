"""The policy node alone, for a real Panda: ``ros2 launch launch/robot_agent.launch.py``.

Your robot stack must publish the two camera topics (rgb8/bgr8), /joint_states (panda_joint1..7,
panda_finger_joint1/2) and the end-effector pose on /heron/ee_pose (geometry_msgs/PoseStamped, e.g.
from tf), and consume /heron/cmd_twist + /heron/gripper_cmd (or the command type you configure).
Remap the topics in configs/ros/robot_policy_node.yaml. Needs ``launch``/``launch_ros`` from a ROS 2
install; the node runs from the heron venv.
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "ros"
EXECUTABLES = ("heron-policy-node",)
PARAM_FILES = ("robot_policy_node.yaml",)


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("params_file", default_value=str(CONFIGS / "robot_policy_node.yaml")),
        Node(executable="heron-policy-node", name="heron_policy_node", output="screen",
             parameters=[LaunchConfiguration("params_file")]),
    ])
