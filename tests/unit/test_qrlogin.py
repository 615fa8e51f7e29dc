import datetime as dt

import pytest

from remote_vote_app.services import audit, qrlogin
from remote_vote_app.services.errors import ServiceError

NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    return info.value.code


def test_confirmed_link_logs_the_desktop_in_once(session, demo_voters):
    token, expires = qrlogin.create(session, CHROME, now=NOW)
    assert expires == NOW + dt.timedelta(minutes=2) and len(token) >= 30
    assert qrlogin.describe(session, token, now=NOW)["browser"] == "Chrome on Linux"
    assert qrlogin.poll(session, token, now=NOW) is None
    qrlogin.confirm(session, token, demo_voters[0].id, now=NOW + dt.timedelta(seconds=30))
    assert qrlogin.poll(session, token, now=NOW + dt.timedelta(seconds=31)) == demo_voters[0].id
    # Single use: neither device can use it again.
    assert _code(qrlogin.poll, session, token, now=NOW + dt.timedelta(seconds=32)) == "error.qr_expired"
    assert _code(qrlogin.confirm, session, token, demo_voters[1].id, now=NOW) == "error.qr_expired"
    assert audit.history(session, "qr_login", session.exec(
        qrlogin.select(qrlogin.QrLogin).where(qrlogin.QrLogin.token_hash == qrlogin._hash(token))).one().id)


def test_token_is_stored_hashed(session):
    token, _ = qrlogin.create(session, CHROME, now=NOW)
    row = session.exec(qrlogin.select(qrlogin.QrLogin).order_by(qrlogin.QrLogin.id.desc())).first()
    assert row.token_hash != token and token not in row.token_hash


def test_expired_link_is_refused_on_both_devices(session, demo_voters):
    token, _ = qrlogin.create(session, CHROME, now=NOW)
    late = NOW + dt.timedelta(minutes=2, seconds=1)
    assert _code(qrlogin.describe, session, token, now=late) == "error.qr_expired"
    assert _code(qrlogin.confirm, session, token, demo_voters[0].id, now=late) == "error.qr_expired"
    assert _code(qrlogin.poll, session, token, now=late) == "error.qr_expired"


def test_refused_link_says_so(session, demo_voters):
    token, _ = qrlogin.create(session, CHROME, now=NOW)
    qrlogin.refuse(session, token, demo_voters[0].id, now=NOW)
    assert _code(qrlogin.poll, session, token, now=NOW) == "error.qr_refused"
    assert _code(qrlogin.confirm, session, token, demo_voters[0].id, now=NOW) == "error.qr_refused"


@pytest.mark.parametrize("token", ["", "nope", None])
def test_unknown_links(session, token):
    assert _code(qrlogin.poll, session, token) == "error.qr_expired"


def test_qr_svg_is_inline():
    uri = qrlogin.qr_svg_data_uri("http://localhost:3000/qr?t=abc")
    assert uri.startswith("data:image/svg+xml") and "<svg" in uri and "http" not in uri.split("<svg", 1)[0][30:]


@pytest.mark.parametrize("ua, label", [(CHROME, "Chrome on Linux"),
                                       ("Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/130.0", "Firefox on Windows"),
                                       ("", "Browser")])
def test_browser_label(ua, label):
    assert qrlogin.browser_label(ua) == label
