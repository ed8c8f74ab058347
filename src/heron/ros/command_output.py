"""The policy node's commands, in the forms MoveIt Servo and ros2_control accept.

- ``twist``: ``geometry_msgs/TwistStamped`` in m/s and rad/s (MoveIt Servo: ``command_in_type:
  speed_units``), ``header.stamp`` = the time of publishing (Servo halts on commands older than its
  timeout and treats a zero stamp as no motion), ``header.frame_id`` = ``command_frame_id`` (the
  planning frame); plus ``std_msgs/Float64`` on the gripper topic, 0 open .. 1 closed.
- ``array``: ``std_msgs/Float64MultiArray``, the raw 5-d action (the sim node's interface).
- ``joint_trajectory``: ``trajectory_msgs/JointTrajectory`` for a JointTrajectoryController, one
  point ``trajectory_time_from_start_s`` ahead (default one action step), joints
  ``command_joint_names`` in the controller's order; a zero header stamp means "start on receipt".
- ``joint_positions``: ``std_msgs/Float64MultiArray`` of joint positions for a
  forward_command_controller with position interfaces: exactly one value per controller joint.

Joint commands use the Panda/FR3 kinematics (``heron/ros/panda_kinematics.py``).
"""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import TwistStamped
from rclpy.qos import QoSProfile
from std_msgs.msg import Float64, Float64MultiArray, MultiArrayDimension
from trajectory_msgs.msg import JointTrajectory

from heron.ros import conversions as cv
from heron.ros.params import PolicyNodeConfig


class CommandSizeError(ValueError):
    """A joint command whose size differs from the controller's joints (never published)."""


class CommandOutput:
    """Publishers for one ``command_type``; ``publish(action, joints)`` sends one command."""

    def __init__(self, node, config: PolicyNodeConfig):
        self.node, self.config = node, config
        c, reliable = config, QoSProfile(depth=10)
        self.publishers: list = []
        if c.command_type == "twist":
            self.twist_pub = node.create_publisher(TwistStamped, c.twist_topic, reliable)
            self.gripper_pub = node.create_publisher(Float64, c.gripper_topic, reliable)
            self.publishers += [self.twist_pub, self.gripper_pub]
        elif c.command_type == "array":
            self.action_pub = node.create_publisher(Float64MultiArray, c.action_topic, reliable)
            self.publishers.append(self.action_pub)
        else:
            from heron.ros.panda_kinematics import PandaKinematics

            self.kinematics = PandaKinematics()
            # where each controller joint's value sits in the kinematics' output (7 arm + 2 fingers)
            computed = c.arm_joints + (c.finger_joints + [None, None])[:2]
            self.index = [computed.index(j) for j in c.command_joint_names]
            if c.command_type == "joint_trajectory":
                self.traj_pub = node.create_publisher(JointTrajectory, c.trajectory_topic, reliable)
                self.publishers.append(self.traj_pub)
            else:
                self.joint_pub = node.create_publisher(Float64MultiArray, c.joint_command_topic, reliable)
                self.publishers.append(self.joint_pub)

    @property
    def needs_joints(self) -> bool:
        return self.config.command_type in ("joint_trajectory", "joint_positions")

    def publish(self, action: np.ndarray, joints: tuple | None) -> bool:
        """Send ``action`` (5,); joint commands need ``joints`` = (q (7,), dq, opening) and send
        nothing without them (the robot's controller holds). Returns whether a command went out."""
        c = self.config
        if c.command_type == "twist":
            self._publish_twist(action)
        elif c.command_type == "array":
            self.action_pub.publish(Float64MultiArray(data=[float(v) for v in action]))
        else:
            if joints is None:
                return False
            positions, _ = self.kinematics.target(joints[0], action, c.max_xyz_step, c.max_yaw_step)
            values = [float(positions[i]) for i in self.index]
            if len(values) != len(c.command_joint_names):  # by construction; never send a wrong size
                raise CommandSizeError(f"joint command has {len(values)} values for {len(c.command_joint_names)} controller joints")
            if c.command_type == "joint_trajectory":
                self.traj_pub.publish(self._trajectory(values))
            else:
                msg = Float64MultiArray(data=values)
                msg.layout.dim = [MultiArrayDimension(label="joints", size=len(values), stride=len(values))]
                self.joint_pub.publish(msg)
        return True

    def _publish_twist(self, action) -> None:
        c = self.config
        lin, yaw_rate, grip = cv.action_to_twist_values(action, c.max_xyz_step, c.max_yaw_step, c.action_hz)
        msg = TwistStamped()
        msg.header.frame_id = c.command_frame_id
        msg.twist.linear.x, msg.twist.linear.y, msg.twist.linear.z = (float(v) for v in lin)
        msg.twist.angular.z = yaw_rate
        msg.header.stamp = self.node.get_clock().now().to_msg()  # last: the stamp is the publish time
        self.twist_pub.publish(msg)
        self.gripper_pub.publish(Float64(data=grip))

    def _trajectory(self, values: list[float]) -> JointTrajectory:
        from builtin_interfaces.msg import Duration
        from trajectory_msgs.msg import JointTrajectoryPoint

        c = self.config
        dt = c.trajectory_time_from_start_s or 1.0 / c.action_hz
        sec = int(dt)
        msg = JointTrajectory()  # header.stamp zero: the controller starts the point on receipt
        msg.joint_names = list(c.command_joint_names)
        msg.points = [JointTrajectoryPoint(positions=values, time_from_start=Duration(sec=sec, nanosec=int(round((dt - sec) * 1e9))))]
        return msg

    def destroy(self) -> None:
        for p in self.publishers:
            self.node.destroy_publisher(p)
        self.publishers = []
