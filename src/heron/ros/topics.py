"""Topic and service names shared by the policy node, the sim node, the launch files and tests."""

FRONT_IMAGE = "/camera/front/image_raw"
WRIST_IMAGE = "/camera/wrist/image_raw"
JOINT_STATES = "/joint_states"
EE_POSE = "/heron/ee_pose"  # geometry_msgs/PoseStamped: the end-effector pose (proprio[15:22])
INSTRUCTION = "/heron/instruction"
CMD_TWIST = "/heron/cmd_twist"  # geometry_msgs/TwistStamped, m/s and rad/s in command_frame_id (the sim: world)
GRIPPER_CMD = "/heron/gripper_cmd"  # std_msgs/Float64, 0 open .. 1 closed
CMD_ACTION = "/heron/cmd_action"  # std_msgs/Float64MultiArray, the raw action (dx, dy, dz, dyaw, gripper)
JOINT_TRAJECTORY = "/heron/joint_trajectory"  # trajectory_msgs/JointTrajectory
EXPERT_ACTION = "/heron/expert_action"  # std_msgs/Float64MultiArray, the sim's scripted expert (tests)
STATUS = "/heron/status"  # std_msgs/String JSON
DIAGNOSTICS = "/diagnostics"
TASK = "/heron/task"  # std_msgs/String JSON {"task", "args", "seed", "instruction"?}
TASK_STATUS = "/heron/task_status"  # std_msgs/String JSON {"task", "instruction", "instruction_index", "success", "steps"}
STOP_SRV = "/heron/stop"
RESET_SRV = "/heron/reset"
