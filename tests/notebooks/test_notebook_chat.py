"""NotebookEdit in chat: the approval shows the changed cell, and /undo puts the notebook back
byte for byte, as it does for Edit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from notebooks.samples import notebook_data, styled_text
from ui.repl_harness import make_chat


def test_approval_shows_the_cell_and_undo_restores_the_exact_bytes(
    tmp_path: Path, devagent_home: Path
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    path = ws / "analysis.ipynb"
    original = styled_text(notebook_data(4), indent=2, newline="\r\n").encode()
    path.write_bytes(original)
    edit = {"notebook_path": "analysis.ipynb", "cell_id": "cell-1", "new_source": "x = 2"}
    model = ScriptedModel(
        [
            tool_reply(("NotebookRead", {"notebook_path": "analysis.ipynb"})),
            tool_reply(("NotebookEdit", edit)),
            text_reply("Replaced it."),
        ]
    )
    chat = make_chat(ws, devagent_home, model, ["fix the cell"], approvals=[True])
    chat.repl.run()
    [request] = chat.approver.requests
    assert request.tool_name == "NotebookEdit" and request.kind == "edit"
    assert request.diff is not None
    assert "\n-x = 1 / 0  # MARK-B\n" in request.diff and "\n+x = 2\n" in request.diff
    assert '"outputs"' not in request.diff
    assert path.read_bytes() != original and b'"x = 2"' in path.read_bytes()

    chat.input.lines = ["/undo"]
    chat.repl.should_exit = False
    chat.repl.run()
    assert path.read_bytes() == original
    assert "restored analysis.ipynb" in chat.output()
