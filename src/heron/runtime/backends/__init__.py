"""Backends: what the control loop drives (the simulator here; the ROS 2 robot lives in ``heron/ros/``)."""
