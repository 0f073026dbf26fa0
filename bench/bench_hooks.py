"""Benchmark: what hooks add to an event, in one process tree.

Fires one PreToolUse event N times through ``Hooks.fire`` and prints the median wall time for:
no hook configured (the cost every tool call pays), one trivial hook (``true``) against a bare
``subprocess.run(["bash", "-c", "true"])`` (the spawn itself), and four hooks that each sleep
0.2 s, whose median shows they run in parallel (sequential would take 0.8 s).

    .venv/bin/python bench/bench_hooks.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.fspath(Path(__file__).resolve().parent.parent / "src"))

from devagent.hooks.config import HookCommand, HookConfig
from devagent.hooks.dispatch import Hooks
from devagent.hooks.runner import shell

FIELDS = {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_use_id": "toolu_1"}


def median_s(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def hooks_of(commands: list[str], folder: Path) -> Hooks:
    config = HookConfig(
        tuple(HookCommand("PreToolUse", "", c, 60.0, folder / "settings.json") for c in commands)
    )
    return Hooks(config, project_dir=folder, cwd=folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        none = hooks_of([], folder)
        one = hooks_of(["true"], folder)
        four = hooks_of([f"sleep 0.2; echo {i}" for i in range(4)], folder)
        bare = median_s(runs, lambda: subprocess.run([shell(), "-c", "true"], check=False))
        empty = median_s(runs, lambda: none.fire("PreToolUse", FIELDS, target="Bash"))
        single = median_s(runs, lambda: one.fire("PreToolUse", FIELDS, target="Bash"))
        parallel = median_s(max(3, runs // 5), lambda: four.fire("PreToolUse", FIELDS))
    print(f"no hook configured:         {empty * 1e6:8.1f} us per event")
    print(
        f"one `true` hook:            {single * 1e3:8.2f} ms per event "
        f"({single / bare:.2f}x a bare bash -c true: {bare * 1e3:.2f} ms)"
    )
    print(
        f"four 0.2 s hooks:           {parallel * 1e3:8.1f} ms per event "
        f"({parallel / 0.8:.2f}x of running them one after another, 800 ms)"
    )


if __name__ == "__main__":
    main()
