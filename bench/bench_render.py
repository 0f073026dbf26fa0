"""Benchmark: streaming markdown rendering against writing the same deltas raw, in one process.

A generated markdown answer (paragraphs, inline markup, lists, headings, code fences) is fed
in small deltas to ``StreamingMarkdown`` on a rich Console that writes to a real pseudo-terminal
(a ``cat`` child drains the other side) and believes it is a 100x40 truecolor terminal, so the
live-tail path runs. The baselines get the same deltas on the same terminal:

- ``raw``: ``write(delta)`` then ``flush()`` for every delta, which is what a plain streaming
  client does (``print(delta, end="", flush=True)``) to show text as it arrives: the target;
- ``print``: ``console.print(delta, end="")``, the same text as plain rich output;
- ``null``: ``write(delta)`` into a sink that discards it, no terminal at all (Python's floor;
  printed for reference, not a target: any per-line work is many times a discarded write).

Two feeds:

- ``burst``: deltas arrive faster than the 50 ms throttle (the cost of rendering itself);
- ``paced``: a simulated clock advances 50 ms per delta, so the tail is repainted after every
  delta, the most the throttle allows (``cpu`` = render time / simulated streaming time). This
  one is a stress figure, not held to the target: it writes once per delta as raw does and
  also renders every line and the tail, so it cannot come near 2x raw.

Each case runs ``--runs`` times, interleaved. Times are medians; a ratio is the median of the
ratios within each round, so the machine's drift between rounds cancels out. Targets: markdown
at most 2x raw for 5,000 lines, and at most 2x the cost when the answer doubles (growth).

    .venv/bin/python bench/bench_render.py [--lines N] [--delta CHARS] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TextIO

sys.path.insert(0, os.fspath(Path(__file__).resolve().parent.parent / "src"))

from rich.console import Console

from devagent.ui.stream_md import StreamingMarkdown

_PARAGRAPHS = (
    "The loader reads each persona file once and keeps the parsed frontmatter, so a second\n"
    "lookup of the same name costs a dictionary access and nothing else.\n",
    "Run the **tests** again after the change: `pytest tests/ui -q` should pass, and the\n"
    "[style guide](https://example.com/style) explains why functions stay short.\n",
    "This paragraph is plain prose without any markup at all, the most common shape of\n"
    "an explanation, and it wraps over a couple of terminal lines when it is rendered.\n",
)
_LIST = "- first point about the *design*\n- second point, with `code`\n- third point\n"
_NUMBERED = "1. Read the file\n2. Change the function\n3. Run the tests\n"
_CODE = (
    "```python\n"
    "def total(items: list[int]) -> int:\n"
    '    """Add the items up."""\n'
    "    result = 0\n"
    "    for item in items:\n"
    "        result += item\n"
    "    return result\n"
    "```\n"
)


class NullSink:
    """A text file that discards what it is given (output cost without I/O noise)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return True


def make_answer(lines: int) -> str:
    """A markdown answer of exactly ``lines`` lines, cycling through common block shapes."""
    shapes = [*_PARAGRAPHS, _LIST, "## A section heading\n", _CODE, _NUMBERED]
    out: list[str] = []
    index = 0
    while len(out) < lines:
        out.extend((shapes[index % len(shapes)] + "\n").splitlines(keepends=True))
        index += 1
    return "".join(out[:lines])


def deltas(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@contextmanager
def terminal() -> Iterator[TextIO]:
    """The writing side of a pseudo-terminal whose reading side a ``cat`` child drains."""
    leader, follower = os.openpty()
    reader = subprocess.Popen(
        ["cat"], stdin=leader, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.close(leader)
    file = os.fdopen(follower, "w", encoding="utf-8", buffering=1 << 16)
    try:
        yield file
    finally:
        file.close()
        reader.wait()


TERMINAL: TextIO | None = None


def console(null: bool = False) -> Console:
    sink = NullSink() if null or TERMINAL is None else TERMINAL
    return Console(
        file=sink,  # type: ignore[arg-type]
        force_terminal=True,
        color_system="truecolor",
        width=100,
        height=40,
        highlight=False,
        emoji=False,
    )


def run_markdown(parts: list[str], step_s: float | None = None) -> float:
    """Seconds to stream ``parts``; ``step_s`` advances a simulated clock per delta."""
    target = console()
    now = [0.0]
    clock = (lambda: now[0]) if step_s is not None else time.monotonic
    started = time.perf_counter()
    stream = StreamingMarkdown(target, clock=clock)
    for part in parts:
        now[0] += step_s or 0.0
        stream.feed(part)
    stream.finish()
    return time.perf_counter() - started


def run_raw(parts: list[str]) -> float:
    file = console().file
    started = time.perf_counter()
    for part in parts:
        file.write(part)
        file.flush()
    return time.perf_counter() - started


def run_null(parts: list[str]) -> float:
    file = console(null=True).file
    started = time.perf_counter()
    for part in parts:
        file.write(part)
    return time.perf_counter() - started


def run_print(parts: list[str]) -> float:
    target = console()
    started = time.perf_counter()
    for part in parts:
        target.print(part, end="", markup=False)
    return time.perf_counter() - started


class Samples:
    """Seconds per job, one sample per round; the jobs of a round run one after another."""

    def __init__(self, runs: int, jobs: dict[str, Callable[[], float]]) -> None:
        self.times: dict[str, list[float]] = {name: [] for name in jobs}
        for _ in range(runs):
            for name, job in jobs.items():
                self.times[name].append(job())

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def ratio(self, name: str, base: str) -> float:
        """The median of the round-by-round ratios: runs of one round see the machine in the
        same state, so drift between rounds cancels out."""
        pairs = zip(self.times[name], self.times[base], strict=True)
        return statistics.median(a / b for a, b in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--delta", type=int, default=20)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    global TERMINAL
    with terminal() as TERMINAL:
        report(args.lines, args.delta, args.runs)


def report(lines: int, delta: int, runs: int) -> None:
    step = 0.05
    run_markdown(deltas(make_answer(200), delta))  # warm imports and caches
    sizes = (lines, 2 * lines)
    feeds = {n: deltas(make_answer(n), delta) for n in sizes}
    jobs: dict[str, Callable[[], float]] = {}
    for n, parts in feeds.items():
        jobs[f"burst {n}"] = partial(run_markdown, parts)
        jobs[f"paced {n}"] = partial(run_markdown, parts, step)
        jobs[f"raw {n}"] = partial(run_raw, parts)
        jobs[f"null {n}"] = partial(run_null, parts)
        jobs[f"print {n}"] = partial(run_print, parts)
    t = Samples(runs, jobs)
    print(f"deltas of {delta} chars to a pseudo-terminal, median of {runs} runs (ms)")
    for n in sizes:
        raw, plain, null = (t.median(f"{name} {n}") for name in ("raw", "print", "null"))
        print(
            f"{n:>6} lines ({len(feeds[n])} deltas): raw {raw * 1e3:6.1f}  "
            f"print {plain * 1e3:6.1f}  null {null * 1e3:5.1f}"
        )
        for feed in ("burst", "paced"):
            md, job = t.median(f"{feed} {n}"), f"{feed} {n}"
            paced = feed == "paced"
            extra = f"  cpu {md / (len(feeds[n]) * step):.2%}" if paced else ""
            target = "(stress, no target)" if paced else "(target <= 2x)"
            print(
                f"    {feed}: markdown {md * 1e3:6.1f}  vs raw {t.ratio(job, f'raw {n}'):5.2f}x"
                f" {target}  vs print {t.ratio(job, f'print {n}'):5.2f}x"
                f"  vs null {t.ratio(job, f'null {n}'):5.1f}x{extra}"
            )
    for feed in ("burst", "paced"):
        growth = t.ratio(f"{feed} {sizes[1]}", f"{feed} {sizes[0]}")
        print(f"growth when doubled ({feed}): {growth:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
