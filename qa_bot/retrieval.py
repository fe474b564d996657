"""Hybrid retrieval: dense (Chroma) and keyword (BM25) candidates fused by reciprocal rank,
then reranked by their best sentence (see sentences.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from qa_bot.sentences import best_per_doc, score_all
from qa_bot.store import DocumentStore

# How much a chunk's best sentence counts next to its fused rank (RRF scores are ~1/60).
SENTENCE_WEIGHT = 0.06


class HybridRetriever(BaseRetriever):
    """Top-k chunks by reciprocal rank fusion; each carries its dense, BM25 and fused scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: DocumentStore
    k: int = 4
    fetch_k: int = 20
    rrf_k: int = 60
    sentence_weight: float = SENTENCE_WEIGHT

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if not query.strip():
            return []
        query_vector = self.store.embedder.query_vector(query)
        dense = self.store.dense_search(query_vector, self.fetch_k)
        keyword = self.store.keyword_search(query, self.fetch_k)

        fused: dict[str, float] = {}
        signals: dict[str, dict[str, Any]] = {}
        docs: dict[str, Document] = {}
        for rank, (doc, similarity) in enumerate(dense):
            chunk_id = str(doc.id)
            docs[chunk_id] = doc
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
            signals.setdefault(chunk_id, {})["score_dense"] = similarity
        for rank, (chunk_id, score) in enumerate(keyword):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (self.rrf_k + rank + 1)
            signals.setdefault(chunk_id, {})["score_bm25"] = score

        missing = [chunk_id for chunk_id in fused if chunk_id not in docs]
        for doc, embedding in self.store.get(missing, with_embeddings=True):
            docs[str(doc.id)] = doc
            similarity = float(np.dot(query_vector, np.asarray(embedding, dtype=np.float32)))
            signals[str(doc.id)]["score_dense"] = similarity
        candidates = [chunk_id for chunk_id in fused if chunk_id in docs]  # others were removed
        best = best_per_doc(
            score_all(query, query_vector, [docs[c] for c in candidates]), len(candidates)
        )
        final = {}
        for chunk_id, sentence in zip(candidates, best, strict=True):
            signals[chunk_id]["score_sentence"] = sentence
            final[chunk_id] = fused[chunk_id] + self.sentence_weight * sentence
        top = sorted(final, key=final.__getitem__, reverse=True)[: self.k]

        results = []
        for chunk_id in top:
            doc = docs[chunk_id]
            metadata = {
                "score_dense": 0.0,
                "score_bm25": 0.0,
                **doc.metadata,
                **signals[chunk_id],
                "score_rrf": fused[chunk_id],
                "top_dense": dense[0][1] if dense else 0.0,
                "top_bm25": keyword[0][1] if keyword else 0.0,
            }
            results.append(Document(id=chunk_id, page_content=doc.page_content, metadata=metadata))
        return results
