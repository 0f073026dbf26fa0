"""The environment every shell command runs with: secrets dropped, non-interactive defaults set.

Commands never inherit ``os.environ`` as is. ``scrubbed_env`` starts from a base mapping,
removes credentials and variables that would redirect or reconfigure git, then sets the
variables that keep tools from waiting on a terminal nobody is watching.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping

# Matched against the upper-cased name, so ``my_api_key`` is dropped as well.
SECRET_PATTERNS: tuple[str, ...] = (
    "API_KEY",
    "*_API_KEY",
    "*_APIKEY",
    "*_ACCESS_KEY",
    "*_PRIVATE_KEY",
    "*_SECRET_KEY",
    "TOKEN",
    "*_TOKEN",
    "SECRET",
    "*_SECRET",
    "*_SECRET_*",
    "PASSWORD",
    "*_PASSWORD",
    "*_PASSWD",
    "*_CREDENTIALS",
    "AWS_*",
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "SSH_AUTH_SOCK",
    "ANTHROPIC_*",
    "OPENAI_*",
    # GIT_DIR, GIT_CONFIG_* and friends let an environment redirect or reconfigure git.
    "GIT_*",
)

# Set after scrubbing; GIT_EDITOR=true makes `git commit` without -m abort instead of hanging.
NONINTERACTIVE: Mapping[str, str] = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "true",
    "PAGER": "cat",
    "DEVAGENT": "1",
}


def is_secret_name(name: str) -> bool:
    """True when a variable called ``name`` must not reach a command the model runs."""
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_PATTERNS)


def scrubbed_env(base: Mapping[str, str], *, keep: Collection[str] = ()) -> dict[str, str]:
    """A copy of ``base`` without secrets, plus the non-interactive defaults.

    ``keep`` names variables the user explicitly allows through even though they match a
    secret pattern.
    """
    env = {name: value for name, value in base.items() if name in keep or not is_secret_name(name)}
    env.update(NONINTERACTIVE)
    return env
