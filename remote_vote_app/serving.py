"""How the production server runs its workers (two gaps of Reflex 0.10.1 with several workers).

Reflex 0.10 starts Granian without worker respawn, so one worker that dies (a crash, the OOM
killer, a kill) stopped the whole server and every voter on it (measured: no answer on /ping
after killing one of two workers). Granian can respawn failed workers; Reflex gives no setting
for it, so its default is changed here, in the process that starts Granian (rxconfig imports this).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import pickle

log = logging.getLogger(__name__)


def respawn_failed_workers() -> None:
    try:
        from granian import Granian
    except ImportError:  # no Granian (a test process): nothing to change
        return
    if getattr(Granian.__init__, "_rv_respawn", False):
        return
    original = Granian.__init__

    @functools.wraps(original)
    def init(self, *args, respawn_failed_workers: bool = True, respawn_interval: float = 0.5, **kwargs):
        original(self, *args, respawn_failed_workers=respawn_failed_workers, respawn_interval=respawn_interval,
                 **kwargs)

    init._rv_respawn = True
    Granian.__init__ = init


# Reflex 0.10 keeps each tab's socket record in Redis for the token lifetime and takes a record
# it finds as "this tab is open elsewhere": the tab gets a new token, that is an empty state.
# A worker that dies leaves its records behind, so every voter it served lost their form on
# reconnecting (measured: after killing the workers, /apply/check fell back to an empty /apply).
# Each worker now marks itself alive in Redis; a record whose worker is no longer alive is
# dropped before the check, and the tab reconnects to its own state.
ALIVE_KEY = "rv_worker_alive_{}"
HEARTBEAT_SECONDS = 1
ALIVE_SECONDS = 4


async def _owner_alive(redis, instance_id: str) -> bool:
    """Whether the worker that owns a socket record still beats. A mark not yet expired may belong
    to a worker just killed, so watch it for a heartbeat and a half: a live worker renews it (its
    time to live never falls by more than a heartbeat), a dead one's falls by the whole wait."""
    key = ALIVE_KEY.format(instance_id)
    before = await redis.pttl(key)
    if before <= 0:
        return False
    await asyncio.sleep(HEARTBEAT_SECONDS * 1.5)
    return await redis.pttl(key) > before - HEARTBEAT_SECONDS * 1250


def keep_tabs_of_dead_workers() -> None:
    from reflex.utils.token_manager import RedisTokenManager

    if getattr(RedisTokenManager.link_token_to_sid, "_rv_patched", False):
        return
    original = RedisTokenManager.link_token_to_sid

    @functools.wraps(original)
    async def link_token_to_sid(self, token: str, sid: str):
        key = self._get_redis_key(token)
        try:
            raw = await self.redis.get(key)
            record = pickle.loads(raw) if raw else None
            if (record is not None and record.instance_id != self.instance_id
                    and not await _owner_alive(self.redis, record.instance_id)):
                await self.redis.delete(key)
        except Exception as exc:  # noqa: BLE001 - Reflex's own check still runs
            log.warning("socket record check failed: %s", type(exc).__name__)
        return await original(self, token, sid)

    link_token_to_sid._rv_patched = True
    RedisTokenManager.link_token_to_sid = link_token_to_sid


async def worker_heartbeat(app) -> None:
    """Lifespan task of each worker: keeps its 'alive' mark fresh while it serves."""
    from reflex.utils.token_manager import RedisTokenManager

    namespace = app.event_namespace
    manager = getattr(namespace, "_token_manager", None)
    if not isinstance(manager, RedisTokenManager):
        return  # one process, no Redis: nothing to share
    while True:
        try:
            await manager.redis.set(ALIVE_KEY.format(manager.instance_id), "1", ex=ALIVE_SECONDS)
        except Exception as exc:  # noqa: BLE001 - Redis restarting: try again
            log.warning("worker heartbeat failed: %s", type(exc).__name__)
        await asyncio.sleep(HEARTBEAT_SECONDS)
