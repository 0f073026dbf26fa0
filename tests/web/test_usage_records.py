"""Web searches are counted in the transcript's usage records, so a resumed session's totals
(and cost) still hold them; records without searches keep their old shape."""

from __future__ import annotations

from pathlib import Path

from devagent.agent import RunResult
from devagent.messages import Usage
from devagent.runtime import result_payload
from devagent.session import Transcript, UsageLog, load, spent


def test_searches_are_recorded_and_restored(tmp_path: Path) -> None:
    transcript = Transcript(tmp_path / "s.jsonl", {"session_id": "s"})
    log = UsageLog()
    log.record(transcript, Usage(10, 5), 0.001, Usage(10, 5))
    log.record(transcript, Usage(30, 9, web_search_requests=2), 0.023, Usage(20, 4))
    transcript.close()
    records = [r for r in load(tmp_path / "s.jsonl").records if r["type"] == "usage"]
    assert "web_search_requests" not in records[0]["usage"]
    assert records[1]["usage"]["web_search_requests"] == 2
    found = spent(load(tmp_path / "s.jsonl").records)
    assert found is not None
    assert (found.usage.input_tokens, found.usage.web_search_requests) == (30, 2)
    assert round(found.cost_usd, 6) == 0.023


def test_the_json_result_counts_searches_only_when_there_were_some() -> None:
    plain = RunResult("success", "ok", 1, Usage(1, 2), 0.0, [])
    assert "server_tool_use" not in result_payload(plain, "s")["usage"]
    searched = RunResult("success", "ok", 1, Usage(1, 2, web_search_requests=3), 0.03, [])
    assert result_payload(searched, "s")["usage"]["server_tool_use"] == {"web_search_requests": 3}
