import datetime as dt
import json

import pytest
from sqlmodel import select

from remote_vote_app.models import AuditEvent, QrLogin
from remote_vote_app.services import qrlogin
from remote_vote_app.services.errors import ServiceError

NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
DESKTOP, PHONE = "203.0.113.7", "198.51.100.20"


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    return info.value.code


def _row(session, token) -> QrLogin:
    return session.exec(select(QrLogin).where(QrLogin.token_hash == qrlogin._hash(token))).one()


def _auth_events(session, since_id: int) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.id > since_id, AuditEvent.entity == "auth")
                             .order_by(AuditEvent.id)))


def _last_event_id(session) -> int:
    last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return last.id if last else 0


def _wrong(link) -> int:
    return next(n for n in range(10, 100) if n != link.number)


def test_confirmed_link_logs_the_desktop_in_once_and_is_audited(session, demo_voters):
    start = _last_event_id(session)
    voter = demo_voters[0]
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    assert link.expires_at == NOW + dt.timedelta(minutes=2) and len(link.token) >= 30 and 10 <= link.number <= 99
    assert qrlogin.poll(session, link.token, now=NOW) is None
    assert qrlogin.confirm(session, link.token, voter.id, str(link.number), client=PHONE,
                           now=NOW + dt.timedelta(seconds=30)) is True
    assert qrlogin.poll(session, link.token, client=DESKTOP, now=NOW + dt.timedelta(seconds=31)) == voter.id
    # Single use: neither device can use it again.
    assert _code(qrlogin.poll, session, link.token, now=NOW + dt.timedelta(seconds=32)) == "error.qr_expired"
    assert _code(qrlogin.confirm, session, link.token, demo_voters[1].id, link.number, now=NOW) == "error.qr_expired"
    events = _auth_events(session, start)
    assert [(e.action, e.actor, e.entity_id) for e in events] == [
        ("auth.qr.confirmed", f"voter:{voter.id}", f"voter:{voter.id}"),
        ("auth.qr.success", f"voter:{voter.id}", f"voter:{voter.id}"),
    ]
    confirmed, success = (json.loads(e.details) for e in events)
    assert (confirmed["client"], confirmed["requester"]) == (PHONE, DESKTOP)
    assert success["client"] == DESKTOP and success["qr_login"] == _row(session, link.token).id
    assert voter.pin not in events[0].details + events[1].details


def test_phone_sees_the_requesters_address_network_and_time_and_three_numbers(session):
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    seen = qrlogin.describe(session, link.token, PHONE, now=NOW)
    assert seen["client"] == DESKTOP and seen["same_network"] is False
    assert seen["time"] == "14:00:00"  # Bishkek time
    assert seen["browser"] == "Chrome on Linux"  # self-declared; the page says so
    assert link.number in seen["choices"] and len(set(seen["choices"])) == 3
    assert all(10 <= n <= 99 for n in seen["choices"])
    # The same three, in the same order, however often the page is reloaded (no intersection attack).
    assert qrlogin.describe(session, link.token, PHONE, now=NOW)["choices"] == seen["choices"]
    assert qrlogin.describe(session, link.token, DESKTOP, now=NOW)["same_network"] is True


def test_the_number_is_random_and_its_place_among_the_three_too(session):
    links = [qrlogin.create(session, CHROME, now=NOW, client=f"192.0.2.{i}") for i in range(40)]
    places = {qrlogin.describe(session, link.token, PHONE, now=NOW)["choices"].index(link.number) for link in links}
    assert places == {0, 1, 2}
    assert len({link.number for link in links}) > 10


def test_phished_confirmation_with_a_wrong_number_refuses_the_link(session, demo_voters):
    """The victim scanned a code an attacker sent; their phone offers three numbers, the attacker's
    desktop shows the right one, the victim guesses wrong: the link is dead, and the attempt audited."""
    start = _last_event_id(session)
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    assert qrlogin.confirm(session, link.token, demo_voters[0].id, _wrong(link), client=PHONE, now=NOW) is False
    assert _row(session, link.token).status == "refused"
    assert _code(qrlogin.poll, session, link.token, now=NOW) == "error.qr_refused"
    # No second guess.
    assert _code(qrlogin.confirm, session, link.token, demo_voters[0].id, link.number, now=NOW) == "error.qr_refused"
    [event] = _auth_events(session, start)
    assert event.action == "auth.qr.wrong_number" and json.loads(event.details)["requester"] == DESKTOP


@pytest.mark.parametrize("picked", [None, "", "abc", {"n": 1}, [1], 3.5])
def test_garbage_picks_do_not_confirm(session, demo_voters, picked):
    link = qrlogin.create(session, CHROME, now=NOW)
    assert qrlogin.confirm(session, link.token, demo_voters[0].id, picked, now=NOW) is False
    assert _row(session, link.token).voter_id is None


def test_token_is_stored_hashed(session):
    link = qrlogin.create(session, CHROME, now=NOW)
    row = session.exec(select(QrLogin).order_by(QrLogin.id.desc())).first()
    assert row.token_hash != link.token and link.token not in row.token_hash


def test_expired_link_is_refused_on_both_devices(session, demo_voters):
    link = qrlogin.create(session, CHROME, now=NOW)
    late = NOW + dt.timedelta(minutes=2, seconds=1)
    assert _code(qrlogin.describe, session, link.token, now=late) == "error.qr_expired"
    assert _code(qrlogin.confirm, session, link.token, demo_voters[0].id, link.number, now=late) == "error.qr_expired"
    assert _code(qrlogin.poll, session, link.token, now=late) == "error.qr_expired"


def test_refused_link_says_so_and_is_audited(session, demo_voters):
    start = _last_event_id(session)
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    qrlogin.refuse(session, link.token, demo_voters[0].id, client=PHONE, now=NOW)
    assert _code(qrlogin.poll, session, link.token, now=NOW) == "error.qr_refused"
    assert _code(qrlogin.confirm, session, link.token, demo_voters[0].id, link.number, now=NOW) == "error.qr_refused"
    assert [e.action for e in _auth_events(session, start)] == ["auth.qr.refused"]


@pytest.mark.parametrize("token", ["", "nope", None])
def test_unknown_links(session, token):
    assert _code(qrlogin.poll, session, token) == "error.qr_expired"


@pytest.mark.parametrize("a, b, same", [
    ("203.0.113.7", "203.0.113.7", True),  # one NAT (home Wi-Fi)
    ("203.0.113.7", "203.0.113.8", False),  # neighbours at a mobile operator's NAT are not "your network"
    ("2001:db8:1:2::10", "2001:db8:1:2:abcd::1", True),  # one IPv6 LAN
    ("2001:db8:1:2::10", "2001:db8:1:3::10", False),
    ("203.0.113.7", "2001:db8::1", False),
    ("unknown", "unknown", False),
    ("", "", False),
])
def test_same_network(a, b, same):
    assert qrlogin.same_network(a, b) is same


@pytest.mark.parametrize("ua, label", [(CHROME, "Chrome on Linux"),
                                       ("Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/130.0", "Firefox on Windows"),
                                       ("", "Browser")])
def test_browser_label(ua, label):
    assert qrlogin.browser_label(ua) == label
