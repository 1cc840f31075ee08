"""Drawn signature and seal images for the demo and the samples (docs/signing.md "Images"): a blue scrawl of a
person's name in an italic Noto face with a flourish under it, and a red round seal with the unit's name around
the ring and a star in the middle. Drawn with Pillow, in code: no image files to ship. PNG, transparent."""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

NOTO = Path("/usr/share/fonts/truetype/noto")
INK_BLUE = (18, 42, 160, 255)
SEAL_RED = (210, 24, 24, 255)


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = NOTO / name
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default(size)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def signature_png(full_name: str) -> bytes:
    """A signature: the given name (the last word of a Vietnamese name) written slanted, a flourish under it."""
    given = full_name.split()[-1] if full_name.split() else full_name
    width, height = 600, 220
    text = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(text)
    font = _font("NotoSerif-BoldItalic.ttf", 110)
    left, top, right, bottom = draw.textbbox((0, 0), given, font=font)
    x, y = (width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top - 20
    draw.text((x, y), given, font=font, fill=INK_BLUE)
    points = [(60 + i * 12, 170 - 26 * math.sin(i / 6) + i * 0.6) for i in range(42)]
    draw.line(points, fill=INK_BLUE, width=7, joint="curve")
    draw.line([(90, 150), (520, 120)], fill=INK_BLUE, width=4)
    turned = text.rotate(6, resample=Image.Resampling.BICUBIC, expand=False)
    return _png(turned.crop(turned.getbbox()))


def seal_png(unit_name: str, size: int = 600) -> bytes:
    """A round seal (con dấu): two rings, the unit's name in capitals around the top, a five-pointed star inside."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, outer = size / 2, size / 2 - 8
    draw.ellipse((centre - outer, centre - outer, centre + outer, centre + outer), outline=SEAL_RED, width=14)
    inner = outer * 0.66
    draw.ellipse((centre - inner, centre - inner, centre + inner, centre + inner), outline=SEAL_RED, width=6)
    star = [
        (
            centre + (inner * 0.62 if k % 2 == 0 else inner * 0.25) * math.sin(math.pi * k / 5),
            centre - (inner * 0.62 if k % 2 == 0 else inner * 0.25) * math.cos(math.pi * k / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=SEAL_RED)
    words = unit_name.upper()
    font = _font("NotoSans-Bold.ttf", max(18, int(size * 0.062)))
    radius = (outer + inner) / 2
    sweep = min(300.0, 12.0 * len(words))  # degrees the text spans, centred on the top
    for index, char in enumerate(words):
        angle = -sweep / 2 + sweep * (index + 0.5) / len(words)
        glyph = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((40, 40), char, font=font, fill=SEAL_RED, anchor="mm")
        turned = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.sin(math.radians(angle)) - 40
        y = centre - radius * math.cos(math.radians(angle)) - 40
        image.alpha_composite(turned, (int(x), int(y)))
    return _png(image)
