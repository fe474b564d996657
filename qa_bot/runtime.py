"""Assemble the running pieces from settings: embedder, store, chain. Built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from langchain_core.runnables import Runnable

from qa_bot.answers import Answer
from qa_bot.chain import build_chain
from qa_bot.config import Settings, apply_environment
from qa_bot.embeddings import SentenceEmbedder, make_embedder
from qa_bot.ingest import IngestReport, ingest_paths
from qa_bot.store import DocumentStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    embedder: SentenceEmbedder
    store: DocumentStore
    chain: Runnable[dict, Answer]

    def ingest_documents_if_empty(self) -> IngestReport | None:
        """First run: index the bundled documents/ folder so a new user has something to ask."""
        if self.store.documents() or not self.settings.documents_dir.is_dir():
            return None
        log.info("store is empty: ingesting %s", self.settings.documents_dir)
        return ingest_paths([self.settings.documents_dir], self.store)


def open_runtime(settings: Settings, embedder: SentenceEmbedder | None = None) -> Runtime:
    apply_environment(settings)
    embedder = embedder or make_embedder(settings)
    store = DocumentStore(settings, embedder)
    chain = build_chain(settings, store)
    return Runtime(settings, embedder, store, chain)
