"""The short load test: 20 concurrent chat sessions for a few seconds while an ingest runs.

`make loadtest` runs the long version (benchmarks/loadtest.py, two minutes by default)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.loadtest import NAMES, run_load, write_lighthouses
from tests.live_app import LiveApp, serve


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    folder = tmp_path_factory.mktemp("load-app")
    write_lighthouses(folder / "documents", len(NAMES))
    with serve(folder, documents=folder / "documents") as live:
        yield live


def test_twenty_sessions_with_an_ingest_running(app: LiveApp, tmp_path: Path) -> None:
    results = run_load(app.url, sessions=20, duration=15, max_turns=2000, ingest_files=30)
    summary = results.summary()
    print(summary)
    assert results.errors == []
    assert results.leaks == []
    assert results.wrong_answers == []
    assert results.ingest_errors == []
    assert summary["turns"] >= 40, "every session should finish at least one conversation"
    assert summary["ingest_files"] >= 10, "the ingest should have run during the load"
    assert summary["ttft_p50_s"] is not None and summary["ttft_p95_s"] is not None
    # Generous bounds for a loaded 2-core CI machine; the benchmark reports the real figures.
    assert summary["ttft_p95_s"] < 20


def test_the_load_test_refuses_anything_but_loopback() -> None:
    with pytest.raises(SystemExit, match="only targets loopback"):
        run_load("http://example.com:7860", sessions=1, duration=1, max_turns=1, ingest_files=0)
