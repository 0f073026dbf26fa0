"""Search order, shadowing, lookup by name, other tools' agent files, and tool narrowing."""

from __future__ import annotations

from pathlib import Path

import pytest

from devagent.errors import UsageError
from devagent.personas import (
    Catalog,
    Persona,
    bundled_agents_dir,
    discover,
    effective_tools,
    known_tools,
    load_persona,
    search_dirs,
)

BUNDLED = {"python-backend-developer", "api-engineer", "code-reviewer", "test-writer", "debugger"}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def agent(name: str, description: str = "Does things.", extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\nYou are {name}.\n"


class Tree:
    """A workspace with a nested current directory, a DEVAGENT_HOME, a user home, built-ins."""

    def __init__(self, root: Path) -> None:
        self.workspace = root / "repo"
        self.cwd = self.workspace / "pkg" / "sub"
        self.cwd.mkdir(parents=True)
        self.home = root / "devagent-home"
        self.user_home = root / "user"
        self.builtin = root / "builtin"
        self.builtin.mkdir()

    def discover(self) -> Catalog:
        return discover(
            self.cwd, self.workspace, self.home, self.user_home, builtin_dir=self.builtin
        )


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path)


def test_search_order_puts_project_dirs_first_then_user_then_builtin(tree: Tree) -> None:
    dirs = search_dirs(tree.cwd, tree.workspace, tree.home, tree.user_home, tree.builtin)
    labels = [(d.origin.scope, d.origin.source, d.path) for d in dirs]
    cwd, pkg, ws = tree.cwd.resolve(), tree.cwd.parent.resolve(), tree.workspace.resolve()
    assert labels[:6] == [
        ("project", ".devagent/agents", cwd / ".devagent/agents"),
        ("project", ".devagent/agents", pkg / ".devagent/agents"),
        ("project", ".devagent/agents", ws / ".devagent/agents"),
        ("project", ".claude/agents", cwd / ".claude/agents"),
        ("project", ".claude/agents", pkg / ".claude/agents"),
        ("project", ".claude/agents", ws / ".claude/agents"),
    ]
    assert [label[1] for label in labels[6:]] == [
        *[".gemini/agents"] * 3,
        *[".opencode/agents"] * 3,
        *[".opencode/agent"] * 3,
        "$DEVAGENT_HOME/agents",
        "~/.claude/agents",
        "builtin",
    ]
    assert labels[-1] == ("builtin", "builtin", tree.builtin)


def test_first_found_wins_and_the_rest_are_reported_as_shadowed(tree: Tree) -> None:
    places = [
        tree.cwd / ".devagent/agents",
        tree.workspace / ".devagent/agents",
        tree.cwd / ".claude/agents",
        tree.workspace / ".claude/agents",
        tree.home / "agents",
        tree.user_home / ".claude/agents",
        tree.builtin,
    ]
    for index, place in enumerate(places):
        write(place, "helper", agent("helper", f"Version {index}."))
    catalog = tree.discover()
    assert [p.description for p in catalog.personas] == ["Version 0."]
    assert [s.persona.description for s in catalog.shadowed] == [
        f"Version {i}." for i in range(1, 7)
    ]
    assert all(s.by.path == places[0] / "helper.md" for s in catalog.shadowed)
    assert catalog.problems == []


def test_nearest_claude_folder_beats_the_workspace_root(tree: Tree) -> None:
    write(tree.workspace / ".claude/agents", "x", agent("reviewer", "Root."))
    write(tree.cwd / ".claude/agents", "y", agent("reviewer", "Near."))
    catalog = tree.discover()
    assert catalog.find("reviewer").description == "Near."
    assert catalog.find("reviewer").scope == "project"


def test_user_folders_beat_builtins_and_scopes_are_labelled(tree: Tree) -> None:
    write(tree.home / "agents", "a", agent("alpha"))
    write(tree.user_home / ".claude/agents", "b", agent("beta"))
    write(tree.builtin, "c", agent("alpha", "Built in."))
    write(tree.builtin, "d", agent("gamma"))
    catalog = tree.discover()
    found = {p.name: (p.scope, p.source) for p in catalog.personas}
    assert found == {
        "alpha": ("user", "$DEVAGENT_HOME/agents"),
        "beta": ("user", "~/.claude/agents"),
        "gamma": ("builtin", "builtin"),
    }
    assert [s.persona.description for s in catalog.shadowed] == ["Built in."]


def test_names_clash_by_slug(tree: Tree) -> None:
    write(tree.cwd / ".claude/agents", "a", agent("Code Reviewer"))
    write(tree.builtin, "b", agent("code-reviewer"))
    catalog = tree.discover()
    assert catalog.names() == ["Code Reviewer"]
    assert catalog.find("code-reviewer").name == "Code Reviewer"
    assert len(catalog.shadowed) == 1


def test_workspace_outside_cwd_searches_only_cwd(tmp_path: Path) -> None:
    cwd, other = tmp_path / "here", tmp_path / "elsewhere"
    cwd.mkdir()
    other.mkdir()
    dirs = search_dirs(cwd, other, tmp_path / "h", tmp_path / "u", tmp_path / "b")
    project = [d.path for d in dirs if d.origin.scope == "project"]
    assert all(path.parent.parent == cwd.resolve() for path in project)


def test_subfolders_are_searched_and_hidden_ones_skipped(tree: Tree) -> None:
    folder = tree.workspace / ".claude/agents"
    write(folder / "team", "deep", agent("deep"))
    write(folder / ".drafts", "hidden", agent("hidden"))
    assert tree.discover().names() == ["deep"]


def test_files_that_cannot_be_personas_are_problems_not_crashes(tree: Tree) -> None:
    folder = tree.cwd / ".claude/agents"
    write(folder, "README", "# About these agents\n")
    write(folder, "nameless", "---\ndescription: D\n---\n")
    write(folder, "good", agent("good"))
    (folder / "binary.md").write_bytes(b"---\nname: x\xff\n---\n")
    catalog = tree.discover()
    assert catalog.names() == ["good"]
    problems = {p.path.name: p.message for p in catalog.problems}
    assert set(problems) == {"README.md", "nameless.md", "binary.md"}
    assert problems["nameless.md"].startswith("no 'name' in the frontmatter")
    assert all(p.severity == "error" for p in catalog.problems)


def test_find_unknown_name_raises_usage_error_with_close_matches(tree: Tree) -> None:
    for name in ("code-reviewer", "code-simplifier", "debugger"):
        write(tree.builtin, name, agent(name))
    catalog = tree.discover()
    with pytest.raises(UsageError, match=r"Unknown agent 'code-reviwer'\. Did you mean: ") as info:
        catalog.find("code-reviwer")
    assert info.value.exit_code == 2
    assert "code-reviewer" in str(info.value)
    assert "debugger" not in str(info.value)
    assert catalog.close_matches("code") == ["code-reviewer", "code-simplifier"]


def test_find_accepts_exact_name_and_slug(tree: Tree) -> None:
    write(tree.builtin, "fe", agent("Frontend Developer/UI"))
    catalog = tree.discover()
    assert catalog.find("Frontend Developer/UI") is catalog.find("frontend-developer-ui")
    assert catalog.get("nothing") is None


def test_gemini_agents_are_read_with_their_tool_names(tree: Tree) -> None:
    text = (
        "---\nname: security-auditor\ndescription: Finds holes.\nkind: local\n"
        "tools:\n  - read_file\n  - grep_search\n  - run_shell_command\n  - google_web_search\n"
        "  - mcp_github_*\nmodel: gemini-2.5-pro\ntemperature: 0.2\n---\nAudit.\n"
    )
    write(tree.workspace / ".gemini/agents", "security-auditor", text)
    persona = tree.discover().find("security-auditor")
    assert (persona.source, persona.dialect) == (".gemini/agents", "gemini")
    assert persona.tools == ["Read", "Grep", "Bash", "WebSearch", "mcp_github_*"]
    assert persona.model == "inherit"
    assert persona.extra == {"temperature": 0.2}
    offered, missing = effective_tools(persona, known_tools())
    assert offered == ["Read", "Grep", "Bash", "BashOutput", "KillShell", "WebSearch"]
    assert missing == ["mcp_github_*"]


def test_gemini_wildcard_means_every_tool_and_remote_agents_are_problems(tree: Tree) -> None:
    folder = tree.workspace / ".gemini/agents"
    write(folder, "all", agent("all-tools", extra="tools: ['*']\n"))
    write(folder, "remote", agent("far", extra="kind: remote\nagent_card_url: http://x\n"))
    catalog = tree.discover()
    assert catalog.find("all-tools").tools is None
    assert [p.path.name for p in catalog.problems] == ["remote.md"]
    assert "remote (A2A)" in catalog.problems[0].message


def test_gemini_agents_come_after_claude_agents(tree: Tree) -> None:
    write(tree.workspace / ".gemini/agents", "a", agent("shared", "Gemini."))
    write(tree.workspace / ".claude/agents", "a", agent("shared", "Claude."))
    catalog = tree.discover()
    assert catalog.find("shared").description == "Claude."
    assert catalog.shadowed[0].persona.source == ".gemini/agents"


def test_opencode_agents_map_switches_permissions_and_models(tree: Tree) -> None:
    text = (
        "---\ndescription: Reviews code.\nmode: subagent\nmodel: anthropic/claude-sonnet-4-5\n"
        "tools:\n  write: false\n  edit: false\n  bash: true\n"
        "permission:\n  webfetch: deny\n  bash: ask\n---\nReview.\n"
    )
    write(tree.workspace / ".opencode/agents", "review", text)
    persona = tree.discover().find("review")
    assert (persona.name, persona.dialect, persona.model) == (
        "review",
        "opencode",
        "claude-sonnet-4-5",
    )
    assert persona.tools is None
    assert persona.disallowed_tools == ["Write", "Edit", "MultiEdit", "WebFetch"]
    assert persona.extra == {"mode": "subagent"}
    offered, missing = effective_tools(persona, known_tools())
    assert offered is not None
    assert {"Write", "Edit", "MultiEdit", "ApplyPatch"}.isdisjoint(offered)
    assert {"Read", "Bash", "Grep"} <= set(offered)
    assert missing == []


def test_opencode_wildcard_off_lists_only_enabled_tools(tree: Tree) -> None:
    text = (
        "---\nname: ro\ndescription: D\nmodel: openai/gpt-5\n"
        "tools:\n  '*': false\n  read: true\n  grep: true\n---\n"
    )
    write(tree.workspace / ".opencode/agent", "ro", text)
    persona = tree.discover().find("ro")
    assert persona.tools == ["Read", "Grep"]
    assert (persona.model, persona.declared_model) == ("inherit", "openai/gpt-5")
    assert persona.source == ".opencode/agent"


def make(tools: list[str] | None, disallowed: list[str] | None = None) -> Persona:
    return Persona("p", "d", "", Path("p.md"), tools=tools, disallowed_tools=disallowed or [])


def test_effective_tools_absent_means_all() -> None:
    assert effective_tools(make(None), known_tools()) == (None, [])


def test_effective_tools_empty_means_none() -> None:
    assert effective_tools(make([]), known_tools()) == ([], [])


def test_effective_tools_keep_registry_order_and_report_unavailable() -> None:
    declared = ["WebFetch", "Grep", "Read", "mcp__github__create_issue", "NotebookEdit"]
    offered, missing = effective_tools(make(declared), known_tools())
    assert offered == ["Read", "Grep", "NotebookEdit", "WebFetch"]
    assert missing == ["mcp__github__create_issue"]


def test_effective_tools_grant_companions_and_accept_variants() -> None:
    offered, missing = effective_tools(
        make(["read", "Edit", "Bash(git diff:*)", "Agent"]), known_tools()
    )
    assert offered == [
        "Read",
        "Edit",
        "MultiEdit",
        "ApplyPatch",
        "Bash",
        "BashOutput",
        "KillShell",
        "Task",
    ]
    assert missing == []


def test_disallowed_tools_remove_from_all_and_from_a_list() -> None:
    offered, _ = effective_tools(make(None, ["Bash"]), known_tools())
    assert offered == [t for t in known_tools() if t not in {"Bash", "BashOutput", "KillShell"}]
    offered, _ = effective_tools(make(["Read", "Write"], ["Write"]), ["Read", "Write"])
    assert offered == ["Read"]


def test_effective_tools_only_offers_what_is_available() -> None:
    offered, missing = effective_tools(make(["Read", "Bash"]), ["Read", "Grep"])
    assert (offered, missing) == (["Read"], ["Bash"])


def test_bundled_personas_are_found_and_load_cleanly(tmp_path: Path) -> None:
    folder = bundled_agents_dir()
    assert folder is not None and folder.name in ("agents", "bundled_agents")
    personas = [load_persona(p) for p in sorted(folder.glob("*.md"))]
    assert {p.name for p in personas} == BUNDLED
    for persona in personas:
        assert persona.warnings == [] and persona.extra == {}
        assert "<example>" in persona.description
        assert persona.tools and len(persona.body) > 1500
        assert effective_tools(persona, known_tools())[1] == []
    catalog = discover(tmp_path, tmp_path, tmp_path / "home", tmp_path / "user")
    assert {p.name for p in catalog if p.scope == "builtin"} == BUNDLED


def test_dialect_comes_from_the_folder_that_owns_agents(tmp_path: Path) -> None:
    from devagent.personas.persona import dialect_for

    assert dialect_for(tmp_path / "opencode" / ".claude/agents/a.md") == "claude"
    assert dialect_for(tmp_path / ".opencode/agent/team/a.md") == "opencode"
    assert dialect_for(tmp_path / "config/opencode/agents/a.md") == "opencode"
    assert dialect_for(tmp_path / ".gemini/agents/a.md") == "gemini"
    assert dialect_for(tmp_path / "notes/a.md") == "claude"
