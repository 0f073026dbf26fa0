"""The review runner with the scripted model: tools, validation round-trips, chunks, budget."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from devagent.approval import PermissionRequest
from devagent.errors import UsageError
from devagent.events import Event
from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from devagent.messages import ModelRequest, Usage
from devagent.review.runner import (
    REVIEW_INSTRUCTIONS,
    ReviewOptions,
    ReviewPlan,
    ReviewPolicy,
    plan_review,
    run_review,
)
from devagent.review.targets import TargetFile

Write = Callable[[Path, Mapping[str, str | bytes]], None]


class Recorder:
    def __init__(self) -> None:
        self.chunks: list[tuple[int, int, list[str]]] = []
        self.events: list[Event] = []

    def chunk_started(self, index: int, total: int, files: list[TargetFile]) -> None:
        self.chunks.append((index, total, [f.path for f in files]))

    def chunk_finished(self, index: int, total: int) -> None:
        return None

    def event(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture
def workspace(tmp_path: Path, write: Write) -> Path:
    ws = (tmp_path / "ws").resolve()
    write(
        ws,
        {
            "src/app.py": "def main():\n    data = open('x').read()\n    return data\n",
            "src/util.py": "def helper(a, b):\n    return a / b\n",
        },
    )
    return ws


def plan(workspace: Path, **options: Any) -> ReviewPlan:
    return plan_review(ReviewOptions(paths=("src",), **options), workspace, os.environ)


def finding(**changes: Any) -> dict[str, Any]:
    base = {
        "title": "Close the file",
        "body": "The file handle is never closed.",
        "priority": 1,
        "confidence": 0.9,
        "file_path": "src/app.py",
        "line_start": 2,
        "line_end": 2,
    }
    return {**base, **changes}


def last_results(request: ModelRequest) -> list[dict[str, Any]]:
    content = request.messages[-1]["content"]
    return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


def test_a_review_offers_read_only_tools_and_collects_findings(workspace: Path) -> None:
    model = ScriptedModel(
        [
            tool_reply(
                ("ReportFinding", finding()),
                ("ReportFinding", finding(file_path="src/util.py", line_start=2, priority=2)),
            ),
            text_reply("Two problems; otherwise fine."),
        ]
    )
    review = plan(workspace)
    result = run_review(review, lambda name: model, Recorder())
    model.assert_consumed()
    request = model.requests[0]
    assert [t.name for t in request.tools] == ["Read", "Grep", "Glob", "LS", "ReportFinding"]
    assert review.persona.name == "code-reviewer"
    assert request.system.startswith(review.persona.body.strip()[:40])
    assert REVIEW_INSTRUCTIONS in request.system
    prompt = request.messages[0]["content"]
    assert '<file path="src/app.py">\n     1\tdef main():' in prompt
    assert [(f.file_path, f.priority) for f in result.report.findings] == [
        ("src/app.py", 1),
        ("src/util.py", 2),
    ]
    assert result.report.summary == "Two problems; otherwise fine."
    assert result.report.files_reviewed == ["src/app.py", "src/util.py"]
    assert (result.requests, result.stop_kind, result.usage.input_tokens) == (2, None, 20)


def test_an_invalid_finding_goes_back_to_the_model_as_an_error(workspace: Path) -> None:
    def check_rejection(request: ModelRequest) -> Any:
        (result,) = last_results(request)
        assert result["is_error"] is True
        assert "line_end 40 is past the end of src/app.py, which has 3 lines" in result["content"]
        return tool_reply(("ReportFinding", finding(line_end=3)))

    model = ScriptedModel(
        [
            tool_reply(("ReportFinding", finding(line_end=40))),
            check_rejection,
            text_reply("Done."),
        ]
    )
    result = run_review(plan(workspace), lambda name: model, Recorder())
    model.assert_consumed()
    assert [(f.line_start, f.line_end) for f in result.report.findings] == [(2, 3)]


def test_tools_outside_the_review_set_are_not_offered_or_allowed(workspace: Path) -> None:
    def check(request: ModelRequest) -> Any:
        (result,) = last_results(request)
        assert result["is_error"] is True and "Unknown tool 'Bash'" in result["content"]
        return text_reply("Nothing found.")

    model = ScriptedModel([tool_reply(("Bash", {"command": "touch pwned"})), check])
    result = run_review(plan(workspace), lambda name: model, Recorder())
    assert result.report.findings == [] and not (workspace / "pwned").exists()
    policy = ReviewPolicy()
    assert policy.decide(PermissionRequest("Bash", {})).behavior == "deny"
    assert policy.decide(PermissionRequest("Write", {}, read_only=False)).behavior == "deny"
    assert policy.decide(PermissionRequest("ReportFinding", {})).behavior == "allow"


def test_a_persona_narrows_the_read_tools_but_keeps_report_finding(
    workspace: Path, write: Write
) -> None:
    write(
        workspace,
        {
            ".devagent/agents/strict.md": (
                "---\nname: strict\ndescription: a strict reviewer\ntools: Read, Bash\n---\n"
                "You are strict.\n"
            )
        },
    )
    model = ScriptedModel([text_reply("Clean.")])
    result = run_review(plan(workspace, agent="strict"), lambda name: model, Recorder())
    assert [t.name for t in model.requests[0].tools] == ["Read", "ReportFinding"]
    assert model.requests[0].system.startswith("You are strict.")
    assert result.report.summary == "Clean."


def test_an_unknown_agent_is_a_usage_error(workspace: Path) -> None:
    with pytest.raises(UsageError, match="Unknown agent 'nobody'"):
        plan(workspace, agent="nobody")


def test_chunks_run_in_turn_and_the_summary_names_each_part(workspace: Path) -> None:
    model = ScriptedModel([text_reply("App is fine."), text_reply("Util divides by zero.")])
    recorder = Recorder()
    review = plan(workspace, chunk_tokens=40)
    result = run_review(review, lambda name: model, recorder)
    assert recorder.chunks == [(1, 2, ["src/app.py"]), (2, 2, ["src/util.py"])]
    assert "src/util.py" not in model.requests[0].messages[0]["content"]
    assert "part 2 of 2" in model.requests[1].messages[0]["content"]
    assert result.report.summary == (
        "**Part 1 of 2.** App is fine.\n\n**Part 2 of 2.** Util divides by zero."
    )
    assert result.chunks_done == 2


def test_the_budget_covers_the_whole_review(workspace: Path) -> None:
    costly = text_reply("Part one done.", usage=Usage(input_tokens=1_000_000))
    model = ScriptedModel([costly])
    review = plan(workspace, chunk_tokens=40, max_budget_usd=0.5)
    result = run_review(review, lambda name: model, Recorder())
    model.assert_consumed()
    assert result.stop_kind == "budget" and result.cost_usd >= 0.5
    assert result.stopped is not None and "1 part(s) not reviewed" in result.stopped
    assert result.report.summary == "**Part 1 of 2.** Part one done."
    assert result.report.files_reviewed == ["src/app.py"]  # the unreviewed part is not listed


def test_the_turn_limit_stops_a_chunk_but_not_the_review(workspace: Path) -> None:
    model = ScriptedModel(
        [
            tool_reply(("Read", {"file_path": "src/app.py"})),
            text_reply("Util reviewed."),
        ]
    )
    result = run_review(plan(workspace, chunk_tokens=40, max_turns=1), lambda n: model, Recorder())
    model.assert_consumed()
    assert result.stop_kind == "turns" and result.chunks_done == 1
    assert result.stopped is not None and result.stopped.startswith("part 1 of 2: Stopped after")
