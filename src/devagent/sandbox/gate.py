"""The permission policy with the sandbox in view: a wrapper around any ``PermissionPolicy``.

For a Bash call it adds, never removes, what the sandbox changes:

- the decision says where the command would run (``Decision.sandbox``), which the approval
  prompt and ``permissions explain`` show;
- the sandbox is required but cannot run: the call is denied (nothing would run anyway);
- ``sandbox.autoAllowBash`` with the sandbox running: a command that would only ask because
  no allow rule covers it (the mode's default, in default or acceptEdits mode) runs without
  asking. Deny rules, ask rules, protected paths, commands that cannot be read and every
  other reason to ask still ask; so does a command that would have to leave the sandbox
  (it needs the network, or writes where the sandbox is read-only), with that reason.

A host list in ``sandbox.network`` is not a filter: bubblewrap can give a command all of the
network or none, and no filtering proxy is built in. So with a host list the sandbox has no
network, and a command that needs it asks to run unsandboxed, like with ``network: false``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from devagent.approval import Decision, PermissionPolicy, PermissionRequest

if TYPE_CHECKING:
    from devagent.permissions import Rule, RuleKind
    from devagent.sandbox.launcher import Sandbox

# The engine's sources for "no allow rule covers it" in the modes where Bash would ask.
_DEFAULT_ASK_SOURCES = frozenset({"mode:default", "mode:acceptEdits"})


class SandboxGate:
    """``inner``'s decisions, with the sandbox's say on Bash (see the module docstring)."""

    def __init__(self, inner: PermissionPolicy, sandbox: Sandbox) -> None:
        self.inner = inner
        self.sandbox = sandbox

    def decide(self, request: PermissionRequest) -> Decision:
        decision = self.inner.decide(request)
        if request.tool_name != "Bash":
            return decision
        command = request.command
        if command is None:
            command = str(request.tool_input.get("command", ""))
        return self.judge(command, decision)

    def judge(self, command: str, decision: Decision) -> Decision:
        """``decision`` for Bash ``command``, with the sandbox applied."""
        sandbox = self.sandbox
        placement = sandbox.placement(command)
        decision = replace(decision, sandbox=placement.why)
        if decision.behavior == "deny":
            return decision
        if sandbox.refuses_bash:
            return Decision(
                "deny",
                sandbox.warning() or "the sandbox is required",
                None,
                sandbox.settings.source_of("required"),
                placement.why,
            )
        if (
            decision.behavior == "ask"
            and placement.sandboxed
            and sandbox.settings.auto_allow_bash
            and decision.source in _DEFAULT_ASK_SOURCES
        ):
            source = sandbox.settings.source_of("autoAllowBash")
            reason = f"sandbox.autoAllowBash: it runs {placement.why}"
            return Decision("allow", reason, None, source, placement.why)
        return decision

    def rules(self, kind: RuleKind) -> tuple[Rule, ...]:
        """The inner policy's rules of ``kind`` (WebFetch reads the named hosts from them)."""
        rules = getattr(self.inner, "rules", None)
        return tuple(rules(kind)) if callable(rules) else ()
