"""Every private Reflex and `limits` internal the app leans on, and nothing else.

Written for the versions in WRITTEN_FOR; tests/unit/test_internals.py fails on any other version
and checks each internal used here still has the shape this module expects. An upgrade is a change
to this file (and its test), not a hunt through the tree.

Reflex is imported inside the functions: `services/` use the `limits` part, and services import no
Reflex.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from limits.storage import MemoryStorage

WRITTEN_FOR = {"reflex": "0.10.1", "limits": "5.8.0"}


# --- limits --------------------------------------------------------------------------------------

class QuietMemoryStorage(MemoryStorage):
    """`limits`' memory storage walks every key 100 times a second while hits keep coming (a 10 ms
    expiry timer), so its cost grew with the number of voters seen. Expiry only frees memory
    (windows are checked by timestamp), so here it runs every few seconds."""

    EXPIRY_SECONDS = 5.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the base class's private hook
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.EXPIRY_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


# --- Reflex: the state managers (web/closed_tabs.py) ----------------------------------------------

def state_manager_kind(manager: Any) -> str:
    """"memory", "redis" or "other" (the disk manager keeps its own expiry)."""
    from reflex.istate.manager.memory import StateManagerMemory
    from reflex.istate.manager.redis import StateManagerRedis

    if isinstance(manager, StateManagerMemory):
        return "memory"
    if isinstance(manager, StateManagerRedis):
        return "redis"
    return "other"


def forget_memory_tab(manager: Any, token: str) -> bool:
    """Drop one tab's state from the in-process manager; False while an event of the tab holds its lock."""
    lock = manager._states_locks.get(token)
    if lock is not None and lock.locked():
        return False
    entry = manager._token_expires_at.get(token)
    if entry is not None:
        manager._purge_token(entry[1])
    return True


def _state_classes(root: type) -> Iterator[type]:
    yield root
    for sub in root.get_substates():
        yield from _state_classes(sub)


def redis_tab_keys(root: type, token: str) -> list[str]:
    """The tab's lock key, then the key of each substate, as Reflex's Redis manager names them."""
    from reflex.istate.manager.redis import StateManagerRedis
    from reflex.istate.manager.token import BaseStateToken

    tab = BaseStateToken(ident=token, cls=root)
    return [StateManagerRedis._lock_key(tab).decode(), *(tab._state_key(cls) for cls in _state_classes(root))]


# --- Reflex: the app's socket namespace -----------------------------------------------------------

def root_state(app: Any) -> type:
    return app._state


def token_manager(app: Any) -> Any:
    """Which tokens have a socket on any worker (`is_token_connected`)."""
    return app.event_namespace._token_manager


def socket_token(namespace: Any, sid: str) -> str | None:
    """The tab token a connected socket carries."""
    return namespace.sid_to_token.get(sid)


def socket_headers(namespace: Any, sid: str) -> dict[str, str]:
    """The handshake headers Reflex kept for a connected socket."""
    return namespace._static_router_data.get(sid, {}).get("headers", {})


def page_routes(app: Any) -> set[str]:
    """The routes of the pages added to the app, as paths ("/" for the index, "404" kept as is)."""
    return {"/" if key == "index" else key if key == "404" else "/" + key for key in app._unevaluated_pages}


# --- Reflex: client-side vars ---------------------------------------------------------------------

def connection_errors() -> Any:
    """Reflex's client var: the websocket reports connection errors."""
    try:
        from reflex.components.core.banner import has_connection_errors
    except ImportError:  # pragma: no cover - the package layout of Reflex 0.10
        from reflex_components_core.core.banner import has_connection_errors
    return has_connection_errors


def var_importing(js_expr: str, var_type: type, depends_on: Any, library: str, tag: str,
                  hooks: dict[str, tuple[str, ...]] | None = None) -> Any:
    """A client var computed from `depends_on` by `js_expr`, which uses `tag` imported from `library`;
    `hooks`: statements the component rendering the var runs first, with the tags they import from it."""
    from reflex.utils.imports import ImportVar
    from reflex.vars.base import Var, VarData

    hooks = hooks or {}
    tags = [tag, *(t for used in hooks.values() for t in used)]
    data = VarData.merge(depends_on._get_all_var_data(),
                         VarData(imports={library: [ImportVar(tag=t) for t in tags]}, hooks=dict.fromkeys(hooks)))
    return Var(_js_expr=js_expr, _var_type=var_type, _var_data=data).guess_type()
