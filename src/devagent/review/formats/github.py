"""The ``github`` review format: one workflow-command annotation per finding.

``::error file=F,line=L,endLine=E,title=T::message`` (P0/P1 ``error``, P2 ``warning``,
P3 ``notice``). GitHub's escaping applies: in the message ``%``, CR and LF are percent-encoded;
in property values ``:`` and ``,`` are too, so a title cannot end the property list early.
"""

from __future__ import annotations

from devagent.review.findings import Finding, Report

LEVELS = {0: "error", 1: "error", 2: "warning", 3: "notice"}


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
            f"title={escape_property(f'[{finding.label}] {finding.title}')}",
        ]
    )
    message = f"{finding.body.strip()}\n\n(confidence {finding.confidence:.2f})"
    return f"::{LEVELS[finding.priority]} {props}::{escape_data(message)}"


def render(report: Report) -> str:
    return "".join(annotation(finding) + "\n" for finding in report.findings)
