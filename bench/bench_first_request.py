"""Chat's first request: how long after Enter on turn 1 the request reaches the API.

Starts the real `devagent chat` in a pseudo-terminal against the scripted Messages API of
``tests/fakes`` (in this process, so both clocks are the same), waits for the prompt, types a
message a key at a time over ``--typing`` seconds (a person typing), presses Enter and takes
the time from Enter to the moment the fake API has read the request. Also runs the same with
Enter pressed as soon as the prompt shows (nothing warmed in time), and reports the time to the
prompt. Prints medians over ``--runs`` fresh chats. Target on a 2-core machine: <= 50 ms
after >= 2 s of typing.

    .venv/bin/python bench/bench_first_request.py [--runs 7] [--typing 2.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pexpect  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.fspath(ROOT / "tests"))

from fakes.fake_api import FakeAPI, RecordedRequest, Reply, text_reply  # noqa: E402

PROMPT = r">\x1b\[0m"  # the empty prompt, as prompt_toolkit draws it with NO_COLOR
CURSOR_QUERY = r"\x1b\[6n"
ANSWER = "the scripted answer"


@dataclass(frozen=True)
class Sample:
    prompt_s: float
    first_request_s: float


def devagent_exe() -> str:
    exe = Path(sys.executable).parent / "devagent"
    if not exe.exists():
        raise SystemExit("devagent is not installed in this environment")
    return os.fspath(exe)


def wait_for_prompt(child: pexpect.spawn) -> None:
    """Answer the terminal's cursor-position queries until the prompt is drawn."""
    while child.expect([CURSOR_QUERY, PROMPT]) == 0:
        child.send("\x1b[1;1R")


def type_slowly(child: pexpect.spawn, text: str, seconds: float) -> None:
    """Type ``text`` a key at a time over ``seconds``, reading what the chat draws meanwhile
    (as a terminal would), so its writes never wait for a full pseudo-terminal buffer."""
    pause = seconds / len(text)
    for key in text:
        child.send(key)
        if pause > 0:
            child.expect([pexpect.TIMEOUT], timeout=pause)


def one_chat(api: FakeAPI, env: dict[str, str], cwd: Path, typing_s: float) -> Sample:
    received: list[float] = []

    def answer(_request: RecordedRequest) -> Reply:
        received.append(time.perf_counter())
        return text_reply(ANSWER)

    api.enqueue(answer)
    started = time.perf_counter()
    child = pexpect.spawn(
        devagent_exe(), [], env=env, cwd=os.fspath(cwd), dimensions=(40, 110), encoding="utf-8"
    )
    child.delaybeforesend = None
    try:
        wait_for_prompt(child)
        prompt_s = time.perf_counter() - started
        type_slowly(child, "say something", typing_s)
        enter = time.perf_counter()
        child.send("\r")
        child.expect(ANSWER, timeout=30)
        wait_for_prompt(child)
        child.send("/exit\r")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    return Sample(prompt_s, received[0] - enter)


def run_mode(api: FakeAPI, env: dict[str, str], cwd: Path, typing_s: float, runs: int) -> None:
    samples = [one_chat(api, env, cwd, typing_s) for _ in range(runs)]
    first = sorted(s.first_request_s * 1000 for s in samples)
    prompt = statistics.median(s.prompt_s for s in samples)
    print(
        f"Enter after {typing_s:.1f} s of typing: first request {statistics.median(first):6.1f} ms"
        f" after Enter (min {first[0]:.1f}, max {first[-1]:.1f}); prompt shown after"
        f" {prompt:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--typing", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeAPI() as api:
        work = Path(tmp) / "project"
        work.mkdir()
        (work / "README.md").write_text("a project\n")
        env = dict(
            os.environ,
            ANTHROPIC_API_KEY="sk-ant-bench",
            ANTHROPIC_BASE_URL=api.base_url,
            DEVAGENT_HOME=os.fspath(Path(tmp) / "home"),
            NO_COLOR="1",
        )
        print(f"devagent chat, {args.runs} fresh chats per line, medians:")
        run_mode(api, env, work, args.typing, args.runs)
        run_mode(api, env, work, 0.0, args.runs)
        print("target: <= 50 ms after >= 2 s of typing")


if __name__ == "__main__":
    main()
