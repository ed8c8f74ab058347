"""heron-record: topics into a rosbag2 MCAP bag with the publishers' QoS and the wire bytes, read back by rosbags."""

from __future__ import annotations

import time

import pytest
import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from ros_helpers import Spinner, wait_for
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import String

from heron.ros.recorder import Recorder


def test_records_wire_bytes_with_publisher_qos(ros_context, tmp_path):
    from rosbags.highlevel import AnyReader

    pub_node = Node("fake_robot", context=ros_context)
    cam = pub_node.create_publisher(Image, "/camera/front/image_raw", qos_profile_sensor_data)  # best effort
    joints = pub_node.create_publisher(JointState, "/joint_states", QoSProfile(depth=10))
    text = pub_node.create_publisher(String, "/heron/instruction", QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
    out = tmp_path / "bag"
    rec = Recorder(context=ros_context, parameter_overrides=[
        rclpy.parameter.Parameter("output", value=str(out)),
        rclpy.parameter.Parameter("topics", value=["/camera/front/image_raw", "/joint_states", "/heron/instruction", "/not/published"]),
        rclpy.parameter.Parameter("discovery_period_s", value=0.05)])
    spin = Spinner(ros_context, pub_node, rec)
    try:
        wait_for(lambda: len(rec.counts) == 3, timeout=30, what="the recorder to subscribe to the 3 published topics")
        time.sleep(0.3)  # let the subscriptions match
        for i in range(20):
            cam.publish(Image(height=2, width=3, encoding="rgb8", step=9, data=bytes(range(i, i + 18))))
            # empty velocity / effort: serialize_message() pads this one; the wire bytes are exact
            joints.publish(JointState(name=["a", "b"], position=[float(i), 2.0 * i]))
            if i % 10 == 0:
                text.publish(String(data=f"instruction {i}"))
            # lockstep with the recorder, so a starved machine cannot overflow the best-effort queue
            wait_for(lambda: rec.counts["/joint_states"] >= i + 1, timeout=20, what=f"joint state {i} recorded")
        wait_for(lambda: rec.counts["/heron/instruction"] >= 2, timeout=20, what="the instructions recorded")
    finally:
        spin.close()
    bag = rec.close()
    rec.destroy_node()
    pub_node.destroy_node()
    assert bag == out and (out / "metadata.yaml").is_file() and not (tmp_path / "bag.partial").exists()
    meta = (out / "metadata.yaml").read_text()
    assert "storage_identifier: mcap" in meta
    with AnyReader([out]) as reader:
        conns = {c.topic: c for c in reader.connections}
        assert set(conns) == {"/camera/front/image_raw", "/joint_states", "/heron/instruction"}
        assert conns["/camera/front/image_raw"].msgtype == "sensor_msgs/msg/Image"
        qos = {t: c.ext.offered_qos_profiles[0].reliability.name for t, c in conns.items()}
        assert qos == {"/camera/front/image_raw": "BEST_EFFORT", "/joint_states": "RELIABLE", "/heron/instruction": "RELIABLE"}
        got: dict[str, list] = {t: [] for t in conns}
        for conn, _, raw in reader.messages():
            got[conn.topic].append(reader.deserialize(raw, conn.msgtype))  # rosbags' strict CDR reader
    assert [list(m.position) for m in got["/joint_states"]] == [[float(i), 2.0 * i] for i in range(20)]
    assert [m.data for m in got["/heron/instruction"]] == ["instruction 0", "instruction 10"]
    assert all(bytes(m.data) == bytes(range(m.data[0], m.data[0] + 18)) for m in got["/camera/front/image_raw"])
    assert len(got["/camera/front/image_raw"]) >= 15


def test_refuses_to_overwrite(ros_context, tmp_path):
    (tmp_path / "bag").mkdir()
    with pytest.raises(ValueError, match="output=.*already exists"):
        Recorder(context=ros_context, parameter_overrides=[rclpy.parameter.Parameter("output", value=str(tmp_path / "bag"))])


def test_a_latched_topic_is_recorded_from_before_the_recorder_started(ros_context, tmp_path):
    """Latched publishers (instruction, task): the recorder copies their QoS, so it also receives the last
    message sent before it subscribed, and the bag says the publisher was transient local."""
    from rosbags.highlevel import AnyReader

    from heron.ros.latched import latched_publisher

    pub_node = Node("operator", context=ros_context)
    task = latched_publisher(pub_node, String, "/heron/task")
    task.publish(String(data='{"task": "touch"}'))  # before the recorder exists
    out = tmp_path / "bag"
    rec = Recorder(context=ros_context, parameter_overrides=[
        rclpy.parameter.Parameter("output", value=str(out)), rclpy.parameter.Parameter("topics", value=["/heron/task"]),
        rclpy.parameter.Parameter("discovery_period_s", value=0.05)])
    spin = Spinner(ros_context, pub_node, rec)
    try:
        wait_for(lambda: rec.counts.get("/heron/task", 0) >= 1, timeout=30, what="the latched task recorded")
        task.publish(String(data='{"task": "pick"}'))
        wait_for(lambda: rec.counts["/heron/task"] >= 2, timeout=20, what="the live task recorded")
    finally:
        spin.close()
    rec.close()
    rec.destroy_node()
    pub_node.destroy_node()
    with AnyReader([out]) as reader:
        (conn,) = reader.connections
        assert conn.ext.offered_qos_profiles[0].durability.name == "TRANSIENT_LOCAL"
        assert [reader.deserialize(raw, conn.msgtype).data for _, _, raw in reader.messages()] == ['{"task": "touch"}', '{"task": "pick"}']
