"""FaceID: a live camera capture of the voter, with an active liveness challenge, compared with the
reference face the voter gave earlier.

There is no single-photo path. The server picks a random challenge ("turn your head left, then
right"); the browser captures a burst of frames while the voter follows it and sends them in one
event. A capture passes only if it answers the current challenge (single use, bound to this
attempt, expiring), every frame shows one face, the frames differ, the head yaw measured from the
landmarks (nose tip against the jaw line) turns the asked ways in the asked order, and every frame
is the same person as the first frame and as the reference.

What this does not stop: a video (or a 3D rendering) of the voter that follows the challenge, fed
to a virtual camera. It stops a photo held up, a still or moved photo, a replayed capture and a
video that turns the wrong way.

Frames are never stored, written to disk or logged: they are decoded in memory, turned into
encodings and dropped. Only reference encodings are kept (table VoterFace). The dlib work runs in a
worker thread (dlib releases the GIL), never on the event loop. Without the face engine nobody gets
in by face: every call raises `error.face_unavailable`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import hmac
import io
import json
import secrets
import time
from dataclasses import dataclass
from types import ModuleType

from sqlmodel import Session, select

from remote_vote_app.db import run_in_transaction
from remote_vote_app.models import Voter, VoterFace
from remote_vote_app.services import audit, ratelimit
from remote_vote_app.services.clock import now_utc
from remote_vote_app.services.errors import Forbidden, ServiceError
from remote_vote_app.services.ratelimit import parse
from remote_vote_app.services.staff import StaffUser, territory_ids
from remote_vote_app.services.validation import normalize_pin
from remote_vote_app.settings import settings

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refused before decoding (decompression bombs)
MAX_SIDE = 800  # larger photos are scaled down before detection: faster, and a login face is large
# dlib's HOG detector scores real faces above ~1 and look-alikes (badges, patterns) near 0.1.
MIN_DETECTION_SCORE = 0.5
ENCODING_SIZE = 128
SOURCES = ("commission", "register")

# A capture: the browser sends JPEG frames of at most 480 px a side (~30 KB each).
MIN_FRAMES, MAX_FRAMES = 6, 16
MAX_FRAME_BYTES = 200 * 1024
MAX_FRAME_PIXELS = 640 * 640
MAX_DATA_URL = 4 * MAX_FRAME_BYTES // 3 + 64
# Yaw = (nose tip - middle of the jaw line) / jaw width: about 0 facing the camera, and beyond
# this when the head is clearly turned (~25 degrees).
YAW_TURN = 0.12
MOVES = ("left", "right")
CHALLENGES = (("left", "right"), ("right", "left"))
CHALLENGE_TTL_SECONDS = 120

THROTTLE = ratelimit.LoginThrottle(scope="face")
TRIES_PER_CLIENT = parse(settings.login_limit_per_client)

# Error code -> audit reason (never the PIN or the picture).
REASONS = {
    "error.face_mismatch": "no_match", "error.face_liveness": "liveness", "error.face_none": "no_face",
    "error.face_many": "many_faces", "error.face_image": "bad_capture", "error.face_capture": "bad_capture",
    "error.face_challenge": "challenge", "error.too_many_attempts": "throttled",
}


@functools.cache
def _engine() -> ModuleType | None:
    """face_recognition with its models loaded, or None if it cannot be used here."""
    try:
        from PIL import ImageFile

        truncated = ImageFile.LOAD_TRUNCATED_IMAGES
        import face_recognition  # loads dlib and the bundled models; quits (SystemExit) without them
        import face_recognition_models  # noqa: F401

        ImageFile.LOAD_TRUNCATED_IMAGES = truncated  # face_recognition switches it on for everybody
        return face_recognition
    except (ImportError, OSError, RuntimeError, SystemExit):
        return None


def available() -> bool:
    return _engine() is not None


def _require_engine() -> ModuleType:
    engine = _engine()
    if engine is None:
        raise ServiceError("error.face_unavailable")
    return engine


def _decode(image_bytes: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_PIXELS):
    """An RGB numpy array of a JPEG or PNG image, at most MAX_SIDE pixels on its long side."""
    import numpy as np
    from PIL import Image, ImageOps

    if not image_bytes or len(image_bytes) > max_bytes:
        raise ServiceError("error.face_image")
    try:
        with Image.open(io.BytesIO(image_bytes), formats=("JPEG", "PNG")) as image:
            if image.width * image.height > max_pixels:
                raise ServiceError("error.face_image")
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced size directly
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            return np.asarray(image)
    except ServiceError:
        raise
    except Exception:  # whatever Pillow says about a broken or foreign file
        raise ServiceError("error.face_image") from None


def _one_face(engine: ModuleType, pixels, upsample: int) -> tuple[int, int, int, int]:
    """The (top, right, bottom, left) box of the one face in the picture."""
    rects, scores, _kinds = engine.api.face_detector.run(pixels, upsample, 0.0)
    faces = [rect for rect, score in zip(rects, scores) if score >= MIN_DETECTION_SCORE]
    if not faces:
        raise ServiceError("error.face_none")
    if len(faces) > 1:
        raise ServiceError("error.face_many")
    rect = faces[0]
    height, width = pixels.shape[:2]
    return max(rect.top(), 0), min(rect.right(), width), min(rect.bottom(), height), max(rect.left(), 0)


def encode_single_face(image_bytes: bytes) -> list[float]:
    """The face encoding of the one face in a photo (the register's photo, the demo seed)."""
    engine = _require_engine()
    pixels = _decode(image_bytes)
    (encoding,) = engine.face_encodings(pixels, known_face_locations=[_one_face(engine, pixels, 1)])
    return [float(x) for x in encoding]


# --- the challenge ---


@dataclass(frozen=True)
class Challenge:
    """One FaceID attempt: what the voter is asked to do, and whom it is for. Holds no PIN.

    `identifier` is what the throttle counts (a keyed hash of the PIN, or `voter:<id>`);
    `voter_id` is 0 when the PIN is not in the register (nobody is told).
    """

    nonce: str
    moves: tuple[str, ...]
    voter_id: int
    identifier: str
    subject: str
    expires_at: float


def _challenge(voter_id: int, identifier: str, subject: str) -> Challenge:
    return Challenge(nonce=secrets.token_urlsafe(18), moves=secrets.choice(CHALLENGES), voter_id=voter_id,
                     identifier=identifier, subject=subject, expires_at=time.time() + CHALLENGE_TTL_SECONDS)


def login_challenge(session: Session, pin_raw: str) -> Challenge:
    """A challenge for a login by PIN; an unknown PIN gets one too, bound to nobody."""
    pin = normalize_pin(pin_raw)
    voter = session.exec(select(Voter).where(Voter.pin == pin)).first()
    pin_key = ratelimit.key(pin)
    voter_id = voter.id if voter is not None else 0
    return _challenge(voter_id, pin_key, f"voter:{voter_id}" if voter_id else pin_key[:16])


def renew(challenge: Challenge) -> Challenge:
    """A new challenge for the same attempt (after a failed try)."""
    return _challenge(challenge.voter_id, challenge.identifier, challenge.subject)


def reference_challenge(voter_id: int) -> Challenge:
    """A challenge for taking a voter's reference at a commission."""
    return _challenge(voter_id, f"voter:{voter_id}", f"voter:{voter_id}")


def _spend(challenge: Challenge | None, nonce: object) -> Challenge:
    """The challenge, if this capture answers it in time; each challenge is accepted once (across
    workers: the mark lives in the rate limiter's storage)."""
    if challenge is None or time.time() > challenge.expires_at:
        raise ServiceError("error.face_challenge")
    if not hmac.compare_digest(str(nonce or "").encode(), challenge.nonce.encode()):
        raise ServiceError("error.face_challenge")
    if not ratelimit.claim_once("face-challenge", challenge.nonce, CHALLENGE_TTL_SECONDS + 60):
        raise ServiceError("error.face_challenge")
    return challenge


# --- the capture ---


def _frame_bytes(data_url: object) -> bytes:
    text = data_url if isinstance(data_url, str) else ""
    if len(text) > MAX_DATA_URL or not text.startswith("data:image/jpeg;base64,"):
        raise ServiceError("error.face_capture")
    try:
        return base64.b64decode(text.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError("error.face_capture") from None


def capture_frames(capture: object) -> tuple[object, list[bytes]]:
    """(nonce, JPEG frames) of a capture from the camera component; anything else is refused."""
    if not isinstance(capture, dict) or not isinstance(capture.get("frames"), list):
        raise ServiceError("error.face_capture")
    frames = capture["frames"]
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise ServiceError("error.face_capture")
    return capture.get("nonce"), [_frame_bytes(frame) for frame in frames]


@dataclass(frozen=True)
class Frame:
    digest: str
    yaw: float
    encoding: tuple[float, ...]


def _yaw(landmarks: dict) -> float:
    """Positive when the voter turns to their own left (the nose moves to the image's right)."""
    chin, nose = landmarks["chin"], landmarks["nose_tip"]
    left, right = chin[0][0], chin[-1][0]
    nose_x = sum(x for x, _ in nose) / len(nose)
    return (nose_x - (left + right) / 2) / max(right - left, 1)


def analyse(frames: list[bytes]) -> list[Frame]:
    """Face facts of each frame. Slow (dlib): call through `asyncio.to_thread`."""
    engine = _require_engine()
    facts = []
    for data in frames:
        pixels = _decode(data, MAX_FRAME_BYTES, MAX_FRAME_PIXELS)
        try:
            box = _one_face(engine, pixels, 0)
        except ServiceError:  # a turned or distant face: look again at twice the size (slower)
            box = _one_face(engine, pixels, 1)
        (landmarks,) = engine.face_landmarks(pixels, [box])
        (encoding,) = engine.face_encodings(pixels, known_face_locations=[box])
        facts.append(Frame(hashlib.sha256(pixels.tobytes()).hexdigest(), _yaw(landmarks),
                           tuple(float(x) for x in encoding)))
    return facts


def _distance(a, b) -> float:
    import numpy as np

    return float(np.linalg.norm(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))


def turns(frames: list[Frame]) -> list[str]:
    """The head turns seen across the frames, in order ('left', 'right'), repeats merged."""
    seen: list[str] = []
    for frame in frames:
        move = "left" if frame.yaw >= YAW_TURN else "right" if frame.yaw <= -YAW_TURN else ""
        if move and (not seen or seen[-1] != move):
            seen.append(move)
    return seen


def check_liveness(frames: list[Frame], moves: tuple[str, ...], threshold: float | None = None) -> None:
    """A live person following the challenge: frames all different, one person throughout, and
    the head turned the asked ways first, in the asked order."""
    limit = settings.face_match_threshold if threshold is None else threshold
    if len({frame.digest for frame in frames}) != len(frames):
        raise ServiceError("error.face_liveness")
    if not all(_distance(frames[0].encoding, frame.encoding) <= limit for frame in frames[1:]):
        raise ServiceError("error.face_liveness")
    if turns(frames)[: len(moves)] != list(moves):
        raise ServiceError("error.face_liveness")


def _matches(reference: list[float], frames: list[Frame], threshold: float | None) -> bool:
    limit = settings.face_match_threshold if threshold is None else threshold
    return all(_distance(reference, frame.encoding) <= limit for frame in frames)  # False on NaN too


async def live_frames(challenge: Challenge | None, capture: object) -> list[Frame]:
    """The frames of a capture that answers the challenge and passes liveness; otherwise an error."""
    _require_engine()
    nonce, frames = capture_frames(capture)
    _spend(challenge, nonce)
    facts = await asyncio.to_thread(analyse, frames)
    del frames
    check_liveness(facts, challenge.moves)
    return facts


def _fail(challenge: Challenge, client: str, exc: ServiceError) -> None:
    """Audit a failed try, count it against this (identifier, client), audit a lockout it starts."""
    reason = REASONS.get(exc.code, "other")
    audit.auth_event(None, "auth.face.failure", subject=challenge.subject, client=client, reason=reason)
    if reason != "throttled" and THROTTLE.failure(challenge.identifier, client):
        audit.auth_event(None, "auth.face.lockout", subject=challenge.subject, client=client)


async def login_by_face(challenge: Challenge | None, capture: object, client: str,
                        threshold: float | None = None) -> int:
    """The voter id when a live capture answering `challenge` shows the voter; otherwise an error.

    An unknown PIN, a voter without a reference face and a wrong face get the same answer after
    the same work (and count alike), so nobody learns who has a FaceID reference.
    """
    _require_engine()
    ratelimit.count(TRIES_PER_CLIENT, "face-client", ratelimit.key(client))
    if challenge is None:
        raise ServiceError("error.face_challenge")
    try:
        THROTTLE.check(challenge.identifier, client)
        frames = await live_frames(challenge, capture)

        def compare(session: Session) -> None:
            reference = get_reference(session, challenge.voter_id) if challenge.voter_id else None
            if reference is None or not _matches(reference, frames, threshold):
                raise ServiceError("error.face_mismatch")
            audit.auth_event(session, "auth.face.success", actor=challenge.subject, subject=challenge.subject,
                             client=client)

        await run_in_transaction(compare)  # database and numpy work off the event loop
    except ServiceError as exc:
        await asyncio.to_thread(_fail, challenge, client, exc)
        raise
    THROTTLE.success(challenge.identifier, client)
    return challenge.voter_id


# --- references ---


def ensure_may_set_reference(session: Session, user: StaffUser, voter_id: int) -> None:
    """A territorial commission sets references for voters of its territory; the CEC for anyone."""
    voter = session.get(Voter, voter_id)
    if voter is None or user.role not in {"cec_admin", "tec_operator"}:
        raise Forbidden("error.forbidden")
    if user.role == "tec_operator" and voter.territory_id not in territory_ids(session, user.territory_id or 0):
        raise Forbidden("error.face_reference_territory")


def reference_encoding(frames: list[Frame]) -> list[float]:
    """The encoding of the frame that faces the camera most squarely."""
    return list(min(frames, key=lambda frame: abs(frame.yaw)).encoding)


def set_reference(session: Session, voter_id: int, encoding: list[float], source: str, actor: str,
                  client: str = "") -> None:
    """Store (or replace) the voter's reference encoding; audited in the caller's transaction."""
    if source not in SOURCES:
        raise ValueError(f"unknown face source {source!r}")
    if len(encoding) != ENCODING_SIZE:
        raise ValueError("a face encoding has 128 numbers")
    row = session.exec(select(VoterFace).where(VoterFace.voter_id == voter_id)).first()
    replaced = row is not None
    if row is None:
        row = VoterFace(voter_id=voter_id, encoding="", source=source)
    row.encoding = json.dumps([float(x) for x in encoding])
    row.source = source
    row.created_at = now_utc()
    session.add(row)
    audit.auth_event(session, "auth.face_reference.set", actor=actor, subject=f"voter:{voter_id}", client=client,
                     source=source, replaced=replaced)


def get_reference(session: Session, voter_id: int) -> list[float] | None:
    row = session.exec(select(VoterFace).where(VoterFace.voter_id == voter_id)).first()
    if row is None:
        return None
    encoding = json.loads(row.encoding)
    return [float(x) for x in encoding] if len(encoding) == ENCODING_SIZE else None
