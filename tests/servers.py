"""Real servers on 127.0.0.1 for tests: a Chroma server, and qa_bot processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eventually(check, within: float, message: str = "timed out") -> None:  # noqa: ANN001
    """Poll until check() holds; fail with message after `within` seconds (what another
    process or replica does is seen a moment later, never at once)."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f}s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(args: list[str], ready_url: str, log: Path, env: dict[str, str] | None = None):
    """Start a process, wait until ready_url answers, stop it (and only it) on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    try:
        wait_for_http(ready_url, process, log)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate one process we started, killing it if it will not go."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` on a free loopback port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(VENV_BIN / "chroma"), "run", "--path", str(path)]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    with running(args, f"{url}/api/v2/heartbeat", path.parent / "chroma.log"):
        yield url


def qa_bot_env(**settings: object) -> dict[str, str]:
    """QA_BOT_* environment variables for a subprocess."""
    return {f"QA_BOT_{key.upper()}": str(value) for key, value in settings.items()}


def qa_bot(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run the qa-bot CLI in its own process; returns stdout, fails loudly otherwise."""
    done = subprocess.run(
        [str(VENV_BIN / "qa-bot"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, f"qa-bot {args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@contextmanager
def serving_in_thread(app: object) -> Iterator[str]:
    """An ASGI app under uvicorn on a free loopback port, in a thread of this process."""
    import threading

    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
