"""The Grep tool: regex search over file contents with ripgrep, or a pure-Python fallback.

ripgrep runs as a subprocess from an argv list (never a shell) with ``--no-config``, so a
``RIPGREP_CONFIG_PATH`` or repository file cannot add flags such as ``--pre``. Only the
flags mapped from the input schema are passed; the pattern goes in ``--regexp=`` and the path
after ``--``, so input starting with ``-`` is never read as a flag. Symlinks are not followed.
When no ``rg`` is available the Python engine walks the tree itself (``.gitignore`` honoured
through ``devagent.tools.ignore``) and prints the same formats. Both engines search hidden
files but skip version-control directories, and honour ``.gitignore`` even outside a git repo.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Literal, cast, get_args

from devagent.toolkinds import ToolKind
from devagent.tools.base import (
    Args,
    PreparedCall,
    Tool,
    ToolContext,
    ToolError,
    ToolInterrupted,
    ToolResult,
)
from devagent.tools.ignore import VCS_DIRS, WalkOptions, compile_glob, tree_for, walk
from devagent.tools.paths import display_path, resolve_in_workspace
from devagent.tools.ripgrep import default_rg

OutputMode = Literal["files_with_matches", "content", "count"]
Engine = Literal["auto", "ripgrep", "python"]

MAX_OUTPUT_CHARS = 30_000
MAX_COLUMNS = 500
LONG_LINE_MARK = " [... omitted end of long line]"
RG_TIMEOUT_S = 120.0
# Output kept from rg before it is stopped: far more than is ever shown, bounded memory.
KEEP_BYTES = 8 * 1024 * 1024
PY_MAX_FILE_BYTES = 64 * 1024 * 1024
NO_MATCHES = "No matches found"

DESCRIPTION = """\
A powerful search tool built on ripgrep: searches file contents with a regular expression.

Usage:
- Always use Grep for content search; do not run grep or rg through Bash.
- pattern is a regular expression in ripgrep (Rust regex) syntax, e.g. "log.*Error" or \
"def\\s+\\w+". Escape literal braces and parentheses: "interface\\{\\}" finds "interface{}".
- path is a file or directory to search (absolute or relative to the workspace root); default: \
the workspace root.
- Filter files with glob (e.g. "*.js", "**/*.{ts,tsx}") or type (e.g. "py", "js", "rust", "go").
- output_mode: "files_with_matches" (default) lists matching files, newest first; "content" \
shows matching lines (supports -n line numbers, -A/-B/-C context lines); "count" shows the \
number of matching lines per file.
- -i makes the search case-insensitive. Patterns match within one line unless multiline is \
true, which lets . and \\n match across lines.
- head_limit keeps only the first N lines or entries of the output.
- .gitignore is honoured; hidden files are searched but .git is not. Output is capped at about \
30000 characters: narrow the search with path, glob, type or head_limit when it is cut."""

_VCS_GLOBS = tuple(f"--glob=!{name}" for name in sorted(VCS_DIRS))

# The Python engine's subset of ripgrep's built-in file types.
PY_TYPES: dict[str, tuple[str, ...]] = {
    "c": ("*.c", "*.h"),
    "cpp": ("*.cpp", "*.cc", "*.cxx", "*.hpp", "*.hh", "*.hxx", "*.h", "*.inl"),
    "cs": ("*.cs",),
    "css": ("*.css", "*.scss", "*.sass", "*.less"),
    "go": ("*.go",),
    "html": ("*.html", "*.htm", "*.xhtml"),
    "java": ("*.java",),
    "js": ("*.js", "*.jsx", "*.mjs", "*.cjs", "*.vue"),
    "json": ("*.json", "*.jsonl"),
    "kotlin": ("*.kt", "*.kts"),
    "lua": ("*.lua",),
    "markdown": ("*.md", "*.markdown", "*.mdx"),
    "md": ("*.md", "*.markdown", "*.mdx"),
    "php": ("*.php",),
    "py": ("*.py", "*.pyi"),
    "python": ("*.py", "*.pyi"),
    "rb": ("*.rb",),
    "ruby": ("*.rb", "*.gemspec", "Gemfile", "Rakefile"),
    "rust": ("*.rs",),
    "sh": ("*.sh", "*.bash", "*.zsh", ".bashrc", ".zshrc", ".profile"),
    "sql": ("*.sql",),
    "swift": ("*.swift",),
    "toml": ("*.toml",),
    "ts": ("*.ts", "*.tsx", "*.cts", "*.mts"),
    "txt": ("*.txt",),
    "xml": ("*.xml",),
    "yaml": ("*.yaml", "*.yml"),
}


@dataclass(frozen=True)
class GrepQuery:
    """A validated search. ``target`` is a real path inside the workspace."""

    pattern: str
    target: Path
    mode: OutputMode = "files_with_matches"
    glob: str | None = None
    file_type: str | None = None
    ignore_case: bool = False
    line_numbers: bool = True
    before: int = 0
    after: int = 0
    multiline: bool = False
    head_limit: int | None = None


@dataclass
class Hits:
    """What an engine found, with workspace-relative paths, before capping and formatting."""

    lines: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)
    cut_short: bool = False
    warning: str = ""


# ---------------------------------------------------------------- input


def _count_arg(args: Args, key: str) -> int | None:
    value = args.get(key)
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise ToolError(f"{key} must be a whole number, got {value!r}.")
    if value < 0:
        raise ToolError(f"{key} must be 0 or more, got {value}.")
    return int(value)


def _optional_str(args: Args, key: str) -> str | None:
    value = args.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ToolError(f"{key} must be a string, got {value!r}.")
    return value


def _mode(args: Args) -> OutputMode:
    value = args.get("output_mode") or "files_with_matches"
    if value in get_args(OutputMode):
        return cast(OutputMode, value)
    raise ToolError(f"output_mode must be one of {', '.join(get_args(OutputMode))}, got {value!r}.")


def parse_query(args: Args, ctx: ToolContext) -> GrepQuery:
    """Turn validated tool input into a ``GrepQuery``; raise ``ToolError`` on bad values."""
    pattern = args.get("pattern")
    if not isinstance(pattern, str) or pattern == "":
        raise ToolError("pattern is required: give a regular expression to search for.")
    raw_path = _optional_str(args, "path")
    target = (
        resolve_in_workspace(raw_path, ctx.workspace, must_exist=True)
        if raw_path is not None
        else ctx.workspace
    )
    context = _count_arg(args, "-C") or 0
    head_limit = _count_arg(args, "head_limit")
    return GrepQuery(
        pattern=pattern,
        target=target,
        mode=_mode(args),
        glob=_optional_str(args, "glob"),
        file_type=_optional_str(args, "type"),
        ignore_case=bool(args.get("-i", False)),
        line_numbers=args.get("-n") is not False,
        before=_count_arg(args, "-B") or context,
        after=_count_arg(args, "-A") or context,
        multiline=bool(args.get("multiline", False)),
        head_limit=head_limit or None,
    )


# ---------------------------------------------------------------- ripgrep engine


def rg_argv(rg: Path, query: GrepQuery, target_arg: str) -> list[str]:
    """The exact argv for ``query``; ``target_arg`` is the target relative to the workspace."""
    argv = [os.fspath(rg), "--no-config", "--no-require-git", "--hidden", "--color=never"]
    if query.mode == "files_with_matches":
        argv += ["--files-with-matches", "--null"]
    elif query.mode == "count":
        argv += ["--count", "--null", "--with-filename"]
    else:
        argv += ["--with-filename", "--no-heading", f"--max-columns={MAX_COLUMNS}"]
        argv += [
            "--max-columns-preview",
            "--line-number" if query.line_numbers else "--no-line-number",
        ]
        argv += [f"--before-context={query.before}", f"--after-context={query.after}"]
    if query.ignore_case:
        argv.append("--ignore-case")
    if query.multiline:
        argv += ["--multiline", "--multiline-dotall"]
    if query.file_type:
        argv.append(f"--type={query.file_type}")
    if query.glob:
        argv.append(f"--glob={query.glob}")
    argv += _VCS_GLOBS
    argv += [f"--regexp={query.pattern}", "--", target_arg]
    return argv


@dataclass
class _RgRun:
    stdout: bytes
    returncode: int
    stderr: str
    stopped_early: bool
    why_killed: Literal["", "cancel", "timeout"] = ""


def _watch(
    proc: subprocess.Popen[bytes],
    cancel: threading.Event,
    done: threading.Event,
    run: _RgRun,
) -> None:
    deadline = time.monotonic() + RG_TIMEOUT_S
    while not done.wait(0.05):
        if cancel.is_set() or time.monotonic() > deadline:
            run.why_killed = "cancel" if cancel.is_set() else "timeout"
            proc.kill()
            return


def _read_bounded(stream: IO[bytes], stop_after_lines: int | None) -> tuple[bytes, bool]:
    """Read until EOF, ``KEEP_BYTES``, or ``stop_after_lines`` newlines; say if cut short."""
    chunks: list[bytes] = []
    size = newlines = 0
    while chunk := stream.read(65536):
        chunks.append(chunk)
        size += len(chunk)
        if stop_after_lines is not None:
            newlines += chunk.count(b"\n")
            if newlines > stop_after_lines:
                return b"".join(chunks), True
        if size > KEEP_BYTES:
            return b"".join(chunks), True
    return b"".join(chunks), False


def run_rg(
    argv: list[str], cwd: Path, cancel: threading.Event, stop_after_lines: int | None = None
) -> _RgRun:
    """Run rg, reading at most ``KEEP_BYTES`` of output; kill it on cancel or timeout."""
    env = {k: v for k, v in os.environ.items() if k != "RIPGREP_CONFIG_PATH"}
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env
        )
        run = _RgRun(b"", 0, "", False)
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(proc, cancel, done, run), daemon=True)
        watcher.start()
        try:
            assert proc.stdout is not None
            run.stdout, run.stopped_early = _read_bounded(proc.stdout, stop_after_lines)
            if run.stopped_early:
                proc.kill()
            run.returncode = proc.wait()
        finally:
            done.set()
            watcher.join()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        err.seek(0)
        run.stderr = err.read(16384).decode("utf-8", "replace").strip()
    return run


def _rg_error(query: GrepQuery, stderr: str) -> ToolError:
    message = stderr.removeprefix("rg: ").strip() or "ripgrep failed without a message"
    if "unrecognized file type" in message:
        return ToolError(f"{message}. Use a ripgrep type name such as py, js, ts, rust, go.")
    if "glob" in message:
        return ToolError(f"Invalid glob {query.glob!r}. ripgrep said: {message}")
    if "regex" in message or "error:" in message:
        return ToolError(
            f"Invalid regex pattern {query.pattern!r}. ripgrep said:\n{message}\n"
            "Fix the pattern; escape regex characters such as ( ) [ ] { } . * + ? | \\ with a "
            "backslash to match them literally."
        )
    return ToolError(f"ripgrep failed: {message}")


def _relative(path: str, target_arg: str) -> str:
    return path[2:] if target_arg == "." and path.startswith("./") else path


def _parse_rg(run: _RgRun, query: GrepQuery, target_arg: str) -> Hits:
    text = run.stdout.decode("utf-8", "replace")
    hits = Hits(cut_short=run.stopped_early)
    if query.mode == "files_with_matches":
        entries = text.split("\0")
        if run.stopped_early:
            entries = entries[:-1]
        hits.files = [_relative(e, target_arg) for e in entries if e]
    elif query.mode == "count":
        for line in text.splitlines()[: -1 if run.stopped_early else None]:
            path, _, number = line.rpartition("\0")
            if path and number.isdigit():
                hits.counts.append((_relative(path, target_arg), int(number)))
    else:
        lines = text.split("\n")
        lines = lines[:-1]  # the piece after the last newline is empty or cut
        hits.lines = [_relative(line.removesuffix("\r"), target_arg) for line in lines]
    return hits


def search_rg(rg: Path, query: GrepQuery, ctx: ToolContext) -> Hits:
    """Search with ripgrep; raise ``OSError`` if it cannot be started."""
    target_arg = display_path(query.target, ctx.workspace)
    stop = query.head_limit if query.mode == "content" else None
    run = run_rg(rg_argv(rg, query, target_arg), ctx.workspace, ctx.cancel, stop)
    if run.why_killed == "cancel":
        raise ToolInterrupted()
    if run.why_killed == "timeout":
        raise ToolError(
            f"The search timed out after {RG_TIMEOUT_S:.0f} s. Narrow it with path, glob or type."
        )
    if run.returncode == 1 and not run.stdout:
        return Hits()
    if run.returncode not in (0, 1) and not run.stdout and not run.stopped_early:
        raise _rg_error(query, run.stderr)
    hits = _parse_rg(run, query, target_arg)
    if run.returncode == 2 and run.stderr:
        hits.warning = run.stderr.splitlines()[0].removeprefix("rg: ")
    return hits


# ---------------------------------------------------------------- Python engine


def _compile_pattern(query: GrepQuery) -> re.Pattern[str]:
    flags = re.MULTILINE | (re.IGNORECASE if query.ignore_case else 0)
    if query.multiline:
        flags |= re.DOTALL
    try:
        return re.compile(query.pattern, flags)
    except re.error as exc:
        raise ToolError(
            f"Invalid regex pattern {query.pattern!r}: {exc}. Fix the pattern; escape regex "
            "characters such as ( ) [ ] { } . * + ? | \\ with a backslash to match them literally."
        ) from None


def _glob_filter(query: GrepQuery) -> Callable[[str, bool], bool] | None:
    """An exclude function with ripgrep ``--glob`` semantics, or None without a glob."""
    raw = query.glob
    if not raw:
        return None
    negated = raw.startswith("!")
    body = raw[1:] if negated else raw
    by_name = "/" not in body
    regex = compile_glob(body.lstrip("/"))

    def exclude(rel: str, is_dir: bool) -> bool:
        hit = regex.match(rel.rsplit("/", 1)[-1] if by_name else rel) is not None
        if is_dir:
            return negated and hit
        return hit if negated else not hit

    return exclude


def _type_filter(query: GrepQuery) -> Callable[[str], bool] | None:
    if not query.file_type:
        return None
    globs = PY_TYPES.get(query.file_type)
    if globs is None:
        raise ToolError(
            f"unrecognized file type: {query.file_type}. Known types: {', '.join(PY_TYPES)}."
        )
    regexes = [compile_glob(g) for g in globs]
    return lambda name: any(r.match(name) for r in regexes)


def _candidate_files(query: GrepQuery, ctx: ToolContext) -> Iterator[Path]:
    if query.target.is_file():
        yield query.target
        return
    wanted = _type_filter(query)
    options = WalkOptions(exclude=_glob_filter(query))
    tree = tree_for(query.target, ctx.workspace)
    for entry in walk(query.target, tree, options, should_stop=ctx.cancel.is_set):
        if not entry.is_dir and (wanted is None or wanted(entry.path.name)):
            yield entry.path


def _load_text(path: Path) -> str | None:
    """A file's text for searching, or None when it is binary, huge or unreadable."""
    try:
        if path.stat().st_size > PY_MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def _matched_lines(regex: re.Pattern[str], text: str, lines: list[str], multi: bool) -> list[int]:
    """0-based numbers of the lines holding (or spanned by) a match."""
    if not multi:
        return [i for i, line in enumerate(lines) if regex.search(line)]
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    found: set[int] = set()
    for match in regex.finditer(text):
        first = _line_of(starts, match.start())
        last = _line_of(starts, max(match.end() - 1, match.start()))
        found.update(range(first, last + 1))
    return sorted(found)


def _line_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _clip(line: str) -> str:
    line = line.removesuffix("\r")
    return line[:MAX_COLUMNS] + LONG_LINE_MARK if len(line) > MAX_COLUMNS else line


def _content_lines(rel: str, lines: list[str], matched: list[int], query: GrepQuery) -> list[str]:
    """ripgrep's ``--no-heading`` layout: ``path:N:text`` for matches, ``path-N-text`` else."""
    hit = set(matched)
    out: list[str] = []
    shown_until = -1
    for number in matched:
        start = max(number - query.before, shown_until + 1)
        end = min(number + query.after, len(lines) - 1)
        if out and start > shown_until + 1 and (query.before or query.after):
            out.append("--")
        for i in range(start, end + 1):
            sep = ":" if i in hit else "-"
            num = f"{i + 1}{sep}" if query.line_numbers else ""
            out.append(f"{rel}{sep}{num}{_clip(lines[i])}")
        shown_until = max(shown_until, end)
    return out


def search_python(query: GrepQuery, ctx: ToolContext) -> Hits:
    """Search with Python's ``re`` over the same files ripgrep would search."""
    regex = _compile_pattern(query)
    hits = Hits()
    context = query.before or query.after
    for path in _candidate_files(query, ctx):
        if ctx.cancel.is_set():
            raise ToolInterrupted()
        text = _load_text(path)
        if text is None:
            continue
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        matched = _matched_lines(regex, text, lines, query.multiline)
        if not matched:
            continue
        rel = display_path(path, ctx.workspace)
        hits.files.append(rel)
        hits.counts.append((rel, len(matched)))
        if query.mode == "content":
            if context and hits.lines:
                hits.lines.append("--")
            hits.lines += _content_lines(rel, lines, matched, query)
    if ctx.cancel.is_set():
        raise ToolInterrupted()
    return hits


# ---------------------------------------------------------------- formatting


def _newest_first(files: list[str], workspace: Path) -> list[str]:
    def key(rel: str) -> tuple[float, str]:
        try:
            return (-os.stat(workspace / rel).st_mtime, rel)
        except OSError:
            return (0.0, rel)

    return sorted(files, key=key)


def _cap(lines: list[str], head_limit: int | None, more_exist: bool) -> tuple[list[str], str]:
    """Apply head_limit and the character cap; return the kept lines and a note on the rest."""
    limited = lines[:head_limit] if head_limit else lines
    kept: list[str] = []
    used = 0
    for line in limited:
        if kept and used + len(line) + 1 > MAX_OUTPUT_CHARS:
            break
        kept.append(line)
        used += len(line) + 1
    if len(kept) < len(limited):
        more = f"{len(lines) - len(kept)}{'+' if more_exist else ''}"
        return kept, (
            f"[Output cut at {MAX_OUTPUT_CHARS} characters: {more} more lines not shown. "
            "Narrow the search with path, glob or type, or set head_limit.]"
        )
    if len(limited) < len(lines) or (head_limit and more_exist):
        return kept, f"[Showing the first {len(kept)} (head_limit={head_limit}); more exist.]"
    if more_exist:
        return (
            kept,
            "[More matches exist than were read. Narrow the search with path, glob or type.]",
        )
    return kept, ""


def _sections(hits: Hits, query: GrepQuery, workspace: Path) -> tuple[str, list[str], str]:
    """Header, body lines and footer for the query's output mode."""
    if query.mode == "files_with_matches":
        files = _newest_first(hits.files, workspace)
        return f"Found {len(files)} file{'' if len(files) == 1 else 's'}", files, ""
    if query.mode == "count":
        body = [f"{path}:{n}" for path, n in sorted(hits.counts)]
        total = sum(n for _, n in hits.counts)
        return "", body, f"Found {total} matching lines across {len(body)} files."
    return "", hits.lines, ""


def format_hits(hits: Hits, query: GrepQuery, workspace: Path) -> str:
    """The text the model sees, the same for both engines."""
    header, body, footer = _sections(hits, query, workspace)
    if not body:
        return NO_MATCHES
    kept, note = _cap(body, query.head_limit, hits.cut_short)
    warning = f"(warning: {hits.warning})" if hits.warning else ""
    return "\n".join(part for part in (header, "\n".join(kept), footer, note, warning) if part)


# ---------------------------------------------------------------- the tool


class GrepTool(Tool):
    """Grep: ripgrep-backed content search with a pure-Python fallback.

    ``engine`` picks the search engine: "auto" uses ``rg`` when found (``rg_path`` or the
    located binary) and Python otherwise; "python" never runs ``rg``; "ripgrep" requires it.
    """

    name: ClassVar[str] = "Grep"
    description: ClassVar[str] = DESCRIPTION
    kind: ClassVar[ToolKind] = "read"
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "pattern": {
                "type": "string",
                "description": "The regular expression pattern to search for in file contents",
            },
            "path": {
                "type": "string",
                "description": "File or directory to search in (rg PATH). Defaults to the "
                "workspace root.",
            },
            "glob": {
                "type": "string",
                "description": 'Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}") - '
                "maps to rg --glob",
            },
            "type": {
                "type": "string",
                "description": "File type to search (rg --type). Common types: js, py, rust, "
                "go, java, etc. More efficient than glob for standard file types.",
            },
            "output_mode": {
                "type": "string",
                "enum": list(get_args(OutputMode)),
                "description": 'Output mode: "content" shows matching lines (supports -A/-B/-C '
                'context, -n line numbers, head_limit), "files_with_matches" shows file paths '
                '(supports head_limit), "count" shows match counts (supports head_limit). '
                'Defaults to "files_with_matches".',
            },
            "-B": {
                "type": "integer",
                "description": "Number of lines to show before each match (rg -B). Requires "
                'output_mode: "content".',
            },
            "-A": {
                "type": "integer",
                "description": "Number of lines to show after each match (rg -A). Requires "
                'output_mode: "content".',
            },
            "-C": {
                "type": "integer",
                "description": "Number of lines to show before and after each match (rg -C). "
                'Requires output_mode: "content".',
            },
            "-n": {
                "type": "boolean",
                "description": "Show line numbers in output (rg -n). Requires output_mode: "
                '"content". Defaults to true.',
            },
            "-i": {"type": "boolean", "description": "Case insensitive search (rg -i)"},
            "head_limit": {
                "type": "integer",
                "description": "Limit output to the first N lines/entries, like | head -N. "
                "0 or absent means no limit (output is still capped).",
            },
            "multiline": {
                "type": "boolean",
                "description": "Enable multiline mode where . matches newlines and patterns "
                "can span lines (rg -U --multiline-dotall). Default: false.",
            },
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }

    def __init__(self, engine: Engine = "auto", rg_path: Path | None = None) -> None:
        self._engine: Engine = engine
        self._rg_path = rg_path

    def _rg(self) -> Path | None:
        if self._engine == "python":
            return None
        rg = self._rg_path or default_rg()
        if rg is None and self._engine == "ripgrep":
            raise ToolError("ripgrep (rg) is not installed, so Grep cannot run.")
        return rg

    def prepare(self, args: Args, ctx: ToolContext) -> PreparedCall:
        query = parse_query(args, ctx)
        return PreparedCall(execute=lambda: self.search(query, ctx), paths=(query.target,))

    def search(self, query: GrepQuery, ctx: ToolContext) -> ToolResult:
        """Run ``query`` with the configured engine and format the result."""
        rg = self._rg()
        hits: Hits | None = None
        if rg is not None:
            try:
                hits = search_rg(rg, query, ctx)
            except OSError as exc:
                if self._engine == "ripgrep":
                    raise ToolError(f"ripgrep could not be started: {exc}") from exc
        if hits is None:
            hits = search_python(query, ctx)
        return ToolResult(format_hits(hits, query, ctx.workspace))
