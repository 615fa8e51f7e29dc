"""Drive Reflex State handlers outside the browser, exactly as the event processor calls them."""

from __future__ import annotations

import asyncio
import inspect

from reflex.state import State


class Browser:
    """One browser tab: its own root state and substates."""

    def __init__(self) -> None:
        self.root = State(_reflex_internal_init=True)

    def state(self, cls):
        return self.root.get_substate(cls.get_full_name().split(".")[1:])

    def call(self, cls, name, *args):
        return run(getattr(cls, name).fn(self.state(cls), *args))


def run(result):
    return asyncio.run(result) if inspect.iscoroutine(result) else result
