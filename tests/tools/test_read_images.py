"""Read on an image: a one-line placeholder for people, an image block for the model; and the
whole way through the real CLI and SDK to the (fake) Messages API."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from devagent.messages import tool_result_block
from devagent.tools.base import ToolContext, ToolError
from devagent.tools.read import ReadTool
from fakes.fake_api import FakeAPI, text_reply, tool_call, tool_reply


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    return root.resolve()


@pytest.fixture
def ctx(ws: Path) -> ToolContext:
    return ToolContext(workspace=ws, cwd=ws)


def test_read_of_a_png_gives_a_placeholder_and_an_image_block(ws: Path, ctx: ToolContext) -> None:
    data = png()
    (ws / "shot.png").write_bytes(data)
    result = ReadTool().prepare({"file_path": "shot.png"}, ctx).execute()
    assert result.content == "[image: shot.png, PNG 64x48, 1 KB]"
    [block] = result.attachments
    assert block["source"]["media_type"] == "image/png"
    assert base64.b64decode(block["source"]["data"]) == data
    sent = tool_result_block("t1", result.content, False, result.attachments)
    assert sent["content"] == [{"type": "text", "text": result.content}, block]


def test_an_image_under_another_name_is_still_an_image(ws: Path, ctx: ToolContext) -> None:
    (ws / "screenshot").write_bytes(png())
    result = ReadTool().prepare({"file_path": "screenshot", "offset": 3}, ctx).execute()
    assert result.content.startswith("[image: screenshot, PNG 64x48")
    assert len(result.attachments) == 1


def test_a_png_name_on_text_is_refused_for_the_model(ws: Path, ctx: ToolContext) -> None:
    (ws / "logo.png").write_text("not really a png")
    with pytest.raises(ToolError, match=r"logo\.png is not a PNG, JPEG, GIF or WebP image"):
        ReadTool().prepare({"file_path": "logo.png"}, ctx).execute()


def test_a_text_file_still_has_no_attachments(ws: Path, ctx: ToolContext) -> None:
    (ws / "a.txt").write_text("hello\n")
    assert ReadTool().prepare({"file_path": "a.txt"}, ctx).execute().attachments == ()


def test_read_of_a_png_sends_an_image_block_through_the_cli(
    devagent_cmd: list[str], devagent_env: dict[str, str], tmp_path: Path, fake_api: FakeAPI
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    data = png((2400, 1200))  # over the long edge: scaled before it is sent
    (repo / "diagram.png").write_bytes(data)
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": "diagram.png"})),
        text_reply("A blue rectangle."),
    )
    args = ["-p", "what is in diagram.png?", "--output-format", "stream-json"]
    done = subprocess.run(
        [*devagent_cmd, *args],
        env=devagent_env,
        cwd=repo,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [result] = fake_api.requests[1].tool_results()
    text, image = result["content"]
    assert text["type"] == "text"
    assert re.fullmatch(
        r"\[image: diagram\.png, PNG 1568x784, \d+ KB, scaled from 2400x1200\]", text["text"]
    )
    assert image["type"] == "image" and image["source"]["type"] == "base64"
    assert image["source"]["media_type"] == "image/png"
    sent = Image.open(io.BytesIO(base64.b64decode(image["source"]["data"])))
    assert sent.size == (1568, 784)
    # What the run printed shows no bytes: stream-json says the image was left out.
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    user = next(line for line in lines if line["type"] == "user")
    shown = user["message"]["content"][0]["content"][1]
    assert shown == {
        "type": "image",
        "source": {
            "type": "omitted",
            "media_type": "image/png",
            "bytes": len(base64.b64decode(image["source"]["data"])),
        },
    }
    assert image["source"]["data"][:40] not in done.stdout + done.stderr
