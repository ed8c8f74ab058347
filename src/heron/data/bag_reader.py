"""Opening a ROS 2 bag with ``rosbags``, including bags that recorded service calls.

rosbag2 (Iron and later: ``ros2 bag record --services ...``) records a service as the hidden topic
``<service>/_service_event`` of type ``<pkg>/srv/<Name>_Event``: ``service_msgs/ServiceEventInfo info``
(event_type REQUEST_SENT=0, REQUEST_RECEIVED=1, RESPONSE_SENT=2, RESPONSE_RECEIVED=3, stamp,
client_gid, sequence_number), then ``request[<=1]`` and ``response[<=1]``. It stores the ``.srv`` text
as that topic's schema, which rosbags' ``AnyReader`` cannot parse (it refuses to open the whole bag,
"Could not parse: ... SRV: ..."; ros2/rosbag2#2365), and rosbags' message parser renames ``pkg/srv/X``
types to ``pkg/srv/msg/X``. So this reader builds the typestore itself: every other topic from the
definitions in the bag (as ``AnyReader`` does), service events from heron's own definitions of the
``std_srvs`` services, and the ``info`` header alone for any other service type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICE_EVENT_SUFFIX = "/_service_event"
REQUEST_SENT, REQUEST_RECEIVED, RESPONSE_SENT, RESPONSE_RECEIVED = 0, 1, 2, 3
INFO_BYTES = 4 + 40  # CDR header + ServiceEventInfo (uint8, Time, char[16], int64): what every *_Event starts with
_EMPTY = "uint8 structure_needs_at_least_one_member"  # what rosidl generates for an empty request / response
# std_srvs services: (request, response) definitions
STD_SRVS = {
    "std_srvs/srv/Trigger": (_EMPTY, "bool success\nstring message"),
    "std_srvs/srv/SetBool": ("bool data", "bool success\nstring message"),
    "std_srvs/srv/Empty": (_EMPTY, _EMPTY),
}


def is_service_event(topic: str, msgtype: str) -> bool:
    """rosbag2's test for a recorded service: the topic ends in /_service_event, the type is */srv/*_Event."""
    return topic.endswith(SERVICE_EVENT_SUFFIX) and re.fullmatch(r"[^/]+/srv/[^/]+_Event", msgtype) is not None


def service_topic(name: str) -> str:
    """The topic a service's events are recorded on: ``/x/start`` -> ``/x/start/_service_event``."""
    return name if name.endswith(SERVICE_EVENT_SUFFIX) else name.rstrip("/") + SERVICE_EVENT_SUFFIX


@dataclass
class ServiceEvent:
    kind: int  # REQUEST_SENT .. RESPONSE_RECEIVED
    call: tuple[bytes, int]  # (client_gid, sequence_number): one call, whichever side introspected it
    request: Any | None  # the request message, if the event carries it (introspection "contents") and heron knows the type
    response: Any | None


class BagReader:
    """``connections``, ``messages(connections)`` and ``deserialize(raw, msgtype)``, as ``AnyReader``'s; a
    context manager (``close()`` closes the bag)."""

    def __init__(self, reader, typestore):
        self._reader, self.typestore = reader, typestore
        self.connections = list(reader.connections)

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> "BagReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def messages(self, connections):
        return self._reader.messages(connections=connections)

    def deserialize(self, raw: bytes, msgtype: str):
        return self.typestore.deserialize_cdr(raw, msgtype)

    def service_event(self, raw: bytes, msgtype: str) -> ServiceEvent:
        """A recorded service event; ``request`` / ``response`` only for the std_srvs types."""
        msg = None
        if msgtype in self.typestore.fielddefs:
            try:
                msg = self.typestore.deserialize_cdr(raw, msgtype)
            except Exception:  # another version of the service: the info header below still reads
                msg = None
        if msg is not None:
            info, req, res = msg.info, msg.request, msg.response
        else:  # a service heron has no definition for: the info header still says what happened when
            info, req, res = self.typestore.deserialize_cdr(bytes(raw[:INFO_BYTES]), "service_msgs/msg/ServiceEventInfo"), [], []
        call = (bytes(bytearray(info.client_gid)), int(info.sequence_number))
        return ServiceEvent(int(info.event_type), call, req[0] if len(req) else None, res[0] if len(res) else None)


def open_bag(bag: Path) -> BagReader:
    """Open a rosbag2 folder (MCAP or SQLite) or a single .mcap / .db3 file."""
    from rosbags.rosbag2 import Reader

    reader = Reader(bag)
    reader.open()
    try:
        return BagReader(reader, _typestore(reader.connections))
    except BaseException:
        reader.close()
        raise


def _typestore(connections):
    from rosbags.interfaces import MessageDefinitionFormat
    from rosbags.typesys import Stores, get_types_from_idl, get_types_from_msg, get_typestore

    types: dict = {}
    described = [c for c in connections if c.msgdef.format != MessageDefinitionFormat.NONE
                 and not is_service_event(c.topic, c.msgtype)]
    for c in described:
        if c.msgdef.format == MessageDefinitionFormat.MSG:
            types.update(get_types_from_msg(c.msgdef.data, c.msgtype))
            continue
        sep = "=" * 80 + "\n"  # several IDL files in one schema, each after "IDL: <name>"
        parts = c.msgdef.data.split(sep)[1:] if c.msgdef.data.startswith(f"{sep}IDL: ") else [None]
        for part in parts:
            types.update(get_types_from_idl(c.msgdef.data if part is None else part.split("\n", 1)[1]))
    if not described:  # a bag without definitions (older SQLite bags): Humble's types
        types.update(get_typestore(Stores.ROS2_HUMBLE).fielddefs)
    jazzy = get_typestore(Stores.ROS2_JAZZY).fielddefs  # service_msgs arrived in Iron
    for name in ("service_msgs/msg/ServiceEventInfo", "builtin_interfaces/msg/Time"):
        types.setdefault(name, jazzy[name])
    if any(is_service_event(c.topic, c.msgtype) for c in connections):
        types.update(service_event_types())
    store = get_typestore(Stores.EMPTY)
    store.register(types)
    return store


def service_event_types() -> dict:
    """rosbags field definitions of the std_srvs services' Request, Response and _Event types."""
    from rosbags.typesys import get_types_from_msg

    types: dict = {}
    for srv, (req, res) in STD_SRVS.items():
        types.update(get_types_from_msg(req, f"{srv}_Request"))
        types.update(get_types_from_msg(res, f"{srv}_Response"))
        types.update(get_types_from_msg(f"service_msgs/msg/ServiceEventInfo info\n{srv}_Request[<=1] request\n"
                                        f"{srv}_Response[<=1] response", f"{srv}_Event"))
    return _srv_names(types)


def _srv_names(value):
    """Undo rosbags' ``pkg/srv/X`` -> ``pkg/srv/msg/X`` renaming, in names and in field types."""
    if isinstance(value, str):
        return value.replace("/srv/msg/", "/srv/")
    if isinstance(value, dict):
        return {_srv_names(k): _srv_names(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_srv_names(v) for v in value)
    return value


__all__ = ["BagReader", "ServiceEvent", "is_service_event", "open_bag", "service_event_types", "service_topic"]
