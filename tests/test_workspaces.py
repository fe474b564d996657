"""Workspaces: a collection each, chosen with --workspace in the CLI (API: test_api.py)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_bot.cli import app
from qa_bot.errors import ConfigError
from qa_bot.runtime import Runtime
from qa_bot.workspaces import Workspaces
from tests.test_store_contract import FERRY, LIBRARY, write

runner = CliRunner()


def test_cli_workspaces_are_separate(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    ferry = write(tmp_path / "in", "ferry.txt", FERRY)
    library = write(tmp_path / "in", "library.txt", LIBRARY)
    for workspace, path in (("team-a", ferry), ("team-b", library)):
        result = runner.invoke(
            app, ["--persist-dir", store, "--workspace", workspace, "ingest", str(path)]
        )
        assert result.exit_code == 0, result.output
    listed_a = runner.invoke(app, ["--persist-dir", store, "--workspace", "team-a", "list"])
    assert "ferry.txt" in listed_a.output and "library.txt" not in listed_a.output
    listed_b = runner.invoke(app, ["--persist-dir", store, "--workspace", "team-b", "list"])
    assert "library.txt" in listed_b.output and "ferry.txt" not in listed_b.output


def test_workspaces_open_lazily_and_list_what_exists(runtime: Runtime) -> None:
    workspaces = Workspaces(runtime)
    assert workspaces.get(None) is runtime and workspaces.get("documents") is runtime
    other = workspaces.get("team-c")
    assert other.store is not runtime.store and other.embedder is runtime.embedder
    assert workspaces.get("team-c") is other
    assert workspaces.names() == ["documents", "team-c"]
    assert other.settings.upload_dir == runtime.settings.upload_dir / "team-c"
    for bad in ("x", "a/b", "team-docs"):
        with pytest.raises(ConfigError):
            workspaces.get(bad)
