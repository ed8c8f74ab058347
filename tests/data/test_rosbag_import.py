"""Bag import: rosbag2 bags written by the ``rosbags`` library itself (no ROS install) -> heron episodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from heron.data import DatasetError, DemoDataset
from heron.data.rosbag import BagImportConfig, import_bag

TS = get_typestore(Stores.ROS2_HUMBLE)
T = TS.types
ARM = [f"panda_joint{i}" for i in range(1, 8)]
FINGERS = ["panda_finger_joint1", "panda_finger_joint2"]
EPISODES = [(1.0, 1.05, 2.5, "pick up the red block", "pick"), (2.5, 2.55, 3.6, "put the red block in the bowl", "place")]


def header(t: float, frame: str = "world"):
    return T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=int(t), nanosec=int(round((t % 1) * 1e9))), frame_id=frame)


def image(t: float, j: int, encoding: str = "rgb8"):
    """A 60x80 frame whose pixels all hold j % 256 (channel 0) and 7 / 9 (channels 1 / 2)."""
    img = np.zeros((60, 80, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = j % 256, 7, 9
    if encoding == "bgr8":
        img = img[..., ::-1]
    return T["sensor_msgs/msg/Image"](header=header(t), height=60, width=80, encoding=encoding, is_bigendian=0, step=240,
                                      data=np.ascontiguousarray(img).reshape(-1))


def joint_state(t: float):
    q = [t + i for i in range(7)]  # joint i holds the message time + i: the test can tell which message was taken
    return T["sensor_msgs/msg/JointState"](header=header(t), name=ARM + FINGERS, position=np.array(q + [0.01, 0.02]),
                                           velocity=np.array([0.1 * i for i in range(9)], float), effort=np.zeros(0))


def pose(t: float):
    P, Q, Pose = T["geometry_msgs/msg/Point"], T["geometry_msgs/msg/Quaternion"], T["geometry_msgs/msg/Pose"]
    return T["geometry_msgs/msg/PoseStamped"](header=header(t), pose=Pose(position=P(x=0.5, y=0.1, z=t), orientation=Q(x=0.0, y=1.0, z=0.0, w=0.0)))


def twist(t: float, k: int):
    V = T["geometry_msgs/msg/Vector3"]
    return T["geometry_msgs/msg/TwistStamped"](header=header(t), twist=T["geometry_msgs/msg/Twist"](
        linear=V(x=0.01 * (k % 20), y=-0.02, z=0.0), angular=V(x=0.0, y=0.0, z=0.5)))


def write_bag(path: Path, skip: set[str] = frozenset(), ee_pose_type: str = "geometry_msgs/msg/PoseStamped",
              encoding: str = "rgb8", storage=StoragePlugin.MCAP) -> Path:
    String, Float64 = T["std_msgs/msg/String"], T["std_msgs/msg/Float64"]
    msgs: list[tuple[float, str, str, object]] = []
    for j, t in enumerate(np.arange(0.5, 3.6, 1 / 30)):
        msgs.append((t, "/camera/front/image_raw", "sensor_msgs/msg/Image", image(t, j, encoding)))
        msgs.append((t + 0.001, "/camera/wrist/image_raw", "sensor_msgs/msg/Image", image(t, j + 100, encoding)))
    for t in np.arange(0.5, 3.6, 1 / 50):
        msgs.append((t, "/joint_states", "sensor_msgs/msg/JointState", joint_state(t)))
        ee = pose(t) if ee_pose_type.endswith("PoseStamped") else String(data="not a pose")
        msgs.append((t, "/heron/ee_pose", ee_pose_type, ee))
    for start, instr_t, stop, text, task in EPISODES:
        msgs.append((start, "/heron/task", "std_msgs/msg/String", String(data=f'{{"task": "{task}", "args": {{"object": "red"}}, "seed": 7}}')))
        msgs.append((instr_t, "/heron/instruction", "std_msgs/msg/String", String(data=text)))
        for k, t in enumerate(np.arange(instr_t, stop - 1e-9, 0.1)):  # one command 20 ms after each control tick
            msgs.append((t + 0.02, "/heron/cmd_twist", "geometry_msgs/msg/TwistStamped", twist(t + 0.02, k)))
            msgs.append((t + 0.02, "/heron/gripper_cmd", "std_msgs/msg/Float64", Float64(data=float(k % 2))))
    with Writer(path, version=9, storage_plugin=storage) as w:
        conns = {}
        for t, topic, msgtype, msg in sorted(msgs, key=lambda m: m[0]):
            if topic in skip:
                continue
            if topic not in conns:
                conns[topic] = w.add_connection(topic, msgtype, typestore=TS)
            w.write(conns[topic], int(round(t * 1e9)), TS.serialize_cdr(msg, msgtype))
    return path


def grid_map(tmp_path) -> str:
    """heron's own mapping (configs/data/heron_sim_bag.yaml), sampled on a 10 Hz grid (this bag's camera runs at 30 Hz)."""
    import yaml

    from heron.data.rosbag import DEFAULT_MAP

    raw = yaml.safe_load(DEFAULT_MAP.read_text())
    raw.update(tick="grid")
    raw.pop("status")
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(raw))
    return str(tmp_path / "grid.yaml")


@pytest.mark.parametrize("storage", [StoragePlugin.MCAP, StoragePlugin.SQLITE3])
def test_bag_becomes_episodes_on_the_control_grid(tmp_path, storage):
    bag = write_bag(tmp_path / "bag", storage=storage)
    assert (bag / "metadata.yaml").is_file()
    summary = import_bag(BagImportConfig(str(bag), str(tmp_path / "demos"), grid_map(tmp_path)))
    assert summary["episodes"] == 2 and summary["sim_compatible"]
    ds = DemoDataset(tmp_path / "demos")
    assert [(e.instruction, e.task, e.seed, e.args["object"]) for e in ds.episodes] == [
        ("pick up the red block", "pick", 7, "red"), ("put the red block in the bowl", "place", 7, "red")]
    for ep, (_, instr_t, stop, _, _) in zip(ds, EPISODES):
        ticks = np.arange(instr_t, stop, 0.1)
        assert ep.num_steps == len(ticks)
        age = ticks - ep.proprio[:, 0]  # joint 1 holds its message's time: the latest message at or before the tick
        assert np.all(age >= -1e-4) and np.all(age < 1 / 50 + 1e-4)
        np.testing.assert_allclose(ep.proprio[:, 1:7] - ep.proprio[:, :1], np.tile(np.arange(1, 7), (len(ticks), 1)), atol=1e-5)
        np.testing.assert_allclose(ep.proprio[:, 7:14], np.tile(0.1 * np.arange(7), (len(ticks), 1)), atol=1e-6)
        np.testing.assert_allclose(ep.proprio[:, 14], 0.03, atol=1e-6)  # finger positions summed
        np.testing.assert_allclose(ep.proprio[:, 15:18], np.c_[np.full(len(ticks), 0.5), np.full(len(ticks), 0.1), ep.proprio[:, 0]], atol=1e-4)
        k = np.arange(len(ticks))
        np.testing.assert_allclose(ep.actions[:, 0], np.clip(4 * 0.01 * (k % 20), -1, 1), atol=1e-6)  # the command after each tick
        np.testing.assert_allclose(ep.actions[:, 1:4], np.tile([-0.08, 0.0, 0.2], (len(ticks), 1)), atol=1e-6)
        np.testing.assert_array_equal(ep.actions[:, 4], np.where(k % 2, 1.0, -1.0))
        frame = np.round((ticks - 0.5) * 30 + 1e-6).astype(int)  # latest front frame index at each tick
        assert ep.rgb_front.shape == (len(ticks), 96, 96, 3)
        assert np.all(np.abs(ep.rgb_front[:, 48, 48, 0].astype(int) - frame % 256) <= 1)
        assert np.all(ep.rgb_front[:, :, :, 1:] == [7, 9])


def test_bgr_images_and_action_from_next_state(tmp_path):
    bag = write_bag(tmp_path / "bag", encoding="bgr8", skip={"/heron/cmd_twist", "/heron/gripper_cmd"})
    (tmp_path / "map.yaml").write_text(
        "rate_hz: 5\nimage_size: 32\ncameras: {rgb_front: /camera/front/image_raw, rgb_wrist: /camera/wrist/image_raw}\n"
        "proprio: [{topic: /joint_states, field: position, joints: [panda_joint1, panda_joint2]}, {topic: /heron/ee_pose, field: position}]\n"
        "action: {from: next_state, columns: [0, 4], delta: true}\ninstruction: /heron/instruction\n")
    summary = import_bag(BagImportConfig(str(bag), str(tmp_path / "demos"), str(tmp_path / "map.yaml")))
    assert summary["dims"] == {"proprio": 5, "actions": 2} and not summary["sim_compatible"]
    ep = DemoDataset(tmp_path / "demos")[0]
    assert ep.rgb_wrist.shape[1:] == (32, 32, 3) and np.all(ep.rgb_wrist[..., 1:] == [7, 9])  # bgr8 -> rgb
    np.testing.assert_allclose(ep.actions[:-1, 0], np.diff(ep.proprio[:, 0]), atol=1e-6)
    np.testing.assert_allclose(ep.actions[:-1, 1], np.diff(ep.proprio[:, 4]), atol=1e-6)
    assert np.all(ep.actions[-1] == 0)
    assert ep.dims == {"proprio": 5, "actions": 2}


def test_bag_errors_name_bag_topic_and_expected(tmp_path):
    bag = write_bag(tmp_path / "no_pose", skip={"/heron/ee_pose"})
    with pytest.raises(DatasetError, match=r"no_pose: .*grid\.yaml maps proprio to topic '/heron/ee_pose', which the bag does not have \(its topics: \["):
        import_bag(BagImportConfig(str(bag), str(tmp_path / "out"), grid_map(tmp_path)))
    bag = write_bag(tmp_path / "string_pose", ee_pose_type="std_msgs/msg/String")
    with pytest.raises(DatasetError, match=r"topic '/heron/ee_pose' has type std_msgs/msg/String; heron cannot decode it for proprio \(expected geometry_msgs/msg/PoseStamped"):
        import_bag(BagImportConfig(str(bag), str(tmp_path / "out"), grid_map(tmp_path)))
    with pytest.raises(DatasetError, match=r"heron_sim_bag\.yaml ticks on topic '/heron/task_status', which the bag does not have"):
        import_bag(BagImportConfig(str(write_bag(tmp_path / "b3")), str(tmp_path / "out")))
    (tmp_path / "junk.mcap").write_bytes(b"\x89MCAP0\r\n" + b"\x00" * 100)
    with pytest.raises(DatasetError, match=r"junk\.mcap: cannot open as a ROS 2 bag"):
        import_bag(BagImportConfig(str(tmp_path / "junk.mcap"), str(tmp_path / "out")))
    good = write_bag(tmp_path / "good")
    (tmp_path / "m.yaml").write_text(
        "cameras: {rgb_front: /camera/front/image_raw, rgb_wrist: /camera/wrist/image_raw}\n"
        "proprio: [{topic: /joint_states, field: position, joints: [elbow]}]\naction: {from: next_state}\ninstruction: /heron/instruction\n")
    with pytest.raises(DatasetError, match=r"topic /joint_states: joints \['elbow'\] not in the message \(it has \['panda_joint1'"):
        import_bag(BagImportConfig(str(good), str(tmp_path / "out"), str(tmp_path / "m.yaml")))
    (tmp_path / "m2.yaml").write_text("cameras: {rgb_front: /a}\nproprio: []\naction: {from: next_state}\ninstruction: /i\n")
    with pytest.raises(DatasetError, match=r"m2\.yaml: cameras must map both rgb_front, rgb_wrist"):
        import_bag(BagImportConfig(str(good), str(tmp_path / "out"), str(tmp_path / "m2.yaml")))
    assert not (tmp_path / "out").exists()


def test_command_line_import_and_view_of_a_bag(tmp_path, capsys):
    import json

    from heron.cli.main import main

    bag, mapping = write_bag(tmp_path / "bag"), grid_map(tmp_path)
    assert main(["data", "import", "--format", "rosbag", "--in", str(bag), "--out", str(tmp_path / "d"), "--map", mapping, "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["episodes"] == 2
    assert main(["view", str(bag), "--map", mapping, "--out", str(tmp_path / "bag.rrd")]) == 0
    assert (tmp_path / "bag.rrd").stat().st_size > 10_000
    assert main(["data", "import", "--format", "rosbag", "--in", str(tmp_path / "nope"), "--out", str(tmp_path / "e")]) == 2
    assert "nope: no such bag" in capsys.readouterr().err
