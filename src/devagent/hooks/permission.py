"""A PreToolUse hook's permission decision, applied after the permission policy's.

A hook may take permission away, never widen past the rules: ``deny`` denies; ``ask`` asks
where the policy would allow; ``allow`` answers only the question the permission mode itself
would ask (a decision from ``mode:<name>``). A deny rule, plan and dontAsk modes' refusals, an
ask rule, a protected path and a command the parser cannot read keep their decision.
"""

from __future__ import annotations

from devagent.approval import Decision
from devagent.hooks.outcome import HookPermission

SOURCE = "hook:PreToolUse"


def with_hook(decision: Decision, wanted: HookPermission | None, reason: str = "") -> Decision:
    """``decision`` after a PreToolUse hook said ``wanted`` (see the module docstring)."""
    why = f": {reason}" if reason else ""
    if wanted is None or decision.behavior == "deny":
        return decision
    if wanted == "deny":
        return Decision("deny", f"a PreToolUse hook denied it{why}", source=SOURCE)
    if wanted == "ask":
        if decision.behavior == "allow":
            return Decision("ask", f"a PreToolUse hook asks first{why}", source=SOURCE)
        return decision
    if decision.behavior == "ask" and (decision.source or "").startswith("mode:"):
        return Decision("allow", f"a PreToolUse hook allowed it{why}", source=SOURCE)
    return decision
