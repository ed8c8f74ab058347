"""Camera input: every accepted encoding decodes to RGB, compressed jpeg/png, crop + resize, and
each kind of bad frame is rejected with a message naming what is wrong (no ROS graph needed)."""

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage, Image

from heron.ros.conversions import BadInput, array_to_image_fields
from heron.ros.image_input import ImageFit, decode_compressed, decode_raw, fit_image, parse_cdr, to_policy_image


def rgb(h=6, w=4):
    return np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)


def raw(img, encoding):
    """An Image in ``encoding`` holding the RGB frame ``img``."""
    h, w = img.shape[:2]
    px = {"rgb8": img, "bgr8": img[..., ::-1], "rgba8": np.dstack([img, np.full((h, w), 7, np.uint8)]),
          "bgra8": np.dstack([img[..., ::-1], np.full((h, w), 7, np.uint8)]), "mono8": img[..., :1]}[encoding]
    px = np.ascontiguousarray(px)
    return Image(height=h, width=w, encoding=encoding, step=px.shape[1] * px.shape[2], data=px.tobytes())


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8"])
def test_colour_encodings_decode_to_rgb(encoding):
    img = rgb(5, 7)
    np.testing.assert_array_equal(decode_raw(raw(img, encoding)), img)


def test_mono8_is_replicated_to_three_channels():
    img = rgb(3, 4)
    out = decode_raw(raw(img, "mono8"))
    assert out.shape == (3, 4, 3) and np.all(out == img[..., :1])


def test_roundtrip_and_row_padding():
    img = rgb()
    np.testing.assert_array_equal(decode_raw(Image(**array_to_image_fields(img))), img)
    padded = np.zeros((3, 8), np.uint8)
    padded[:, :6] = rgb(3, 2).reshape(3, 6)
    np.testing.assert_array_equal(decode_raw(Image(height=3, width=2, encoding="rgb8", step=8, data=padded.tobytes())), rgb(3, 2))


@pytest.mark.parametrize("fmt, ext", [("jpeg", ".jpg"), ("bgr8; jpeg compressed bgr8", ".jpg"), ("png", ".png")])
def test_compressed_jpeg_and_png(fmt, ext):
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :30] = (200, 30, 10)  # red left half, blue right half (RGB)
    img[:, 30:] = (10, 30, 200)
    ok, buf = cv2.imencode(ext, img[..., ::-1])
    out = decode_compressed(CompressedImage(format=fmt, data=buf.tobytes()))
    assert out.shape == (40, 60, 3)
    tol = 0 if ext == ".png" else 12
    away_from_edge = np.r_[0:25, 35:60]  # jpeg rings at the colour edge
    assert np.abs(out[:, away_from_edge].astype(int) - img[:, away_from_edge]).max() <= tol
    assert out[20, 10, 0] > 150 and out[20, 50, 2] > 150  # channels in RGB order


def test_center_crop_and_resize_to_the_policy_size():
    img = np.zeros((480, 640, 3), np.uint8)
    img[:, :80] = 255  # white bands outside the centered 480x480 square are cropped away
    img[:, -80:] = 255
    out = fit_image(img, ImageFit(size=(96, 96)))
    assert out.shape == (96, 96, 3) and out.max() == 0
    squashed = fit_image(img, ImageFit(size=(96, 96), crop="none"))
    assert squashed.shape == (96, 96, 3) and squashed[:, 0].min() == 255
    zoom = np.zeros((100, 100, 3), np.uint8)
    zoom[40:60, 40:60] = 255
    assert fit_image(zoom, ImageFit(size=(20, 20), crop_fraction=0.2)).min() == 255  # only the center 20x20 left
    small = fit_image(rgb(48, 64), ImageFit(size=(96, 96)))
    assert small.shape == (96, 96, 3)


def test_compressed_goes_through_the_same_fit():
    ok, buf = cv2.imencode(".png", np.zeros((120, 160, 3), np.uint8))
    out = to_policy_image(CompressedImage(format="png", data=buf.tobytes()), ImageFit(size=(64, 64)))
    assert out.shape == (64, 64, 3) and out.flags.c_contiguous


def test_other_size_rejected_when_resize_is_off():
    with pytest.raises(BadInput, match="expects 96x96"):
        to_policy_image(Image(**array_to_image_fields(np.zeros((48, 64, 3), np.uint8))), ImageFit(size=(96, 96), resize=False))


@pytest.mark.parametrize("kw, text", [
    ({"encoding": "yuv422"}, "encoding 'yuv422' not supported"),
    ({"encoding": "16UC1"}, "not supported; use one of rgb8"),
    ({"step": 5}, r"step 5 < 3 \* width"),
    ({"encoding": "rgba8"}, r"step 12 < 4 \* width"),
    ({"data": b"\x00" * 7}, "has 7 bytes; expected"),
    ({"height": 0, "data": b""}, "empty"),
])
def test_bad_raw_images(kw, text):
    fields = {**array_to_image_fields(rgb()), **kw}
    with pytest.raises(BadInput, match=text):
        decode_raw(Image(**fields))


@pytest.mark.parametrize("msg, text", [
    (CompressedImage(format="tiff", data=b"\x00" * 10), "format 'tiff' not supported"),
    (CompressedImage(format="16UC1; compressedDepth png", data=b"\x00" * 10), "not supported"),
    (CompressedImage(format="jpeg", data=b""), "empty"),
    (CompressedImage(format="jpeg", data=b"not a jpeg at all"), "does not decode as jpeg"),
])
def test_bad_compressed_images(msg, text):
    with pytest.raises(BadInput, match=text):
        decode_compressed(msg)


def test_oversized_frames_rejected_before_decoding():
    fit = ImageFit(max_bytes=4096)
    big = Image(height=64, width=64, encoding="rgb8", step=192, data=b"\x00" * (64 * 192))
    with pytest.raises(BadInput, match="12288 bytes, more than max_image_bytes=4096"):
        decode_raw(big, fit)
    with pytest.raises(BadInput, match="more than max_image_bytes"):
        decode_compressed(CompressedImage(format="jpeg", data=b"\x00" * 5000), fit)


@pytest.mark.parametrize("kw", [{"crop": "left"}, {"crop_fraction": 0.0}, {"max_bytes": 10}])
def test_bad_fit_settings(kw):
    with pytest.raises(ValueError):
        ImageFit(**kw)


def _serialized(msg) -> bytes:
    from rclpy.serialization import serialize_message

    return serialize_message(msg)


@pytest.mark.parametrize("h, w, frame", [(2, 3, "cam"), (5, 7, ""), (1, 1, "front_camera_optical_frame")])
def test_cdr_parse_matches_rclpy(h, w, frame):
    img = rgb(h, w)
    m = Image(**array_to_image_fields(img))
    m.header.stamp.sec, m.header.stamp.nanosec, m.header.frame_id = 1700000000, 123456789, frame
    c = parse_cdr(_serialized(m), False, ImageFit())
    assert (c.header.stamp.sec, c.header.stamp.nanosec, c.header.frame_id) == (1700000000, 123456789, frame)
    assert (c.height, c.width, c.encoding, c.step, c.format) == (h, w, "rgb8", 3 * w, None)
    np.testing.assert_array_equal(to_policy_image(c, ImageFit()), img)


def test_cdr_parse_compressed():
    ok, buf = cv2.imencode(".png", np.full((8, 8, 3), 40, np.uint8))
    m = CompressedImage(format="png", data=buf.tobytes())
    m.header.frame_id = "wrist"
    c = parse_cdr(_serialized(m), True, ImageFit())
    assert c.format == "png" and c.header.frame_id == "wrist" and bytes(c.data) == buf.tobytes()
    assert to_policy_image(c, ImageFit(size=(4, 4))).shape == (4, 4, 3)


@pytest.mark.parametrize("cut, text", [(3, "not CDR"), (30, "truncated"), (-5, "truncated")])
def test_cdr_parse_rejects_broken_bytes(cut, text):
    raw = _serialized(Image(**array_to_image_fields(rgb())))
    with pytest.raises(BadInput, match=text):
        parse_cdr(raw[:cut], False, ImageFit())


def test_cdr_parse_rejects_oversized_before_reading():
    raw = _serialized(Image(height=64, width=64, encoding="rgb8", step=192, data=bytes(64 * 192)))
    with pytest.raises(BadInput, match=f"image message has {len(raw)} bytes, more than max_image_bytes=4096"):
        parse_cdr(raw, False, ImageFit(max_bytes=4096))
