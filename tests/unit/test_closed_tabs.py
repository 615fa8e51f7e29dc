"""A closed tab's state is dropped after the grace (web/closed_tabs.py), against Reflex's own state
manager: these fail if Reflex 0.10's bookkeeping changes shape under the pinned version."""

import asyncio
import time

from redis.asyncio import Redis
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex.state import State

from remote_vote_app.services.identity import sessions
from remote_vote_app.web.closed_tabs import ClosedTabs, drop, is_staff_tab
from tests.support import services


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_tab_is_due_only_after_the_grace_and_not_when_it_came_back():
    clock = Clock()
    tabs = ClosedTabs(grace=300, clock=clock)
    tabs.closed("a")
    clock.now += 100
    tabs.closed("b")
    tabs.closed("c")
    tabs.reopened("c")  # the phone unlocked: its socket is back
    clock.now += 199
    assert tabs.due() == []
    clock.now += 1
    assert tabs.due() == ["a"]
    assert tabs.due() == []  # handed out once
    clock.now += 100
    assert tabs.due() == ["b"] and len(tabs) == 0


def test_closing_again_restarts_the_grace():
    clock = Clock()
    tabs = ClosedTabs(grace=10, clock=clock)
    tabs.closed("a")
    clock.now += 8
    tabs.closed("a")  # reconnected (on another worker) and closed again
    clock.now += 8
    assert tabs.due() == []
    clock.now += 2
    assert tabs.due() == ["a"]


def test_drop_forgets_the_state_in_memory_unless_an_event_holds_it():
    async def run():
        manager = StateManagerMemory()
        token = BaseStateToken(ident="tab-1", cls=State)
        first = await manager.get_state(token)
        assert "tab-1" in manager.states

        async with manager.modify_state(token):  # an event of that tab is running
            assert await drop(manager, State, "tab-1") is False
            assert "tab-1" in manager.states

        assert await drop(manager, State, "tab-1") is True
        assert "tab-1" not in manager.states and "tab-1" not in manager._token_expires_at
        assert await manager.get_state(token) is not first  # the tab starts afresh
        assert await drop(manager, State, "never-seen") is True
        await manager.close()

    asyncio.run(run())


def test_drop_waits_while_a_worker_holds_the_tab_under_a_redis_lease(monkeypatch):
    """The production profile keeps a tab's state in the worker between events (Reflex's
    opportunistic lock, on in rxconfig); dropped during the lease, the lease's end wrote it back."""
    monkeypatch.setenv("REFLEX_OPLOCK_ENABLED", "true")

    async def run(url: str):
        manager = StateManagerRedis(redis=Redis.from_url(url), oplock_hold_time_ms=2000)
        # Another tab's first event starts the lock-release listener; leases are taken from then on.
        async with manager.modify_state(BaseStateToken(ident="tab-0", cls=State)):
            pass
        await asyncio.wait_for(manager._lock_updates_subscribed.wait(), 5)
        token = BaseStateToken(ident="tab-1", cls=State)
        async with manager.modify_state(token) as state:
            state.is_hydrated = True
        key = f"tab-1_{State.get_full_name()}"
        assert not await manager.redis.exists(key)  # held in the worker, not written per event
        assert "tab-1" in manager._local_leases  # the lease outlives the event
        assert await drop(manager, State, "tab-1") is False

        deadline = time.monotonic() + 10
        while "tab-1" in manager._local_leases and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert await manager.redis.exists(key)  # written at the lease's end
        assert await drop(manager, State, "tab-1") is True
        assert not await manager.redis.exists(key)

        # Another worker's event or lease holds the tab's lock: not dropped either.
        await manager.redis.set(key, b"state")
        await manager.redis.set("tab-1_lock", b"another worker")
        assert await drop(manager, State, "tab-1") is False and await manager.redis.exists(key)
        await manager.redis.delete("tab-1_lock")
        assert await drop(manager, State, "tab-1") is True and not await manager.redis.exists(key)
        await manager.close()

    with services.redis() as url:
        asyncio.run(run(url))


def test_the_production_profile_keeps_tab_states_under_a_lease():
    import datetime as dt
    import importlib
    import os

    import rxconfig
    from reflex_base.environment import environment, oplock_hold_time

    from tests.support.settings import settings_overrides

    names = ("REFLEX_REDIS_URL", "REFLEX_OPLOCK_ENABLED", "REFLEX_OPLOCK_HOLD_TIME")
    before = {name: os.environ.pop(name, None) for name in names}
    try:
        with settings_overrides() as override:  # ends before rxconfig is loaded again below
            override.at_start(redis_url="redis://localhost:1/0")
            os.environ["REFLEX_REDIS_URL"] = "redis://localhost:1/0"  # Reflex's config reads it too
            importlib.reload(rxconfig)
            assert rxconfig.config.state_manager_mode == "redis"
            assert environment.REFLEX_OPLOCK_ENABLED.get() is True
            assert oplock_hold_time() == dt.timedelta(seconds=1)  # short: see rxconfig
    finally:
        for name, value in before.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
        importlib.reload(rxconfig)


def test_a_staff_desk_keeps_its_state_a_voter_tab_does_not():
    staff, voter = sessions.COOKIE["staff"], sessions.COOKIE["voter"]
    assert is_staff_tab({"cookie": f"lang=ky; {staff}=opaque"})
    assert not is_staff_tab({"cookie": f"lang=ky; {voter}=opaque"})
    assert not is_staff_tab({})
