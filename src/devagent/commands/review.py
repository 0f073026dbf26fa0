"""`devagent review`: a local code review whose findings a CI pipeline can gate on.

Mounted by the main app as ``root.command("review")(review)``. Only typer and the standard
library load at import time; the review machinery, the SDK and rich load when it runs. The
report goes to stdout or ``--output FILE``; progress, the closing summary line and errors go to
stderr. Exit codes (CONTRACTS §5): 0 clean, 4 a finding at or above ``--fail-on``, 3 stopped by
``--max-budget-usd`` or the turn limit, 1 runtime failure, 2 usage error (bad ref, path outside
the repository, unknown agent, missing key).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from devagent.commands.options import ModelOpt

if TYPE_CHECKING:
    from devagent.events import Event
    from devagent.review.runner import ReviewListener, ReviewOptions, ReviewPlan, ReviewResult
    from devagent.review.targets import TargetFile

FORMATS = ("markdown", "json", "sarif", "github")
FAIL_ON = ("P0", "P1", "P2", "P3")
EXIT_FINDINGS = 4
EXIT_STOPPED = 3
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int = 2) -> NoReturn:
    sys.stderr.write(f"devagent: {message}\n")
    raise typer.Exit(code)


def _on_sigterm(signum: int, _frame: object) -> None:
    from devagent.runtime import Terminated

    raise Terminated(signum)


def _short(text: str, limit: int = 160) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:limit] + ("…" if len(first) > limit else "")


def event_line(event: Event) -> str | None:
    """One progress line for a loop event, or None for events not worth a line."""
    from devagent.events import Notice, PermissionDenied, Retrying, ToolFinished, ToolStarted

    if isinstance(event, ToolStarted) and event.name != "ReportFinding":
        target = next(
            (str(event.input[k]) for k in ("file_path", "path", "pattern") if event.input.get(k)),
            "",
        )
        return f"  → {event.name} {_short(target, 80)}".rstrip()
    if isinstance(event, ToolFinished) and event.name == "ReportFinding" and not event.is_error:
        return f"  ● {_short(event.content)}"
    if isinstance(event, ToolFinished) and event.is_error:
        return f"  ✗ {event.name}: {_short(event.content)}"
    if isinstance(event, PermissionDenied):
        return f"  ⊘ {event.tool_name} denied: {event.reason}"
    if isinstance(event, Retrying):
        return f"  retrying ({event.reason}) in {event.delay_s:.1f}s [{event.attempt}]"
    if isinstance(event, Notice):
        return f"{event.level}: {event.text}"
    return None


def _chunk_line(index: int, total: int, files: list[TargetFile]) -> str:
    tokens = sum(f.tokens for f in files)
    noun = "file" if len(files) == 1 else "files"
    return f"[{index}/{total}] reviewing {len(files)} {noun} (~{tokens:,} tokens)"


class PlainProgress:
    """Progress as plain lines, for a stderr that is not a terminal (CI logs)."""

    def __init__(self, err: IO[str]) -> None:
        self.err = err

    def _write(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    def chunk_started(self, index: int, total: int, files: list[TargetFile]) -> None:
        self._write(_chunk_line(index, total, files))

    def chunk_finished(self, index: int, total: int) -> None:
        return None

    def event(self, event: Event) -> None:
        line = event_line(event)
        if line is not None:
            self._write(line)


class BarProgress:
    """A rich progress bar over the files under review, with event lines printed above it."""

    def __init__(self, progress: Any, total_files: int) -> None:
        self.progress = progress
        self.task = progress.add_task("reviewing", total=total_files)
        self._pending = 0

    def chunk_started(self, index: int, total: int, files: list[TargetFile]) -> None:
        self._pending = len(files)
        self.progress.update(self.task, description=f"part {index}/{total}")
        self.progress.console.print(_chunk_line(index, total, files), markup=False, highlight=False)

    def chunk_finished(self, index: int, total: int) -> None:
        self.progress.advance(self.task, self._pending)

    def event(self, event: Event) -> None:
        line = event_line(event)
        if line is not None:
            self.progress.console.print(line, markup=False, highlight=False)


@contextmanager
def progress_for(err: IO[str], total_files: int) -> Iterator[ReviewListener]:
    """A bar when ``err`` is a terminal, plain lines otherwise."""
    if not err.isatty():
        yield PlainProgress(err)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=err, stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield BarProgress(progress, total_files)


def nothing_message(plan: ReviewPlan) -> str:
    target = plan.target
    reasons = {
        "uncommitted": "the working tree has no uncommitted changes. Name files or "
        "directories (devagent review src/), or use --diff REF or --staged",
        "staged": "there are no staged changes (git add them first, or drop --staged)",
        "diff": f"there are no {target.description}",
        "paths": f"no reviewable files in {target.description}",
    }
    text = f"Nothing to review: {reasons[target.kind]}."
    if target.skipped:
        text += f" Skipped {len(target.skipped)}: " + ", ".join(
            f"{s.path} ({s.reason})" for s in target.skipped[:5]
        )
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_line(result: ReviewResult) -> str:
    from devagent.config import cost_text

    report = result.report
    counts = ", ".join(f"{label} {n}" for label, n in report.counts().items())
    files = _count(len(report.files_reviewed), "file")
    skipped = f" ({len(result.skipped)} skipped)" if result.skipped else ""
    return (
        f"Reviewed {files}{skipped} in {_count(result.requests, 'request')}: "
        f"{_count(len(report.findings), 'finding')} ({counts}); "
        f"{result.usage.input_tokens:,} input / {result.usage.output_tokens:,} output tokens; "
        f"{cost_text(result.cost_usd, result.unpriced)}"
    )


def exit_code(result: ReviewResult, threshold: int | None) -> int:
    from devagent.review.findings import at_or_above

    if at_or_above(result.report.findings, threshold):
        return EXIT_FINDINGS
    if result.stop_kind in ("budget", "turns"):
        return EXIT_STOPPED
    return 1 if result.stop_kind == "error" else 0


def _execute(plan: ReviewPlan, err: IO[str]) -> ReviewResult:
    from devagent.review.runner import run_review
    from devagent.runtime import check_budget, check_model, model_factory, providers_for

    providers = providers_for(plan.workspace, plan.home)
    check_model(plan.model_name, providers, os.environ)
    check_budget(plan.options.max_budget_usd, plan.model_name, providers)
    make_model = model_factory(os.environ, providers)

    files, parts = _count(len(plan.target.files), "file"), _count(len(plan.chunks), "part")
    err.write(
        f"Reviewing {plan.target.description}: {files} in {parts}, "
        f"as {plan.persona.name} on {plan.model_name}\n"
    )
    with progress_for(err, len(plan.target.files)) as listener:
        return run_review(plan, make_model, listener)


def _check_output(output: Path | None) -> None:
    if output is None:
        return
    parent = output.expanduser().resolve().parent
    if not parent.is_dir():
        raise_usage(f"--output {output}: the folder {parent} does not exist.")
    if output.is_dir():
        raise_usage(f"--output {output} is a directory; give a file name.")


def raise_usage(message: str) -> NoReturn:
    from devagent.errors import UsageError

    raise UsageError(message)


def _write_report(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.expanduser().write_text(text, encoding="utf-8")
    except OSError as exc:
        from devagent.errors import DevagentError

        raise DevagentError(f"cannot write {output}: {exc.strerror or exc}") from exc


def run(opts: ReviewOptions, fmt: str, threshold: int | None, output: Path | None) -> int:
    """Plan, run, render and write one review; returns the exit code."""
    from devagent.review.findings import at_or_above
    from devagent.review.formats import render
    from devagent.review.runner import empty_result, plan_review

    err = sys.stderr
    _check_output(output)
    plan = plan_review(opts, Path.cwd(), os.environ)
    if plan.target.files:
        result = _execute(plan, err)
    else:
        message = nothing_message(plan)
        err.write(message + "\n")
        result = empty_result(plan, message)
    _write_report(render(fmt, result.report), output)  # type: ignore[arg-type]  # checked
    err.write(summary_line(result) + "\n")
    if result.stopped:
        err.write(f"warning: the review is incomplete: {result.stopped}\n")
    failing = at_or_above(result.report.findings, threshold)
    if failing:
        failing_count = _count(len(failing), "finding")
        err.write(f"Failing: {failing_count} at or above P{threshold} (--fail-on).\n")
    return exit_code(result, threshold)


PathsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Files or directories to review (default: the uncommitted changes).",
        metavar="PATH",
        show_default=False,
    ),
]
DiffOpt = Annotated[
    str | None,
    typer.Option("--diff", help="Review the changes since REF, e.g. main...HEAD.", metavar="REF"),
]
StagedOpt = Annotated[bool, typer.Option("--staged", help="Review the staged changes.")]
FormatOpt = Annotated[
    str,
    typer.Option("--format", help="Report format.", metavar="markdown|json|sarif|github"),
]
FailOnOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="Exit 4 when a finding is at or above this priority.",
        metavar="P0|P1|P2|P3",
    ),
]
AgentOpt = Annotated[
    str, typer.Option("--agent", help="Persona that reviews (read-only tools).", metavar="NAME")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the report to FILE instead of stdout.", metavar="FILE"
    ),
]
BudgetOpt = Annotated[
    float | None,
    typer.Option(
        "--max-budget-usd",
        help="Stop once the review has cost X dollars (exit 3).",
        min=0,
        metavar="X",
    ),
]
ChunkOpt = Annotated[
    int,
    typer.Option(
        "--chunk-tokens", help="Token budget of the code sent in one request.", min=100, metavar="N"
    ),
]


def review(
    paths: PathsArg = None,
    diff: DiffOpt = None,
    staged: StagedOpt = False,
    fmt: FormatOpt = "markdown",
    fail_on: FailOnOpt = None,
    agent: AgentOpt = "code-reviewer",
    model: ModelOpt = None,
    output: OutputOpt = None,
    max_budget_usd: BudgetOpt = None,
    chunk_tokens: ChunkOpt = 50_000,
) -> None:
    """Review code with a read-only agent; report findings as markdown, json, sarif or github."""
    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    if fail_on is not None and fail_on.upper() not in FAIL_ON:
        _fail(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}.")
    if diff is not None and staged:
        _fail("--diff and --staged cannot be used together.")
    threshold = None if fail_on is None else int(fail_on[1])
    from devagent.agent import RunInterrupted
    from devagent.errors import DevagentError
    from devagent.review.runner import ReviewOptions
    from devagent.runtime import Terminated

    opts = ReviewOptions(
        tuple(paths or ()),
        diff,
        staged,
        agent,
        model,
        max_budget_usd,
        chunk_tokens,
        exclude=(output.expanduser().absolute(),) if output else (),
    )
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)
    try:
        code = run(opts, fmt, threshold, output)
    except DevagentError as exc:
        _fail(str(exc), exc.exit_code)
    except (KeyboardInterrupt, RunInterrupted):
        _fail("interrupted", EXIT_INTERRUPTED)
    except Terminated as exc:
        _fail("terminated", exc.exit_code)
    raise typer.Exit(code)
