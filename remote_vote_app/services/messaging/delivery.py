"""The outbox worker's rules: claim due messages, post them to the gateway, record the outcome.

Each web worker process runs one delivery loop (remote_vote_app.worker); claims are conditional
updates, so several loops on one database never send a message twice at once, and a claim left
by a worker that died is taken over after CLAIM_TIMEOUT. The gateway gets the message's
`delivery_id` as an idempotency key, so a retry after a lost answer is not a second SMS.
Failures retry with exponential backoff; after MAX_ATTEMPTS the message is `dead` (visible).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from dataclasses import dataclass

import httpx
from sqlalchemy import and_, or_
from sqlmodel import Session, select, update

from remote_vote_app.db import session_scope
from remote_vote_app.models import OutboxMessage
from remote_vote_app.services.messaging import sealing
from remote_vote_app.services.clock import now_utc
from remote_vote_app.services.messaging.notifications import SEAL_PURPOSE
from remote_vote_app.settings import settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = dt.timedelta(seconds=60)
BATCH = 20
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def gateways() -> dict[str, str]:
    return {c: u for c, u in (("sms", settings.sms_gateway_url), ("email", settings.email_gateway_url)) if u}


def backoff(attempts: int) -> dt.timedelta:
    base = min(5 * 2 ** max(0, attempts - 1), 3600)
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class Job:
    id: int
    channel: str
    recipient: str
    subject: str
    text: str
    delivery_id: str


def claim(session: Session, channels: list[str], now: dt.datetime | None = None, limit: int = BATCH) -> list[Job]:
    """Take up to `limit` due messages for this worker; each claim is a conditional update."""
    now = now or now_utc()
    due = or_(
        and_(OutboxMessage.status.in_(("queued", "failed")),
             or_(OutboxMessage.next_attempt_at == None, OutboxMessage.next_attempt_at <= now)),  # noqa: E711
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - CLAIM_TIMEOUT),
    )
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.channel.in_(channels), due)
                        .order_by(OutboxMessage.id).limit(limit)).all()
    jobs = []
    for row in rows:
        same_claim = (OutboxMessage.claimed_at == row.claimed_at) if row.claimed_at else (OutboxMessage.claimed_at == None)  # noqa: E711
        won = session.execute(update(OutboxMessage)
                              .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status, same_claim)
                              .values(status="sending", claimed_at=now)).rowcount == 1
        if won:
            text = sealing.unseal(row.sealed_body, SEAL_PURPOSE) if row.sealed_body else row.body
            jobs.append(Job(row.id, row.channel, row.recipient, row.subject, text, row.delivery_id))
    return jobs


def record(session: Session, job_id: int, outcome: str, error: str = "", now: dt.datetime | None = None) -> str:
    """outcome: sent | retry | permanent. Returns the new status."""
    now = now or now_utc()
    row = session.get(OutboxMessage, job_id)
    row.attempts += 1
    row.claimed_at = None
    if outcome == "sent":
        row.status, row.sent_at, row.sealed_body, row.last_error = "sent", now, "", ""
    elif outcome == "retry" and row.attempts < MAX_ATTEMPTS:
        row.status, row.next_attempt_at, row.last_error = "failed", now + backoff(row.attempts), error[:200]
    else:
        row.status, row.sealed_body, row.last_error = "dead", "", error[:200]  # the secret goes too
    session.add(row)
    return row.status


async def post(client: httpx.AsyncClient, job: Job) -> tuple[str, str]:
    """Deliver one message; (outcome, error class). No personal data in the error."""
    url = gateways()[job.channel]
    headers = {"Idempotency-Key": job.delivery_id}
    if settings.gateway_token:
        headers["Authorization"] = f"Bearer {settings.gateway_token}"
    try:
        response = await client.post(url, json={"id": job.delivery_id, "to": job.recipient, "subject": job.subject,
                                                "text": job.text}, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return "retry", type(exc).__name__
    if response.is_success:
        return "sent", ""
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        return "retry", f"HTTP {response.status_code}"
    return "permanent", f"HTTP {response.status_code}"


def _claim_batch() -> list[Job]:
    with session_scope() as session:
        return claim(session, list(gateways()))


def _record_all(results: list[tuple[Job, tuple[str, str]]]) -> None:
    with session_scope() as session:
        for job, (outcome, error) in results:
            status = record(session, job.id, outcome, error)
            if status != "sent":
                log.warning("outbox message %s: %s (%s)", job.id, status, error)


async def run_once(client: httpx.AsyncClient) -> int:
    """One round: the database work in a thread, the HTTP calls concurrent and async."""
    jobs = await asyncio.to_thread(_claim_batch)
    if jobs:
        outcomes = await asyncio.gather(*(post(client, job) for job in jobs))
        await asyncio.to_thread(_record_all, list(zip(jobs, outcomes)))
    return len(jobs)


async def run_forever(poll_seconds: float = 0.5) -> None:
    """Deliver until cancelled; a database or gateway outage only slows it down."""
    if not gateways():
        return  # the embedded demo: the outbox is the phone
    pause = poll_seconds
    async with httpx.AsyncClient() as client:
        while True:
            try:
                busy = await run_once(client)
                pause = 0 if busy else poll_seconds
            except Exception as exc:  # noqa: BLE001 - keep delivering after a database outage
                log.warning("outbox round failed: %s", type(exc).__name__)
                pause = min(max(pause * 2, 1.0), 30.0)
            await asyncio.sleep(pause)
