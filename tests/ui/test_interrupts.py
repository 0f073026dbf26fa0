"""InterruptGuard: a real SIGINT stops a running Bash command first, but unwinds the turn
when the command belongs to a sub-agent, which the guard tells by the tool's kind."""

from __future__ import annotations

import signal
import threading

import pytest

from devagent.events import ToolStarted
from devagent.ui.interrupts import InterruptGuard

BASH = ToolStarted("b1", "Bash", {"command": "sleep 5"}, "execute")


def test_the_first_press_during_bash_only_cancels_it() -> None:
    cancel = threading.Event()
    with InterruptGuard(cancel) as guard:
        guard.track(BASH)
        signal.raise_signal(signal.SIGINT)
    assert cancel.is_set() and guard.presses == 1


def test_bash_run_by_an_agent_kind_tool_unwinds_the_turn() -> None:
    guard = InterruptGuard(threading.Event())
    with guard, pytest.raises(KeyboardInterrupt):
        guard.track(ToolStarted("d1", "Delegate", {"prompt": "look"}, "agent"))
        guard.track(BASH)
        signal.raise_signal(signal.SIGINT)
    assert guard.cancel.is_set()


def test_a_tool_merely_named_task_is_no_sub_agent() -> None:
    cancel = threading.Event()
    with InterruptGuard(cancel) as guard:
        guard.track(ToolStarted("t1", "Task", {}, "other"))
        guard.track(BASH)
        signal.raise_signal(signal.SIGINT)
    assert cancel.is_set()
