"""Agent Skills: find ``SKILL.md`` folders, read them leniently, lint them, load them.

A skill is a folder with a ``SKILL.md`` (the agentskills.io format Claude Code, Codex and
Gemini CLI read). ``catalog`` says where skills are found and which wins on a name, ``skill``
how one file is read and what the specification requires, ``loading`` what a loaded skill
gives the model, and ``active`` which skills are active in a turn and what their
``allowed-tools`` grant. The Skill tool itself is ``devagent.tools.skill``.
"""

from __future__ import annotations

from devagent.skills.active import GrantingPolicy, SkillSet, UnknownSkill
from devagent.skills.catalog import (
    SearchDir,
    Shadowed,
    SkillCatalog,
    discover,
    lint,
    search_dirs,
    skill_problems,
)
from devagent.skills.loading import skill_text
from devagent.skills.skill import Problem, Skill, SkillError, load_skill, spec_warnings

__all__ = [
    "GrantingPolicy",
    "Problem",
    "SearchDir",
    "Shadowed",
    "Skill",
    "SkillCatalog",
    "SkillError",
    "SkillSet",
    "UnknownSkill",
    "discover",
    "lint",
    "load_skill",
    "search_dirs",
    "skill_problems",
    "skill_text",
    "spec_warnings",
]
