"""The ReportFinding tool (CONTRACTS §9): how the reviewing model records one finding.

It is read-only, so it never asks for permission and may run alongside Read/Grep calls. An
invalid finding (a file not under review, lines outside the file, a bad priority) comes back
as an ``is_error`` result saying what to fix; a repeated finding is merged, not counted twice.
"""

from __future__ import annotations

from typing import Any, ClassVar

from devagent.review.findings import FindingCollector, validate
from devagent.toolkinds import ToolKind
from devagent.tools.base import Args, Tool, ToolContext, ToolResult

DESCRIPTION = """\
Records one review finding: a concrete problem in a file under review.

Usage:
- Call it once per distinct problem, as soon as you have verified it. Do not report the same \
problem again for each occurrence; mention the other places in the body.
- file_path must be one of the files under review (relative to the workspace root).
- line_start and line_end are the 1-based lines of the problem in the file as it is now (the \
numbers shown in the listing or by Read); line_end may equal line_start.
- priority: 0 = breaks production, loses data or opens a security hole; 1 = a real bug on a \
plausible path or a contract break; 2 = a bug on an unlikely path or a risky gap in tests; \
3 = minor.
- confidence: your honest probability (0 to 1) that the finding is real and correctly described.
- title: a short imperative sentence ("Close the file on the error path"). body: what is wrong, \
why it matters, and how to fix it.
- An error result means the finding was not recorded: fix what it names and call again."""


class ReportFindingTool(Tool):
    """ReportFinding: validate a finding against the reviewed files and record it."""

    name: ClassVar[str] = "ReportFinding"
    description: ClassVar[str] = DESCRIPTION
    kind: ClassVar[ToolKind] = "other"
    # Recording a finding changes no file, and a review runs nothing that is not read-only.
    read_only: ClassVar[bool] = True
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "A short imperative summary."},
            "body": {
                "type": "string",
                "description": "What is wrong, why it matters, how to fix it (Markdown).",
            },
            "priority": {
                "type": "integer",
                "enum": [0, 1, 2, 3],
                "description": "0 most severe, 3 least.",
            },
            "confidence": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "Probability (0-1) that the finding is real.",
            },
            "file_path": {
                "type": "string",
                "description": "A file under review, relative to the workspace root.",
            },
            "line_start": {"type": "integer", "minimum": 1, "description": "First line (1-based)."},
            "line_end": {"type": "integer", "minimum": 1, "description": "Last line (1-based)."},
        },
        "required": ["title", "body", "priority", "confidence", "file_path", "line_start"],
        "additionalProperties": False,
    }

    def __init__(self, collector: FindingCollector) -> None:
        self.collector = collector

    def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        finding = validate(args, self.collector.scope)
        number, repeated = self.collector.add(finding)
        if repeated:
            return ToolResult(
                f"Already recorded as finding #{number} (same file, overlapping lines, same "
                "title); kept once. Report only distinct problems."
            )
        return ToolResult(
            f"Recorded {finding.label} finding #{number} at {finding.location}: {finding.title}"
        )
