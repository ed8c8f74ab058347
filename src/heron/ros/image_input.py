"""Camera messages -> the policy's input image: decode, center-crop, resize, with errors that name
what is wrong (each raises ``BadInput``; the node holds and reports it, and keeps running).

Accepted: ``sensor_msgs/Image`` in rgb8, bgr8, rgba8, bgra8 or mono8, any size, rows padded or not;
``sensor_msgs/CompressedImage`` in jpeg or png (the ``format`` field, as image_transport writes it,
e.g. ``"bgr8; jpeg compressed bgr8"``), decoded with OpenCV. Output: uint8 (H, W, 3) RGB.

The node subscribes to cameras raw (the serialized CDR bytes) and reads them with ``parse_cdr``: the
size limit applies before anything is decoded, and the pixels are a view of the received bytes.
rclpy's own deserializer spends about 0.5 s holding the interpreter on a 20 MB image, which stalled
the control step.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from heron.ros.conversions import BadInput

# encoding -> (bytes per pixel, channel order to RGB; None: grey replicated)
RAW_ENCODINGS = {"rgb8": (3, (0, 1, 2)), "bgr8": (3, (2, 1, 0)), "rgba8": (4, (0, 1, 2)),
                 "bgra8": (4, (2, 1, 0)), "mono8": (1, None)}
COMPRESSED_FORMATS = ("jpeg", "png")
CROPS = ("center", "none")
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # a 4K rgb8 frame is 24.9 MB; 1080p is 6.2 MB
HEADER_ALLOWANCE = 4096  # a serialized message's bytes besides its pixels (frame id, encoding, sizes)


@dataclass(frozen=True)
class ImageFit:
    """How a camera frame becomes the policy's input: ``size`` (H, W) it expects (None: as is),
    ``crop`` center (the largest centered box of the policy's aspect ratio, times ``crop_fraction``)
    or none (squash the whole frame), ``resize`` false rejects frames of another size."""

    size: tuple[int, int] | None = None
    crop: str = "center"
    crop_fraction: float = 1.0
    resize: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self):
        if self.crop not in CROPS:
            raise ValueError(f"image_crop={self.crop!r}: allowed {', '.join(CROPS)}")
        if not 0.1 <= self.crop_fraction <= 1.0:
            raise ValueError(f"image_crop_fraction={self.crop_fraction!r}: allowed 0.1..1.0")
        if self.max_bytes < 1024:
            raise ValueError(f"max_image_bytes={self.max_bytes!r}: must be at least 1024")


@dataclass
class Stamp:
    sec: int = 0
    nanosec: int = 0


@dataclass
class Header:
    stamp: Stamp = field(default_factory=Stamp)
    frame_id: str = ""


@dataclass
class CameraMessage:
    """The fields of a sensor_msgs/Image (``format`` None) or CompressedImage, read from CDR bytes."""

    header: Header
    data: memoryview
    height: int = 0
    width: int = 0
    encoding: str = ""
    step: int = 0
    format: str | None = None


class _Cdr:
    """A reader of the plain CDR that rmw writes (little or big endian, alignment from the payload)."""

    def __init__(self, raw: bytes):
        if len(raw) < 8 or raw[0] != 0 or raw[1] not in (0, 1):
            raise BadInput("camera message is not CDR-encoded (bad encapsulation header)")
        self.view, self.pos, self.end = memoryview(raw)[4:], 0, "<" if raw[1] == 1 else ">"

    def u32(self) -> int:
        self.pos += -self.pos % 4
        if self.pos + 4 > len(self.view):
            raise BadInput("camera message is truncated")
        (v,) = struct.unpack_from(self.end + "I", self.view, self.pos)
        self.pos += 4
        return v

    def u8(self) -> int:
        if self.pos >= len(self.view):
            raise BadInput("camera message is truncated")
        self.pos += 1
        return self.view[self.pos - 1]

    def raw(self, n: int) -> memoryview:
        if self.pos + n > len(self.view):
            raise BadInput(f"camera message is truncated: a field of {n} bytes runs past its end")
        self.pos += n
        return self.view[self.pos - n : self.pos]

    def string(self) -> str:
        n = self.u32()
        return bytes(self.raw(n)).rstrip(b"\0").decode("utf-8", "replace") if n else ""


def parse_cdr(raw: bytes, compressed: bool, fit: "ImageFit") -> CameraMessage:
    """Serialized sensor_msgs/Image (or CompressedImage) -> its fields, the data a view of ``raw``.
    Rejects a message over ``fit.max_bytes`` before reading it."""
    if len(raw) > fit.max_bytes + HEADER_ALLOWANCE:
        raise BadInput(f"{'compressed image' if compressed else 'image'} message has {len(raw)} bytes, more than "
                       f"max_image_bytes={fit.max_bytes}; lower the camera's resolution or raise max_image_bytes")
    r = _Cdr(raw)
    header = Header(Stamp(r.u32(), r.u32()), r.string())
    if compressed:
        fmt = r.string()
        return CameraMessage(header, r.raw(r.u32()), format=fmt)
    height, width, encoding = r.u32(), r.u32(), r.string()
    r.u8()  # is_bigendian: irrelevant for 8-bit encodings
    step = r.u32()
    return CameraMessage(header, r.raw(r.u32()), height=height, width=width, encoding=encoding, step=step)


def _buffer(data) -> np.ndarray:
    try:
        return np.frombuffer(data, np.uint8)  # bytes, array.array('B'), memoryview: no copy
    except TypeError:
        return np.asarray(data, np.uint8)


def _check_bytes(n: int, fit: ImageFit, what: str) -> None:
    if n > fit.max_bytes:
        raise BadInput(f"{what} has {n} bytes, more than max_image_bytes={fit.max_bytes}; "
                       "lower the camera's resolution or raise max_image_bytes")


def decode_raw(msg, fit: ImageFit = ImageFit()) -> np.ndarray:
    """sensor_msgs/Image -> uint8 (H, W, 3) RGB at the message's own size."""
    _check_bytes(len(msg.data), fit, "image")
    enc = msg.encoding.lower()
    if enc not in RAW_ENCODINGS:
        raise BadInput(f"image encoding {msg.encoding!r} not supported; use one of {', '.join(RAW_ENCODINGS)} "
                       f"or a CompressedImage ({', '.join(COMPRESSED_FORMATS)})")
    ch, order = RAW_ENCODINGS[enc]
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    if h <= 0 or w <= 0:
        raise BadInput(f"image size {w}x{h} is empty")
    if step < ch * w:
        raise BadInput(f"image step {step} < {ch} * width {w} for {enc}")
    n = len(msg.data)
    if n != step * h:
        raise BadInput(f"image data has {n} bytes; expected step * height = {step} * {h} = {step * h}")
    img = _buffer(msg.data).reshape(h, step)[:, : ch * w].reshape(h, w, ch)
    if order is None:
        return np.repeat(img, 3, axis=2)
    return img[..., list(order)]


def decode_compressed(msg, fit: ImageFit = ImageFit()) -> np.ndarray:
    """sensor_msgs/CompressedImage (jpeg | png) -> uint8 (H, W, 3) RGB."""
    import cv2

    _check_bytes(len(msg.data), fit, "compressed image")
    fmt = msg.format.lower()
    kind = "jpeg" if ("jpeg" in fmt or "jpg" in fmt) else "png" if "png" in fmt else None
    if kind is None or "compresseddepth" in fmt:
        raise BadInput(f"compressed image format {msg.format!r} not supported; use one of {', '.join(COMPRESSED_FORMATS)}")
    if not len(msg.data):
        raise BadInput(f"compressed {kind} image is empty")
    bgr = cv2.imdecode(_buffer(msg.data), cv2.IMREAD_COLOR)
    if bgr is None:
        raise BadInput(f"compressed image ({len(msg.data)} bytes) does not decode as {kind}")
    # image_transport encodes colour from bgr8 ("... compressed bgr8"); "compressed rgb8" stores RGB as is
    return bgr if "compressed rgb8" in fmt else bgr[..., ::-1]


def fit_image(img: np.ndarray, fit: ImageFit) -> np.ndarray:
    """Center-crop (per ``fit``) and resize an (h, w, 3) frame to ``fit.size``; contiguous uint8."""
    if fit.size is None:
        return np.ascontiguousarray(img)
    H, W = fit.size
    h, w = img.shape[:2]
    if (h, w) == (H, W) and fit.crop_fraction == 1.0:
        return np.ascontiguousarray(img)
    if not fit.resize:
        raise BadInput(f"image is {w}x{h}; the policy expects {W}x{H} (set resize_images: true to crop and resize)")
    import cv2

    if fit.crop == "center":
        scale = min(h / H, w / W) * fit.crop_fraction  # the largest centered box of the target aspect
        ch, cw = max(1, round(H * scale)), max(1, round(W * scale))
        y, x = (h - ch) // 2, (w - cw) // 2
        img = img[y : y + ch, x : x + cw]
        h, w = ch, cw
    interp = cv2.INTER_AREA if h >= H and w >= W else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(img), (W, H), interpolation=interp)


def to_policy_image(msg, fit: ImageFit) -> np.ndarray:
    """A camera message (Image or CompressedImage) -> the policy's uint8 (H, W, 3) RGB input."""
    img = decode_compressed(msg, fit) if getattr(msg, "format", None) is not None else decode_raw(msg, fit)
    return fit_image(img, fit)
