"""A closed tab's state is dropped after the grace (web/closed_tabs.py), against Reflex's own state
manager: these fail if Reflex 0.10's bookkeeping changes shape under the pinned version."""

import asyncio

from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.token import BaseStateToken
from reflex.state import State

from remote_vote_app.services import sessions
from remote_vote_app.web.closed_tabs import ClosedTabs, drop, is_staff_tab


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


def test_a_staff_desk_keeps_its_state_a_voter_tab_does_not():
    staff, voter = sessions.COOKIE["staff"], sessions.COOKIE["voter"]
    assert is_staff_tab({"cookie": f"lang=ky; {staff}=opaque"})
    assert not is_staff_tab({"cookie": f"lang=ky; {voter}=opaque"})
    assert not is_staff_tab({})
