"""Benchmark: streaming markdown rendering against writing the same deltas raw, in one process.

A generated markdown answer (paragraphs, inline markup, lists, headings, code fences) is fed
in small deltas into ``StreamingMarkdown`` on a rich Console that believes it is a terminal
(``force_terminal=True``, truecolor), so the live-tail path runs; its output goes to a discard
sink. The baseline writes each delta raw with ``console.file.write`` to the same kind of sink.
Each case runs ``--runs`` times, alternating the two; medians are compared. Printed:

- ratio = markdown / raw for a 5,000-line answer (target: at most 2x), and for 10,000 lines;
- growth = cost(10,000 lines) / cost(5,000 lines) for the markdown path (target: at most 2x).

The throttle is the production default (50 ms), so the number of tail repaints depends on how
fast the machine renders, as it would in a terminal.

    .venv/bin/python bench/bench_render.py [--lines N] [--delta CHARS] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

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
    count, index = 0, 0
    while count < lines:
        block = shapes[index % len(shapes)] + "\n"
        out.append(block)
        count += block.count("\n")
        index += 1
    return "".join(out).splitlines(keepends=True)[:lines] and "".join(
        "".join(out).splitlines(keepends=True)[:lines]
    )


def deltas(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def console() -> Console:
    return Console(
        file=NullSink(),  # type: ignore[arg-type]
        force_terminal=True,
        color_system="truecolor",
        width=100,
        height=40,
        highlight=False,
        emoji=False,
    )


def run_markdown(parts: list[str]) -> float:
    target = console()
    started = time.perf_counter()
    stream = StreamingMarkdown(target)
    for part in parts:
        stream.feed(part)
    stream.finish()
    return time.perf_counter() - started


def run_raw(parts: list[str]) -> float:
    target = console()
    started = time.perf_counter()
    for part in parts:
        target.file.write(part)
    target.file.flush()
    return time.perf_counter() - started


def median_of(runs: int, *jobs: Callable[[], float]) -> list[float]:
    samples: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for i, job in enumerate(jobs):
            samples[i].append(job())
    return [statistics.median(s) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--delta", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run_markdown(deltas(make_answer(200), args.delta))  # warm imports and caches
    small = deltas(make_answer(args.lines), args.delta)
    large = deltas(make_answer(2 * args.lines), args.delta)
    md_small, raw_small, md_large, raw_large = median_of(
        args.runs,
        lambda: run_markdown(small),
        lambda: run_raw(small),
        lambda: run_markdown(large),
        lambda: run_raw(large),
    )
    print(f"deltas of {args.delta} chars; baseline: console.file.write of each delta")
    for lines, md, raw in (
        (args.lines, md_small, raw_small),
        (2 * args.lines, md_large, raw_large),
    ):
        print(
            f"{lines:>6} lines: markdown {md * 1000:8.1f} ms  raw {raw * 1000:8.1f} ms  "
            f"ratio {md / raw:6.2f}x"
        )
    print(f"growth when doubled: {md_large / md_small:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
