"""Bash command analysis: structure checks, sub-command extraction and wrapper unwrapping."""

from __future__ import annotations

import shlex
import time

import pytest

from devagent.bashparse import (
    MAX_SUBCOMMANDS,
    analyze,
    dangerous_flag,
    display_argv,
    escape_controls,
)


def argvs(command: str) -> list[tuple[str, ...]]:
    return [sub.argv for sub in analyze(command).subcommands]


@pytest.mark.parametrize(
    "command",
    [
        "ls",
        "git status",
        "echo hi && ls -la",
        "a || b; c | d",
        "echo \"double\" 'single' 42 con\"cat\"'enated'",
        "npm test -- --watch=false",
        "LANG=C git status",
        "LC_ALL=C TZ=UTC date",
        "find . -name '*.pyc'",
        "ls\nwc -l",
    ],
)
def test_word_only_sequences_pass_the_structure_check(command: str) -> None:
    result = analyze(command)
    assert result.word_only, result.problems
    assert result.subcommands


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("echo $(id)", "command substitution"),
        ("echo `id`", "command substitution"),
        ("cat <(id)", "process substitution"),
        ("echo >(tee /tmp/x)", "process substitution"),
        ("echo hi > out.txt", "redirection"),
        ("cat < in.txt", "redirection"),
        ("cat <<EOF\nhi\nEOF", "redirection"),
        ("cat <<< hi", "here-string"),
        ("echo $HOME", "$VAR expansion"),
        ("echo ${IFS}id", "${…} expansion"),
        ("echo $(( 1 + 2 ))", "arithmetic expansion"),
        ("[[ $x =~ y ]]", "test"),
        ("sleep 1 &", "background"),
        ("(ls)", "subshell"),
        ("{ ls; }", "group"),
        ("f() { ls; }", "function definition"),
        ("if true; then ls; fi", "shell"),
        ("for x in a; do echo $x; done", "shell"),
        ("! ls", "negation"),
        ("ls # note", "comment"),
        ("echo $'\\x41'", "$'…' string"),
        ("FOO=bar git push", "FOO="),
        ("PAGER='sh -c id' git log", "PAGER="),
        ("FOO=bar", "bare assignment"),
        ("export FOO=bar", "declaration"),
        ("echo {a,b}", "brace expansion"),
        ("/bin/r? -rf x", "wildcard in the command name"),
        ("ls |& cat", "|&"),
    ],
)
def test_anything_beyond_plain_words_is_reported(command: str, problem: str) -> None:
    result = analyze(command)
    assert not result.word_only
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize(
    "command",
    [
        "echo $[ x='a[$(touch FLAG)]', x ]",
        "echo 'unterminated",
        "ls &&",
        "if true; then",
        "{rm,-rf,x}",
        "echo a\x00b",
    ],
)
def test_parse_errors_make_the_command_unreadable(command: str) -> None:
    result = analyze(command)
    assert result.unreadable
    assert not result.word_only


@pytest.mark.parametrize(
    "command", ["ls\r; rm x", "echo \u202eevil", "echo a\u2066b", "ls\x1b[2K", "echo \u200bx"]
)
def test_control_and_invisible_characters_are_unreadable(command: str) -> None:
    result = analyze(command)
    assert result.unreadable
    assert any("control or invisible" in p for p in result.problems)


def test_escape_controls_makes_hidden_characters_visible() -> None:
    assert escape_controls("ls\r; rm\u202e x\x00") == "ls\\r; rm\\u202e x\\0"
    assert display_argv(["echo", "a b", "\u2066"]) == "echo 'a b' '\\u2066'"


def test_compound_commands_are_split_into_every_part() -> None:
    assert argvs("echo hi && rm -rf build; curl x | sh") == [
        ("echo", "hi"),
        ("rm", "-rf", "build"),
        ("curl", "x"),
        ("sh",),
    ]


def test_quotes_and_escapes_are_removed_as_bash_would() -> None:
    assert argvs('\\rm "a b" \'c d\' e\\ f "x\\"y"') == [("rm", "a b", "c d", "e f", 'x"y')]
    assert argvs('"r"m x') == [("rm", "x")]


def test_commands_inside_substitutions_are_still_extracted() -> None:
    found = argvs("echo $(rm -rf x) `curl evil`")
    assert ("rm", "-rf", "x") in found
    assert ("curl", "evil") in found


def test_line_continuation_is_joined_before_parsing() -> None:
    result = analyze("r\\\nm -rf x")
    assert ("rm", "-rf", "x") in [s.argv for s in result.subcommands]
    assert not result.word_only


@pytest.mark.parametrize(
    ("command", "inner", "wrappers"),
    [
        ("env rm -rf x", ("rm", "-rf", "x"), ("env",)),
        ("env -i FOO=1 rm x", ("rm", "x"), ("env",)),
        ("sudo rm x", ("rm", "x"), ("sudo",)),
        ("sudo -u root -E rm x", ("rm", "x"), ("sudo",)),
        ("timeout 5 rm -rf x", ("rm", "-rf", "x"), ("timeout",)),
        ("timeout -s KILL -k 3 5 rm x", ("rm", "x"), ("timeout",)),
        ("nice -n 10 rm x", ("rm", "x"), ("nice",)),
        ("ionice -c 3 rm x", ("rm", "x"), ("ionice",)),
        ("nohup rm x", ("rm", "x"), ("nohup",)),
        ("setsid rm x", ("rm", "x"), ("setsid",)),
        ("xargs -0 -n 1 rm", ("rm",), ("xargs",)),
        ("stdbuf -oL rm x", ("rm", "x"), ("stdbuf",)),
        ("time rm x", ("rm", "x"), ("time",)),
        ("command rm x", ("rm", "x"), ("command",)),
        ("builtin cd x", ("cd", "x"), ("builtin",)),
        ("exec rm x", ("rm", "x"), ("exec",)),
        ("nice timeout 5 sudo rm x", ("rm", "x"), ("nice", "timeout", "sudo")),
        ("bash -c 'rm -rf x'", ("rm", "-rf", "x"), ("bash -c",)),
        ('sh -c "rm -rf x"', ("rm", "-rf", "x"), ("sh -c",)),
        ("zsh -lc 'rm x'", ("rm", "x"), ("zsh -c",)),
        ("bash -o pipefail -c 'rm x'", ("rm", "x"), ("bash -c",)),
        ("watch 'rm -rf x'", ("rm", "-rf", "x"), ("watch",)),
        ("timeout 5 bash -c 'sudo rm x'", ("rm", "x"), ("timeout", "bash -c", "sudo")),
    ],
)
def test_exec_wrappers_are_unwrapped(
    command: str, inner: tuple[str, ...], wrappers: tuple[str, ...]
) -> None:
    subs = analyze(command).subcommands
    assert len(subs) == 1
    assert subs[0].argv == inner
    assert subs[0].wrappers == wrappers
    assert subs[0].forms[-1] == inner


def test_wrapped_commands_keep_the_written_form() -> None:
    sub = analyze("timeout 5 git status").subcommands[0]
    assert sub.written == ("timeout", "5", "git", "status")
    assert sub.forms[0] == sub.written


def test_bash_c_with_several_commands_yields_each() -> None:
    assert argvs("bash -c 'echo a; rm b && curl c'") == [("echo", "a"), ("rm", "b"), ("curl", "c")]


def test_problems_inside_a_shell_script_are_reported() -> None:
    result = analyze("sh -c 'echo $(id)'")
    assert any("inside sh -c" in p and "substitution" in p for p in result.problems)


def test_indirect_wrappers_are_marked() -> None:
    assert analyze("sudo ls").subcommands[0].indirect
    assert analyze("xargs ls").subcommands[0].indirect
    assert not analyze("timeout 5 ls").subcommands[0].indirect


def test_unsafe_env_in_env_wrapper_blocks_auto_allow() -> None:
    sub = analyze("env PAGER='sh -c id' git log").subcommands[0]
    assert sub.argv == ("git", "log")
    assert "sets PAGER" in sub.blockers
    assert not analyze("env LANG=C git log").subcommands[0].blockers


def test_wrapper_options_that_defeat_analysis_block_auto_allow() -> None:
    assert analyze("env -C /tmp ls").subcommands[0].blockers
    assert analyze("sudo -D /tmp ls").subcommands[0].blockers


def test_env_split_string_is_split_and_unwrapped() -> None:
    for command in ("env -S 'rm x' ls", "env -S'rm x' ls", "env --split-string='rm x' ls"):
        assert analyze(command).subcommands[0].argv == ("rm", "x", "ls"), command


def test_command_v_is_not_unwrapped() -> None:
    sub = analyze("command -v rm").subcommands[0]
    assert sub.argv == ("command", "-v", "rm")


def test_find_exec_command_is_a_derived_subcommand() -> None:
    found, run = analyze("find . -name '*.pyc' -exec rm {} \\;").subcommands
    assert found.dangerous is not None and not found.derived
    assert run.argv == ("rm", "{}") and run.derived


@pytest.mark.parametrize(
    "argv",
    [
        ["find", ".", "-exec", "rm", "{}", ";"],
        ["find", ".", "-execdir", "x", ";"],
        ["find", ".", "-delete"],
        ["find", ".", "-ok", "rm", ";"],
        ["find", ".", "-okdir", "rm", ";"],
        ["find", ".", "-fprint", "out"],
        ["find", ".", "-fprintf", "out", "%p"],
        ["sed", "-i", "s/a/b/", "f"],
        ["sed", "-i.bak", "s/a/b/", "f"],
        ["sed", "-ni", "p", "f"],
        ["sed", "--in-place", "s/a/b/", "f"],
        ["sed", "s/a/b/w out", "f"],
        ["sed", "s/a/b/e", "f"],
        ["sed", "-n", "1w out", "f"],
        ["sed", "-e", "p", "-e", "$W out", "f"],
        ["sed", "-f", "script.sed", "f"],
        ["sed", "--expression=1e id", "f"],
        ["rg", "--pre=sh", "x"],
        ["rg", "--pre", "sh", "x"],
        ["rg", "--pre-glob", "*", "x"],
        ["git", "-c", "core.pager=sh", "log"],
        ["git", "-ccore.pager=sh", "log"],
        ["git", "--config-env=core.pager=X", "log"],
        ["git", "--exec-path=/tmp", "status"],
        ["git", "fetch", "--upload-pack=sh", "origin"],
        ["git", "push", "--receive-pack=x", "origin"],
        ["git", "config", "core.hooksPath", "/tmp"],
        ["git", "config", "alias.x", "!sh"],
        ["git", "--git-dir=/tmp/evil", "log"],
        ["awk", 'BEGIN { system("id") }'],
        ["awk", '{ print | "sh" }'],
        ["awk", '{ print > "/tmp/x" }'],
        ["awk", "-f", "prog.awk"],
        ["tar", "--to-command=sh", "-xf", "a.tar"],
        ["tar", "--checkpoint-action=exec=sh", "-cf", "a.tar", "."],
        ["tar", "--use-compress-program", "sh", "-xf", "a.tar"],
        ["tar", "-I", "sh", "-xf", "a.tar"],
        ["less", "+!id", "f"],
        ["more", "!id"],
        ["man", "-P", "sh", "ls"],
        ["man", "--pager=sh", "ls"],
        ["man", "!ls"],
        ["fd", "-x", "rm"],
    ],
)
def test_dangerous_flags_of_safe_tools(argv: list[str]) -> None:
    assert dangerous_flag(argv) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["find", ".", "-name", "*.py", "-type", "f"],
        ["sed", "s/a/b/g", "f"],
        ["sed", "-n", "/error/p", "f"],
        ["sed", "-E", "-e", "s/x+/y/", "f"],
        ["rg", "-n", "pattern", "src"],
        ["git", "log", "--oneline", "-c"],
        ["git", "-C", "sub", "status"],
        ["git", "add", "core.py"],
        ["git", "config", "--get", "user.name"],
        ["awk", "{ print $1 }", "f"],
        ["tar", "-tzf", "a.tar.gz"],
        ["less", "README"],
        ["man", "ls"],
        ["ls", "-la"],
    ],
)
def test_ordinary_flags_are_not_dangerous(argv: list[str]) -> None:
    assert dangerous_flag(argv) is None


def test_cd_is_tracked_for_later_commands() -> None:
    subs = analyze("cd .devagent && rm settings.json").subcommands
    assert subs[0].cwds == ("",)
    assert subs[1].cwds is not None
    assert ".devagent" in subs[1].cwds
    # A cd can fail, so the start directory stays possible.
    assert "" in subs[1].cwds


def test_cd_to_home_and_unknown_directories() -> None:
    assert "~" in (analyze("cd; ls").subcommands[1].cwds or ())
    assert analyze("cd -; ls").subcommands[1].cwds is None
    assert analyze("cd $DIR; ls").subcommands[1].cwds is None


def test_too_many_subcommands_is_over_limit() -> None:
    result = analyze("true && " * (MAX_SUBCOMMANDS + 10) + "curl evil")
    assert result.over_limit
    assert len(result.subcommands) > MAX_SUBCOMMANDS


def test_fifty_subcommands_is_within_the_limit() -> None:
    result = analyze(" && ".join(["true"] * MAX_SUBCOMMANDS))
    assert not result.over_limit
    assert result.word_only


@pytest.mark.parametrize(
    "command",
    [
        "x" * 1_000_000,
        "echo " + "$(" * 10_000 + "id" + ")" * 10_000,
        "$(" * 10_000,
        "`" * 10_000,
        "(" * 100_000,
    ],
)
def test_hostile_sizes_finish_fast_and_fail_closed(command: str) -> None:
    started = time.monotonic()
    result = analyze(command)
    assert time.monotonic() - started < 1.0
    assert not result.word_only


def test_nested_shells_beyond_the_depth_limit_are_unreadable() -> None:
    command = "echo hi"
    for _ in range(8):
        command = f"bash -c {shlex.quote(command)}"
    result = analyze(command)
    assert result.unreadable
    assert any("nested" in p for p in result.problems)


def test_analyze_never_raises_on_odd_text() -> None:
    for command in ["", " ", "\n", ";", "&&", "\udcff", "é ü 漢字", "\\", "'", '"']:
        assert analyze(command).command == command
