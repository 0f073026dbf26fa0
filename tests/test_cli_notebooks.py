"""Notebooks through the real CLI: the real SDK against the fake Messages API, scripted
NotebookRead/NotebookEdit calls, real .ipynb files written the way Jupyter writes them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from clirun import run
from fakes.fake_api import FakeAPI, RecordedRequest, Reply, text_reply, tool_call, tool_reply
from notebooks.samples import edited, jupyter_text, notebook_data

NOTEBOOKER = """\
---
name: notebooker
description: Cleans up Jupyter notebooks.
tools: Read, NotebookRead, NotebookEdit
---
You tidy notebooks.
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "analysis.ipynb").write_text(jupyter_text(notebook_data(5)), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def cell_ids(repo: Path) -> list[str]:
    cells = json.loads((repo / "analysis.ipynb").read_text(encoding="utf-8"))["cells"]
    return [cell["id"] for cell in cells]


def text_of(block: dict[str, Any]) -> str:
    content = block["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def edit_call(**args: Any) -> Reply:
    return tool_reply(tool_call("NotebookEdit", {"notebook_path": "analysis.ipynb", **args}))


def read_call() -> Reply:
    return tool_reply(tool_call("Read", {"file_path": "analysis.ipynb"}))


def accept_edits(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path
) -> dict[str, Any]:
    args = ["-p", "tidy", "--permission-mode", "acceptEdits", "--output-format", "json"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_read_shows_cells_and_replace_rewrites_one_cell_like_jupyter_would(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    data = notebook_data(5)
    data["cells"] = json.loads((repo / "analysis.ipynb").read_text())["cells"]
    code_id = cell_ids(repo)[1]
    fake_api.enqueue(
        read_call(),
        edit_call(cell_id=code_id, new_source="x = 1 / 1  # MARK-B\n"),
        text_reply("fixed"),
    )
    result = accept_edits(devagent_cmd, devagent_env, repo)
    assert result["result"] == "fixed" and result["permission_denials"] == []
    [shown] = fake_api.requests[1].tool_results()
    assert f'<cell id="{code_id}" type="code" execution_count="3">' in text_of(shown)
    [done] = fake_api.requests[2].tool_results()
    assert done.get("is_error") is not True
    assert "its outputs and execution count were cleared" in text_of(done)
    expected = edited(data, "replace", 1, source="x = 1 / 1  # MARK-B\n")
    assert (repo / "analysis.ipynb").read_text(encoding="utf-8") == jupyter_text(expected)


def test_insert_then_delete_through_notebook_read(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    first, *_, last = cell_ids(repo)
    fake_api.enqueue(
        tool_reply(tool_call("NotebookRead", {"notebook_path": "analysis.ipynb"})),
        edit_call(cell_id=first, new_source="import os", cell_type="code", edit_mode="insert"),
        edit_call(cell_id=last, new_source="", edit_mode="delete"),
        text_reply("done"),
    )
    accept_edits(devagent_cmd, devagent_env, repo)
    cells = json.loads((repo / "analysis.ipynb").read_text())["cells"]
    assert [c["source"] for c in cells][:2] == [
        ["# Café – naïve title MARK-A\n", "Some text"],
        ["import os"],
    ]
    assert len(cells) == 4 and last not in [c["id"] for c in cells]
    [inserted] = fake_api.requests[2].tool_results()
    assert f"Inserted a code cell {cells[1]['id']} after cell {first}" in text_of(inserted)
    [deleted] = fake_api.requests[3].tool_results()
    assert text_of(deleted).startswith(f"Deleted markdown cell {last} from analysis.ipynb")


def test_an_edit_that_would_make_the_notebook_invalid_is_refused(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    data = notebook_data(5)
    data["cells"][0]["attachments"] = {"logo.png": {"image/png": "iVBORw0KGgo="}}
    (repo / "analysis.ipynb").write_text(jupyter_text(data), encoding="utf-8")
    before = (repo / "analysis.ipynb").read_bytes()
    fake_api.enqueue(
        read_call(),
        edit_call(cell_id=data["cells"][0]["id"], new_source="print(1)", cell_type="code"),
        text_reply("could not"),
    )
    accept_edits(devagent_cmd, devagent_env, repo)
    [refused] = fake_api.requests[2].tool_results()
    assert refused["is_error"] is True
    assert "'attachments' was unexpected" in text_of(refused)
    assert (repo / "analysis.ipynb").read_bytes() == before


def test_a_notebook_changed_after_the_read_is_refused(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    path = repo / "analysis.ipynb"

    def user_edits_then_model_edits(_request: RecordedRequest) -> Reply:
        path.write_text(path.read_text().replace("Some text", "User text"))
        return edit_call(cell_id="cell-0", new_source="# Model title")

    fake_api.enqueue(read_call(), user_edits_then_model_edits, text_reply("stopped"))
    accept_edits(devagent_cmd, devagent_env, repo)
    [refused] = fake_api.requests[2].tool_results()
    assert refused["is_error"] is True and "changed since you read it" in text_of(refused)
    assert "User text" in path.read_text() and "Model title" not in path.read_text()


def test_an_edit_without_a_prior_read_is_refused(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    before = (repo / "analysis.ipynb").read_bytes()
    fake_api.enqueue(edit_call(cell_id="cell-0", new_source="# New"), text_reply("need a read"))
    accept_edits(devagent_cmd, devagent_env, repo)
    [refused] = fake_api.requests[1].tool_results()
    assert refused["is_error"] is True and "has not been read" in text_of(refused)
    assert (repo / "analysis.ipynb").read_bytes() == before


def test_default_mode_denies_the_edit_in_one_shot_and_records_it(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    before = (repo / "analysis.ipynb").read_bytes()
    fake_api.enqueue(read_call(), edit_call(cell_id="cell-0", new_source="# New"), text_reply("ok"))
    done = run(devagent_cmd, ["-p", "tidy", "--output-format", "json"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    [denial] = json.loads(done.stdout)["permission_denials"]
    assert denial["tool_name"] == "NotebookEdit" and denial["tool_input"]["new_source"] == "# New"
    assert (repo / "analysis.ipynb").read_bytes() == before


def test_a_persona_naming_the_notebook_tools_gets_them(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    (repo / ".claude" / "agents").mkdir(parents=True)
    (repo / ".claude" / "agents" / "notebooker.md").write_text(NOTEBOOKER)
    shown = run(devagent_cmd, ["agents", "show", "notebooker"], devagent_env, repo)
    assert shown.returncode == 0, shown.stderr
    assert "effective:    Read, NotebookRead, NotebookEdit\n" in shown.stdout
    assert "unavailable:  -\n" in shown.stdout
    fake_api.enqueue(text_reply("ready"))
    done = run(devagent_cmd, ["-p", "hi", "--agent", "notebooker"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert fake_api.requests[0].tool_names() == ["Read", "NotebookRead", "NotebookEdit"]


def test_text_mode_progress_names_the_notebook(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    fake_api.enqueue(
        tool_reply(tool_call("NotebookRead", {"notebook_path": "analysis.ipynb"})),
        text_reply("It has four cells."),
    )
    done = run(devagent_cmd, ["-p", "what is in it?"], devagent_env, repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "It has four cells.\n"
    assert "NotebookRead analysis.ipynb" in done.stderr


def test_edit_path_rules_cover_notebook_edits(
    devagent_cmd: list[str], devagent_env: dict[str, str], repo: Path, fake_api: FakeAPI
) -> None:
    before = (repo / "analysis.ipynb").read_bytes()
    fake_api.enqueue(read_call(), edit_call(cell_id="cell-0", new_source="# New"), text_reply("ok"))
    args = ["-p", "tidy", "--permission-mode", "acceptEdits", "--output-format", "json"]
    args += ["--disallowed-tools", "Edit(/*.ipynb)"]
    done = run(devagent_cmd, args, devagent_env, repo)
    assert done.returncode == 0, done.stderr
    [denial] = json.loads(done.stdout)["permission_denials"]
    assert denial["tool_name"] == "NotebookEdit" and "Edit(/*.ipynb)" in denial["reason"]
    assert (repo / "analysis.ipynb").read_bytes() == before
