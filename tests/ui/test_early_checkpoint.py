"""A chat turn's request does not wait for the workspace snapshot that /undo needs.

The "before" snapshot of a turn runs git; it is taken on a thread while the request goes out,
and the turn waits for it once the reply is in, before any tool may change a file. Here the
store's "before" snapshot blocks until the model has been asked (so a request held up by the
snapshot fails the test) and then stays slow (so a tool that did not wait for it would be
inside the snapshot, and /undo would find nothing to undo).
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from devagent.checkpoints import CheckpointError, CheckpointStore, Snapshot
from devagent.events import EventSink
from devagent.hooks.config import HookCommand, HookConfig
from devagent.llm.scripted import ScriptedModel, text_reply, tool_reply
from devagent.messages import AssistantReply, ModelRequest
from ui.repl_harness import make_chat

SLOW_GIT = 0.3  # seconds the gated snapshot still takes after the model was asked


class AskedModel(ScriptedModel):
    """A scripted model that says when it was first asked."""

    def __init__(self, steps: list[AssistantReply]) -> None:
        super().__init__(list(steps))
        self.asked = threading.Event()

    def stream(self, request: ModelRequest, on_event: EventSink) -> AssistantReply:
        self.asked.set()
        return super().stream(request, on_event)


class GatedStore(CheckpointStore):
    """A turn's "before" snapshot starts only once the model was asked, then takes ``SLOW_GIT``."""

    def __init__(
        self, workspace: Path, home: Path, asked: threading.Event, patience: float = 10.0
    ) -> None:
        super().__init__(workspace, home)
        self.asked = asked
        self.patience = patience
        self.asked_before_snapshot: list[bool] = []

    def snapshot(self, label: str) -> Snapshot:
        if label.startswith("before turn"):
            self.asked_before_snapshot.append(self.asked.wait(timeout=self.patience))
            time.sleep(SLOW_GIT)
        return super().snapshot(label)


class FailingStore(CheckpointStore):
    def snapshot(self, label: str) -> Snapshot:
        raise CheckpointError("git is not available")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "app.py").write_text("print('one')\n")
    return root


def test_the_request_goes_out_before_the_snapshot_and_tools_wait_for_it(
    ws: Path, devagent_home: Path
) -> None:
    model = AskedModel(
        [
            tool_reply(
                ("Write", {"file_path": "new.txt", "content": "created"}),
                ("Edit", {"file_path": "app.py", "old_string": "one", "new_string": "two"}),
            ),
            text_reply("Wrote and edited."),
        ]
    )
    chat = make_chat(ws, devagent_home, model, ["change", "/undo"], approvals=[True, True])
    store = GatedStore(ws, devagent_home, model.asked)
    chat.repl.checkpoints.store = store
    chat.repl.run()
    model.assert_consumed()
    assert store.asked_before_snapshot == [True]
    # The tools ran after the snapshot, so /undo takes both changes back.
    assert not (ws / "new.txt").exists()
    assert (ws / "app.py").read_text() == "print('one')\n"
    assert "Nothing to undo" not in chat.output()


def test_a_failed_early_snapshot_turns_checkpoints_off_and_the_turn_still_runs(
    ws: Path, devagent_home: Path
) -> None:
    model = ScriptedModel([text_reply("Still answered.")])
    chat = make_chat(ws, devagent_home, model, ["hi", "/undo"])
    chat.repl.checkpoints.store = FailingStore(ws, devagent_home)
    chat.repl.run()
    model.assert_consumed()
    assert chat.view.text() == "Still answered."
    out = chat.output()
    assert out.count("Checkpoints are off: git is not available") == 1
    assert chat.repl.checkpoints.store is None


def test_with_a_user_prompt_submit_hook_the_snapshot_is_taken_before_it(
    ws: Path, devagent_home: Path
) -> None:
    """The hook runs before the request and writes a file: that change is the turn's, so
    /undo takes it back; an early snapshot (which waits here until the model is asked)
    would already hold the file."""
    model = AskedModel([text_reply("Noted.")])
    chat = make_chat(ws, devagent_home, model, ["go", "/undo"])
    hook = HookCommand("UserPromptSubmit", "", f"printf hooked > '{ws}/hooked.txt'", 30, ws)
    chat.repl.conversation.hooks.config = HookConfig((hook,))
    store = GatedStore(ws, devagent_home, model.asked, patience=0.5)
    chat.repl.checkpoints.store = store
    chat.repl.run()
    model.assert_consumed()
    assert store.asked_before_snapshot == [False]  # taken before the request, as it must be
    assert not (ws / "hooked.txt").exists()
    assert "Nothing to undo" not in chat.output()
