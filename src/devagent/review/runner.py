"""Runs a review: one fresh read-only agent per chunk, findings collected, the summary kept.

``plan_review`` resolves everything that can be a usage error (workspace, persona, paths,
ref) before any request is sent. ``run_review`` then gives each chunk its own agent with the
persona's system prompt, the tools that only read files (kind ``read`` and read-only: Read,
Grep, Glob, LS) that the persona allows, plus ReportFinding, a policy that denies everything
else, and a ``DenyingApprover``, so a review can never change a file or run a command.
``--max-budget-usd`` covers the whole review: each chunk gets what is left, and no chunk starts
once it is spent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from devagent.agent import Limits, RunResult
from devagent.approval import Decision, DenyingApprover, PermissionRequest
from devagent.assembly import AgentOptions, ModelFactory, build_agent
from devagent.config import DEFAULT_MODEL, devagent_home, resolve_model
from devagent.events import Event
from devagent.gitinfo import GitState, find_workspace, git_state
from devagent.messages import Usage
from devagent.personas import Persona, discover
from devagent.review.findings import FindingCollector, Report, ReviewScope
from devagent.review.report_tool import ReportFindingTool
from devagent.review.targets import (
    DEFAULT_CHUNK_TOKENS,
    ReviewTarget,
    Skipped,
    TargetFile,
    chunk,
    collect,
)
from devagent.subagents import persona_model
from devagent.tools.base import Tool
from devagent.tools.catalog import BUILTIN_TOOLS

DEFAULT_AGENT = "code-reviewer"
MAX_TURNS_PER_CHUNK = 50
# What a review may look with: every built-in tool that only reads files.
READ_TOOLS: tuple[type[Tool], ...] = tuple(
    tool for tool in BUILTIN_TOOLS if tool.kind == "read" and tool.read_only
)
ALLOWED_TOOLS = frozenset({*(tool.name for tool in READ_TOOLS), ReportFindingTool.name})
StopKind = Literal["budget", "turns", "error"]

REVIEW_INSTRUCTIONS = """\
# Review mode
You are running as `devagent review`: a local code review whose findings a CI pipeline may
gate on. You cannot change files or run commands.
- Report every finding with the ReportFinding tool; findings written only in your final
  message are lost. Report only in the files under review, at lines you have verified.
- Use Read, Grep, Glob and LS to look at callers, tests and definitions when you need them.
- Your final message is the summary: what the code or change does, your verdict, and the most
  important findings in a sentence each. If you found nothing, say so and what you checked."""


@dataclass(frozen=True)
class ReviewOptions:
    paths: tuple[str, ...] = ()
    diff: str | None = None
    staged: bool = False
    agent: str = DEFAULT_AGENT
    model: str | None = None
    max_budget_usd: float | None = None
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    max_turns: int = MAX_TURNS_PER_CHUNK
    # Files never reviewed, e.g. the --output report itself when it lies in the repository.
    exclude: tuple[Path, ...] = ()


@dataclass
class ReviewPlan:
    """A review ready to run: where, as whom, with which model, on what, in which chunks."""

    workspace: Path
    cwd: Path
    home: Path
    persona: Persona
    model_name: str
    target: ReviewTarget
    chunks: list[list[TargetFile]]
    options: ReviewOptions


@dataclass
class ReviewResult:
    """What a review produced, and whether it covered everything it was asked to."""

    report: Report
    skipped: list[Skipped]
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0  # the priced part, when ``unpriced``
    requests: int = 0
    chunks_done: int = 0
    stopped: str | None = None
    stop_kind: StopKind | None = None
    unpriced: bool = False  # some usage had no known price


class ReviewListener(Protocol):
    """Progress for the human; called from the review thread, must not block for long."""

    def chunk_started(self, index: int, total: int, files: list[TargetFile]) -> None: ...

    def chunk_finished(self, index: int, total: int) -> None: ...

    def event(self, event: Event) -> None: ...


class ReviewPolicy:
    """Only the read-only tools and ReportFinding run; everything else is denied."""

    def decide(self, request: PermissionRequest) -> Decision:
        if request.tool_name in ALLOWED_TOOLS:
            return Decision("allow", "review tools are read-only", source="review")
        return Decision("deny", f"{request.tool_name} is not available in a review")


def plan_review(opts: ReviewOptions, cwd: Path, env: Mapping[str, str]) -> ReviewPlan:
    """Everything that can be a usage error, resolved before any request is sent."""
    workspace = find_workspace(cwd)
    home = devagent_home(env)
    persona = discover(cwd, workspace, home).find(opts.agent)
    fallback = resolve_model(opts.model or env.get("DEVAGENT_MODEL") or DEFAULT_MODEL)
    model_name = fallback if opts.model else persona_model(persona, fallback)
    target = collect(opts.paths, opts.diff, opts.staged, cwd, workspace)
    excluded = {Path(os.path.realpath(path)) for path in opts.exclude}
    target.files = [f for f in target.files if workspace / f.path not in excluded]
    chunks = chunk(target.files, opts.chunk_tokens)
    return ReviewPlan(workspace, cwd, home, persona, model_name, target, chunks, opts)


def _material(file: TargetFile) -> str:
    tag = "diff" if file.kind == "diff" else "file"
    note = f' note="{file.note}"' if file.note else ""
    return f'<{tag} path="{file.path}"{note}>\n{file.material}\n</{tag}>'


def chunk_prompt(target: ReviewTarget, files: list[TargetFile], index: int, total: int) -> str:
    """The user message of one chunk: what is reviewed, how lines are numbered, the material."""
    intro = f"Review {target.description} in this repository."
    if total > 1:
        intro += f" This is part {index} of {total}; the other parts are reviewed separately."
    numbering = "Listings show each line as its number, a tab, then the line."
    if target.kind != "paths":
        numbering += (
            " In diffs, each kept or added line starts with its line number in the current "
            "file ('+' marks added lines); removed lines ('-') have no number. Focus on the "
            "changed lines, but read whatever else you need to judge them."
        )
    lines = [
        intro,
        f"Files under review here ({len(files)}): {', '.join(f.path for f in files)}",
        numbering + " Report findings at current-file line numbers.",
        "",
        *(_material(f) for f in files),
        "",
        "Report each problem with ReportFinding, then reply with your summary.",
    ]
    return "\n".join(lines)


@dataclass
class _Review:
    plan: ReviewPlan
    make_model: ModelFactory
    listener: ReviewListener
    collector: FindingCollector
    result: ReviewResult
    git: GitState | None
    summaries: list[str] = field(default_factory=list)
    reviewed: list[str] = field(default_factory=list)

    def remaining_budget(self) -> float | None:
        budget = self.plan.options.max_budget_usd
        return None if budget is None else budget - self.result.cost_usd

    def run_chunk(self, index: int, files: list[TargetFile]) -> RunResult:
        total = len(self.plan.chunks)
        self.listener.chunk_started(index, total, files)
        self.reviewed += [f.path for f in files]
        agent = build_agent(self.agent_options())
        try:
            run = agent.run(chunk_prompt(self.plan.target, files, index, total))
        finally:
            self.result.usage.add(agent.usage)
            self.result.cost_usd += agent.cost_usd
            self.result.unpriced = self.result.unpriced or agent.spend.unpriced
        self.result.requests += run.num_turns
        self.listener.chunk_finished(index, total)
        return run

    def agent_options(self) -> AgentOptions:
        """A fresh agent per chunk: the read-only tools the persona allows plus ReportFinding
        (always offered), the review policy, nobody to approve, what is left of the budget."""
        plan = self.plan
        return AgentOptions(
            workspace=plan.workspace,
            cwd=plan.cwd,
            home=plan.home,
            model_name=plan.model_name,
            make_model=self.make_model,
            policy=ReviewPolicy(),
            approver=DenyingApprover(),
            emit=self.listener.event,
            persona=plan.persona,
            git=self.git,
            append_system_prompt=REVIEW_INSTRUCTIONS,
            limits=Limits(plan.options.max_turns, self.remaining_budget()),
            tools=[tool() for tool in READ_TOOLS],
            extra_tools=[ReportFindingTool(self.collector)],
        )

    def record(self, index: int, run: RunResult) -> bool:
        """Keep the chunk's summary or stop reason; False when no further chunk may run."""
        total = len(self.plan.chunks)
        if not run.is_error:
            self.result.chunks_done += 1
            text = run.result.strip()
            if text and total > 1:
                text = f"**Part {index} of {total}.** {text}"
            if text:
                self.summaries.append(text)
            return True
        kind = _stop_kind(run)
        self.stop(kind, f"part {index} of {total}: {run.result}" if total > 1 else run.result)
        return kind != "budget"

    def stop(self, kind: StopKind, reason: str) -> None:
        if self.result.stop_kind != "budget":
            self.result.stop_kind = kind
        self.result.stopped = reason if self.result.stopped is None else self.result.stopped


def _stop_kind(run: RunResult) -> StopKind:
    if run.subtype == "error_max_budget":
        return "budget"
    return "turns" if run.subtype == "error_max_turns" else "error"


def _over_budget(review: _Review, index: int) -> bool:
    remaining = review.remaining_budget()
    if remaining is None or remaining > 0:
        return False
    left = len(review.plan.chunks) - index + 1
    review.stop(
        "budget",
        f"--max-budget-usd {review.plan.options.max_budget_usd} reached "
        f"(${review.result.cost_usd:.4f} spent); {left} part(s) not reviewed.",
    )
    return True


def run_review(
    plan: ReviewPlan, make_model: ModelFactory, listener: ReviewListener
) -> ReviewResult:
    """Review every chunk in turn (until the budget is spent) and assemble the report."""
    collector = FindingCollector(ReviewScope(plan.workspace, tuple(plan.target.paths)))
    result = ReviewResult(Report([], "", plan.target.paths), list(plan.target.skipped))
    review = _Review(plan, make_model, listener, collector, result, git_state(plan.workspace))
    for index, files in enumerate(plan.chunks, start=1):
        if _over_budget(review, index) or not review.record(index, review.run_chunk(index, files)):
            break
    summary = "\n\n".join(review.summaries)
    result.report = Report(collector.findings(), summary, sorted(review.reviewed))
    return result


def empty_result(plan: ReviewPlan, summary: str) -> ReviewResult:
    """The result of a review with nothing to look at (no request is sent)."""
    return ReviewResult(Report([], summary, []), list(plan.target.skipped))
