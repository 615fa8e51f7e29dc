import datetime as dt
import json
import threading
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from remote_vote_app.db import get_engine
from remote_vote_app.models import AuditEvent, QrLogin
from remote_vote_app.services.identity import qrlogin
from remote_vote_app.errors import ServiceError
from remote_vote_app.state import qr as qr_state
from remote_vote_app.state.qr import QrDesktopState
from tests.support.states import Browser, run

NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)  # the start of a rotation window
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
DESKTOP, PHONE = "203.0.113.7", "198.51.100.20"
ORIGIN = "https://vote.example"
ROTATE = dt.timedelta(seconds=qrlogin.ROTATE_SECONDS)


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    return info.value.code


def _row(session, token) -> QrLogin:
    session.expire_all()
    return session.exec(select(QrLogin).where(QrLogin.token_hash == qrlogin._hash(token))).one()


def _auth_events(session, since_id: int) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.id > since_id, AuditEvent.entity == "auth")
                             .order_by(AuditEvent.id)))


def _last_event_id(session) -> int:
    last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return last.id if last else 0


def _seen(link, at=NOW) -> str:
    """What the phone's camera reads off the desktop's screen at `at`."""
    return qrlogin.payload(ORIGIN, link.link_id, at)


def test_confirmed_link_logs_the_desktop_in_once_and_is_audited(session, demo_voters):
    start = _last_event_id(session)
    voter = demo_voters[0]
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    assert link.expires_at == NOW + dt.timedelta(minutes=2) and len(link.token) >= 30 and len(link.link_id) >= 30
    assert qrlogin.poll(session, link.token, now=NOW) == (None, False)
    qrlogin.scan(session, _seen(link), voter.id, client=PHONE, now=NOW + dt.timedelta(seconds=5))
    assert qrlogin.poll(session, link.token, now=NOW + dt.timedelta(seconds=6)) == (None, True)  # "read by a phone"
    qrlogin.confirm(session, link.link_id, voter.id, client=PHONE, now=NOW + dt.timedelta(seconds=30))
    assert qrlogin.poll(session, link.token, client=DESKTOP, now=NOW + dt.timedelta(seconds=31)).voter_id == voter.id
    # Single use: neither device can use it again.
    assert _code(qrlogin.poll, session, link.token, now=NOW + dt.timedelta(seconds=32)) == "error.qr_expired"
    assert _code(qrlogin.confirm, session, link.link_id, voter.id, now=NOW + dt.timedelta(seconds=33)) == "error.qr_expired"
    assert _code(qrlogin.scan, session, _seen(link, NOW + ROTATE * 2), voter.id,
                 now=NOW + ROTATE * 2) == "error.qr_expired"
    events = _auth_events(session, start)
    assert [(e.action, e.actor, e.entity_id) for e in events] == [
        ("auth.qr.scanned", f"voter:{voter.id}", f"voter:{voter.id}"),
        ("auth.qr.confirmed", f"voter:{voter.id}", f"voter:{voter.id}"),
        ("auth.qr.success", f"voter:{voter.id}", f"voter:{voter.id}"),
    ]
    scanned, confirmed, success = (json.loads(e.details) for e in events)
    assert (confirmed["client"], confirmed["requester"]) == (PHONE, DESKTOP)
    assert success["client"] == DESKTOP and success["qr_login"] == _row(session, link.token).id
    assert not any(voter.pin in e.details or link.link_id in e.details or link.token in e.details for e in events)


def test_the_phone_is_told_what_it_approves(session, demo_voters):
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    seen = qrlogin.scan(session, _seen(link), demo_voters[0].id, client=PHONE, now=NOW)
    assert seen == {"client": DESKTOP, "same_network": False, "time": "14:00:00",  # Bishkek time
                    "browser": "Chrome on Linux"}  # self-declared; the page says so
    # Scanning again on the same phone (e.g. after a reload) is fine and says the same.
    assert qrlogin.scan(session, _seen(link), demo_voters[0].id, client=DESKTOP, now=NOW)["same_network"] is True


def test_a_confirm_without_the_camera_read_is_refused(session, demo_voters):
    """The phishing victim: the attacker's desktop made the link and sent it (its id, even a code
    and any number) in a message. The victim's phone never read the live code off that screen, so
    neither a confirm by link id nor one by the desktop's own token lets the desktop in."""
    victim = demo_voters[0]
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    assert _code(qrlogin.confirm, session, link.link_id, victim.id, client=PHONE, now=NOW) == "error.qr_scan_first"
    assert _code(qrlogin.confirm, session, link.token, victim.id, client=PHONE, now=NOW) == "error.qr_expired"
    assert _code(qrlogin.refuse, session, link.link_id, victim.id, now=NOW) == "error.qr_scan_first"
    row = _row(session, link.token)
    assert (row.status, row.voter_id, row.scanned_by) == ("pending", None, None)
    assert qrlogin.poll(session, link.token, now=NOW + dt.timedelta(seconds=1)) == (None, False)


def test_a_stale_rotated_code_is_refused_and_audited(session, demo_voters):
    """A screenshot relayed in a message: its code was the desktop's two windows ago."""
    start = _last_event_id(session)
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    assert qrlogin.shown_code(link.link_id, NOW) != qrlogin.shown_code(link.link_id, NOW + ROTATE)
    assert qrlogin.shown_code(link.link_id, NOW) == qrlogin.shown_code(link.link_id, NOW + ROTATE - dt.timedelta(seconds=1))
    stale_at = NOW + ROTATE * qrlogin.FRESH_WINDOWS
    assert _code(qrlogin.scan, session, _seen(link, NOW), demo_voters[0].id, client=PHONE,
                 now=stale_at) == "error.qr_stale_code"
    assert _row(session, link.token).scanned_by is None
    assert _code(qrlogin.confirm, session, link.link_id, demo_voters[0].id, now=stale_at) == "error.qr_scan_first"
    [event] = _auth_events(session, start)
    assert event.action == "auth.qr.stale_code" and json.loads(event.details)["requester"] == DESKTOP
    # The code just before the current one still reads (the screen may have changed mid-scan).
    qrlogin.scan(session, _seen(link, NOW), demo_voters[0].id, client=PHONE, now=stale_at - dt.timedelta(seconds=1))
    qrlogin.confirm(session, link.link_id, demo_voters[0].id, now=stale_at)
    assert _row(session, link.token).status == "confirmed"


def test_a_forged_or_foreign_code_is_refused(session, demo_voters):
    link, other = (qrlogin.create(session, CHROME, now=NOW, client=DESKTOP) for _ in range(2))
    foreign = f"{ORIGIN}/qr#{link.link_id}.{qrlogin.shown_code(other.link_id, NOW)}"
    assert _code(qrlogin.scan, session, foreign, demo_voters[0].id, now=NOW) == "error.qr_stale_code"
    made_up = f"{ORIGIN}/qr#{link.link_id}.{'A' * 16}"
    assert _code(qrlogin.scan, session, made_up, demo_voters[0].id, now=NOW) == "error.qr_stale_code"
    assert _row(session, link.token).scanned_by is None


@pytest.mark.parametrize("text", [None, "", "abc", {"n": 1}, ["x"], 3.5, f"{ORIGIN}/qr?t=abcdefghijklmnopqrstuvwxyz",
                                  f"{ORIGIN}/qr#abcdefghijklmnopqrstuvwxyz", "x" * 600])
def test_garbage_scans_hold_nothing(session, demo_voters, text):
    link = qrlogin.create(session, CHROME, now=NOW)
    assert _code(qrlogin.scan, session, text, demo_voters[0].id, now=NOW) == "error.qr_not_a_login_code"
    assert _row(session, link.token).scanned_by is None


def test_only_the_phone_that_read_the_code_decides(session, demo_voters):
    first, second = demo_voters[0], demo_voters[1]
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    qrlogin.scan(session, _seen(link), first.id, now=NOW)
    assert _code(qrlogin.scan, session, _seen(link), second.id, now=NOW) == "error.qr_scanned_elsewhere"
    assert _code(qrlogin.confirm, session, link.link_id, second.id, now=NOW) == "error.qr_scan_first"
    assert _code(qrlogin.refuse, session, link.link_id, second.id, now=NOW) == "error.qr_scan_first"
    qrlogin.confirm(session, link.link_id, first.id, now=NOW)
    assert qrlogin.poll(session, link.token, now=NOW).voter_id == first.id


def test_tokens_are_stored_hashed(session):
    before = session.exec(select(QrLogin.id)).all()
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    session.flush()
    [row] = session.exec(select(QrLogin).where(QrLogin.id.not_in(before))).all()  # exactly the new one
    assert (row.token_hash, row.link_hash) == (qrlogin._hash(link.token), qrlogin._hash(link.link_id))
    stored = " ".join(str(value) for value in row.model_dump().values())
    assert link.token not in stored and link.link_id not in stored
    assert qrlogin.shown_code(link.link_id, NOW) not in stored


def test_the_qr_code_is_a_link_to_instructions_with_the_ids_in_the_fragment(session):
    link = qrlogin.create(session, CHROME, now=NOW)
    text = qrlogin.payload(ORIGIN, link.link_id, NOW)
    assert text == f"{ORIGIN}/qr#{link.link_id}.{qrlogin.shown_code(link.link_id, NOW)}"  # fragment: never sent
    assert qrlogin.parse(text) == (link.link_id, qrlogin.shown_code(link.link_id, NOW))
    assert link.token not in text


def test_the_desktop_redraws_the_code_as_it_rotates(session, demo_voters, monkeypatch):
    """The desktop's tab, polling: the code it shows follows the window, so the one a screenshot
    caught two windows ago no longer reads, while the one on screen does."""
    desktop = Browser(client_ip=DESKTOP)
    desktop.call(QrDesktopState, "start_qr")
    state = desktop.state(QrDesktopState)
    first = state.qr_value
    later = qrlogin.now_utc() + ROTATE * qrlogin.FRESH_WINDOWS
    monkeypatch.setattr(qrlogin, "now_utc", lambda: later)
    ticks = []

    async def sleep(_seconds):  # one poll, then the tab stops waiting
        ticks.append(1)
        if len(ticks) > 1:
            state.qr_status = ""

    monkeypatch.setattr(qr_state, "asyncio", SimpleNamespace(sleep=sleep))
    desktop._sync_router()
    run(_drain(QrDesktopState.wait_for_phone.fn(state)))
    assert state.qr_value != first and qrlogin.parse(state.qr_value)[0] == qrlogin.parse(first)[0]
    assert _code(qrlogin.scan, session, first, demo_voters[0].id, now=later) == "error.qr_stale_code"
    assert qrlogin.scan(session, state.qr_value, demo_voters[0].id, now=later)["client"] == DESKTOP


async def _drain(updates):
    return [update async for update in updates]


def test_expired_link_is_refused_on_both_devices(session, demo_voters):
    link = qrlogin.create(session, CHROME, now=NOW)
    qrlogin.scan(session, _seen(link, NOW + dt.timedelta(minutes=1)), demo_voters[0].id, now=NOW + dt.timedelta(minutes=1))
    late = NOW + dt.timedelta(minutes=2, seconds=1)
    assert _code(qrlogin.scan, session, _seen(link, late), demo_voters[0].id, now=late) == "error.qr_expired"
    assert _code(qrlogin.confirm, session, link.link_id, demo_voters[0].id, now=late) == "error.qr_expired"
    assert _code(qrlogin.poll, session, link.token, now=late) == "error.qr_expired"


def test_refused_link_says_so_and_is_audited(session, demo_voters):
    start = _last_event_id(session)
    link = qrlogin.create(session, CHROME, now=NOW, client=DESKTOP)
    qrlogin.scan(session, _seen(link), demo_voters[0].id, client=PHONE, now=NOW)
    qrlogin.refuse(session, link.link_id, demo_voters[0].id, client=PHONE, now=NOW)
    assert _code(qrlogin.poll, session, link.token, now=NOW) == "error.qr_refused"
    assert _code(qrlogin.confirm, session, link.link_id, demo_voters[0].id, now=NOW) == "error.qr_refused"
    assert [e.action for e in _auth_events(session, start)] == ["auth.qr.scanned", "auth.qr.refused"]
    assert json.loads(_auth_events(session, start)[1].details)["client"] == PHONE


@pytest.mark.parametrize("token", ["", "nope", None])
def test_unknown_links(session, token):
    assert _code(qrlogin.poll, session, token) == "error.qr_expired"


# --- single use under concurrency: conditional UPDATEs, not read-then-write ---


def _race(monkeypatch, reader: str, work) -> list[object]:
    """Run `work(session)` in two threads whose reads of the link both happen before either
    writes (a barrier after `qrlogin.<reader>`), each in its own transaction."""
    barrier = threading.Barrier(2, timeout=10)
    real = getattr(qrlogin, reader)

    def read_then_wait(*args, **kwargs):
        found = real(*args, **kwargs)
        barrier.wait()
        return found

    monkeypatch.setattr(qrlogin, reader, read_then_wait)
    results: list[object] = []

    def worker():
        with Session(get_engine(), expire_on_commit=False) as s:
            try:
                results.append(work(s))
                s.commit()
            except ServiceError as exc:
                s.rollback()
                results.append(exc.code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


def test_two_concurrent_confirms_exactly_one_wins(session, demo_voters, monkeypatch):
    """Two tabs of the voter's phone approve at once: one approval, one audit row."""
    voter = demo_voters[0]
    link = qrlogin.create(session, CHROME, client=DESKTOP)
    session.commit()
    qrlogin.scan(session, qrlogin.payload(ORIGIN, link.link_id), voter.id, client=PHONE)
    session.commit()
    start = _last_event_id(session)
    results = _race(monkeypatch, "_by_link", lambda s: qrlogin.confirm(s, link.link_id, voter.id, client=PHONE))
    assert sorted(map(str, results)) == ["None", "error.qr_expired"]
    session.expire_all()
    assert [e.action for e in _auth_events(session, start)] == ["auth.qr.confirmed"]


def test_two_phones_scanning_at_once_only_one_holds_the_link(session, demo_voters, monkeypatch):
    """The voter's phone and a bystander's read the same screen at the same moment: one decides."""
    link = qrlogin.create(session, CHROME, client=DESKTOP)
    session.commit()
    shown = qrlogin.payload(ORIGIN, link.link_id)
    phones = iter([demo_voters[0].id, demo_voters[1].id])
    lock = threading.Lock()

    def scan(s):
        with lock:
            voter_id = next(phones)
        qrlogin.scan(s, shown, voter_id, client=PHONE)
        return voter_id

    results = _race(monkeypatch, "_by_link", scan)
    winner = next(r for r in results if isinstance(r, int))
    assert sorted(map(str, results)) == sorted([str(winner), "error.qr_scanned_elsewhere"])
    assert _row(session, link.token).scanned_by == winner


def test_two_concurrent_polls_exactly_one_logs_in(session, demo_voters, monkeypatch):
    """Two polls of one confirmed link (two workers, a replayed event): one desktop login only."""
    voter = demo_voters[0]
    link = qrlogin.create(session, CHROME, client=DESKTOP)
    qrlogin.scan(session, qrlogin.payload(ORIGIN, link.link_id), voter.id, client=PHONE)
    qrlogin.confirm(session, link.link_id, voter.id, client=PHONE)
    session.commit()
    start = _last_event_id(session)
    results = _race(monkeypatch, "_by_token", lambda s: qrlogin.poll(s, link.token, client=DESKTOP).voter_id)
    assert sorted(map(str, results)) == sorted([str(voter.id), "error.qr_expired"])
    session.expire_all()
    assert [e.action for e in _auth_events(session, start)] == ["auth.qr.success"]


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
