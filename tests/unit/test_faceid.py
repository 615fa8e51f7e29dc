"""FaceID on real photos that ship inside PyPI packages (nothing is downloaded at test time), with
the real face engine. One attack, one test: each capture below is what an attacker would send.

- scikit-image: skimage/data/astronaut.png (Eileen Collins); skimage/data/chelsea.png (a cat);
- matplotlib: grace_hopper.jpg (Grace Hopper): a second, different person.
"""

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
import skimage.data
from PIL import Image
from sqlalchemy import delete as sa_delete, text
from sqlmodel import select

from remote_vote_app.db import get_engine, run_in_transaction, session_scope
from remote_vote_app.models import AuditEvent, FaceTrace, Voter, VoterFace
from remote_vote_app.demo import seed as seed_service
from remote_vote_app.services.identity import faceid, ratelimit
from remote_vote_app.errors import ServiceError
from remote_vote_app.settings import settings
from remote_vote_app.state.face import FaceLoginState
from tests.support import faces
from tests.support.states import Browser
from tests.support.codes import code_in

UNKNOWN_PIN = "21503199000001"  # valid form and date, not in the register
ASTRONAUT = faces.astronaut_image()
HOPPER = faces.hopper_image()
HOPPER_HEAD = (256, 250, 110, 170)  # grace_hopper.jpg, 512 x 600


@pytest.fixture(scope="module")
def astronaut_ref():
    return faceid.encode_single_face(faces.astronaut())


@pytest.fixture(autouse=True)
def no_faces():
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM voterface"))
        conn.execute(text("DELETE FROM facetrace"))
    yield


class Clock:
    """The server's clock (faceid._clock) and the browser's (frame times) in step."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(faceid, "_clock", clock)
    return clock


@pytest.fixture
def face_voter(session, demo_voters, astronaut_ref):
    # Another test's captures of this PIN (kept 15 minutes) would read as replays here.
    session.exec(sa_delete(FaceTrace))
    voter = demo_voters[0]
    faceid.set_reference(session, voter.id, astronaut_ref, "commission", "staff:1")
    session.commit()
    return voter


def warped(variant=0):
    """The attacker's synthesis: for each revealed move, frames warped from the public photo."""
    return lambda step, move: faces.warped_sequence([move], variant=variant, first_step=step)[0]


def answer(challenge, frames_for, clock, gap=0.4, reveal_pause=0.3):
    """What the page does: capture a step's frames (`frames_for(step, move)`) `gap` s apart, ask the
    server for the next move, and so on; returns the challenge with all steps revealed and the capture."""
    shots = []
    for step, move in enumerate(challenge.moves):
        if step:
            clock.now += reveal_pause
            challenge = faceid.reveal(challenge, step)
        for image in frames_for(step, move):
            clock.now += gap
            shots.append((step, challenge.tokens[step], clock.now * 1000, image))
    return challenge, faces.capture(challenge.nonce, shots)


def _login(session, pin, frames_for, clock, client="198.51.100.1"):
    """One FaceID try: a challenge for `pin`, then the capture answering it."""
    challenge, capture = answer(faceid.login_challenge(session, pin), frames_for, clock)
    return challenge, asyncio.run(faceid.login_by_face(challenge, capture, client))


def _refused(fn, *args) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        result = fn(*args)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return info.value


def _login_refused(session, pin, frames_for, clock, client="198.51.100.1") -> ServiceError:
    return _refused(_login, session, pin, frames_for, clock, client)


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _with(capture, **changes):
    """The capture with each frame's fields changed (`changes[field](index, frame)`)."""
    frames = [dict(frame, **{k: fn(i, frame) for k, fn in changes.items()}) for i, frame in enumerate(capture["frames"])]
    return {"nonce": capture["nonce"], "frames": frames}


# --- what one public photo gets (the attack this design does not stop) ---


def test_a_head_turn_warped_from_one_public_photo_still_passes_liveness_and_gets_a_face_session(
        session, face_voter, clock):
    # The astronaut's photo is public; warping it live to each revealed move answers every check
    # (sequence, tokens, timing, one person, the reference). A second, fresh synthesis (other
    # angles and light) is not a near copy of the first, so it passes too. What this buys is a
    # session whose method is "face": services/assurance decides what such a session may do.
    _challenge, voter_id = _login(session, face_voter.pin, warped(0), clock)
    assert voter_id == face_voter.id
    (event,) = _events(session, "auth.face.success")[-1:]
    assert event.entity_id == f"voter:{face_voter.id}" and face_voter.pin not in event.details
    clock.now += 5
    _challenge, again = _login(session, face_voter.pin, warped(1), clock)
    assert again == face_voter.id

    browser = Browser()
    browser.state(FaceLoginState).available = True
    browser.call(FaceLoginState, "set_pin", {"pin": face_voter.pin})
    state = browser.state(FaceLoginState)
    assert len(state.moves) == 1 and len(state.tokens) == 1  # the page knows only the first move
    challenge = state._challenge
    clock.now += 5
    shots = []
    for step, move in enumerate(challenge.moves):
        if step:
            clock.now += 0.3
            browser.call(FaceLoginState, "next_move", {"step": step})
            assert browser.state(FaceLoginState).moves == list(challenge.moves[: step + 1])
        token = browser.state(FaceLoginState).tokens[step]
        for image in faces.warped_sequence([move], variant=2, first_step=step)[0]:
            clock.now += 0.4
            shots.append((step, token, clock.now * 1000, image))
    browser.call(FaceLoginState, "check_capture", faces.capture(challenge.nonce, shots))
    assert browser.state(FaceLoginState).error_entries == {}
    assert browser.state(FaceLoginState).logged_in


# --- what it stops ---


def test_no_file_upload_path_a_single_still_image_is_refused(session, face_voter):
    browser = Browser()
    assert not hasattr(FaceLoginState, "check_photo")  # the old single-photo handler is gone
    browser.state(FaceLoginState).available = True
    browser.call(FaceLoginState, "set_pin", {"pin": face_voter.pin})
    nonce = browser.state(FaceLoginState).nonce
    one = {"step": 0, "token": "x", "t": 1, "image": faces.data_url(ASTRONAUT)}
    for attempt in (faces.data_url(ASTRONAUT), {"nonce": nonce, "frames": [one]},
                    {"nonce": nonce, "frames": [dict(one, image=one["image"].replace("jpeg", "png"))] * 12},
                    {"nonce": nonce, "frames": [faces.data_url(ASTRONAUT)] * 12}):
        browser.call(FaceLoginState, "check_capture", attempt)
        assert browser.state(FaceLoginState).error_entries["form"]["key"] == "error.face_capture"
        assert not browser.state(FaceLoginState).logged_in
    assert not __import__("remote_vote_app.i18n", fromlist=["has"]).has("face.file")
    jsx = (Path(faceid.__file__).parents[2] / "components" / "camera_capture.jsx").read_text()
    assert 'type="file"' not in jsx and "getUserMedia" in jsx


def test_still_photo_video_fails_liveness(session, face_voter, clock):
    err = _login_refused(session, face_voter.pin, lambda step, move: [ASTRONAUT] * 3, clock)
    assert err.code == "error.face_liveness"
    assert json.loads(_events(session, "auth.face.failure")[-1].details)["reason"] == "liveness"


def test_photo_moved_in_front_of_the_camera_fails_liveness(session, face_voter, clock):
    # Different frames, the right person, but a flat photo: the landmarks never show a turn.
    moved = faces.shifted(ASTRONAUT, 12)
    err = _login_refused(session, face_voter.pin, lambda step, move: moved[3 * step: 3 * step + 3], clock)
    assert err.code == "error.face_liveness"


def test_frames_for_the_wrong_move_order_fail(session, face_voter, clock):
    challenge = faceid.login_challenge(session, face_voter.pin)
    swapped = {"left": "right", "right": "left", "straight": "straight"}
    challenge, capture = answer(challenge, lambda step, move: faces.warped_sequence([swapped[move]], first_step=step)[0], clock)
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_liveness"


def test_frames_labelled_with_another_steps_token_fail(session, face_voter, clock):
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    capture = _with(capture, token=lambda i, frame: challenge.tokens[0])  # every frame claims step 0's token
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_challenge"


def test_a_step_cannot_be_revealed_early_or_out_of_order(session, face_voter, clock):
    challenge = faceid.login_challenge(session, face_voter.pin)
    assert _refused(faceid.reveal, challenge, 2).code == "error.face_challenge"
    assert _refused(faceid.reveal, challenge, 1).code == "error.face_timing"  # no time to capture step 0
    clock.now += 1
    assert len(faceid.reveal(challenge, 1).revealed) == 2
    # Not all steps revealed: the capture cannot answer the moves it was never shown.
    _c, capture = answer(challenge, warped(), clock)
    assert _refused(faceid.login_by_face, challenge, capture, "198.51.100.1").code == "error.face_challenge"


@pytest.mark.parametrize("timing", ["too_fast", "too_slow", "backwards", "longer_than_real", "before_reveal"])
def test_frames_with_impossible_timing_fail(session, face_voter, clock, timing):
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock, gap=0.4)
    start = capture["frames"][0]["t"]
    retime = {
        "too_fast": lambda i, f: f["t"] - (i % 3) * 370,  # a step's frames 30 ms apart
        "too_slow": lambda i, f: f["t"] + (6000 if i >= 6 else 0),  # a 6 s pause inside the capture
        "backwards": lambda i, f: f["t"] - (900 if i == 5 else 0),
        "longer_than_real": lambda i, f: start + 1500 * i,  # spans more than the time since the challenge
        # Step 3's frames claim to come 200 ms after step 0's: before step 3 was revealed.
        "before_reveal": lambda i, f: start + 150 * i if f["step"] < 3 else start + 2000 + 150 * i,
    }[timing]
    if timing == "too_slow":
        clock.now += 10  # the pause really happened (the capture is not longer than the time spent)
    if timing == "before_reveal":
        clock.now += 30  # the steps were revealed seconds apart; frames squeezed into 2 s
        challenge = faceid.dataclasses.replace(challenge, revealed=tuple(
            challenge.revealed[0] + 3 * step for step in range(faceid.STEPS)))
    err = _refused(faceid.login_by_face, challenge, _with(capture, t=retime), "198.51.100.1")
    assert err.code == "error.face_timing"


def test_a_repeated_frame_fails(session, face_voter, clock):
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    frames = capture["frames"]
    capture = _with(capture, image=lambda i, f: frames[i - 1]["image"] if i == 2 else f["image"])
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_liveness"


def test_different_person_fails(session, demo_voters, clock):
    voter = demo_voters[0]  # whose reference is Grace Hopper; the live capture is the astronaut
    faceid.set_reference(session, voter.id, faceid.encode_single_face(faces.grace_hopper()), "commission", "staff:1")
    session.commit()
    err = _login_refused(session, voter.pin, warped(), clock)
    assert err.code == "error.face_mismatch"
    assert json.loads(_events(session, "auth.face.failure")[-1].details)["reason"] == "no_match"


def test_person_swapped_mid_capture_fails(session, face_voter, clock):
    def swap(step, move):
        frames = faces.warped_sequence([move], first_step=step)[0]
        return frames[:1] + [HOPPER, HOPPER.rotate(2)] if step == 3 else frames

    err = _login_refused(session, face_voter.pin, swap, clock)
    assert err.code == "error.face_liveness"


def test_replayed_challenge_fails(session, face_voter, clock):
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    assert asyncio.run(faceid.login_by_face(challenge, capture, "198.51.100.1")) == face_voter.id
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_challenge"


def test_a_capture_reusing_another_challenges_nonce_fails(session, face_voter, clock):
    # Frames captured for one challenge, relabelled with another's step tokens: the nonce gives them away.
    _first, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    other, _ = answer(faceid.login_challenge(session, face_voter.pin), warped(1), clock)
    capture = _with(capture, token=lambda i, f: other.tokens[f["step"]])
    assert _refused(faceid.login_by_face, other, capture, "198.51.100.1").code == "error.face_challenge"


def test_replayed_frames_from_an_earlier_attempt_fail_a_new_challenge(session, face_voter, clock):
    # The attacker keeps the frames of an earlier attempt (here a successful one) and relabels them
    # for a fresh challenge: right nonce, tokens and times.
    seen = {}

    def record(step, move):
        frames = faces.warped_sequence([move], first_step=step)[0]
        seen.setdefault(move, frames)
        return frames

    _login(session, face_voter.pin, record, clock)
    clock.now += 10
    fresh = next(c for c in (faceid.login_challenge(session, face_voter.pin) for _ in range(200)) if set(c.moves) <= set(seen))
    challenge, capture = answer(fresh, lambda step, move: seen[move], clock)
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_replay"
    assert json.loads(_events(session, "auth.face.failure")[-1].details)["reason"] == "replay"


async def _refused_async(coroutine):
    with pytest.raises(ServiceError):
        await coroutine


def test_expired_challenge_fails(session, face_voter, clock):
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    clock.now = challenge.expires_at + 1
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_challenge"


def test_challenges_are_random_sequences_and_hold_no_pin(session, face_voter):
    challenges = [faceid.login_challenge(session, face_voter.pin) for _ in range(80)]
    sequences = {c.moves for c in challenges}
    assert len(sequences) >= 10 and all(len(m) == faceid.STEPS for m in sequences)
    assert all(m[0] != "straight" and all(a != b for a, b in zip(m, m[1:])) for m in sequences)
    assert len({c.nonce for c in challenges}) == 80 and len({c.tokens for c in challenges}) == 80
    assert all(face_voter.pin not in repr(c) for c in challenges)


# --- throttles that cannot be aimed at the voter ---


def test_an_attacker_client_exhausts_its_tries_and_the_owner_on_another_client_logs_in(session, face_voter, clock):
    still = lambda step, move: [ASTRONAUT] * 3  # noqa: E731  (free failures: no comparison)
    for _ in range(5):
        _login_refused(session, face_voter.pin, still, clock, client="203.0.113.66")
    assert _events(session, "auth.face.lockout"), "the lockout is audited"
    assert _login_refused(session, face_voter.pin, warped(), clock, client="203.0.113.66").code == "error.too_many_attempts"
    # More attacker clients, more free failures: none of them counts against the PIN.
    for n in range(30):
        _refused(faceid.login_by_face, faceid.login_challenge(session, face_voter.pin), {"frames": []}, f"203.0.113.{n}")
    _challenge, voter_id = _login(session, face_voter.pin, warped(), clock, client="198.51.100.20")
    assert voter_id == face_voter.id


def test_past_the_per_pin_comparison_ceiling_face_says_use_sms_instead_of_locking(session, face_voter, clock, monkeypatch):
    monkeypatch.setattr(faceid, "COMPARISONS_PER_PIN", ratelimit.parse("2/day"))
    # A live capture that is not the voter's face: costly, counted per PIN.
    faceid.set_reference(session, face_voter.id, faceid.encode_single_face(faces.grace_hopper()), "commission", "staff:1")
    session.commit()
    for n in range(2):
        assert _login_refused(session, face_voter.pin, warped(n), clock, client=f"203.0.113.{n}").code == "error.face_mismatch"
        clock.now += 60
    err = _login_refused(session, face_voter.pin, warped(), clock, client="198.51.100.20")
    assert err.code == "error.face_use_sms"
    assert json.loads(_events(session, "auth.face.failure")[-1].details)["reason"] == "use_sms"
    from remote_vote_app.i18n import t

    assert "SMS" in t("en", "error.face_use_sms")


# --- the face pool ---


def test_face_work_runs_in_its_own_pool_not_in_the_database_threads(session, face_voter, clock, monkeypatch):
    seen = []
    real = faceid.analyse
    monkeypatch.setattr(faceid, "analyse", lambda frames: (seen.append(threading.current_thread().name), real(frames))[1])
    calls = []
    real_to_thread = asyncio.to_thread

    async def watching(fn, *args):
        calls.append(getattr(fn, "__name__", ""))
        return await real_to_thread(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", watching)
    _login(session, face_voter.pin, warped(), clock)
    assert seen and all(name.startswith("faceid") for name in seen)
    assert "analyse" not in calls and calls  # database work only in the default threads


def test_a_busy_face_pool_refuses_fast_and_leaves_the_database_working(session, face_voter, clock, monkeypatch):
    release = threading.Event()
    started = threading.Event()

    def slow(frames):
        started.set()
        release.wait(10)
        raise ServiceError("error.face_none")

    monkeypatch.setattr(faceid, "analyse", slow)
    captures = [answer(faceid.login_challenge(session, face_voter.pin), lambda step, move: [ASTRONAUT] * 3, clock)
                for _ in range(faceid.MAX_PENDING + 2)]

    async def scenario():
        first = asyncio.ensure_future(faceid.login_by_face(*captures[0], "198.51.100.5"))
        await asyncio.to_thread(started.wait, 5)
        # The same client again: one capture at a time.
        same = await _error(faceid.login_by_face(*captures[1], "198.51.100.5"))
        # Other clients fill the queue; beyond it, "busy" at once.
        waiting = [asyncio.ensure_future(faceid.login_by_face(*captures[2 + n], f"198.51.100.{10 + n}"))
                   for n in range(faceid.MAX_PENDING - 1)]
        await asyncio.sleep(0.05)
        began = time.monotonic()
        full = await _error(faceid.login_by_face(*captures[-1], "198.51.100.99"))
        refused_in = time.monotonic() - began
        # A database transaction by the normal path meanwhile.
        began = time.monotonic()
        count = await run_in_transaction(lambda s: len(s.exec(select(Voter.id)).all()))
        db_in = time.monotonic() - began
        release.set()
        for task in [first, *waiting]:
            await _error(task)
        return same, full, refused_in, count, db_in

    same, full, refused_in, count, db_in = asyncio.run(scenario())
    assert same.code == "error.face_busy" and full.code == "error.face_busy"
    assert refused_in < 0.5 and count > 0 and db_in < 1.0
    assert faceid._pending == 0 and not faceid._clients_busy


async def _error(awaitable) -> ServiceError:
    try:
        await awaitable
    except ServiceError as exc:
        return exc
    raise AssertionError("not refused")


def test_unknown_pin_no_reference_and_wrong_face_look_the_same(session, demo_voters, clock):
    assert session.exec(select(Voter).where(Voter.pin == UNKNOWN_PIN)).first() is None
    unknown = _login_refused(session, UNKNOWN_PIN, warped(0), clock)
    no_ref = _login_refused(session, demo_voters[1].pin, warped(0), clock)
    assert unknown.code == no_ref.code == "error.face_mismatch"
    assert unknown.params == no_ref.params and unknown.field == no_ref.field
    subjects = [e.entity_id for e in _events(session, "auth.face.failure")[-2:]]
    assert subjects == [ratelimit.key(UNKNOWN_PIN)[:16], f"voter:{demo_voters[1].id}"]
    assert all(UNKNOWN_PIN not in e.details for e in _events(session, "auth.face.failure"))


def test_session_state_holds_no_pin(session, face_voter):
    browser = Browser()
    browser.state(FaceLoginState).available = True
    browser.call(FaceLoginState, "set_pin", {"pin": face_voter.pin})
    state = browser.state(FaceLoginState)
    assert state.step == "capture" and state._challenge.voter_id == face_voter.id
    assert face_voter.pin not in repr(state.dict()) and face_voter.pin not in repr(vars(state))


def test_oversized_frames_refused_before_decoding(session, face_voter, clock):
    big = Image.new("RGB", (2000, 2000))
    import base64
    import io

    out = io.BytesIO()
    big.save(out, "JPEG", quality=10)
    url = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    err = _refused(faceid.login_by_face, challenge, _with(capture, image=lambda i, f: url), "198.51.100.1")
    assert err.code == "error.face_image"


def test_photo_without_a_face_or_with_two_refused():
    assert _refused(faceid.encode_single_face, (Path(skimage.data.__file__).parent / "chelsea.png").read_bytes()).code == "error.face_none"
    both = Image.new("RGB", (ASTRONAUT.width + HOPPER.width, HOPPER.height), "white")
    both.paste(ASTRONAUT, (0, 0))
    both.paste(HOPPER, (ASTRONAUT.width, 0))
    assert _refused(faceid.encode_single_face, faces._png(both)).code == "error.face_many"


def test_without_the_engine_nobody_gets_in(session, face_voter, clock, monkeypatch):
    challenge, capture = answer(faceid.login_challenge(session, face_voter.pin), warped(), clock)
    monkeypatch.setattr(faceid, "_engine", lambda: None)
    assert not faceid.available()
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.2")
    assert err.code == "error.face_unavailable"


def test_reference_set_is_audited_and_replaced(session, demo_voters, astronaut_ref):
    voter = demo_voters[2]
    faceid.set_reference(session, voter.id, astronaut_ref, "commission", "staff:7", "198.51.100.7")
    session.commit()
    faceid.set_reference(session, voter.id, astronaut_ref, "register", f"voter:{voter.id}")
    session.commit()
    rows = session.exec(select(VoterFace).where(VoterFace.voter_id == voter.id)).all()
    assert len(rows) == 1 and rows[0].source == "register"
    events = _events(session, "auth.face_reference.set")[-2:]
    assert [(e.actor, e.entity_id, json.loads(e.details)["replaced"]) for e in events] == [
        ("staff:7", f"voter:{voter.id}", False), (f"voter:{voter.id}", f"voter:{voter.id}", True)]
    with pytest.raises(ValueError):
        faceid.set_reference(session, voter.id, astronaut_ref, "selfie", "staff:7")


def test_demo_voter_has_the_astronaut_reference(astronaut_ref):
    shipped = json.loads(seed_service.DEMO_FACE.read_text())
    assert faceid._distance(shipped, astronaut_ref) < 1e-5
    with session_scope() as session:
        voter = session.exec(select(Voter).where(Voter.pin == seed_service.DEMO_FACE_PIN)).one()
        seed_service._demo_face(session)
        assert faceid.get_reference(session, voter.id) is not None


def test_threshold_setting():
    assert settings.face_match_threshold == 0.6


def test_reference_only_in_the_operators_territory(session, demo_voters):
    from remote_vote_app.errors import Forbidden
    from remote_vote_app.services.identity.staff import StaffUser, territory_ids

    voter = demo_voters[0]
    other = next(v for v in demo_voters if v.territory_id not in territory_ids(session, voter.territory_id))
    operator = StaffUser(1, "op", "Op", "tec_operator", voter.territory_id, None)
    faceid.ensure_may_set_reference(session, operator, voter.id)
    with pytest.raises(Forbidden):
        faceid.ensure_may_set_reference(session, operator, other.id)
    faceid.ensure_may_set_reference(session, StaffUser(2, "cec", "CEC", "cec_admin", None, None), other.id)


def test_consent_and_step_up_codes_never_log_in(session, demo_voters, sender):
    import re

    from remote_vote_app.services.identity import auth
    from tests.unit.conftest import outbox

    voter = demo_voters[0]
    for purpose in ("face_reference", "step_up"):
        sent = auth.send_code(session, voter.id, purpose, sender, "ru")
        session.commit()
        code = code_in(outbox(session)[-1].body)
        assert _refused(auth.verify_code, session, sent.token, code, "198.51.100.9").code == "error.code_expired"
        assert auth.verify_code(session, sent.token, code, "198.51.100.9", purpose=purpose, voter_id=voter.id) == voter.id
