"""The real `devagent chat` in a terminal (tmux), against the fake Messages API."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devagent.gitinfo import find_workspace
from devagent.session import Transcript, sessions_dir
from fakes.fake_api import FakeAPI, stalled, text_reply, tool_call, tool_reply
from fakes.lock_holder import lock_held_elsewhere
from ui.repl_harness import Tmux, at_prompt

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_bytes(b"VERSION = 1\r\nNAME = 'demo'\r\n")
    return root


@pytest.fixture
def terms(tmp_path: Path) -> Iterator[list[Tmux]]:
    started: list[Tmux] = []
    yield started
    for term in started:
        term.kill()


def open_chat(
    terms: list[Tmux], env: dict[str, str], cwd: Path, *args: str, name: str = "t0"
) -> Tmux:
    folder = cwd.parent / f"term-{name}"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent", *args], env, cwd)
    term.wait_for(at_prompt, what="the first prompt")
    return term


def asking(screen: str) -> bool:
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    return bool(lines) and lines[-1].startswith("Allow ") and lines[-1].endswith("[y/a/n]")


def questions(screen: str) -> int:
    return sum(1 for line in screen.splitlines() if line.startswith("Allow ") and "[y/a/n]" in line)


def approve(term: Tmux) -> None:
    asked = questions(term.wait_for(asking, what="an approval question"))
    term.type("y")  # one key answers: no Enter
    # Until the screen shows the answer (or a later question), a second approve() would see
    # this same question and type its "y" before the next one is asked, answering nothing.
    term.wait_for(
        lambda screen: not asking(screen) or questions(screen) > asked,
        what="the answer on the screen",
    )


def deny_with_feedback(term: Tmux, feedback: str) -> None:
    term.wait_for(asking, what="an approval question")
    term.type("n")
    term.wait_for("feedback for the model", what="the feedback question")
    term.line(feedback)


def valid_for_the_api(messages: list[dict[str, Any]]) -> bool:
    """Every tool_use is answered by a tool_result in the next message."""
    for i, message in enumerate(messages):
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        ids = {b["id"] for b in content if b.get("type") == "tool_use"}
        following = messages[i + 1]["content"] if i + 1 < len(messages) else []
        answered = {b.get("tool_use_id") for b in following if isinstance(b, dict)}
        if not ids <= answered:
            return False
    return True


def test_streamed_answer_then_ctrl_d_exits_and_restores_the_terminal(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(
        text_reply("The answer is forty-two, streamed in pieces.", chunks=6),
        text_reply("Got the pasted block."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.wait_for("mode: default", what="the toolbar")  # drawn just after the prompt
    term.type("first line")
    term.send("Escape", "Enter")
    term.line("second line")
    term.wait_for("The answer is forty-two, streamed in pieces.")
    term.wait_for(at_prompt)
    assert fake_api.requests[0].last_user_text() == "first line\nsecond line"
    term.paste("alpha\nbeta\ngamma")
    term.send("Enter")
    term.wait_for("Got the pasted block.")
    term.wait_for(at_prompt)  # the answer shows while it streams, before the turn ends
    assert fake_api.requests[1].last_user_text() == "alpha\nbeta\ngamma"
    term.send("C-d")
    assert term.wait_exit() == 0
    assert term.stty_before.read_text() == term.stty_after.read_text()


def test_ctrl_c_twice_on_an_empty_prompt_exits(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    term = open_chat(terms, devagent_env, repo, "chat")
    term.type("half a thought")
    term.send("C-c")  # clears the line
    term.wait_for(at_prompt)
    term.send("C-c")
    term.wait_for("Press Ctrl-C again")
    assert not term.rc_file.exists()
    term.send("C-c")
    assert term.wait_exit() == 0
    assert term.stty_before.read_text() == term.stty_after.read_text()


def test_edit_diff_yes_applies_no_with_feedback_keeps_the_file(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    edit = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}
    again = {"file_path": "app.py", "old_string": "VERSION = 2", "new_string": "VERSION = 9"}
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", edit)),
        text_reply("Bumped the version."),
        tool_reply(tool_call("Edit", again)),
        text_reply("Keeping it at 2 then."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("bump the version")
    term.wait_for(lambda s: re.search(r"\+ ?VERSION = 2", s) is not None, what="the diff")
    approve(term)
    term.wait_for("Bumped the version.")
    term.wait_for(at_prompt)
    assert (repo / "app.py").read_bytes() == b"VERSION = 2\r\nNAME = 'demo'\r\n"

    term.line("make it 9")
    term.wait_for(lambda s: re.search(r"\+ ?VERSION = 9", s) is not None, what="the diff")
    deny_with_feedback(term, "leave it at two")
    term.wait_for("Keeping it at 2 then.")
    assert (repo / "app.py").read_bytes() == b"VERSION = 2\r\nNAME = 'demo'\r\n"
    result = fake_api.requests[-1].tool_results()[0]
    assert result["is_error"] and "leave it at two" in result["content"]


def test_ctrl_c_during_a_long_tool_returns_to_the_prompt_quickly(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    marker = f"sleep 9{random.randrange(10**6):06d}"
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": marker})),
        text_reply("Stopped as you asked."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("run the long thing")
    approve(term)
    deadline = time.monotonic() + 20
    while subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)

    pressed = time.monotonic()
    term.send("C-c")
    term.wait_for(at_prompt, timeout=10, what="the prompt after Ctrl-C")
    elapsed = time.monotonic() - pressed

    print(f"returned to the prompt {elapsed:.3f}s after Ctrl-C")
    assert elapsed < 2.0, f"took {elapsed:.2f}s to return to the prompt"
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1
    term.line("what happened?")
    term.wait_for("Stopped as you asked.")
    messages = fake_api.requests[-1].messages
    assert valid_for_the_api(messages)
    result = messages[2]["content"][0]
    assert result["is_error"] and "Interrupted by user" in result["content"]


def test_ctrl_c_while_the_answer_streams_stops_it_and_the_chat_goes_on(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    slow = text_reply("Beginning of a long answer that never finishes.", chunks=4)
    fake_api.enqueue(stalled(60, after=4, base=slow), text_reply("Fresh start."))
    term = open_chat(terms, devagent_env, repo)
    term.line("tell me a story")
    term.wait_for("Beginning", what="the first streamed words")
    pressed = time.monotonic()
    term.send("C-c")
    term.wait_for(at_prompt, timeout=10, what="the prompt after Ctrl-C")
    assert time.monotonic() - pressed < 2.0
    term.line("shorter please")
    term.wait_for("Fresh start.")
    messages = fake_api.requests[-1].messages
    assert [m["role"] for m in messages] == ["user", "user"]
    assert valid_for_the_api(messages)


def test_keys_typed_during_a_turn_wait_unechoed_in_the_next_prompt(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(
        stalled(3.0, base=text_reply("Slow answer done.")), text_reply("Both lines arrived.")
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("first question")
    term.wait_for("Thinking", what="the spinner")
    term.line("also check the docs")  # typed (with Enter) while the model is still busy
    term.type("and the tests")
    time.sleep(0.5)
    during = term.screen()
    assert "Thinking" in during and "docs" not in during  # nothing echoed over the turn
    term.wait_for("Slow answer done.")
    screen = term.wait_for(lambda s: "> also check the docs" in s, what="the typed-ahead text")
    assert "and the tests" in screen
    time.sleep(0.5)
    assert len(fake_api.requests) == 1  # Enter typed during the turn did not send it
    term.send("Enter")
    term.wait_for("Both lines arrived.")
    assert fake_api.requests[1].last_user_text() == "also check the docs\nand the tests"
    term.wait_for(at_prompt)
    term.send("C-d")
    assert term.wait_exit() == 0
    assert term.stty_before.read_text() == term.stty_after.read_text()


def test_keys_typed_before_an_approval_question_do_not_answer_it(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    edit = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        stalled(2.0, base=tool_reply(tool_call("Edit", edit))),
        text_reply("Left it alone."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("bump the version")
    term.wait_for("Thinking", what="the spinner")
    term.line("y")  # typed before the question exists: must not approve the edit
    term.wait_for(asking, what="the approval question")
    time.sleep(0.5)
    assert asking(term.screen())  # still waiting for an answer
    assert (repo / "app.py").read_bytes() == b"VERSION = 1\r\nNAME = 'demo'\r\n"
    deny_with_feedback(term, "not now")
    term.wait_for("Left it alone.")
    term.wait_for(lambda s: "> y" in [line.rstrip() for line in s.splitlines()])
    assert (repo / "app.py").read_bytes() == b"VERSION = 1\r\nNAME = 'demo'\r\n"
    assert len(fake_api.requests) == 3


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_during_a_turn_ends_the_chat_and_restores_the_terminal(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    repo: Path,
    terms: list[Tmux],
    sig: signal.Signals,
    code: int,
) -> None:
    fake_api.enqueue(stalled(30.0, base=text_reply("Never seen.")))
    term = open_chat(terms, devagent_env, repo)
    term.line("a question")
    deadline = time.monotonic() + 20
    while not fake_api.requests:  # the turn is under way (and the terminal quiet)
        assert time.monotonic() < deadline, "the request never came"
        time.sleep(0.05)
    os.kill(_chat_pid(term), sig)
    assert term.wait_exit() == code
    assert term.stty_before.read_text() == term.stty_after.read_text()


def test_undo_restores_bytes_exactly(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    (repo / "data.bin").write_bytes(bytes(range(256)) + b"\r\n\r")
    before = {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()}
    fake_api.enqueue(
        tool_reply(tool_call("Write", {"file_path": "notes.md", "content": "# new\n"})),
        tool_reply(tool_call("Bash", {"command": "printf 'x' >> app.py && rm data.bin"})),
        text_reply("Made the changes."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("change things")
    approve(term)
    approve(term)
    term.wait_for("Made the changes.")
    term.wait_for(at_prompt)
    assert not (repo / "data.bin").exists()
    term.line("/undo")
    term.wait_for("removed  notes.md")
    term.wait_for(at_prompt)
    assert {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()} == before


def test_continue_after_sigkill_mid_turn_sends_a_valid_request(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    marker = f"sleep 8{random.randrange(10**6):06d}"
    fake_api.enqueue(tool_reply(tool_call("Bash", {"command": marker}), text="Running it."))
    term = open_chat(terms, devagent_env, repo)
    term.line("start the job")
    approve(term)
    deadline = time.monotonic() + 20
    while subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)
    chat_pid = _chat_pid(term)
    os.kill(chat_pid, signal.SIGKILL)
    term.wait_exit()

    fake_api.enqueue(text_reply("Picking up where we left off."))
    again = open_chat(terms, devagent_env, repo, "chat", "--continue", name="t1")
    assert "Resumed session" in again.screen()
    again.line("carry on")
    again.wait_for("Picking up where we left off.")
    messages = fake_api.requests[-1].messages
    assert valid_for_the_api(messages)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "user"]
    assert messages[0]["content"] == "start the job"
    assert messages[2]["content"][0]["is_error"] is True
    # The orphaned command of the killed process was reaped when the chat started again.
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1


def _chat_pid(term: Tmux) -> int:
    found = subprocess.run(
        ["pgrep", "-P", str(term.pane_pid()), "-f", "python.* -m devagent"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(found.stdout.split()[0])


def test_history_persists_and_ctrl_r_finds_an_earlier_prompt(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(text_reply("Noted."), text_reply("Noted again."))
    first = open_chat(terms, devagent_env, repo)
    first.line("remember the striped zebra")
    first.wait_for("Noted.")
    first.wait_for(at_prompt)
    first.send("C-d")
    first.wait_exit()

    second = open_chat(terms, devagent_env, repo, name="t1")
    second.send("C-r")
    second.type("striped")
    second.wait_for("remember the striped zebra", what="the search result")
    second.send("Enter")  # ends the search with the line in the editor
    second.wait_for(lambda s: "> remember the striped zebra" in s, what="the recalled line")
    second.send("Enter")
    second.wait_for("Noted again.")
    assert fake_api.requests[-1].last_user_text() == "remember the striped zebra"


def test_trust_prompt_decides_whether_repository_allow_rules_apply(
    fake_api: FakeAPI,
    devagent_env: dict[str, str],
    repo: Path,
    terms: list[Tmux],
    devagent_home: Path,
) -> None:
    settings = repo / ".devagent" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(echo:*)"]}}))
    first = _open_with_trust_answer(terms, devagent_env, repo, "n", "t0")
    first.wait_for("ignored 1 allow rule(s)")
    first.wait_for(at_prompt)
    first.send("C-d")
    first.wait_exit()
    assert not (devagent_home / "trusted.json").exists()

    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "echo trusted-and-allowed"})),
        text_reply("Echoed."),
    )
    second = _open_with_trust_answer(terms, devagent_env, repo, "y", "t1")
    second.line("echo something")
    second.wait_for("Echoed.")
    assert "Allow Bash?" not in second.screen()
    assert "trusted-and-allowed" in fake_api.requests[-1].tool_results()[0]["content"]
    assert str(repo) in (devagent_home / "trusted.json").read_text()


def _open_with_trust_answer(
    terms: list[Tmux], env: dict[str, str], repo: Path, answer: str, name: str
) -> Tmux:
    folder = repo.parent / f"term-{name}"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent"], env, repo)
    term.wait_for("Trust this folder? [y/N]")
    assert "settings.json" in term.screen()
    term.line(answer)
    term.wait_for(at_prompt, what="the first prompt")
    return term


def test_sigterm_at_the_prompt_exits_143_and_restores_the_terminal(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    term = open_chat(terms, devagent_env, repo)
    os.kill(_chat_pid(term), signal.SIGTERM)
    assert term.wait_exit() == 143
    assert term.stty_before.read_text() == term.stty_after.read_text()


def test_chat_runs_as_the_chosen_persona(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(text_reply("Reviewed: nothing to report."))
    term = open_chat(terms, devagent_env, repo, "chat", "--agent", "code-reviewer")
    term.line("review app.py")
    term.wait_for("Reviewed: nothing to report.")
    request = fake_api.requests[0]
    assert request.tool_names() == ["Read", "Grep", "Glob", "LS"]
    assert not request.system_text().startswith("You are devagent")
    assert "<env>" in request.system_text()
    term.wait_for(at_prompt)
    term.send("C-d")
    assert term.wait_exit() == 0


def test_chat_with_an_unknown_persona_exits_2_naming_close_ones(
    devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    folder = repo.parent / "term-unknown"
    folder.mkdir()
    term = Tmux(folder)
    terms.append(term)
    term.start([sys.executable, "-m", "devagent", "chat", "--agent", "debuger"], devagent_env, repo)
    assert term.wait_exit() == 2
    assert "debugger" in term.screen()


def test_chat_on_a_session_open_in_another_process_exits_2(
    devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    home = Path(devagent_env["DEVAGENT_HOME"])
    path = sessions_dir(home, find_workspace(repo)) / "busy.jsonl"
    transcript = Transcript(path, {"session_id": "busy"})
    transcript.message({"role": "user", "content": "hello"})
    transcript.close()
    before = path.read_bytes()
    with lock_held_elsewhere(path):
        for name, how in (("resume", ["--resume", "busy"]), ("continue", ["--continue"])):
            folder = repo.parent / f"term-{name}"
            folder.mkdir()
            term = Tmux(folder)
            terms.append(term)
            term.start([sys.executable, "-m", "devagent", "chat", *how], devagent_env, repo)
            assert term.wait_exit() == 2
            assert (
                "devagent: session busy is open in another devagent process; wait for it to "
                "finish or start a new session." in term.screen()
            )
    assert path.read_bytes() == before


def test_always_on_python_m_pytest_saves_the_shown_rule_and_python_c_still_asks(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": "python3 -m pytest -q"})),
        tool_reply(tool_call("Bash", {"command": "python3 -m pytest --version"})),
        tool_reply(tool_call("Bash", {"command": "python3 -c 'print(1)'"})),
        text_reply("Stopped there."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("run the tests")
    screen = term.wait_for(asking, what="the first approval question")
    # The question names the exact rule "a" adds, before anything is answered.
    # (The console wraps long lines at spaces: compare with whitespace collapsed.)
    assert "for commands like this: adds Bash(python3 -m pytest:*)" in _flat(screen)
    term.type("a")
    persist = "persist Bash(python3 -m pytest:*) to .devagent/settings.local.json? [y/N]"
    term.wait_for(persist, what="the persist question naming the rule")
    term.line("y")

    def asked_twice(s: str) -> bool:
        return s.count("Allow Bash? [y/a/n]") == 2 and asking(s)

    # `python3 -m pytest --version` runs without a question; `python3 -c` is asked again.
    screen = term.wait_for(asked_twice, what="a question for python3 -c")
    assert "adds Bash(python3 -c 'print(1)')" in _flat(screen)
    deny_with_feedback(term, "not this one")
    screen = term.wait_for("Stopped there.")
    assert screen.count("Allow Bash? [y/a/n]") == 2

    settings = repo / ".devagent" / "settings.local.json"
    assert json.loads(settings.read_text()) == {
        "permissions": {"allow": ["Bash(python3 -m pytest:*)"]}
    }
    version = fake_api.requests[2].tool_results()[0]
    assert not version.get("is_error") and "pytest" in str(version["content"])
    denied = fake_api.requests[3].tool_results()[0]
    assert denied["is_error"] and "not this one" in str(denied["content"])


def _flat(screen: str) -> str:
    return " ".join(screen.split())


# --- one-key approvals, tool output, the live status ----------------------------------------


def _unchanged(repo: Path) -> bool:
    return (repo / "app.py").read_bytes() == b"VERSION = 1\r\nNAME = 'demo'\r\n"


def test_y_alone_applies_an_edit_and_the_answer_stays_on_screen(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    edit = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", edit)),
        text_reply("Bumped it."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("bump the version")
    screen = term.wait_for(asking, what="the approval question")
    assert "❯ n  no, and tell the model what to do instead" in screen  # the safe highlight
    term.type("y")  # no Enter
    screen = term.wait_for("Bumped it.")
    assert (repo / "app.py").read_bytes() == b"VERSION = 2\r\nNAME = 'demo'\r\n"
    assert "Allow Edit? [y/a/n] yes" in screen
    assert "↑↓ Enter picks" not in screen  # the choices gave way to the answer
    term.wait_for(at_prompt)


def test_esc_at_an_approval_denies_without_asking_for_feedback(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    edit = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", edit)),
        text_reply("Left it alone."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("bump the version")
    term.wait_for(asking, what="the approval question")
    term.send("Escape")
    screen = term.wait_for("Left it alone.")
    assert _unchanged(repo)
    assert "Allow Edit? [y/a/n] no (Esc)" in screen
    assert "feedback for the model" not in screen
    result = fake_api.requests[-1].tool_results()[0]
    assert result["is_error"] and "Permission denied" in str(result["content"])
    term.wait_for(at_prompt)


def test_enter_picks_the_highlight_which_starts_on_no_and_arrows_move_it(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    first = {"file_path": "app.py", "old_string": "VERSION = 1", "new_string": "VERSION = 2"}
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "app.py"})),
        tool_reply(tool_call("Edit", first)),
        tool_reply(tool_call("Edit", first)),
        text_reply("Done on the second try."),
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("bump the version")
    term.wait_for(asking, what="the first approval question")
    term.send("Enter")  # the highlight is on "no": Enter alone never approves
    term.wait_for("feedback for the model", what="the feedback question")
    term.line("try again")
    term.wait_for(lambda s: s.count("Allow Edit?") == 2 and asking(s), what="a second question")
    assert _unchanged(repo)
    term.send("Up", "Up")
    term.wait_for("❯ y  yes", what="the highlight on yes")
    term.send("Enter")
    term.wait_for("Done on the second try.")
    assert (repo / "app.py").read_bytes() == b"VERSION = 2\r\nNAME = 'demo'\r\n"


def test_a_bash_results_summary_line_is_on_screen_without_ctrl_o(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    tests = "".join(f"def test_{n}():\n    assert {n} == {n}\n\n" for n in range(8))
    (repo / "test_ok.py").write_text(tests)
    command = f"{sys.executable} -m pytest -v -p no:cacheprovider -p no:randomly test_ok.py"
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": command})), text_reply("All eight pass.")
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("run the tests")
    approve(term)
    screen = term.wait_for("All eight pass.")
    lines = [line.strip() for line in screen.splitlines()]
    # (pytest fills its line to 80 columns; the row may be cut at the terminal's width)
    assert any(re.fullmatch(r"=+ 8 passed in [\d.]+s =+…?", line) for line in lines), screen
    assert any(re.fullmatch(r"… \+\d+ lines \(Ctrl-O\)", line) for line in lines), screen
    assert "test session starts" in screen  # the first lines, under the header


def test_the_status_shows_seconds_and_esc_interrupts_a_running_turn(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    fake_api.enqueue(stalled(60, base=text_reply("Never finishes.")), text_reply("Fresh start."))
    term = open_chat(terms, devagent_env, repo)
    term.line("tell me a story")
    deadline = time.monotonic() + 20
    while not fake_api.requests:  # the request is out; the reply stalls
        assert time.monotonic() < deadline, "the request never came"
        time.sleep(0.05)
    screen = term.wait_for(lambda s: re.search(r"Thinking… \([1-9]\d*s · ", s) is not None)
    assert "esc to interrupt)" in screen
    assert "mode: default (shift+tab)" in screen.split("Thinking…")[-1]  # the toolbar stays
    term.send("Escape")
    screen = term.wait_for(at_prompt, timeout=10, what="the prompt after Esc")
    assert "Interrupted" in screen
    term.line("shorter please")
    term.wait_for("Fresh start.")
    messages = fake_api.requests[-1].messages
    assert messages[0]["content"] == "tell me a story"
    assert valid_for_the_api(messages)


def test_esc_during_a_long_command_stops_it(
    fake_api: FakeAPI, devagent_env: dict[str, str], repo: Path, terms: list[Tmux]
) -> None:
    marker = f"sleep 7{random.randrange(10**6):06d}"
    fake_api.enqueue(
        tool_reply(tool_call("Bash", {"command": marker})), text_reply("Stopped as asked.")
    )
    term = open_chat(terms, devagent_env, repo)
    term.line("run the long thing")
    approve(term)
    deadline = time.monotonic() + 20
    while subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)
    term.wait_for("Running Bash… (", what="the status while the command runs")
    term.send("Escape")
    term.wait_for(at_prompt, timeout=10, what="the prompt after Esc")
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1
    term.line("what happened?")
    term.wait_for("Stopped as asked.")
    messages = fake_api.requests[-1].messages
    assert valid_for_the_api(messages)
    result = messages[2]["content"][0]
    assert result["is_error"] and "Interrupted by user" in result["content"]
