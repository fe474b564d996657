"""Workspaces: a collection each, chosen with --workspace in the CLI (API: test_api.py)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_bot.cli import app
from qa_bot.embeddings import SentenceEmbedder
from qa_bot.errors import ConfigError, WorkspaceNotEmptyError
from qa_bot.ingest import ingest_paths
from qa_bot.runtime import Runtime, open_runtime
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


def test_deleting_a_workspace_leaves_nothing_of_it_and_keeps_the_others(
    runtime: Runtime, tmp_path: Path
) -> None:
    workspaces = Workspaces(runtime)
    library = write(tmp_path / "in", "library.txt", LIBRARY)
    ingest_paths([library], runtime.store, show_progress=False)
    team = workspaces.get("team-d")
    saved = team.settings.upload_dir / "ferry.txt"  # as an upload saves it
    saved.parent.mkdir(parents=True)
    saved.write_text(FERRY, encoding="utf-8")
    ingest_paths([saved], team.store, show_progress=False)
    keyword = team.settings.persist_dir / "keyword" / "team-d"
    assert keyword.is_dir()

    with pytest.raises(WorkspaceNotEmptyError, match="'team-d' holds 1 document: remove"):
        workspaces.delete(None, "team-d")
    assert [info.file_name for info in workspaces.get("team-d").store.documents()] == ["ferry.txt"]
    for default in ("documents", "", None):
        with pytest.raises(ConfigError, match="default workspace"):
            workspaces.delete(None, default)

    team.store.remove(str(saved))
    workspaces.delete(None, "team-d")
    assert "team-d" not in workspaces.names()
    assert not keyword.exists() and not saved.parent.exists()
    with pytest.raises(KeyError):
        workspaces.get("team-d", create=False)
    with pytest.raises(KeyError):
        workspaces.delete(None, "team-d")
    assert runtime.store.documents(), "the default workspace keeps its documents"


def test_deleting_documents_when_not_the_default_keeps_the_other_workspaces_uploads(
    runtime: Runtime, embedder: SentenceEmbedder
) -> None:
    # With another default, "documents" keeps its uploads in the folder holding everyone's.
    main = open_runtime(runtime.settings.with_overrides(collection="team-main"), embedder=embedder)
    workspaces = Workspaces(main)
    theirs = main.settings.upload_dir / "notes.txt"
    theirs.parent.mkdir(parents=True)
    theirs.write_text(LIBRARY, encoding="utf-8")
    documents = workspaces.get("documents")
    ours = documents.settings.upload_dir / "ferry.txt"
    assert ours.parent == theirs.parent.parent
    ours.write_text(FERRY, encoding="utf-8")
    workspaces.delete(None, "documents")
    assert theirs.exists() and not ours.exists()
    assert workspaces.names() == ["team-main"]


def test_the_cli_names_a_missing_workspace_and_deletes_an_empty_one(tmp_path: Path) -> None:
    store = ["--persist-dir", str(tmp_path / "store")]
    ferry = write(tmp_path / "in", "ferry.txt", FERRY)
    # A mistyped workspace is an error that says what to do, and leaves nothing behind.
    for command in (["list"], ["remove", str(ferry)], ["ask", "When does the ferry leave?"]):
        result = runner.invoke(app, [*store, "--workspace", "team-x", *command])
        assert result.exit_code != 0 and "no workspace 'team-x'" in str(result.exception)
    assert "team-x" not in _workspace_names(tmp_path / "store")
    # The default workspace may be listed before anything is in it.
    assert "No documents indexed yet" in runner.invoke(app, [*store, "list"]).output

    assert (
        runner.invoke(app, [*store, "--workspace", "team-x", "ingest", str(ferry)]).exit_code == 0
    )
    refused = runner.invoke(app, [*store, "delete-workspace", "team-x"])
    assert "holds 1 document: remove them first" in str(refused.exception)
    assert (
        runner.invoke(app, [*store, "--workspace", "team-x", "remove", str(ferry)]).exit_code == 0
    )
    deleted = runner.invoke(app, [*store, "delete-workspace", "team-x"])
    assert deleted.exit_code == 0 and "deleted workspace team-x" in deleted.output
    assert "team-x" not in _workspace_names(tmp_path / "store")
    default = runner.invoke(app, [*store, "delete-workspace", "documents"])
    assert "default workspace" in str(default.exception)


def _workspace_names(persist_dir: Path) -> set[str]:
    import chromadb

    client = chromadb.PersistentClient(path=str(persist_dir))
    return {collection.name for collection in client.list_collections()}
