"""Benchmark: the no-key Ollama probe, and one-shot runs through a Chat Completions profile.

In one process tree it prints medians for:
- the probe (``llm.ollama.probe_ollama``, 100 ms budget) against a closed port, a port that
  accepts and never answers (the budget is the whole cost), and a local server answering
  ``/api/tags`` like Ollama;
- ``devagent -p hi`` end to end through ``--model ollama:bench`` against a local fake Chat
  Completions server, beside the same run through the Anthropic path against a local fake
  Messages API (both scripted, both over real HTTP), and their ratio.

    .venv/bin/python bench/bench_providers.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.fspath(ROOT / "src"))

from devagent.llm.ollama import probe_ollama  # noqa: E402

TAGS = json.dumps({"models": [{"name": "bench:latest"}]}).encode()
CHAT_CHUNKS = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}}]},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 1}},
]
MESSAGES_EVENTS = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_b", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
        "content": [], "usage": {"input_tokens": 10, "output_tokens": 1}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "hi"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                       "usage": {"output_tokens": 1}}),
    ("message_stop", {"type": "message_stop"}),
]  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._send(200, "application/json", TAGS)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path.endswith("/chat/completions"):
            lines = [f"data: {json.dumps(c)}\n\n" for c in CHAT_CHUNKS] + ["data: [DONE]\n\n"]
        else:
            lines = [f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in MESSAGES_EVENTS]
        self._send(200, "text/event-stream", "".join(lines).encode())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def median_s(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_probe(runs: int, url: str) -> None:
    closed = median_s(runs, lambda: probe_ollama({"OLLAMA_HOST": f"127.0.0.1:{free_port()}"}))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        host = f"127.0.0.1:{silent.getsockname()[1]}"
        quiet = median_s(max(3, runs // 4), lambda: probe_ollama({"OLLAMA_HOST": host}))
    answered = median_s(runs, lambda: probe_ollama({"OLLAMA_HOST": url}))
    print(f"probe, closed port:        {closed * 1000:7.2f} ms")
    print(f"probe, silent port:        {quiet * 1000:7.2f} ms (budget 100 ms)")
    print(f"probe, Ollama-like server: {answered * 1000:7.2f} ms")


def bench_oneshot(runs: int, url: str) -> None:
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as work:
        base = {**os.environ, "DEVAGENT_HOME": home, "NO_COLOR": "1", "OLLAMA_HOST": url}
        base["PYTHONPATH"] = os.fspath(ROOT / "src")
        cmd = [sys.executable, "-m", "devagent", "-p", "hi"]

        def once(args: list[str], env: dict[str, str]) -> None:
            done = subprocess.run([*cmd, *args], env=env, cwd=work, capture_output=True)
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode())

        anthropic = {**base, "ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": url}
        ollama = median_s(runs, lambda: once(["--model", "ollama:bench"], base))
        claude = median_s(runs, lambda: once([], anthropic))
    print(f"devagent -p via ollama:bench:   {ollama:6.3f} s")
    print(f"devagent -p via Anthropic path: {claude:6.3f} s")
    print(f"ratio profile / Anthropic:      {ollama / claude:6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with server() as url:
        bench_probe(runs * 4, url)
        bench_oneshot(runs, url)


if __name__ == "__main__":
    main()
