"""FaceID on real photos that ship inside PyPI packages (nothing is downloaded at test time), with
the real face engine. One attack, one test: each capture below is what an attacker would send.

- scikit-image: skimage/data/astronaut.png (Eileen Collins); skimage/data/chelsea.png (a cat);
- matplotlib: grace_hopper.jpg (Grace Hopper): a second, different person.
"""

import asyncio
import json
import time
from pathlib import Path

import pytest
import skimage.data
from PIL import Image
from sqlalchemy import text
from sqlmodel import select

from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import AuditEvent, Voter, VoterFace
from remote_vote_app.services import faceid, ratelimit, seed as seed_service
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.settings import settings
from remote_vote_app.state.face import FaceLoginState
from tests.support import faces
from tests.support.states import Browser

UNKNOWN_PIN = "21503199000001"  # valid form and date, not in the register
ASTRONAUT = faces.astronaut_image()
HOPPER = faces.hopper_image()


@pytest.fixture(scope="module")
def turning():
    return {moves: faces.head_turn(ASTRONAUT, moves) for moves in faceid.CHALLENGES}


@pytest.fixture(scope="module")
def astronaut_ref():
    return faceid.encode_single_face(faces.astronaut())


@pytest.fixture(autouse=True)
def no_faces():
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM voterface"))
    yield


@pytest.fixture
def face_voter(session, demo_voters, astronaut_ref):
    voter = demo_voters[0]
    faceid.set_reference(session, voter.id, astronaut_ref, "commission", "staff:1")
    session.commit()
    return voter


def _login(session, pin, frames_for, client="198.51.100.1"):
    """One FaceID try: a challenge for `pin`, then the capture `frames_for(moves)` answering it."""
    challenge = faceid.login_challenge(session, pin)
    return challenge, asyncio.run(faceid.login_by_face(challenge, faces.capture(challenge.nonce, frames_for(challenge.moves)),
                                                       client))


def _refused(fn, *args) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        result = fn(*args)
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    return info.value


def _login_refused(session, pin, frames_for, client="198.51.100.1") -> ServiceError:
    return _refused(_login, session, pin, frames_for, client)


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_turning_head_logs_in_and_is_audited(session, face_voter, turning):
    _challenge, voter_id = _login(session, face_voter.pin, lambda moves: turning[moves])
    assert voter_id == face_voter.id
    (event,) = _events(session, "auth.face.success")[-1:]
    assert event.entity_id == f"voter:{face_voter.id}" and face_voter.pin not in event.details


def test_no_file_upload_path_a_single_still_image_is_refused(session, face_voter):
    browser = Browser()
    assert not hasattr(FaceLoginState, "check_photo")  # the old single-photo handler is gone
    browser.state(FaceLoginState).available = True
    browser.call(FaceLoginState, "set_pin", {"pin": face_voter.pin})
    nonce = browser.state(FaceLoginState).nonce
    for attempt in (faces.data_url(ASTRONAUT), {"nonce": nonce, "frames": [faces.data_url(ASTRONAUT)]},
                    {"nonce": nonce, "frames": [faces.data_url(ASTRONAUT).replace("jpeg", "png")] * 8}):
        browser.call(FaceLoginState, "check_capture", attempt)
        assert browser.state(FaceLoginState).error_entries["form"]["key"] == "error.face_capture"
        assert not browser.state(FaceLoginState).logged_in
    assert not __import__("remote_vote_app.i18n", fromlist=["has"]).has("face.file")
    jsx = (Path(faceid.__file__).parents[1] / "components" / "camera_capture.jsx").read_text()
    assert 'type="file"' not in jsx and "getUserMedia" in jsx


def test_still_photo_video_fails_liveness(session, face_voter):
    err = _login_refused(session, face_voter.pin, lambda moves: [ASTRONAUT] * 10)
    assert err.code == "error.face_liveness"
    assert json.loads(_events(session, "auth.face.failure")[-1].details)["reason"] == "liveness"


def test_photo_moved_in_front_of_the_camera_fails_liveness(session, face_voter):
    # Different frames, the right person, but a flat photo: the landmarks never show a turn.
    err = _login_refused(session, face_voter.pin, lambda moves: faces.shifted(ASTRONAUT, 10))
    assert err.code == "error.face_liveness"


def test_turning_the_wrong_way_first_fails(session, face_voter, turning):
    err = _login_refused(session, face_voter.pin, lambda moves: turning[tuple(reversed(moves))])
    assert err.code == "error.face_liveness"


def test_a_repeated_frame_fails(session, face_voter, turning):
    err = _login_refused(session, face_voter.pin, lambda moves: turning[moves] + turning[moves][-1:])
    assert err.code == "error.face_liveness"


def test_different_person_fails(session, face_voter):
    hopper_head = (256, 250, 110, 170)  # grace_hopper.jpg, 512 x 600
    frames = {moves: faces.head_turn(HOPPER, moves, head=hopper_head) for moves in faceid.CHALLENGES}
    err = _login_refused(session, face_voter.pin, lambda moves: frames[moves])
    assert err.code == "error.face_mismatch"
    assert json.loads(_events(session, "auth.face.failure")[-1].details)["reason"] == "no_match"


def test_person_swapped_mid_capture_fails(session, face_voter, turning):
    err = _login_refused(session, face_voter.pin, lambda moves: turning[moves][:-2] + [HOPPER, HOPPER.rotate(2)])
    assert err.code == "error.face_liveness"


def test_replayed_challenge_fails(session, face_voter, turning):
    challenge = faceid.login_challenge(session, face_voter.pin)
    capture = faces.capture(challenge.nonce, turning[challenge.moves])
    assert asyncio.run(faceid.login_by_face(challenge, capture, "198.51.100.1")) == face_voter.id
    err = _refused(faceid.login_by_face, challenge, capture, "198.51.100.1")
    assert err.code == "error.face_challenge"


def test_capture_for_another_challenge_fails(session, face_voter, turning):
    challenge = faceid.login_challenge(session, face_voter.pin)
    other = faceid.login_challenge(session, face_voter.pin)
    err = _refused(faceid.login_by_face, challenge, faces.capture(other.nonce, turning[challenge.moves]), "198.51.100.1")
    assert err.code == "error.face_challenge"


def test_expired_challenge_fails(session, face_voter, turning, monkeypatch):
    challenge = faceid.login_challenge(session, face_voter.pin)
    monkeypatch.setattr(time, "time", lambda: challenge.expires_at + 1)
    err = _refused(faceid.login_by_face, challenge, faces.capture(challenge.nonce, turning[challenge.moves]), "198.51.100.1")
    assert err.code == "error.face_challenge"


def test_challenges_are_random_and_hold_no_pin(session, face_voter):
    challenges = [faceid.login_challenge(session, face_voter.pin) for _ in range(40)]
    assert {c.moves for c in challenges} == set(faceid.CHALLENGES)
    assert len({c.nonce for c in challenges}) == 40
    assert all(face_voter.pin not in repr(c) for c in challenges)


def test_lockout_stops_the_attacker_not_the_voter_on_another_client(session, face_voter, turning):
    for _ in range(5):
        _login_refused(session, face_voter.pin, lambda moves: [ASTRONAUT] * 10, client="203.0.113.66")
    assert _events(session, "auth.face.lockout"), "the lockout is audited"
    err = _login_refused(session, face_voter.pin, lambda moves: turning[moves], client="203.0.113.66")
    assert err.code == "error.too_many_attempts"
    _challenge, voter_id = _login(session, face_voter.pin, lambda moves: turning[moves], client="198.51.100.20")
    assert voter_id == face_voter.id


def test_unknown_pin_no_reference_and_wrong_face_look_the_same(session, demo_voters, turning):
    assert session.exec(select(Voter).where(Voter.pin == UNKNOWN_PIN)).first() is None
    unknown = _login_refused(session, UNKNOWN_PIN, lambda moves: turning[moves])
    no_ref = _login_refused(session, demo_voters[1].pin, lambda moves: turning[moves])
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


def test_face_matching_runs_off_the_event_loop(session, face_voter, turning, monkeypatch):
    calls = []
    real = asyncio.to_thread

    async def watching(fn, *args):
        calls.append(fn.__name__)
        return await real(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", watching)
    _login(session, face_voter.pin, lambda moves: turning[moves])
    assert calls == ["analyse", "in_transaction"]  # the dlib work, then the comparison with the reference


def test_oversized_frames_refused_before_decoding(session, face_voter):
    big = Image.new("RGB", (2000, 2000))
    import base64
    import io

    out = io.BytesIO()
    big.save(out, "JPEG", quality=10)
    url = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
    challenge = faceid.login_challenge(session, face_voter.pin)
    err = _refused(faceid.login_by_face, challenge, {"nonce": challenge.nonce, "frames": [url] * 8}, "198.51.100.1")
    assert err.code == "error.face_image"


def test_photo_without_a_face_or_with_two_refused():
    assert _refused(faceid.encode_single_face, (Path(skimage.data.__file__).parent / "chelsea.png").read_bytes()).code == "error.face_none"
    both = Image.new("RGB", (ASTRONAUT.width + HOPPER.width, HOPPER.height), "white")
    both.paste(ASTRONAUT, (0, 0))
    both.paste(HOPPER, (ASTRONAUT.width, 0))
    assert _refused(faceid.encode_single_face, faces._png(both)).code == "error.face_many"


def test_without_the_engine_nobody_gets_in(session, face_voter, turning, monkeypatch):
    challenge = faceid.login_challenge(session, face_voter.pin)
    monkeypatch.setattr(faceid, "_engine", lambda: None)
    assert not faceid.available()
    err = _refused(faceid.login_by_face, challenge, faces.capture(challenge.nonce, turning[challenge.moves]), "198.51.100.2")
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
    from remote_vote_app.services.errors import Forbidden
    from remote_vote_app.services.staff import StaffUser, territory_ids

    voter = demo_voters[0]
    other = next(v for v in demo_voters if v.territory_id not in territory_ids(session, voter.territory_id))
    operator = StaffUser(1, "op", "Op", "tec_operator", voter.territory_id, None)
    faceid.ensure_may_set_reference(session, operator, voter.id)
    with pytest.raises(Forbidden):
        faceid.ensure_may_set_reference(session, operator, other.id)
    faceid.ensure_may_set_reference(session, StaffUser(2, "cec", "CEC", "cec_admin", None, None), other.id)


def test_consent_and_step_up_codes_never_log_in(session, demo_voters, sender):
    import re

    from remote_vote_app.services import auth
    from tests.unit.conftest import outbox

    voter = demo_voters[0]
    for purpose in ("face_reference", "step_up"):
        sent = auth.send_code(session, voter.id, purpose, sender, "ru")
        session.commit()
        code = re.search(r"\b(\d{6})\b", outbox(session)[-1].body).group(1)
        assert _refused(auth.verify_code, session, sent.token, code, "198.51.100.9").code == "error.code_expired"
        assert auth.verify_code(session, sent.token, code, "198.51.100.9", purpose=purpose, voter_id=voter.id) == voter.id
