"""`devagent agents list|show|lint`, run through the typer sub-app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devagent.commands.agents import app
from devagent.personas import bundled_agents_dir

BUNDLED = ["api-engineer", "code-reviewer", "debugger", "python-backend-developer", "test-writer"]
CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as the current directory, with private DEVAGENT_HOME and HOME."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("DEVAGENT_HOME", str(tmp_path / "devagent-home"))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("COLUMNS", "120")
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_json_has_the_contract_shape(project: Path) -> None:
    write(
        project / ".claude/agents/reviewer.md",
        "---\nname: code-reviewer\ndescription: Project reviewer.\ntools: Read, Grep\n"
        "model: haiku\n---\nReview.\n",
    )
    write(project / ".claude/agents/broken.md", "no frontmatter here\n")
    code, out, _ = run("list", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"agents", "problems", "shadowed"}
    first = data["agents"][0]
    assert first == {
        "name": "code-reviewer",
        "description": "Project reviewer.",
        "tools": ["Read", "Grep"],
        "model": "haiku",
        "source": ".claude/agents",
        "scope": "project",
        "path": str((project / ".claude/agents/reviewer.md").resolve()),
    }
    assert sorted(a["name"] for a in data["agents"]) == BUNDLED
    builtin = [a for a in data["agents"] if a["scope"] == "builtin"]
    assert {a["source"] for a in builtin} == {"builtin"}
    assert all(isinstance(a["tools"], list) for a in data["agents"])
    assert data["problems"] == [
        {
            "path": str((project / ".claude/agents/broken.md").resolve()),
            "message": "no frontmatter: the file must start with a '---' line",
        }
    ]
    assert [s["name"] for s in data["shadowed"]] == ["code-reviewer"]


def test_list_table_shows_name_scope_and_source(project: Path) -> None:
    write(project / ".devagent/agents/mine.md", "---\nname: mine\ndescription: Mine.\n---\nX\n")
    code, out, err = run("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SCOPE", "SOURCE", "MODEL", "TOOLS", "DESCRIPTION"]
    assert lines[1].split()[:5] == ["mine", "project", ".devagent/agents", "inherit", "all"]
    assert [line.split()[0] for line in lines[2:]] == BUNDLED
    assert err == ""


def test_list_rejects_an_unknown_format(project: Path) -> None:
    code, _, _ = run("list", "--format", "xml")
    assert code == 2


def test_show_prints_fields_effective_tools_and_body(project: Path) -> None:
    write(
        project / ".claude/agents/web.md",
        "---\nname: Web Helper\ndescription: Looks things up.\n"
        "tools: Read, WebFetch, mcp__docs__search\nmodel: fable\ncategory: research\n---\n"
        "You look things up.\n",
    )
    code, out, _ = run("show", "web-helper")
    assert code == 0
    assert "name:         Web Helper\nslug:         web-helper\n" in out
    assert "scope:        project (.claude/agents)\n" in out
    assert "model:        inherit (declared 'fable')\n" in out
    assert "tools:        Read, WebFetch, mcp__docs__search\n" in out
    assert "effective:    Read, WebFetch\n" in out
    assert "unavailable:  mcp__docs__search (MCP server docs is not configured)\n" in out
    assert "extra:        category: 'research'\n" in out
    assert "warning:      unknown model 'fable'; the parent's model is used\n" in out
    assert out.endswith("body:\nYou look things up.\n")


FIFTEEN = (
    "Task, Bash, Glob, Grep, LS, ExitPlanMode, Read, Edit, MultiEdit, Write, NotebookRead, "
    "NotebookEdit, WebFetch, TodoWrite, WebSearch"
)


def test_the_full_claude_tool_line_is_offered_whole(project: Path) -> None:
    """The api-engineer persona's tool line as written for Claude Code: all fifteen tools exist,
    only the two MCP tools (no server configured) are unavailable."""
    write(
        project / ".claude/agents/api-engineer.md",
        "---\nname: api-engineer\ndescription: Builds APIs.\n"
        f"tools: {FIFTEEN}, mcp__context7__resolve-library-id, mcp__context7__get-library-docs\n"
        "---\nYou build APIs.\n",
    )
    code, out, _ = run("show", "api-engineer")
    assert code == 0
    effective = next(line for line in out.splitlines() if line.startswith("effective:"))
    offered = {name.strip() for name in effective.removeprefix("effective:").split(",")}
    # Bash brings its background-shell companions and Edit brings ApplyPatch, as for any persona.
    assert offered == {name.strip() for name in FIFTEEN.split(",")} | {
        "BashOutput",
        "KillShell",
        "ApplyPatch",
    }
    assert (
        "unavailable:  mcp__context7__resolve-library-id, mcp__context7__get-library-docs "
        "(MCP server context7 is not configured)\n" in out
    )


def test_show_unknown_agent_exits_2_with_suggestions(project: Path) -> None:
    code, out, err = run("show", "debuger")
    assert code == 2
    assert out == ""
    assert "Unknown agent 'debuger'. Did you mean: debugger?" in err


def test_lint_clean_file_exits_0(project: Path) -> None:
    path = write(project / "ok.md", "---\nname: ok\ndescription: Fine.\ntools: Read\n---\nBody\n")
    code, out, err = run("lint", str(path))
    assert (code, out) == (0, "")
    assert "1 file checked: 0 errors, 0 warnings" in err


def test_lint_reports_recovered_yaml_unknown_keys_model_and_tools(project: Path) -> None:
    path = write(
        project / "odd.md",
        "---\nname: odd\ndescription: Use when: always\ntools: Read, Frobnicate, mcp__x__y\n"
        "model: fable\nflavour: mint\n---\nBody\n",
    )
    code, out, _ = run("lint", str(path))
    assert code == 0
    messages = [line.split(": warning: ", 1)[1] for line in out.splitlines()]
    assert messages[0].startswith("frontmatter is not valid YAML (mapping values are not allowed")
    assert messages[1:] == [
        "unknown model 'fable'; the parent's model is used",
        "keys devagent does not use (kept): flavour",
        "unknown tool names: Frobnicate",
        "MCP server x is not configured (its tools are skipped): mcp__x__y",
    ]


def test_lint_exits_1_when_a_file_cannot_load(project: Path) -> None:
    good = write(project / "a/good.md", "---\nname: good\ndescription: D\n---\n")
    bad = write(project / "a/bad.md", "---\nname: bad\n---\n")
    code, out, err = run("lint", str(good.parent))
    assert code == 1
    assert (
        out == f"{bad}: error: no 'description' in the frontmatter: add a line like "
        "`description: what this agent is for`\n"
    )
    assert "2 files checked: 1 error, 0 warnings" in err


def test_lint_reports_duplicate_names_and_missing_paths(project: Path) -> None:
    write(project / "d/one.md", "---\nname: twin\ndescription: D\n---\n")
    write(project / "d/two.md", "---\nname: Twin\ndescription: D\n---\n")
    code, out, _ = run("lint", str(project / "d"), str(project / "missing.md"))
    assert code == 1
    assert f"{project / 'missing.md'}: error: no such file or folder" in out
    assert f"{project / 'd/two.md'}: warning: duplicate name 'Twin'" in out


def test_lint_without_paths_checks_every_search_folder(project: Path) -> None:
    write(project / ".claude/agents/bad.md", "---\nname: x\n")
    code, out, err = run("lint")
    assert code == 1
    assert "bad.md: error: frontmatter is not closed" in out
    assert f"{len(BUNDLED) + 1} files checked: 1 error," in err


def test_bundled_personas_pass_lint_without_any_warning(project: Path) -> None:
    folder = bundled_agents_dir()
    assert folder is not None
    code, out, err = run("lint", str(folder))
    assert (code, out) == (0, "")
    assert f"{len(BUNDLED)} files checked: 0 errors, 0 warnings" in err


def test_lint_on_the_corpus_fails_only_for_its_readme(project: Path) -> None:
    code, out, _ = run("lint", str(CORPUS))
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert code == 1
    assert errors == [
        f"{CORPUS / 'README.md'}: error: no frontmatter: the file must start with a '---' line"
    ]


LONG = "Reviews " + " ".join(f"word{i}" for i in range(60)) + " END"


def _row(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(name + " "))


def test_list_table_cuts_descriptions_at_the_given_width(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / ".devagent/agents/long.md", f"---\nname: long\ndescription: {LONG}\n---\nX\n")
    monkeypatch.setenv("COLUMNS", "150")
    code, out, _ = run("list")
    row = _row(out, "long").rstrip()
    assert code == 0
    assert 140 < len(row) <= 150 and row.endswith("…") and "word10" in row


def test_list_without_any_terminal_cuts_nothing(project: Path, devagent_cmd: list[str]) -> None:
    import os
    import subprocess

    write(project / ".devagent/agents/long.md", f"---\nname: long\ndescription: {LONG}\n---\nX\n")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run(
        [*devagent_cmd, "agents", "list"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert _row(done.stdout, "long").rstrip().endswith(" END")


@pytest.mark.slow
def test_list_piped_in_a_terminal_uses_the_terminal_width(
    project: Path, devagent_cmd: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import shlex
    import shutil

    from ui.repl_harness import Tmux

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    write(project / ".devagent/agents/long.md", f"---\nname: long\ndescription: {LONG}\n---\nX\n")
    out = tmp_path / "out.txt"
    monkeypatch.delenv("COLUMNS")  # the tmux server would pass it on to the program
    env = dict(os.environ)
    term = Tmux(tmp_path, width=130)
    command = f"{shlex.join([*devagent_cmd, 'agents', 'list'])} | cat > {shlex.quote(str(out))}"
    try:
        term.start(["sh", "-c", command], env, project)
        assert term.wait_exit() == 0
    finally:
        term.kill()
    row = _row(out.read_text(), "long").rstrip()
    assert 120 < len(row) <= 130 and row.endswith("…")
