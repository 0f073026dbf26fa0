"""`devagent permissions explain`: decision, rule, source and reason for one call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from devagent.commands.permissions import app as permissions_app


def make_app() -> typer.Typer:
    """Mount the sub-app the way the main CLI does."""
    root = typer.Typer()
    root.add_typer(permissions_app, name="permissions")

    @root.command()
    def version() -> None:
        """Keeps typer from collapsing the group into its only command."""

    return root


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "src").mkdir()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DEVAGENT_HOME", str(home))
    monkeypatch.chdir(root / "src")
    return root


def run(*args: str) -> Any:
    return CliRunner().invoke(make_app(), ["permissions", "explain", *args])


def test_explain_bash_allow_names_rule_and_flag(repo: Path) -> None:
    result = run(
        "Bash(git status && npm test)", "--allowed-tools", "Bash(git status),Bash(npm test)"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "decision: allow"
    assert lines[1] == "rule:     Bash(git status), Bash(npm test)"
    assert lines[2] == "source:   --allowed-tools"
    assert "sub-commands:" in lines
    assert "  git status" in lines
    assert "  npm test" in lines


def test_explain_shows_unwrapped_subcommands(repo: Path) -> None:
    result = run("Bash(timeout 5 git push origin main)", "--disallowed-tools", "Bash(git push:*)")
    assert result.exit_code == 0
    assert result.output.startswith("decision: deny\nrule:     Bash(git push:*)\n")
    assert "  git push origin main    (unwrapped from timeout 5 git push origin main)" in (
        result.output
    )


def test_explain_default_mode_asks(repo: Path) -> None:
    result = run("Bash(git push origin main)")
    assert result.exit_code == 0
    assert "decision: ask" in result.output
    assert "source:   mode:default" in result.output
    assert "mode:     default (from builtin)" in result.output


def test_explain_reports_settings_file_as_source(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"permissions": {"deny": ["Bash(git push:*)"]}}))
    result = run("Bash(git push origin main)", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["decision"] == "deny"
    assert report["rule"] == "Bash(git push:*)"
    assert report["source"] == str(settings)
    assert report["workspace"] == str(repo)
    assert report["subcommands"][0]["argv"] == ["git", "push", "origin", "main"]
    assert report["sources"] == [str(settings)]


def test_explain_warns_about_ignored_untrusted_settings(repo: Path) -> None:
    settings = repo / ".devagent" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash"]}}))
    result = run("Bash(ls)")
    assert "decision: ask" in result.output
    assert "warning:" in result.output
    assert "not trusted" in result.output


def test_explain_tool_and_input_json(repo: Path) -> None:
    result = run(
        "--tool",
        "Edit",
        "--input",
        json.dumps({"file_path": "src/app.py", "old_string": "a", "new_string": "b"}),
        "--permission-mode",
        "acceptEdits",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["decision"], report["source"], report["mode"]) == (
        "allow",
        "mode:acceptEdits",
        "acceptEdits",
    )
    assert "subcommands" not in report


def test_explain_protected_path(repo: Path) -> None:
    result = run("Write(.devagent/settings.json)", "--permission-mode", "bypassPermissions")
    assert result.exit_code == 0
    assert "decision: ask" in result.output
    assert ".devagent" in result.output


def test_explain_read_outside_workspace(repo: Path) -> None:
    result = run("Read(../../etc/passwd)")
    assert result.exit_code == 0
    assert "decision: deny" in result.output
    assert "outside the workspace" in result.output


def test_explain_problems_of_a_bash_command(repo: Path) -> None:
    result = run("Bash(echo $(id))", "--allowed-tools", "Bash(echo *)")
    assert "decision: ask" in result.output
    assert "problem:  command substitution" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "Give a call"),
        (("Bash(ls",), "not a rule"),
        (("Bash(ls)", "--tool", "Bash"), "not both"),
        (("--tool", "Bash", "--input", "{oops"), "not valid JSON"),
        (("--tool", "Bash", "--input", "[1]"), "JSON object"),
        (("--tool", "Bash", "--input", "{}"), '"command"'),
        (("--tool", "Edit", "--input", "{}"), "file_path"),
        (("WebFetch(https://x)",), "--tool WebFetch"),
        (("Bash(ls)", "--permission-mode", "yolo"), "not a permission mode"),
        (("Bash(ls)", "--allowed-tools", "Bash("), "--allowed-tools"),
    ],
)
def test_bad_input_exits_2_with_a_message(repo: Path, args: tuple[str, ...], needle: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert needle in result.output


def test_broken_settings_exit_2_naming_the_file(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"permissions": {,}}')
    result = run("Bash(ls)")
    assert result.exit_code == 2
    assert f"{settings}:1:18" in result.output


def test_unknown_format_is_rejected(repo: Path) -> None:
    result = run("Bash(ls)", "--format", "xml")
    assert result.exit_code == 2


def test_explain_shows_the_opaque_verdict_and_why(repo: Path) -> None:
    result = run(
        "Bash($(echo rm) -rf build)",
        "--permission-mode",
        "bypassPermissions",
        "--disallowed-tools",
        "Bash(rm:*)",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "decision: ask"
    assert lines[1] == "rule:     Bash(rm:*)"
    assert (
        "opaque:   the command name is only known at run time (cannot be read before it runs)"
        in (lines)
    )


def test_explain_json_lists_opaque_parts_per_subcommand(repo: Path) -> None:
    result = run("Bash(echo rm -rf x | sh)", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["opaque"] == ["sh reads the commands it runs from standard input"]
    [echo, shell] = report["subcommands"]
    assert echo["opaque"] is None
    assert shell["argv"] == ["sh"] and shell["opaque"] == report["opaque"][0]
