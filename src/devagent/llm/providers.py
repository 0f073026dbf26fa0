"""Provider profiles: which server, wire format, key and price a model name means.

A model name is either ``PROFILE:MODEL`` (``ollama:qwen3-coder``, ``openrouter:qwen/qwen3-coder``;
everything after the first colon is the model id sent to the server) or a bare model id or
alias, which means Anthropic. A profile name is a letter then letters, digits, ``-`` or
``_``, so a Bedrock id such as ``anthropic.claude-…-v1:0`` stays a bare id.

Built-in profiles speak OpenAI-compatible Chat Completions: ``ollama``, ``lmstudio``,
``llamacpp`` and ``vllm`` on their usual local ports without a key, ``openrouter``
(``OPENROUTER_API_KEY``) and ``openai`` (``OPENAI_API_KEY``; ``OPENAI_BASE_URL`` moves it).
``OLLAMA_HOST`` (Ollama's own variable: ``host``, ``host:port`` or a URL) moves ``ollama``.
Settings add or change profiles under ``providers.NAME``::

    {"type": "openai" | "anthropic", "base_url": "...", "api_key_env": "VAR",
     "headers": {"K": "V"}, "models": ["..."],
     "prices": {"MODEL" | "*": {"input": 0.5, "output": 1.5, "cache_read": 0.05,
                                "cache_write": 0.6}},
     "context_windows": {"MODEL" | "*": 32768}}

An entry named like a built-in profile changes only the fields it gives. Prices are US dollars
per million tokens; a model without a price (and not a Claude id on an Anthropic profile) has
an unknown cost, which is shown as unknown, never as $0. ``context_windows`` gives a model's
context window in tokens (the exact model id first, then ``"*"``); it drives auto-compaction,
the chat toolbar's and ``/context``'s percentage and ``modelUsage.contextWindow``. A model
without one gets the default window (``compaction.context_window``).

Errors are ``UsageError`` (exit 2): an unknown profile names the known ones, a missing key
names the variable to set, a broken ``providers`` entry names the field to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from devagent.config import Price, price_for
from devagent.errors import UsageError
from devagent.events import EventSink
from devagent.llm.base import Model, Warmable
from devagent.messages import AssistantReply, ModelRequest

ProviderType = Literal["openai", "anthropic"]
PROVIDER_TYPES: tuple[ProviderType, ...] = ("openai", "anthropic")
ANY_MODEL = "*"
OLLAMA_PORT = 11434
_SPEC = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(.*)$", re.DOTALL)
_PROFILE_FIELDS = frozenset(
    {"type", "base_url", "api_key_env", "headers", "models", "prices", "context_windows"}
)
MIN_WINDOW = 1024
# Cache reads and writes cost what input costs unless a price says otherwise.
_PRICE_FIELDS = ("input", "output", "cache_write", "cache_read")


@dataclass(frozen=True)
class Profile:
    """One provider: where its server is, how to talk to it, which key and prices it has.

    ``api_key_env`` names the variable holding the key (None: the server needs none);
    ``base_url_env`` names a variable that moves the server; ``max_tokens_field`` is the
    request field for the reply's length (OpenAI's own API wants ``max_completion_tokens``).
    """

    name: str
    type: ProviderType
    base_url: str
    api_key_env: str | None = None
    base_url_env: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    prices: Mapping[str, Price] = field(default_factory=dict)
    max_tokens_field: str = "max_tokens"
    context_windows: Mapping[str, int] = field(default_factory=dict)

    def url(self, env: Mapping[str, str]) -> str:
        moved = env.get(self.base_url_env, "").strip() if self.base_url_env else ""
        if not moved:
            return self.base_url
        return ollama_v1_url(moved) if self.base_url_env == "OLLAMA_HOST" else moved

    def price(self, model: str) -> Price | None:
        found = self.prices.get(model) or self.prices.get(ANY_MODEL)
        if found is None and self.type == "anthropic" and model.startswith("claude-"):
            return price_for(model)
        return found

    def context_window(self, model: str) -> int | None:
        """The window settings give ``model`` (its own, else ``"*"``); None: the default."""
        return self.context_windows.get(model) or self.context_windows.get(ANY_MODEL)


def ollama_root_url(host: str) -> str:
    """Ollama's server from ``OLLAMA_HOST`` as Ollama reads it: scheme and port optional."""
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = "http://" + host
    scheme, _, rest = host.partition("://")
    authority, slash, path = rest.partition("/")
    if not re.search(r":\d+$", authority):
        authority = f"{authority}:{OLLAMA_PORT}"
    return f"{scheme}://{authority}{slash}{path}"


def ollama_v1_url(host: str) -> str:
    return ollama_root_url(host) + "/v1"


BUILTIN_PROFILES: dict[str, Profile] = {
    "ollama": Profile(
        "ollama", "openai", f"http://localhost:{OLLAMA_PORT}/v1", base_url_env="OLLAMA_HOST"
    ),
    "lmstudio": Profile("lmstudio", "openai", "http://localhost:1234/v1"),
    "llamacpp": Profile("llamacpp", "openai", "http://localhost:8080/v1"),
    "vllm": Profile("vllm", "openai", "http://localhost:8000/v1"),
    "openrouter": Profile(
        "openrouter", "openai", "https://openrouter.ai/api/v1", api_key_env="OPENROUTER_API_KEY"
    ),
    "openai": Profile(
        "openai",
        "openai",
        "https://api.openai.com/v1",
        api_key_env="OPENAI_API_KEY",
        base_url_env="OPENAI_BASE_URL",
        max_tokens_field="max_completion_tokens",
    ),
}


def split_spec(name: str) -> tuple[str, str] | None:
    """``(profile, model)`` for a ``PROFILE:MODEL`` name; None for a bare model or alias."""
    found = _SPEC.match(name.strip())
    return (found.group(1), found.group(2).strip()) if found else None


@dataclass(frozen=True)
class Target:
    """A profile's model: ``spec`` is the name shown and stored, ``model`` the id sent."""

    spec: str
    profile: Profile
    model: str

    @property
    def price(self) -> Price | None:
        return self.profile.price(self.model)

    @property
    def context_window(self) -> int | None:
        return self.profile.context_window(self.model)


class NamedModel:
    """A model under the name devagent shows and stores (``ollama:qwen3-coder``, or the
    Claude id of a Bedrock model), carrying its price (None: unknown) and its context window
    from settings (None: the default); ``inner`` talks to the server with the id it knows."""

    def __init__(
        self, name: str, price: Price | None, inner: Model, context_window: int | None = None
    ) -> None:
        self.name = name
        self.price = price
        self.inner = inner
        self.context_window = context_window

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        return self.inner.stream(request, on_event)

    def warm(self) -> None:
        """Let the inner model get ready for its first request (``llm.base.Warmable``)."""
        if isinstance(self.inner, Warmable):
            self.inner.warm()


class Providers:
    """The profiles a run knows: the built-in ones changed and extended by settings."""

    def __init__(self, profiles: Mapping[str, Profile] | None = None) -> None:
        self.profiles: dict[str, Profile] = dict(BUILTIN_PROFILES if profiles is None else profiles)

    @staticmethod
    def from_settings(entries: Mapping[str, tuple[str, object]]) -> Providers:
        """Built-in profiles plus ``entries``: profile name -> (source file, its JSON value)."""
        profiles = dict(BUILTIN_PROFILES)
        for name, (source, value) in entries.items():
            profiles[name] = parse_profile(name, value, source, profiles.get(name))
        return Providers(profiles)

    def names(self) -> list[str]:
        return sorted(self.profiles)

    def target(self, name: str) -> Target | None:
        """The profile model ``name`` means; None for an Anthropic model (a bare name)."""
        parts = split_spec(name)
        if parts is None:
            return None
        profile_name, model = parts
        profile = self.profiles.get(profile_name) or self.profiles.get(profile_name.lower())
        if profile is None:
            raise UsageError(
                f"Unknown provider profile {profile_name!r} in --model {name}. Known profiles: "
                f'{", ".join(self.names())}; add others under "providers" in settings.'
            )
        if not model:
            example = profile.models[0] if profile.models else "MODEL"
            raise UsageError(
                f"No model after {profile.name}: in {name!r}; use {profile.name}:{example}."
            )
        return Target(f"{profile.name}:{model}", profile, model)

    def price(self, name: str) -> Price | None:
        """What ``name`` costs per million tokens; None when nobody knows."""
        found = self.target(name)
        return price_for(name) if found is None else found.price


def api_key(target: Target, env: Mapping[str, str]) -> str | None:
    """The key ``target``'s profile needs, from the environment only; a missing one is a
    usage error naming the variable."""
    var = target.profile.api_key_env
    if var is None:
        return None
    key = env.get(var, "").strip()
    if not key:
        raise UsageError(
            f"{var} is not set: the {target.profile.name} profile needs it for {target.spec}. "
            f"Export {var}=<your key> and run again."
        )
    return key


def make_profile_model(target: Target, env: Mapping[str, str]) -> NamedModel:
    """The model of ``target``: Chat Completions over httpx, or the Messages API through the
    SDK for an ``anthropic`` profile. Nothing connects before the first request."""
    key = api_key(target, env)
    var = target.profile.api_key_env
    hint = f"Check that {var} holds a valid key." if var else "Check the server's key."
    url = target.profile.url(env)
    inner: Model
    if target.profile.type == "anthropic":
        from devagent.llm.anthropic import AnthropicModel

        inner = AnthropicModel(target.model, api_key=key or "", base_url=url)
    else:
        from devagent.llm.openai_compat import OpenAICompatModel

        inner = OpenAICompatModel(
            target.model,
            base_url=url,
            api_key=key,
            headers=target.profile.headers,
            key_hint=hint,
            max_tokens_field=target.profile.max_tokens_field,
        )
    return NamedModel(target.spec, target.price, inner, target.context_window)


# --------------------------------------------------------------------------- settings


def parse_profile(name: str, value: object, source: str, base: Profile | None) -> Profile:
    """One ``providers.NAME`` entry; ``base`` is the built-in profile it changes, if any."""
    where = f'{source}: "providers.{name}"'
    if not _SPEC.match(f"{name}:x"):
        raise UsageError(f"{where}: a profile name is a letter, then letters, digits, - or _.")
    if not isinstance(value, dict):
        raise UsageError(f'{where} must be an object like {{"base_url": "..."}}.')
    unknown = sorted(set(value) - _PROFILE_FIELDS)
    if unknown:
        raise UsageError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(_PROFILE_FIELDS))}."
        )
    kind = value.get("type", base.type if base else "openai")
    if kind not in PROVIDER_TYPES:
        raise UsageError(f'{where}.type must be "openai" or "anthropic", not {kind!r}.')
    start = base or Profile(name, kind, "")
    profile = replace(start, type=kind, **_changes(where, value, start))
    if profile.type == "anthropic" and profile.headers:
        raise UsageError(f"{where}.headers: only openai-type profiles send extra headers.")
    if not profile.base_url:
        raise UsageError(f'{where} needs a "base_url" (the server\'s API root).')
    return profile


def _changes(where: str, value: dict[str, Any], start: Profile) -> dict[str, Any]:
    """The fields an entry changes in ``start``, each checked."""
    changes: dict[str, Any] = {}
    if "base_url" in value:
        changes["base_url"] = _url(where, value["base_url"])
        changes["base_url_env"] = None  # an explicit URL in settings is not moved by a variable
    if "api_key_env" in value:
        changes["api_key_env"] = _key_var(where, value["api_key_env"])
    if "headers" in value:
        changes["headers"] = _headers(where, value["headers"])
    if "models" in value:
        changes["models"] = _models(where, value["models"])
    if "prices" in value:
        changes["prices"] = {**start.prices, **_prices(where, value["prices"])}
    if "context_windows" in value:
        windows = _windows(where, value["context_windows"])
        changes["context_windows"] = {**start.context_windows, **windows}
    return changes


def _url(where: str, value: object) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value.strip()):
        raise UsageError(f"{where}.base_url must be an http:// or https:// URL, not {value!r}.")
    return value.strip().rstrip("/")


def _key_var(where: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise UsageError(
            f"{where}.api_key_env must name an environment variable (like MY_API_KEY), "
            "not hold the key itself."
        )
    return value


def _headers(where: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise UsageError(f"{where}.headers must map header names to text values.")
    return dict(value)


def _models(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where}.models must be a list of model ids.")
    return tuple(value)


def _prices(where: str, value: object) -> dict[str, Price]:
    if not isinstance(value, dict):
        raise UsageError(f'{where}.prices must map models (or "*") to prices.')
    return {str(model): _price(f"{where}.prices.{model}", raw) for model, raw in value.items()}


def _windows(where: str, value: object) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise UsageError(
            f'{where}.context_windows must map models (or "*") to token counts, '
            'like {"qwen3-coder": 32768, "*": 8192}.'
        )
    where = f"{where}.context_windows"
    return {str(model): _window(f"{where}.{model}", n) for model, n in value.items()}


def _window(where: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_WINDOW:
        raise UsageError(
            f"{where} must be a whole number of tokens, {MIN_WINDOW} or more, not {value!r}."
        )
    return value


def _price(where: str, value: object) -> Price:
    if not isinstance(value, dict) or "input" not in value or "output" not in value:
        raise UsageError(
            f'{where} must give at least "input" and "output" (US dollars per million tokens).'
        )
    unknown = sorted(set(value) - set(_PRICE_FIELDS))
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)}.")
    amounts: dict[str, float] = {}
    for key in _PRICE_FIELDS:
        amount = value.get(key, value["input"])
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise UsageError(f"{where}.{key} must be a number of dollars, 0 or more.")
        amounts[key] = float(amount)
    return Price(**amounts)


__all__ = [
    "BUILTIN_PROFILES",
    "NamedModel",
    "Profile",
    "Providers",
    "Target",
    "api_key",
    "make_profile_model",
    "ollama_root_url",
    "parse_profile",
    "split_spec",
]
