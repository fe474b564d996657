"""Shared fixtures: the real embedding model (loaded once), real Chroma in a temp folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_bot.config import Settings, apply_environment
from qa_bot.embeddings import SentenceEmbedder, make_embedder
from qa_bot.runtime import Runtime, open_runtime

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DOC = ROOT / "documents" / "cpec-2.0-strategic-dialogue.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def embedder() -> SentenceEmbedder:
    settings = Settings()
    apply_environment(settings)
    return make_embedder(settings)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(persist_dir=tmp_path / "store", documents_dir=tmp_path / "docs")


@pytest.fixture
def runtime(settings: Settings, embedder: SentenceEmbedder) -> Runtime:
    return open_runtime(settings, embedder=embedder)


def open_sample_runtime(
    root: Path, embedder: SentenceEmbedder, extra_files: dict[str, str] | None = None, **settings
) -> Runtime:
    """A runtime under root whose store holds the sample document and any extra text files."""
    from qa_bot.ingest import ingest_paths

    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(SAMPLE_DOC, docs / SAMPLE_DOC.name)
    for name, text in (extra_files or {}).items():
        (docs / name).write_text(text, encoding="utf-8")
    runtime = open_runtime(
        Settings(persist_dir=root / "store", documents_dir=docs, **settings), embedder=embedder
    )
    report = ingest_paths([docs], runtime.store, show_progress=False)
    assert report.counts["added"] == 1 + len(extra_files or {})
    return runtime


@pytest.fixture
def sample_runtime(tmp_path: Path, embedder: SentenceEmbedder) -> Runtime:
    """A store holding the sample document."""
    return open_sample_runtime(tmp_path, embedder)


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port, shared by the session."""
    from tests.servers import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma") / "db") as url:
        yield url
