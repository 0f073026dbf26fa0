"""What a plain `devagent -p` run leaves out of its imports (start-up speed, no timings here).

The CLI entry runs in-process in a fresh interpreter against the fake Messages API, through a
whole tool loop; afterwards the interpreter lists which of the pinned heavy modules it loaded.
httpx's own command-line client (``httpx._main``: click, rich, pygments, ~80 ms) is kept out by
the entry point, and nothing on the one-shot path prints through rich.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply

NOT_ON_THE_ONE_SHOT_PATH = (
    "anthropic",
    "rich",
    "click",
    "pygments",
    "pydantic",
    "prompt_toolkit",
    "mcp",
    "pathspec",  # ignore files: loaded by the first Glob/Grep/LS
    "devagent.notebooks",  # loaded by the first notebook read or edit
)
PROBE = (
    "import json, sys\n"
    "sys.argv = ['devagent', *sys.argv[1:]]\n"
    "from devagent.__main__ import main\n"
    "code = 0\n"
    "try:\n    main()\nexcept SystemExit as stop:\n    code = stop.code\n"
    f"heavy = [m for m in {NOT_ON_THE_ONE_SHOT_PATH!r} if m in sys.modules]\n"
    "import httpx\n"
    "report = {'exit': code, 'loaded': heavy, 'httpx': 'httpx' in sys.modules,\n"
    "          'httpx_cli_stub': httpx.main.__module__ == 'httpx'}\n"
    "sys.stderr.write('\\n' + json.dumps(report) + '\\n')\n"
)


def probe(args: list[str], env: dict[str, str], cwd: Path) -> tuple[str, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    report: dict[str, object] = json.loads(done.stderr.splitlines()[-1])
    return done.stdout, report


def test_a_one_shot_tool_loop_loads_no_rich_click_or_pygments(
    fake_api: FakeAPI, devagent_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("the answer is 42\n")
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": str(tmp_path / "notes.txt")})),
        text_reply("It says 42."),
    )
    stdout, report = probe(["-p", "what do the notes say?"], devagent_env, tmp_path)
    assert "It says 42." in stdout
    assert report == {"exit": 0, "loaded": [], "httpx": True, "httpx_cli_stub": True}
    [result] = fake_api.requests[1].tool_results()
    assert "the answer is 42" in str(result["content"])


def test_json_output_also_stays_off_rich(
    fake_api: FakeAPI, devagent_env: dict[str, str], tmp_path: Path
) -> None:
    fake_api.enqueue(text_reply("Hello."))
    stdout, report = probe(["-p", "hi", "--output-format", "json"], devagent_env, tmp_path)
    assert json.loads(stdout)["result"] == "Hello."
    assert report["exit"] == 0
    assert report["loaded"] == []


def test_the_probe_would_see_rich_when_a_command_uses_it(
    devagent_env: dict[str, str], tmp_path: Path
) -> None:
    # The same probe over a command that renders with rich: the check can fail.
    _, report = probe(["agents", "list"], devagent_env, tmp_path)
    loaded = report["loaded"]
    assert report["exit"] == 0
    assert isinstance(loaded, list)
    assert "rich" in loaded


def test_every_kind_of_option_still_reaches_the_run(
    fake_api: FakeAPI, devagent_env: dict[str, str], tmp_path: Path
) -> None:
    # str, int and float options, repeatable rules and a persona-free model alias, all given:
    # the values typer coerces (and the ones devagent now passes through) arrive intact.
    (tmp_path / "notes.txt").write_text("secret\n")
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": str(tmp_path / "notes.txt")})),
        text_reply("Could not read it."),
    )
    args = [
        *("-p", "read the notes", "--output-format", "json", "--model", "haiku"),
        *("--max-turns", "4", "--max-budget-usd", "2.5", "--append-system-prompt", "ZEBRA-42"),
        *("--disallowed-tools", "Read", "--disallowed-tools", "Write", "--allowed-tools", "LS"),
    ]
    stdout, report = probe(args, devagent_env, tmp_path)
    assert report["exit"] == 0
    assert json.loads(stdout)["result"] == "Could not read it."
    first = fake_api.requests[0]
    assert first.model is not None and "haiku" in first.model
    assert "ZEBRA-42" in first.system_text()
    [result] = fake_api.requests[1].tool_results()
    assert "secret" not in str(result["content"])  # the repeated deny rule held


def test_bad_numbers_are_still_usage_errors_with_typers_message(
    devagent_env: dict[str, str], tmp_path: Path
) -> None:
    cases = {
        ("--max-turns", "0"): "Invalid value for '--max-turns': Input should be greater than",
        ("--max-turns", "x"): "Invalid value for '--max-turns': Input should be a valid integer",
        ("--max-budget-usd", "abc"): "Invalid value for '--max-budget-usd'",
    }
    for flag, message in cases.items():
        done = subprocess.run(
            [sys.executable, "-m", "devagent", "-p", "hi", *flag],
            env=devagent_env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, flag
        assert message in done.stderr, (flag, done.stderr)
