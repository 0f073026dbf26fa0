"""What goes along with a chat message: @path text files, @-mentioned and pasted images, and
the one dim line that confirms each attachment."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from devagent.llm.scripted import ScriptedModel, text_reply
from devagent.ui.mentions import MAX_MENTION_BYTES, expand_mentions, pasted_image_paths
from ui.repl_harness import make_chat


def png(size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 200, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root.resolve()


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    folder = tmp_path / "Desktop"
    folder.mkdir()
    return folder.resolve()


def test_a_mentioned_text_file_is_confirmed_with_its_line_count(ws: Path) -> None:
    (ws / "app.py").write_text("a = 1\nb = 2\n")
    (ws / "one.txt").write_text("only line")
    found = expand_mentions("fix @app.py and @one.txt.", ws, ws)
    assert found.attached == ["attached app.py (2 lines)", "attached one.txt (1 line)"]
    assert found.files == [ws / "app.py", ws / "one.txt"]
    assert found.blocks[0]["text"] == '<file path="app.py">\na = 1\nb = 2\n\n</file>'


def test_a_cut_file_says_so(ws: Path) -> None:
    (ws / "big.txt").write_text("x\n" * MAX_MENTION_BYTES)
    found = expand_mentions("@big.txt", ws, ws)
    assert found.attached == [f"attached big.txt ({MAX_MENTION_BYTES // 2} lines)"]
    assert found.problems == [f"@big.txt: only the first {MAX_MENTION_BYTES} bytes added"]


def test_a_mentioned_image_goes_as_an_image(ws: Path) -> None:
    (ws / "ui.png").write_bytes(png())
    found = expand_mentions("why is @ui.png green?", ws, ws)
    assert found.attached == ["attached ui.png, PNG 32x24, 1 KB"]
    placeholder, image = found.blocks
    assert placeholder == {"type": "text", "text": "[image: ui.png, PNG 32x24, 1 KB]"}
    assert image["source"]["media_type"] == "image/png"
    assert base64.b64decode(image["source"]["data"]) == png()
    assert found.files == []  # images are not files the model may edit


def test_a_pasted_path_outside_the_workspace_attaches_the_image(ws: Path, elsewhere: Path) -> None:
    shot = elsewhere / "Screen Shot 1.png"
    shot.write_bytes(png())
    escaped = str(shot).replace(" ", "\\ ")
    for text in (f"look: {escaped}", f"look: '{shot}'", f'"{shot}" what?', f"file://{escaped}"):
        found = expand_mentions(text, ws, ws)
        assert found.attached == [f"attached {shot}, PNG 32x24, 1 KB"], text
        assert found.blocks[1]["type"] == "image"


def test_text_from_a_file_attaches_no_image_from_outside_the_workspace(
    ws: Path, elsewhere: Path
) -> None:
    (elsewhere / "secret.png").write_bytes(png())
    (ws / "inside.png").write_bytes(png())
    text = f"{elsewhere / 'secret.png'} and @{elsewhere / 'secret.png'} and inside.png"
    found = expand_mentions(text, ws, ws, images_anywhere=False)
    assert found.attached == ["attached inside.png, PNG 32x24, 1 KB"]


def test_a_damaged_image_is_reported_and_not_attached(ws: Path) -> None:
    (ws / "cut.png").write_bytes(png((300, 300))[:60])
    found = expand_mentions("see cut.png", ws, ws)
    assert found.blocks == [] and found.attached == []
    assert found.problems[0].startswith("cut.png: not attached: cut.png starts like a PNG image")


def test_paths_that_name_nothing_are_just_text(ws: Path) -> None:
    found = expand_mentions("see https://x.test/a.png and missing.png and @nope.py", ws, ws)
    assert (found.blocks, found.attached, found.problems) == ([], [], [])


def test_the_same_image_twice_goes_once(ws: Path) -> None:
    (ws / "a.png").write_bytes(png())
    found = expand_mentions(f"@a.png vs a.png vs {ws / 'a.png'}", ws, ws)
    assert len(found.attached) == 1 and len(found.blocks) == 2


def test_pasted_image_paths_are_found_and_unescaped() -> None:
    text = "a.png, 'b c.jpg' and d\\ e.GIF. Also x.pngx, @f.webp and https://h/g.webp"
    assert pasted_image_paths(text) == ["a.png", "b c.jpg", "d e.GIF", "https://h/g.webp"]


def test_the_chat_confirms_attachments_and_sends_the_image(
    ws: Path, elsewhere: Path, devagent_home: Path
) -> None:
    (ws / "notes.md").write_text("one\ntwo\nthree\n")
    shot = elsewhere / "shot.png"
    shot.write_bytes(png())
    model = ScriptedModel([text_reply("A green box.")])
    chat = make_chat(ws, devagent_home, model, [f"what is {shot}? see @notes.md"])
    chat.repl.run()
    out = chat.output()
    assert f"attached {shot}, PNG 32x24, 1 KB\n" in out
    assert "attached notes.md (3 lines)\n" in out
    content = model.requests[0].messages[-1]["content"]
    assert [b["type"] for b in content] == ["text", "text", "text", "image"]
    assert content[1]["text"].startswith('<file path="notes.md">')
    assert content[3]["source"]["media_type"] == "image/png"
    assert base64.b64encode(png()).decode() not in out
