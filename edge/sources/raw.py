"""Raw camera buffers of monochrome / infrared cameras -> one 8-bit grey channel.

OpenCV's V4L2 backend, told not to convert (CAP_PROP_CONVERT_RGB = 0), hands the driver's buffer over
as it is: (h, w) uint8 for GREY, (h, w) uint16 for Y16, (h, w, 2) for YUYV, or one row of bytes for a
format it does not know. `grey_from_raw` accepts any of these shapes: it reads the bytes, so a test can
feed it bytes written by hand exactly as a camera would send them.
"""

from __future__ import annotations

import numpy as np

from dms.errors import UserError

BYTES_PER_PIXEL = {"GREY": 1, "Y8": 1, "Y16": 2, "YUYV": 2}


def fourcc_code(pixel_format: str) -> int:
    """The V4L2 fourcc as OpenCV's CAP_PROP_FOURCC takes it ('Y16' is 'Y16 ' with a space)."""
    a, b, c, d = pixel_format.ljust(4)
    return ord(a) | ord(b) << 8 | ord(c) << 16 | ord(d) << 24


def grey_from_raw(
    buffer: np.ndarray | bytes, pixel_format: str, width: int, height: int, y16_bits: int = 10
) -> np.ndarray:
    """(height, width) uint8 grey picture of one raw buffer; UserError when its size does not fit."""
    if pixel_format not in BYTES_PER_PIXEL:
        raise UserError(
            f"unsupported grey pixel format {pixel_format!r}: one of {', '.join(BYTES_PER_PIXEL)}"
        )
    data = (
        np.frombuffer(buffer, np.uint8)
        if isinstance(buffer, bytes | bytearray | memoryview)
        else np.ascontiguousarray(buffer).reshape(-1).view(np.uint8)
    )
    need = width * height * BYTES_PER_PIXEL[pixel_format]
    if data.size < need:
        raise UserError(
            f"camera sent {data.size} bytes for a {width}x{height} {pixel_format} picture "
            f"({need} expected): is the camera really in that format?"
        )
    data = data[:need]  # drivers may pad the buffer's end
    if pixel_format in ("GREY", "Y8"):
        return data.reshape(height, width).copy()
    if pixel_format == "YUYV":
        # Y0 U Y1 V: every even byte is a luma sample at full resolution; the chroma of an infrared
        # camera is flat and is dropped
        return data.reshape(height, width, 2)[:, :, 0].copy()
    samples = data.view("<u2").reshape(height, width)  # V4L2 Y16 is little-endian
    return np.minimum(samples >> (y16_bits - 8), 255).astype(np.uint8)
