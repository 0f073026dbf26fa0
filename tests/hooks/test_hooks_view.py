"""``/hooks`` as the user sees it: hooks grouped by their file, then what does not run."""

from __future__ import annotations

import io
from pathlib import Path

from devagent.hooks.config import HookCommand, HookConfig
from devagent.hooks.dispatch import Hooks
from devagent.ui.console import make_console
from devagent.ui.hooks_view import show_hooks


def rendered(hooks: Hooks) -> str:
    out = io.StringIO()
    show_hooks(make_console(file=out, env={"NO_COLOR": "1"}, width=100), hooks)
    return out.getvalue()


def test_hooks_are_listed_under_the_file_they_come_from() -> None:
    user, repo = Path("/etc/u/settings.json"), Path("/r/.claude/settings.json")
    config = HookConfig(
        (
            HookCommand("PostToolUse", "Edit|Write", 'ruff format "$CLAUDE_PROJECT_DIR"', 60, user),
            HookCommand("Stop", "", "python -m pytest -q || exit 2", 300, repo),
        ),
        ("/r/x.json: hook event 'Later' is not one devagent runs",),
        (Path("/r/.devagent/settings.json"),),
    )
    assert rendered(Hooks(config)) == (
        "/etc/u/settings.json:\n"
        "event          matcher       timeout    command                          \n"
        'PostToolUse    Edit|Write    60s        ruff format "$CLAUDE_PROJECT_DIR"\n'
        "/r/.claude/settings.json:\n"
        "event    matcher    timeout    command                      \n"
        "Stop     *          300s       python -m pytest -q || exit 2\n"
        "Not run until you trust this folder: /r/.devagent/settings.json\n"
        "/r/x.json: hook event 'Later' is not one devagent runs\n"
    )


def test_no_hooks_says_where_to_add_them() -> None:
    assert rendered(Hooks()) == 'No hooks configured. Add them under "hooks" in a settings file.\n'
