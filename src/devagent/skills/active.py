"""Skills in a conversation: loading one, and what its ``allowed-tools`` grant while it is active.

A skill becomes active when it is loaded (the model's Skill call, or the user's ``/NAME``) and
stays active until the turn ends: the chat calls ``SkillSet.end_turn`` when a turn is over, and a
one-shot run is one turn.
While it is active:

- its ``allowed-tools`` rules are allowed without asking, but only when the skill may grant
  them: a user skill always, a project skill once the user has trusted the folder
  (``devagent.trust``); until then its calls ask as usual;
- a user skill's own folder may be read (it is outside the workspace, where reads are
  refused), so the model can follow the instructions' relative references.

Grants never reach past a deny rule, an ask rule or a protected path: the call is decided
again by a copy of the permission engine that holds the same rules plus the grants as allow
rules, and that engine checks deny rules, ask rules and protected paths before allow rules.
Only an "allow" that this copy reaches through a grant replaces the engine's own answer.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from devagent.approval import Decision, PermissionPolicy, PermissionRequest
from devagent.permissions import PermissionEngine, Rule, RuleKind
from devagent.skills.catalog import SkillCatalog
from devagent.skills.loading import skill_text
from devagent.skills.skill import Skill
from devagent.tools.base import ToolError
from devagent.tools.skill import LoadedSkill, SkillChoice, SkillTool

GRANT_SOURCE = "skill:"


class UnknownSkill(LookupError):
    """No skill of that name can be loaded here; the message lists what can."""


@dataclass
class SkillSet:
    """The skills of one conversation and which are active now. Its sub-agents share it: a
    skill one of them loads is active for the rest of the turn, for all of them.

    ``trusted``: whether the workspace is a trusted folder, so project skills may grant.
    """

    catalog: SkillCatalog
    trusted: bool = False
    _active: dict[str, Skill] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self, name: str, args: str = "", *, by_user: bool = False) -> str:
        """Activate the skill called ``name`` and return the text it gives the model;
        ``UnknownSkill`` when there is none (for the user, or for the model)."""
        return skill_text(self._activate(name, by_user), args)

    def _activate(self, name: str, by_user: bool) -> Skill:
        skill = self.catalog.get(name)
        usable = skill is not None and (skill.user_invocable if by_user else skill.model_invocable)
        if skill is None or not usable:
            raise UnknownSkill(self._unknown(name, by_user))
        with self._lock:
            self._active[skill.name] = skill
        return skill

    def tool(self) -> SkillTool | None:
        """The Skill tool offering the skills the model may load; None when there are none."""
        offered = self.catalog.for_model()
        if not offered:
            return None
        return SkillTool([SkillChoice(s.name, s.description) for s in offered], self._load_tool)

    def _load_tool(self, name: str, args: str) -> LoadedSkill:
        try:
            skill = self._activate(name, by_user=False)
        except UnknownSkill as exc:
            raise ToolError(f"{exc} Call Skill with one of those names.") from exc
        folder = skill.folder if skill.scope == "user" else None
        return LoadedSkill(skill_text(skill, args), folder)

    def _unknown(self, name: str, by_user: bool) -> str:
        offered = self.catalog.for_user() if by_user else self.catalog.for_model()
        names = [s.name for s in offered]
        hint = f" Available: {', '.join(names)}." if names else " No skills are available."
        return f"No skill named {name!r} can be loaded here.{hint}"

    def active(self) -> list[Skill]:
        with self._lock:
            return list(self._active.values())

    def end_turn(self) -> None:
        """The turn is over: no skill is active any more."""
        with self._lock:
            self._active.clear()

    def grants(self) -> tuple[Rule, ...]:
        """The allow rules the active skills grant now (see the module docstring)."""
        rules: list[Rule] = []
        for skill in self.active():
            source = GRANT_SOURCE + skill.name
            if skill.scope == "user":
                folder = os.path.realpath(skill.folder)
                rules.append(Rule("Read", f"/{folder}/**", source))
            if skill.scope == "user" or self.trusted:
                rules += [Rule.parse(text, source) for text in skill.allowed_tools]
        return tuple(rules)

    def policy(self, base: PermissionPolicy) -> PermissionPolicy:
        """``base`` with the active skills' grants (a ``PermissionEngine``; any other policy
        is returned as it is, since its rules cannot be copied)."""
        if not isinstance(base, PermissionEngine):
            return base
        return GrantingPolicy(base, self)


class GrantingPolicy:
    """A permission engine's decisions, plus what the active skills grant."""

    def __init__(self, engine: PermissionEngine, skills: SkillSet) -> None:
        self.engine = engine
        self.skills = skills
        self._cached: tuple[object, PermissionEngine] | None = None

    def decide(self, request: PermissionRequest) -> Decision:
        decision = self.engine.decide(request)
        if decision.behavior == "allow":
            return decision
        grants = self.skills.grants()
        if not grants:
            return decision
        granted = self._with(grants).decide(request)
        if granted.behavior != "allow" or GRANT_SOURCE not in (granted.source or ""):
            return decision
        return granted

    def rules(self, kind: RuleKind) -> tuple[Rule, ...]:
        """The engine's own rules of ``kind``: WebFetch reads the hosts it may reach on a
        private address from them, and a skill's grants never name such a host."""
        return self.engine.rules(kind)

    def _with(self, grants: tuple[Rule, ...]) -> PermissionEngine:
        engine = self.engine
        rules = {kind: engine.rules(kind) for kind in ("deny", "ask", "allow")}
        key = (engine.mode, engine.workspace, rules["deny"], rules["ask"], rules["allow"], grants)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        copy = PermissionEngine(
            Path(engine.workspace),
            mode=engine.mode,
            allow=(*grants, *rules["allow"]),
            ask=rules["ask"],
            deny=rules["deny"],
            user_home=Path(engine.user_home),
        )
        self._cached = (key, copy)
        return copy
