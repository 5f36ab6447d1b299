"""Small real image files for tests, written without Pillow."""

import struct
import zlib


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (210, 90, 60)) -> bytes:
    """A valid PNG of one colour, with a lighter circle-ish centre so it is visibly a picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    rows = b""
    cx, cy, radius = width / 2, height / 2, min(width, height) / 3
    for y in range(height):
        rows += b"\x00"
        for x in range(width):
            inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius**2
            rows += bytes((255, 220, 170) if inside else rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32 + b"\xff\xd9"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 18
