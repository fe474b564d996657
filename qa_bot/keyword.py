"""The keyword side of hybrid retrieval: BM25 (bm25s) over chunk texts, saved beside the store.

The index is derived data: Chroma holds the truth, and the store rebuilds this index whenever the
version it was built from differs from the collection's current version.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np

_META_FILE = "qa_bot_keyword.json"


class KeywordIndex(Protocol):
    version: str | None

    def build(self, ids: list[str], texts: list[str], version: str) -> None: ...

    def search(self, query: str, k: int) -> list[tuple[str, float]]: ...


@cache
def _stemmer():  # noqa: ANN202 - PyStemmer has no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


def analyse(texts: list[str]) -> list[list[str]]:
    """Lowercased, stop-word-free, stemmed terms: the same analysis for chunks and queries."""
    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [list(doc) for doc in tokens]


class BM25Index:
    """BM25 over chunk texts, persisted as a folder, swapped in atomically on save."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.version: str | None = None
        self._ids: list[str] = []
        self._retriever: bm25s.BM25 | None = None
        if folder is not None:
            self._load()

    def __len__(self) -> int:
        return len(self._ids)

    def build(self, ids: list[str], texts: list[str], version: str) -> None:
        self._ids = list(ids)
        self.version = version
        if not ids:
            self._retriever = None
        else:
            retriever = bm25s.BM25()
            retriever.index(analyse(texts), show_progress=False)
            self._retriever = retriever
        self._save()

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self._retriever is None or not self._ids:
            return []
        terms = analyse([query])[0]
        if not terms:
            return []
        scores = self._retriever.get_scores(terms)
        k = min(k, len(self._ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def _save(self) -> None:
        if self.folder is None:
            return
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=self.folder.parent))
        if self._retriever is not None:
            self._retriever.save(str(staging))
        meta = {"version": self.version, "ids": self._ids}
        (staging / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            os.replace(self.folder, old)
        os.replace(staging, self.folder)
        shutil.rmtree(old, ignore_errors=True)

    def _load(self) -> None:
        assert self.folder is not None
        meta_path = self.folder / _META_FILE
        if not meta_path.exists():
            return
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            ids = list(meta["ids"])
            retriever = bm25s.BM25.load(str(self.folder)) if ids else None
        except (OSError, ValueError, KeyError):
            return  # unreadable: treated as missing, the store rebuilds it
        self._ids, self._retriever, self.version = ids, retriever, meta.get("version")
