"""Sandbox cost: one Bash call through the real tool, plain vs under bubblewrap, and the probe.

Each round runs the same command through ``Bash`` twice, once with no launcher and once with
the workspace-write sandbox, alternating so both see the same machine load; medians and the
ratio are printed. The probe (a trial ``bwrap ... true`` run, paid once per process when a
run starts) is timed uncached.

    python bench/bench_sandbox.py [--repeat 30] [--command 'true']
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from devagent.sandbox.bwrap import forget_probes, probe  # noqa: E402
from devagent.sandbox.config import SandboxSettings  # noqa: E402
from devagent.sandbox.launcher import Sandbox  # noqa: E402
from devagent.tools.base import ToolContext  # noqa: E402
from devagent.tools.bash import Bash, shutdown_all  # noqa: E402


def timed_call(ctx: ToolContext, command: str) -> float:
    start = time.perf_counter()
    result = Bash().prepare({"command": command}, ctx).execute()
    elapsed = time.perf_counter() - start
    assert not result.is_error, result
    return elapsed


def probe_ms() -> float:
    forget_probes()
    start = time.perf_counter()
    found = probe(os.environ)
    elapsed = (time.perf_counter() - start) * 1000
    assert found.works, found.problem
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--command", default="true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        subprocess.run(["git", "init", "-q", str(ws)], check=True)
        sandbox = Sandbox.for_run(
            SandboxSettings(), workspace=ws, home=Path.home(), state_dir=Path(tmp), env=os.environ
        )
        plain = ToolContext(workspace=ws, cwd=ws)
        boxed = ToolContext(workspace=ws, cwd=ws, launcher=sandbox)
        timed_call(plain, args.command), timed_call(boxed, args.command)  # warm up
        bare, wrapped = [], []
        for _ in range(args.repeat):
            bare.append(timed_call(plain, args.command))
            wrapped.append(timed_call(boxed, args.command))
        probes = [probe_ms() for _ in range(10)]
        shutdown_all(plain), shutdown_all(boxed)
    b, w = statistics.median(bare) * 1000, statistics.median(wrapped) * 1000
    print(f"command: {args.command!r}, {args.repeat} rounds")
    print(f"plain Bash call:     median {b:7.2f} ms")
    print(f"sandboxed Bash call: median {w:7.2f} ms  (ratio {w / b:.2f}x, +{w - b:.2f} ms)")
    print(f"bwrap probe:         median {statistics.median(probes):7.2f} ms (once per process)")


if __name__ == "__main__":
    main()
