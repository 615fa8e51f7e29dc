"""QR codes as a camera sees them: a Y4M video of one code for Chromium's fake camera."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import segno
from PIL import Image

from tests.support.faces import VIDEO, write_y4m


def qr_image(text: str, side: int = 460) -> Image.Image:
    """The code black on white, centred on a 640 x 480 frame, as a pass held up to a camera."""
    matrix = np.array(list(segno.make(text, error="m").matrix_iter(scale=1, border=4)), dtype=np.uint8)
    code = Image.fromarray(((1 - matrix) * 255).astype(np.uint8), mode="L")
    scale = max(1, side // code.width)
    code = code.resize((code.width * scale, code.height * scale), Image.NEAREST)
    frame = Image.new("L", VIDEO, 255)
    frame.paste(code, ((VIDEO[0] - code.width) // 2, (VIDEO[1] - code.height) // 2))
    return frame.convert("RGB")


def qr_video(path: Path, text: str, seconds: int = 3) -> Path:
    return write_y4m(path, [qr_image(text)] * (seconds * 10), shot=(0, 0, *VIDEO))


def blank_video(path: Path) -> Path:
    return write_y4m(path, [Image.new("RGB", VIDEO, (128, 128, 128))] * 10, shot=(0, 0, *VIDEO))
