"""Voter login by ID card data and a one-time SMS code, and the same codes for other purposes:
a step-up (services.identity.assurance: filing, changing or withdrawing after a FaceID or QR login) and
the voter's consent to a commission taking their FaceID reference.

Codes come from a CSPRNG, are stored as a keyed hash, are single use, expire, allow a few wrong
tries, and resends are limited. Repeated attempts per PIN and per client are rate limited. A
browser with the voter's device cookie (services.identity.devices) logs in on a budget of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select, update

from remote_vote_app.i18n import t
from remote_vote_app.models import LoginCode, Voter
from remote_vote_app.services import audit
from remote_vote_app.services.identity import devices, ratelimit
from remote_vote_app.services.reference import register
from remote_vote_app.services.identity.ratelimit import LoginThrottle
from remote_vote_app.services.clock import local_date, local_text, now_utc
from remote_vote_app.errors import Refusal, ServiceError, collect
from remote_vote_app.services.messaging.notifications import Sender
from remote_vote_app.services.validation import mask_phone, normalize_document, normalize_pin
from remote_vote_app.settings import settings

# Rate limits (settings, read on each use); keys are hashed so no PIN or address sits in the
# limiter's storage. Step-up and consent codes: per (PIN, client) LOGIN_LIMIT_PER_PIN and per PIN
# LOGIN_SENDS_CEILING. Login codes to one phone (LOGIN_SENDS_PER_PHONE): past the cap nobody is
# refused, the open code is offered again, so a flood neither reaches the phone nor keeps its
# owner out. Login starts and wrong codes per client: LOGIN_LIMIT_PER_CLIENT each.
# The document is not a secret (it is printed on the card) and the code is: wrong documents slow
# down the client that sends them (per (PIN, client) tiers, login starts per client) and never the PIN.
DOCUMENT_THROTTLE = LoginThrottle("sms-document", ceiling=None)
# Wrong codes: 5 per code and tiers per (PIN, client). Past LOGIN_ACCOUNT_CEILING wrong codes for a
# PIN (NIST SP 800-63B 5.2.2's 100) SMS login is not closed, since anyone with PIN + document
# could close it for the owner: it turns guarded. Each code then takes one try and the phone gets
# a login code at most every LOGIN_GUARDED_SENDS_PER_PHONE, so a day's guesses stay bounded
# (docs/security.md §2 "Lockouts": at most 202 tries in 24 hours). An attacker who goes on can spend
# each guarded code's one try first: the owner then gets in at once only from a trusted browser (below).
CODE_THROTTLE = LoginThrottle("sms-code", ceiling="login_account_ceiling", ceiling_locks=False)
GUARDED_TRIES = 1
# A browser holding the voter's device cookie (someone there logged in as this voter with the SMS
# code or eID before: services.identity.devices) logs in on the device's own budget, guarded or not: its
# codes are its own (never offered to another browser, used only with the cookie), its SMS count
# per device (LOGIN_SENDS_PER_PHONE, not the phone's cap) and its wrong codes per device (DEVICE_THROTTLE,
# not the PIN's or the client's). Strangers guessing for the PIN spend none of it. The budget is
# small: DEVICE_GUARDED_TRIES per code while the PIN is guarded, and past LOGIN_DEVICE_CEILING wrong
# codes a day (10) the cookie gets no budget and its browser logs in like any other.
DEVICE_THROTTLE = LoginThrottle("sms-device", ceiling="login_device_ceiling")
DEVICE_GUARDED_TRIES = 3
# Step-up and consent codes are guessed from a session that is already open (FaceID, QR): their
# failures have a ceiling of their own, so they can never close the owner's SMS login.
STEP_UP_THROTTLE = LoginThrottle("sms-step-up", ceiling="login_account_ceiling")
# An offered code must leave the voter time to type it.
REUSE_MIN_LEFT = dt.timedelta(seconds=30)


def _subject(pin: str) -> str:
    """Names a tried PIN in the audit without the PIN itself."""
    return "pin:" + ratelimit.key(pin)[:16]

# purpose -> the SMS that carries its code; a code is accepted only for the purpose it was sent for.
PURPOSES = {"login": "sms.login_code", "step_up": "sms.step_up_code", "face_reference": "sms.face_reference_code"}


def _hash_code(challenge: str, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"{challenge}:{code}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Challenge:
    token: str
    masked_phone: str
    sent_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    reused: bool = False  # no new SMS: the code sent at `sent_at` is still the one to use

    def sent_text(self) -> str:
        """HH:MM in Bishkek, for "a code was sent at ..."."""
        return local_text(self.sent_at, "%H:%M") if self.sent_at else ""

    def until_text(self) -> str:
        return local_text(self.expires_at, "%H:%M") if self.expires_at else ""

    def resend_in(self, now: dt.datetime | None = None) -> int:
        """Seconds before another SMS may be asked for (0: now), so the page can count them down."""
        if self.sent_at is None:
            return 0
        ready = self.sent_at + dt.timedelta(seconds=settings.code_resend_interval_seconds)
        return max(0, math.ceil((ready - (now or now_utc())).total_seconds()))


def _issue_code(session: Session, login: LoginCode, voter: Voter, sender: Sender, lang: str, now: dt.datetime) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    login.code_hash = _hash_code(login.challenge, code)
    login.expires_at = now + dt.timedelta(seconds=settings.code_ttl_seconds)
    login.last_sent_at = now
    session.add(login)
    minutes = settings.code_ttl_seconds // 60
    text = t(lang, PURPOSES[login.purpose], code=code, minutes=minutes)
    sender.send(session, "sms", voter.phone, text, sensitive=True)


def _count_send(voter: Voter, client: str) -> None:
    pin_client = ratelimit.key(f"{voter.pin}|{ratelimit.requester(client)}")
    ratelimit.count(settings.login_limit_per_pin, "sends-pin-client", pin_client)
    ratelimit.count(settings.login_sends_ceiling, "sends-pin", ratelimit.key(voter.pin))


def _new_code(session: Session, voter: Voter, purpose: str, sender: Sender, lang: str, now: dt.datetime,
              client: str = "", device_id: int | None = None) -> Challenge:
    """A fresh code for `purpose`. A step-up or consent code makes older ones of its purpose useless;
    login codes do not cancel each other, so a stranger's login attempt cannot cancel the owner's."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    if purpose != "login":  # login codes: the phone cap in start_login
        _count_send(voter, client)
    if purpose != "login":
        for old in session.exec(select(LoginCode).where(LoginCode.voter_id == voter.id, LoginCode.purpose == purpose,
                                                        LoginCode.used_at == None)):  # noqa: E711
            old.used_at = now
            session.add(old)
    login = LoginCode(challenge=secrets.token_urlsafe(32), voter_id=voter.id, purpose=purpose, code_hash="",
                      expires_at=now, created_at=now, attempts=0, device_id=device_id)
    _issue_code(session, login, voter, sender, lang, now)
    return _challenge(login, voter)


def send_code(session: Session, voter_id: int, purpose: str, sender: Sender, lang: str,
              now: dt.datetime | None = None) -> Challenge:
    """A one-time code to the phone on file of a voter the caller already knows (not a login).

    Asked again while a step-up code is open, it answers with that code ("sent at HH:MM") and
    texts it anew (a new code under the same challenge) only CODE_RESEND_INTERVAL_SECONDS after the
    last SMS, at most CODE_MAX_RESENDS times: a session repeating the request floods no phone."""
    now = now or now_utc()
    voter = session.get(Voter, voter_id)
    if voter is None:
        raise ServiceError("error.code_expired")
    if purpose == "step_up":
        login = _open_code(session, voter, now, purpose)
        if login is not None:
            due = login.last_sent_at + dt.timedelta(seconds=settings.code_resend_interval_seconds)
            if login.sends > settings.code_max_resends or now < due:
                return _challenge(login, voter, reused=True)
            try:
                _count_send(voter, "")
            except ServiceError:
                return _challenge(login, voter, reused=True)  # the PIN's sends are used up: the open code stays
            login.sends += 1
            _issue_code(session, login, voter, sender, lang, now)
            return _challenge(login, voter)
    return _new_code(session, voter, purpose, sender, lang, now)


def _challenge(login: LoginCode, voter: Voter, reused: bool = False) -> Challenge:
    return Challenge(
        token=login.challenge,
        masked_phone=mask_phone(voter.phone),
        sent_at=login.last_sent_at,
        expires_at=login.expires_at,
        reused=reused,
    )


def _guarded(voter: Voter) -> bool:
    """The PIN is past its wrong-code ceiling: codes take one try and are spaced out (CODE_THROTTLE)."""
    return CODE_THROTTLE.over_ceiling(voter.pin)


def _tries(voter: Voter, purpose: str, device_id: int | None = None) -> int:
    """Wrong tries a code of `purpose` (sent to trusted device `device_id`) allows now."""
    if purpose != "login" or not _guarded(voter):
        return settings.code_max_attempts
    return GUARDED_TRIES if device_id is None else DEVICE_GUARDED_TRIES


def _device_key(device_id: int) -> str:
    """The device's identifier in DEVICE_THROTTLE (its pair tiers and ceiling count per device)."""
    return f"device:{device_id}"


def _device_budget(session: Session, voter: Voter, device: str, now: dt.datetime) -> int | None:
    """The trusted device whose budget this login uses: the device cookie `device` is live, was
    issued to this voter and its device is under its limits (DEVICE_THROTTLE); else None."""
    device_id = devices.trusted(session, voter.id, device, now)
    if device_id is None or DEVICE_THROTTLE.locked(_device_key(device_id), "") is not None:
        return None
    return device_id


def _phone_send(voter: Voter) -> float | None:
    """Count one login SMS to the voter's phone, or (none counted) when the cap allows the next."""
    items = settings.login_sends_per_phone + (settings.login_guarded_sends_per_phone if _guarded(voter) else ())
    return ratelimit.take(items, "sends-phone", ratelimit.key("phone|" + voter.phone))


def _phone_cap_done(voter: Voter) -> None:
    """A login with the code frees the cap (only the phone's holder can), so logging in again at once works."""
    ratelimit.clear(settings.login_sends_per_phone + settings.login_guarded_sends_per_phone, "sends-phone", ratelimit.key("phone|" + voter.phone))


def _open_code(session: Session, voter: Voter, now: dt.datetime, purpose: str = "login",
               device_id: int | None = None) -> LoginCode | None:
    """The voter's latest code of `purpose` that can still be used: by anyone (`device_id` None),
    or by that trusted device only."""
    return session.exec(select(LoginCode).where(
        LoginCode.voter_id == voter.id, LoginCode.purpose == purpose, LoginCode.used_at == None,  # noqa: E711
        LoginCode.device_id == device_id,
        LoginCode.attempts < _tries(voter, purpose, device_id), LoginCode.expires_at > now + REUSE_MIN_LEFT,
    ).order_by(LoginCode.last_sent_at.desc(), LoginCode.id.desc())).first()


def _cap_refusal(next_at: float) -> ServiceError:
    """No code left to use and the phone's cap is full: the time a new one can be sent."""
    moment = dt.datetime.fromtimestamp(math.ceil(next_at), dt.timezone.utc)
    return ServiceError("error.code_wait", time=local_text(moment, "%H:%M"))


def start_login(
    session: Session, pin_raw: str, document_raw: str, client: str, sender: Sender, lang: str,
    now: dt.datetime | None = None, device: str = "",
) -> Challenge:
    """A login code for PIN + document, sent to the phone on file (or the open one offered again).
    `device`: the browser's device cookie; if it is the found voter's, the device's budget is used."""
    now = now or now_utc()
    checked = collect(pin=lambda: normalize_pin(pin_raw, today=local_date(now)),
                      document=lambda: normalize_document(document_raw))
    pin, document = checked["pin"], checked["document"]
    ratelimit.count(settings.login_limit_per_client, "start-client", ratelimit.client_key(client))
    DOCUMENT_THROTTLE.check(pin, client)
    voter = register.find(session, pin, document)
    if voter is None:
        locked = DOCUMENT_THROTTLE.failure(pin, client)
        audit.auth_event(session, "auth.sms.failure", subject=_subject(pin), client=client, reason="not_found")
        if locked:
            audit.auth_event(session, "auth.sms.lockout", subject=_subject(pin), client=client, step="document")
        # Same answer for an unknown PIN and a wrong document.
        raise Refusal("error.login_not_found")
    device_id = _device_budget(session, voter, device, now)
    if device_id is not None:
        return _start_on_device(session, voter, device_id, client, sender, lang, now)
    CODE_THROTTLE.check(voter.pin, client)  # this client's wrong codes for this PIN
    next_at = _phone_send(voter)
    if next_at is not None:
        login = _open_code(session, voter, now)
        if login is None:
            raise _cap_refusal(next_at)
        audit.auth_event(session, "auth.sms.code_offered_again", actor=f"voter:{voter.id}",
                         subject=f"voter:{voter.id}", client=client)
        return _challenge(login, voter, reused=True)
    challenge = _new_code(session, voter, "login", sender, lang, now, client)
    audit.auth_event(session, "auth.sms.code_sent", actor=f"voter:{voter.id}", subject=f"voter:{voter.id}", client=client)
    return challenge


def _device_sends(device_id: int) -> str:
    return ratelimit.key(f"device|{device_id}")


def _start_on_device(session: Session, voter: Voter, device_id: int, client: str, sender: Sender, lang: str,
                     now: dt.datetime) -> Challenge:
    """A trusted device's login: its own open code, or a new one within its own SMS cap; the phone's
    cap, the PIN's guarded spacing and the client's wrong codes (strangers') are not consulted."""
    subject = f"voter:{voter.id}"
    next_at = ratelimit.take(settings.login_sends_per_phone, "sends-device", _device_sends(device_id))
    if next_at is not None:
        login = _open_code(session, voter, now, device_id=device_id)
        if login is None:
            raise _cap_refusal(next_at)
        audit.auth_event(session, "auth.sms.code_offered_again", actor=subject, subject=subject, client=client,
                         device=device_id)
        return _challenge(login, voter, reused=True)
    challenge = _new_code(session, voter, "login", sender, lang, now, client, device_id=device_id)
    audit.auth_event(session, "auth.sms.code_sent", actor=subject, subject=subject, client=client, device=device_id)
    return challenge


def _check_device(session: Session, login: LoginCode, device: str, now: dt.datetime) -> None:
    """A code sent to a trusted device is used only with that device's cookie (else: an expired code)."""
    if login.device_id is not None and devices.trusted(session, login.voter_id, device, now) != login.device_id:
        raise ServiceError("error.code_expired")


def _open_login(session: Session, token: str, now: dt.datetime, purpose: str = "login",
                voter_id: int | None = None) -> LoginCode:
    login = session.exec(select(LoginCode).where(LoginCode.challenge == (token or ""))).first() if token else None
    if (login is None or login.used_at is not None or login.expires_at <= now or login.purpose != purpose
            or (voter_id is not None and login.voter_id != voter_id)):
        raise ServiceError("error.code_expired")
    return login


def resend_code(session: Session, token: str, sender: Sender, lang: str, now: dt.datetime | None = None,
                client: str = "", device: str = "") -> Challenge:
    now = now or now_utc()
    login = _open_login(session, token, now)
    _check_device(session, login, device, now)
    voter = session.get(Voter, login.voter_id)
    if login.sends > settings.code_max_resends:
        raise ServiceError("error.resend_limit")
    wait = (login.last_sent_at + dt.timedelta(seconds=settings.code_resend_interval_seconds) - now).total_seconds()
    if wait > 0:
        raise ServiceError("error.resend_wait", seconds=math.ceil(wait))
    capped = (_phone_send(voter) if login.device_id is None
              else ratelimit.take(settings.login_sends_per_phone, "sends-device", _device_sends(login.device_id)))
    if capped is not None:
        return _challenge(login, voter, reused=True)  # the code sent at last_sent_at stays valid
    login.sends += 1
    _issue_code(session, login, voter, sender, lang, now)
    return _challenge(login, voter)


def verify_code(session: Session, token: str, code: str, client: str, now: dt.datetime | None = None, *,
                purpose: str = "login", voter_id: int | None = None, device: str = "") -> int:
    """The voter id when the code is right; otherwise an error, with the failure counted and saved.

    Wrong tries count per login, across resends: a new SMS does not buy new guesses. A code sent
    for another purpose, or (with `voter_id`) to another voter, or to a trusted device whose cookie
    (`device`) this request lacks, is an expired code. A trusted device's wrong codes count on its
    own budget (DEVICE_THROTTLE), the others per (PIN, client) and towards the PIN's ceiling.
    """
    now = now or now_utc()
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    if not (len(code) == 6 and code.isdigit()):
        raise ServiceError("error.code_format", field="code")
    client_key = ratelimit.client_key(client)
    ratelimit.check(settings.login_limit_per_client, "fail-client", client_key)
    login = _open_login(session, token, now, purpose, voter_id)
    _check_device(session, login, device, now)
    voter = session.get(Voter, login.voter_id)
    subject = f"voter:{voter.id}"
    kind = "auth.sms" if purpose == "login" else f"auth.code_{purpose}"  # a step-up is not a login
    throttle = CODE_THROTTLE if purpose == "login" else STEP_UP_THROTTLE
    # Whose budget the try is counted on: the trusted device's, or this (PIN, client)'s and the PIN's.
    budget = ((DEVICE_THROTTLE, _device_key(login.device_id), "") if login.device_id is not None
              else (throttle, voter.pin, client))
    on_device = {"device": login.device_id} if login.device_id is not None else {}
    budget[0].check(*budget[1:])
    tries = _tries(voter, purpose, login.device_id)
    if login.attempts >= tries:
        raise ServiceError("error.code_attempts")
    if not hmac.compare_digest(login.code_hash, _hash_code(login.challenge, code)):
        # Counted in SQL, so two wrong codes sent at once both count; and checked in the same
        # statement, so of two at once on a guarded code only one is a try.
        counted = session.execute(update(LoginCode).where(LoginCode.id == login.id, LoginCode.attempts < tries)
                                  .values(attempts=LoginCode.attempts + 1))
        session.refresh(login)
        if counted.rowcount != 1:
            raise ServiceError("error.code_attempts")
        left = tries - login.attempts
        if left <= 0:
            login.used_at = now
            session.add(login)
        ratelimit.record(settings.login_limit_per_client, "fail-client", client_key)
        was_guarded = purpose == "login" and _guarded(voter)
        locked = budget[0].failure(*budget[1:])
        audit.auth_event(session, f"{kind}.failure", subject=subject, client=client, reason="wrong_code", **on_device)
        if locked or left <= 0:
            audit.auth_event(session, f"{kind}.lockout", subject=subject, client=client,
                             step="device" if on_device and locked else "code", **on_device)
        if purpose == "login" and not was_guarded and _guarded(voter):
            audit.auth_event(session, "auth.sms.guarded", subject=subject, client=client)
        # The caller's scope commits the counted try and its audit (a Refusal), then shows the error.
        if left <= 0:
            raise Refusal("error.code_attempts")
        raise Refusal("error.code_wrong", field="code", count=left)
    # Single use decided by the database: of two requests with this code, one wins.
    taken = session.execute(update(LoginCode).where(
        LoginCode.id == login.id, LoginCode.used_at == None,  # noqa: E711
        LoginCode.attempts < tries).values(used_at=now))
    if taken.rowcount != 1:
        raise ServiceError("error.code_expired")
    # The voter's other open codes of this purpose (a stranger's starts among them) end here.
    session.execute(update(LoginCode).where(
        LoginCode.voter_id == voter.id, LoginCode.purpose == purpose, LoginCode.used_at == None,  # noqa: E711
    ).values(used_at=now))
    budget[0].success(*budget[1:])
    if purpose == "login" and login.device_id is not None:
        ratelimit.clear(settings.login_sends_per_phone, "sends-device", _device_sends(login.device_id))
    elif purpose == "login":
        _phone_cap_done(voter)
    audit.auth_event(session, f"{kind}.success", actor=subject, subject=subject, client=client, **on_device)
    return voter.id
