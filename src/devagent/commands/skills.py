"""`devagent skills`: list the skills in reach, show one, lint skill folders.

Mounted by the main app as ``app.add_typer(skills_app, name="skills")``. Exit codes: 0 ok
(lint warnings included: a skill another agent would load is never refused), 1 when ``lint``
finds a skill that cannot load, 2 for an unknown skill name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from devagent.config import devagent_home

if TYPE_CHECKING:  # the skill machinery (yaml) loads only when a command runs
    from devagent.skills import Problem, Skill, SkillCatalog

app = typer.Typer(
    name="skills",
    help="List, show and lint Agent Skills (SKILL.md folders).",
    no_args_is_help=True,
    add_completion=False,
)

ListFormat = Literal["table", "json"]
UNCUT_WIDTH = 1000


def _catalog() -> SkillCatalog:
    from devagent.gitinfo import find_workspace
    from devagent.skills import discover

    cwd = Path.cwd()
    return discover(cwd, find_workspace(cwd), devagent_home())


def skill_json(skill: Skill) -> dict[str, Any]:
    return {
        "name": skill.name,
        "description": skill.description,
        "scope": skill.scope,
        "source": skill.source,
        "path": str(skill.folder),
        "license": skill.license,
        "compatibility": skill.compatibility,
        "metadata": dict(skill.metadata),
        "allowed_tools": list(skill.allowed_tools),
        "user_invocable": skill.user_invocable,
        "model_invocable": skill.model_invocable,
    }


def _problem_json(problem: Problem) -> dict[str, str]:
    return {"path": str(problem.path), "message": problem.message, "severity": problem.severity}


def catalog_json(catalog: SkillCatalog) -> dict[str, Any]:
    """The ``skills list --format json`` document."""
    return {
        "skills": [skill_json(s) for s in catalog],
        "problems": [_problem_json(p) for p in catalog.problems],
        "shadowed": [
            {"name": s.skill.name, "path": str(s.skill.folder), "by": str(s.by.folder)}
            for s in catalog.shadowed
        ],
    }


def _print_table(catalog: SkillCatalog) -> None:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from devagent.ui.console import terminal_width

    rows = [(s.name, s.scope, s.source, " ".join(s.description.split())) for s in catalog]
    console = Console(width=terminal_width() or UNCUT_WIDTH)
    headers = ("NAME", "SCOPE", "SOURCE", "DESCRIPTION")
    widths = [max([len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers[:-1])]
    room = max(console.width - sum(widths) - 2 * len(widths) - 1, 11)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, no_wrap=True)
    for row in rows:
        description = Text(row[-1])
        description.truncate(room, overflow="ellipsis")
        table.add_row(*(Text(cell) for cell in row[:-1]), description)
    console.print(table)
    err = Console(stderr=True)
    for shadow in catalog.shadowed:
        text = f"shadowed: {shadow.skill.path} (by {shadow.by.path})"
        err.print(text, highlight=False, markup=False)
    for problem in catalog.problems:
        err.print(f"problem: {problem.path}: {problem.message}", highlight=False, markup=False)


@app.command("list")
def list_skills(
    output_format: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List every skill in reach, with its scope and source."""
    catalog = _catalog()
    if output_format == "json":
        typer.echo(json.dumps(catalog_json(catalog), indent=2, ensure_ascii=False))
    elif not len(catalog) and not catalog.problems:
        typer.echo(
            "No skills found. A skill is a folder with a SKILL.md in .claude/skills/, "
            ".agents/skills/ or .devagent/skills/ (of this project), or in $DEVAGENT_HOME/skills/, "
            "~/.claude/skills/, ~/.agents/skills/ or ~/.codex/skills/.",
            err=True,
        )
    else:
        _print_table(catalog)


def describe(skill: Skill) -> list[str]:
    """The lines ``skills show`` prints for ``skill``, body last."""
    from devagent.skills import spec_warnings

    invocable = [
        who for who, ok in (("user", skill.user_invocable), ("model", skill.model_invocable)) if ok
    ]
    lines = [
        f"name:           {skill.name}",
        f"scope:          {skill.scope} ({skill.source})",
        f"path:           {skill.path}",
        f"license:        {skill.license or '-'}",
        f"compatibility:  {skill.compatibility or '-'}",
        f"allowed-tools:  {' '.join(skill.allowed_tools) or '-'}",
        f"invocable by:   {', '.join(invocable) or 'nobody'}",
    ]
    lines += [f"metadata:       {key}: {value}" for key, value in skill.metadata.items()]
    lines += [f"warning:        {text}" for text in [*skill.warnings, *spec_warnings(skill)]]
    lines += ["description:", *skill.description.splitlines(), "", "body:", skill.body]
    return lines


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The skill's name.")]) -> None:
    """Show one skill: where it is, its fields and its instructions."""
    catalog = _catalog()
    skill = catalog.get(name)
    if skill is None:
        close = catalog.close_matches(name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        typer.echo(
            f"error: Unknown skill {name!r}.{hint} Run `devagent skills list` to see every skill.",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo("\n".join(describe(skill)))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@app.command("lint")
def lint_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Skill folders, SKILL.md files or folders of skills (default: all)."),
    ] = None,
) -> None:
    """Check skills against the Agent Skills specification; exit 1 when one cannot load."""
    from devagent.skills import lint, search_dirs

    if paths:
        targets = list(paths)
    else:
        from devagent.gitinfo import find_workspace

        cwd = Path.cwd()
        dirs = search_dirs(cwd, find_workspace(cwd), devagent_home())
        targets = [d.path for d in dirs if d.path.is_dir()]
    checked, problems = lint(targets)
    for problem in problems:
        typer.echo(f"{problem.path}: {problem.severity}: {problem.message}")
    errors = sum(1 for p in problems if p.severity == "error")
    counts = f"{_count(errors, 'error')}, {_count(len(problems) - errors, 'warning')}"
    typer.echo(f"{_count(checked, 'skill')} checked: {counts}", err=True)
    if errors:
        raise typer.Exit(1)
