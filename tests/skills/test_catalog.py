"""Skills as people write them: found where other agents look, read leniently, linted by the
Agent Skills specification, and shadowed by name in search order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devagent.skills import Skill, SkillError, discover, lint, load_skill, search_dirs
from devagent.skills.skill import split_tool_rules

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openai"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def written_description(skill_md: Path) -> str:
    """The description as the file states it on its one ``description:`` line."""
    for line in skill_md.read_text(encoding="utf-8").splitlines():
        if line.startswith("description: "):
            return line.removeprefix("description: ").strip()
    raise AssertionError(f"{skill_md} has no description line")


def make_skill(root: Path, folder: str, text: str | bytes) -> Path:
    path = root / folder / "SKILL.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path.parent


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(workspace, $DEVAGENT_HOME, ~) as three empty folders."""
    parts = tuple(tmp_path / name for name in ("ws", "dhome", "home"))
    for part in parts:
        part.mkdir()
    return parts  # type: ignore[return-value]


def test_every_fixture_skill_is_found_with_its_name_and_description(
    places: tuple[Path, Path, Path],
) -> None:
    ws, dhome, home = places
    shutil.copytree(FIXTURES, ws / ".claude" / "skills")
    catalog = discover(ws, ws, dhome, home)
    assert len(FIXTURE_NAMES) == 10
    assert [s.name for s in catalog] == FIXTURE_NAMES
    for skill in catalog:
        assert skill.description == written_description(skill.path)
        assert (skill.scope, skill.source) == ("project", ".claude/skills")
        assert skill.metadata["short-description"]
        assert skill.warnings == ()
    assert catalog.problems == [] and catalog.shadowed == []
    assert lint([ws / ".claude" / "skills"]) == (10, [])


def test_search_order_is_project_folders_then_user_folders(places: tuple[Path, Path, Path]) -> None:
    ws, dhome, home = places
    sub = ws / "pkg"
    sub.mkdir()
    found = [(d.path, d.scope, d.source) for d in search_dirs(sub, ws, dhome, home)]
    assert found == [
        (sub / ".devagent/skills", "project", ".devagent/skills"),
        (ws / ".devagent/skills", "project", ".devagent/skills"),
        (sub / ".claude/skills", "project", ".claude/skills"),
        (ws / ".claude/skills", "project", ".claude/skills"),
        (sub / ".agents/skills", "project", ".agents/skills"),
        (ws / ".agents/skills", "project", ".agents/skills"),
        (dhome / "skills", "user", "$DEVAGENT_HOME/skills"),
        (home / ".claude/skills", "user", "~/.claude/skills"),
        (home / ".agents/skills", "user", "~/.agents/skills"),
        (home / ".codex/skills", "user", "~/.codex/skills"),
    ]


def test_a_project_skill_shadows_a_user_skill_of_the_same_name(
    places: tuple[Path, Path, Path],
) -> None:
    ws, dhome, home = places
    mine = make_skill(
        home / ".codex" / "skills", "deploy", "---\nname: deploy\ndescription: user\n---\nU"
    )
    make_skill(home / ".claude" / "skills", "other", "---\nname: other\ndescription: o\n---\nO")
    theirs = make_skill(
        ws / ".agents" / "skills", "deploy", "---\nname: deploy\ndescription: repo\n---\nR"
    )
    catalog = discover(ws, ws, dhome, home)
    deploy = catalog.get("deploy")
    assert deploy is not None and (deploy.description, deploy.scope) == ("repo", "project")
    assert [(s.skill.folder, s.by.folder) for s in catalog.shadowed] == [(mine, theirs)]
    assert [s.name for s in catalog] == ["deploy", "other"]


def test_broken_skills_are_reported_and_the_others_still_load(
    places: tuple[Path, Path, Path],
) -> None:
    ws, dhome, home = places
    root = ws / ".claude" / "skills"
    make_skill(root, "good", "---\nname: good\ndescription: Works.\n---\nBody")
    make_skill(root, "no-front", "# Title\n\nDoes a thing\nwell.\n\nMore.")
    make_skill(root, "bad-yaml", "---\nname: bad-yaml\ndescription: [unclosed\n---\nBody")
    make_skill(root, "no-desc", "---\nname: no-desc\n---\nFirst paragraph here.\n\nSecond.")
    make_skill(root, "unclosed", "---\nname: unclosed\ndescription: x\n")
    make_skill(root, "empty", "---\nname: empty\n---\n")
    catalog = discover(ws, ws, dhome, home)
    loaded = {s.name: s for s in catalog}
    assert sorted(loaded) == ["bad-yaml", "good", "no-desc", "no-front"]
    assert loaded["no-front"].description == "Does a thing well."
    assert loaded["no-desc"].description == "First paragraph here."
    assert loaded["bad-yaml"].description == "[unclosed"
    assert sorted(p.path.parent.name for p in catalog.problems) == ["empty", "unclosed"]
    checked, problems = lint([root])
    assert checked == 6
    by_skill: dict[str, list[str]] = {}
    for problem in problems:
        by_skill.setdefault(problem.path.parent.name, []).append(problem.severity)
    assert "good" not in by_skill
    for name in ("no-front", "bad-yaml", "no-desc"):
        assert by_skill[name] and set(by_skill[name]) == {"warning"}, name
    assert by_skill["unclosed"] == by_skill["empty"] == ["error"]
    texts = " | ".join(p.message for p in problems)
    assert "no frontmatter" in texts and "not valid YAML" in texts and "no description" in texts


def test_files_as_written_load_crlf_bom_colons_and_long_text(tmp_path: Path) -> None:
    long = "word " * 300
    text = (
        "\ufeff---\r\nname: notes\r\ndescription: Use when: the user says: take notes\r\n"
        f"compatibility: {'x' * 600}\r\nallowed-tools: Bash(git status:*) Read, Grep\r\n"
        f"---\r\n{long}\r\n"
    )
    folder = make_skill(tmp_path, "notes", text.encode("utf-8"))
    skill = load_skill(folder)
    assert skill.description == "Use when: the user says: take notes"
    assert skill.allowed_tools == ("Bash(git status:*)", "Read", "Grep")
    assert skill.body == long.strip()
    assert "\r" not in skill.body


def spec(skill: Skill) -> list[str]:
    from devagent.skills import spec_warnings

    return spec_warnings(skill)


@pytest.mark.parametrize(
    ("folder", "front", "expected"),
    [
        ("Bad_Name", "name: Bad_Name\ndescription: d", "may hold only lowercase letters"),
        ("a--b", "name: a--b\ndescription: d", "must not contain '--'"),
        ("-lead", "name: -lead\ndescription: d", "may not start or end with a hyphen"),
        ("folder", "name: other\ndescription: d", "differs from its folder's name 'folder'"),
        ("x" * 65, f"name: {'x' * 65}\ndescription: d", "1-64 characters (it has 65)"),
        ("long", f"name: long\ndescription: {'d' * 1025}", "1-1024 characters (it has 1025)"),
        ("compat", f"name: compat\ndescription: d\ncompatibility: {'c' * 501}", "at most 500"),
    ],
)
def test_lint_warns_about_what_the_specification_requires(
    tmp_path: Path, folder: str, front: str, expected: str
) -> None:
    path = make_skill(tmp_path, folder, f"---\n{front}\n---\nBody")
    skill = load_skill(path)
    assert any(expected in w for w in spec(skill)), spec(skill)
    checked, problems = lint([path])
    assert checked == 1 and problems and all(p.severity == "warning" for p in problems)


def test_a_valid_skill_has_no_spec_warnings(tmp_path: Path) -> None:
    path = make_skill(
        tmp_path, "ok-1", "---\nname: ok-1\ndescription: d\ncompatibility: any\n---\nB"
    )
    assert spec(load_skill(path)) == []


def test_invalid_allowed_tools_rules_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = make_skill(
        tmp_path,
        "t",
        "---\nname: t\ndescription: d\nallowed-tools:\n  - Bash(npm test:*)\n  - 'Bash()'\n---\nB",
    )
    skill = load_skill(path)
    assert skill.allowed_tools == ("Bash(npm test:*)",)
    assert any("empty specifier" in w for w in skill.warnings)


def test_flags_hide_a_skill_from_the_user_or_the_model(tmp_path: Path) -> None:
    hidden = load_skill(
        make_skill(tmp_path, "h", "---\nname: h\ndescription: d\nuser-invocable: false\n---\nB")
    )
    manual = load_skill(
        make_skill(
            tmp_path, "m", "---\nname: m\ndescription: d\ndisable-model-invocation: true\n---\nB"
        )
    )
    assert (hidden.user_invocable, hidden.model_invocable) == (False, True)
    assert (manual.user_invocable, manual.model_invocable) == (True, False)


def test_unreadable_or_binary_skill_files_raise(tmp_path: Path) -> None:
    with pytest.raises(SkillError, match="NUL"):
        load_skill(make_skill(tmp_path, "bin", b"---\x00\n"))
    with pytest.raises(SkillError, match="cannot read"):
        load_skill(tmp_path / "missing")


def test_split_tool_rules_keeps_parentheses_together() -> None:
    assert split_tool_rules("Bash(git log --oneline:*), Read Write(src/a b.py)") == [
        "Bash(git log --oneline:*)",
        "Read",
        "Write(src/a b.py)",
    ]
    assert split_tool_rules(["Read, Grep", "Bash"]) == ["Read", "Grep", "Bash"]
    assert split_tool_rules(3) == []
