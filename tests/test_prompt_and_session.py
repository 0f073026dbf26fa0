"""System prompt assembly (environment, memory files, imports) and transcript loading/repair."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from devagent.conversation import repair_history
from devagent.errors import SessionLockedError, UsageError
from devagent.gitinfo import GitState
from devagent.messages import Message
from devagent.prompt import PromptParts, build_system_prompt, memory_block, memory_paths
from devagent.session import SCHEMA_VERSION, Transcript, load, project_slug, redact
from fakes.lock_holder import lock_held_elsewhere, open_fds


def test_memory_files_from_root_down_to_cwd(tmp_path: Path) -> None:
    sub = tmp_path / "pkg" / "mod"
    sub.mkdir(parents=True)
    (tmp_path / "AGENTS.md").write_text("root rules")
    (tmp_path / "pkg" / "CLAUDE.md").write_text("pkg rules")
    (sub / "CLAUDE.local.md").write_text("local rules")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "AGENTS.md").write_text("not on the path")
    paths = memory_paths(tmp_path, sub)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "AGENTS.md",
        "pkg/CLAUDE.md",
        "pkg/mod/CLAUDE.local.md",
    ]
    block = memory_block(tmp_path, sub)
    assert block.index("root rules") < block.index("pkg rules") < block.index("local rules")
    assert "not on the path" not in block


def test_imports_follow_up_to_four_levels_once_each_and_skip_code(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text(
        "See @docs/a.md and @docs/a.md again.\n```\n@docs/fenced.md\n```\n"
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fenced.md").write_text("FENCED")
    chain = ["a", "b", "c", "d", "e", "f"]
    for here, there in itertools.pairwise(chain):
        (docs / f"{here}.md").write_text(f"level {here} @{there}.md")
    (docs / "f.md").write_text("level f")
    block = memory_block(tmp_path, tmp_path)
    assert block.count("level a") == 1
    assert "level d" in block and "level e" not in block  # root + 4 levels of imports
    assert "FENCED" not in block


def test_system_prompt_has_role_environment_memory_and_append(tmp_path: Path) -> None:
    (tmp_path / "CLAUDE.md").write_text("Use tabs.")
    parts = PromptParts(
        tmp_path,
        tmp_path,
        GitState("main", " M app.py"),
        role="You are a reviewer.",
        append="Be terse.",
    )
    text = build_system_prompt(parts)
    assert text.startswith("You are a reviewer.")
    assert f"Workspace root: {tmp_path}" in text and "Git branch: main" in text
    assert " M app.py" in text and "Use tabs." in text and text.endswith("Be terse.")


def test_default_prompt_without_git(tmp_path: Path) -> None:
    text = build_system_prompt(PromptParts(tmp_path, tmp_path, None))
    assert text.startswith("You are devagent") and "Git repository: no" in text


def write_transcript(path: Path, messages: list[dict[str, object]]) -> None:
    transcript = Transcript(path, {"session_id": path.stem})
    for message in messages:
        transcript.message(message)
    transcript.close()


USE = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "a"}}


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_transcript(path, [{"role": "user", "content": "hi"}])
    with path.open("a") as handle:
        handle.write('{"type": "message", "message": {"role": "assis')
    loaded = load(path)
    assert loaded.messages == [{"role": "user", "content": "hi"}]
    assert loaded.warnings == ["s.jsonl: skipped unreadable last line (truncated)"]


def test_corrupt_middle_line_is_skipped_and_the_file_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_transcript(path, [{"role": "user", "content": "one"}])
    with path.open("a") as handle:
        handle.write("garbage\n")
    write_transcript(path, [{"role": "user", "content": "two"}])
    before = path.read_bytes()
    loaded = load(path)
    assert [m["content"] for m in loaded.messages] == ["one", "two"]
    assert loaded.warnings == ["s.jsonl: skipped unreadable line 3"]
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    header = {"type": "header", "schema_version": SCHEMA_VERSION + 1}
    path.write_text(json.dumps(header) + "\n")
    with pytest.raises(UsageError, match="newer devagent"):
        load(path)


def test_transcript_permissions_and_redaction(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "p" / "s.jsonl"
    write_transcript(path, [{"role": "user", "content": "key sk-ant-api03-abcdefghijklmnop"}])
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert "abcdefghijklmnop" not in path.read_text() and "[REDACTED]" in path.read_text()
    assert redact("plain text") == "plain text"


BUSY = (
    "session s is open in another devagent process; wait for it to finish or start a new session."
)


def test_a_transcript_open_in_another_process_is_refused_and_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.jsonl"
    write_transcript(path, [{"role": "user", "content": "hi"}])
    with path.open("a") as handle:
        handle.write('{"type": "message", "message": {"role": "assis')  # a crash cut it short
    before = path.read_bytes()
    with lock_held_elsewhere(path):
        fds = open_fds()
        with pytest.raises(SessionLockedError) as refused:
            Transcript(path, {"session_id": "s"})
        assert str(refused.value) == BUSY and refused.value.exit_code == 2
        assert isinstance(refused.value, UsageError)
        assert path.read_bytes() == before  # no header, no newline repair
        assert open_fds() == fds
    transcript = Transcript(path, {"session_id": "s"})  # the holder has exited
    transcript.message({"role": "user", "content": "again"})
    transcript.close()
    assert path.read_bytes().startswith(before + b"\n")
    assert [m["content"] for m in load(path).messages] == ["hi", "again"]


def test_a_new_transcript_file_locked_elsewhere_gets_no_header(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "s.jsonl"
    path.parent.mkdir()
    with lock_held_elsewhere(path):  # the holder created the file, empty
        with pytest.raises(SessionLockedError, match=r"^session s is open"):
            Transcript(path, {"session_id": "s"})
        assert path.read_bytes() == b""


def test_close_releases_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    first = Transcript(path, {"session_id": "s"})
    with pytest.raises(SessionLockedError, match=r"^session s is open"):
        Transcript(path, {"session_id": "s"})  # a second open file, even in this process
    first.message({"role": "user", "content": "one"})
    first.close()
    second = Transcript(path, {"session_id": "s"})
    second.message({"role": "user", "content": "two"})
    second.close()
    with lock_held_elsewhere(path):  # and another process can take it too
        pass
    assert [m["content"] for m in load(path).messages] == ["one", "two"]


def test_project_slugs_do_not_collide(tmp_path: Path) -> None:
    assert project_slug(tmp_path / "a-b") != project_slug(tmp_path / "a" / "b")


def test_orphaned_tool_use_is_closed_on_resume() -> None:
    history: list[Message] = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [USE]},
    ]
    repaired = repair_history(history)
    assert repaired[-1] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": "No result: the session ended first.",
                "is_error": True,
            }
        ],
    }


def test_partially_answered_tool_uses_get_the_missing_results() -> None:
    second = {**USE, "id": "toolu_2"}
    answered = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}
    history = [
        {"role": "assistant", "content": [USE, second]},
        {"role": "user", "content": [answered]},
    ]
    repaired = repair_history(history)
    ids = [b["tool_use_id"] for b in repaired[1]["content"]]
    assert ids == ["toolu_1", "toolu_2"] and len(repaired) == 2
