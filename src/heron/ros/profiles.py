"""Robot profiles (``configs/ros/robots/*.yaml``): a profile name or YAML path -> each node's parameters.

A profile is a ROS parameter file with one section per node (``heron_policy_node``, ``heron_sim_node``).
It is used in two ways, both resolved here without importing rclpy or ``launch``:

- the launch files: ``ros2 launch launch/robot_agent.launch.py profile:=ur_servo control_rate_hz:=20.0``.
  Every node parameter is also a launch argument (the sim node's with a ``sim_`` prefix); one that is
  given overrides the profile's value, one left empty keeps it. ``launch_nodes`` checks the merged
  values with the nodes' own validation and writes them to one parameter file per node.
- the nodes' own read-only ``profile`` parameter: ``heron-policy-node --ros-args -p profile:=ur_servo``.
  The profile's values become the parameters' defaults, so ``-p`` and ``--params-file`` still win.
"""

from __future__ import annotations

import difflib
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from heron.configs import CONFIG_DIR, find
from heron.ros.params import PolicyNodeConfig, SimNodeConfig

PROFILES_DIR = CONFIG_DIR / "ros" / "robots"
NODE_CONFIGS = {"heron_policy_node": PolicyNodeConfig, "heron_sim_node": SimNodeConfig}
NODE_NAME_OF = {cls: name for name, cls in NODE_CONFIGS.items()}
PROFILE_ARG = "profile"


@dataclass(frozen=True)
class LaunchNode:
    """One node a launch file starts: its console script, node name and launch-argument prefix."""

    executable: str
    name: str
    arg_prefix: str


LAUNCH_NODES = {
    "heron-policy-node": LaunchNode("heron-policy-node", "heron_policy_node", ""),
    "heron-sim-node": LaunchNode("heron-sim-node", "heron_sim_node", "sim_"),
}


def available() -> list[str]:
    """Names of the shipped profiles (the YAML files in configs/ros/robots/)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def _unknown(kind: str, name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint} Known: {', '.join(known)}"


def profile_path(profile: str) -> Path:
    """``ur_servo`` -> configs/ros/robots/ur_servo.yaml; a path to an existing YAML file is taken as is."""
    names = available()
    listing = f"one of {', '.join(names)} (configs/ros/robots/), or the path of a YAML parameter file"
    if not profile.strip():
        raise ValueError(f"no robot profile given: set profile:=NAME, NAME {listing}")
    if profile in names:
        return PROFILES_DIR / f"{profile}.yaml"
    path = find(profile)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ValueError(f"robot profile {profile!r}: no such file. Profiles: {listing}")
        return path.resolve()
    close = difflib.get_close_matches(profile, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown robot profile {profile!r}.{hint} Available: {listing}")


def _field_types(cls) -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(cls)}


def coerce(cls, key: str, value, where: str):
    """A YAML value for ``cls``'s field ``key`` in its ROS type (ints for float fields become floats)."""
    types = _field_types(cls)
    if key not in types:
        raise ValueError(f"{where}: {_unknown(f'{NODE_NAME_OF[cls]} parameter', key, sorted(types))}")
    kind = types[key]
    bad = ValueError(f"{where}: parameter {key}={value!r}: expected {kind}")
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise bad
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise bad
        return value
    if kind in ("list[str]", "list[float]"):
        item = kind[5:-1]
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where}: parameter {key}={value!r}: expected a non-empty YAML list of {item}, e.g. [a, b]")
        return [_coerce_item(item, v, bad) for v in value]
    raise AssertionError(f"{cls.__name__}.{key}: type {kind} has no ROS mapping here")  # our own code


def _coerce_item(item: str, value, bad: ValueError):
    if item == "str" and isinstance(value, str):
        return value
    if item == "float" and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise bad


def load(profile: str, node_name: str) -> dict:
    """The profile's parameters for ``node_name``, typed and checked key by key (not yet as a whole)."""
    path = profile_path(profile)
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"robot profile {path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or node_name not in doc:
        sections = sorted(doc) if isinstance(doc, dict) else []
        with_it = [n for n in available() if node_name in (yaml.safe_load(profile_path(n).read_text()) or {})]
        raise ValueError(f"robot profile {path}: no {node_name} section (it has: {', '.join(sections) or 'none'}); "
                         f"profiles with one: {', '.join(with_it) or 'none'}")
    params = (doc[node_name] or {}).get("ros__parameters")
    if not isinstance(params, dict):
        raise ValueError(f"robot profile {path}: {node_name}.ros__parameters must be a mapping of parameter names to values")
    cls = NODE_CONFIGS[node_name]
    return {key: coerce(cls, key, value, f"robot profile {path}") for key, value in params.items()}


def parse_argument(cls, key: str, text: str, where: str):
    """A launch argument's string (``20.0``, ``true``, ``[a, b]``) as ``cls``'s field ``key``."""
    kind = _field_types(cls)[key]
    if kind == "str":
        return text
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValueError(f"{where}: {key}:={text!r}: expected {kind}") from None
    return coerce(cls, key, value, where)


def resolve(profile: str, node_name: str, overrides: Mapping[str, str] | None = None) -> dict:
    """The profile's values for ``node_name`` with ``overrides`` (launch strings; '' keeps the profile's
    value) applied, validated by the node's config dataclass. Every key of the result is a parameter."""
    cls = NODE_CONFIGS[node_name]
    values = load(profile, node_name)
    given = {k: v for k, v in (overrides or {}).items() if v != ""}
    where = f"launch arguments for {node_name}"
    for key, text in given.items():
        if key not in _field_types(cls):
            raise ValueError(f"{where}: {_unknown('parameter', key, sorted(_field_types(cls)))}")
        values[key] = parse_argument(cls, key, text, where)
    try:
        cls(**values)
    except ValueError as exc:
        args = " ".join(f"{k}:={v}" for k, v in given.items())
        raise ValueError(f"robot profile {profile} for {node_name}{' with ' + args if args else ''}: {exc}") from None
    return values


def launch_arguments(executables: Sequence[str], default_profile: str) -> list[tuple[str, str, str]]:
    """(name, default, description) of every launch argument: ``profile``, then each node's parameters."""
    names = ", ".join(available())
    out = [(PROFILE_ARG, default_profile, f"robot profile: {names} (configs/ros/robots/), or a YAML path")]
    for exe in executables:
        node = LAUNCH_NODES[exe]
        for f in fields(NODE_CONFIGS[node.name]):
            doc = f.metadata.get("doc", f.name)
            out.append((node.arg_prefix + f.name, "", f"{node.name}: {doc} (empty: the profile's value)"))
    return out


def write_params_file(node_name: str, values: dict, directory: str | Path) -> Path:
    """``values`` as a ROS parameter file for ``node_name`` (written to a temp file, then renamed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{node_name}.yaml"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{node_name}.", suffix=".yaml")
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump({node_name: {"ros__parameters": values}}, fh, sort_keys=False)
    os.replace(tmp, path)
    return path


def launch_nodes(configs: Mapping[str, str], executables: Sequence[str], directory: str | Path | None = None) -> list[dict]:
    """Keyword arguments of ``launch_ros.actions.Node`` for each executable, from the launch
    configurations (``profile`` plus any parameter arguments). Raises ValueError on an unknown
    profile, a misspelt argument, or a value the node would reject."""
    profile = configs.get(PROFILE_ARG, "")
    profile_path(profile)  # the error that lists the profiles comes first
    known = [name for name, _, _ in launch_arguments(executables, profile)]
    for key in configs:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if key not in known and close:
            raise ValueError(f"launch argument {key}:=...: unknown; did you mean {close[0]}:=...?")
    directory = Path(directory or tempfile.mkdtemp(prefix="heron_launch_"))
    out = []
    for exe in executables:
        node = LAUNCH_NODES[exe]
        ours = {f.name: configs.get(node.arg_prefix + f.name, "") for f in fields(NODE_CONFIGS[node.name])}
        values = resolve(profile, node.name, ours)
        stored = profile if profile in available() else str(profile_path(profile))  # absolute: the node's cwd may differ
        path = write_params_file(node.name, {PROFILE_ARG: stored, **values}, directory)
        out.append({"executable": exe, "name": node.name, "output": "screen", "parameters": [str(path)]})
    return out


def declare_profile(node, section: str) -> dict:
    """Declare the read-only ``profile`` parameter on an rclpy node; return the profile's values for
    ``section`` (the defaults of the node's other parameters), or {} when no profile is set."""
    from rcl_interfaces.msg import ParameterDescriptor

    desc = ParameterDescriptor(name=PROFILE_ARG, read_only=True,
                               description=f"robot profile: {', '.join(available())} (configs/ros/robots/), a YAML path, or '' for none; "
                                           "its values are the defaults of the other parameters")
    profile = node.declare_parameter(PROFILE_ARG, "", desc).value
    return load(profile, section) if profile else {}

