"""`qa-bot` commands end to end on a temp store (in-process through typer's runner)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from qa_bot.cli import app
from tests.conftest import SAMPLE_DOC

runner = CliRunner()


def _run(store: Path, *args: str):
    return runner.invoke(app, ["--persist-dir", str(store), *args])


def test_ingest_list_ask_remove(tmp_path: Path) -> None:
    store = tmp_path / "store"
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE_DOC, docs)
    (docs / "bad.txt").write_bytes(b"\x00\x01" * 100)

    result = _run(store, "ingest", str(docs))
    assert result.exit_code == 0, result.output
    assert "cpec-2.0-strategic-dialogue.txt: added" in result.output
    assert "bad.txt: binary data, not text, skipped" in result.output

    result = _run(store, "ingest", str(docs))
    assert "cpec-2.0-strategic-dialogue.txt: unchanged" in result.output

    result = _run(store, "list")
    assert "cpec-2.0-strategic-dialogue.txt" in result.output and "chunks" in result.output
    # Listing needs no model: it works even when the configured one cannot be loaded.
    unloadable = {"QA_BOT_EMBEDDING_MODEL": str(tmp_path / "no-model")}
    result = runner.invoke(app, ["--persist-dir", str(store), "list"], env=unloadable)
    assert result.exit_code == 0 and "1 documents" in result.output, result.output

    result = _run(store, "ask", "Who co-chaired the dialogue?")
    assert result.exit_code == 0
    assert "Wang Yi" in result.output
    assert "Sources" in result.output and "cpec-2.0-strategic-dialogue.txt, chars" in result.output

    result = _run(store, "ask", "--json", "What is the population of Lahore?")
    payload = json.loads(result.output)
    assert payload["abstained"] is True
    result = _run(store, "ask", "  ")
    assert result.exit_code == 2 and "the question is empty" in result.output, result.output

    result = runner.invoke(app, ["--persist-dir", str(store), "remove", "nothing.txt"])
    assert result.exit_code == 1 and "nothing.txt: not in the store" in result.output
    result = _run(store, "remove", str(docs / SAMPLE_DOC.name))
    assert result.exit_code == 0 and "removed cpec-2.0-strategic-dialogue.txt" in result.output
    assert "No documents indexed yet" in _run(store, "list").output


def test_chat_follow_up(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert _run(store, "ingest", str(SAMPLE_DOC)).exit_code == 0
    result = runner.invoke(
        app,
        ["--persist-dir", str(store), "chat"],
        input="Who co-chaired the dialogue?\nWhere will the next round be held?\n\n",
    )
    assert result.exit_code == 0, result.output
    assert "Islamabad" in result.output
    assert "(searched for: Where will the next round be held?" in result.output


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    """Asking an empty store and a bad setting: exit 2 with a message, no traceback."""
    env_cmd = [sys.executable, "-m", "qa_bot.cli", "--persist-dir", str(tmp_path / "s")]
    empty = subprocess.run([*env_cmd, "ask", "hi"], capture_output=True, text=True, timeout=120)
    assert empty.returncode == 2
    assert "No documents indexed" in empty.stderr and "Traceback" not in empty.stderr
    bad = subprocess.run(
        [*env_cmd, "--chunk-size", "10", "list"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert "chunk_size" in bad.stderr and "Traceback" not in bad.stderr
