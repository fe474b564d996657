"""Parse untrusted files in a child process with a time and memory limit.

PDF, .docx, HTML and Markdown (rendered to HTML) parsers run on hostile input (decompression
bombs, reference loops, deep nesting). A bad file must cost one refused document, never the
app: the child gets an address-space limit and a CPU limit, and the parent kills it when the
wall-clock time is up.

Run as `python -m qa_bot.sandbox PATH` it is the child: it extracts PATH and writes JSON to stdout.
Run as `python -m qa_bot.sandbox --serve ...` it is a long-lived worker (SandboxWorkers): one path
per line in, one JSON result per line out.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from qa_bot.errors import (
    CorruptDocumentError,
    DocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
)

# Suffixes whose parsers are complex enough to run in the child; plain text is decoded in-process.
SANDBOXED_SUFFIXES = frozenset({".pdf", ".docx", ".html", ".htm", ".md", ".markdown"})

# A .docx is a zip: refuse packages that would inflate past these before any parser sees them.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200
MAX_ZIP_ENTRIES = 5000

_ERRORS: dict[str, type[DocumentError]] = {
    "corrupt": CorruptDocumentError,
    "empty": EmptyDocumentError,
    "encrypted": EncryptedDocumentError,
}


@dataclass(frozen=True)
class ParseLimits:
    timeout_s: float = 60.0
    memory_mb: int = 1024


def check_zip_package(path: Path, data: bytes) -> None:
    """Refuse zip bombs by their declared sizes (zipfile never inflates past them)."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise CorruptDocumentError(str(path), "not a valid .docx (not a zip package)") from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise CorruptDocumentError(str(path), f"zip package has over {MAX_ZIP_ENTRIES} entries")
    unzipped = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if unzipped > MAX_UNZIPPED_BYTES or unzipped > MAX_ZIP_RATIO * max(packed, 1024 * 1024):
        raise CorruptDocumentError(
            str(path),
            f"zip package would inflate to {unzipped / 1e6:.0f} MB "
            f"from {len(data) / 1e6:.1f} MB (a zip bomb?)",
        )


def extract_sandboxed(
    path: Path, limits: ParseLimits
) -> tuple[str, str | None, tuple[tuple[int, int, int], ...]]:
    """Run the extractor for path in a child process; raise a DocumentError on any failure."""
    command = [
        sys.executable,
        "-m",
        "qa_bot.sandbox",
        str(path),
        str(limits.memory_mb),
        str(int(limits.timeout_s) + 1),
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=limits.timeout_s,
            check=False,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        raise CorruptDocumentError(str(path), _timeout_reason(limits)) from exc
    result = _parse_child_output(done.stdout)
    if result is None:
        raise CorruptDocumentError(str(path), _crash_reason(done.returncode, done.stderr, limits))
    return _result_or_raise(path, result)


class SandboxWorkers:
    """Parser children kept alive across files, so a folder does not start Python per file.

    Each worker parses one file at a time under the same limits as a one-off child: its address
    space is capped, before each file it moves its CPU limit to what it has used plus the
    allowance, and the parent kills it at the wall-clock limit. A worker whose file failed,
    crashed or ran out of time is discarded, so a hostile file cannot affect the next one.
    Safe to use from several threads: each call takes an idle worker or starts one.
    """

    def __init__(self, limits: ParseLimits | None = None, files_per_worker: int = 200) -> None:
        self.limits = limits or ParseLimits()
        self.files_per_worker = files_per_worker
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def extract(self, path: Path) -> tuple[str, str | None, tuple[tuple[int, int, int], ...]]:
        """Like extract_sandboxed(path, limits), on a kept worker."""
        with self._lock:
            if self._closed:
                raise RuntimeError("SandboxWorkers is closed")
            worker = self._idle.pop() if self._idle else None
        worker = worker or _Worker(self.limits)
        keep = False
        try:
            result = worker.parse(path)
            keep = bool(result.get("ok")) and worker.files < self.files_per_worker
        finally:
            with self._lock:
                if keep and not self._closed:
                    self._idle.append(worker)
                else:
                    worker.stop()
        return _result_or_raise(path, result)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def __enter__(self) -> SandboxWorkers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Worker:
    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.files = 0
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop)
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qa_bot.sandbox",
                "--serve",
                str(limits.memory_mb),
                str(int(limits.timeout_s) + 1),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def parse(self, path: Path) -> dict:
        """The child's result for path, or a failure result when it crashed or timed out."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        self.files += 1
        try:
            process.stdin.write(json.dumps({"path": str(path)}).encode() + b"\n")
            process.stdin.flush()
            # A selector, not select.select: that refuses descriptors past 1023, which a server
            # (or a test session) holding many files and sockets reaches.
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                ready = selector.select(self.limits.timeout_s)
            line = process.stdout.readline() if ready else None
        except (BrokenPipeError, OSError):
            line = b""
        if line is None:
            self.stop()
            return {"ok": False, "kind": "corrupt", "reason": _timeout_reason(self.limits)}
        result = _parse_child_output(line)
        if result is None:
            process.kill()
            returncode = process.wait()
            self._stderr.seek(0)
            reason = _crash_reason(returncode, self._stderr.read(), self.limits)
            return {"ok": False, "kind": "corrupt", "reason": reason}
        return result

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._stderr):
            if stream is not None:
                stream.close()


def _timeout_reason(limits: ParseLimits) -> str:
    return f"parsing took longer than {limits.timeout_s:g} s (damaged file or decompression bomb?)"


def _result_or_raise(
    path: Path, result: dict
) -> tuple[str, str | None, tuple[tuple[int, int, int], ...]]:
    if not result.get("ok"):
        error = _ERRORS.get(result.get("kind", ""), CorruptDocumentError)
        raise error(str(path), result.get("reason") or "cannot parse")
    pages = tuple((int(p), int(s), int(e)) for p, s, e in result.get("pages", []))
    return result["text"], result.get("title"), pages


def _parse_child_output(stdout: bytes) -> dict | None:
    try:
        value = json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _crash_reason(returncode: int, stderr: bytes, limits: ParseLimits) -> str:
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL) or "MemoryError" in tail[0]:
        return (
            f"parsing exceeded its limits ({limits.memory_mb} MB memory, "
            f"{limits.timeout_s:g} s CPU; decompression bomb?)"
        )
    return f"the parser crashed (exit code {returncode}) {tail[0][:200]}".strip()


# --- the child ---------------------------------------------------------------------------------


def _limit_resources(memory_mb: int, cpu_s: int) -> None:
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))


def _child(path_arg: str, memory_mb: int) -> dict:
    from qa_bot.loaders import extractor_for

    path = Path(path_arg)
    try:
        data = path.read_bytes()
        text, title, pages = extractor_for(path)(path, data)
    except DocumentError as exc:
        kinds = {cls: kind for kind, cls in _ERRORS.items()}
        kind = next((k for cls, k in kinds.items() if isinstance(exc, cls)), "corrupt")
        return {"ok": False, "kind": kind, "reason": exc.reason}
    except MemoryError:
        return {
            "ok": False,
            "kind": "corrupt",
            "reason": f"parsing needed more than {memory_mb} MB of memory (decompression bomb?)",
        }
    except RecursionError:
        return {"ok": False, "kind": "corrupt", "reason": "cannot parse (nesting too deep or loop)"}
    except Exception as exc:  # parsers raise many types on damaged input
        if type(exc).__name__ == "LimitReachedError":  # pypdf's own decompression limit
            reason = "a stream inflates past the parser's limit (decompression bomb?)"
        else:
            reason = f"cannot parse ({type(exc).__name__})"
        return {"ok": False, "kind": "corrupt", "reason": reason}
    return {
        "ok": True,
        "text": text,
        "title": title,
        "pages": [[p.page, p.start, p.end] for p in pages],
    }


def _serve(memory_mb: int, cpu_s: int) -> int:
    """The kept worker: each file gets cpu_s more seconds of CPU than used so far."""
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    for line in sys.stdin:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime) + cpu_s
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == -1 else min(soft, hard), hard))
        try:
            path_arg = json.loads(line)["path"]
        except (ValueError, KeyError, TypeError):
            return 2
        sys.stdout.write(json.dumps(_child(path_arg, memory_mb)) + "\n")
        sys.stdout.flush()
    return 0


def main(argv: list[str]) -> int:
    if argv[0] == "--serve":
        return _serve(int(argv[1]), int(argv[2]))
    path_arg, memory_mb, cpu_s = argv[0], int(argv[1]), int(argv[2])
    _limit_resources(memory_mb, cpu_s)
    result = _child(path_arg, memory_mb)
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
