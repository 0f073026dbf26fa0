"""One-shot end to end: `devagent -p` against a local scripted Messages API, beside a bare
script using the official SDK and, when `claude` is on PATH, beside `claude -p`.

The fake API of ``tests/fakes`` runs in this process and answers every request with a short
streamed text reply; each command is run ``--runs`` times, interleaved so all see the same
machine load, and the script prints each median, the ratios, and the peak RSS of one run of
each. Target on a 2-core machine: `devagent -p` <= 1.0x `claude -p`.

    .venv/bin/python bench/bench_oneshot.py [--runs 11] [--claude PATH]

Claude Code is pointed at the fake API with ANTHROPIC_BASE_URL and a dummy key, with its
non-essential traffic (telemetry, update checks) switched off; it runs in a private HOME.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.fspath(ROOT / "tests"))

from fakes.fake_api import FakeAPI, text_reply  # noqa: E402

ANSWER = "Hello from the scripted API."
SDK_SCRIPT = """
import os, anthropic
client = anthropic.Anthropic(max_retries=0)
with client.messages.stream(
    model="claude-sonnet-4-5", max_tokens=1024, messages=[{"role": "user", "content": "hi"}]
) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)
print()
"""
Case = tuple[list[str], dict[str, str]]  # argv, environment
QUIET_CLAUDE = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
}


def devagent_exe() -> str:
    exe = Path(sys.executable).parent / "devagent"
    if not exe.exists():
        raise SystemExit("devagent is not installed in this environment")
    return os.fspath(exe)


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or ANSWER not in done.stdout:
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def peak_rss_mib(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """The peak resident memory of one run, read from a wrapper process's child rusage."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, capture_output=True, check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], env=env, cwd=cwd, capture_output=True, text=True
    )
    return int(out.stdout.strip()) / 1024


def cases(args: argparse.Namespace, tmp: Path, base_url: str) -> dict[str, Case]:
    env = dict(os.environ, ANTHROPIC_API_KEY="sk-ant-bench-dummy", ANTHROPIC_BASE_URL=base_url)
    env.pop("ANTHROPIC_AUTH_TOKEN", None)
    # An installed program runs from compiled bytecode (pip compiles wheels; an editable install
    # writes it on first run). With PYTHONDONTWRITEBYTECODE set, every run would recompile
    # devagent's sources (~0.15 s), so the warm-up round is allowed to write it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    found: dict[str, Case] = {
        "devagent -p": (
            [devagent_exe(), "-p", "hi"],
            {**env, "DEVAGENT_HOME": os.fspath(tmp / "devagent-home")},
        ),
        "bare SDK script": ([sys.executable, "-c", SDK_SCRIPT], env),
    }
    claude = args.claude or shutil.which("claude")
    if claude:
        home = tmp / "claude-home"
        home.mkdir()
        found["claude -p"] = ([claude, "-p", "hi"], {**env, **QUIET_CLAUDE, "HOME": str(home)})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--claude", help="the claude executable (default: claude on PATH)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir, FakeAPI() as api:
        tmp = Path(tmp_dir)
        work = tmp / "project"
        work.mkdir()
        runs = cases(args, tmp, api.base_url)
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for i in range(args.runs + 1):  # the first round warms the disk cache and is dropped
            order = list(runs) if i % 2 else list(reversed(runs))
            for name in order:
                api.enqueue(*(text_reply(ANSWER) for _ in range(4)))
                elapsed = timed(*runs[name], work)
                if i:
                    samples[name].append(elapsed)
        rss = {name: peak_rss_mib(*runs[name], work) for name in runs}
        if "claude -p" not in runs:
            print("claude is not on PATH (or --claude): no `claude -p` comparison")
        report(samples, rss, args.runs)


def report(samples: dict[str, list[float]], rss: dict[str, float], runs: int) -> None:
    medians = {name: statistics.median(times) for name, times in samples.items()}
    print(f"one-shot `-p hi` against the local scripted API, {runs} runs each, medians:")
    for name, median in medians.items():
        spread = f"{min(samples[name]):.2f}-{max(samples[name]):.2f}"
        print(f"  {name:16} {median:6.3f} s  (range {spread} s)  peak RSS {rss[name]:6.1f} MiB")
    ours = medians["devagent -p"]
    for other in ("bare SDK script", "claude -p"):
        if other in medians:
            print(f"  devagent -p / {other}: {ours / medians[other]:.2f}x")
    print("target: devagent -p <= 1.0x claude -p")


if __name__ == "__main__":
    main()
