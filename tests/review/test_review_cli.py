"""`devagent review` end to end: the real CLI process, the real SDK, the fake Messages API."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fakes.fake_api import FakeAPI, Usage, text_reply, tool_call, tool_reply

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
GitRun = Callable[..., str]
SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text("utf-8"))

APP = "".join(f"value_{n} = {n}\n" for n in range(1, 21))
STORE = "def save(path, data):\n    f = open(path, 'w')\n    f.write(data)\n"


def finding(path: str, start: int, priority: int, title: str, end: int | None = None) -> Any:
    return tool_call(
        "ReportFinding",
        {
            "title": title,
            "body": f"Body of {title}.",
            "priority": priority,
            "confidence": 0.8,
            "file_path": path,
            "line_start": start,
            "line_end": end or start,
        },
    )


THREE = [
    finding("src/store.py", 2, 1, "Close the file", end=3),
    finding("src/app.py", 5, 2, "Check the value"),
    finding("src/app.py", 12, 3, "Name the constant"),
]


@pytest.fixture
def repo(make_repo: MakeRepo) -> Path:
    return make_repo({"src/app.py": APP, "src/store.py": STORE, "README.md": "# demo\n"})


def review(
    cmd: list[str], env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cmd, "review", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90,
    )


def script_three(fake_api: FakeAPI) -> None:
    fake_api.enqueue(
        tool_reply(*THREE, text="Reporting."), text_reply("The store leaks a file handle.")
    )


def test_json_report_of_three_findings_in_two_files(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    script_three(fake_api)
    done = review(devagent_cmd, devagent_env, repo, "src", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["summary"] == "The store leaks a file handle."
    assert data["files_reviewed"] == ["src/app.py", "src/store.py"]
    assert [(f["priority"], f["file_path"], f["line_start"]) for f in data["findings"]] == [
        (1, "src/store.py", 2),
        (2, "src/app.py", 5),
        (3, "src/app.py", 12),
    ]
    first = fake_api.requests[0]
    assert first.tool_names() == ["Read", "Grep", "Glob", "LS", "ReportFinding"]
    assert "meticulous, pragmatic code reviewer" in first.system_text()
    assert '<file path="src/store.py">' in first.last_user_text()
    results = fake_api.requests[1].tool_results()
    assert len(results) == 3 and not any(r.get("is_error") for r in results)
    assert re.search(
        r"^Reviewed 2 files in 2 requests: 3 findings \(P0 0, P1 1, P2 1, P3 1\); "
        r"20 input / 40 output tokens; \$0\.\d{4}$",
        done.stderr,
        re.M,
    ), done.stderr


def test_sarif_report_validates_against_the_schema(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    script_three(fake_api)
    done = review(devagent_cmd, devagent_env, repo / "src", ".", "--format", "sarif")
    assert done.returncode == 0, done.stderr
    log = json.loads(done.stdout)
    validator = jsonschema.Draft4Validator(SCHEMA)
    assert list(validator.iter_errors(log)) == []
    results = log["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["src/store.py", "src/app.py", "src/app.py"]  # relative to the repository
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 2 and region["endLine"] == 3
    assert region["snippet"]["text"] == "    f = open(path, 'w')\n    f.write(data)\n"


def test_github_annotations_parse_back(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    script_three(fake_api)
    done = review(devagent_cmd, devagent_env, repo, "src", "--format", "github")
    assert done.returncode == 0, done.stderr
    pattern = re.compile(r"^::(\w+) file=([^,]+),line=(\d+),endLine=(\d+),title=([^:]*)::(.*)$")
    parsed = [pattern.match(line) for line in done.stdout.splitlines()]
    assert all(parsed) and len(parsed) == 3
    rows = [m.groups()[:5] for m in parsed if m]
    assert rows == [
        ("error", "src/store.py", "2", "3", "[P1] Close the file"),
        ("warning", "src/app.py", "5", "5", "[P2] Check the value"),
        ("notice", "src/app.py", "12", "12", "[P3] Name the constant"),
    ]


def test_markdown_is_the_default_and_output_goes_to_a_file(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    script_three(fake_api)
    target = repo / "review.md"
    done = review(devagent_cmd, devagent_env, repo, "src", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Code review\n\nThe store leaks a file handle.\n")
    assert "### src/store.py\n\n#### P1 · Close the file\n" in text
    assert "```python\n2      f = open(path, 'w')\n3      f.write(data)\n```" in text
    assert "[1/1] reviewing 2 files" in done.stderr and "● Recorded P1 finding" in done.stderr


@pytest.mark.parametrize(("priorities", "code"), [((1, 2, 3), 4), ((2, 3), 0)])
def test_fail_on_p1(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_cmd: list[str],
    repo: Path,
    priorities: tuple[int, ...],
    code: int,
) -> None:
    calls = [finding("src/app.py", n + 1, p, f"Issue {n}") for n, p in enumerate(priorities)]
    fake_api.enqueue(tool_reply(*calls), text_reply("Summary."))
    done = review(devagent_cmd, devagent_env, repo, "src", "--fail-on", "P1", "--format", "json")
    assert done.returncode == code, done.stderr
    assert len(json.loads(done.stdout)["findings"]) == len(priorities)
    assert ("Failing: 1 finding at or above P1" in done.stderr) == (code == 4)


def test_an_out_of_range_finding_is_rejected_back_to_the_model(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    fake_api.enqueue(
        tool_reply(finding("src/store.py", 2, 1, "Close the file", end=30)),
        tool_reply(finding("src/store.py", 2, 1, "Close the file", end=3)),
        text_reply("Fixed the range."),
    )
    done = review(devagent_cmd, devagent_env, repo, "src", "--format", "json")
    assert done.returncode == 0, done.stderr
    (rejected,) = fake_api.requests[1].tool_results()
    assert rejected["is_error"] is True
    assert "line_end 30 is past the end of src/store.py, which has 3 lines" in str(
        rejected["content"]
    )
    (accepted,) = fake_api.requests[2].tool_results()
    assert not accepted.get("is_error")
    findings = json.loads(done.stdout)["findings"]
    assert [(f["line_start"], f["line_end"]) for f in findings] == [(2, 3)]
    assert "✗ ReportFinding: line_end 30 is past the end" in done.stderr


def test_diff_sends_only_the_changed_hunks(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_cmd: list[str],
    repo: Path,
    git: GitRun,
) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "src" / "app.py").write_text(APP.replace("value_15 = 15", "value_15 = 1500"))
    git(repo, "commit", "-q", "-am", "bump")
    fake_api.enqueue(text_reply("Looks fine."))
    done = review(devagent_cmd, devagent_env, repo, "--diff", "main...HEAD", "--format", "json")
    assert done.returncode == 0, done.stderr
    sent = fake_api.requests[0].last_user_text()
    assert "Review changes since main...HEAD" in sent
    assert '<diff path="src/app.py">' in sent and "src/store.py" not in sent
    assert "    15 +value_15 = 1500" in sent and "-value_15 = 15" in sent
    numbered = [int(line[:6]) for line in sent.splitlines() if line[:6].strip().isdigit()]
    assert numbered == list(range(5, 21))  # ten lines of context before, the file's end after
    assert json.loads(done.stdout)["files_reviewed"] == ["src/app.py"]


def test_a_tree_larger_than_one_request_is_split(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_cmd: list[str],
    make_repo: MakeRepo,
) -> None:
    files = {f"pkg/mod_{n}.py": f"# module {n}\n" + "x = 1\n" * 60 for n in range(3)}
    root = make_repo(files)
    fake_api.enqueue(text_reply("One."), text_reply("Two."), text_reply("Three."))
    done = review(devagent_cmd, devagent_env, root, "pkg", "--chunk-tokens", "300")
    assert done.returncode == 0, done.stderr
    sent = [r.last_user_text() for r in fake_api.requests]
    assert len(sent) == 3 and all(len(r.messages) == 1 for r in fake_api.requests)
    for n, text in enumerate(sent):
        assert f"# module {n}" in text
        assert all(f"# module {m}" not in text for m in range(3) if m != n)
        assert len(text) // 4 <= 300 + 200  # the material's budget plus the instructions
    assert "[1/3] reviewing 1 file" in done.stderr and "[3/3] reviewing 1 file" in done.stderr
    assert "**Part 2 of 3.** Two." in done.stdout


def test_the_budget_stops_the_review_with_exit_3(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_cmd: list[str],
    repo: Path,
) -> None:
    fake_api.enqueue(text_reply("Part one.", usage=Usage(input_tokens=1_000_000)))
    args = ("src", "--chunk-tokens", "100", "--max-budget-usd", "0.5", "--format", "json")
    done = review(devagent_cmd, devagent_env, repo, *args)
    assert done.returncode == 3, done.stderr
    assert "warning: the review is incomplete: --max-budget-usd 0.5 reached" in done.stderr
    assert json.loads(done.stdout)["summary"] == "**Part 1 of 2.** Part one."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--diff", "no-such-branch"), "'no-such-branch' is not a commit in this repository"),
        (("../elsewhere",), "is outside the repository"),
        (("--format", "xml"), "--format must be one of markdown, json, sarif, github"),
        (("--fail-on", "P7"), "--fail-on must be one of P0, P1, P2, P3"),
        (("--agent", "nobody", "src"), "Unknown agent 'nobody'"),
        (("--diff", "main", "--staged"), "--diff and --staged cannot be used together"),
    ],
)
def test_usage_errors_exit_2_without_a_request(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    devagent_cmd: list[str],
    repo: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    (repo.parent / "elsewhere").mkdir()
    done = review(devagent_cmd, devagent_env, repo, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert fake_api.requests == []


def test_a_missing_key_names_the_variable(
    devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    env = {k: v for k, v in devagent_env.items() if k != "ANTHROPIC_API_KEY"}
    done = review(devagent_cmd, env, repo, "src")
    assert done.returncode == 2 and "ANTHROPIC_API_KEY" in done.stderr


def test_a_clean_tree_has_nothing_to_review(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    done = review(devagent_cmd, devagent_env, repo, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "Nothing to review: the working tree has no uncommitted changes." in done.stderr
    data = json.loads(done.stdout)
    assert data["findings"] == [] and data["files_reviewed"] == []
    assert fake_api.requests == []


def test_uncommitted_changes_are_reviewed_by_default(
    fake_api: FakeAPI, devagent_env: dict[str, str], devagent_cmd: list[str], repo: Path
) -> None:
    (repo / "src" / "store.py").write_text(STORE + "    return True\n")
    (repo / "notes.py").write_text("todo = []\n")
    (repo / "review.json").write_text('{"an earlier": "report"}\n')
    fake_api.enqueue(text_reply("Fine."))
    args = ("--format", "json", "--fail-on", "P3", "--output", "review.json")
    done = review(devagent_cmd, devagent_env, repo, *args)
    assert done.returncode == 0, done.stderr
    sent = fake_api.requests[0].last_user_text()
    assert "Review uncommitted changes" in sent and "     4 +    return True" in sent
    assert '<file path="notes.py" note="new, untracked">' in sent
    assert "review.json" not in sent  # the report being written is not reviewed
    report = json.loads((repo / "review.json").read_text())
    assert report["files_reviewed"] == ["notes.py", "src/store.py"]
