"""Reflex and `limits` upgrades meet remote_vote_app/internals.py, and this test says so loudly."""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version

from limits.storage import MemoryStorage

from remote_vote_app import internals


def test_the_installed_versions_are_the_ones_the_adapter_was_written_for():
    for package, written_for in internals.WRITTEN_FOR.items():
        assert version(package) == written_for, (
            f"{package} {version(package)} is installed, remote_vote_app/internals.py was written for {written_for}: "
            "check each internal it uses against the new version, then update WRITTEN_FOR")


def test_the_quiet_storage_overrides_a_hook_memory_storage_still_calls():
    source = inspect.getsource(MemoryStorage)
    assert "def __schedule_expiry" in source and "self.__schedule_expiry()" in source
    assert "def __expire_events" in source and "self.timer" in source
    storage = internals.QuietMemoryStorage()
    storage.timer.join()  # the constructor's first 10 ms timer
    storage.incr("k", 60)
    assert storage.timer.interval == internals.QuietMemoryStorage.EXPIRY_SECONDS  # the override ran
    storage.timer.cancel()


def test_the_memory_state_manager_keeps_its_bookkeeping_where_the_adapter_reads_it():
    from reflex.istate.manager.memory import StateManagerMemory
    from reflex.istate.manager.token import BaseStateToken
    from reflex.state import State

    async def run():
        manager = StateManagerMemory()
        assert internals.state_manager_kind(manager) == "memory"
        token = BaseStateToken(ident="tab-1", cls=State)
        async with manager.modify_state(token):  # an event of the tab is running
            assert internals.forget_memory_tab(manager, "tab-1") is False
        assert "tab-1" in manager.states
        assert internals.forget_memory_tab(manager, "tab-1") is True
        assert "tab-1" not in manager.states
        await manager.close()

    asyncio.run(run())


def test_the_redis_keys_are_the_ones_reflex_writes():
    from reflex.state import State

    keys = internals.redis_tab_keys(State, "tab-1")
    assert keys[0] == "tab-1_lock"
    assert {f"tab-1_{cls.get_full_name()}" for cls in (State, *State.get_substates())} <= set(keys[1:])
    assert len(keys) == len(set(keys))


def test_the_socket_namespace_keeps_headers_and_the_token_manager_where_the_adapter_reads_them():
    from reflex.app import EventNamespace

    namespace = EventNamespace("/_event", None)
    namespace._static_router_data["sid-1"] = {"headers": {"cookie": "a=b"}}
    assert internals.socket_headers(namespace, "sid-1") == {"cookie": "a=b"}
    assert internals.socket_headers(namespace, "sid-2") == {}
    namespace.sid_to_token["sid-1"] = "tab-1"
    assert internals.socket_token(namespace, "sid-1") == "tab-1"
    assert hasattr(namespace._token_manager, "is_token_connected")


def test_the_client_vars_build():
    from reflex.vars.base import Var

    assert "connectErrors" in str(internals.connection_errors())
    var = internals.var_importing("(X[lang])", dict[str, str], Var(_js_expr="lang"), "$/public/x.js", "X")
    assert "$/public/x.js" in dict(var._get_all_var_data().imports)  # noqa: SLF001
