#!/usr/bin/env bash
# Builds .venv-lerobot: LeRobot 0.4.4 (the newest release for Python 3.11) beside CPU torch 2.13, kept
# apart from heron's venv. Recipe and reasons: ../shared/PROBES.md ("LeRobot beside heron").
set -euo pipefail
VENV=${1:-.venv-lerobot}
PY=${PY:-python3.11}
[ -f "$VENV/.installed" ] && exit 0
rm -rf "$VENV"
"$PY" -m venv "$VENV"
PIP="$VENV/bin/pip"
"$PIP" install -q --upgrade pip
"$PIP" install -q torch==2.13.0
# lerobot pins torch < 2.11 and torchvision's PyPI wheel pins a CUDA torch: install both without deps.
"$PIP" install -q --no-deps torchvision==0.28.0 lerobot==0.4.4
# lerobot's own requirements, minus the torch family (marker-less ones only: no extras).
"$VENV/bin/python" - > "$VENV/requirements-lerobot.txt" <<'PYEOF'
import importlib.metadata as md, re
for req in md.requires("lerobot") or []:
    if ";" in req and "extra" in req.split(";", 1)[1]:
        continue
    name = re.split(r"[ <>=!~;\[(]", req, maxsplit=1)[0].lower()
    if name in {"torch", "torchvision", "torchcodec"}:
        continue
    print(req.split(";")[0].strip() if ";" in req and "python_version" not in req else req)
PYEOF
"$PIP" install -q -r "$VENV/requirements-lerobot.txt"
"$PIP" install -q --no-deps torchcodec==0.13.0
"$PIP" install -q pytest
# torchvision 0.28.0 from PyPI is CUDA-linked: its op registrations fail beside CPU torch. Skip them when
# the compiled ops are missing (datasets need none of them).
"$VENV/bin/python" - <<'PYEOF'
import pathlib, sys
init = next(pathlib.Path(sys.prefix).glob("lib/python*/site-packages/torchvision/__init__.py"))
text = init.read_text()
old = "from torchvision import (\n    _autograd_registrations,\n    _meta_registrations,\n"
if old in text:
    text = text.replace(old, "from torchvision import (\n") + (
        "\nif extension._has_ops():  # heron: skipped beside CPU torch (PROBES.md)\n"
        "    from torchvision import _autograd_registrations, _meta_registrations  # noqa: F401\n")
    init.write_text(text)
PYEOF
# torchcodec loads FFmpeg's shared libraries by their standard sonames; PyAV's wheel bundles FFmpeg 7 under
# av.libs/ with hashed names. Link them there under the standard names (inside av.libs, so that their own
# $ORIGIN lookups still work) and note the folder in $VENV/ffmpeg_libs for LD_LIBRARY_PATH.
"$VENV/bin/python" - <<'PYEOF'
import pathlib, re, sys, av
libs = pathlib.Path(av.__file__).parent.parent / "av.libs"
out = libs
(pathlib.Path(sys.prefix) / "ffmpeg_libs").write_text(str(libs))
for f in libs.iterdir():
    m = re.match(r"(lib[A-Za-z0-9_]+?)-[0-9a-f]{8}\.so\.([0-9]+)", f.name)
    if m:  # the soname: libavcodec-7ee0753d.so.61.19.101 -> libavcodec.so.61
        link = out / f"{m.group(1)}.so.{m.group(2)}"
        if not link.exists():
            link.symlink_to(f)
PYEOF
touch "$VENV/.installed"
