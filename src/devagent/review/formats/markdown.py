"""The ``markdown`` review format: the summary, then findings grouped by file with excerpts.

Files appear in the order of their most severe finding; inside a file, findings keep the
report's order (priority, then line). Excerpts are the flagged lines as they were reported,
fenced with enough backticks that code containing backticks cannot close the fence.
"""

from __future__ import annotations

import re

from devagent.review.findings import Finding, Report

MAX_EXCERPT_LINES = 12
LANGUAGES = {
    "py": "python",
    "pyi": "python",
    "js": "javascript",
    "jsx": "jsx",
    "ts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "kt": "kotlin",
    "rb": "ruby",
    "php": "php",
    "c": "c",
    "h": "c",
    "cc": "cpp",
    "cpp": "cpp",
    "hpp": "cpp",
    "cs": "csharp",
    "swift": "swift",
    "sh": "bash",
    "bash": "bash",
    "sql": "sql",
    "yml": "yaml",
    "yaml": "yaml",
    "json": "json",
    "toml": "toml",
    "md": "markdown",
    "html": "html",
    "css": "css",
}


def _language(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return LANGUAGES.get(name.rsplit(".", 1)[-1].lower(), "") if "." in name else ""


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def excerpt(finding: Finding) -> list[str]:
    """The fenced, line-numbered excerpt of a finding (empty when nothing was captured)."""
    if not finding.excerpt:
        return []
    shown = list(finding.excerpt[:MAX_EXCERPT_LINES])
    width = len(str(finding.line_start + len(shown) - 1))
    body = [f"{finding.line_start + i:>{width}}  {line}".rstrip() for i, line in enumerate(shown)]
    hidden = finding.line_end - finding.line_start + 1 - len(shown)
    if hidden > 0:
        body.append(f"{'':>{width}}  … {hidden} more lines")
    fence = _fence(body)
    return [f"{fence}{_language(finding.file_path)}", *body, fence]


def _finding(finding: Finding) -> list[str]:
    return [
        f"#### {finding.label} · {finding.title}",
        "",
        f"`{finding.location}` · confidence {finding.confidence:.2f}",
        "",
        *excerpt(finding),
        *([""] if finding.excerpt else []),
        finding.body.strip(),
        "",
    ]


def _grouped(findings: list[Finding]) -> dict[str, list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.file_path, []).append(finding)
    return groups


def counts_line(report: Report) -> str:
    counts = " · ".join(f"{label} {n}" for label, n in report.counts().items())
    noun = "finding" if len(report.findings) == 1 else "findings"
    files = len(report.files_reviewed)
    return f"{len(report.findings)} {noun} in {files} reviewed file{'s' * (files != 1)} ({counts})"


def _files_reviewed(report: Report) -> list[str]:
    if not report.files_reviewed:
        return []
    items = [f"- `{path}`" for path in report.files_reviewed]
    heading = f"<summary>Files reviewed ({len(report.files_reviewed)})</summary>"
    return ["<details>", heading, "", *items, "", "</details>", ""]


def render(report: Report) -> str:
    lines = ["# Code review", "", report.summary.strip() or "_No summary._", ""]
    lines += ["## Findings", "", f"**{counts_line(report)}**", ""]
    for path, findings in _grouped(report.findings).items():
        lines += [f"### {path}", ""]
        for finding in findings:
            lines += _finding(finding)
    if not report.findings:
        lines += ["No findings.", ""]
    lines += _files_reviewed(report)
    return "\n".join(lines).rstrip("\n") + "\n"
