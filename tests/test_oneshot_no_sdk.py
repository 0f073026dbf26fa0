"""`devagent -p` talks to Anthropic's API without importing the SDK (1.5-2 s of imports).

The CLI entry runs in-process in a fresh interpreter, against the fake Messages API, through a
whole tool loop; afterwards the interpreter says which SDK modules it had loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fakes.fake_api import FakeAPI, http_error, text_reply, tool_call, tool_reply

PROBE = (
    "import sys\n"
    "sys.argv = ['devagent', *sys.argv[1:]]\n"
    "from devagent.__main__ import main\n"
    "code = 0\n"
    "try:\n    main()\nexcept SystemExit as stop:\n    code = stop.code\n"
    "loaded = sorted(m for m in ('anthropic', 'httpx2') if m in sys.modules)\n"
    "sys.stderr.write(f'\\nexit={code} sdk={loaded} httpx={\"httpx\" in sys.modules}\\n')\n"
)


def probe(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_one_shot_tool_loop_never_imports_the_sdk(
    fake_api: FakeAPI, devagent_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("the answer is 42\n")
    fake_api.enqueue(
        tool_reply(tool_call("Read", {"file_path": str(tmp_path / "notes.txt")})),
        text_reply("It says 42."),
    )
    done = probe(["-p", "what do the notes say?"], devagent_env, tmp_path)
    assert "It says 42." in done.stdout
    assert done.stderr.splitlines()[-1] == "exit=0 sdk=[] httpx=True"
    # The tool really ran: its result went back to the model in the second request.
    [result] = fake_api.requests[1].tool_results()
    assert "the answer is 42" in str(result["content"])


def test_an_api_error_on_the_native_path_still_maps_to_its_exit_code(
    fake_api: FakeAPI, devagent_env: dict[str, str], tmp_path: Path
) -> None:
    fake_api.enqueue(http_error(401))
    done = probe(["-p", "hi"], devagent_env, tmp_path)
    assert done.stderr.splitlines()[-1] == "exit=1 sdk=[] httpx=True"
    assert "ANTHROPIC_API_KEY" in done.stderr
