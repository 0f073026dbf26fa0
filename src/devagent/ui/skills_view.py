"""The chat's view of skills: ``/skills`` lists them, with scope and source."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.table import Table
from rich.text import Text

from devagent.skills import SkillSet

DESCRIPTION_WIDTH = 70


class SkillsHost(Protocol):
    """What ``/skills`` needs of the chat."""

    @property
    def console(self) -> Console: ...
    @property
    def skill_set(self) -> SkillSet: ...


def cmd_skills(host: SkillsHost, args: str) -> None:
    """List the skills: /NAME [args] runs one; the model loads them when a task fits."""
    catalog = host.skill_set.catalog
    if not len(catalog):
        host.console.print(
            "No skills found. Put a folder with a SKILL.md in .claude/skills/, .agents/skills/, "
            ".devagent/skills/ or ~/.claude/skills/ (see `devagent skills list`).",
            markup=False,
            highlight=False,
        )
        return
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("name", "scope", "source", "description"):
        table.add_column(column)
    for skill in catalog:
        name = f"/{skill.name}" if skill.user_invocable else f"{skill.name} (model only)"
        line = " ".join(skill.description.split())
        if len(line) > DESCRIPTION_WIDTH:
            line = line[: DESCRIPTION_WIDTH - 1] + "…"
        table.add_row(Text(name), skill.scope, Text(skill.source), Text(line))
    host.console.print(table)
    for shadow in catalog.shadowed:
        text = f"shadowed: {shadow.skill.path} (by {shadow.by.path})"
        host.console.print(Text(text, style="dim"))
