"""Live: start/stop Trigger services with introspection, recorded by heron-record, cut the imported episodes."""

from __future__ import annotations

import time

import numpy as np
import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, qos_profile_sensor_data, qos_profile_services_default
from rclpy.service_introspection import ServiceIntrospectionState
from ros_helpers import Spinner, wait_for
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from heron.data import DemoDataset
from heron.data.rosbag import BagImportConfig, import_bag
from heron.ros.recorder import Recorder

START, STOP = "/heron/episode/start", "/heron/episode/stop"
EVENTS = [f"{START}/_service_event", f"{STOP}/_service_event"]
DATA = ["/cam/front", "/cam/wrist", "/joint_states", "/cmd", "/heron/instruction"]
MAP = ("rate_hz: 10\nimage_size: 8\ncameras: {rgb_front: /cam/front, rgb_wrist: /cam/wrist}\n"
       "proprio: [{topic: /joint_states, field: position}]\naction: [{topic: /cmd, field: data}]\n"
       f"instruction: /heron/instruction\nmax_age_s: 1.0\nepisode_service: {{start: {START}, stop: {STOP}}}\n")


def test_recorded_service_calls_cut_episodes(ros_context, tmp_path):
    intro = ServiceIntrospectionState.CONTENTS
    robot = Node("fake_teleop_robot", context=ros_context)
    for name in (START, STOP):  # the operator's buttons: introspected on the server and on the client
        robot.create_service(Trigger, name, lambda req, res: Trigger.Response(success=True)).configure_introspection(
            robot.get_clock(), qos_profile_services_default, intro)
    ui = Node("fake_teleop_ui", context=ros_context)
    clients = {name: ui.create_client(Trigger, name) for name in (START, STOP)}
    for c in clients.values():
        c.configure_introspection(ui.get_clock(), qos_profile_services_default, intro)
    cams = [robot.create_publisher(Image, t, qos_profile_sensor_data) for t in DATA[:2]]
    joints = robot.create_publisher(JointState, "/joint_states", QoSProfile(depth=50))
    cmd = robot.create_publisher(Float64MultiArray, "/cmd", QoSProfile(depth=50))
    text = ui.create_publisher(String, "/heron/instruction", QoSProfile(depth=10))
    rec = Recorder(context=ros_context, parameter_overrides=[
        rclpy.parameter.Parameter("output", value=str(tmp_path / "bag")),
        rclpy.parameter.Parameter("topics", value=DATA + EVENTS),
        rclpy.parameter.Parameter("discovery_period_s", value=0.05)])
    spin = Spinner(ros_context, robot, ui, rec)
    published: list[tuple[str, int]] = []  # (phase, joint value) in order

    def step(i: int, phase: str) -> None:
        for c in cams:
            c.publish(Image(height=8, width=8, encoding="rgb8", step=24, data=bytes([i % 256] * 192)))
        joints.publish(JointState(name=["j1"], position=[float(i)]))
        cmd.publish(Float64MultiArray(data=[0.5, -0.5]))
        published.append((phase, i))
        wait_for(lambda: rec.counts["/joint_states"] >= i + 1, timeout=20, what=f"joint state {i} recorded")
        time.sleep(0.05)

    def call(name: str, recorded: int) -> None:
        fut = clients[name].call_async(Trigger.Request())
        wait_for(fut.done, timeout=20, what=f"{name} answered")
        topic = f"{name}/_service_event"  # request sent, received, response sent, received
        wait_for(lambda: rec.counts[topic] >= recorded, timeout=20, what=f"the events of {name} recorded")

    try:
        wait_for(lambda: len(rec.counts) == len(DATA + EVENTS), timeout=30, what="the recorder to subscribe to every topic")
        time.sleep(0.3)
        text.publish(String(data="pick up the red block"))
        wait_for(lambda: rec.counts["/heron/instruction"] >= 1, timeout=20, what="the instruction recorded")
        i = 0
        for phase, n, then in (("before", 10, START), ("during", 25, STOP), ("after", 10, None)):
            for _ in range(n):
                step(i, phase)
                i += 1
            if then:
                call(then, 4)
    finally:
        spin.close()
    bag = rec.close()
    for node in (rec, robot, ui):
        node.destroy_node()
    meta = (bag / "metadata.yaml").read_text()
    assert meta.count("type: std_srvs/srv/Trigger_Event") == 2
    (tmp_path / "map.yaml").write_text(MAP)
    summary = import_bag(BagImportConfig(str(bag), str(tmp_path / "demos"), str(tmp_path / "map.yaml")))
    assert summary["episodes"] == 1
    ep = DemoDataset(tmp_path / "demos")[0]
    during = [v for phase, v in published if phase == "during"]
    got = ep.proprio[:, 0]
    # the first tick is the start call: the latest joint state then is the last one published before it
    assert during[0] - 1 <= got[0] <= during[0] and got[-1] <= during[-1]
    assert ep.num_steps >= 12 and np.all(np.diff(got) >= 0)  # the calls were >= 25 x 0.05 s apart: >= 12 ticks at 10 Hz
    assert ep.instruction == "pick up the red block"
