"""FaceID login on real photos that ship inside PyPI packages (nothing is downloaded at test time).

- scikit-image: skimage/data/astronaut.png (Eileen Collins, NASA, public domain);
  skimage/data/chelsea.png (a cat: no human face).
- matplotlib: mpl-data/sample_data/grace_hopper.jpg (Grace Hopper, US Navy, public domain): a
  second, different person.
"""

import builtins
import io
import json
import logging
import tempfile
import time
from pathlib import Path

import pytest
import skimage.data
from matplotlib import cbook
from PIL import Image
from sqlalchemy import text
from sqlmodel import select

from remote_vote_app.db import get_engine
from remote_vote_app.models import AuditEvent, Voter, VoterFace
from remote_vote_app.services import faceid, ratelimit
from remote_vote_app.services.errors import ServiceError
from remote_vote_app.services.ratelimit import parse
from remote_vote_app.settings import settings

SKIMAGE_DATA = Path(skimage.data.__file__).parent
UNKNOWN_PIN = "21503199000001"  # valid form and date, not in the register


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


ASTRONAUT = Image.open(SKIMAGE_DATA / "astronaut.png").convert("RGB")
HOPPER = Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
ASTRONAUT_PNG = _png(ASTRONAUT)
ASTRONAUT_MIRRORED = _png(ASTRONAUT.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
ASTRONAUT_RESCALED = _jpeg(ASTRONAUT.resize((600, 600)))
HOPPER_JPEG = _jpeg(HOPPER)
CAT_PNG = (SKIMAGE_DATA / "chelsea.png").read_bytes()


def _side_by_side(left: Image.Image, right: Image.Image) -> bytes:
    canvas = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return _png(canvas)


@pytest.fixture(scope="module")
def astronaut_ref():
    return faceid.encode_single_face(ASTRONAUT_PNG)


@pytest.fixture(autouse=True)
def no_faces():
    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM voterface"))
    yield


def _error(fn, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    return info.value


def test_engine_available_and_one_encoding_is_quick():
    assert faceid.available()
    started = time.perf_counter()
    encoding = faceid.encode_single_face(ASTRONAUT_PNG)
    assert len(encoding) == 128 and all(isinstance(x, float) for x in encoding)
    assert time.perf_counter() - started < 5


def test_same_person_matches(astronaut_ref):
    key = ratelimit.key("11503199000123")
    assert faceid.verify(astronaut_ref, ASTRONAUT_MIRRORED, key) < 0.35
    assert faceid.verify(astronaut_ref, ASTRONAUT_RESCALED, key) < 0.35
    assert settings.face_match_threshold == 0.6


def test_different_person_refused(astronaut_ref):
    assert _error(faceid.verify, astronaut_ref, HOPPER_JPEG, ratelimit.key("p")).code == "error.face_mismatch"
    # and the other way round
    hopper_ref = faceid.encode_single_face(HOPPER_JPEG)
    assert _error(faceid.verify, hopper_ref, ASTRONAUT_MIRRORED, ratelimit.key("q")).code == "error.face_mismatch"


def test_stricter_threshold_refuses_even_the_same_person(astronaut_ref):
    err = _error(faceid.verify, astronaut_ref, ASTRONAUT_MIRRORED, ratelimit.key("p"), threshold=0.05)
    assert err.code == "error.face_mismatch"


def test_photo_without_a_face_refused():
    assert _error(faceid.encode_single_face, CAT_PNG).code == "error.face_none"
    blank = _png(Image.new("RGB", (400, 400), "gray"))
    assert _error(faceid.encode_single_face, blank).code == "error.face_none"


def test_photo_with_two_faces_refused():
    assert _error(faceid.encode_single_face, _side_by_side(ASTRONAUT, HOPPER)).code == "error.face_many"


def test_mission_badge_is_not_taken_for_a_second_face():
    # dlib's detector, upsampled, also boxes the astronaut's shoulder badge with a low score.
    faces, scores, _ = faceid._engine().api.face_detector.run(faceid._decode(ASTRONAUT_PNG), 1, 0.0)
    assert len(faces) == 2 and min(scores) < faceid.MIN_DETECTION_SCORE
    assert len(faceid.encode_single_face(ASTRONAUT_PNG)) == 128


@pytest.mark.parametrize("data", [
    b"", b"not an image at all", ASTRONAUT_PNG[:200],
    b"GIF89a" + b"\x00" * 100,
    _png(Image.new("RGB", (10, 10))) + b"\x00" * (5 * 1024 * 1024),  # over 5 MB
], ids=["empty", "text", "truncated", "gif", "too-big"])
def test_undecodable_or_oversized_refused(data):
    assert _error(faceid.encode_single_face, data).code == "error.face_image"


def test_wrong_faces_limited_per_voter(astronaut_ref):
    key = ratelimit.key("11503199000123")
    for _ in range(5):
        assert _error(faceid.verify, astronaut_ref, HOPPER_JPEG, key).code == "error.face_mismatch"
    # Now even the right face is refused until the window passes.
    err = _error(faceid.verify, astronaut_ref, ASTRONAUT_MIRRORED, key)
    assert err.code == "error.too_many_attempts" and err.params["minutes"] >= 1
    # Another voter is not affected.
    assert faceid.verify(astronaut_ref, ASTRONAUT_MIRRORED, ratelimit.key("20207198500234")) < 0.6


def test_login_by_face(session, demo_voters):
    voter = demo_voters[0]
    faceid.set_reference(session, voter.id, ASTRONAUT_PNG, "commission", "staff:1")
    session.commit()
    assert faceid.login_by_face(session, voter.pin, ASTRONAUT_MIRRORED, "198.51.100.1") == voter.id
    assert _error(faceid.login_by_face, session, voter.pin, HOPPER_JPEG, "198.51.100.1").code == "error.face_mismatch"
    assert _error(faceid.login_by_face, session, "123", ASTRONAUT_PNG, "198.51.100.1").code == "error.pin_format"


def test_unknown_pin_no_reference_and_wrong_face_look_the_same(session, demo_voters):
    other = demo_voters[1]
    assert session.exec(select(Voter).where(Voter.pin == UNKNOWN_PIN)).first() is None
    assert faceid.get_reference(session, other.id) is None
    unknown = _error(faceid.login_by_face, session, UNKNOWN_PIN, ASTRONAUT_PNG, "198.51.100.1")
    no_ref = _error(faceid.login_by_face, session, other.pin, ASTRONAUT_PNG, "198.51.100.1")
    assert unknown.code == no_ref.code == "error.face_mismatch"  # the same as a wrong face
    assert unknown.params == no_ref.params and unknown.field == no_ref.field


def test_tries_limited_per_client(session, demo_voters, monkeypatch):
    monkeypatch.setattr(faceid, "TRIES_PER_CLIENT", parse("2/hour"))
    for _ in range(2):
        assert _error(faceid.login_by_face, session, demo_voters[0].pin, b"junk", "203.0.113.9").code == "error.face_image"
    err = _error(faceid.login_by_face, session, demo_voters[0].pin, ASTRONAUT_MIRRORED, "203.0.113.9")
    assert err.code == "error.too_many_attempts"


def test_without_the_engine_nobody_gets_in(session, demo_voters, monkeypatch, astronaut_ref):
    faceid.set_reference(session, demo_voters[0].id, ASTRONAUT_PNG, "register", f"voter:{demo_voters[0].id}")
    session.commit()
    monkeypatch.setattr(faceid, "_engine", lambda: None)
    assert not faceid.available()
    for call in (lambda: faceid.login_by_face(session, demo_voters[0].pin, ASTRONAUT_MIRRORED, "198.51.100.2"),
                 lambda: faceid.verify(astronaut_ref, ASTRONAUT_MIRRORED, ratelimit.key("x")),
                 lambda: faceid.encode_single_face(ASTRONAUT_PNG)):
        assert _error(call).code == "error.face_unavailable"


def test_reference_set_is_audited_and_replaced(session, demo_voters):
    voter = demo_voters[2]
    faceid.set_reference(session, voter.id, ASTRONAUT_PNG, "commission", "staff:7")
    session.commit()
    faceid.set_reference(session, voter.id, HOPPER_JPEG, "register", f"voter:{voter.id}")
    session.commit()
    rows = session.exec(select(VoterFace).where(VoterFace.voter_id == voter.id)).all()
    assert len(rows) == 1 and rows[0].source == "register"
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "face.reference_set",
                                                   AuditEvent.entity_id == str(voter.id))
                          .order_by(AuditEvent.id)).all()[-2:]
    assert [(e.actor, e.entity, json.loads(e.details)) for e in events] == [
        ("staff:7", "voter", {"source": "commission", "replaced": False}),
        (f"voter:{voter.id}", "voter", {"source": "register", "replaced": True}),
    ]
    with pytest.raises(ValueError):
        faceid.set_reference(session, voter.id, ASTRONAUT_PNG, "selfie", "staff:7")
    with pytest.raises(ServiceError):
        faceid.set_reference(session, voter.id, CAT_PNG, "commission", "staff:7")


def test_photos_are_never_written_or_logged(session, demo_voters, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)
    written = []
    real_open = builtins.open

    def watching_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            written.append(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)
    voter = demo_voters[3]
    faceid.set_reference(session, voter.id, ASTRONAUT_PNG, "commission", "staff:1")
    session.commit()
    assert faceid.login_by_face(session, voter.pin, ASTRONAUT_RESCALED, "198.51.100.3") == voter.id
    _error(faceid.login_by_face, session, voter.pin, HOPPER_JPEG, "198.51.100.3")

    assert written == [] and list(tmp_path.rglob("*")) == [scratch]
    assert not [r for r in caplog.records if r.name.startswith("remote_vote_app")]
    row = session.exec(select(VoterFace).where(VoterFace.voter_id == voter.id)).one()
    assert set(VoterFace.model_fields) == {"id", "voter_id", "encoding", "source", "created_at"}
    encoding = json.loads(row.encoding)
    assert len(encoding) == 128 and all(isinstance(x, float) for x in encoding)
    assert len(row.encoding) < 4000  # numbers, not a picture
