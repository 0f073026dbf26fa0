"""The terminal approver: shows exactly what a call will do and asks yes / always / no.

For tools that edit files (kind ``edit``) it shows the unified diff of what will be written
(``diffview``); for Bash the command with control characters made visible and the commands it
really runs; then why the policy asks. Answers:

- ``y`` yes, this once;
- ``a`` yes, and don't ask again: for edits the rule ``Edit(<path>)``, for Bash the narrow
  rules of ``devagent.rulesuggest`` (``Bash(npm test:*)``, ``Bash(python3 -m pytest:*)``, or the
  exact command for scripts and interpreters), for WebFetch the URL's domain
  (``WebFetch(domain:docs.python.org)``). The question names the exact rules ``a`` adds.
  ``on_remember`` gets each rule (so the session allows it), and after a second confirmation,
  which names them again, they are merged into ``permissions.allow`` of ``settings_path``;
- ``n`` no, with optional feedback that goes back to the model with the denial;
- Esc: no, at once, without asking for feedback.

ExitPlanMode's plan gets its own question (``ui.planview``): the plan drawn as Markdown, then
``y`` yes and ask for each edit, ``a`` yes and accept edits, ``n`` keep planning.

One key answers, without Enter (``ui.keychoice``): the chat passes ``ask_key``; without it the
choices are printed and answers read as lines from ``ask_line``, where anything else asks
again. The highlight Enter picks starts on ``n``: a stray Enter (from the habit of typing
``y`` and Enter) never approves anything; yes takes its own key, or the arrows and Enter.
Ctrl-C (``KeyboardInterrupt``) propagates; end of input (``EOFError``) counts as no.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.text import Text

from devagent.approval import ApprovalAnswer, ApprovalRequest, PlanAnswer, PlanApproval
from devagent.bashparse import BashAnalysis, analyze, display_argv, escape_controls
from devagent.fsutil import JSONFileError, JSONProblem, read_json_object, replace_file
from devagent.permissions import InvalidRuleError, Rule
from devagent.rulesuggest import suggest_bash_rules, suggest_tool_rules
from devagent.ui.console import sanitize
from devagent.ui.diffview import DiffView
from devagent.ui.keychoice import ESCAPE, Choice, KeyQuestion, LineKeys
from devagent.ui.planview import review_plan
from devagent.ui.toolview import shown_path

Answer = Literal["yes", "always", "no", "escape"]

_ANSWERS: dict[str, Answer] = {"y": "yes", "a": "always", "n": "no", ESCAPE: "escape"}
_GITIGNORE_SPECIAL = "\\*?[]"


# --- rules ----------------------------------------------------------------------------------


def path_rule(path: str) -> str:
    """``Edit(<path>)`` matching exactly ``path`` (relative to the workspace, or absolute)."""
    escaped = "".join("\\" + ch if ch in _GITIGNORE_SPECIAL else ch for ch in path)
    if escaped.startswith(("!", "#")):
        escaped = "\\" + escaped
    if os.path.isabs(path):
        return f"Edit(/{escaped})"  # `//abs` is anchored at the filesystem root
    # A pattern without an inner slash would match at any depth; a leading slash anchors it.
    anchored = escaped if "/" in escaped.rstrip("/") else "/" + escaped
    return f"Edit({anchored})"


# --- settings -------------------------------------------------------------------------------


class SettingsWriteError(Exception):
    """The settings file could not be updated; the message says why and what to do."""


def add_allow_rule(settings_path: Path, rules: Sequence[str]) -> None:
    """Merge ``rules`` into ``permissions.allow`` of a JSON settings file, keeping every other
    key. The file is replaced atomically; a file that is not a JSON object is never touched."""
    data = _read_settings(settings_path)
    permissions = data.setdefault("permissions", {})
    if not isinstance(permissions, dict):
        raise SettingsWriteError(f'{settings_path}: "permissions" is not an object; fix it first.')
    allow = permissions.setdefault("allow", [])
    if not isinstance(allow, list):
        raise SettingsWriteError(
            f'{settings_path}: "permissions.allow" is not a list; fix it first.'
        )
    allow.extend(rule for rule in rules if rule not in allow)
    _write_settings(settings_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


_NOT_READ: dict[JSONProblem, str] = {
    "unreadable": "{}.",
    "invalid": "{}; it was left as it is. Fix it by hand to save rules there.",
    "not-an-object": "{}; it was left as it is.",
}


def _read_settings(path: Path) -> dict[str, Any]:
    try:
        data = read_json_object(path)
    except JSONFileError as exc:
        raise SettingsWriteError(_NOT_READ[exc.problem].format(exc)) from exc
    return {} if data is None else data


def _write_settings(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A file that exists keeps its mode; a new one is private to the user, as it may come
        # to hold keys under "env".
        replace_file(path, text.encode("utf-8"), mode=None if path.exists() else 0o600)
    except OSError as exc:
        raise SettingsWriteError(f"{path}: cannot be written ({exc}).") from exc


# --- the approver ---------------------------------------------------------------------------


class TerminalApprover:
    """Implements ``devagent.approval.Approver`` on a terminal.

    ``ask_line(prompt)`` reads one answer (the REPL passes its prompt-toolkit reader; tests a
    script). ``workspace`` (default: two levels above ``settings_path``, else the current
    directory) makes file rules relative. ``before_prompt`` runs first (pass
    ``ChatView.pause`` so no spinner draws over the question).
    """

    def __init__(
        self,
        console: Console,
        ask_line: Callable[[str], str],
        settings_path: Path | None = None,
        on_remember: Callable[[str], None] | None = None,
        *,
        workspace: Path | None = None,
        before_prompt: Callable[[], None] | None = None,
        ask_key: Callable[[KeyQuestion], str] | None = None,
    ) -> None:
        self.console = console
        self.ask_line = ask_line
        self.ask_key = ask_key or LineKeys(console, ask_line)
        self.settings_path = settings_path
        self.on_remember = on_remember
        if workspace is None and settings_path is not None:
            workspace = settings_path.parent.parent
        self.workspace = workspace or Path.cwd()
        self.before_prompt = before_prompt

    def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        if self.before_prompt is not None:
            self.before_prompt()
        self._show(request)
        rules = self._rules_for(request)
        choice = self._choose(request, rules)
        if choice == "yes":
            return ApprovalAnswer(True)
        if choice == "always":
            self._remember(rules, request)
            return ApprovalAnswer(True, remember=", ".join(rules))
        if choice == "escape":
            return ApprovalAnswer(False)
        feedback = self._read("feedback for the model (optional): ").strip()
        return ApprovalAnswer(False, feedback=feedback or None)

    def review_plan(self, request: PlanApproval) -> PlanAnswer:
        if self.before_prompt is not None:
            self.before_prompt()
        return review_plan(self.console, self.ask_key, self.ask_line, request)

    # showing ---------------------------------------------------------------------------------

    def _show(self, request: ApprovalRequest) -> None:
        print_ = self.console.print
        if request.tool_name == "Bash" or request.command is not None:
            self._show_command(request)
        elif request.diff:
            print_(Text(f"{request.tool_name} wants to change:", style="bold"))
            print_(DiffView(request.diff))
        else:
            target = escape_controls(self._target(request))
            print_(Text(f"{request.tool_name} {target}".rstrip(), style="bold"))
            if request.kind == "edit":
                print_(Text("(no change to the file's content)", style="dim"))
        print_(Text(f"why: {sanitize(request.decision.reason)}", style="dim"))
        if request.decision.sandbox:
            print_(Text(f"runs: {sanitize(request.decision.sandbox)}", style="dim"))

    def _show_command(self, request: ApprovalRequest) -> None:
        command = request.command
        if command is None:
            raw = request.tool_input.get("command")
            command = raw if isinstance(raw, str) else ""
        self.console.print(Text("Bash wants to run:", style="bold"))
        for line in escape_controls(command).splitlines() or [""]:
            self.console.print(Text("  $ " + line, style="bold"))
        description = request.tool_input.get("description")
        if isinstance(description, str) and description.strip():
            self.console.print(Text("  " + sanitize(description.strip()), style="dim"))
        analysis = analyze(command)
        if _worth_listing(analysis):
            for sub in analysis.subcommands:
                self.console.print(Text("  runs: " + display_argv(sub.argv), style="cyan"))
        for problem in analysis.problems:
            self.console.print(Text("  note: " + escape_controls(problem), style="yellow"))

    def _target(self, request: ApprovalRequest) -> str:
        found = (request.tool_input.get(key) for key in ("file_path", "path", "url", "query"))
        raw = next((value for value in found if value), "")
        return shown_path(str(raw), self.workspace)

    # asking ----------------------------------------------------------------------------------

    def _choose(self, request: ApprovalRequest, rules: list[str]) -> Answer:
        # Said before the answer, so nobody expects "a" to cover these.
        uncovered = ", ".join(escape_controls(u) for u in self._uncovered(request))
        note = f"(no rule is offered for {uncovered}: any would allow more, so it asks again)"
        question = KeyQuestion(
            f"Allow {request.tool_name}? [y/a/n] ",
            _choices(request, rules),
            default=2,
            escape="n",
            notes=(note,) if uncovered else (),
        )
        try:
            answer = _ANSWERS[self.ask_key(question)]
        except EOFError:
            return "no"
        return "yes" if answer == "always" and not rules else answer

    def _read(self, prompt: str, *, at_eof: str = "") -> str:
        try:
            return self.ask_line(prompt)
        except EOFError:
            return at_eof

    # remembering -----------------------------------------------------------------------------

    def _rules_for(self, request: ApprovalRequest) -> list[str]:
        if request.tool_name == "Bash":
            return _valid(list(suggest_bash_rules(_bash_command(request)).rules))
        special = suggest_tool_rules(request.tool_name, request.tool_input)
        if special is not None:
            return _valid(list(special.rules))
        if request.kind != "edit":
            return _valid([request.tool_name])
        paths = _diff_paths(request.diff) if request.diff else []
        if not paths:
            target = self._target(request)
            paths = [target] if target else []
        return _valid([path_rule(p) for p in paths])

    def _uncovered(self, request: ApprovalRequest) -> tuple[str, ...]:
        if request.tool_name != "Bash":
            return ()
        return suggest_bash_rules(_bash_command(request)).uncovered

    def _remember(self, rules: list[str], request: ApprovalRequest) -> None:
        shown = ", ".join(rules)
        self.console.print(Text(f"Allowed for this session: {shown}", style="green"))
        if request.tool_name == "Bash" and analyze(request.command or "").problems:
            note = "note: commands like this one still ask (no rule can cover them)"
            self.console.print(Text(note, style="yellow"))
        if self.on_remember is not None:
            for rule in rules:
                self.on_remember(rule)
        if self.settings_path is None:
            return
        where = shown_path(str(self.settings_path), self.workspace)
        answer = self._read(f"persist {escape_controls(shown)} to {where}? [y/N] ")
        answer = answer.strip().lower()
        if answer not in ("y", "yes"):
            return
        try:
            add_allow_rule(self.settings_path, rules)
        except SettingsWriteError as exc:
            self.console.print(Text(f"Not saved: {exc}", style="red"))
            return
        self.console.print(Text(f"Saved to {where}.", style="dim"))


def _bash_command(request: ApprovalRequest) -> str:
    return request.command or str(request.tool_input.get("command", ""))


def _choices(request: ApprovalRequest, rules: list[str]) -> tuple[Choice, ...]:
    if request.tool_name == "Bash":
        exact = all(not rule.endswith(":*)") for rule in rules)
        scope = "this exact command" if exact else "commands like this"
    elif (special := suggest_tool_rules(request.tool_name, request.tool_input)) is not None:
        scope = special.scope
    else:
        scope = "this file" if request.kind == "edit" else "this tool"
    always = f"yes, and don't ask again for {scope}: adds {', '.join(rules)}" if rules else "yes"
    return (
        Choice("y", "yes", "yes", "yes"),
        Choice("a", escape_controls(always), "yes", "always"),
        Choice("n", "no, and tell the model what to do instead", "no", "no"),
    )


def _worth_listing(analysis: BashAnalysis) -> bool:
    """Whether the parsed commands tell the user more than the command line does."""
    subs = analysis.subcommands
    if len(subs) != 1:
        return len(subs) > 1
    return bool(subs[0].wrappers) or display_argv(subs[0].argv) != analysis.command.strip()


def _diff_paths(diff: str) -> list[str]:
    paths: list[str] = []
    for file in DiffView(diff).files:
        for path in (file.old_path, file.new_path):
            if path and path not in paths:
                paths.append(path)
    return paths


def _valid(rules: list[str]) -> list[str]:
    """Rules that parse; a rule devagent cannot read back is not offered."""
    kept = []
    for rule in rules:
        try:
            Rule.parse(rule, "session")
        except InvalidRuleError:
            continue
        kept.append(rule)
    return kept
