"""Real face photos that ship inside registry packages (nothing is downloaded):

- scikit-image: skimage/data/astronaut.png (Eileen Collins, NASA, public domain);
- matplotlib: mpl-data/sample_data/grace_hopper.jpg (Grace Hopper, US Navy, public domain).
"""

from __future__ import annotations

import io
from pathlib import Path

import skimage.data
from matplotlib import cbook
from PIL import Image, ImageOps


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def astronaut() -> bytes:
    return _png(Image.fromarray(skimage.data.astronaut()))


def astronaut_mirrored() -> bytes:
    """The same person, a different picture (mirrored), as a login photo would be."""
    return _png(ImageOps.mirror(Image.fromarray(skimage.data.astronaut())))


def grace_hopper() -> bytes:
    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).read_bytes()


def write(tmp_dir: Path, name: str, data: bytes) -> Path:
    path = tmp_dir / name
    path.write_bytes(data)
    return path
