"""Client-side GOV.UK pieces (ux.jsx): they work while the server is slow or unreachable."""

from __future__ import annotations

import reflex as rx

try:  # Reflex's own websocket state: connectErrors on the client
    from reflex.components.core.banner import has_connection_errors
except ImportError:  # pragma: no cover - the package layout of Reflex 0.10
    from reflex_components_core.core.banner import has_connection_errors

_LIBRARY = "$/public" + rx.asset("ux.jsx", shared=True)


class _Ux(rx.Component):
    library = _LIBRARY


class SkipLink(_Ux):
    tag = "SkipLink"
    text: rx.Var[str]


class ErrorSummary(_Ux):
    tag = "ErrorSummary"
    errors: rx.Var[dict[str, str]]
    title: rx.Var[str]
    prefix: rx.Var[str]
    seq: rx.Var[int]


class ConnectionStatus(_Ux):
    tag = "ConnectionStatus"
    lost: rx.Var[bool]
    lost_text: rx.Var[str]
    back_text: rx.Var[str]


class IdleWarning(_Ux):
    tag = "IdleWarning"
    active: rx.Var[bool]
    idle_seconds: rx.Var[int]
    warn_seconds: rx.Var[int]
    labels: rx.Var[dict[str, str]]
    on_continue: rx.EventHandler[lambda: []]


class CopyButton(_Ux):
    tag = "CopyButton"
    text: rx.Var[str]
    label: rx.Var[str]
    done_label: rx.Var[str]


class PrintButton(_Ux):
    tag = "PrintButton"
    label: rx.Var[str]


def connection_status(tr) -> rx.Component:
    return ConnectionStatus.create(lost=has_connection_errors, lost_text=tr["ux.connection_lost"],
                                   back_text=tr["ux.connection_back"])
