"""Keys typed while a turn runs: the editing rules, and the terminal mode over a real pty."""

from __future__ import annotations

import os
import termios
import threading
from collections.abc import Iterator

import pytest

from devagent.ui.typeahead import TypeAhead, typed_text


@pytest.mark.parametrize(
    ("keys", "text"),
    [
        (b"fix the tests", "fix the tests"),
        (b"first\rsecond\n", "first\nsecond"),  # Enter keeps a new line, never sends
        (b"tpyo\x7f\x7f\x7fypo", "typo"),  # backspace (DEL) ...
        (b"ab\x08c", "ac"),  # ... and Ctrl-H
        (b"line one\rwrong line\x15right", "line one\nright"),  # Ctrl-U: this line only
        (b"keep this  drop\x17that", "keep this  that"),  # Ctrl-W: one word back
        (b"a\x1b[Ab\x1bOBc\x1bxd", "abcd"),  # arrows, SS3 keys and Alt-x are dropped
        (b"\x01\x02tab\there\x07", "tab\there"),  # other control keys are dropped
        ("caf\u00e9 \u2713".encode(), "caf\u00e9 \u2713"),
        (b"\r\r", ""),
    ],
)
def test_typed_text_applies_the_editing_keys(keys: bytes, text: str) -> None:
    assert typed_text(keys) == text


@pytest.fixture
def pty() -> Iterator[tuple[int, int]]:
    """(keyboard side, program side) of a real pseudo-terminal."""
    leader, follower = os.openpty()
    yield leader, follower
    os.close(leader)
    os.close(follower)


def test_quiet_turns_echo_and_line_editing_off_and_restores_the_mode(
    pty: tuple[int, int],
) -> None:
    _, follower = pty
    before = termios.tcgetattr(follower)
    assert before[3] & termios.ECHO and before[3] & termios.ICANON
    typed = TypeAhead(follower)
    with pytest.raises(RuntimeError), typed.quiet():
        during = termios.tcgetattr(follower)
        assert not during[3] & (termios.ECHO | termios.ICANON)
        assert during[3] & termios.ISIG  # Ctrl-C still interrupts the turn
        raise RuntimeError("the turn failed")
    assert termios.tcgetattr(follower) == before


def test_keys_typed_during_a_turn_are_kept_even_without_enter(pty: tuple[int, int]) -> None:
    keyboard, follower = pty
    typed = TypeAhead(follower)
    with typed.quiet():
        os.write(keyboard, b"also add a test\rand docs")  # the last line has no Enter yet
        typed.drain()
        os.write(keyboard, b" please")
    echoed = os.read(keyboard, 100) if _readable(keyboard) else b""
    assert echoed == b""  # the terminal showed none of it
    assert typed.take() == "also add a test\nand docs please"
    assert typed.take() == ""  # taken once


def test_drain_before_a_question_keeps_the_keys_from_the_answer(pty: tuple[int, int]) -> None:
    keyboard, follower = pty
    typed = TypeAhead(follower)
    with typed.quiet():
        os.write(keyboard, b"y\r")
        typed.drain()  # what PromptInput.ask does before asking
        assert not _readable(follower)  # the question would find nothing to read
    assert typed.take() == "y"


def test_without_a_terminal_nothing_changes(tmp_path: os.PathLike[str]) -> None:
    with open(os.path.join(tmp_path, "file"), "w+b") as file:
        typed = TypeAhead(file.fileno())
        with typed.quiet():
            typed.drain()
        assert typed.take() == ""
    assert TypeAhead(None).take() == ""


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0.05)[0])


def _watched(follower: int) -> tuple[TypeAhead, threading.Event, list[int]]:
    pressed = threading.Event()
    count: list[int] = []

    def on_escape() -> None:
        count.append(1)
        pressed.set()

    return TypeAhead(follower, on_escape=on_escape), pressed, count


def test_esc_during_a_turn_calls_on_escape_and_is_not_kept(pty: tuple[int, int]) -> None:
    keyboard, follower = pty
    typed, pressed, count = _watched(follower)
    with typed.quiet():
        os.write(keyboard, b"fix it\x1b[A")  # text, then an arrow: not Esc
        os.write(keyboard, b"\x1b")  # Esc alone
        assert pressed.wait(10), "Esc was not noticed"
        os.write(keyboard, b" later")
    assert count == [1]
    assert typed.take() == "fix it later"


def test_while_a_question_reads_the_keys_the_watch_leaves_them_alone(
    pty: tuple[int, int],
) -> None:
    keyboard, follower = pty
    typed, pressed, count = _watched(follower)
    with typed.quiet():
        os.write(keyboard, b"typed before")
        with typed.paused():
            os.write(keyboard, b"\x1b")  # Esc for the question, not for the turn
            assert _readable(follower)
            assert os.read(follower, 10) == b"\x1b"  # the question reads it
        os.write(keyboard, b"\x1b")  # the turn goes on: Esc is watched again
        assert pressed.wait(10)
    assert count == [1]
    assert typed.take() == "typed before"


def test_without_on_escape_esc_is_kept_and_dropped_as_a_key(pty: tuple[int, int]) -> None:
    keyboard, follower = pty
    typed = TypeAhead(follower)
    with typed.quiet():
        os.write(keyboard, b"a\x1bb")
    assert typed.take() == "a"  # ESC b is Alt-b, a key like the arrows: dropped
