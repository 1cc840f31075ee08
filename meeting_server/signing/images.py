"""Signature and seal images (docs/signing.md "Images"): a person's drawn signature (chữ ký, blue ink) and a
unit's seal (con dấu, red), uploaded as PNG or JPEG and kept re-encoded.

`reencode` is the only place an uploaded image is decoded: Pillow, in a document worker (never on the event loop),
with limits checked before the pixels are read (the file's size, the declared pixel count against a
decompression bomb, the format), then the image is downscaled, a white background (a scan, a JPEG) made
transparent and the result saved as a fresh PNG. `looks_kept` is the cheap check of what is stored: a PNG of at
most MAX_SIDE pixels a side, read from its header only.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageChops, UnidentifiedImageError

from ..errors import AppError
from ..vocabulary import IMAGE_SEAL as SEAL
from ..vocabulary import IMAGE_SIGNATURE as SIGNATURE

MAX_UPLOAD_BYTES: Final = 1024 * 1024  # the API's body limit (Settings.max_body_bytes) by default
MAX_SOURCE_PIXELS: Final = 16_000_000  # the declared size a file may decode to (a 4000 × 4000 scan)
MAX_SIDE: Final = 600  # what is kept: ≈ 420 dpi at a seal's 36 mm (signing/appearance.MAX_IMAGE_PIXELS)
FORMATS: Final = ("PNG", "JPEG")
WHITE: Final = 235  # a pixel lighter than this in every channel is paper, not ink
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"

_WORDS: Final[dict[str, tuple[str, str]]] = {SIGNATURE: ("chữ ký", "signature"), SEAL: ("con dấu", "seal")}


@dataclass(frozen=True)
class KeptImage:
    png: bytes
    width: int
    height: int


def refused(kind: str, vi: str, en: str) -> AppError:
    word, word_en = _WORDS.get(kind, ("ảnh", "image"))
    return AppError("image_refused", detail=f"ảnh {word}: {vi}", detail_en=f"the {word_en} image: {en}")


def _transparent_paper(picture: Image.Image) -> Image.Image:
    """An image without transparency of its own: its near-white pixels (the paper) become transparent."""
    red, green, blue = picture.convert("RGB").split()
    darkest = ImageChops.darker(red, ImageChops.darker(green, blue))
    rgba = picture.convert("RGBA")
    rgba.putalpha(darkest.point(lambda v: 0 if v >= WHITE else 255))
    return rgba


def reencode(data: bytes, kind: str) -> KeptImage:
    """The upload as a fresh PNG of at most MAX_SIDE a side, or `image_refused` saying why. Blocking: run it in a
    document worker."""
    if not data:
        raise refused(kind, "tệp rỗng", "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise refused(kind, "tệp quá lớn (tối đa 1 MB)", "the file is too large (1 MB at most)")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS or image.width < 1 or image.height < 1:
                raise refused(
                    kind,
                    f"ảnh {image.width} × {image.height} điểm ảnh quá lớn (tối đa 16 triệu điểm ảnh)",
                    f"{image.width} × {image.height} pixels is too many (16 million at most)",
                )
            image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))  # a JPEG decodes at a smaller scale directly
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            picture = image.convert("RGBA") if has_alpha else image.convert("RGB")
    except AppError:
        raise
    except Image.DecompressionBombError:
        raise refused(
            kind, "ảnh có quá nhiều điểm ảnh (tối đa 16 triệu)", "too many pixels (16 million at most)"
        ) from None
    except UnidentifiedImageError:
        raise refused(kind, "tệp không phải ảnh PNG hoặc JPEG", "the file is not a PNG or JPEG image") from None
    except (OSError, ValueError, SyntaxError, struct.error):
        raise refused(kind, "tệp ảnh bị hỏng hoặc không đầy đủ", "the image file is damaged or truncated") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    if not has_alpha:
        picture = _transparent_paper(picture)
    if picture.getchannel("A").getbbox() is None:
        raise refused(kind, "ảnh không có nét nào (toàn nền trắng)", "the image holds no ink (all white)")
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return KeptImage(out.getvalue(), picture.width, picture.height)


def looks_kept(png: bytes) -> tuple[int, int] | None:
    """The width and height of a PNG as `reencode` keeps it, from its header; None when it is not one."""
    if len(png) > MAX_UPLOAD_BYTES * 4 or len(png) < 33 or not png.startswith(PNG_MAGIC) or png[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", png[16:24])
    return (width, height) if 1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE else None
