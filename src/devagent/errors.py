"""One exception tree for devagent, split by audience.

Errors for the *human* carry a one-line message with the fix and map to an exit code:

    DevagentError            exit 1 unless a subclass says otherwise
    ├── UsageError           exit 2: bad flag, unknown agent, missing key, broken settings
    │   ├── SessionLockedError   another devagent process has the session open
    │   └── UnknownModelError    the API answered 404 for the model name
    └── ModelError           exit 1: the model API failed after retries
        ├── ModelAuthError   401/403: never retried, never prints key material
        └── IncompleteStreamError   a stream ended without message_stop/stop_reason

Errors for the *model* are `ToolError` (in ``devagent.tools.base``): they become
``tool_result`` blocks with ``is_error: true`` and never reach the human as a crash.
Programming errors (TypeError, AttributeError, ...) are never caught as domain errors.
"""

from __future__ import annotations


class DevagentError(Exception):
    """Base of every error meant for the human running devagent."""

    exit_code: int = 1


class UsageError(DevagentError):
    """A usage or configuration error: the user must change a flag, a file or a variable."""

    exit_code = 2


class SessionLockedError(UsageError):
    """Another devagent process holds the session's transcript (its ``flock``)."""


class UnknownModelError(UsageError):
    """The API does not know the model asked for (HTTP 404): a typo in ``--model`` or a
    setting, so a usage error; the message suggests the closest alias."""


class ModelError(DevagentError):
    """The model API failed in a way retries did not fix."""

    exit_code = 1


class ModelAuthError(ModelError):
    """The API rejected the credentials (401/403). Never retried."""


class IncompleteStreamError(ModelError):
    """The stream ended without ``message_stop`` or without a ``stop_reason``."""
