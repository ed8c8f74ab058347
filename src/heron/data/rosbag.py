"""A ROS 2 bag (rosbag2 folder, MCAP or SQLite, or a single .mcap) -> heron demonstration shards.

Read with ``rosbags`` (pure Python; no ROS install; ``bag_reader`` also opens bags with recorded
services). Topics are mapped by ``bag_map.BagMap``; messages are timed by their receive time in the bag.
Episodes start at each task or instruction message (a resent identical instruction continues the
episode) and end at the next one, at a ``{"state": "done"}`` status (which also gives ``success``), or
at the bag's end. With ``episode_service`` / ``episode_flag`` only the spans between a start and a stop
(service calls, or a Bool topic) are kept, still cut at instruction and task messages inside them. Steps ("ticks") are a grid at ``rate_hz`` or the
messages of a tick topic (heron's sim: the step counter in /heron/task_status); the first observation
is the one current when the instruction arrived. Each observation stream gives its latest message at
the tick (a tick where one is older than ``max_age_s`` is dropped); the action is the first (or last)
command between this tick and the next, else the one still held, or comes from the next state.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from heron.configs import CONFIG_DIR
from heron.data.atomic import staged_dir
from heron.data.bag_map import FIELDS, IMAGE_TYPES, TEXT_TYPES, BagMap, NextState, Piece, load_bag_map
from heron.data.bag_reader import REQUEST_RECEIVED, REQUEST_SENT, ServiceEvent, is_service_event, open_bag, service_topic
from heron.data.episode import Episode
from heron.data.errors import DatasetError
from heron.data.mapping import fit_image
from heron.data.meta import write_meta
from heron.data.storage import open_writer, shard_path
from heron.policies import schema

DEFAULT_MAP = CONFIG_DIR / "data" / "heron_sim_bag.yaml"
MIN_STEPS = 2
STATUS_SLACK_S = 0.05  # a final status may reach the recorder together with the next task message
BOOL_TYPES = ("std_msgs/msg/Bool",)
SET_BOOL_EVENT = "std_srvs/srv/SetBool_Event"


@dataclass
class BagImportConfig:
    src: str
    out: str
    map: str | None = None  # default: configs/data/heron_sim_bag.yaml (heron's own nodes)
    overwrite: bool = False


# -- message decoding -----------------------------------------------------------------------------
def decode_image(msg, msgtype: str, where: str) -> np.ndarray:
    """sensor_msgs Image (rgb8, bgr8, rgba8, bgra8, mono8) or CompressedImage -> uint8 (H, W, 3) RGB."""
    import cv2

    if msgtype.endswith("CompressedImage"):
        img = cv2.imdecode(np.frombuffer(bytes(msg.data), np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise DatasetError(f"{where}: CompressedImage ({msg.format!r}) does not decode")
        return img[..., ::-1]
    channels = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1}
    enc = msg.encoding.lower()
    if enc not in channels:
        raise DatasetError(f"{where}: image encoding {msg.encoding!r} not supported (allowed {', '.join(channels)})")
    h, w, step, c = int(msg.height), int(msg.width), int(msg.step), channels[enc]
    data = np.frombuffer(bytes(msg.data), np.uint8)
    if h * w == 0 or step < c * w or len(data) != step * h:
        raise DatasetError(f"{where}: image {w}x{h} {enc} has {len(data)} bytes, step {step}; expected step*height = {step * h}")
    img = data.reshape(h, step)[:, : c * w].reshape(h, w, c)
    if enc == "mono8":
        return np.repeat(img, 3, axis=2)
    img = img[..., :3]
    return np.ascontiguousarray(img[..., ::-1] if enc.startswith("bgr") else img)


def _joint_values(names: list[str], values, joints: list[str] | None, where: str) -> np.ndarray:
    v = np.asarray(values, np.float64)
    if joints is None:
        return v
    missing = [j for j in joints if j not in names]
    if missing:
        raise DatasetError(f"{where}: joints {missing} not in the message (it has {names})")
    if len(v) != len(names):
        raise DatasetError(f"{where}: {len(names)} joint names but {len(v)} values")
    return v[[names.index(j) for j in joints]]


def piece_vector(msg, msgtype: str, piece: Piece, where: str) -> np.ndarray:
    """One mapped piece of a message as float64 (n,): the field, then joints, indices, reduce, scale, offset."""
    f = piece.field
    if msgtype.endswith("JointState"):
        v = _joint_values(list(msg.name), getattr(msg, f), piece.joints, where)
    elif msgtype.endswith("JointTrajectory"):
        if not msg.points:
            raise DatasetError(f"{where}: JointTrajectory without points")
        v = _joint_values(list(msg.joint_names), getattr(msg.points[0], f), piece.joints, where)
    elif msgtype.endswith(("Pose", "PoseStamped")):
        pose = msg.pose if msgtype.endswith("Stamped") else msg
        p, o = pose.position, pose.orientation
        v = np.array({"pose": [p.x, p.y, p.z, o.x, o.y, o.z, o.w], "position": [p.x, p.y, p.z], "orientation": [o.x, o.y, o.z, o.w]}[f])
    elif msgtype.endswith(("Twist", "TwistStamped")):
        tw = msg.twist if msgtype.endswith("Stamped") else msg
        lin, ang = [tw.linear.x, tw.linear.y, tw.linear.z], [tw.angular.x, tw.angular.y, tw.angular.z]
        v = np.array({"twist": lin + ang, "linear": lin, "angular": ang}[f])
    else:  # Float64 / Float32 / *MultiArray
        v = np.atleast_1d(np.asarray(msg.data, np.float64))
    if piece.indices is not None:
        if any(not 0 <= i < len(v) for i in piece.indices):
            raise DatasetError(f"{where}: indices {piece.indices} out of range for field {f!r} with {len(v)} values")
        v = v[piece.indices]
    if piece.reduce:
        v = np.array([v.sum() if piece.reduce == "sum" else v.mean()])
    scale, offset = np.asarray(piece.scale, np.float64), np.asarray(piece.offset, np.float64)
    for name, x in (("scale", scale), ("offset", offset)):
        if x.ndim and len(x) != len(v):
            raise DatasetError(f"{where}: {name} has {len(x)} values but the piece has {len(v)}")
    return v * scale + offset


# -- reading --------------------------------------------------------------------------------------
@dataclass
class Stream:
    msgtype: str
    times: list[float]
    values: list[Any]


def read_streams(bag: Path, mapping: BagMap) -> dict[str, Stream]:
    """Every mapped topic's messages, decoded (images already fitted to ``image_size``; service events as
    ``ServiceEvent``, Bool flags as bool)."""
    if not bag.exists():
        raise DatasetError(f"{bag}: no such bag (a rosbag2 folder with metadata.yaml, or a .mcap file)")
    try:
        reader = open_bag(bag)
    except Exception as exc:  # rosbags' ReaderError, typesys errors and storage errors
        raise DatasetError(f"{bag}: cannot open as a ROS 2 bag ({type(exc).__name__}: {exc})") from None
    try:
        present = {c.topic: c.msgtype for c in reader.connections}
        _check_topics(bag, mapping, present)
        wanted = mapping.topics()
        streams = {t: Stream(present[t], [], []) for t in wanted}
        cams = set(mapping.cameras.values())
        conns = [c for c in reader.connections if c.topic in wanted]
        for conn, stamp, raw in reader.messages(connections=conns):
            where = f"{bag}: topic {conn.topic} ({conn.msgtype}) at t={stamp / 1e9:.3f} s"
            try:
                event = is_service_event(conn.topic, conn.msgtype)
                msg = reader.service_event(raw, conn.msgtype) if event else reader.deserialize(raw, conn.msgtype)
            except Exception as exc:
                raise DatasetError(f"{where}: cannot deserialize the message ({type(exc).__name__}: {exc})") from None
            s = streams[conn.topic]
            if event or conn.msgtype in BOOL_TYPES:
                value = msg if event else bool(msg.data)
            elif conn.topic in cams:
                value: Any = fit_image(decode_image(msg, conn.msgtype, where), mapping.image_size, mapping.image_fit)
            elif conn.msgtype in TEXT_TYPES:
                value = str(msg.data)
            else:
                value = msg
            s.times.append(stamp / 1e9)
            s.values.append(value)
    finally:
        reader.close()
    for topic, s in streams.items():
        order = np.argsort(s.times, kind="stable")
        s.times, s.values = [s.times[i] for i in order], [s.values[i] for i in order]
    return streams


def _check_topics(bag: Path, mapping: BagMap, present: dict[str, str]) -> None:
    uses: list[tuple[str, str, tuple[str, ...]]] = [(t, f"cameras.{slot}", IMAGE_TYPES) for slot, t in mapping.cameras.items()]
    uses += [(mapping.instruction, "instruction", TEXT_TYPES)] + ([(mapping.task, "task", TEXT_TYPES)] if mapping.task else [])
    uses += [(mapping.status, "status", TEXT_TYPES)] if mapping.status else []
    pieces = [("proprio", p) for p in mapping.proprio] + ([("action", p) for p in mapping.action] if isinstance(mapping.action, list) else [])
    for role, p in pieces:
        uses.append((p.topic, role, tuple(t for t, fields in FIELDS.items() if p.field in fields)))
    _check_switches(bag, mapping, present)
    if mapping.tick != "grid" and mapping.tick not in present:
        raise DatasetError(f"{bag}: {mapping.source} ticks on topic {mapping.tick!r}, which the bag does not have (its topics: {sorted(present)})")
    for topic, role, types in uses:
        if topic not in present:
            raise DatasetError(f"{bag}: {mapping.source} maps {role} to topic {topic!r}, which the bag does not have "
                               f"(its topics: {sorted(present)})")
        if present[topic] not in types:
            raise DatasetError(f"{bag}: topic {topic!r} has type {present[topic]}; heron cannot decode it for {role} "
                               f"(expected {', '.join(types) or 'a type with that field'})")


def _check_switches(bag: Path, mapping: BagMap, present: dict[str, str]) -> None:
    """The episode_service services and the episode_flag topic are in the bag, with types heron reads."""
    for key, name in (mapping.episode_service.names() if mapping.episode_service else {}).items():
        topic = service_topic(name)
        if topic not in present:
            raise DatasetError(
                f"{bag}: {mapping.source} maps episode_service.{key} to service {name!r}, recorded as topic {topic!r}, which "
                f"the bag does not have (its topics: {sorted(present)}); record the service with `ros2 bag record --services "
                f"{name} ...` (ROS 2 Iron or later, with service introspection enabled on its server or client)")
        want = SET_BOOL_EVENT if key == "set_bool" else None
        if (want and present[topic] != want) or not is_service_event(topic, present[topic]):
            raise DatasetError(f"{bag}: topic {topic!r} has type {present[topic]}; episode_service.{key} expects "
                               f"{want or 'a service event type (<package>/srv/<Service>_Event)'}")
    flag = mapping.episode_flag
    if flag and flag not in present:
        raise DatasetError(f"{bag}: {mapping.source} maps episode_flag to topic {flag!r}, which the bag does not have "
                           f"(its topics: {sorted(present)})")
    if flag and present[flag] not in BOOL_TYPES:
        raise DatasetError(f"{bag}: topic {flag!r} has type {present[flag]}; episode_flag expects {BOOL_TYPES[0]}")


# -- episodes -------------------------------------------------------------------------------------
def _latest(s: Stream, t: float) -> int:
    return bisect_right(s.times, t) - 1


def _segments(streams: dict[str, Stream], mapping: BagMap, end: float) -> list[dict[str, Any]]:
    """Episode spans from instruction (and task) messages: [{start, stop, instruction, task, args, seed}]."""
    marks = [(t, "instruction", v) for t, v in zip(streams[mapping.instruction].times, streams[mapping.instruction].values)]
    if mapping.task:
        marks += [(t, "task", v) for t, v in zip(streams[mapping.task].times, streams[mapping.task].values)]
    marks.sort(key=lambda m: (m[0], m[1] == "instruction"))
    out: list[dict[str, Any]] = []
    for k, (t, kind, value) in enumerate(marks):
        stop = marks[k + 1][0] if k + 1 < len(marks) else end
        if kind == "task":
            try:
                spec = json.loads(value)
            except json.JSONDecodeError:
                spec = {"task": value}
            out.append({"start": t, "reset": t, "stop": stop, "instruction": spec.get("instruction"), "task": str(spec.get("task", "bag")),
                        "args": spec.get("args", {}), "seed": int(spec.get("seed", 0))})
        elif out and out[-1]["instruction"] is None and out[-1]["stop"] == t:  # the task's instruction: same episode
            out[-1].update(instruction=value, stop=stop, start=t)
        elif out and out[-1]["instruction"] == value and out[-1]["stop"] == t:  # the same instruction again (a resend)
            out[-1]["stop"] = stop
        else:
            prev = out[-1] if out and mapping.task else {"task": "bag", "args": {}, "seed": 0}
            out.append({"start": t, "stop": stop, "instruction": value, "task": prev["task"], "args": prev["args"], "seed": prev["seed"]})
    segments = [s for s in out if s["instruction"]]
    if mapping.status:
        for s in segments:
            _end_at_status(s, streams[mapping.status])
    if mapping.episode_service or mapping.episode_flag:
        segments = _clip(segments, _windows(_switches(streams, mapping), end))
    return segments


def _calls(stream: Stream, where: str) -> list[tuple[float, ServiceEvent]]:
    """One (time, request event) per service call: the first request event of each call (client and server
    may both be introspected), calls whose response says success: false left out."""
    first: dict[tuple, tuple[float, ServiceEvent]] = {}
    failed = set()
    for t, ev in zip(stream.times, stream.values):
        if ev.kind in (REQUEST_SENT, REQUEST_RECEIVED):
            first.setdefault(ev.call, (t, ev))
        elif getattr(ev.response, "success", True) is False:
            failed.add(ev.call)
    if stream.times and not first:
        raise DatasetError(f"{where}: {len(stream.times)} events but no request event (recorded with introspection off?)")
    return sorted((v for k, v in first.items() if k not in failed), key=lambda v: v[0])


def _switches(streams, mapping: BagMap) -> list[tuple[float, str]]:
    """(time, "start" | "on" | "off") from the mapped services and flag topic, in time order. "start" (a
    start call) always begins a new episode; "on" (SetBool true, flag true) only if none is running."""
    out: list[tuple[float, str]] = []
    for key, name in (mapping.episode_service.names() if mapping.episode_service else {}).items():
        topic = service_topic(name)
        for t, ev in _calls(streams[topic], f"topic {topic}"):
            if key == "set_bool":
                if ev.request is None:
                    raise DatasetError(f"topic {topic} at t={t:.3f} s: a SetBool call without its request content; record "
                                       "with service introspection set to 'contents' (not 'metadata')")
                out.append((t, "on" if ev.request.data else "off"))
            else:
                out.append((t, "start" if key == "start" else "off"))
    if mapping.episode_flag:
        s = streams[mapping.episode_flag]
        out += [(t, "on" if v else "off") for t, v in zip(s.times, s.values)]
    return sorted(out, key=lambda m: m[0])


def _windows(switches: list[tuple[float, str]], end: float) -> list[tuple[float, float]]:
    windows, opened = [], None
    for t, what in switches:
        if what == "start" or (what == "on" and opened is None):
            if opened is not None:
                windows.append((opened, t))
            opened = t
        elif what == "off" and opened is not None:
            windows.append((opened, t))
            opened = None
    if opened is not None:
        windows.append((opened, end))
    return windows


def _clip(segments: list[dict[str, Any]], windows: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """The parts of the instruction spans inside a start..stop window; each window part is its own episode."""
    out = []
    for w0, w1 in windows:
        for s in segments:
            a, b = max(s["start"], w0), min(s["stop"], w1)
            if a < b:
                part = {**s, "start": a, "stop": b, "window": [w0, w1]}
                if b < s["stop"]:  # the stop came first: a later status says nothing of this part
                    part.pop("ended_by_status", None)
                    part.pop("success", None)
                out.append(part)
    return out


def _end_at_status(seg: dict[str, Any], status: Stream) -> None:
    """Cut the span at its first {"state": "done"} status message and take its success from it. The
    first status of the span also fills in what the task message left out: the arguments the task
    drew, the seed, and the scene that domain randomisation drew (heron's sim node sends all three)."""
    filled = False
    for t, text in zip(status.times, status.values):
        if seg.get("reset", seg["start"]) <= t <= seg["stop"] + STATUS_SLACK_S:
            try:
                s = json.loads(text)
            except json.JSONDecodeError:
                continue
            if not filled and isinstance(s, dict) and s.get("task") == seg["task"] and s.get("instruction") == seg["instruction"]:
                filled = True
                if not seg["args"] and isinstance(s.get("args"), dict):
                    seg["args"] = dict(s["args"])
                if isinstance(s.get("seed"), int) and not isinstance(s.get("seed"), bool):
                    seg["seed"] = s["seed"]
                if isinstance(s.get("scene"), dict):
                    seg["scene"] = {"randomization": s["scene"]}
            if seg["start"] <= t and isinstance(s, dict) and s.get("state") == "done":
                seg.update(stop=t, success=bool(s.get("success", True)), ended_by_status=True)
                return


def _vector_at(streams, pieces: list[Piece], t: float, max_age: float, where: str) -> np.ndarray | None:
    parts = []
    for p in pieces:
        s = streams[p.topic]
        i = _latest(s, t)
        if i < 0 or t - s.times[i] > max_age:
            return None
        parts.append(piece_vector(s.values[i], s.msgtype, p, f"{where}: topic {p.topic}"))
    return np.concatenate(parts)


def _command_at(streams, pieces: list[Piece], t: float, until: float, pick: str, where: str) -> np.ndarray | None:
    """Each piece's command for the tick at ``t`` (next tick at ``until``): the first (or last) message in
    (t, until], else the last one before t (a held command)."""
    parts = []
    for p in pieces:
        s = streams[p.topic]
        first, last = bisect_right(s.times, t), bisect_right(s.times, until) - 1
        i = (first if pick == "first" else last) if first <= last else first - 1
        if i < 0:
            return None
        parts.append(piece_vector(s.values[i], s.msgtype, p, f"{where}: topic {p.topic}"))
    return np.concatenate(parts)


def _tick_times(s: Stream, key: str | None) -> np.ndarray:
    """Message times of the tick topic; with ``key``, only those where the JSON value of ``key`` changed."""
    if key is None:
        return np.asarray(s.times)
    out, last = [], object()
    for t, text in zip(s.times, s.values):
        try:
            value = json.loads(text).get(key)
        except (json.JSONDecodeError, AttributeError):
            continue
        if value != last:
            out.append(t)
            last = value
    return np.asarray(out)


def _any_between(streams, pieces: list[Piece], t: float, until: float) -> bool:
    return any(bisect_right(streams[p.topic].times, until) > bisect_right(streams[p.topic].times, t) for p in pieces)


def _episode_arrays(streams, mapping: BagMap, seg: dict[str, Any], where: str) -> dict[str, np.ndarray] | None:
    obs_streams = [streams[t] for t in mapping.cameras.values()] + [streams[p.topic] for p in mapping.proprio]
    first = max([seg["start"]] + [s.times[0] if s.times else np.inf for s in obs_streams])
    if mapping.tick == "grid":
        ticks = np.arange(first, seg["stop"], 1.0 / float(mapping.rate_hz))
    else:
        # the message current when the instruction came (after the task's reset) is the first observation
        times = _tick_times(streams[mapping.tick], mapping.tick_key)
        every = np.asarray(streams[mapping.tick].times)  # (a repeat of the reset state counts here)
        earliest = max(seg.get("reset", -np.inf), seg["start"] - mapping.max_age_s)
        before = every[(every >= earliest) & (every <= seg["start"])]
        ticks = np.concatenate([before[-1:], times[(times > seg["start"]) & (times < seg["stop"])]])
    ends = np.append(ticks[1:], min(seg["stop"], ticks[-1] + 1.0 / float(mapping.rate_hz)) if len(ticks) else [])
    rows: dict[str, list] = {"rgb_front": [], "rgb_wrist": [], "proprio": [], "actions": []}
    for n, (t, until) in enumerate(zip(ticks, ends)):
        imgs = {}
        for slot, topic in mapping.cameras.items():
            i = _latest(streams[topic], t)
            if i < 0 or t - streams[topic].times[i] > mapping.max_age_s:
                break
            imgs[slot] = streams[topic].values[i]
        proprio = _vector_at(streams, mapping.proprio, t, mapping.max_age_s, where) if len(imgs) == 2 else None
        if proprio is None:
            continue
        after = max(t, seg["start"])  # commands sent before the instruction answer nothing of this episode
        action = proprio if isinstance(mapping.action, NextState) else _command_at(streams, mapping.action, after, until, mapping.command, where)
        if action is None:
            continue
        if seg.get("ended_by_status") and n == len(ticks) - 1 and mapping.tick_key is None and not isinstance(mapping.action, NextState) \
                and not _any_between(streams, mapping.action, after, until):
            continue  # the terminal observation: the episode ended before anything answered it
        for slot, img in imgs.items():
            rows[slot].append(img)
        rows["proprio"].append(proprio)
        rows["actions"].append(action)
    if len(rows["proprio"]) < MIN_STEPS:
        return None
    out = {k: np.stack(v) for k, v in rows.items()}
    out["proprio"] = out["proprio"].astype(np.float32)
    if isinstance(mapping.action, NextState):
        cols = mapping.action.columns if mapping.action.columns is not None else list(range(out["proprio"].shape[1]))
        nxt = np.concatenate([out["proprio"][1:], out["proprio"][-1:]])[:, cols]
        out["actions"] = nxt - out["proprio"][:, cols] if mapping.action.delta else nxt
    if mapping.action_clip:
        out["actions"] = np.clip(out["actions"], *mapping.action_clip)
    out["actions"] = out["actions"].astype(np.float32)
    return out


def import_bag(cfg: BagImportConfig, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Convert the bag at ``cfg.src`` into heron shards at ``cfg.out``; returns a summary."""
    bag = Path(cfg.src)
    mapping = load_bag_map(cfg.map or DEFAULT_MAP)
    streams = read_streams(bag, mapping)
    if not streams[mapping.instruction].times:
        raise DatasetError(f"{bag}: no messages on the instruction topic {mapping.instruction!r}: nothing marks an episode")
    end = max(s.times[-1] for s in streams.values() if s.times) + 1e-9
    segments = _segments(streams, mapping, end)
    written = steps = skipped = 0
    dims = None
    with staged_dir(cfg.out, cfg.overwrite) as tmp:
        with open_writer(shard_path(tmp, 0)) as writer:
            for k, seg in enumerate(segments):
                arrays = _episode_arrays(streams, mapping, seg, str(bag))
                if arrays is None:
                    skipped += 1
                    continue
                n_p, n_a = arrays["proprio"].shape[1], arrays["actions"].shape[1]
                dims = None if (n_p, n_a) == (schema.PROPRIO_DIM, schema.ACTION_DIM) else {schema.PROPRIO: n_p, "actions": n_a}
                writer.write(Episode(**arrays, instruction=seg["instruction"][:schema.MAX_INSTRUCTION_CHARS], task=seg["task"],
                                     index=written, seed=seg["seed"], args={**seg["args"], "bag_start_s": round(seg["start"], 6)},
                                     success=seg.get("success", True), dims=dims, scene=seg.get("scene")))
                written += 1
                steps += len(arrays["actions"])
                if progress:
                    progress(k + 1, len(segments))
        if not written:
            raise DatasetError(f"{bag}: none of the {len(segments)} instruction spans had {MIN_STEPS}+ ticks with every "
                               f"mapped stream fresh (max_age_s={mapping.max_age_s}); check rate_hz and the topics")
        write_meta(tmp, {"format": "heron-demos", "source": {"format": "rosbag", "path": str(bag.resolve()), "map": mapping.source},
                         "mapping": {k: v for k, v in asdict(mapping).items() if k != "source"},
                         "config": {"control_hz": mapping.rate_hz, "image_size": mapping.image_size},
                         "counts": {"stored": written, "steps": steps, "skipped_spans": skipped}})
    return {"out": str(cfg.out), "episodes": written, "steps": steps, "skipped_spans": skipped,
            "dims": dims or {schema.PROPRIO: schema.PROPRIO_DIM, "actions": schema.ACTION_DIM}, "sim_compatible": dims is None}
