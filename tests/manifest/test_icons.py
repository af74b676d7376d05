"""The icon drawing and the small PNG codec behind it."""

from __future__ import annotations

import struct
import zlib

import pytest

from manifest.icons import PNG_SIGNATURE, decode_png, encode_png, icon_bytes, png_size


def test_committed_icons_are_what_icons_py_draws() -> None:
    for path, data in icon_bytes().items():
        assert path.read_bytes() == data, f"{path.name} is stale: run python -m manifest.icons"


def test_png_round_trip() -> None:
    rows = [[(x * 40, y * 60, 7, 255 - x) for x in range(5)] for y in range(3)]
    image = decode_png(encode_png(5, 3, rows))
    assert (image.width, image.height) == (5, 3)
    assert image.rows == rows


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_decoder_undoes_sub_and_up_filters() -> None:
    # Two RGB rows: the first stored with the Sub filter, the second with the Up filter.
    first, second = [10, 20, 30, 15, 25, 35], [11, 22, 33, 16, 27, 38]
    sub = [first[i] - (first[i - 3] if i >= 3 else 0) for i in range(6)]
    up = [second[i] - first[i] for i in range(6)]
    raw = bytes([1, *(v & 0xFF for v in sub), 2, *(v & 0xFF for v in up)])
    png = (
        PNG_SIGNATURE
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )
    image = decode_png(png)
    assert image.rows == [[(10, 20, 30, 255), (15, 25, 35, 255)], [(11, 22, 33, 255), (16, 27, 38, 255)]]


def test_png_size_rejects_other_files() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))


def test_encoder_refuses_ragged_rows() -> None:
    with pytest.raises(ValueError, match="2x2"):
        encode_png(2, 2, [[(0, 0, 0, 0)] * 2, [(0, 0, 0, 0)]])
