"""The ``github`` review format: one workflow-command annotation per finding.

``::error file=F,line=L,endLine=E,title=T::message`` (P0/P1 ``error``, P2 ``warning``,
P3 ``notice``). GitHub shows annotations as plain text, so a finding's Markdown is flattened
(``plain_text``): code fences become the code indented by four spaces, headings, emphasis and
link syntax are dropped (a link keeps its URL in parentheses); inline `code` keeps its
backticks, which read well as they are. GitHub's escaping applies: in the message ``%``, CR and
LF are percent-encoded; in property values ``:`` and ``,`` are too, so a title cannot end the
property list early.
"""

from __future__ import annotations

import re

from devagent.review.findings import Finding, Report

LEVELS = {0: "error", 1: "error", 2: "warning", 3: "notice"}
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def plain_text(markdown: str) -> str:
    """``markdown`` as plain text: fences gone (their code indented), no heading, emphasis
    or link syntax."""
    lines: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if match and fence is None:
            fence = match.group(1)
            continue
        if match and fence is not None and _closes(line, fence):
            fence = None
            continue
        lines.append("    " + line if fence is not None else _inline(line))
    return "\n".join(lines).strip("\n")


def _closes(line: str, fence: str) -> bool:
    """A closing fence: the opening character, at least as many times, and nothing else."""
    marker = line.strip()
    return len(marker) >= len(fence) and not marker.strip(fence[0])


def _inline(line: str) -> str:
    line = _HEADING.sub("", line)
    line = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(1) else m.group(2), line)
    return _EMPHASIS.sub(r"\2", line)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    props = ",".join(
        [
            f"file={escape_property(finding.file_path)}",
            f"line={finding.line_start}",
            f"endLine={finding.line_end}",
            f"title={escape_property(f'[{finding.label}] {plain_text(finding.title)}')}",
        ]
    )
    message = f"{plain_text(finding.body).strip()}\n\n(confidence {finding.confidence:.2f})"
    return f"::{LEVELS[finding.priority]} {props}::{escape_data(message)}"


def render(report: Report) -> str:
    return "".join(annotation(finding) + "\n" for finding in report.findings)
