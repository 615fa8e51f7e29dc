"""Real face photos that ship inside registry packages (nothing is downloaded), and camera captures
and fake-camera videos made from them:

- scikit-image: skimage/data/astronaut.png (Eileen Collins, NASA, public domain);
- matplotlib: mpl-data/sample_data/grace_hopper.jpg (Grace Hopper, US Navy, public domain).

A head turn is simulated by wrapping the face round a vertical cylinder and rotating it (the nose
moves across the face, the far cheek narrows), which moves the landmarks as a real turn does;
shifting or scaling a flat photo does not.
"""

from __future__ import annotations

import base64
import io
import math
from functools import cache
from pathlib import Path

import numpy as np
import skimage.data
from matplotlib import cbook
from PIL import Image, ImageOps

SIDE = 480  # what the browser sends at most
# Where the astronaut's face is in the 512 px photo (centre column and rows; head radius).
ASTRONAUT_HEAD = (225, 130, 70, 120)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def astronaut_image() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


def hopper_image() -> Image.Image:
    return Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")


def astronaut() -> bytes:
    return _png(astronaut_image())


def astronaut_mirrored() -> bytes:
    """The same person, a different picture (mirrored), as a login photo would be."""
    return _png(ImageOps.mirror(astronaut_image()))


def grace_hopper() -> bytes:
    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).read_bytes()


def turned(image: Image.Image, degrees: float, head=ASTRONAUT_HEAD) -> Image.Image:
    """The face turned by `degrees` (positive: to the person's own left, i.e. the image's right)."""
    from skimage.transform import warp

    cx, cy, radius, half_height = head
    phi = math.radians(degrees)

    def to_source(coords):  # (not named "inverse": skimage takes that for a transform method)
        x, y = coords[:, 0], coords[:, 1]
        u = np.clip((x - cx) / radius, -1, 1)
        source = cx + radius * np.sin(np.clip(np.arcsin(u) - phi, -np.pi / 2, np.pi / 2))
        v = (y - cy) / half_height
        weight = np.clip((1 - np.abs(u)) / 0.3, 0, 1) * np.where(np.abs(v) < 1, (1 + np.cos(np.pi * v)) / 2, 0)
        out = coords.copy()
        out[:, 0] = x + (source - x) * weight
        return out

    return Image.fromarray(warp(np.asarray(image), to_source, order=1, preserve_range=True).astype(np.uint8))


def head_turn(image: Image.Image, moves=("left", "right"), frames_per_move: int = 5, degrees: float = 28,
              head=ASTRONAUT_HEAD) -> list[Image.Image]:
    """A face looking straight, then turning each way in `moves` (a still photo's warp)."""
    frames = [image]
    for move in moves:
        sign = 1 if move == "left" else -1
        ramp = [degrees * sign * (0.6 + 0.4 * i / max(frames_per_move - 1, 1)) for i in range(frames_per_move)]
        frames += [turned(image, angle, head) for angle in ramp]
    return frames


# What an attacker does with one public photo: for each move the page reveals, warp the photo to
# that pose, a few frames a step. A second synthesis (`variant` >= 1) changes the angles and the
# light and is saved at JPEG quality 40; angles and light alone barely move the face hash, so
# without the recompression it could read as a replay of the first (at most 7 of 12 frames are near
# one of variant 0's, for every pair of move sequences; 8 would be a replay).
POSE_DEGREES = {"left": (25.5, 27.0, 26.0, 26.5), "right": (-24.0, -27.0, -25.5, -26.0), "straight": (2.0, 0.0, -1.5, 1.0)}


def _lit(image: Image.Image, strength: float) -> Image.Image:
    """A light from one side (a lamp, a window): the face's shading changes, not its pose."""
    if not strength:
        return image
    pixels = np.asarray(image).astype(float)
    ramp = 1 + strength * np.linspace(-1, 1, pixels.shape[1])[None, :, None]
    return Image.fromarray(np.clip(pixels * ramp, 0, 255).astype(np.uint8))


@cache
def _turned(image_key: str, degrees: float, head: tuple) -> Image.Image:
    """The warp is the costly part (~0.2 s); the light on it changes from frame to frame."""
    return turned(astronaut_image() if image_key == "astronaut" else hopper_image(), degrees, head)


@cache
def _warp(image_key: str, degrees: float, head: tuple, light: float) -> Image.Image:
    return _lit(_turned(image_key, degrees, head), light)


def pose(move: str, index: int, variant: int = 0, image_key: str = "astronaut", head=ASTRONAUT_HEAD,
         step: int = 0) -> Image.Image:
    """One synthesised frame of `move` (the index-th of step `step`: a move asked twice is not the
    same picture twice)."""
    angles = POSE_DEGREES[move]
    degrees = angles[index % len(angles)] + (-0.5 if move == "left" else -1.0 if move == "right" else 0.5) * (variant % 2)
    image = _warp(image_key, degrees, head, 0.35 * variant + 0.05 * step)
    if not variant:
        return image
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=40)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def warped_sequence(moves, frames_per_move: int = 3, variant: int = 0, image_key: str = "astronaut",
                    head=ASTRONAUT_HEAD, first_step: int = 0) -> list[list[Image.Image]]:
    """Frames for each step of `moves` (numbered from `first_step`), warped from one photo."""
    return [[pose(move, i, variant, image_key, head, first_step + n) for i in range(frames_per_move)]
            for n, move in enumerate(moves)]


def shifted(image: Image.Image, count: int) -> list[Image.Image]:
    """A flat photo moved and scaled in front of the camera (what holding up a print does)."""
    out = []
    for i in range(count):
        scale = 1 + 0.03 * math.sin(i)
        moved = image.resize((round(image.width * scale), round(image.height * scale)))
        canvas = Image.new("RGB", image.size, "gray")
        canvas.paste(moved, (round(12 * math.sin(i * 0.9)), round(8 * math.cos(i * 0.7))))
        out.append(canvas)
    return out


def data_url(image: Image.Image) -> str:
    """A frame as the browser component sends it: at most 480 px a side, JPEG 0.8."""
    image = image.copy()
    image.thumbnail((SIDE, SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def capture(nonce: str, frames: list[tuple[int, str, float, Image.Image]]) -> dict:
    """A capture as the browser component sends it: (step, step token, time in ms, image) each."""
    return {"nonce": nonce, "frames": [{"step": step, "token": token, "t": at_ms, "image": data_url(image)}
                                       for step, token, at_ms, image in frames]}


# --- videos for Chromium's fake camera (--use-file-for-fake-video-capture) ---

FPS = 10


VIDEO = (640, 480)  # the size a camera gives getUserMedia by default
ASTRONAUT_SHOT = (60, 16, 390, 264)  # head and shoulders, 4:3, out of the 512 px photo


def write_y4m(path: Path, frames: list[Image.Image], fps: int = FPS, shot=ASTRONAUT_SHOT) -> Path:
    """A 640 x 480 Y4M (4:2:0) video of the frames (cropped to `shot`), each shown for 1/fps s."""
    width, height = VIDEO
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            yuv = np.asarray(frame.crop(shot).resize(VIDEO).convert("YCbCr"))
            out.write(b"FRAME\n")
            out.write(yuv[:, :, 0].tobytes())
            for channel in (1, 2):
                plane = yuv[:, :, channel].reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))
                out.write(plane.round().astype(np.uint8).tobytes())
    return path


POSE_FRAMES = 8  # one pose, looped by Chromium (0.8 s at FPS); each frame a little different


def pose_video(path: Path, move: str, step: int = 0, variant: int = 0) -> Path:
    """The fake camera's file showing the photo warped to `move` (the attacker's live synthesis);
    another `variant` is another synthesis (other light), not a replay of the first."""
    degrees = POSE_DEGREES[move]
    return write_y4m(path, [_warp("astronaut", degrees[i % len(degrees)], ASTRONAUT_HEAD,
                                  0.35 * variant + 0.05 * step + 0.01 * i) for i in range(POSE_FRAMES)])


def show_in_place(camera: Path, video: Path) -> None:
    """Put `video` in front of a running fake camera: Chromium reads a Y4M frame by frame from the
    file it opened, so overwriting that file (same inode, same size) switches what it films."""
    with camera.open("r+b") as out:
        out.write(video.read_bytes())


def still_photo_video(path: Path, image: Image.Image | None = None) -> Path:
    return write_y4m(path, [image or astronaut_image()] * POSE_FRAMES)


def write(tmp_dir: Path, name: str, data: bytes) -> Path:
    path = tmp_dir / name
    path.write_bytes(data)
    return path
