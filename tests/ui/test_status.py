"""The live status line and the toolbar under it (golden), and how the chat view feeds them."""

from __future__ import annotations

import io

from rich.console import Console

from devagent.events import TextDelta, ToolStarted, TurnUsage
from devagent.messages import Usage
from devagent.ui.chat_view import ChatView
from devagent.ui.console import make_console
from devagent.ui.status import StatusLine, TurnClock, elapsed_text, short_count

TOOLBAR = " claude-sonnet-4-5 · agent: default · mode: default (shift+tab) · 8.1k tokens "


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def render(line: StatusLine, width: int = 90, colour: bool = False) -> str:
    out = io.StringIO()
    env = {"FORCE_COLOR": "1", "COLORTERM": "truecolor"} if colour else {}
    make_console(file=out, env=env, width=width).print(line)
    return out.getvalue()


def started(clock: Clock, tokens: int = 0) -> TurnClock:
    turn = TurnClock(clock)
    turn.start()
    turn.add(Usage(input_tokens=tokens))
    return turn


def test_the_status_line_counts_seconds_and_tokens_above_the_toolbar() -> None:
    clock = Clock()
    turn = started(clock, tokens=3000)
    turn.add(Usage(output_tokens=350, cache_read_input_tokens=50))
    clock.now = 112.9
    line = StatusLine("Running Bash…", turn, lambda: TOOLBAR)
    assert render(line) == (
        "⠋ Running Bash… (12s · 3.4k tokens · esc to interrupt)\n" + TOOLBAR + "\n"
    )


def test_no_tokens_before_the_first_reply_and_no_toolbar_without_one() -> None:
    clock = Clock()
    turn = started(clock)
    clock.now = 103.0
    assert render(StatusLine("Thinking…", turn)) == "⠋ Thinking… (3s · esc to interrupt)\n"


def test_rows_are_cut_at_the_width() -> None:
    clock = Clock()
    line = StatusLine("Running Grep, Read…", started(clock, 1_250_000), lambda: TOOLBAR)
    assert render(line, width=40) == (
        "⠋ Running Grep, Read… (0s · 1.2M tokens…\n claude-sonnet-4-5 · agent: default · m…\n"
    )


def test_the_seconds_count_up_each_time_it_is_drawn() -> None:
    clock = Clock()
    line = StatusLine("Thinking…", started(clock))
    clock.now = 100.5
    first = render(line)
    clock.now = 165.2
    assert first == "⠋ Thinking… (0s · esc to interrupt)\n"
    assert render(line)[1:] == " Thinking… (1m 05s · esc to interrupt)\n"  # after the frame


def test_in_colour_the_toolbar_is_reversed_and_the_status_dim() -> None:
    clock = Clock()
    line = StatusLine("Thinking…", started(clock), lambda: " m · mode: plan ")
    assert render(line, colour=True) == (
        "\x1b[36m⠋\x1b[0m\x1b[2m Thinking…\x1b[0m\x1b[2m (0s · esc to interrupt)\x1b[0m\n"
        "\x1b[7m m · mode: plan \x1b[0m\n"
    )


def test_counts_and_durations() -> None:
    assert [short_count(n) for n in (0, 999, 1000, 12_345, 2_500_000)] == [
        "0",
        "999",
        "1.0k",
        "12.3k",
        "2.5M",
    ]
    assert [elapsed_text(s) for s in (-1, 0.9, 59.99, 60, 3725)] == [
        "0s",
        "0s",
        "59s",
        "1m 00s",
        "62m 05s",
    ]


def test_the_turn_starts_once_and_resets_at_its_end() -> None:
    clock = Clock()
    turn = TurnClock(clock)
    turn.start()
    clock.now = 130.0
    turn.start()  # a later spinner in the same turn
    assert turn.started == 100.0
    turn.add(Usage(input_tokens=10, output_tokens=5))
    assert turn.describe() == "30s · 15 tokens · esc to interrupt"
    turn.reset()
    assert turn.tokens == 0
    assert turn.started is None


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_chat_view_shows_the_status_and_toolbar_on_a_terminal_and_counts_the_turn() -> None:
    console = Console(
        file=FakeTTY(), width=100, height=20, force_terminal=True, color_system=None, _environ={}
    )
    clock = Clock()
    view = ChatView(console, min_interval_s=0.0, toolbar=lambda: TOOLBAR, clock=clock)
    view.waiting(True)
    view(TurnUsage(Usage(input_tokens=1200, output_tokens=300), Usage(), 0.0))
    clock.now = 104.0
    view(ToolStarted("t1", "Bash", {"command": "make"}))
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Thinking… (0s · esc to interrupt)" in raw
    assert "Running Bash… (4s · 1.5k tokens · esc to interrupt)" in raw
    assert raw.count(TOOLBAR.rstrip()) >= 2
    view(TextDelta("Done."))  # text streams: the status goes away
    view.end_turn()
    assert view.turn.started is None and view.turn.tokens == 0
    clock.now = 200.0
    view.waiting(True)
    view.end_turn()
    assert "Thinking… (0s · esc to interrupt)" in console.file.getvalue()  # type: ignore[attr-defined]
