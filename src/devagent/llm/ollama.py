"""Is a local Ollama server there, and which models does it have? Asked within 100 ms.

Used on a first run without a key: ``GET {OLLAMA_HOST or localhost:11434}/api/tags`` with one
deadline for connecting, sending and reading, through the standard library (no HTTP client to
import). Anything but a 200 with Ollama's ``{"models": [{"name": ...}]}`` before the deadline
means no Ollama: a closed port, a slow or different server, a malformed answer.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from devagent.llm.providers import OLLAMA_PORT, ollama_root_url

PROBE_BUDGET = 0.1  # seconds, for the whole exchange
MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class OllamaServer:
    """An Ollama server that answered: where, and the models it has (maybe none)."""

    url: str
    models: tuple[str, ...]


def ollama_url(env: Mapping[str, str]) -> str:
    return ollama_root_url(env.get("OLLAMA_HOST", "").strip() or f"localhost:{OLLAMA_PORT}")


def probe_ollama(env: Mapping[str, str], budget: float = PROBE_BUDGET) -> OllamaServer | None:
    """The Ollama server at ``OLLAMA_HOST`` (default localhost:11434), or None when none
    answered within ``budget`` seconds."""
    url = ollama_url(env)
    deadline = time.monotonic() + budget
    try:
        body = _get(url + "/api/tags", deadline)
    except (OSError, http.client.HTTPException, ValueError):
        return None
    models = _model_names(body)
    return None if models is None else OllamaServer(url, models)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the probe ran out of time")
    return left


def _get(url: str, deadline: float) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http URL: {url}")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=_left(deadline))
    try:
        conn.request("GET", parts.path or "/", headers={"accept": "application/json"})
        if isinstance(conn.sock, socket.socket):
            conn.sock.settimeout(_left(deadline))
        response = conn.getresponse()
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        data = response.read(MAX_BODY)
        _left(deadline)
        return data
    finally:
        conn.close()


def _model_names(body: bytes) -> tuple[str, ...] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return None
    names = [m.get("name") or m.get("model") for m in models if isinstance(m, dict)]
    return tuple(n for n in names if isinstance(n, str) and n)
