"""The real app for end-to-end tests: `qa-bot serve` in a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import stop

ROOT = Path(__file__).resolve().parents[1]
QA_BOT = str(Path(sys.executable).with_name("qa-bot"))


@dataclass(frozen=True)
class LiveApp:
    url: str
    persist_dir: Path
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(
    folder: Path,
    *,
    documents: Path | None = None,
    timeout: float = 180,
    port: int | None = None,
    **env: str,
) -> Iterator[LiveApp]:
    """Start `qa-bot serve` with a store in folder; yield once it answers; kill it afterwards.
    `port`: the one an earlier server of this folder had (a browser's storage is per address)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    persist = folder / "store"
    log = folder / "serve.log"
    environment = {
        **os.environ,
        "QA_BOT_PERSIST_DIR": str(persist),
        "QA_BOT_DOCUMENTS_DIR": str(documents or ROOT / "documents"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [QA_BOT, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    app = LiveApp(f"http://127.0.0.1:{port}", persist, log, process)
    try:
        _wait_until_up(app, timeout)
        yield app
    finally:
        stop(process)


def _wait_until_up(app: LiveApp, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"qa-bot serve exited early:\n{app.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(app.url + "/gradio_api/info", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"qa-bot serve did not answer in {timeout:g}s:\n{app.log_text()[-3000:]}")
