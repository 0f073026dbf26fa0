"""Settings sources for permissions and models: flags, user file, repository files, and trust.

Sources, in order (rules keep this order; for a single value such as the mode or the model
the later, more specific source wins, and the ``--permission-mode`` flag beats every file):

1. flags: ``--allowed-tools``, ``--disallowed-tools`` (repeatable; commas outside
   parentheses split one value into several rules), ``--permission-mode``;
2. ``$DEVAGENT_HOME/settings.json``;
3. the repository's ``.devagent/settings.json``, ``.claude/settings.json`` and
   ``.claude/settings.local.json``.

Keys read (Claude Code's): ``permissions.allow``, ``permissions.ask``, ``permissions.deny``,
``permissions.defaultMode``, ``model`` and ``modelAliases`` (alias -> model id), and
devagent's ``providers`` (profile name -> profile, checked by ``devagent.llm.providers``; a
later file's entry replaces an earlier one of the same name). Other keys are ignored.
Files are only read, never rewritten.

Until the user trusts the folder (``devagent.trust``), repository files may only narrow:
their deny and ask rules apply; their allow rules, a ``defaultMode`` other than default or
plan, ``model``, ``modelAliases``, ``providers`` and endpoint- or command-like keys are
ignored, each with a warning the caller should show.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devagent.errors import UsageError
from devagent.fsutil import JSONFileError, read_json_object
from devagent.permissions import (
    InvalidRuleError,
    Mode,
    PermissionEngine,
    Rule,
    parse_mode,
    split_rules,
)
from devagent.trust import is_trusted

ALLOWED_FLAG = "--allowed-tools"
DISALLOWED_FLAG = "--disallowed-tools"
MODE_FLAG = "--permission-mode"
USER_SETTINGS = "settings.json"
REPO_SETTINGS = (
    Path(".devagent") / "settings.json",
    Path(".devagent") / "settings.local.json",
    Path(".claude") / "settings.json",
    Path(".claude") / "settings.local.json",
)
# Modes an untrusted repository may set: they only take permissions away.
NARROWING_MODES = frozenset({"default", "plan"})
# Keys that, in other tools, run commands or redirect the API; named in warnings when an
# untrusted repository sets them, so the user knows they were not honoured.
_RISKY_KEYS = frozenset(
    {
        "env",
        "hooks",
        "apikeyhelper",
        "mcpservers",
        "enableallprojectmcpservers",
        "enabledmcpjsonservers",
        "awsauthrefresh",
        "awscredentialexport",
        "otelheadershelper",
        "statusline",
        "forceloginmethod",
    }
)


@dataclass(frozen=True)
class SettingsFile:
    """The keys devagent reads from one settings file."""

    path: Path
    allow: tuple[str, ...] = ()
    ask: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    default_mode: str | None = None
    model: str | None = None
    model_aliases: Mapping[str, str] = field(default_factory=dict)
    providers: Mapping[str, object] = field(default_factory=dict)
    risky_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedSettings:
    """Everything read from flags and files, after trust was applied."""

    mode: Mode
    mode_source: str
    allow: tuple[Rule, ...]
    ask: tuple[Rule, ...]
    deny: tuple[Rule, ...]
    model: str | None
    model_aliases: Mapping[str, str]
    warnings: tuple[str, ...]
    sources: tuple[str, ...]
    trusted: bool
    # profile name -> (the file that set it, its JSON value)
    providers: Mapping[str, tuple[str, object]] = field(default_factory=dict)


def user_settings_path(home: Path) -> Path:
    return home / USER_SETTINGS


def repo_settings_paths(workspace: Path) -> list[Path]:
    return [workspace / rel for rel in REPO_SETTINGS]


# --- reading one file -----------------------------------------------------------------------


def read_settings_file(path: Path) -> SettingsFile | None:
    """Parse one settings file; None when it does not exist; ``UsageError`` when broken."""
    try:
        data = read_json_object(path)
    except JSONFileError as exc:
        raise _broken(exc) from exc
    return None if data is None else _settings_from(path, data)


def _broken(exc: JSONFileError) -> UsageError:
    if exc.problem == "not-an-object":
        return UsageError(f"{exc.path}: the settings must be a JSON object {{...}}. Fix the file.")
    if exc.problem == "unreadable":
        return UsageError(f"{exc}. Fix or move the file.")
    return UsageError(
        f"{exc}. Fix the file at that line and column (devagent has not changed it), or move it "
        "away to ignore it."
    )


def _settings_from(path: Path, data: Mapping[str, Any]) -> SettingsFile:
    perms = data.get("permissions", {})
    if not isinstance(perms, dict):
        raise UsageError(f'{path}: "permissions" must be an object. Fix the file.')
    aliases = data.get("modelAliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()
    ):
        raise UsageError(f'{path}: "modelAliases" must map names to model ids. Fix the file.')
    providers = data.get("providers", {})
    if not isinstance(providers, dict):
        raise UsageError(f'{path}: "providers" must map profile names to profiles. Fix the file.')
    return SettingsFile(
        path=path,
        allow=_string_list(path, perms, "allow"),
        ask=_string_list(path, perms, "ask"),
        deny=_string_list(path, perms, "deny"),
        default_mode=_optional_string(path, perms, "defaultMode", "permissions.defaultMode"),
        model=_optional_string(path, data, "model", "model"),
        model_aliases=dict(aliases),
        providers=dict(providers),
        risky_keys=tuple(k for k in data if _is_risky_key(k)),
    )


def _is_risky_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _RISKY_KEYS or "url" in lowered or "endpoint" in lowered


def _string_list(path: Path, perms: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = perms.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f'{path}: "permissions.{key}" must be a list of rule strings.')
    return tuple(value)


def _optional_string(path: Path, data: Mapping[str, Any], key: str, shown: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise UsageError(f'{path}: "{shown}" must be a string.')
    return value


# --- combining sources ----------------------------------------------------------------------


@dataclass
class _Collector:
    allow: list[Rule] = field(default_factory=list)
    ask: list[Rule] = field(default_factory=list)
    deny: list[Rule] = field(default_factory=list)
    mode: Mode | None = None
    mode_source: str = "builtin"
    model: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    providers: dict[str, tuple[str, object]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add_rules(self, kind: str, texts: Sequence[str], source: str) -> None:
        target = {"allow": self.allow, "ask": self.ask, "deny": self.deny}[kind]
        for text in texts:
            try:
                target.append(Rule.parse(text, source))
            except InvalidRuleError as exc:
                raise UsageError(f"{source}: {exc}") from exc

    def set_mode(self, value: str, source: str) -> None:
        self.mode = _checked_mode(value, source)
        self.mode_source = source


def _checked_mode(value: str, source: str) -> Mode:
    try:
        return parse_mode(value)
    except InvalidRuleError as exc:
        raise UsageError(f"{source}: {exc}") from exc


def _flag_rules(values: Sequence[str]) -> list[str]:
    return [rule for value in values for rule in split_rules(value)]


def _add_user_file(found: SettingsFile, acc: _Collector) -> None:
    source = str(found.path)
    for kind in ("deny", "ask", "allow"):
        acc.add_rules(kind, getattr(found, kind), source)
    if found.default_mode is not None:
        acc.set_mode(found.default_mode, source)
    acc.model = found.model or acc.model
    acc.aliases.update(found.model_aliases)
    acc.providers.update((name, (source, value)) for name, value in found.providers.items())


def _add_repo_file(found: SettingsFile, acc: _Collector, *, trusted: bool) -> None:
    if trusted:
        _add_user_file(found, acc)
        return
    source = str(found.path)
    acc.add_rules("deny", found.deny, source)
    acc.add_rules("ask", found.ask, source)
    # Validate what is ignored too, so a typo surfaces before the folder is trusted.
    _Collector().add_rules("allow", found.allow, source)
    ignored: list[str] = []
    if found.allow:
        ignored.append(f"{len(found.allow)} allow rule(s)")
    if found.default_mode is not None:
        if _checked_mode(found.default_mode, source) in NARROWING_MODES:
            acc.set_mode(found.default_mode, source)
        else:
            ignored.append(f"defaultMode {found.default_mode!r}")
    if found.model is not None:
        ignored.append("model")
    if found.model_aliases:
        ignored.append("modelAliases")
    if found.providers:
        ignored.append("providers")
    ignored.extend(found.risky_keys)
    if ignored:
        acc.warnings.append(
            f"{source}: ignored {', '.join(ignored)} because this folder is not trusted; "
            "repository settings can only narrow permissions until you trust the folder."
        )


def load_settings(
    workspace: Path,
    home: Path,
    *,
    mode: str | None,
    allowed: Sequence[str],
    disallowed: Sequence[str],
    trusted: bool | None = None,
) -> LoadedSettings:
    """Read every source for ``workspace``; ``trusted`` None means look it up in ``home``."""
    workspace = Path(os.path.realpath(workspace))
    is_trusted_now = is_trusted(workspace, home) if trusted is None else trusted
    acc = _Collector()
    flag_deny, flag_allow = _flag_rules(disallowed), _flag_rules(allowed)
    acc.add_rules("deny", flag_deny, DISALLOWED_FLAG)
    acc.add_rules("allow", flag_allow, ALLOWED_FLAG)
    acc.sources.extend(
        name for name, used in ((DISALLOWED_FLAG, flag_deny), (ALLOWED_FLAG, flag_allow)) if used
    )
    user_file = read_settings_file(user_settings_path(home))
    if user_file is not None:
        acc.sources.append(str(user_file.path))
        _add_user_file(user_file, acc)
    for path in repo_settings_paths(workspace):
        found = read_settings_file(path)
        if found is not None:
            acc.sources.append(str(path))
            _add_repo_file(found, acc, trusted=is_trusted_now)
    if mode is not None:
        acc.set_mode(mode, MODE_FLAG)
        acc.sources.insert(0, MODE_FLAG)
    return LoadedSettings(
        mode=acc.mode or "default",
        mode_source=acc.mode_source,
        allow=tuple(acc.allow),
        ask=tuple(acc.ask),
        deny=tuple(acc.deny),
        model=acc.model,
        model_aliases=dict(acc.aliases),
        warnings=tuple(acc.warnings),
        sources=tuple(acc.sources),
        trusted=is_trusted_now,
        providers=dict(acc.providers),
    )


def build_engine(
    workspace: Path,
    home: Path,
    *,
    mode: str | None,
    allowed: Sequence[str],
    disallowed: Sequence[str],
    trusted: bool | None = None,
    user_home: Path | None = None,
) -> tuple[PermissionEngine, LoadedSettings]:
    """The permission engine for ``workspace`` and the settings it was built from."""
    loaded = load_settings(
        workspace, home, mode=mode, allowed=allowed, disallowed=disallowed, trusted=trusted
    )
    engine = PermissionEngine(
        workspace,
        mode=loaded.mode,
        allow=loaded.allow,
        ask=loaded.ask,
        deny=loaded.deny,
        user_home=user_home,
    )
    return engine, loaded
