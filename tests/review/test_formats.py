"""Output formats: golden markdown, json shape, SARIF against the 2.1.0 schema, GitHub lines.

``sarif-schema-2.1.0.json`` beside this file is the OASIS SARIF 2.1.0 (errata01) JSON schema,
verbatim, as published in the specification's repository (``Schemata/``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from devagent.review.findings import FINGERPRINT_KEY, Finding, Report
from devagent.review.formats import FORMATS, render
from devagent.review.formats.github import escape_data, escape_property

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

FINDINGS = [
    Finding(
        "Close the file on the error path",
        "The handle leaks when `parse` raises.\nUse `with open(...)`.",
        0,
        0.9,
        "src/app.py",
        3,
        4,
        ("    handle = open(path)", "    data = parse(handle.read())"),
    ),
    Finding(
        "Check the status code",
        "A 500 is treated as success.",
        1,
        0.75,
        "src/net client.py",
        10,
        10,
        ("    return response.json()",),
    ),
    Finding(
        "Name the magic number",
        "What is 86400? Use SECONDS_PER_DAY.",
        3,
        0.5,
        "src/app.py",
        12,
        12,
        ("ttl = 86400  # uses ``` fences",),
    ),
]
REPORT = Report(FINDINGS, "Two files reviewed; one leak.", ["src/app.py", "src/net client.py"])


def test_markdown_groups_by_file_with_excerpts() -> None:
    assert render("markdown", REPORT) == (
        "# Code review\n"
        "\n"
        "Two files reviewed; one leak.\n"
        "\n"
        "## Findings\n"
        "\n"
        "**3 findings in 2 reviewed files (P0 1 · P1 1 · P2 0 · P3 1)**\n"
        "\n"
        "### src/app.py\n"
        "\n"
        "#### P0 · Close the file on the error path\n"
        "\n"
        "`src/app.py:3-4` · confidence 0.90\n"
        "\n"
        "```python\n"
        "3      handle = open(path)\n"
        "4      data = parse(handle.read())\n"
        "```\n"
        "\n"
        "The handle leaks when `parse` raises.\n"
        "Use `with open(...)`.\n"
        "\n"
        "#### P3 · Name the magic number\n"
        "\n"
        "`src/app.py:12` · confidence 0.50\n"
        "\n"
        "````python\n"
        "12  ttl = 86400  # uses ``` fences\n"
        "````\n"
        "\n"
        "What is 86400? Use SECONDS_PER_DAY.\n"
        "\n"
        "### src/net client.py\n"
        "\n"
        "#### P1 · Check the status code\n"
        "\n"
        "`src/net client.py:10` · confidence 0.75\n"
        "\n"
        "```python\n"
        "10      return response.json()\n"
        "```\n"
        "\n"
        "A 500 is treated as success.\n"
        "\n"
        "<details>\n"
        "<summary>Files reviewed (2)</summary>\n"
        "\n"
        "- `src/app.py`\n"
        "- `src/net client.py`\n"
        "\n"
        "</details>\n"
    )


def test_markdown_without_findings_says_so() -> None:
    text = render("markdown", Report([], "", []))
    assert text == (
        "# Code review\n\n_No summary._\n\n## Findings\n\n"
        "**0 findings in 0 reviewed files (P0 0 · P1 0 · P2 0 · P3 0)**\n\nNo findings.\n"
    )


def test_markdown_cuts_long_excerpts() -> None:
    long = Finding("T", "B", 2, 0.5, "a.txt", 1, 30, tuple(f"l{n}" for n in range(1, 31)))
    text = render("markdown", Report([long], "s", ["a.txt"]))
    assert "12  l12\n    … 18 more lines\n```\n" in text and "l13" not in text


def test_json_has_the_contract_keys() -> None:
    data = json.loads(render("json", REPORT))
    assert set(data) == {"findings", "summary", "files_reviewed"}
    assert data["summary"] == REPORT.summary and data["files_reviewed"] == REPORT.files_reviewed
    first = data["findings"][0]
    assert first == {
        "title": "Close the file on the error path",
        "body": "The handle leaks when `parse` raises.\nUse `with open(...)`.",
        "priority": 0,
        "confidence": 0.9,
        "file_path": "src/app.py",
        "line_start": 3,
        "line_end": 4,
        "fingerprint": FINDINGS[0].fingerprint(),
    }


def sarif(report: Report = REPORT) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("sarif", report))
    return data


def test_sarif_is_valid_against_the_2_1_0_schema() -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(sarif()), key=str)
    assert errors == []
    assert list(validator.iter_errors(sarif(Report([], "", [])))) == []


def test_the_schema_check_can_fail() -> None:
    broken = sarif()
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(list(jsonschema.Draft4Validator(SCHEMA).iter_errors(broken))) == 2


def test_sarif_results_carry_location_level_rule_and_fingerprint() -> None:
    run = sarif()["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "devagent"
    rules = [rule["id"] for rule in driver["rules"]]
    assert rules == [
        "review/close-the-file-on-the-error-path",
        "review/check-the-status-code",
        "review/name-the-magic-number",
    ]
    levels = [(r["ruleId"], r["level"], r["ruleIndex"]) for r in run["results"]]
    assert levels == [(rules[0], "error", 0), (rules[1], "error", 1), (rules[2], "note", 2)]
    location = run["results"][1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/net%20client.py", "uriBaseId": "%SRCROOT%"}
    assert unquote(location["artifactLocation"]["uri"]) == "src/net client.py"
    assert location["region"]["startLine"] == 10 and location["region"]["endLine"] == 10
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert prints == [f.fingerprint() for f in FINDINGS] and len(set(prints)) == 3


def test_sarif_maps_p2_to_warning() -> None:
    p2 = Finding("T", "B", 2, 0.5, "a.py", 1, 1, ("x",))
    assert sarif(Report([p2], "", ["a.py"]))["runs"][0]["results"][0]["level"] == "warning"


def test_sarif_fingerprints_are_stable_across_runs_and_moves() -> None:
    moved = [
        Finding(f.title, f.body, f.priority, f.confidence, f.file_path, 100, 100, f.excerpt)
        for f in FINDINGS
    ]

    def prints(report: Report) -> list[str]:
        return [
            r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif(report)["runs"][0]["results"]
        ]

    assert prints(REPORT) == prints(REPORT) == prints(Report(moved, "", []))


ANNOTATION = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse_github(text: str) -> list[dict[str, str]]:
    parsed = []
    for line in text.splitlines():
        match = ANNOTATION.match(line)
        assert match is not None, line
        props = dict(p.split("=", 1) for p in match["props"].split(","))
        entry = {k: unescape(v) for k, v in props.items()}
        entry["level"] = match[1]
        entry["message"] = unescape(match["message"])
        parsed.append(entry)
    return parsed


def test_github_annotations_parse_back() -> None:
    text = render("github", REPORT)
    assert len(text.splitlines()) == 3 and text.endswith("\n")
    parsed = parse_github(text)
    assert [(p["level"], p["file"], p["line"], p["endLine"]) for p in parsed] == [
        ("error", "src/app.py", "3", "4"),
        ("error", "src/net client.py", "10", "10"),
        ("notice", "src/app.py", "12", "12"),
    ]
    assert parsed[0]["title"] == "[P0] Close the file on the error path"
    assert parsed[0]["message"] == (
        "The handle leaks when `parse` raises.\nUse `with open(...)`.\n\n(confidence 0.90)"
    )


def test_github_escaping_keeps_titles_with_commas_and_colons_intact() -> None:
    tricky = Finding("Fix a, b: c 100%", "line1\r\nline2 50%", 2, 0.5, "a,b:c.py", 1, 1)
    (parsed,) = parse_github(render("github", Report([tricky], "", [])))
    assert parsed["level"] == "warning"
    assert parsed["title"] == "[P2] Fix a, b: c 100%" and parsed["file"] == "a,b:c.py"
    assert parsed["message"].startswith("line1\r\nline2 50%")
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25" and escape_data("a:b\n") == "a:b%0A"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_ends_with_one_newline(fmt: str) -> None:
    text = render(fmt, REPORT)  # type: ignore[arg-type]
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_github_messages_are_plain_text_without_markdown_fences() -> None:
    body = (
        "## Why\n"
        "The **handle** leaks; see [the docs](https://docs.python.org/3/).\n"
        "````python\n"
        "```not a closing fence```\n"
        "with open(path) as handle:\n"
        "    data = parse(handle.read())\n"
        "````\n"
        "Use `with`."
    )
    finding = Finding("Close **the** file", body, 2, 0.8, "src/app.py", 3, 4, ())
    parsed = parse_github(render("github", Report([finding], "s", ["src/app.py"])))
    assert parsed[0]["title"] == "[P2] Close the file"
    assert parsed[0]["message"] == (
        "Why\n"
        "The handle leaks; see the docs (https://docs.python.org/3/).\n"
        "    ```not a closing fence```\n"
        "    with open(path) as handle:\n"
        "        data = parse(handle.read())\n"
        "Use `with`.\n\n(confidence 0.80)"
    )
    assert "```" not in parsed[0]["message"].replace("```not a closing fence```", "")
