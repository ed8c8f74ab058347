"""heron's service event definitions (heron/data/bag_reader.py) read the bytes rclpy's introspection publishes."""

from __future__ import annotations

from builtin_interfaces.msg import Time
from rclpy.serialization import serialize_message
from rosbags.rosbag2 import StoragePlugin, Writer
from service_msgs.msg import ServiceEventInfo
from std_srvs.srv import SetBool, Trigger

from heron.data.bag_reader import REQUEST_RECEIVED, RESPONSE_SENT, open_bag

SRV_TEXT = "=" * 80 + "\nSRV: {}\n---\nbool success\nstring message\n"  # the schema rosbag2 writes for a service


def test_rclpy_service_events_decode(tmp_path):
    gid = list(range(3, 19))
    events = []
    for srv, name, req, res in [(Trigger, "std_srvs/srv/Trigger", Trigger.Request(), Trigger.Response(success=False, message="busy")),
                                (SetBool, "std_srvs/srv/SetBool", SetBool.Request(data=True), SetBool.Response(success=True))]:
        for kind in (REQUEST_RECEIVED, RESPONSE_SENT):
            info = ServiceEventInfo(event_type=kind, stamp=Time(sec=3, nanosec=5), client_gid=gid, sequence_number=42)
            msg = srv.Event(info=info, request=[req] if kind == REQUEST_RECEIVED else [],
                            response=[res] if kind == RESPONSE_SENT else [])
            events.append((name, serialize_message(msg)))
    with Writer(tmp_path / "bag", version=9, storage_plugin=StoragePlugin.MCAP) as w:
        conns = {}
        for i, (name, raw) in enumerate(events):
            topic = f"/{name.rsplit('/', 1)[1].lower()}/_service_event"
            if topic not in conns:
                conns[topic] = w.add_connection(topic, f"{name}_Event", msgdef=SRV_TEXT.format(name), rihs01="RIHS01_" + "0" * 64)
            w.write(conns[topic], i + 1, raw)
    with open_bag(tmp_path / "bag") as reader:
        got = [reader.service_event(raw, conn.msgtype) for conn, _, raw in reader.messages(reader.connections)]
    assert [(e.kind, e.call) for e in got] == [(k, (bytes(gid), 42)) for k in (REQUEST_RECEIVED, RESPONSE_SENT)] * 2
    trigger_req, trigger_res, set_req, set_res = got
    assert trigger_req.request is not None and trigger_res.response.success is False and trigger_res.response.message == "busy"
    assert set_req.request.data is True and set_res.response.success is True
