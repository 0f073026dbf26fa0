"""The ``sarif`` review format: a SARIF 2.1.0 log that GitHub code scanning accepts.

One rule per distinct finding title (``tool.driver.rules``), one result per finding with a
``physicalLocation`` (workspace-relative URI under ``%SRCROOT%``, 1-based region) and a
``partialFingerprints`` entry computed from the file, the title and the flagged code, so the
same finding keeps its identity across runs even when lines move. Levels: P0/P1 ``error``,
P2 ``warning``, P3 ``note``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from devagent import __version__
from devagent.review.findings import FINGERPRINT_KEY, Finding, Report, normalize_title

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {0: "error", 1: "error", 2: "warning", 3: "note"}
SRCROOT = "%SRCROOT%"


def rule_id(finding: Finding) -> str:
    slug = re.sub(r"\s+", "-", normalize_title(finding.title))[:80].strip("-")
    return f"review/{slug or 'finding'}"


def _rule(finding: Finding) -> dict[str, Any]:
    return {
        "id": rule_id(finding),
        "name": rule_id(finding).removeprefix("review/"),
        "shortDescription": {"text": finding.title},
        "defaultConfiguration": {"level": LEVELS[finding.priority]},
        "properties": {"tags": ["code-review", finding.label]},
    }


def _region(finding: Finding) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": finding.line_start, "endLine": finding.line_end}
    if finding.excerpt:
        region["snippet"] = {"text": "\n".join(finding.excerpt) + "\n"}
    return region


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    return {
        "ruleId": rule_id(finding),
        "ruleIndex": rule_index,
        "level": LEVELS[finding.priority],
        "message": {"text": f"{finding.title}\n\n{finding.body.strip()}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(finding.file_path, safe="/"),
                        "uriBaseId": SRCROOT,
                    },
                    "region": _region(finding),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint()},
        "properties": {"priority": finding.label, "confidence": finding.confidence},
    }


def sarif_log(report: Report) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        rid = rule_id(finding)
        if rid not in index:
            index[rid] = len(rules)
            rules.append(_rule(finding))
        results.append(_result(finding, index[rid]))
    driver = {
        "name": "devagent",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": rules,
    }
    run = {
        "tool": {"driver": driver},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {"summary": report.summary, "filesReviewed": report.files_reviewed},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
