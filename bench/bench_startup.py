"""Startup cost: `devagent --version` and `devagent --help` against `python -c pass`.

Runs every command N times in this process tree, interleaved, and prints medians, the ratio to
the bare interpreter, and the peak RSS of `--help`. Targets on a 2-core machine:
--version <= 0.05 s, --help <= 0.12 s, --help peak RSS <= 40 MiB.

    python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def devagent_exe() -> str:
    found = shutil.which("devagent", path=str(Path(sys.executable).parent)) or shutil.which(
        "devagent"
    )
    if found is None:
        raise SystemExit("devagent is not installed in this environment")
    return found


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def peak_rss_mib(argv: list[str]) -> float:
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    exe = devagent_exe()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "devagent --version": [exe, "--version"],
        "devagent --help": [exe, "--help"],
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            samples[name].append(timed(argv))
    base = statistics.median(samples["python -c pass"])
    print(f"{'command':<22} {'median s':>9} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:>9.4f} {median / base:>6.2f}x")
    print(f"devagent --help peak RSS: {peak_rss_mib(cases['devagent --help']):.1f} MiB")


if __name__ == "__main__":
    main()
