"""The ``sandbox`` settings: mode, network, required, autoAllowBash, from every source.

Sources, later wins: the built-in defaults, ``$DEVAGENT_HOME/settings.json``, the repository's
settings files (``devagent.settings.REPO_SETTINGS``, in that order), ``$DEVAGENT_SANDBOX``
(a mode), then ``--sandbox MODE``. The key, in any settings file::

    "sandbox": {"mode": "workspace-write" | "read-only" | "off",
                "network": false | true | ["pypi.org", ...],
                "required": false, "autoAllowBash": false}

Until the folder is trusted a repository file may only tighten: a stricter mode, network off,
``required: true``, ``autoAllowBash: false``. Anything else it sets is ignored with a warning.
A value of the wrong type is a ``UsageError`` naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from devagent.errors import UsageError
from devagent.fsutil import JSONFileError, read_json_object
from devagent.settings import repo_settings_paths, user_settings_path

SandboxMode = Literal["workspace-write", "read-only", "off"]
MODES: tuple[SandboxMode, ...] = get_args(SandboxMode)
DEFAULT_MODE: SandboxMode = "workspace-write"
ENV_VAR = "DEVAGENT_SANDBOX"
FLAG = "--sandbox"
# How much each mode confines; an untrusted repository may only move up this order.
_STRICTNESS: dict[SandboxMode, int] = {"off": 0, "workspace-write": 1, "read-only": 2}
_KEYS = frozenset({"mode", "network", "required", "autoAllowBash"})

Network = bool | tuple[str, ...]


@dataclass(frozen=True)
class SandboxSettings:
    """The sandbox settings after every source and trust were applied.

    ``network``: False (none), True (all), or the hosts a command may reach (which bubblewrap
    cannot filter: see ``devagent.sandbox.gate``). ``sources`` says where each value came from.
    """

    mode: SandboxMode = DEFAULT_MODE
    network: Network = False
    required: bool = False
    auto_allow_bash: bool = False
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")


def parse_mode(value: object, source: str) -> SandboxMode:
    """``value`` as a sandbox mode; ``UsageError`` naming ``source`` and the choices if not."""
    for mode in MODES:
        if value == mode:
            return mode
    choices = ", ".join(MODES)
    raise UsageError(f"{source}: sandbox mode {value!r} is not one of {choices}.")


def load_sandbox_settings(
    workspace: Path,
    home: Path,
    *,
    flag: str | None,
    env: Mapping[str, str],
    trusted: bool,
) -> SandboxSettings:
    """Read every source (see the module docstring) for ``workspace``."""
    acc = _Accumulator()
    acc.apply(_file_section(user_settings_path(home)), str(user_settings_path(home)), trusted=True)
    for path in repo_settings_paths(workspace):
        acc.apply(_file_section(path), str(path), trusted=trusted)
    from_env = env.get(ENV_VAR, "").strip()
    if from_env:
        acc.set("mode", parse_mode(from_env, f"${ENV_VAR}"), f"${ENV_VAR}")
    if flag is not None:
        acc.set("mode", parse_mode(flag, FLAG), FLAG)
    return replace(acc.settings, sources=dict(acc.sources), warnings=tuple(acc.warnings))


def _file_section(path: Path) -> Mapping[str, Any] | None:
    try:
        data = read_json_object(path)
    except JSONFileError as exc:
        raise UsageError(f"{exc}. Fix or move the file.") from exc
    if data is None or "sandbox" not in data:
        return None
    section = data["sandbox"]
    if not isinstance(section, dict):
        raise UsageError(f'{path}: "sandbox" must be an object, e.g. {{"mode": "read-only"}}.')
    return section


@dataclass
class _Accumulator:
    settings: SandboxSettings = field(default_factory=SandboxSettings)
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def set(self, key: str, value: object, source: str) -> None:
        attr = "auto_allow_bash" if key == "autoAllowBash" else key
        changes: dict[str, Any] = {attr: value}
        self.settings = replace(self.settings, **changes)
        self.sources[key] = source

    def apply(self, section: Mapping[str, Any] | None, source: str, *, trusted: bool) -> None:
        if section is None:
            return
        unknown = sorted(set(section) - _KEYS)
        if unknown:
            self.warnings.append(f"{source}: unknown sandbox key(s) {', '.join(unknown)} ignored.")
        values = _read_values(section, source)
        ignored = [key for key, value in values.items() if not trusted and self._widens(key, value)]
        for key, value in values.items():
            if key not in ignored:
                self.set(key, value, source)
        if ignored:
            self.warnings.append(
                f"{source}: ignored sandbox.{', sandbox.'.join(ignored)} because this folder is "
                "not trusted; repository settings can only tighten the sandbox until you trust it."
            )

    def _widens(self, key: str, value: object) -> bool:
        current = self.settings
        if key == "mode":
            return _STRICTNESS[parse_mode(value, "")] < _STRICTNESS[current.mode]
        if key == "network":
            return value is not False
        if key == "required":
            return value is False and current.required
        return value is True


def _read_values(section: Mapping[str, Any], source: str) -> dict[str, object]:
    values: dict[str, object] = {}
    if "mode" in section:
        values["mode"] = parse_mode(section["mode"], source)
    if "network" in section:
        values["network"] = _network(section["network"], source)
    for key in ("required", "autoAllowBash"):
        if key in section:
            if not isinstance(section[key], bool):
                raise UsageError(f'{source}: "sandbox.{key}" must be true or false.')
            values[key] = section[key]
    return values


def _network(value: object, source: str) -> Network:
    if isinstance(value, bool):
        return value
    if isinstance(value, list) and all(isinstance(h, str) and h.strip() for h in value):
        hosts: Sequence[str] = [h.strip().lower() for h in value]
        return tuple(dict.fromkeys(hosts)) or False
    raise UsageError(
        f'{source}: "sandbox.network" must be true, false or a list of host names, '
        'e.g. ["pypi.org"].'
    )
