"""Rate limits (the `limits` library); keys are keyed hashes, so no PIN or address sits in storage.

The storage is shared by every worker when RATE_LIMIT_STORAGE_URI names Redis (the production
profile); the embedded default keeps it in process memory.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from remote_vote_app.internals import QuietMemoryStorage
from remote_vote_app.errors import ServiceError
from remote_vote_app.settings import settings


def _storage():
    uri = settings.rate_limit_storage
    return QuietMemoryStorage() if uri.startswith("memory://") else storage_from_string(uri)


_limiter = MovingWindowRateLimiter(_storage())  # its storage is chosen once, at start

__all__ = ["parse", "key", "requester", "client_key", "check", "reached", "count", "record", "take", "clear", "reset", "claim_once", "LoginThrottle"]


def key(value: str) -> str:
    return hmac.new(settings.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def requester(client: str) -> str:
    """The client a per-client limit counts: an IPv4 address, or the /64 of an IPv6 address (one
    subscriber gets a whole /64, so counting single addresses would give them 2**64 budgets)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def client_key(client: str, scope: str = "") -> str:
    """The limiter key of a client (see `requester`), optionally within a scope."""
    return key(f"{scope}|{requester(client)}" if scope else requester(client))


def _refused(item: RateLimitItem, scope: str, k: str) -> ServiceError:
    reset_at, _remaining = _limiter.get_window_stats(item, scope, k)
    return ServiceError("error.too_many_attempts", minutes=max(1, math.ceil((reset_at - time.time()) / 60)))


def check(item: RateLimitItem, scope: str, k: str) -> None:
    """Refuse if the limit is already reached (failures counted elsewhere)."""
    if not _limiter.test(item, scope, k):
        raise _refused(item, scope, k)


def reached(item: RateLimitItem, scope: str, k: str) -> bool:
    """The limit is reached (counted elsewhere, with `record`)."""
    return not _limiter.test(item, scope, k)


def count(item: RateLimitItem, scope: str, k: str) -> None:
    """Count one attempt, refusing it if the limit is reached (check and count in one step)."""
    if not _limiter.hit(item, scope, k):
        raise _refused(item, scope, k)


def record(item: RateLimitItem, scope: str, k: str) -> None:
    """Count a failure after the fact."""
    _limiter.hit(item, scope, k)


def claim_once(scope: str, value: str, seconds: int) -> bool:
    """True the first time `value` is claimed in `scope` within `seconds` (a spent OIDC state, a
    used liveness challenge); atomic across every worker sharing the storage (Redis in production)."""
    return _limiter.hit(parse(f"1/{seconds} seconds"), scope, key(value))


def clear(items: tuple[RateLimitItem, ...], scope: str, k: str) -> None:
    for item in items:
        _limiter.clear(item, scope, k)


def reset() -> None:
    """For tests: forget every counted attempt."""
    _limiter.storage.reset()


def take(items: tuple[RateLimitItem, ...], scope: str, k: str) -> float | None:
    """Count one use under every window; if one is full, count nothing and return the epoch time at
    which a use is allowed again."""
    full = [item for item in items if not _limiter.test(item, scope, k)]
    if not full:
        # A hit can still be refused where `test` allowed it: at the window's exact edge `limits`
        # counts the oldest entry in `hit` and not in `test`. Such a use is refused too, or it
        # would go uncounted.
        full = [item for item in items if not _limiter.hit(item, scope, k)]
    if full:
        return max(_limiter.get_window_stats(item, scope, k)[0] for item in full)
    return None


@dataclass(frozen=True)
class LoginThrottle:
    """Throttles the attacker, not the victim.

    Failures count per (identifier, client) in tiers of growing windows (5 a minute, then 10 in
    15 minutes, ...), so each further burst waits longer; the same identifier tried from another
    client starts afresh. The per-identifier `ceiling` bounds a distributed guess. With
    `ceiling_locks` it refuses the identifier for everyone; without, it only reports
    `over_ceiling` and the caller asks for something a guesser lacks (staff: the TOTP code with
    the password). `ceiling=None`: failures count against clients only.

    `pair_tiers` and `ceiling` are limits, or the name of the setting that holds them, read on
    each use (so the tiers follow LOGIN_THROTTLE_TIERS, and a changed setting reaches them).
    """

    scope: str
    pair_tiers: tuple[RateLimitItem, ...] | str = "login_throttle_tiers"
    ceiling: RateLimitItem | str | None = "login_throttle_ceiling"
    ceiling_locks: bool = True

    def __post_init__(self) -> None:
        for named in (self.pair_tiers, self.ceiling):
            if isinstance(named, str) and named not in type(settings).model_fields:
                raise ValueError(f"no setting {named!r}")

    def tiers(self) -> tuple[RateLimitItem, ...]:
        return getattr(settings, self.pair_tiers) if isinstance(self.pair_tiers, str) else self.pair_tiers

    def ceiling_item(self) -> RateLimitItem | None:
        return getattr(settings, self.ceiling) if isinstance(self.ceiling, str) else self.ceiling

    def _pair(self, identifier: str, client: str) -> str:
        return key(f"{self.scope}|{identifier}|{requester(client)}")

    def _ident(self, identifier: str) -> str:
        return key(f"{self.scope}|{identifier}")

    def over_ceiling(self, identifier: str) -> bool:
        ceiling = self.ceiling_item()
        return ceiling is not None and not _limiter.test(ceiling, f"{self.scope}-ceiling", self._ident(identifier))

    def locked(self, identifier: str, client: str) -> ServiceError | None:
        """The refusal to show if this identifier may not be tried from this client now; it names
        the longest wait among the windows that are full."""
        pair = self._pair(identifier, client)
        full = [(item, f"{self.scope}-pair", pair) for item in self.tiers()
                if not _limiter.test(item, f"{self.scope}-pair", pair)]
        if self.ceiling_locks and self.over_ceiling(identifier):
            full.append((self.ceiling_item(), f"{self.scope}-ceiling", self._ident(identifier)))
        if not full:
            return None
        return max((_refused(*args) for args in full), key=lambda err: err.params["minutes"])

    def check(self, identifier: str, client: str) -> None:
        refusal = self.locked(identifier, client)
        if refusal is not None:
            raise refusal

    def failure(self, identifier: str, client: str) -> bool:
        """Count one failure; True when this failure starts a lockout of this client (for the audit)."""
        pair = self._pair(identifier, client)
        for item in self.tiers():
            _limiter.hit(item, f"{self.scope}-pair", pair)
        if (ceiling := self.ceiling_item()) is not None:
            _limiter.hit(ceiling, f"{self.scope}-ceiling", self._ident(identifier))
        return self.locked(identifier, client) is not None

    def success(self, identifier: str, client: str) -> None:
        """A right answer clears this client's tiers (not the ceiling, so a guesser gains nothing)."""
        pair = self._pair(identifier, client)
        for item in self.tiers():
            _limiter.clear(item, f"{self.scope}-pair", pair)
