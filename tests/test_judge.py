"""The LLM-judge backend against a real HTTP exchange with a small OpenAI-compatible server on loopback."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vixray_data.cli import main
from vixray_data.errors import EvaluationError
from vixray_data.evaluation import JudgeConfig, LLMJudge
from vixray_data.evaluation.judge import PROMPT_VERSION

REPORT = "Bóng tim không to. Tràn dịch màng phổi phải."


class FakeChat(BaseHTTPRequestHandler):
    """Answers like /v1/chat/completions: sentences are the facts, equal sentences match."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.seen.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if server.failures:
            status = server.failures.pop(0)
            if status == "garbage":
                return self._reply(200, {"choices": [{"message": {"content": "this is not json"}}]})
            return self._reply(status, {"error": "scripted failure"})
        user = body["messages"][-1]["content"]
        if "Văn bản:" in user:
            text = user.split("Văn bản:\n", 1)[1]
            content = {"facts": [s.strip() for s in text.split(".") if s.strip()]}
        else:
            a_part, b_part = user.split("\nA:\n", 1)[1].split("\n\nB:\n", 1)
            a = [re.sub(r"^\d+\. ", "", x) for x in a_part.splitlines() if x.strip()]
            b = [re.sub(r"^\d+\. ", "", x) for x in b_part.splitlines() if x.strip()]
            content = {"matches": [[i + 1, b.index(x) + 1] for i, x in enumerate(a) if x in b]}
        self._reply(
            200, {"choices": [{"message": {"role": "assistant", "content": json.dumps(content, ensure_ascii=False)}}]}
        )

    def _reply(self, status, payload):
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeChat)
    httpd.seen, httpd.failures = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def judge_for(url, tmp_path, **kw):
    return LLMJudge(JudgeConfig(url=url, model="fake-4o", cache_dir=tmp_path / "cache", backoff=0.01, **kw))


def test_identical_reports_score_one_and_one_through_the_endpoint(server, tmp_path, monkeypatch):
    monkeypatch.setenv("VIXRAY_JUDGE_API_KEY", "sk-test")
    judge = judge_for(server.url, tmp_path)
    score = judge.score(REPORT, REPORT)
    assert (score.precision, score.recall) == (1.0, 1.0)
    assert score.prediction_facts == ("Bóng tim không to", "Tràn dịch màng phổi phải")
    request = server.seen[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["temperature"] == 0 and request["body"]["model"] == "fake-4o"
    assert request["auth"] == "Bearer sk-test"
    assert "sự kiện nguyên tử" in request["body"]["messages"][-1]["content"]  # the Vietnamese prompt
    # one decomposition serves both sides (same text, same cache key), then one matching
    assert judge.requests == 2 and judge.cache_hits == 1


def test_partial_match_counts_precision_and_recall(server, tmp_path):
    score = judge_for(server.url, tmp_path).score("Bóng tim không to. Tràn khí màng phổi trái.", REPORT)
    assert (score.precision, score.recall, score.matches) == (0.5, 0.5, ((0, 0),))


def test_a_server_error_is_retried(server, tmp_path):
    server.failures = [500]
    judge = judge_for(server.url, tmp_path)
    assert judge.decompose(REPORT) == ["Bóng tim không to", "Tràn dịch màng phổi phải"]
    assert judge.requests == 2 and len(server.seen) == 2


def test_an_invalid_json_reply_is_retried(server, tmp_path):
    server.failures = ["garbage"]
    assert judge_for(server.url, tmp_path).decompose(REPORT) == ["Bóng tim không to", "Tràn dịch màng phổi phải"]
    assert len(server.seen) == 2


def test_a_second_run_is_served_from_the_cache_without_requests(server, tmp_path):
    first = judge_for(server.url, tmp_path).score("Bóng tim to.", REPORT)
    sent = len(server.seen)
    again = judge_for(server.url, tmp_path)
    assert again.score("Bóng tim to.", REPORT) == first
    assert again.requests == 0 and len(server.seen) == sent
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert entries and all(json.loads(p.read_text())["prompt_version"] == PROMPT_VERSION for p in entries)
    assert all("raw" in json.loads(p.read_text()) for p in entries)  # the judge's raw output is kept


def test_the_cache_key_changes_with_the_model(server, tmp_path):
    judge_for(server.url, tmp_path).decompose(REPORT)
    other = LLMJudge(JudgeConfig(url=server.url, model="other", cache_dir=tmp_path / "cache", backoff=0.01))
    other.decompose(REPORT)
    assert other.requests == 1


def test_an_unreachable_endpoint_names_the_url_and_keeps_cached_results(server, tmp_path):
    judge_for(server.url, tmp_path).decompose(REPORT)
    url = server.url
    server.shutdown()
    server.server_close()
    judge = judge_for(url, tmp_path, retries=1)
    assert judge.decompose(REPORT) == ["Bóng tim không to", "Tràn dịch màng phổi phải"]  # cache still serves
    with pytest.raises(EvaluationError) as err:
        judge.decompose("Bóng tim to.")
    assert f"{url}/chat/completions" in str(err.value) and "after 2 attempt(s)" in str(err.value)
    assert "ConnectionRefusedError" in str(err.value) or "Connection refused" in str(err.value)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1


def test_persistent_server_errors_report_the_http_status(server, tmp_path):
    server.failures = [503, 503, 503]
    with pytest.raises(EvaluationError, match=r"after 3 attempt\(s\): HTTP 503"):
        judge_for(server.url, tmp_path, retries=2).decompose(REPORT)


def test_a_client_error_is_not_retried(server, tmp_path):
    server.failures = [401]
    with pytest.raises(EvaluationError, match="HTTP 401"):
        judge_for(server.url, tmp_path).decompose(REPORT)
    assert len(server.seen) == 1


def test_cli_with_judge_and_compare_judges_writes_agreement_and_raw_outputs(server, tmp_path, capsys):
    rows = [
        {"id": "a", "stage": "1", "field": "findings", "prediction": REPORT, "reference": REPORT, "split": "test"},
        {
            "id": "b",
            "stage": "1",
            "field": "findings",
            "prediction": "Bóng tim to.",
            "reference": REPORT,
            "split": "test",
        },
        {
            "id": "c",
            "stage": "1",
            "field": "findings",
            "prediction": "Bóng tim không to.",
            "reference": REPORT,
            "split": "test",
        },
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    argv = [
        "evaluate",
        str(path),
        "--out",
        str(out),
        "--judge-url",
        server.url,
        "--judge-model",
        "fake-4o",
        "--compare-judges",
        "--bootstrap",
        "50",
        "--no-words",
    ]
    assert main(argv) == 0
    result = json.loads((out / "evaluation.json").read_text())
    agreement = result["judge_agreement"]
    assert agreement["records"] == 3 and agreement["facts_compared"] > 0
    assert 0 <= agreement["per_fact_agreement"] <= 1
    assert result["fact_backend"] == "llm"
    assert "prompt:" + PROMPT_VERSION in result["signatures"]["judge"]
    group = result["groups"][0]["metrics"]
    assert group["judge_precision"]["value"] == pytest.approx(100 * (1 + 0 + 1) / 3)
    assert group["judge_recall"]["value"] == pytest.approx(100 * (1 + 0 + 0.5) / 3)
    raw = [json.loads(line) for line in (out / "judge_outputs.jsonl").read_text().splitlines()]
    assert raw and all("raw" in entry for entry in raw)
    assert "Offline vs LLM judge" in capsys.readouterr().out


def test_a_server_that_rejects_response_format_is_asked_again_without_it(server, tmp_path):
    server.failures = [400]
    judge = judge_for(server.url, tmp_path)
    assert judge.decompose(REPORT) == ["Bóng tim không to", "Tràn dịch màng phổi phải"]
    assert "response_format" in server.seen[0]["body"] and "response_format" not in server.seen[1]["body"]
