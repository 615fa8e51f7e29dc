"""FaceID: a live camera capture of the voter, with an active liveness challenge, compared with the
reference face the voter gave earlier.

There is no single-photo path. The server picks a random sequence of head moves (left, right,
straight) and reveals them one at a time: the page asks for the next move (`reveal`) only after
capturing the current one, and each move comes with its own server token. The browser sends every
frame with the challenge's nonce, its step's token and its capture time, in one event at the end.

A capture passes only if it answers the current challenge (single use, bound to this attempt,
expiring), carries each step's token, its times are plausible (increasing, neither too fast nor
too slow, no frame of a step before that step was revealed, no longer than the time really spent),
it is not mostly the frames of an earlier attempt for this PIN (perceptual hashes of the
landmark-aligned face, kept `TRACE_TTL_SECONDS`), every frame shows one face, the frames differ,
the head yaw measured from the landmarks follows the asked moves step by step, and every frame is
the same person as the first frame and as the reference.

What this stops: a still or moved photo, replayed frames (same or another challenge, near
duplicates included), a wrong order, a second person, implausible timing. What it does not stop:
frames synthesised live for each challenge (a public photo warped to follow the moves, a video or a
3D mask) fed through a virtual camera. A face is one biometric factor (NIST SP 800-63B 5.2.3: not
an authenticator on its own), which is why a `face` session may read but not write without the SMS
code (services/assurance).

Failures that cost nothing (a bad capture, no face, failed liveness) count only against the
(PIN, client) pair; comparisons with the reference count per PIN too, and past `COMPARISONS_PER_PIN`
the PIN's FaceID answers "log in with the SMS code" instead of locking its owner out.

Frames are never stored, written to disk or logged: they are decoded in memory, turned into
encodings and hashes and dropped. The dlib work runs in this module's own small thread pool with a
bounded queue and one capture at a time per client, never in the threads the database work uses
(`asyncio.to_thread`). Without the face engine nobody gets in by face: every call raises
`error.face_unavailable`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import ModuleType

from sqlmodel import Session, delete, select

from remote_vote_app.db import run_in_transaction
from remote_vote_app.models import FaceTrace, Voter, VoterFace
from remote_vote_app.services import audit
from remote_vote_app.services.identity import ratelimit
from remote_vote_app.services.clock import now_utc
from remote_vote_app.errors import Forbidden, ServiceError
from remote_vote_app.services.identity.ratelimit import parse
from remote_vote_app.services.identity.staff import StaffUser, territory_ids
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
MAX_FRAME_BYTES = 200 * 1024
MAX_FRAME_PIXELS = 640 * 640
MAX_DATA_URL = 4 * MAX_FRAME_BYTES // 3 + 64
# Yaw = (nose tip - middle of the jaw line) / jaw width: about 0 facing the camera, and beyond
# YAW_TURN when the head is clearly turned (~25 degrees); within YAW_STRAIGHT it faces the camera.
YAW_TURN = 0.12
YAW_STRAIGHT = 0.05
MOVES = ("left", "right", "straight")
STEPS = 4  # 2 x 2 x 2 x 2 = 16 sequences (starts with a turn, never the same move twice in a row)
MIN_PER_STEP, MAX_PER_STEP = 3, 4
MIN_FRAMES, MAX_FRAMES = STEPS * MIN_PER_STEP, STEPS * MAX_PER_STEP
CHALLENGE_TTL_SECONDS = 120
# Frame times (the browser's clock, ms): a camera burst is not faster than this, a person does not
# pause longer between two frames (a step's reveal round trip included).
MIN_GAP_MS, MAX_GAP_MS = 120, 4000
SLACK_MS = 1500  # network latency between the server's clock and the browser's
MIN_STEP_SECONDS = 0.5  # a step's frames take at least this long before the next move is asked
# Replays across attempts: 128-bit perceptual hashes of the aligned face crop, per PIN.
TRACE_TTL_SECONDS = 15 * 60
NEAR_BITS = 4  # JPEG re-encoding or noise flipped <= 4 bits here; another pose or light mostly more
REPLAY_SHARE = 2 / 3  # a capture is a replay when this share of its frames is near an earlier one

# Failures per (PIN, client) count in LOGIN_THROTTLE_TIERS's growing windows: they hold the
# client, never the PIN's owner; tries per client in LOGIN_LIMIT_PER_CLIENT.
# Comparisons with the reference per PIN (a distributed false-match search); past it the PIN's
# FaceID answers "use the SMS code" (not a lockout: SMS login stays open to the owner).
COMPARISONS_PER_PIN = parse("20/day")
CHEAP_REASONS = {"no_face", "many_faces", "bad_capture", "challenge", "liveness", "timing", "replay"}

# The face pool: dlib work never queues behind (or blocks) database transactions.
POOL_WORKERS = 1
MAX_PENDING = 3  # captures running or waiting; beyond that, "busy, try again"
_pool = ThreadPoolExecutor(max_workers=POOL_WORKERS, thread_name_prefix="faceid")
_pool_lock = threading.Lock()
_pending = 0
_clients_busy: set[str] = set()

# Error code -> audit reason (never the PIN or the picture).
REASONS = {
    "error.face_mismatch": "no_match", "error.face_liveness": "liveness", "error.face_none": "no_face",
    "error.face_many": "many_faces", "error.face_image": "bad_capture", "error.face_capture": "bad_capture",
    "error.face_challenge": "challenge", "error.too_many_attempts": "throttled", "error.face_timing": "timing",
    "error.face_replay": "replay", "error.face_busy": "busy", "error.face_use_sms": "use_sms",
}


def _clock() -> float:
    return time.time()


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
    """One FaceID attempt: the moves asked, each step's token, when each step was revealed (server
    time), and whom it is for. Holds no PIN.

    `identifier` is what the throttles count (a keyed hash of the PIN, or `voter:<id>`);
    `voter_id` is 0 when the PIN is not in the register (nobody is told).
    """

    nonce: str
    moves: tuple[str, ...]
    tokens: tuple[str, ...]
    revealed: tuple[float, ...]
    voter_id: int
    identifier: str
    subject: str
    expires_at: float

    def shown(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(moves, tokens) revealed so far: all the page may know."""
        count = len(self.revealed)
        return self.moves[:count], self.tokens[:count]


def _sequence() -> tuple[str, ...]:
    moves = [secrets.choice(("left", "right"))]
    while len(moves) < STEPS:
        moves.append(secrets.choice([move for move in MOVES if move != moves[-1]]))
    return tuple(moves)


def _challenge(voter_id: int, identifier: str, subject: str, supervised: bool = False) -> Challenge:
    now, nonce = _clock(), secrets.token_urlsafe(18)
    # At a commission an operator watches the voter: the whole sequence is shown at once.
    tokens = (nonce,) * STEPS if supervised else tuple(secrets.token_urlsafe(12) for _ in range(STEPS))
    return Challenge(nonce=nonce, moves=_sequence(), tokens=tokens, revealed=(now,) * (STEPS if supervised else 1),
                     voter_id=voter_id, identifier=identifier, subject=subject,
                     expires_at=now + CHALLENGE_TTL_SECONDS)


def login_challenge(session: Session, pin_raw: str) -> Challenge:
    """A challenge for a login by PIN; an unknown PIN gets one too, bound to nobody."""
    pin = normalize_pin(pin_raw)
    voter = session.exec(select(Voter).where(Voter.pin == pin)).first()
    pin_key = ratelimit.key(pin)
    voter_id = voter.id if voter is not None else 0
    return _challenge(voter_id, pin_key, f"voter:{voter_id}" if voter_id else pin_key[:16])


def renew(challenge: Challenge) -> Challenge:
    """A new challenge for the same attempt (after a failed try)."""
    return _challenge(challenge.voter_id, challenge.identifier, challenge.subject,
                      supervised=len(set(challenge.tokens)) == 1)


def reference_challenge(voter_id: int) -> Challenge:
    """A challenge for taking a voter's reference at a commission (supervised: shown at once)."""
    return _challenge(voter_id, f"voter:{voter_id}", f"voter:{voter_id}", supervised=True)


def reveal(challenge: Challenge | None, step: object) -> Challenge:
    """The challenge with its next step revealed; only the next one, only once the current step
    had time to be captured, only before the challenge expires."""
    now = _clock()
    if challenge is None or now > challenge.expires_at or isinstance(step, bool) or not isinstance(step, int):
        raise ServiceError("error.face_challenge")
    if step != len(challenge.revealed) or step >= STEPS:
        raise ServiceError("error.face_challenge")
    if now - challenge.revealed[-1] < MIN_STEP_SECONDS:
        raise ServiceError("error.face_timing")
    return dataclasses.replace(challenge, revealed=(*challenge.revealed, now))


def _spend(challenge: Challenge | None, nonce: object) -> Challenge:
    """The challenge, if this capture answers it in time; each challenge is accepted once (across
    workers: the mark lives in the rate limiter's storage)."""
    if challenge is None or _clock() > challenge.expires_at:
        raise ServiceError("error.face_challenge")
    if not hmac.compare_digest(str(nonce or "").encode(), challenge.nonce.encode()):
        raise ServiceError("error.face_challenge")
    if not ratelimit.claim_once("face-challenge", challenge.nonce, CHALLENGE_TTL_SECONDS + 60):
        raise ServiceError("error.face_challenge")
    return challenge


# --- the capture ---


@dataclass(frozen=True)
class Shot:
    """One frame as the browser sent it: its step, that step's token, its capture time (ms)."""

    step: int
    token: str
    at_ms: float
    image: bytes


def _frame_bytes(data_url: object) -> bytes:
    text = data_url if isinstance(data_url, str) else ""
    if len(text) > MAX_DATA_URL or not text.startswith("data:image/jpeg;base64,"):
        raise ServiceError("error.face_capture")
    try:
        return base64.b64decode(text.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError("error.face_capture") from None


def _shot(frame: object) -> Shot:
    if not isinstance(frame, dict):
        raise ServiceError("error.face_capture")
    step, token, at_ms = frame.get("step"), frame.get("token"), frame.get("t")
    if (isinstance(step, bool) or not isinstance(step, int) or not isinstance(token, str)
            or isinstance(at_ms, bool) or not isinstance(at_ms, (int, float)) or at_ms != at_ms):
        raise ServiceError("error.face_capture")
    return Shot(step, token, float(at_ms), _frame_bytes(frame.get("image")))


def capture_frames(capture: object) -> tuple[object, list[Shot]]:
    """(nonce, frames) of a capture from the camera component; anything else is refused."""
    if not isinstance(capture, dict) or not isinstance(capture.get("frames"), list):
        raise ServiceError("error.face_capture")
    frames = capture["frames"]
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise ServiceError("error.face_capture")
    return capture.get("nonce"), [_shot(frame) for frame in frames]


def check_binding(challenge: Challenge, shots: list[Shot]) -> None:
    """Every step revealed and answered in order, each frame carrying its step's server token."""
    if len(challenge.revealed) != STEPS or [s.step for s in shots] != sorted(s.step for s in shots):
        raise ServiceError("error.face_challenge")
    for step in range(STEPS):
        count = sum(1 for s in shots if s.step == step)
        if not MIN_PER_STEP <= count <= MAX_PER_STEP:
            raise ServiceError("error.face_challenge")
    if not all(hmac.compare_digest(s.token.encode(), challenge.tokens[s.step].encode()) for s in shots):
        raise ServiceError("error.face_challenge")


def check_timing(challenge: Challenge, shots: list[Shot], now: float) -> None:
    """Frame times increasing at a camera's pace, no step's frames before that step was revealed,
    and no longer in all than the time that really passed. The browser's clock is not the
    server's: reveals are compared from step 1 on (the first one the capture itself asked for;
    step 0 was shown when the page was, however long before the camera started)."""
    gaps = [b.at_ms - a.at_ms for a, b in zip(shots, shots[1:])]
    if not all(MIN_GAP_MS <= gap <= MAX_GAP_MS for gap in gaps):
        raise ServiceError("error.face_timing")
    if shots[-1].at_ms - shots[0].at_ms > (now - challenge.revealed[0]) * 1000 + SLACK_MS:
        raise ServiceError("error.face_timing")
    first = {}
    for s in shots:
        first.setdefault(s.step, s.at_ms)
    for step, at_ms in first.items():
        if step > 1 and at_ms - first[1] < (challenge.revealed[step] - challenge.revealed[1]) * 1000 - SLACK_MS:
            raise ServiceError("error.face_timing")


@dataclass(frozen=True)
class Frame:
    digest: str
    yaw: float
    encoding: tuple[float, ...]
    phash: int = 0  # 128-bit perceptual hash of the landmark-aligned face, not of the image


def _yaw(landmarks: dict) -> float:
    """Positive when the voter turns to their own left (the nose moves to the image's right)."""
    chin, nose = landmarks["chin"], landmarks["nose_tip"]
    left, right = chin[0][0], chin[-1][0]
    nose_x = sum(x for x, _ in nose) / len(nose)
    return (nose_x - (left + right) / 2) / max(right - left, 1)


def _phash(pixels, landmarks: dict) -> int:
    """Average hash (8x8) and difference hash (9x8) of the face cut at its landmarks' bounds: the
    same picture re-encoded or with noise stays within a few bits, another pose moves many."""
    import numpy as np
    from PIL import Image

    points = np.array([p for part in landmarks.values() for p in part], dtype=float)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    face = Image.fromarray(pixels).convert("L").crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1))
    mean8 = np.asarray(face.resize((8, 8), Image.BOX), dtype=float)
    diff = np.asarray(face.resize((9, 8), Image.BOX), dtype=float)
    bits = np.concatenate([(mean8 > mean8.mean()).ravel(), (diff[:, 1:] > diff[:, :-1]).ravel()])
    return int("".join("1" if bit else "0" for bit in bits), 2)


def analyse(frames: list[bytes]) -> list[Frame]:
    """Face facts of each frame. Slow (dlib): runs in the face pool (`_in_face_pool`)."""
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
                           tuple(float(x) for x in encoding), _phash(pixels, landmarks)))
    return facts


async def _in_face_pool(frames: list[bytes], client: str) -> list[Frame]:
    """`analyse` in the face pool: one capture at a time per client, at most MAX_PENDING in all;
    beyond that a fast "busy" instead of a queue that would hold every socket."""
    global _pending
    client_key = ratelimit.client_key(client, "face")
    with _pool_lock:
        if client_key in _clients_busy or _pending >= MAX_PENDING:
            raise ServiceError("error.face_busy")
        _pending += 1
        _clients_busy.add(client_key)

    def release(_future) -> None:  # when the work ends, even if the waiting event was cancelled
        global _pending
        with _pool_lock:
            _pending -= 1
            _clients_busy.discard(client_key)

    try:
        future = _pool.submit(analyse, frames)
    except BaseException:
        release(None)
        raise
    future.add_done_callback(release)
    return await asyncio.wrap_future(future)


def _distance(a, b) -> float:
    import numpy as np

    return float(np.linalg.norm(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))


def _pose(yaw: float) -> str:
    return "left" if yaw >= YAW_TURN else "right" if yaw <= -YAW_TURN else "straight" if abs(yaw) <= YAW_STRAIGHT else ""


def turns(frames: list[Frame]) -> list[str]:
    """The head poses seen across the frames, in order, repeats and in-between frames merged."""
    seen: list[str] = []
    for frame in frames:
        move = _pose(frame.yaw)
        if move and (not seen or seen[-1] != move):
            seen.append(move)
    return seen


def check_moves(frames: list[Frame], steps: list[int], moves: tuple[str, ...]) -> None:
    """Each step's frames follow its move: most of them, and the last, show it; the others are on
    the way from the previous move (nothing else)."""
    for step, move in enumerate(moves):
        poses = [_pose(f.yaw) for f, s in zip(frames, steps) if s == step]
        allowed = {move, "", moves[step - 1] if step else "straight"}
        if not poses or poses[-1] != move or 2 * poses.count(move) < len(poses) or not set(poses) <= allowed:
            raise ServiceError("error.face_liveness")


def check_liveness(frames: list[Frame], steps: list[int], moves: tuple[str, ...], threshold: float | None = None) -> None:
    """A live person following the challenge: frames all different, one person throughout, and
    the head following the asked moves step by step."""
    limit = settings.face_match_threshold if threshold is None else threshold
    if len({frame.digest for frame in frames}) != len(frames):
        raise ServiceError("error.face_liveness")
    if not all(_distance(frames[0].encoding, frame.encoding) <= limit for frame in frames[1:]):
        raise ServiceError("error.face_liveness")
    check_moves(frames, steps, moves)


def _matches(reference: list[float], frames: list[Frame], threshold: float | None) -> bool:
    limit = settings.face_match_threshold if threshold is None else threshold
    return all(_distance(reference, frame.encoding) <= limit for frame in frames)  # False on NaN too


def _remember(session: Session, identifier: str, frames: list[Frame]) -> int:
    """Keep this capture's face hashes for the PIN; how many of its frames are near a frame of an
    earlier attempt (within TRACE_TTL_SECONDS)."""
    since = now_utc() - dt.timedelta(seconds=TRACE_TTL_SECONDS)
    session.exec(delete(FaceTrace).where(FaceTrace.created_at < since))
    subject = ratelimit.key(f"face-trace|{identifier}")
    earlier = [int(h, 16) for h in session.exec(select(FaceTrace.phash).where(FaceTrace.subject == subject))]
    near = sum(1 for f in frames if any((f.phash ^ h).bit_count() <= NEAR_BITS for h in earlier))
    for frame in frames:
        session.add(FaceTrace(subject=subject, phash=f"{frame.phash:032x}"))
    return near


async def live_frames(challenge: Challenge | None, capture: object, client: str = "commission") -> list[Frame]:
    """The frames of a capture that answers the challenge and passes liveness; otherwise an error."""
    _require_engine()
    nonce, shots = capture_frames(capture)
    _spend(challenge, nonce)
    check_binding(challenge, shots)
    check_timing(challenge, shots, _clock())
    steps = [s.step for s in shots]
    facts = await _in_face_pool([s.image for s in shots], client)
    del shots
    near = await run_in_transaction(lambda session: _remember(session, challenge.identifier, facts))
    if near >= REPLAY_SHARE * len(facts):
        raise ServiceError("error.face_replay")
    check_liveness(facts, steps, challenge.moves)
    return facts


def _pair(identifier: str, client: str) -> str:
    return ratelimit.key(f"face|{identifier}|{ratelimit.requester(client)}")


def _check_allowed(challenge: Challenge, client: str) -> None:
    """Before any work: this (PIN, client) pair is not throttled, and the PIN's comparisons are
    not used up (then the SMS login is the way in, for the owner as for anyone)."""
    for item in settings.login_throttle_tiers:
        ratelimit.check(item, "face-pair", _pair(challenge.identifier, client))
    try:
        ratelimit.check(COMPARISONS_PER_PIN, "face-compare", ratelimit.key(challenge.identifier))
    except ServiceError:
        raise ServiceError("error.face_use_sms") from None


def _fail(session: Session, challenge: Challenge, client: str, exc: ServiceError) -> None:
    """Audit a failed try and count it: every failure against this (PIN, client) pair, a failed
    comparison with the reference also against the PIN."""
    reason = REASONS.get(exc.code, "other")
    audit.auth_event(session, "auth.face.failure", subject=challenge.subject, client=client, reason=reason)
    if reason in {"throttled", "busy", "use_sms"}:
        return
    pair = _pair(challenge.identifier, client)
    for item in settings.login_throttle_tiers:
        ratelimit.record(item, "face-pair", pair)
    if reason not in CHEAP_REASONS:
        ratelimit.record(COMPARISONS_PER_PIN, "face-compare", ratelimit.key(challenge.identifier))
    if any(_full(item, "face-pair", pair) for item in settings.login_throttle_tiers):
        audit.auth_event(session, "auth.face.lockout", subject=challenge.subject, client=client)


def _full(item, scope: str, k: str) -> bool:
    try:
        ratelimit.check(item, scope, k)
    except ServiceError:
        return True
    return False


async def login_by_face(challenge: Challenge | None, capture: object, client: str,
                        threshold: float | None = None) -> int:
    """The voter id when a live capture answering `challenge` shows the voter; otherwise an error.

    An unknown PIN, a voter without a reference face and a wrong face get the same answer after
    the same work (and count alike), so nobody learns who has a FaceID reference.
    """
    _require_engine()
    ratelimit.count(settings.login_limit_per_client, "face-client", ratelimit.client_key(client))
    if challenge is None:
        raise ServiceError("error.face_challenge")
    try:
        _check_allowed(challenge, client)
        frames = await live_frames(challenge, capture, client)

        def compare(session: Session) -> None:
            reference = get_reference(session, challenge.voter_id) if challenge.voter_id else None
            if reference is None or not _matches(reference, frames, threshold):
                raise ServiceError("error.face_mismatch")
            audit.auth_event(session, "auth.face.success", actor=challenge.subject, subject=challenge.subject,
                             client=client)

        await run_in_transaction(compare)  # the database work in the database threads
    except ServiceError as exc:
        await run_in_transaction(lambda session: _fail(session, challenge, client, exc))  # its own transaction
        raise
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
