"""Agent personas: find persona files, parse them leniently, validate them.

A persona is a Markdown file whose frontmatter names it, says when to use it and which tools
and model it wants; its body is the system prompt. See ``catalog`` for the search order,
``devagent.frontmatter`` for how hand-written files are read, ``tools`` for tool-name handling.
"""

from __future__ import annotations

from devagent.personas.catalog import (
    Catalog,
    SearchDir,
    Shadowed,
    bundled_agents_dir,
    discover,
    lint,
    persona_files,
    persona_problems,
    search_dirs,
)
from devagent.personas.persona import (
    Origin,
    Persona,
    PersonaError,
    Problem,
    effective_tools,
    load_persona,
    parse_persona,
    slugify,
)
from devagent.personas.tools import known_tools

__all__ = [
    "Catalog",
    "Origin",
    "Persona",
    "PersonaError",
    "Problem",
    "SearchDir",
    "Shadowed",
    "bundled_agents_dir",
    "discover",
    "effective_tools",
    "known_tools",
    "lint",
    "load_persona",
    "parse_persona",
    "persona_files",
    "persona_problems",
    "search_dirs",
    "slugify",
]
