"""Rate limits (the `limits` library); keys are keyed hashes, so no PIN or address sits in storage."""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from remote_vote_app.services.errors import ServiceError
from remote_vote_app.settings import settings

_limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

__all__ = ["parse", "key", "check", "count", "record", "reset"]


def key(value: str) -> str:
    return hmac.new(settings.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def _refused(item: RateLimitItem, scope: str, k: str) -> ServiceError:
    reset_at, _remaining = _limiter.get_window_stats(item, scope, k)
    return ServiceError("error.too_many_attempts", minutes=max(1, math.ceil((reset_at - time.time()) / 60)))


def check(item: RateLimitItem, scope: str, k: str) -> None:
    """Refuse if the limit is already reached (failures counted elsewhere)."""
    if not _limiter.test(item, scope, k):
        raise _refused(item, scope, k)


def count(item: RateLimitItem, scope: str, k: str) -> None:
    """Count one attempt, refusing it if the limit is reached (check and count in one step)."""
    if not _limiter.hit(item, scope, k):
        raise _refused(item, scope, k)


def record(item: RateLimitItem, scope: str, k: str) -> None:
    """Count a failure after the fact."""
    _limiter.hit(item, scope, k)


def reset() -> None:
    """For tests: forget every counted attempt."""
    _limiter.storage.reset()
