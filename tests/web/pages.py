"""A local web site for WebFetch tests: a threaded HTTP server on 127.0.0.1 serving scripted
pages, recording every request path.

    with PageServer() as site:
        site.page("/docs", "<html>...</html>")
        site.redirect("/old", "/docs")
        site.add("/big", Route(200, {"content-type": "text/plain"}, chunks=...))
        url = site.url("/docs")
        ...
        assert site.paths == ["/docs"]

A path nobody scripted answers 404. Bodies given as ``chunks`` go out with chunked transfer
encoding (no Content-Length), so the client cannot know the size in advance.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, cast


@dataclass(frozen=True)
class Route:
    """What one path answers: a status, headers, and a body (whole, or as chunks)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Callable[[], Iterable[bytes]] | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, site: PageServer) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests must not print."""

    def do_GET(self) -> None:
        site = cast(_Server, self.server).site
        route = site.record(self.path, dict(self.headers.items()))
        self.send_response(route.status)
        for key, value in route.headers.items():
            self.send_header(key, value)
        if route.chunks is None:
            self.send_header("content-length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for chunk in route.chunks():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


class PageServer:
    """Scripted pages on ``http://127.0.0.1:<port>``; use as a context manager."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, route: Route) -> None:
        with self._lock:
            self._routes[path] = route

    def page(self, path: str, body: str | bytes, content_type: str = "text/html") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.add(path, Route(200, {"content-type": content_type}, data))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(path, Route(status, {"location": location}))

    def record(self, path: str, headers: dict[str, str]) -> Route:
        with self._lock:
            self.paths.append(path)
            self.headers.append(headers)
            return self._routes.get(path, Route(404, {"content-type": "text/plain"}, b"missing"))
