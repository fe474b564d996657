"""Assemble the running pieces from settings: embedder, store, chain. Built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from qa_bot.answers import Answer
from qa_bot.chain import build_chain, build_generative_chain
from qa_bot.config import Settings, apply_environment
from qa_bot.embeddings import SentenceEmbedder, make_embedder
from qa_bot.ingest import IngestReport, ingest_paths
from qa_bot.llm import check_llm_settings, make_chat_model
from qa_bot.prompts import load_prompts
from qa_bot.reranking import SentenceReranker, make_reranker
from qa_bot.store import DocumentStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    embedder: SentenceEmbedder
    store: DocumentStore
    chain: Runnable[dict, Answer]
    reranker: SentenceReranker | None = None
    # Every configured answering backend by name ("extractive" always), for the UI's selector.
    chains: dict[str, Runnable[dict, Answer]] = field(default_factory=dict)

    def ingest_documents_if_empty(self) -> IngestReport | None:
        """First run: index the bundled documents/ folder so a new user has something to ask."""
        if self.store.documents() or not self.settings.documents_dir.is_dir():
            return None
        log.info("store is empty: ingesting %s", self.settings.documents_dir)
        return ingest_paths([self.settings.documents_dir], self.store)


def open_runtime(
    settings: Settings,
    embedder: SentenceEmbedder | None = None,
    chat_model: BaseChatModel | None = None,
    reranker: SentenceReranker | None = None,
    *,
    create: bool = True,
) -> Runtime:
    """The runtime of settings.collection; with create False a workspace that does not exist
    raises WorkspaceNotFoundError (DocumentStore) rather than being created."""
    apply_environment(settings)
    check_llm_settings(settings)  # a bad backend setting fails before the model loads
    prompts = load_prompts(settings.prompts_dir) if settings.llm != "extractive" else None
    embedder = embedder or make_embedder(settings)
    reranker = reranker or make_reranker(settings.reranker)
    store = DocumentStore(settings, embedder, create=create)
    chains = {"extractive": build_chain(settings, store, reranker=reranker)}
    if prompts is not None:
        model = chat_model or make_chat_model(settings)
        chains[settings.llm] = build_generative_chain(settings, store, model, prompts, reranker)
    return Runtime(settings, embedder, store, chains[settings.llm], reranker, chains)
