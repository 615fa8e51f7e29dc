"""FaceID login: a photo of the voter is compared with the reference face the voter gave earlier.

Photos are never stored, written to disk or logged: they are decoded in memory, turned into a
128-number face encoding (face_recognition / dlib) and dropped. Only reference encodings are kept
(table VoterFace). Without the face engine nobody gets in by face: every call raises
`error.face_unavailable`. Failed tries are rate limited per voter, every try per client.
"""

from __future__ import annotations

import functools
import io
import json
from types import ModuleType

from sqlmodel import Session, select

from remote_vote_app.models import Voter, VoterFace
from remote_vote_app.services import audit, ratelimit
from remote_vote_app.services.clock import now_utc
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.ratelimit import parse
from remote_vote_app.services.validation import normalize_pin
from remote_vote_app.settings import settings

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refused before decoding (decompression bombs)
MAX_SIDE = 800  # larger photos are scaled down before detection: faster, and a login face is large
# dlib's HOG detector scores real faces above ~1 and look-alikes (badges, patterns) near 0.1.
MIN_DETECTION_SCORE = 0.5
ENCODING_SIZE = 128
SOURCES = ("commission", "register")

FAILURES_PER_VOTER = parse("5/15 minutes")  # wrong faces
TRIES_PER_CLIENT = parse(settings.login_limit_per_client)


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


def _decode(image_bytes: bytes):
    """An RGB numpy array of a JPEG or PNG photo, at most MAX_SIDE pixels on its long side."""
    import numpy as np
    from PIL import Image, ImageOps

    if not image_bytes or len(image_bytes) > MAX_IMAGE_BYTES:
        raise ServiceError("error.face_image")
    try:
        with Image.open(io.BytesIO(image_bytes), formats=("JPEG", "PNG")) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ServiceError("error.face_image")
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced size directly
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            return np.asarray(image)
    except ServiceError:
        raise
    except Exception:  # whatever Pillow says about a broken or foreign file
        raise ServiceError("error.face_image") from None


def encode_single_face(image_bytes: bytes) -> list[float]:
    """The face encoding of the one face in the photo."""
    engine = _require_engine()
    pixels = _decode(image_bytes)
    rects, scores, _kinds = engine.api.face_detector.run(pixels, 1, 0.0)
    faces = [rect for rect, score in zip(rects, scores) if score >= MIN_DETECTION_SCORE]
    if not faces:
        raise ServiceError("error.face_none")
    if len(faces) > 1:
        raise ServiceError("error.face_many")
    rect = faces[0]
    height, width = pixels.shape[:2]
    box = (max(rect.top(), 0), min(rect.right(), width), min(rect.bottom(), height), max(rect.left(), 0))
    (encoding,) = engine.face_encodings(pixels, known_face_locations=[box])
    return [float(x) for x in encoding]


def _compare(reference: list[float], probe: list[float], pin_key: str, threshold: float | None) -> float:
    engine = _require_engine()
    import numpy as np

    limit = settings.face_match_threshold if threshold is None else threshold
    distance = float(engine.face_distance(np.asarray([reference], dtype=float), np.asarray(probe, dtype=float))[0])
    if not distance <= limit:  # also refuses NaN
        ratelimit.record(FAILURES_PER_VOTER, "face-fail-pin", pin_key)
        raise ServiceError("error.face_mismatch")
    return distance


def verify(reference: list[float], image_bytes: bytes, pin_key: str, threshold: float | None = None) -> float:
    """The face distance when the photo shows the reference person; otherwise an error.

    `pin_key` is `ratelimit.key(pin)`: after too many wrong faces the voter's tries are refused.
    """
    _require_engine()
    ratelimit.check(FAILURES_PER_VOTER, "face-fail-pin", pin_key)
    return _compare(reference, encode_single_face(image_bytes), pin_key, threshold)


def set_reference(session: Session, voter_id: int, image_bytes: bytes, source: str, actor: str) -> None:
    """Store (or replace) the voter's reference encoding, taken from a photo with exactly one face."""
    if source not in SOURCES:
        raise ValueError(f"unknown face source {source!r}")
    encoding = encode_single_face(image_bytes)
    row = session.exec(select(VoterFace).where(VoterFace.voter_id == voter_id)).first()
    replaced = row is not None
    if row is None:
        row = VoterFace(voter_id=voter_id, encoding="", source=source)
    row.encoding = json.dumps(encoding)
    row.source = source
    row.created_at = now_utc()
    session.add(row)
    audit.record(session, actor, "face.reference_set", "voter", voter_id, source=source, replaced=replaced)


def get_reference(session: Session, voter_id: int) -> list[float] | None:
    row = session.exec(select(VoterFace).where(VoterFace.voter_id == voter_id)).first()
    if row is None:
        return None
    encoding = json.loads(row.encoding)
    return [float(x) for x in encoding] if len(encoding) == ENCODING_SIZE else None


def login_by_face(session: Session, pin_raw: str, image_bytes: bytes, client: str) -> int:
    """The voter id when the photo shows the voter with this PIN; otherwise an error.

    An unknown PIN, a voter without a reference face and a wrong face get the same answer after
    the same work (and count alike), so nobody learns who has a FaceID reference.
    """
    _require_engine()
    ratelimit.count(TRIES_PER_CLIENT, "face-client", ratelimit.key(client))
    pin = normalize_pin(pin_raw)
    pin_key = ratelimit.key(pin)
    ratelimit.check(FAILURES_PER_VOTER, "face-fail-pin", pin_key)
    probe = encode_single_face(image_bytes)  # before the look-up, so its time tells nothing
    voter = session.exec(select(Voter).where(Voter.pin == pin)).first()
    reference = get_reference(session, voter.id) if voter is not None else None
    if voter is None or reference is None:
        ratelimit.record(FAILURES_PER_VOTER, "face-fail-pin", pin_key)
        raise ServiceError("error.face_mismatch")
    _compare(reference, probe, pin_key, None)
    return voter.id
