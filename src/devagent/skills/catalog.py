"""Where skills are found, which one wins on a name, and what `skills lint` reports.

Search order, first wins on a name; every folder is read in place:

1. project ``.devagent/skills/``  (each folder from the current directory up to the workspace)
2. project ``.claude/skills/``    (same walk)
3. project ``.agents/skills/``    (same walk)
4. ``$DEVAGENT_HOME/skills/``
5. ``~/.claude/skills/``
6. ``~/.agents/skills/``
7. ``~/.codex/skills/``

A skill is a folder directly inside a search folder that holds ``SKILL.md`` (hidden folders
are skipped). A skill that loses on its name is kept in ``SkillCatalog.shadowed``; a folder
that cannot be a skill becomes a ``Problem``. Nothing here raises for a bad file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devagent.fsutil import folders_up, unique_by_path
from devagent.skills.skill import (
    SKILL_FILE,
    Problem,
    Scope,
    Skill,
    SkillError,
    load_skill,
    spec_warnings,
)

PROJECT_DIRS = (".devagent/skills", ".claude/skills", ".agents/skills")
USER_DIRS = (".claude/skills", ".agents/skills", ".codex/skills")


@dataclass(frozen=True)
class SearchDir:
    """One folder searched for skills, with the scope and source its skills get."""

    path: Path
    scope: Scope
    source: str


@dataclass(frozen=True)
class Shadowed:
    """A skill that lost on its name to one found earlier in the search order."""

    skill: Skill
    by: Skill


@dataclass
class SkillCatalog:
    """The skills found: winners in search order, the shadowed, and the folders that failed."""

    skills: list[Skill] = field(default_factory=list)
    shadowed: list[Shadowed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _by_name: dict[str, Skill] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for skill in self.skills:
            self._by_name.setdefault(skill.name, skill)

    def __iter__(self) -> Iterator[Skill]:
        return iter(self.skills)

    def __len__(self) -> int:
        return len(self.skills)

    def add(self, skill: Skill) -> None:
        """Keep ``skill`` unless one with the same name is already here."""
        winner = self.get(skill.name)
        if winner is None:
            self.skills.append(skill)
            self._by_name[skill.name] = skill
        else:
            self.shadowed.append(Shadowed(skill, winner))

    def get(self, name: str) -> Skill | None:
        return self._by_name.get(name)

    def for_model(self) -> list[Skill]:
        """The skills the model may load (not ``disable-model-invocation``)."""
        return [s for s in self.skills if s.model_invocable]

    def for_user(self) -> list[Skill]:
        """The skills ``/NAME`` runs (not ``user-invocable: false``)."""
        return [s for s in self.skills if s.user_invocable]

    def close_matches(self, name: str, limit: int = 3) -> list[str]:
        names = [s.name for s in self.skills]
        return difflib.get_close_matches(name, names, n=limit, cutoff=0.5)


def search_dirs(
    cwd: Path, workspace: Path, home: Path, user_home: Path | None = None
) -> list[SearchDir]:
    """The folders to search, in order (see the module docstring); missing ones included."""
    found = [
        SearchDir(folder / relative, "project", relative)
        for relative in PROJECT_DIRS
        for folder in folders_up(cwd, workspace)
    ]
    found.append(SearchDir(home / "skills", "user", "$DEVAGENT_HOME/skills"))
    user_home = Path.home() if user_home is None else user_home
    found += [SearchDir(user_home / rel, "user", f"~/{rel}") for rel in USER_DIRS]
    return unique_by_path(found, lambda d: d.path)


def skill_folders(folder: Path) -> list[Path]:
    """The folders directly inside ``folder`` that hold a ``SKILL.md``, by name."""
    try:
        children = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []
    return [c for c in children if not c.name.startswith(".") and (c / SKILL_FILE).is_file()]


def discover(cwd: Path, workspace: Path, home: Path, user_home: Path | None = None) -> SkillCatalog:
    """Every skill visible from ``cwd``: ``home`` is ``$DEVAGENT_HOME``, ``user_home`` is ~."""
    catalog = SkillCatalog()
    for place in search_dirs(cwd, workspace, home, user_home):
        for folder in skill_folders(place.path):
            try:
                catalog.add(load_skill(folder, place.scope, place.source))
            except SkillError as exc:
                catalog.problems.append(Problem(folder / SKILL_FILE, str(exc)))
    return catalog


def skill_problems(skill: Skill) -> list[Problem]:
    """Warnings about a skill that loaded: how it was read, and the specification's rules."""
    return [
        Problem(skill.path, text, "warning") for text in [*skill.warnings, *spec_warnings(skill)]
    ]


def lint_folders(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The skill folders at ``paths``: a skill folder, its ``SKILL.md``, or a folder of skill
    folders; paths that are none of these are problems."""
    folders: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_file() and path.name == SKILL_FILE:
            folders.append(path.parent)
        elif (path / SKILL_FILE).is_file():
            folders.append(path)
        elif path.is_dir():
            folders += skill_folders(path)
        elif path.exists():
            problems.append(Problem(path, f"not a skill: name its folder or its {SKILL_FILE}"))
        else:
            problems.append(Problem(path, "no such file or folder"))
    return folders, problems


def lint(paths: Sequence[Path]) -> tuple[int, list[Problem]]:
    """How many skills were checked at ``paths``, and their problems in path order.

    Errors are skills that cannot load; everything else is a warning.
    """
    folders, problems = lint_folders(paths)
    seen: dict[str, Skill] = {}
    for folder in folders:
        try:
            skill = load_skill(folder)
        except SkillError as exc:
            problems.append(Problem(folder / SKILL_FILE, str(exc)))
            continue
        problems += skill_problems(skill)
        first = seen.setdefault(skill.name, skill)
        if first is not skill:
            text = f"duplicate name {skill.name!r}: {first.path} has it too and wins"
            problems.append(Problem(skill.path, text, "warning"))
    return len(folders), problems
