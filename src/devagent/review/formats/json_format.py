"""The ``json`` review format (CONTRACTS §9): findings, summary and the files reviewed."""

from __future__ import annotations

import json

from devagent.review.findings import Report


def render(report: Report) -> str:
    document = {
        "findings": [finding.as_json() for finding in report.findings],
        "summary": report.summary,
        "files_reviewed": report.files_reviewed,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
