"""Benchmark: the Grep tool against bare ``rg`` with the same flags, in one process tree.

Runs each case N times, alternating the tool and the bare command so both see the same cache
state, and prints the median wall time of each and their ratio (target: at most 1.10x).
The corpus is the Python standard library unless ``--corpus DIR`` is given.

    .venv/bin/python bench/bench_grep.py [--runs N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, os.fspath(Path(__file__).resolve().parent.parent / "src"))

from devagent.tools.base import ToolContext
from devagent.tools.grep import GrepTool, parse_query, rg_argv
from devagent.tools.paths import display_path
from devagent.tools.ripgrep import default_rg


@dataclass(frozen=True)
class Case:
    label: str
    args: dict[str, object]


CASES = (
    Case("files_with_matches 'import os'", {"pattern": "import os"}),
    Case(
        "content 'class \\w+Error\\('",
        {"pattern": r"class \w+Error\(", "output_mode": "content"},
    ),
    Case(
        "content -i -C2 'deprecated'",
        {"pattern": "deprecated", "output_mode": "content", "-i": True, "-C": 2},
    ),
    Case("count 'def __init__'", {"pattern": "def __init__", "output_mode": "count"}),
)


def time_tool(tool: GrepTool, case: Case, ctx: ToolContext) -> float:
    started = time.perf_counter()
    tool.prepare(case.args, ctx).execute()
    return time.perf_counter() - started


def time_bare(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return time.perf_counter() - started


def bench_case(case: Case, rg: Path, ctx: ToolContext, runs: int) -> tuple[float, float]:
    tool = GrepTool(engine="ripgrep", rg_path=rg)
    query = parse_query(case.args, ctx)
    argv = rg_argv(rg, query, display_path(query.target, ctx.workspace))
    time_tool(tool, case, ctx)
    time_bare(argv, ctx.workspace)
    tool_times: list[float] = []
    bare_times: list[float] = []
    for i in range(runs):
        pair = [lambda: time_tool(tool, case, ctx), lambda: time_bare(argv, ctx.workspace)]
        if i % 2:
            bare_times.append(pair[1]())
            tool_times.append(pair[0]())
        else:
            tool_times.append(pair[0]())
            bare_times.append(pair[1]())
    return statistics.median(tool_times), statistics.median(bare_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--corpus", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    options = parser.parse_args()
    rg = default_rg()
    if rg is None:
        print("rg not found; nothing to compare", file=sys.stderr)
        return 1
    corpus = options.corpus.resolve()
    ctx = ToolContext(workspace=corpus, cwd=corpus)
    print(f"corpus: {corpus}   rg: {rg}   runs: {options.runs}")
    print(f"{'case':<36} {'tool ms':>9} {'rg ms':>9} {'ratio':>7}")
    worst = 0.0
    for case in CASES:
        tool_s, bare_s = bench_case(case, rg, ctx, options.runs)
        ratio = tool_s / bare_s
        worst = max(worst, ratio)
        print(f"{case.label:<36} {tool_s * 1000:>9.1f} {bare_s * 1000:>9.1f} {ratio:>6.2f}x")
    print(f"worst ratio: {worst:.2f}x (target <= 1.10x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
