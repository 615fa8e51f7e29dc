"""Server-side sessions: one-time tickets, new ids at every login, idle and absolute ends."""

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from remote_vote_app import cli
from remote_vote_app.db import get_engine, session_scope
from remote_vote_app.models import AuditEvent, TrustedDevice, UserSession
from remote_vote_app.services.identity import devices, sessions
from remote_vote_app.web import session_routes
from tests.unit.test_voter_address import scratch_url  # noqa: F401 (a fixture)

T0 = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.timezone.utc)


def _login(session, voter_id=1, now=T0):
    started = sessions.start(session, "voter", voter_id, "sms", "10.0.0.1", now=now)
    done = sessions.exchange(session, started.ticket, started.binding, now=now)
    return started, done


def test_ticket_is_single_use_and_short_lived(session):
    started = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    assert sessions.exchange(session, started.ticket, started.binding, now=T0 + dt.timedelta(seconds=61)) is None
    started = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    assert sessions.exchange(session, started.ticket, started.binding, now=T0) is not None
    assert sessions.exchange(session, started.ticket, started.binding, now=T0) is None


def test_a_ticket_works_only_in_the_browser_that_asked_for_it(session):
    """Login CSRF: an attacker's unexchanged ticket, sent to a victim as a link, is refused there."""
    attacker = sessions.start(session, "voter", 1, "sms", "10.0.0.66", now=T0)
    victim_binding = sessions.start(session, "voter", 2, "sms", "10.0.0.1", now=T0).binding
    for foreign in ("", victim_binding, attacker.binding[:-1]):
        assert sessions.exchange(session, attacker.ticket, foreign, now=T0) is None
    # Refusals spend nothing: the attacker's own browser could still use it (it proves nothing to a victim).
    assert sessions.exchange(session, attacker.ticket, attacker.binding, now=T0) is not None


def test_a_ticket_is_exchanged_once_under_concurrency(database):
    with session_scope() as s:
        started = sessions.start(s, "voter", 1, "sms", "10.0.0.1")
    barrier, results = threading.Barrier(4), []

    def exchange():
        barrier.wait()
        try:
            with session_scope() as s:
                results.append(sessions.exchange(s, started.ticket, started.binding))
        except Exception as exc:  # noqa: BLE001 (a lost write race counts as a refusal)
            results.append(exc)

    threads = [threading.Thread(target=exchange) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in results if isinstance(r, sessions.Exchanged)]) == 1


def test_only_hashes_are_stored(session):
    started, done = _login(session)
    row = session.exec(select(UserSession).where(UserSession.id == started.row_id)).one()  # the row exists
    assert row.sid_hash == sessions._hash(done.sid) and done.sid not in row.sid_hash
    assert row.ticket_hash is None and row.ticket_binding_hash is None  # spent at the exchange
    pending = sessions.start(session, "voter", 2, "sms", "10.0.0.1", now=T0)
    row = session.exec(select(UserSession).where(UserSession.id == pending.row_id)).one()
    assert row.ticket_hash == sessions._hash(pending.ticket) and pending.ticket not in row.ticket_hash
    assert row.ticket_binding_hash == sessions._hash(pending.binding) and pending.binding not in row.ticket_binding_hash
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert pending.ticket not in stored and pending.binding not in stored


def test_the_cookie_must_belong_to_the_bound_session(session):
    started, done = _login(session)
    other, other_done = _login(session, voter_id=2)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=T0).subject_id == 1
    # A replayed client token arrives with another browser's cookie, or with none.
    assert sessions.current(session, "voter", other_done.sid, started.row_id, now=T0) is None
    assert sessions.current(session, "voter", "", started.row_id, now=T0) is None
    assert sessions.current(session, "staff", done.sid, started.row_id, now=T0) is None


def test_idle_limit_ends_the_session(session):
    started, done = _login(session)
    assert not sessions.current(session, "voter", done.sid, started.row_id, now=T0 + dt.timedelta(minutes=14)).expired
    late = T0 + dt.timedelta(minutes=14) + dt.timedelta(minutes=15, seconds=1)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=late).expired
    assert sessions.current(session, "voter", done.sid, started.row_id, now=late) is None
    assert session.get(UserSession, started.row_id).end_reason == "idle"


def test_absolute_limit_ends_an_active_session(session):
    started, done = _login(session)
    now = T0
    while now < T0 + dt.timedelta(hours=8) - dt.timedelta(minutes=10):
        now += dt.timedelta(minutes=10)
        assert not sessions.current(session, "voter", done.sid, started.row_id, now=now).expired
    now += dt.timedelta(minutes=10)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=now).expired
    assert session.get(UserSession, started.row_id).end_reason == "absolute"


def test_a_new_login_in_the_same_browser_ends_the_old_session(session):
    first, first_done = _login(session)
    second = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    second_done = sessions.exchange(session, second.ticket, second.binding, old_sid=first_done.sid, now=T0)
    assert second_done.sid != first_done.sid
    assert session.get(UserSession, first.row_id).end_reason == "replaced"
    assert sessions.current(session, "voter", first_done.sid, first.row_id, now=T0) is None


def test_logout_is_final_and_audited(session):
    started, done = _login(session)
    sessions.end(session, started.row_id)
    assert sessions.current(session, "voter", done.sid, started.row_id, now=T0) is None
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "auth"))]
    assert "auth.voter.session_started" in actions and "auth.voter.session_ended" in actions


def test_cookie_header_parsing():
    voter, staff = sessions.COOKIE["voter"], sessions.COOKIE["staff"]
    assert voter.startswith("__Host-")  # Secure cookies by default: only this host, path /
    assert sessions.cookie_value(f"lang=ru; {voter}=abc-_1; {staff}=x", "voter") == "abc-_1"
    assert sessions.cookie_value("lang=ru", "staff") == ""
    assert sessions.cookie_value('bad"cookie', "voter") == ""


def test_an_sms_or_eid_login_gives_the_browser_a_device_cookie_and_other_logins_do_not(session):
    """The device cookie (services.identity.devices) is issued at the ticket exchange of an SMS-code or eID
    login; the browser's old one gives way; only its hash is stored; the audit names the row, never
    the cookie."""
    given = {}
    for method in ("sms", "eid", "face", "qr"):
        started = sessions.start(session, "voter", 1, method, "10.0.0.1", now=T0)
        done = sessions.exchange(session, started.ticket, started.binding, now=T0)
        given[method] = done.device
    staff = sessions.start(session, "staff", 1, "password_totp", "10.0.0.1", now=T0)
    assert sessions.exchange(session, staff.ticket, staff.binding, now=T0).device is None
    assert given["face"] is None and given["qr"] is None
    assert given["sms"].max_age == given["eid"].max_age == 180 * 24 * 3600
    rows = session.exec(select(TrustedDevice).where(TrustedDevice.voter_id == 1)).all()
    assert sorted(r.method for r in rows) == ["eid", "sms"]
    assert all(len(r.token_hash) == 64 and r.token_hash != given[r.method].token for r in rows)
    assert {devices.trusted(session, 1, given[m].token, now=T0) for m in ("sms", "eid")} == {r.id for r in rows}
    # The same browser logs in again with its cookie: a new cookie, the old one ends.
    again = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    renewed = sessions.exchange(session, again.ticket, again.binding, now=T0, device=given["sms"].token).device
    assert devices.trusted(session, 1, given["sms"].token, now=T0) is None
    assert devices.trusted(session, 1, renewed.token, now=T0) is not None
    issued = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.device.issued")
                          .order_by(AuditEvent.id.desc())).first()
    assert issued.entity_id == "voter:1" and '"replaced": ' in issued.details
    audited = " ".join(e.details for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "auth")))
    assert not any(d.token in audited for d in (given["sms"], given["eid"], renewed))


# --- the HTTP routes ---

def _client() -> TestClient:
    return TestClient(Starlette(routes=session_routes.endpoints), base_url="https://testserver")


def _start(kind="voter", subject=1):
    with session_scope() as s:
        return sessions.start(s, kind, subject, "sms", "10.0.0.1")


def test_the_exchange_route_needs_the_binding_cookie_of_the_ticket(database):
    client = _client()
    attacker = _start()
    # The victim's browser follows the attacker's link: no binding cookie, or its own from another login.
    response = client.get(f"/auth/session?kind=voter&ticket={attacker.ticket}&next=/apply", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert sessions.COOKIE["voter"] not in response.headers.get("set-cookie", "")
    own = _start(subject=2)
    client.cookies.set(sessions.binding_cookie(attacker.ticket), own.binding)
    response = client.get(f"/auth/session?kind=voter&ticket={attacker.ticket}", follow_redirects=False)
    assert response.headers["location"] == "/login" and sessions.COOKIE["voter"] not in response.headers.get("set-cookie", "")

    client.cookies.clear()
    client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)
    response = client.get(f"/auth/session?kind=voter&ticket={own.ticket}&next=/apply", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/apply"
    assert sessions.COOKIE["voter"] in response.headers["set-cookie"]
    assert f'{sessions.binding_cookie(own.ticket)}=""' in response.headers["set-cookie"]  # the binding is cleared
    device = next(c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-rv_device="))
    assert {"HttpOnly", "Secure", "SameSite=strict", "Path=/", f"Max-Age={180 * 24 * 3600}"} <= {
        part.strip() for part in device.split(";")}


SAME_ORIGIN = {"sec-fetch-site": "same-origin", "content-type": "application/json"}


def _post_ticket(client: TestClient, ticket: str, headers=None, body=None):
    return client.post("/auth/session", headers=SAME_ORIGIN if headers is None else headers, follow_redirects=False,
                       content=body if body is not None else f'{{"kind": "voter", "ticket": "{ticket}"}}')


def test_the_login_pages_post_sets_the_cookies_and_answers_without_a_redirect(database):
    """The voter's tab keeps its socket: its fetch gets the session and device cookies and a 204."""
    client, own = _client(), _start()
    client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)
    response = _post_ticket(client, own.ticket)
    assert response.status_code == 204 and "location" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    set_cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookies if c.startswith(f"{sessions.COOKIE['voter']}="))
    assert {"HttpOnly", "Secure", "SameSite=strict", "Path=/"} <= {part.strip() for part in session_cookie.split(";")}
    assert any(c.startswith(f"{devices.cookie_name()}=") for c in set_cookies)
    assert any(c.startswith(f'{sessions.binding_cookie(own.ticket)}=""') for c in set_cookies)  # the binding is spent
    with session_scope() as s:
        sid = session_cookie.split(";")[0].split("=", 1)[1]
        assert sessions.current(s, "voter", sid, own.row_id).subject_id == 1


@pytest.mark.parametrize("headers", [
    {"sec-fetch-site": "cross-site", "content-type": "application/json"},
    {"sec-fetch-site": "same-site", "content-type": "application/json"},
    {"sec-fetch-site": "none", "content-type": "application/json"},
    {"origin": "https://evil.example", "content-type": "application/json"},
    {"origin": "null", "content-type": "application/json"},
    {"content-type": "application/json"},  # neither Fetch Metadata nor Origin
    {"sec-fetch-site": "same-origin", "content-type": "text/plain"},  # a form or a no-CORS fetch from anywhere
])
def test_the_ticket_post_from_a_foreign_page_is_refused_and_the_ticket_stays_unused(database, headers):
    client, own = _client(), _start()
    client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)
    response = _post_ticket(client, own.ticket, headers=headers)
    assert response.status_code in (403, 415) and sessions.COOKIE["voter"] not in response.headers.get("set-cookie", "")
    assert _post_ticket(client, own.ticket).status_code == 204  # its owner's page still can


def test_a_replayed_ticket_or_one_of_another_browser_is_refused_by_the_post(database):
    client, own = _client(), _start()
    client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)
    assert _post_ticket(client, own.ticket).status_code == 204
    client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)  # replayed, binding and all
    response = _post_ticket(client, own.ticket)
    assert response.status_code == 403 and sessions.COOKIE["voter"] not in response.headers.get("set-cookie", "")

    # An attacker's ticket (login CSRF / fixation) in the victim's browser: no binding, or the victim's own.
    victim, attacker = _client(), _start(subject=2)
    mine = _start(subject=3)
    for binding in (None, mine.binding):
        victim.cookies.clear()
        if binding:
            victim.cookies.set(sessions.binding_cookie(attacker.ticket), binding)
        response = _post_ticket(victim, attacker.ticket)
        assert response.status_code == 403 and sessions.COOKIE["voter"] not in response.headers.get("set-cookie", "")
    for body in ("", "[]", '"x"', '{"kind": "voter"}', '{"ticket": 5}', "{" * 2000):
        assert _post_ticket(victim, "", body=body).status_code in (400, 413)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/apply", "/\\evil.example", "http:/evil.example", "/apply/../../x",
    "/staff", "javascript:alert(1)", "/apply?x=1", " /apply", "/APPLY",
])
def test_next_follows_only_our_own_pages(target):
    assert session_routes._next("voter", target) == "/cabinet"
    assert session_routes._next("voter", "/apply") == "/apply"
    assert session_routes._next("staff", "/staff/lists") == "/staff/lists"
    assert session_routes._next("staff", target.replace("/staff", "/cabinet")) == "/staff"


@pytest.mark.parametrize("role", ["cec_admin", "tec_operator", "observer", "precinct_member", "home_precinct_member",
                                  "station_member"])
def test_every_role_lands_on_its_start_page_and_its_menu_starts_there(role):
    """The login's redirect follows only listed pages: a start page missing from the list sent a desk
    member to the statistics instead of the desk."""
    from remote_vote_app.state.staff.session import START_PAGE, staff_menu

    start = START_PAGE.get(role, "/staff")
    assert session_routes._next("staff", start) == start
    menu = staff_menu(role, "ru")
    assert menu[0]["href"] == start
    assert len({item["href"] for item in menu}) == len(menu)


def test_a_precinct_members_day_starts_at_the_ballot_desk():
    from remote_vote_app.state.staff.session import START_PAGE, staff_menu

    assert START_PAGE["precinct_member"] == START_PAGE["station_member"] == "/staff/checkin"
    assert [item["label"] for item in staff_menu("precinct_member", "ru")] == [
        "Выдача бюллетеней", "Статистика", "Списки избирателей"]
    assert [item["label"] for item in staff_menu("station_member", "ky")] == ["Бюллетендерди берүү", "Статистика"]
    assert [item["href"] for item in staff_menu("cec_admin", "en")][:2] == ["/staff", "/staff/applications"]


def test_the_exchange_route_never_redirects_off_our_pages(database):
    client = _client()
    for target in ("https://evil.example/", "//evil.example", "/cabinet"):
        own = _start()
        client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)
        response = client.get(f"/auth/session?kind=voter&ticket={own.ticket}&next={target}", follow_redirects=False)
        assert response.headers["location"] == "/cabinet"


def _logged_in_client() -> tuple[TestClient, sessions.Started]:
    client = _client()
    own = _start()
    client.cookies.set(sessions.binding_cookie(own.ticket), own.binding)
    client.get(f"/auth/session?kind=voter&ticket={own.ticket}", follow_redirects=False)
    return client, own


def _ended(row_id: int) -> bool:
    with session_scope() as s:
        return s.get(UserSession, row_id).ended_at is not None


def test_logout_is_a_same_origin_post_only(database):
    client, own = _logged_in_client()
    # A link, an image or a form on a foreign page: nothing ends.
    assert client.get("/auth/logout?kind=voter", follow_redirects=False).status_code == 405
    for headers in ({"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
                    {"origin": "https://evil.example"}, {"origin": "null"}, {}):
        response = client.post("/auth/logout?kind=voter", headers=headers, follow_redirects=False)
        assert response.status_code == 403, headers
    assert not _ended(own.row_id)

    response = client.post("/auth/logout?kind=voter", headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login" and _ended(own.row_id)
    client, own = _logged_in_client()
    response = client.post("/auth/logout?kind=voter", headers={"origin": "https://testserver"}, follow_redirects=False)
    assert response.status_code == 303 and _ended(own.row_id)


def test_ending_all_sessions_of_an_account(session):
    first, _ = _login(session, voter_id=7)
    second, _ = _login(session, voter_id=7)
    other, _ = _login(session, voter_id=8)
    assert sessions.end_subject(session, "voter", 7, "totp_reset", now=T0) == 2
    assert session.get(UserSession, first.row_id).end_reason == "totp_reset"
    assert session.get(UserSession, second.row_id).ended_at is not None
    assert session.get(UserSession, other.row_id).ended_at is None


def test_revoke_devices_ends_every_device_cookie_of_the_voter_and_is_audited(session, capsys):
    started, done = _login(session, voter_id=3)
    other = _login(session, voter_id=4)[1]
    session.commit()
    assert cli.main(["revoke-devices", "3"]) == 0 and "1 trusted browser(s) revoked" in capsys.readouterr().out
    session.expire_all()  # the command wrote in its own transaction
    assert devices.trusted(session, 3, done.device.token) is None
    assert devices.trusted(session, 4, other.device.token) is not None  # another voter's stays
    revoked = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.device.revoked")
                           .order_by(AuditEvent.id.desc())).first()  # the newest: PostgreSQL returns rows in no set order
    assert revoked.entity_id == "voter:3" and revoked.actor == "system:cli" and '"count": 1' in revoked.details
    assert cli.main(["revoke-devices", "99999999"]) == 2


def test_the_device_migration_upgrades_and_downgrades(scratch_url):
    def shape():
        inspector = sa.inspect(get_engine(scratch_url))
        return "trusteddevice" in inspector.get_table_names(), {c["name"] for c in inspector.get_columns("logincode")}

    cli.migrate(scratch_url)
    has_table, columns = shape()
    assert has_table and "device_id" in columns
    from tests.unit.test_identification import _downgrade

    _downgrade(scratch_url, "c4e19a7b2d60")
    has_table, columns = shape()
    assert not has_table and "device_id" not in columns and "attempts" in columns
    cli.migrate(scratch_url)
    assert shape()[0]


def test_a_staff_cookie_is_read_with_its_account_in_one_statement_as_current_and_reload_decide(session):
    """staff.live (the desks' HTTP routes): the session and its account in one read, with the same
    answers as sessions.current + staff.reload: activity written at most every TOUCH_EVERY and only
    when asked, an idle session ended (audited), a voter's cookie, a deactivated account or a
    logged-out session refused."""
    import sqlalchemy as sa

    from remote_vote_app.models import StaffAccount
    from remote_vote_app.services.identity import staff

    account_id = session.exec(select(StaffAccount.id).where(StaffAccount.username == "uik.2001")).one()
    started = sessions.start(session, "staff", account_id, "password_totp", "10.0.0.1", now=T0)
    sid = sessions.exchange(session, started.ticket, started.binding, now=T0).sid
    session.commit()

    def seen() -> dt.datetime:
        return session.execute(sa.select(UserSession.__table__.c.last_seen_at)
                               .where(UserSession.__table__.c.id == started.row_id)).scalar_one()

    user, row_id = staff.live(session, sid, now=T0 + dt.timedelta(seconds=20))
    assert (user.id, user.username, user.role, row_id) == (account_id, "uik.2001", "station_member", started.row_id)
    assert seen() == T0  # not due yet
    later = T0 + sessions.TOUCH_EVERY + dt.timedelta(seconds=1)
    assert staff.live(session, sid, touch=False, now=later) is not None and seen() == T0  # polling is not activity
    assert staff.live(session, sid, now=later) is not None and seen() == later
    session.commit()

    assert staff.live(session, "", now=later) is None and staff.live(session, sid + "x", now=later) is None
    voter = sessions.start(session, "voter", 1, "sms", "10.0.0.1", now=T0)
    voter_sid = sessions.exchange(session, voter.ticket, voter.binding, now=T0).sid
    assert staff.live(session, voter_sid, now=T0) is None

    session.execute(sa.update(StaffAccount).where(StaffAccount.id == account_id).values(active=False))
    try:
        assert staff.live(session, sid, now=later) is None
    finally:
        session.execute(sa.update(StaffAccount).where(StaffAccount.id == account_id).values(active=True))

    idle = later + sessions.idle_limit() + dt.timedelta(seconds=1)
    assert staff.live(session, sid, now=idle) is None
    session.commit()
    assert session.execute(sa.select(UserSession.__table__.c.end_reason)
                           .where(UserSession.__table__.c.id == started.row_id)).scalar_one() == "idle"
    ended = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.staff.session_ended")
                         .order_by(AuditEvent.id.desc())).first()
    assert f'"session_row": {started.row_id}' in ended.details
    assert staff.live(session, sid, now=later) is None  # ended stays ended
    session.commit()
