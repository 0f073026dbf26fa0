"""TerminalApprover: what it shows, how it reads answers, and the rules it remembers."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from devagent.approval import ApprovalAnswer, ApprovalRequest, Decision, PermissionRequest
from devagent.diffs import unified_diff
from devagent.permissions import PermissionEngine
from devagent.tools.base import FileChange
from devagent.ui.approver import (
    SettingsWriteError,
    TerminalApprover,
    add_allow_rule,
    path_rule,
)
from devagent.ui.console import make_console
from devagent.ui.keychoice import ESCAPE, KeyQuestion

EDIT_REASON = Decision("ask", "Edit changes files or runs commands")


class Script:
    """A scripted ``ask_line``: hands out answers in order and records every prompt."""

    def __init__(self, *answers: str | BaseException) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Setup:
    def __init__(self, tmp_path: Path, *answers: str | BaseException, width: int = 80) -> None:
        self.workspace = tmp_path
        self.settings = tmp_path / ".devagent" / "settings.local.json"
        self.out = io.StringIO()
        self.script = Script(*answers)
        self.remembered: list[str] = []
        self.approver = TerminalApprover(
            make_console(file=self.out, env={}, width=width),
            self.script,
            self.settings,
            self.remembered.append,
        )

    def edit(self) -> ApprovalAnswer:
        path = self.workspace / "src" / "app.py"
        diff = unified_diff(
            [FileChange(path, b"a = 1\nb = 2\n", b"a = 1\nb = 3\n")], self.workspace
        )
        request = ApprovalRequest(
            "t1", "Edit", {"file_path": str(path)}, EDIT_REASON, diff, kind="edit"
        )
        return self.approver.ask(request)

    def bash(self, command: str) -> ApprovalAnswer:
        decision = Decision("ask", "Bash: the command uses a redirection")
        request = ApprovalRequest(
            "t2", "Bash", {"command": command, "description": "Clean up"}, decision, None, command
        )
        return self.approver.ask(request)


EDIT_SCREEN = (
    "Edit wants to change:\n"
    "src/app.py  +1 −1\n"
    "@@ -1,2 +1,2 @@\n"
    "1   a = 1\n"
    "2 - b = 2\n"
    "2 + b = 3\n"
    "why: Edit changes files or runs commands\n"
    "  y  yes\n"
    "  a  yes, and don't ask again for this file: adds Edit(src/app.py)\n"
    "  n  no, and tell the model what to do instead\n"
)


def test_yes_shows_the_diff_and_approves_once(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "y")
    assert setup.edit() == ApprovalAnswer(True)
    assert setup.out.getvalue() == EDIT_SCREEN
    assert setup.script.prompts == ["Allow Edit? [y/a/n] "]
    assert setup.remembered == [] and not setup.settings.exists()


def test_an_invalid_answer_asks_again(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "maybe", "", " Y ")
    assert setup.edit() == ApprovalAnswer(True)
    assert setup.out.getvalue() == EDIT_SCREEN + "Please answer y, a or n.\n" * 2
    assert len(setup.script.prompts) == 3


def test_always_remembers_the_file_rule_and_persists_after_confirmation(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "y")
    assert setup.edit() == ApprovalAnswer(True, remember="Edit(src/app.py)")
    assert setup.remembered == ["Edit(src/app.py)"]
    assert setup.script.prompts[1] == (
        "persist Edit(src/app.py) to .devagent/settings.local.json? [y/N] "
    )
    assert json.loads(setup.settings.read_text()) == {
        "permissions": {"allow": ["Edit(src/app.py)"]}
    }
    assert setup.out.getvalue().endswith(
        "Allowed for this session: Edit(src/app.py)\nSaved to .devagent/settings.local.json.\n"
    )


def test_always_without_persisting_only_allows_for_the_session(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "")
    assert setup.edit().remember == "Edit(src/app.py)"
    assert setup.remembered == ["Edit(src/app.py)"]
    assert not setup.settings.exists()


def test_no_sends_the_feedback_back(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "n", "  use pathlib instead ")
    assert setup.edit() == ApprovalAnswer(False, feedback="use pathlib instead")
    assert setup.script.prompts[1] == "feedback for the model (optional): "
    assert Setup(tmp_path, "no", "").edit() == ApprovalAnswer(False, feedback=None)


def test_ctrl_c_propagates_and_end_of_input_means_no(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        Setup(tmp_path, KeyboardInterrupt()).edit()
    assert Setup(tmp_path, EOFError(), EOFError()).edit() == ApprovalAnswer(False)


def test_bash_shows_the_parsed_command_with_hidden_characters_visible(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "n", width=100)
    answer = setup.bash("echo hi\r > out.txt; rm -rf build #\u202eevil")
    assert answer == ApprovalAnswer(True, remember="Bash(echo:*), Bash(rm -rf build)")
    assert setup.out.getvalue() == (
        "Bash wants to run:\n"
        "  $ echo hi\\r > out.txt; rm -rf build #\\u202eevil\n"
        "  Clean up\n"
        "  runs: echo hi\n"
        "  runs: rm -rf build\n"
        "  note: the command contains control or invisible characters (\\r, \\u202e)\n"
        "  note: a redirection\n"
        "  note: a comment\n"
        "why: Bash: the command uses a redirection\n"
        "  y  yes\n"
        "  a  yes, and don't ask again for commands like this: adds Bash(echo:*), Bash(rm -rf "
        "build)\n"
        "  n  no, and tell the model what to do instead\n"
        "Allowed for this session: Bash(echo:*), Bash(rm -rf build)\n"
        "note: commands like this one still ask (no rule can cover them)\n"
    )
    assert setup.remembered == ["Bash(echo:*)", "Bash(rm -rf build)"]
    assert setup.script.prompts[1] == (
        "persist Bash(echo:*), Bash(rm -rf build) to .devagent/settings.local.json? [y/N] "
    )


def test_a_plain_bash_command_is_shown_once(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "y")
    setup.bash("npm test")
    assert setup.out.getvalue().startswith("Bash wants to run:\n  $ npm test\n  Clean up\nwhy:")


@pytest.mark.parametrize(
    ("command", "rules"),
    [
        ("npm test -- --watch", "Bash(npm test:*)"),
        # The prefix keeps global options, so the rule matches the command it came from.
        ("git -C repo push origin main", "Bash(git -C repo push:*)"),
        ("ls -la src", "Bash(ls:*)"),
        ("cd src && pytest -q", "Bash(pytest:*)"),
        ("timeout 5 make -j4 build", "Bash(make -j4 build:*)"),
        ("/usr/bin/git status", "Bash(/usr/bin/git status:*)"),
        ("docker", "Bash(docker)"),
        ("python3 -m pytest -q", "Bash(python3 -m pytest:*)"),
        ("node scripts/build.js", "Bash(node scripts/build.js)"),
        ("npm ci && npm test", "Bash(npm ci:*), Bash(npm test:*)"),
    ],
)
def test_always_offers_and_remembers_the_narrow_bash_rules(
    tmp_path: Path, command: str, rules: str
) -> None:
    setup = Setup(tmp_path, "a", "n", width=400)
    assert setup.bash(command) == ApprovalAnswer(True, remember=rules)
    assert f": adds {rules}\n" in setup.out.getvalue()
    assert setup.script.prompts[1].startswith(f"persist {rules} to ")


def test_the_question_names_the_exact_rule_and_what_it_leaves_out(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "y", width=400)
    answer = setup.bash("python3 -c 'print(1)' && echo done | python3")
    assert answer.remember == "Bash(python3 -c 'print(1)'), Bash(echo:*)"
    out = setup.out.getvalue()
    assert (
        "don't ask again for commands like this: adds Bash(python3 -c 'print(1)'), Bash(echo:*)\n"
        in out
    )
    assert "(no rule is offered for python3: any would allow more, so it asks again)\n" in out
    assert setup.script.prompts[1] == (
        "persist Bash(python3 -c 'print(1)'), Bash(echo:*) to .devagent/settings.local.json? [y/N] "
    )
    saved = json.loads(setup.settings.read_text())["permissions"]["allow"]
    assert saved == ["Bash(python3 -c 'print(1)')", "Bash(echo:*)"]


def test_an_exact_rule_is_called_exact_and_a_bare_interpreter_gets_none(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "n", width=400)
    setup.bash("./deploy.sh --prod")
    assert "don't ask again for this exact command: adds Bash(./deploy.sh --prod)\n" in (
        setup.out.getvalue()
    )
    bare = Setup(tmp_path, "a", width=400)
    assert bare.bash("python3") == ApprovalAnswer(True)  # "a" can only mean yes: nothing to add
    assert bare.remembered == [] and len(bare.script.prompts) == 1
    assert "  a  yes\n" in bare.out.getvalue()


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("app.py", "Edit(/app.py)"),
        ("src/app.py", "Edit(src/app.py)"),
        ("/etc/hosts", "Edit(//etc/hosts)"),
        ("a[1]*.py", "Edit(/a\\[1\\]\\*.py)"),
        ("!x", "Edit(/\\!x)"),
    ],
)
def test_file_rules(path: str, rule: str) -> None:
    assert path_rule(path) == rule


def test_a_remembered_file_rule_allows_exactly_that_file(tmp_path: Path) -> None:
    engine = PermissionEngine(tmp_path, user_home=tmp_path / "home")
    engine.allow_for_session(path_rule("app.py"))
    engine.allow_for_session(path_rule("a[1].py"))

    def decide(rel: str) -> str:
        path = Path(os.path.realpath(tmp_path)) / rel
        return engine.decide(PermissionRequest("Edit", {"file_path": rel}, (path,))).behavior

    assert decide("app.py") == "allow"
    assert decide("a[1].py") == "allow"
    assert decide("sub/app.py") == "ask"
    assert decide("a1.py") == "ask"


def test_persisting_keeps_other_keys_and_does_not_duplicate(tmp_path: Path) -> None:
    settings = tmp_path / "settings.local.json"
    original = {
        "model": "opus",
        "permissions": {"deny": ["Bash(rm:*)"], "allow": ["Read", "Bash(ls:*)"]},
        "env": {"A": "1"},
    }
    settings.write_text(json.dumps(original), encoding="utf-8")
    add_allow_rule(settings, ["Bash(ls:*)", "Edit(src/a.py)"])
    assert json.loads(settings.read_text()) == {
        "model": "opus",
        "permissions": {"deny": ["Bash(rm:*)"], "allow": ["Read", "Bash(ls:*)", "Edit(src/a.py)"]},
        "env": {"A": "1"},
    }
    assert [p.name for p in tmp_path.iterdir()] == ["settings.local.json"]  # no temp file left


def test_a_broken_settings_file_is_never_clobbered(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "y", width=400)
    setup.settings.parent.mkdir()
    setup.settings.write_text('{"permissions": {"allow": [}', encoding="utf-8")
    assert setup.edit() == ApprovalAnswer(True, remember="Edit(src/app.py)")
    assert setup.settings.read_text() == '{"permissions": {"allow": [}'
    assert setup.remembered == ["Edit(src/app.py)"]
    tail = setup.out.getvalue().split("Allowed for this session: Edit(src/app.py)\n")[1]
    assert tail == (
        f"Not saved: {setup.settings}:1:28: invalid JSON (Expecting value); it was left as it "
        "is. Fix it by hand to save rules there.\n"
    )


@pytest.mark.parametrize(
    "content", ['["a list"]', '{"permissions": []}', '{"permissions": {"allow": "Read"}}']
)
def test_settings_of_the_wrong_shape_are_refused(tmp_path: Path, content: str) -> None:
    settings = tmp_path / "s.json"
    settings.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsWriteError, match=r"left as it is|not an object|not a list"):
        add_allow_rule(settings, ["Read"])
    assert settings.read_text() == content


def test_a_write_without_changes_is_described_without_a_diff(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "y")
    request = ApprovalRequest(
        "t3", "Write", {"file_path": "same.txt"}, EDIT_REASON, "", kind="edit"
    )
    assert setup.approver.ask(request) == ApprovalAnswer(True)
    assert setup.out.getvalue().startswith(
        "Write same.txt\n(no change to the file's content)\nwhy: Edit changes files"
    )
    assert "adds Edit(/same.txt)" in setup.out.getvalue()


def test_other_tools_are_remembered_by_name(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "n")
    request = ApprovalRequest(
        "t4", "WebSearch", {"query": "rich tables"}, Decision("ask", "asks"), kind="network"
    )
    assert setup.approver.ask(request) == ApprovalAnswer(True, remember="WebSearch")
    out = setup.out.getvalue()
    assert out.startswith("WebSearch rich tables\n")
    assert "  a  yes, and don't ask again for this tool: adds WebSearch\n" in out


def test_web_fetch_is_remembered_by_its_domain(tmp_path: Path) -> None:
    setup = Setup(tmp_path, "a", "n")
    url = "https://Docs.Python.org./3/library/"
    request = ApprovalRequest(
        "t4", "WebFetch", {"url": url}, Decision("ask", "asks"), kind="network"
    )
    rule = "WebFetch(domain:docs.python.org)"
    assert setup.approver.ask(request) == ApprovalAnswer(True, remember=rule)
    out = setup.out.getvalue()
    assert out.startswith(f"WebFetch {url}\n")
    assert "  a  yes, and don't ask again for this domain: add" in out
    assert f"Allowed for this session: {rule}\n" in out


def test_a_multi_file_patch_remembers_every_file_and_pauses_the_view_first(
    tmp_path: Path,
) -> None:
    setup = Setup(tmp_path, "a", "n")
    paused: list[bool] = []
    setup.approver.before_prompt = lambda: paused.append(True)
    diff = unified_diff(
        [
            FileChange(tmp_path / "a.py", b"x\n", b"y\n"),
            FileChange(tmp_path / "src" / "b.py", None, b"new\n"),
        ],
        tmp_path,
    )
    request = ApprovalRequest("t5", "ApplyPatch", {"input": "…"}, EDIT_REASON, diff, kind="edit")
    answer = setup.approver.ask(request)
    assert answer == ApprovalAnswer(True, remember="Edit(/a.py), Edit(src/b.py)")
    assert setup.remembered == ["Edit(/a.py)", "Edit(src/b.py)"]
    assert paused == [True]
    assert "a.py  +1 −1\n" in setup.out.getvalue()
    assert "src/b.py (new)  +1 −0\n" in setup.out.getvalue()


class Keys:
    """A scripted ``ask_key``: hands out keys (or raises) in order and records each question."""

    def __init__(self, *keys: str | BaseException) -> None:
        self.keys = list(keys)
        self.questions: list[KeyQuestion] = []

    def __call__(self, question: KeyQuestion) -> str:
        self.questions.append(question)
        key = self.keys.pop(0)
        if isinstance(key, BaseException):
            raise key
        return key


def with_keys(tmp_path: Path, keys: Keys, *lines: str) -> Setup:
    setup = Setup(tmp_path, *lines)
    setup.approver.ask_key = keys
    return setup


def test_one_key_asks_the_question_with_no_highlighted_and_prints_only_the_request(
    tmp_path: Path,
) -> None:
    keys = Keys("y")
    setup = with_keys(tmp_path, keys)
    assert setup.edit() == ApprovalAnswer(True)
    [question] = keys.questions
    assert question.prompt == "Allow Edit? [y/a/n] "
    assert [c.key for c in question.choices] == ["y", "a", "n"]
    assert question.choices[1].label == (
        "yes, and don't ask again for this file: adds Edit(src/app.py)"
    )
    assert question.choices[question.default].key == "n" and question.escape == "n"
    assert setup.out.getvalue() == EDIT_SCREEN.split("  y  yes\n")[0]  # the choices: keychoice
    assert setup.script.prompts == []


def test_esc_denies_at_once_without_asking_for_feedback(tmp_path: Path) -> None:
    setup = with_keys(tmp_path, Keys(ESCAPE))
    assert setup.edit() == ApprovalAnswer(False)
    assert setup.script.prompts == [] and setup.remembered == []


def test_one_key_always_then_the_persist_question_is_still_a_line(tmp_path: Path) -> None:
    keys = Keys("a")
    setup = with_keys(tmp_path, keys, "y")
    assert setup.edit() == ApprovalAnswer(True, remember="Edit(src/app.py)")
    assert setup.script.prompts == [
        "persist Edit(src/app.py) to .devagent/settings.local.json? [y/N] "
    ]
    assert json.loads(setup.settings.read_text())["permissions"]["allow"] == ["Edit(src/app.py)"]


def test_one_key_no_asks_for_feedback_and_end_of_input_means_no(tmp_path: Path) -> None:
    setup = with_keys(tmp_path, Keys("n"), "use a constant")
    assert setup.edit() == ApprovalAnswer(False, feedback="use a constant")
    ended = with_keys(tmp_path, Keys(EOFError()), "")
    assert ended.edit() == ApprovalAnswer(False)
    with pytest.raises(KeyboardInterrupt):
        with_keys(tmp_path, Keys(KeyboardInterrupt())).edit()


def test_what_a_rule_leaves_out_is_a_note_of_the_question(tmp_path: Path) -> None:
    keys = Keys("y")
    setup = with_keys(tmp_path, keys)
    setup.bash("python3 -c 'print(1)' && echo done | python3")
    assert keys.questions[0].notes == (
        "(no rule is offered for python3: any would allow more, so it asks again)",
    )
