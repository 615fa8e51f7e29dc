"""Voter login by ID card data and a one-time SMS code, and the same codes for other purposes:
a step-up (services.identity.assurance: filing, changing or withdrawing after a FaceID or QR login) and
the voter's consent to a commission taking their FaceID reference.

Codes are derived with the server's key from a random challenge (a resend texts the same code, so
nobody can change the code the voter is reading), are stored as a keyed hash, are single use,
expire, allow a few wrong tries, and resends are limited. Repeated attempts per PIN and per client are rate limited. A
browser with the voter's device cookie (services.identity.devices) logs in on a budget of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
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
# Wrong codes: 5 per code and tiers per (PIN, client). Anyone with PIN + document can start a login,
# so no count of wrong codes may close the owner's login or spend the code the owner is about to type.
# Past LOGIN_STRONG_CODES_AFTER wrong codes for a PIN (5 a day: one spent code) its login codes are
# strong: 13 characters of Crockford's base32, 65 bits, which no number of clients can guess (NIST SP
# 800-63B 5.2.2 asks for rate limiting below 64 bits), so a wrong try does not spend one and the
# owner types it whatever strangers try; the open strong code is offered to every start, with no new
# SMS. Short codes then stop being checked, so a day's wrong short codes per PIN stay about 5.
# Tries still count per (PIN, client) and towards LOGIN_ACCOUNT_CEILING (NIST's 100), past which the
# PIN is guarded: its phone gets a login code at most every LOGIN_GUARDED_SENDS_PER_PHONE.
CODE_THROTTLE = LoginThrottle("sms-code", ceiling="login_account_ceiling", ceiling_locks=False)
STRONG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
STRONG_LENGTH = 13
STRONG_MAX_RESENDS = 1  # a strong code's SMS pass the phone's cap (below): one resend, for a lost SMS
# Typed forms of the same code: Crockford's lookalikes, and Cyrillic letters that look like its
# Latin ones (a voter on a Kyrgyz or Russian keyboard types what they see).
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
                        "О": "0", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "З": "3"})
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
# A strong code is offered only with 5 minutes left (13 characters take a while to type); it lives 20
# minutes and a new one may be sent every 14, so there is always one to offer or room for one.
STRONG_REUSE_MIN_LEFT = dt.timedelta(minutes=5)


def _subject(pin: str) -> str:
    """Names a tried PIN in the audit without the PIN itself."""
    return "pin:" + ratelimit.key(pin)[:16]

# purpose -> the SMS that carries its code; a code is accepted only for the purpose it was sent for.
PURPOSES = {"login": "sms.login_code", "step_up": "sms.step_up_code", "face_reference": "sms.face_reference_code"}


def _hash_code(challenge: str, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"{challenge}:{code}".encode(), hashlib.sha256).hexdigest()


def _code_of(login: LoginCode) -> str:
    """The code of a challenge, derived from it with the server's key (72 bits of HMAC-SHA256): a
    resend texts the same code, so a stranger offered the voter's open login cannot change the code
    the voter is reading. 6 digits, or 13 base32 characters for a strong code."""
    kind = "strong" if login.strong else "short"
    number = int.from_bytes(hmac.new(settings.secret_key.encode(), f"{kind}:{login.challenge}".encode(),
                                     hashlib.sha256).digest()[:9], "big")
    if not login.strong:
        return f"{number % 1_000_000:06d}"
    return "".join(STRONG_ALPHABET[(number >> (5 * i)) & 31] for i in range(STRONG_LENGTH))


def grouped(code: str) -> str:
    """A strong code as the SMS shows it: XXXX-XXXX-XXXXX."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def _typed(code: str) -> str:
    """What the voter typed, as a code: no spaces or dashes, capitals, lookalikes read as the code's letters."""
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch not in "-‐‑–—").upper().translate(_TYPED)


def _well_formed(code: str, strong: bool) -> bool:
    if strong:
        return len(code) == STRONG_LENGTH and all(ch in STRONG_ALPHABET for ch in code)
    return len(code) == 6 and code.isascii() and code.isdigit()


@dataclass(frozen=True)
class Challenge:
    token: str
    masked_phone: str
    sent_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    reused: bool = False  # no new SMS: the code sent at `sent_at` is still the one to use
    strong: bool = False  # a 13-character code (the PIN is under attack)

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
    code = _code_of(login)
    if login.strong:
        ttl, message = settings.login_strong_code_ttl_seconds, "sms.login_code_strong"
    else:
        ttl, message = settings.code_ttl_seconds, PURPOSES[login.purpose]
    login.code_hash = _hash_code(login.challenge, code)
    login.expires_at = now + dt.timedelta(seconds=ttl)
    login.last_sent_at = now
    session.add(login)
    text = t(lang, message, code=grouped(code) if login.strong else code, minutes=ttl // 60)
    sender.send(session, "sms", voter.phone, text, sensitive=True)


def _count_send(voter: Voter, client: str) -> None:
    pin_client = ratelimit.key(f"{voter.pin}|{ratelimit.requester(client)}")
    ratelimit.count(settings.login_limit_per_pin, "sends-pin-client", pin_client)
    ratelimit.count(settings.login_sends_ceiling, "sends-pin", ratelimit.key(voter.pin))


def _new_code(session: Session, voter: Voter, purpose: str, sender: Sender, lang: str, now: dt.datetime,
              client: str = "", device_id: int | None = None, strong: bool = False) -> Challenge:
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
                      expires_at=now, created_at=now, attempts=0, device_id=device_id, strong=strong)
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
        strong=login.strong,
    )


def _guarded(voter: Voter) -> bool:
    """The PIN is past its wrong-code ceiling: its login codes are spaced out (CODE_THROTTLE)."""
    return CODE_THROTTLE.over_ceiling(voter.pin)


def _strong_key(voter: Voter) -> str:
    return ratelimit.key("strong|" + voter.pin)


def _hardened(voter: Voter) -> bool:
    """Wrong login codes were tried for the PIN (LOGIN_STRONG_CODES_AFTER): its login codes are strong."""
    return ratelimit.reached(settings.login_strong_codes_after, "sms-strong", _strong_key(voter))


def _tries(voter: Voter, purpose: str, device_id: int | None = None) -> int:
    """Wrong tries a short code of `purpose` (sent to trusted device `device_id`) allows now."""
    if purpose == "login" and device_id is not None and _guarded(voter):
        return DEVICE_GUARDED_TRIES
    return settings.code_max_attempts


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


def _phone_key(voter: Voter) -> str:
    """The login SMS caps count per phone and voter: a phone the register gives two voters (a
    family's) gets a cap for each, so a stranger with one voter's PIN cannot use up the other's."""
    return ratelimit.key(f"phone|{voter.phone}|{voter.id}")


def _phone_send(voter: Voter) -> float | None:
    """Count one login SMS to the voter's phone, or (none counted) when the cap allows the next."""
    items = settings.login_sends_per_phone + (settings.login_guarded_sends_per_phone if _guarded(voter) else ())
    return ratelimit.take(items, "sends-phone", _phone_key(voter))


def _strong_send(voter: Voter) -> float | None:
    """Count one new strong code to the voter's phone (LOGIN_STRONG_SENDS_PER_PHONE), or the time of the next.
    Strong codes have a cap of their own: short codes a stranger had sent cannot hold back the first
    strong one, and while one is open every start is offered it, so none is sent."""
    return ratelimit.take(settings.login_strong_sends_per_phone, "sends-strong", _phone_key(voter))


def _strong_sent_lately(voter: Voter) -> bool:
    return any(ratelimit.reached(item, "sends-strong", _phone_key(voter)) for item in settings.login_strong_sends_per_phone)


def _phone_cap_done(voter: Voter) -> None:
    """A login with the code ends the voter's open codes and frees the caps (only the phone's holder
    can), so logging in again at once works, on this browser or another."""
    phone = _phone_key(voter)
    ratelimit.clear(settings.login_sends_per_phone + settings.login_guarded_sends_per_phone, "sends-phone", phone)
    ratelimit.clear(settings.login_strong_sends_per_phone, "sends-strong", phone)


def _open_code(session: Session, voter: Voter, now: dt.datetime, purpose: str = "login",
               device_id: int | None = None, strong_only: bool = False) -> LoginCode | None:
    """The voter's latest code of `purpose` that can still be used: by anyone (`device_id` None),
    or by that trusted device only; a strong one only with `strong_only`."""
    strong = sa.and_(LoginCode.strong, LoginCode.expires_at > now + STRONG_REUSE_MIN_LEFT)
    short = sa.and_(sa.not_(LoginCode.strong), LoginCode.attempts < _tries(voter, purpose, device_id),
                    LoginCode.expires_at > now + REUSE_MIN_LEFT)
    return session.exec(select(LoginCode).where(
        LoginCode.voter_id == voter.id, LoginCode.purpose == purpose, LoginCode.used_at == None,  # noqa: E711
        LoginCode.device_id == device_id, strong if strong_only else sa.or_(strong, short),
    ).order_by(LoginCode.last_sent_at.desc(), LoginCode.id.desc())).first()


def _offer(session: Session, login: LoginCode, voter: Voter, client: str, **on_device) -> Challenge:
    """The open code again, no SMS: "a code was sent at HH:MM, use it"."""
    subject = f"voter:{voter.id}"
    audit.auth_event(session, "auth.sms.code_offered_again", actor=subject, subject=subject, client=client, **on_device)
    return _challenge(login, voter, reused=True)


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
    strong = _hardened(voter)
    # An open strong code cannot be spent by strangers: it is the answer to every start, with no new SMS.
    # (Looked for when one can be open to offer: the PIN is attacked, or one went out within 14 minutes.)
    if (strong or _strong_sent_lately(voter)) and (login := _open_code(session, voter, now, strong_only=True)):
        return _offer(session, login, voter, client)
    if not strong and _phone_send(voter) is not None:
        if (login := _open_code(session, voter, now)) is not None:
            return _offer(session, login, voter, client)
        # The short codes' cap is full and none is open (they live 5 minutes, the cap counts 15):
        # a strong code, whose cap and life always leave one to offer or room for one.
        strong = True
    if strong:
        if (next_at := _strong_send(voter)) is not None:
            # Another worker's start took the cap a moment ago: its code is the one to offer.
            if (login := _open_code(session, voter, now, strong_only=True)) is not None:
                return _offer(session, login, voter, client)
            raise _cap_refusal(next_at)
    challenge = _new_code(session, voter, "login", sender, lang, now, client, strong=strong)
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
        return _offer(session, login, voter, client, device=device_id)
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
    if login.sends > (STRONG_MAX_RESENDS if login.strong else settings.code_max_resends):
        raise ServiceError("error.resend_limit")
    wait = (login.last_sent_at + dt.timedelta(seconds=settings.code_resend_interval_seconds) - now).total_seconds()
    if wait > 0:
        raise ServiceError("error.resend_wait", seconds=math.ceil(wait))
    capped = (None if login.strong else _phone_send(voter) if login.device_id is None
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
    code = _typed(code)
    client_key = ratelimit.client_key(client)
    ratelimit.check(settings.login_limit_per_client, "fail-client", client_key)
    login = _open_login(session, token, now, purpose, voter_id)
    if not _well_formed(code, login.strong):
        raise ServiceError("error.code_format_strong" if login.strong else "error.code_format", field="code")
    _check_device(session, login, device, now)
    voter = session.get(Voter, login.voter_id)
    stranger = purpose == "login" and login.device_id is None  # a code anyone with PIN + document is offered
    if stranger and not login.strong and _hardened(voter):
        raise ServiceError("error.code_strong_needed")  # short codes of a PIN under attack are not checked
    subject = f"voter:{voter.id}"
    kind = "auth.sms" if purpose == "login" else f"auth.code_{purpose}"  # a step-up is not a login
    throttle = CODE_THROTTLE if purpose == "login" else STEP_UP_THROTTLE
    # Whose budget the try is counted on: the trusted device's, or this (PIN, client)'s and the PIN's.
    budget = ((DEVICE_THROTTLE, _device_key(login.device_id), "") if login.device_id is not None
              else (throttle, voter.pin, client))
    on_device = {"device": login.device_id} if login.device_id is not None else {}
    budget[0].check(*budget[1:])
    # A strong code has no tries of its own to spend: only the per-client and per-PIN counts bound it.
    tries = None if login.strong else _tries(voter, purpose, login.device_id)
    within = sa.true() if tries is None else LoginCode.attempts < tries
    if tries is not None and login.attempts >= tries:
        raise ServiceError("error.code_attempts")
    if not hmac.compare_digest(login.code_hash, _hash_code(login.challenge, code)):
        # Counted in SQL, so two wrong codes sent at once both count; and checked in the same
        # statement, so of two at once on a code's last try only one is a try.
        counted = session.execute(update(LoginCode).where(LoginCode.id == login.id, within)
                                  .values(attempts=LoginCode.attempts + 1))
        session.refresh(login)
        if counted.rowcount != 1:
            raise ServiceError("error.code_attempts")
        left = None if tries is None else tries - login.attempts
        if left is not None and left <= 0:
            login.used_at = now
            session.add(login)
        ratelimit.record(settings.login_limit_per_client, "fail-client", client_key)
        was = (_guarded(voter), _hardened(voter)) if stranger else (True, True)
        locked = budget[0].failure(*budget[1:])
        if stranger:
            ratelimit.record(settings.login_strong_codes_after, "sms-strong", _strong_key(voter))
        audit.auth_event(session, f"{kind}.failure", subject=subject, client=client, reason="wrong_code", **on_device)
        if locked or (left is not None and left <= 0):
            audit.auth_event(session, f"{kind}.lockout", subject=subject, client=client,
                             step="device" if on_device and locked else "code", **on_device)
        if not was[1] and _hardened(voter):
            audit.auth_event(session, "auth.sms.strong_codes", subject=subject, client=client)
        if not was[0] and _guarded(voter):
            audit.auth_event(session, "auth.sms.guarded", subject=subject, client=client)
        # The caller's scope commits the counted try and its audit (a Refusal), then shows the error.
        if left is None:
            raise Refusal("error.code_wrong_strong", field="code")
        if left <= 0:
            raise Refusal("error.code_attempts")
        raise Refusal("error.code_wrong", field="code", count=left)
    # Single use decided by the database: of two requests with this code, one wins.
    taken = session.execute(update(LoginCode).where(
        LoginCode.id == login.id, LoginCode.used_at == None, within).values(used_at=now))  # noqa: E711
    if taken.rowcount != 1:
        raise ServiceError("error.code_expired")
    # The voter's other open codes of this purpose (a stranger's starts among them) end here.
    session.execute(update(LoginCode).where(
        LoginCode.voter_id == voter.id, LoginCode.purpose == purpose, LoginCode.used_at == None,  # noqa: E711
    ).values(used_at=now))
    budget[0].success(*budget[1:])
    if purpose == "login" and login.device_id is not None:
        ratelimit.clear(settings.login_sends_per_phone, "sends-device", _device_sends(login.device_id))
    if purpose == "login":  # the open codes just ended: the caps must leave room for the next login
        _phone_cap_done(voter)
    audit.auth_event(session, f"{kind}.success", actor=subject, subject=subject, client=client, **on_device)
    return voter.id
