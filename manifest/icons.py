"""The two Teams app icons, drawn in pure Python and written as PNG (zlib + struct, no imaging library).

Teams wants a 192x192 full-colour icon and a 32x32 outline icon that is white on a transparent
background. Both show the same symbol: a calendar page holding two overlapping rings (two people
meeting). Shapes are described in a unit square and rasterised with supersampling, so edges are
anti-aliased and the output is byte-for-byte deterministic (the committed PNGs can be checked).

    python -m manifest.icons          # rewrites manifest/color.png and manifest/outline.png
"""

from __future__ import annotations

import logging
import math
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST_DIR = Path(__file__).resolve().parent
COLOR_ICON = MANIFEST_DIR / "color.png"
OUTLINE_ICON = MANIFEST_DIR / "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
# The manifest's accentColor; the colour icon's background uses the same colour so they match.
ACCENT_RGB = (0x35, 0x4F, 0xC7)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGBA = 6
_RGB = 2
_SUPERSAMPLING = 4

Pixel = tuple[int, int, int, int]
Shape = Callable[[float, float], bool]


# ----------------------------------------------------------------------------- PNG encoding
def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode_png(width: int, height: int, rows: list[list[Pixel]]) -> bytes:
    """8-bit RGBA PNG; every scanline uses filter 0 (none), which keeps the writer trivial."""
    if len(rows) != height or any(len(row) != width for row in rows):
        raise ValueError(f"pixel rows do not form a {width}x{height} image")
    raw = bytearray()
    for row in rows:
        raw.append(0)
        for pixel in row:
            raw.extend(pixel)
    header = struct.pack(">IIBBBBB", width, height, 8, _RGBA, 0, 0, 0)
    image_data = zlib.compress(bytes(raw), 9)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", image_data) + _chunk(b"IEND", b"")


# ----------------------------------------------------------------------------- PNG decoding
@dataclass(frozen=True)
class PngImage:
    width: int
    height: int
    rows: list[list[Pixel]]

    def pixels(self) -> list[Pixel]:
        return [pixel for row in self.rows for pixel in row]


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, which the PNG format requires to come first."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _paeth(left: int, up: int, up_left: int) -> int:
    estimate = left + up - up_left
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - up_left))
    if distances[0] <= distances[1] and distances[0] <= distances[2]:
        return left
    return up if distances[1] <= distances[2] else up_left


def decode_png(data: bytes) -> PngImage:
    """Decodes 8-bit RGB/RGBA, non-interlaced PNGs (any scanline filter): enough to inspect our icons."""
    width, height = png_size(data)
    offset = len(PNG_SIGNATURE)
    compressed = bytearray()
    bit_depth = color_type = interlace = -1
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        payload = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            bit_depth, color_type, interlace = payload[8], payload[9], payload[12]
        elif kind == b"IDAT":
            compressed.extend(payload)
        offset += 12 + length
    if bit_depth != 8 or color_type not in (_RGB, _RGBA) or interlace != 0:
        raise ValueError(f"unsupported PNG (bit depth {bit_depth}, colour type {color_type}, interlace {interlace})")
    channels = 4 if color_type == _RGBA else 3
    stride = width * channels
    raw = zlib.decompress(bytes(compressed))
    previous = bytearray(stride)
    rows: list[list[Pixel]] = []
    for y in range(height):
        start = y * (stride + 1)
        filter_type = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, up_left))[filter_type]
            line[i] = (line[i] + predictor) & 0xFF
        previous = line
        pixels = [tuple(line[x * channels : (x + 1) * channels]) for x in range(width)]
        rows.append([(p[0], p[1], p[2], p[3] if channels == 4 else 255) for p in pixels])
    return PngImage(width, height, rows)


# ----------------------------------------------------------------------------- the symbol
def _rounded_box_distance(
    x: float, y: float, left: float, top: float, right: float, bottom: float, radius: float
) -> float:
    """Signed distance to a rounded rectangle: negative inside."""
    half_w, half_h = (right - left) / 2, (bottom - top) / 2
    qx = abs(x - (left + right) / 2) - half_w + radius
    qy = abs(y - (top + bottom) / 2) - half_h + radius
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def meeting_calendar(stroke: float) -> Shape:
    """The symbol in a unit square: calendar outline, filled header, two binder rings, two linked circles."""
    body = (0.06, 0.16, 0.94, 0.94, 0.13)
    ring_radius = 0.16
    centres = ((0.39, 0.64), (0.61, 0.64))

    def inside(x: float, y: float) -> bool:
        edge = _rounded_box_distance(x, y, *body)
        if -stroke <= edge <= 0:
            return True  # the page's border
        if edge <= 0 and y <= 0.38:
            return True  # the filled header band
        for ring_x in (0.31, 0.69):  # binder rings above the header
            if abs(x - ring_x) <= stroke / 2 and 0.05 <= y <= 0.27:
                return True
            if math.hypot(x - ring_x, y - 0.05) <= stroke / 2:
                return True
        return any(abs(math.hypot(x - cx, y - cy) - ring_radius) <= stroke / 2 for cx, cy in centres)

    return inside


def _coverage(shape: Shape, size: int, origin: float, extent: float) -> list[list[float]]:
    """Fraction of each pixel covered by the shape drawn in the square [origin, origin + extent]."""
    grid: list[list[float]] = []
    step = 1.0 / _SUPERSAMPLING
    for py in range(size):
        row: list[float] = []
        for px in range(size):
            hits = 0
            for sy in range(_SUPERSAMPLING):
                for sx in range(_SUPERSAMPLING):
                    ux = (px + (sx + 0.5) * step - origin) / extent
                    uy = (py + (sy + 0.5) * step - origin) / extent
                    if 0 <= ux <= 1 and 0 <= uy <= 1 and shape(ux, uy):
                        hits += 1
            row.append(hits / _SUPERSAMPLING**2)
        grid.append(row)
    return grid


def draw_color_icon(size: int = COLOR_SIZE) -> list[list[Pixel]]:
    """Full-colour icon: accent background, white symbol in the central half (Teams' safe area)."""
    symbol = _coverage(meeting_calendar(stroke=0.075), size, origin=size / 4, extent=size / 2)
    rows: list[list[Pixel]] = []
    for coverage_row in symbol:
        row: list[Pixel] = []
        for cover in coverage_row:
            r, g, b = (round(channel + (255 - channel) * cover) for channel in ACCENT_RGB)
            row.append((r, g, b, 255))
        rows.append(row)
    return rows


def draw_outline_icon(size: int = OUTLINE_SIZE) -> list[list[Pixel]]:
    """Outline icon: white symbol, transparent everywhere else, anti-aliased through alpha only."""
    margin = size / 16
    symbol = _coverage(meeting_calendar(stroke=0.085), size, origin=margin, extent=size - 2 * margin)
    return [[(255, 255, 255, round(255 * cover)) if cover else (0, 0, 0, 0) for cover in row] for row in symbol]


def icon_bytes() -> dict[Path, bytes]:
    """What the committed icon files must contain."""
    return {
        COLOR_ICON: encode_png(COLOR_SIZE, COLOR_SIZE, draw_color_icon()),
        OUTLINE_ICON: encode_png(OUTLINE_SIZE, OUTLINE_SIZE, draw_outline_icon()),
    }


def write_icons() -> list[Path]:
    written = []
    for path, data in icon_bytes().items():
        path.write_bytes(data)
        written.append(path)
        log.info("wrote %s (%d bytes)", path, len(data))
    return written


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_icons()
