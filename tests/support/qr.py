"""QR codes as a camera sees them: a Y4M video of a code the page drew, for Chromium's fake camera;
and what such a code may contain."""

from __future__ import annotations

import io
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

from tests.support.faces import VIDEO, write_y4m


def _framed(code: Image.Image, side: int) -> Image.Image:
    scale = max(1, side // code.width)
    code = code.resize((code.width * scale, code.height * scale), Image.NEAREST)
    frame = Image.new("L", VIDEO, 255)
    frame.paste(code, ((VIDEO[0] - code.width) // 2, (VIDEO[1] - code.height) // 2))
    return frame.convert("RGB")


def picture_video(path: Path, png: bytes, seconds: int = 3) -> Path:
    """A video of a screenshot (PNG) of a code, e.g. the pass as the voter's page shows it."""
    frame = _framed(Image.open(io.BytesIO(png)).convert("L"), 460)
    return write_y4m(path, [frame] * (seconds * 10), shot=(0, 0, *VIDEO))


def assert_inline_svg(uri: str) -> None:
    """An SVG data URI that draws only shapes and refers to no other host (no image, use, script)."""
    prefix = "data:image/svg+xml;utf8,"
    assert uri.startswith(prefix), uri[:40]
    svg = ET.fromstring(urllib.parse.unquote(uri[len(prefix):]))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    elements = list(svg.iter())
    assert {e.tag.split("}")[1] for e in elements} <= {"svg", "path", "rect", "g", "title"}
    values = [v for e in elements for v in e.attrib.values()]
    assert not [v for v in values if "http" in v.replace("http://www.w3.org/2000/svg", "") or "url(" in v]
    assert not [k for e in elements for k in e.attrib if k.endswith("href")]


def blank_video(path: Path) -> Path:
    return write_y4m(path, [Image.new("RGB", VIDEO, (128, 128, 128))] * 10, shot=(0, 0, *VIDEO))
