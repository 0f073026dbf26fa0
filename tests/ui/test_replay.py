"""Golden tests for the replay of a stored conversation (``ui.replay``): whole screens compared."""

from __future__ import annotations

import io
from pathlib import Path

from devagent.compaction import ACK, MARKER
from devagent.conversation import NO_REPLY
from devagent.messages import Message
from devagent.ui.console import make_console
from devagent.ui.replay import MAX_REPLAYED, replay

WORKSPACE = Path("/work/project")
IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "QUJD"}}


def shown(messages: list[Message], width: int = 60) -> str:
    out = io.StringIO()
    replay(make_console(file=out, env={"NO_COLOR": "1"}, width=width), messages, WORKSPACE)
    return out.getvalue()


def result(tool_use_id: str, text: str) -> dict[str, str]:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": text}


def test_a_turn_with_tools_and_markdown() -> None:
    messages: list[Message] = [
        {"role": "user", "content": "why does the parser fail?\nit says EOF"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "private", "signature": "s"},
                {"type": "text", "text": "Let me look."},
                {
                    "type": "tool_use",
                    "id": "t1",
                    "name": "Read",
                    "input": {"file_path": "/work/project/src/parser.py"},
                },
                {"type": "tool_use", "id": "t2", "name": "Bash", "input": {"command": "pytest -q"}},
            ],
        },
        {"role": "user", "content": [result("t1", "     1\tsecret"), result("t2", "1 failed")]},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "t3",
                    "name": "Edit",
                    "input": {
                        "file_path": "src/parser.py",
                        "old_string": "a\nb",
                        "new_string": "c",
                    },
                },
                {"type": "tool_use", "id": "t4", "name": "mcp__db__query", "input": {"sql": "x"}},
            ],
        },
        {"role": "user", "content": [result("t3", "Edited"), result("t4", "rows")]},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "text",
                    "text": "## Fixed\n\nThe **tokenizer** dropped the last line:\n\n"
                    "- read `EOF`\n- flush\n\n```python\nprint('ok')\n```\n",
                }
            ],
        },
    ]
    assert shown(messages) == (
        "> why does the parser fail?\n"
        "  it says EOF\n"
        "\n"
        "Let me look.\n"
        "\n"
        "● Read src/parser.py\n"
        "\n"
        "● Bash pytest -q\n"
        "\n"
        "● Edit src/parser.py (+1 −2)\n"
        "\n"
        "● mcp__db__query\n"
        "\n"
        "Fixed\n"
        "\n"
        "The tokenizer dropped the last line:\n"
        "\n"
        "• read EOF\n"
        "• flush\n"
        "\n"
        "  print('ok')\n"
    )


def test_notes_attachments_and_images_show_as_the_chat_confirmed_them() -> None:
    messages: list[Message] = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": NO_REPLY},
                {
                    "type": "text",
                    "text": "[The user ran a shell command.]\n<bash-input>git status</bash-input>\n"
                    "<bash-output>clean</bash-output>",
                },
                {"type": "text", "text": "check @notes.md and this"},
                {"type": "text", "text": '<file path="notes.md">\none\ntwo\n\n</file>'},
                {"type": "text", "text": "[image: /tmp/shot.png, PNG 32x24, 1 KB]"},
                IMAGE,
                IMAGE,
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Both look fine."}]},
    ]
    assert shown(messages) == (
        "! git status\n"
        "\n"
        "> check @notes.md and this\n"
        "attached notes.md (2 lines)\n"
        "attached /tmp/shot.png, PNG 32x24, 1 KB\n"
        "attached image/png, 1 KB\n"
        "\n"
        "Both look fine.\n"
    )
    assert "QUJD" not in shown(messages)


def test_a_compacted_history_says_so_and_hides_the_acknowledgement() -> None:
    messages: list[Message] = [
        {
            "role": "user",
            "content": [{"type": "text", "text": f"{MARKER}\n\n<summary>\nx\n</summary>"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": ACK}]},
        {"role": "user", "content": "go on"},
        {"role": "assistant", "content": "Done."},
    ]
    assert shown(messages) == (
        "(The conversation before this point was summarised.)\n\n> go on\n\nDone.\n"
    )


def test_a_long_history_shows_its_end() -> None:
    messages: list[Message] = []
    for n in range(MAX_REPLAYED):
        messages += [
            {"role": "user", "content": f"q{n}"},
            {"role": "assistant", "content": f"a{n}"},
        ]
    screen = shown(messages)
    assert screen.startswith(
        f"… {MAX_REPLAYED} earlier messages not shown\n\n> q{MAX_REPLAYED // 2}\n"
    )
    assert screen.endswith(f"> q{MAX_REPLAYED - 1}\n\na{MAX_REPLAYED - 1}\n")


def test_control_characters_in_stored_text_are_made_visible() -> None:
    messages: list[Message] = [
        {"role": "user", "content": "clear \x1b[2J the screen"},
        {"role": "assistant", "content": [{"type": "text", "text": "no \x1b]0;title\x07 here"}]},
    ]
    screen = shown(messages)
    assert "\x1b" not in screen and "\x07" not in screen
    assert "> clear \\x1b[2J the screen\n" in screen


def test_long_lines_wrap_at_the_width_like_the_live_answer() -> None:
    words = " ".join(f"word{i}" for i in range(20))
    screen = shown([{"role": "assistant", "content": words}], width=40)
    assert all(len(line) <= 40 for line in screen.splitlines())
    assert screen.replace("\n", " ").split() == words.split()
