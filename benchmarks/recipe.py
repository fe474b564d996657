"""The LangChain tutorial recipe a user would otherwise copy, for the benchmarks to compare with.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), the same MiniLM embeddings,
Chroma; the benchmarks search it with k=4. bench.py and bench_scale.py import it as a sibling
module (they run as scripts from this folder).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_bot.loaders import load_document
from qa_bot.sandbox import SandboxWorkers

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


@dataclass(frozen=True)
class RecipeIngest:
    store: Any  # langchain_chroma.Chroma, open until the `with` block ends
    chars: int
    chunks: int
    seconds: float

    def figures(self) -> dict[str, float | int]:
        return {
            "chunks": self.chunks,
            "ingest_s": round(self.seconds, 1),
            "ingest_chars_per_s": round(self.chars / self.seconds),
            "ingest_chunks_per_s": round(self.chunks / self.seconds, 1),
        }


@contextmanager
def recipe_store(files: list[Path], model: str) -> Iterator[RecipeIngest]:
    """Index files the recipe's way into a temporary Chroma, timed from reading to stored."""
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=model, model_kwargs={"device": "cpu"})
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    with tempfile.TemporaryDirectory(prefix="qa-bot-recipe-") as folder:
        started = time.perf_counter()
        with SandboxWorkers() as workers:  # our loaders at their best, for both sides
            docs = [
                Document(
                    page_content=load_document(p, workers=workers).text, metadata={"source": str(p)}
                )
                for p in files
            ]
        splits = splitter.split_documents(docs)
        store = Chroma.from_documents(splits, embeddings, persist_directory=folder)
        seconds = time.perf_counter() - started
        yield RecipeIngest(store, sum(len(d.page_content) for d in docs), len(splits), seconds)
