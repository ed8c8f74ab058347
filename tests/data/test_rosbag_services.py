"""Bag import: episodes cut at recorded start/stop service calls (rosbag2 service events) or a Bool topic.

The bags are written by ``rosbags``' own writer, with the service event topics as rosbag2 (Jazzy)
records them: ``<service>/_service_event`` of type ``std_srvs/srv/<Service>_Event`` whose schema is
the ``.srv`` text (which rosbags' AnyReader cannot parse: heron opens these bags itself).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from heron.data import DatasetError, DemoDataset
from heron.data.bag_reader import REQUEST_RECEIVED, REQUEST_SENT, RESPONSE_SENT, service_event_types
from heron.data.rosbag import BagImportConfig, import_bag

TS = get_typestore(Stores.ROS2_JAZZY)
TS.register(service_event_types())
T = TS.types
SEP = "=" * 80 + "\n"
# what rosbag2 stores as the schema of a service event topic (ros2/rosbag2#2365), and the .srv files' text
SRV_SCHEMA = {
    "std_srvs/srv/Trigger_Event": SEP + "SRV: std_srvs/srv/Trigger\n---\nbool success   # indicate successful run of triggered service\n"
                                        "string message # informational, e.g. for error messages\n",
    "std_srvs/srv/SetBool_Event": SEP + "SRV: std_srvs/srv/SetBool\nbool data # e.g. for hardware enabling / disabling\n---\n"
                                        "bool success   # indicate successful run of triggered service\n"
                                        "string message # informational, e.g. for error messages\n",
}
RIHS = "RIHS01_" + "ab" * 32
MAP = ("rate_hz: 10\nimage_size: 16\ncameras: {rgb_front: /cam/front, rgb_wrist: /cam/wrist}\n"
       "proprio: [{topic: /joint_states, field: position}]\naction: [{topic: /cmd, field: data}]\n"
       "instruction: /heron/instruction\n")
START, STOP, ACTIVE = "/heron/episode/start", "/heron/episode/stop", "/heron/episode/active"


def event(srv: str, kind: int, seq: int, t: float, data: bool | None = None, success: bool = True):
    """One service event as rclpy's introspection publishes it (client ``gid`` 1..16, call ``seq``)."""
    info = T["service_msgs/msg/ServiceEventInfo"](
        event_type=kind, stamp=T["builtin_interfaces/msg/Time"](sec=int(t), nanosec=int((t % 1) * 1e9)),
        client_gid=np.arange(1, 17, dtype=np.uint8), sequence_number=seq)
    fields = {"data": bool(data)} if srv == "SetBool" else {"structure_needs_at_least_one_member": 0}
    req = [T[f"std_srvs/srv/{srv}_Request"](**fields)] if kind in (REQUEST_SENT, REQUEST_RECEIVED) else []
    res = [T[f"std_srvs/srv/{srv}_Response"](success=success, message="")] if kind not in (REQUEST_SENT, REQUEST_RECEIVED) else []
    return T[f"std_srvs/srv/{srv}_Event"](info=info, request=req, response=res)


def base_messages(t_end: float = 6.0) -> list[tuple[float, str, str, object]]:
    """Cameras at 20 Hz, joint states at 50 Hz (position 0 = the message time), a command at 10 Hz."""
    msgs = []
    img = np.zeros((16, 16, 3), np.uint8).reshape(-1)
    for t in np.arange(0.0, t_end, 0.05):
        for topic in ("/cam/front", "/cam/wrist"):
            msgs.append((t, topic, "sensor_msgs/msg/Image", T["sensor_msgs/msg/Image"](
                header=T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=0, nanosec=0), frame_id=""),
                height=16, width=16, encoding="rgb8", is_bigendian=0, step=48, data=img)))
    for t in np.arange(0.0, t_end, 0.02):
        msgs.append((t, "/joint_states", "sensor_msgs/msg/JointState", T["sensor_msgs/msg/JointState"](
            header=T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=0, nanosec=0), frame_id=""),
            name=["j1", "j2"], position=np.array([t, 1.0]), velocity=np.zeros(0), effort=np.zeros(0))))
    for t in np.arange(0.0, t_end, 0.1):
        msgs.append((t + 0.02, "/cmd", "std_msgs/msg/Float64MultiArray", T["std_msgs/msg/Float64MultiArray"](
            layout=T["std_msgs/msg/MultiArrayLayout"](dim=[], data_offset=0), data=np.array([0.1, -0.1]))))
    return msgs


def instruction(t: float, text: str):
    return (t, "/heron/instruction", "std_msgs/msg/String", T["std_msgs/msg/String"](data=text))


def write(path: Path, msgs, storage=StoragePlugin.MCAP) -> Path:
    with Writer(path, version=9, storage_plugin=storage) as w:
        conns = {}
        for t, topic, msgtype, msg in sorted(msgs, key=lambda m: m[0]):
            if topic not in conns:
                if msgtype in SRV_SCHEMA:  # as rosbag2 writes it: the .srv text as the schema
                    conns[topic] = w.add_connection(topic, msgtype, msgdef=SRV_SCHEMA[msgtype], rihs01=RIHS)
                else:
                    conns[topic] = w.add_connection(topic, msgtype, typestore=TS)
            w.write(conns[topic], int(round(t * 1e9)), TS.serialize_cdr(msg, msgtype))
    return path


def trigger(service: str, t: float, seq: int, sides=(REQUEST_SENT, REQUEST_RECEIVED), success: bool = True):
    """A Trigger call seen by the client (REQUEST_SENT) and/or the server (REQUEST_RECEIVED), then its response."""
    topic, typ = f"{service}/_service_event", "std_srvs/srv/Trigger_Event"
    out = [(t + 0.001 * i, topic, typ, event("Trigger", kind, seq, t)) for i, kind in enumerate(sides)]
    return out + [(t + 0.005, topic, typ, event("Trigger", RESPONSE_SENT, seq, t, success=success))]


def import_with(tmp_path, bag: Path, extra: str) -> list:
    (tmp_path / "map.yaml").write_text(MAP + extra)
    import_bag(BagImportConfig(str(bag), str(tmp_path / "demos"), str(tmp_path / "map.yaml"), overwrite=True))
    return list(DemoDataset(tmp_path / "demos"))


def spans(episodes) -> list[tuple[float, int, str]]:
    """(first observation time, steps, instruction) per episode; joint 1 holds its message's time."""
    return [(round(float(e.proprio[0, 0]), 2), e.num_steps, e.instruction) for e in episodes]


def steps(a: float, b: float) -> int:
    return len(np.arange(a, b, 0.1))


@pytest.mark.parametrize("storage", [StoragePlugin.MCAP, StoragePlugin.SQLITE3])
def test_trigger_start_stop_services_cut_episodes(tmp_path, storage):
    msgs = base_messages() + [instruction(0.2, "pick up the red block"), instruction(2.0, "put it in the bowl"),
                              instruction(5.5, "touch the green block")]
    msgs += trigger(START, 1.0, 1) + trigger(STOP, 2.5, 1)                              # client and server introspected
    msgs += trigger(START, 3.2, 2, success=False)                                        # refused: not a start
    msgs += trigger(START, 3.5, 3, sides=(REQUEST_RECEIVED,)) + trigger(STOP, 5.0, 2, sides=(REQUEST_RECEIVED,))
    bag = write(tmp_path / "bag", msgs, storage)
    eps = import_with(tmp_path, bag, f"episode_service: {{start: {START}, stop: {STOP}}}\n")
    # inside 1.0..2.5 the instruction at 2.0 still cuts; 2.5..3.5 (between stop and start) and the
    # instruction at 5.5 (after the last stop) are not episodes
    assert spans(eps) == [(1.0, steps(1.0, 2.0), "pick up the red block"), (2.0, steps(2.0, 2.5), "put it in the bowl"),
                          (3.5, steps(3.5, 5.0), "put it in the bowl")]
    assert [e.args["bag_start_s"] for e in eps] == pytest.approx([1.0, 2.0, 3.5], abs=2e-3)
    # without the services the same bag gives the instruction spans: 0.2..2.0, 2.0..5.5, 5.5..end
    (tmp_path / "plain.yaml").write_text(MAP)
    import_bag(BagImportConfig(str(bag), str(tmp_path / "plain"), str(tmp_path / "plain.yaml")))
    assert [e.instruction for e in DemoDataset(tmp_path / "plain")] == [
        "pick up the red block", "put it in the bowl", "touch the green block"]


def test_set_bool_service_and_bool_topic(tmp_path):
    typ, topic = "std_srvs/srv/SetBool_Event", f"{ACTIVE}/_service_event"
    calls = [(1.0, True), (1.5, True), (2.0, False), (3.0, True), (4.0, False)]  # a second true while on: no-op
    msgs = base_messages() + [instruction(0.5, "stack the blocks")]
    msgs += [(t, topic, typ, event("SetBool", REQUEST_RECEIVED, i, t, data=on)) for i, (t, on) in enumerate(calls)]
    eps = import_with(tmp_path, write(tmp_path / "svc", msgs), f"episode_service: {{set_bool: {ACTIVE}}}\n")
    assert spans(eps) == [(1.0, steps(1.0, 2.0), "stack the blocks"), (3.0, steps(3.0, 4.0), "stack the blocks")]
    # the same switches as a std_msgs/Bool topic (e.g. a teleop pedal)
    msgs = base_messages() + [instruction(0.5, "stack the blocks")]
    msgs += [(t, ACTIVE, "std_msgs/msg/Bool", T["std_msgs/msg/Bool"](data=on)) for t, on in calls]
    eps = import_with(tmp_path, write(tmp_path / "flag", msgs), f"episode_flag: {ACTIVE}\n")
    assert spans(eps) == [(1.0, steps(1.0, 2.0), "stack the blocks"), (3.0, steps(3.0, 4.0), "stack the blocks")]


def test_service_errors_name_bag_key_and_topics(tmp_path):
    bag = write(tmp_path / "bag", base_messages(2.0) + [instruction(0.2, "pick")] + trigger(START, 1.0, 1))
    with pytest.raises(DatasetError, match=r"bag: .*map\.yaml maps episode_service\.stop to service '/heron/episode/stop', "
                                           r"recorded as topic '/heron/episode/stop/_service_event', which the bag does not have "
                                           r"\(its topics: \[.*'/heron/episode/start/_service_event'.*\]\); record the service with "
                                           r"`ros2 bag record --services /heron/episode/stop"):
        import_with(tmp_path, bag, f"episode_service: {{start: {START}, stop: {STOP}}}\n")
    with pytest.raises(DatasetError, match=r"topic '/heron/episode/start/_service_event' has type std_srvs/srv/Trigger_Event; "
                                           r"episode_service\.set_bool expects std_srvs/srv/SetBool_Event"):
        import_with(tmp_path, bag, f"episode_service: {{set_bool: {START}}}\n")
    with pytest.raises(DatasetError, match=r"episode_service has \['stop'\]: expected \{start: SERVICE, stop: SERVICE\}"):
        import_with(tmp_path, bag, f"episode_service: {{stop: {STOP}}}\n")
    with pytest.raises(DatasetError, match=r"episode_service: unknown key 'strat' .*did you mean 'start'"):
        import_with(tmp_path, bag, f"episode_service: {{strat: {START}}}\n")
    with pytest.raises(DatasetError, match=r"maps episode_flag to topic '/heron/episode/active', which the bag does not have"):
        import_with(tmp_path, bag, f"episode_flag: {ACTIVE}\n")
    assert not (tmp_path / "demos").exists()


def test_example_map_loads():
    from heron.data.bag_map import EpisodeService, load_bag_map

    m = load_bag_map("configs/data/teleop_services_bag.yaml")
    assert m.episode_service == EpisodeService(start=START, stop=STOP) and m.tick == "grid"
    assert {f"{START}/_service_event", f"{STOP}/_service_event"} <= m.topics()
