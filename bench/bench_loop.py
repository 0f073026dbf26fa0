"""Loop overhead: a 50-tool-call agent run against the fake API vs a bare SDK loop.

The agent run uses the real Anthropic client (the native httpx one devagent uses, or the SDK
adapter with ``--adapter sdk``) and a trivial tool (TodoWrite). The fake server
records every request; the bare loop then replays exactly those request bodies with the SDK
(streaming, iterating every event) and nothing else. The difference divided by the number of
round-trips is devagent's overhead per round-trip (target: <= 5 ms). Both run in this process,
alternating, and medians are reported.

    python bench/bench_loop.py [--calls 50] [--repeat 5] [--adapter native|sdk]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from devagent.agent import Agent, Limits  # noqa: E402
from devagent.approval import DenyingApprover, ReadOnlyPolicy  # noqa: E402
from devagent.events import discard  # noqa: E402
from devagent.llm.anthropic import AnthropicModel  # noqa: E402
from devagent.llm.anthropic_native import AnthropicNativeModel  # noqa: E402
from devagent.tools.base import ToolContext  # noqa: E402
from devagent.tools.catalog import default_registry  # noqa: E402
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply  # noqa: E402

TODO = {"todos": [{"content": "step", "status": "in_progress", "activeForm": "stepping"}]}


def script(fake: FakeAPI, calls: int) -> None:
    fake.enqueue(*(tool_reply(tool_call("TodoWrite", TODO)) for _ in range(calls)))
    fake.enqueue(text_reply("done"))


ADAPTERS = {"native": AnthropicNativeModel, "sdk": AnthropicModel}


def agent_run(fake: FakeAPI, calls: int, workspace: Path, adapter: str) -> float:
    script(fake, calls)
    model = ADAPTERS[adapter]("claude-sonnet-5-5", api_key="bench", base_url=fake.base_url)
    agent = Agent(
        model=model,
        tools=default_registry(),
        ctx=ToolContext(workspace=workspace, cwd=workspace),
        policy=ReadOnlyPolicy(),
        approver=DenyingApprover(),
        system="bench",
        emit=discard,
        limits=Limits(max_turns=calls + 5),
    )
    start = time.perf_counter()
    result = agent.run("go")
    elapsed = time.perf_counter() - start
    assert result.subtype == "success" and result.num_turns == calls + 1, result
    return elapsed


def bare_run(fake: FakeAPI, bodies: list[dict[str, Any]]) -> float:
    import anthropic

    client = anthropic.Anthropic(api_key="bench", base_url=fake.base_url, max_retries=0)
    script(fake, len(bodies) - 1)
    start = time.perf_counter()
    for body in bodies:
        params = {k: v for k, v in body.items() if k != "stream"}
        with client.messages.create(**params, stream=True) as events:
            for _event in events:
                pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--adapter", choices=sorted(ADAPTERS), default="native")
    args = parser.parse_args()
    agent_times: list[float] = []
    bare_times: list[float] = []
    with FakeAPI() as fake, tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp).resolve()
        agent_run(fake, args.calls, workspace, args.adapter)  # warm-up: imports, connection pool
        bodies = [r.json for r in fake.requests[-(args.calls + 1) :]]
        bare_run(fake, bodies)
        for _ in range(args.repeat):
            agent_times.append(agent_run(fake, args.calls, workspace, args.adapter))
            bare_times.append(bare_run(fake, bodies))
    trips = args.calls + 1
    agent_s, bare_s = statistics.median(agent_times), statistics.median(bare_times)
    print(f"round-trips per run: {trips} ({args.calls} tool calls), repeats: {args.repeat}")
    print(f"agent loop, {args.adapter} client (median): {agent_s * 1000:8.1f} ms")
    print(f"bare SDK (median):                 {bare_s * 1000:8.1f} ms")
    print(f"ratio: {agent_s / bare_s:.2f}x")
    print(f"overhead per round-trip: {(agent_s - bare_s) / trips * 1000:.2f} ms (target <= 5 ms)")


if __name__ == "__main__":
    main()
