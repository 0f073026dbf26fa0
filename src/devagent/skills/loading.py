"""What loading a skill gives the model: its instructions, with the folder they are relative to.

Loading reads ``SKILL.md`` as it was found and runs nothing; the files the body mentions
(``scripts/``, ``references/``, ``assets/``) are not read ahead: the text says where the folder
is, so the model reads or runs them with Read and Bash when it needs them.
"""

from __future__ import annotations

from devagent.skills.skill import Skill

ARGUMENTS = "$ARGUMENTS"


def with_arguments(body: str, args: str) -> str:
    """``body`` with ``$ARGUMENTS`` replaced by ``args``; when the body has no placeholder,
    the arguments follow it on their own line (as Claude Code does)."""
    if ARGUMENTS in body:
        return body.replace(ARGUMENTS, args)
    return f"{body.rstrip()}\n\nARGUMENTS: {args}" if args.strip() else body


def skill_text(skill: Skill, args: str = "") -> str:
    """The text a loaded skill gives the model (the Skill tool's result, or ``/NAME``'s
    prompt): where it comes from, its folder, then its body."""
    folder = skill.folder
    head = (
        f'Skill "{skill.name}" loaded from {skill.path}.\n'
        f"Skill folder: {folder}\n"
        "Relative paths in these instructions (scripts/..., references/..., assets/...) are "
        f"relative to that folder: read them as {folder}/<path> with Read, and run scripts with "
        "Bash, only when the instructions call for them. Nothing in the folder has been read or "
        "run yet."
    )
    return (
        f"{head}\n\n<skill-instructions>\n{with_arguments(skill.body, args)}\n</skill-instructions>"
    )
