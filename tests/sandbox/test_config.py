"""The sandbox settings: sources in order, trust, and clear errors for bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devagent.errors import UsageError
from devagent.sandbox.config import SandboxSettings, load_sandbox_settings


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def load(
    tmp_path: Path, *, flag: str | None = None, env: dict[str, str] | None = None, trusted: bool
) -> SandboxSettings:
    return load_sandbox_settings(
        tmp_path / "ws", tmp_path / "home", flag=flag, env=env or {}, trusted=trusted
    )


def test_defaults_without_any_source(tmp_path: Path) -> None:
    found = load(tmp_path, trusted=False)
    assert (found.mode, found.network, found.required, found.auto_allow_bash) == (
        "workspace-write",
        False,
        False,
        False,
    )
    assert found.source_of("mode") == "default" and found.warnings == ()


def test_user_file_then_repo_then_env_then_flag(tmp_path: Path) -> None:
    user = write(tmp_path / "home" / "settings.json", {"sandbox": {"mode": "off"}})
    repo = write(tmp_path / "ws" / ".claude" / "settings.json", {"sandbox": {"mode": "read-only"}})
    assert load(tmp_path, trusted=True).source_of("mode") == str(repo)
    from_env = load(tmp_path, env={"DEVAGENT_SANDBOX": "off"}, trusted=True)
    assert (from_env.mode, from_env.source_of("mode")) == ("off", "$DEVAGENT_SANDBOX")
    flagged = load(tmp_path, flag="workspace-write", env={"DEVAGENT_SANDBOX": "off"}, trusted=True)
    assert (flagged.mode, flagged.source_of("mode")) == ("workspace-write", "--sandbox")
    repo.unlink()
    assert load(tmp_path, trusted=True).source_of("mode") == str(user)


def test_user_file_sets_every_key(tmp_path: Path) -> None:
    section = {"network": ["PyPI.org", "pypi.org"], "required": True, "autoAllowBash": True}
    write(tmp_path / "home" / "settings.json", {"sandbox": section})
    found = load(tmp_path, trusted=False)
    assert found.network == ("pypi.org",)
    assert found.required and found.auto_allow_bash


def test_an_untrusted_repository_may_only_tighten(tmp_path: Path) -> None:
    loose = {"mode": "off", "network": True, "autoAllowBash": True}
    path = write(tmp_path / "ws" / ".devagent" / "settings.json", {"sandbox": loose})
    found = load(tmp_path, trusted=False)
    assert (found.mode, found.network, found.auto_allow_bash) == ("workspace-write", False, False)
    [warning] = found.warnings
    assert str(path) in warning and "not trusted" in warning
    assert "sandbox.mode, sandbox.network, sandbox.autoAllowBash" in warning
    trusted = load(tmp_path, trusted=True)
    assert (trusted.mode, trusted.network, trusted.auto_allow_bash) == ("off", True, True)


def test_an_untrusted_repository_can_require_and_make_read_only(tmp_path: Path) -> None:
    strict = {"mode": "read-only", "required": True, "network": False}
    write(tmp_path / "ws" / ".claude" / "settings.json", {"sandbox": strict})
    found = load(tmp_path, trusted=False)
    assert (found.mode, found.required, found.warnings) == ("read-only", True, ())


def test_an_untrusted_repository_cannot_unrequire(tmp_path: Path) -> None:
    write(tmp_path / "home" / "settings.json", {"sandbox": {"required": True}})
    write(tmp_path / "ws" / ".claude" / "settings.json", {"sandbox": {"required": False}})
    found = load(tmp_path, trusted=False)
    assert found.required and "sandbox.required" in found.warnings[0]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"mode": "loose"}, "sandbox mode 'loose' is not one of workspace-write, read-only, off"),
        ({"network": "yes"}, '"sandbox.network" must be true, false or a list of host names'),
        ({"network": [""]}, '"sandbox.network" must be true, false or a list of host names'),
        ({"required": "true"}, '"sandbox.required" must be true or false'),
        ({"autoAllowBash": 1}, '"sandbox.autoAllowBash" must be true or false'),
        ("on", '"sandbox" must be an object'),
    ],
)
def test_bad_values_are_usage_errors_naming_the_file(
    tmp_path: Path, section: object, message: str
) -> None:
    path = write(tmp_path / "home" / "settings.json", {"sandbox": section})
    with pytest.raises(UsageError) as caught:
        load(tmp_path, trusted=True)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_a_bad_flag_or_variable_names_where_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^\$DEVAGENT_SANDBOX: sandbox mode 'x'"):
        load(tmp_path, env={"DEVAGENT_SANDBOX": "x"}, trusted=True)
    with pytest.raises(UsageError, match=r"^--sandbox: sandbox mode 'y'"):
        load(tmp_path, flag="y", trusted=True)


def test_unknown_keys_are_named_and_broken_json_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "home" / "settings.json", {"sandbox": {"enabled": True}})
    assert "unknown sandbox key(s) enabled" in load(tmp_path, trusted=True).warnings[0]
    (tmp_path / "home" / "settings.json").write_text("{broken")
    with pytest.raises(UsageError, match="invalid JSON"):
        load(tmp_path, trusted=True)
