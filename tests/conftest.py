"""Global test setup: no real network or key, a private DEVAGENT_HOME per test, fake API fixtures.

What every test gets, without asking:

- A network guard: from session start, connecting a socket anywhere but loopback
  (127.0.0.0/8, ::1, ``localhost``) or a Unix socket raises ``NetworkAccessBlocked``, and a test
  during which such an attempt happened fails at teardown even if the code swallowed the error.
- A scrubbed environment: every ``ANTHROPIC_*`` and ``AWS_*`` variable and the other
  providers' keys and choices are removed, and ``ANTHROPIC_BASE_URL`` and ``OLLAMA_HOST`` point
  at a dead loopback port, so subprocesses cannot reach a real API or local server either.
- ``DEVAGENT_HOME`` set to a fresh temporary directory (``HOME`` is left alone) and ``NO_COLOR=1``.

Tests marked ``@pytest.mark.live`` are the exception: they run only when ``ANTHROPIC_API_KEY``
was set in the environment pytest started with, and they get that key, the original base URL
and real network access. ``@pytest.mark.slow`` marks tests worth skipping with ``-m "not slow"``.

Fixtures: ``fake_api`` (a started ``FakeAPI``; all scripted responses must be consumed),
``devagent_env`` (environment for running the real CLI against ``fake_api``), ``devagent_cmd``
(``[python, -m, devagent]``), ``devagent_home`` and ``network_guard``.

Imports: pytest runs with ``--import-mode=importlib``, which puts no test directory on
``sys.path``. This file adds ``tests`` (so helpers import as ``from fakes.fake_api import ...``)
and, when the package is not installed, ``src`` (so ``import devagent`` works).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
SRC_DIR = TESTS_DIR.parent / "src"
for _path in (SRC_DIR, TESTS_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fakes.fake_api import FakeAPI  # noqa: E402

DEAD_BASE_URL = "http://127.0.0.1:9"
TEST_API_KEY = "sk-ant-test-key"
_ORIGINAL_ENV: dict[str, str] = dict(os.environ)


class NetworkAccessBlocked(RuntimeError):
    """A test tried to open a connection to a host other than this machine."""


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


class NetworkGuard:
    """Patches socket connects so only loopback and Unix sockets can be reached."""

    def __init__(self) -> None:
        self.enabled = True
        self.blocked: list[str] = []
        self._patch = pytest.MonkeyPatch()

    def check(self, family: int | None, address: Any) -> None:
        if not self.enabled or family == getattr(socket, "AF_UNIX", None):
            return
        if family not in (None, socket.AF_INET, socket.AF_INET6):
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if _is_local(host):
            return
        target = f"{host}:{address[1]}" if isinstance(address, tuple) and len(address) > 1 else host
        self.blocked.append(str(target))
        raise NetworkAccessBlocked(
            f"network access blocked in tests: connect to {target}. Use the fake_api fixture, "
            "or mark the test @pytest.mark.live to call the real API."
        )

    def install(self) -> None:
        guard = self
        connect = socket.socket.connect
        connect_ex = socket.socket.connect_ex
        create_connection = socket.create_connection

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            guard.check(sock.family, address)
            connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check(sock.family, address)
            return connect_ex(sock, address)

        def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            guard.check(None, address)
            return create_connection(address, *args, **kwargs)

        self._patch.setattr(socket.socket, "connect", guarded_connect)
        self._patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
        self._patch.setattr(socket, "create_connection", guarded_create_connection)

    def uninstall(self) -> None:
        self._patch.undo()


_GUARD = NetworkGuard()


# Provider choices and credentials a developer's shell may hold; Ollama's address points at
# the dead port, so the no-key probe never meets a real local server.
_PROVIDER_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "DEVAGENT_PROVIDER",
    "DEVAGENT_MODEL",
    "CLOUD_ML_REGION",
    "GOOGLE_APPLICATION_CREDENTIALS",
)


def _scrub_environment() -> None:
    for key in [k for k in os.environ if k.startswith(("ANTHROPIC_", "AWS_"))]:
        del os.environ[key]
    for key in _PROVIDER_VARIABLES:
        os.environ.pop(key, None)
    os.environ["ANTHROPIC_BASE_URL"] = DEAD_BASE_URL
    os.environ["OLLAMA_HOST"] = DEAD_BASE_URL


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: calls the real Anthropic API; runs only when ANTHROPIC_API_KEY is set"
    )
    config.addinivalue_line("markers", "slow: takes seconds; deselect with -m 'not slow'")
    _scrub_environment()
    _GUARD.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    _GUARD.uninstall()
    os.environ.clear()
    os.environ.update(_ORIGINAL_ENV)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _ORIGINAL_ENV.get("ANTHROPIC_API_KEY"):
        return
    skip = pytest.mark.skip(reason="live test: ANTHROPIC_API_KEY is not set")
    for item in items:
        if item.get_closest_marker("live") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def network_guard() -> NetworkGuard:
    """The session's guard; a test that trips it on purpose clears ``blocked`` afterwards."""
    return _GUARD


@pytest.fixture
def devagent_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh, empty directory for all of devagent's user state (outside ``tmp_path``)."""
    return tmp_path_factory.mktemp("devagent-home")


def _enter_live_mode(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", _ORIGINAL_ENV["ANTHROPIC_API_KEY"])
    if "ANTHROPIC_BASE_URL" in _ORIGINAL_ENV:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", _ORIGINAL_ENV["ANTHROPIC_BASE_URL"])
    else:
        monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    _GUARD.enabled = False

    def leave() -> None:
        _GUARD.enabled = True

    return leave


@pytest.fixture(autouse=True)
def _isolated_test(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, devagent_home: Path
) -> Iterator[None]:
    monkeypatch.setenv("DEVAGENT_HOME", str(devagent_home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    live = request.node.get_closest_marker("live") is not None
    leave_live = _enter_live_mode(monkeypatch) if live else None
    _GUARD.blocked.clear()
    try:
        yield
    finally:
        if leave_live is not None:
            leave_live()
    if _GUARD.blocked:
        attempts = ", ".join(_GUARD.blocked)
        _GUARD.blocked.clear()
        pytest.fail(f"the test tried to reach the network: {attempts}")


@pytest.fixture
def fake_api() -> Iterator[FakeAPI]:
    """A running fake Messages API; teardown fails on unconsumed or unexpected requests."""
    with FakeAPI() as fake:
        yield fake
        fake.assert_all_consumed()


@pytest.fixture
def devagent_env(fake_api: FakeAPI, devagent_home: Path) -> dict[str, str]:
    """Environment for running the real CLI against ``fake_api``: ``env=devagent_env``."""
    env = dict(os.environ)
    env.update(
        ANTHROPIC_API_KEY=TEST_API_KEY,
        ANTHROPIC_BASE_URL=fake_api.base_url,
        DEVAGENT_HOME=str(devagent_home),
        NO_COLOR="1",
    )
    pythonpath = [str(SRC_DIR), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(pythonpath))
    return env


@pytest.fixture
def devagent_cmd() -> list[str]:
    """The command that runs the real CLI with this interpreter."""
    return [sys.executable, "-m", "devagent"]
