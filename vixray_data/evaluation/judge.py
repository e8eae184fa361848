"""The paper's fact protocol with an LLM judge: any OpenAI-compatible chat endpoint (§4.2 used GPT-4o).

Two prompts, in Vietnamese and versioned (:data:`PROMPT_VERSION`, part of the signature): one
decomposes a report into atomic facts, one matches two fact lists one-to-one. Requests use
temperature 0 and ask for a JSON object; replies are validated and retried with exponential backoff
(connection errors, HTTP 429/5xx, invalid JSON), other HTTP errors fail at once. Every validated reply
is written at once to an on-disk cache keyed by sha256(prompt version, model, task, inputs), raw
text included, so a run that fails half-way loses nothing and a rerun makes no request it already made.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import EvaluationError
from ..text import normalize

log = logging.getLogger(__name__)

PROMPT_VERSION = "vi-1"
DEFAULT_KEY_ENV = "VIXRAY_JUDGE_API_KEY"
LLM_BACKEND = "llm"
#: Where :meth:`LLMJudge.write_outputs` puts every reply of a run, in the output folder.
OUTPUTS_FILE = "judge_outputs.jsonl"

SYSTEM_PROMPT = (
    "Bạn là bác sĩ chẩn đoán hình ảnh, đánh giá báo cáo X-quang ngực bằng tiếng Việt. Chỉ trả lời bằng JSON."
)

DECOMPOSE_PROMPT = """Hãy tách đoạn kết quả X-quang ngực dưới đây thành danh sách các sự kiện nguyên tử.
Mỗi sự kiện là đúng một nhận định lâm sàng: một cấu trúc giải phẫu (kèm bên trái/phải/hai bên và vị trí nếu có) \
và một dấu hiệu hoặc trạng thái của nó. Giữ nguyên phủ định ("không", "không thấy") và mức độ chắc chắn \
("nghĩ đến", "theo dõi", "không loại trừ"). Khi một phủ định dùng chung cho nhiều dấu hiệu ("Không thấy tràn dịch, \
tràn khí màng phổi"), viết mỗi dấu hiệu thành một sự kiện riêng có phủ định. \
Không thêm thông tin không có trong văn bản.
Trả lời duy nhất bằng JSON dạng {{"facts": ["...", "..."]}}.

Văn bản:
{text}"""

MATCH_PROMPT = """Cho hai danh sách sự kiện nguyên tử từ hai báo cáo X-quang ngực: \
A (do mô hình sinh ra) và B (của bác sĩ).
Hai sự kiện khớp nhau khi cùng cấu trúc giải phẫu, cùng dấu hiệu, cùng bên (trái/phải/hai bên) và cùng khẳng định \
hay phủ định; từ đồng nghĩa và cách viết khác nhau vẫn khớp ("bóng tim to" và "bóng mờ tim to"), còn các dấu hiệu \
khác nhau thì không ("vôi hóa thành quai động mạch chủ" và "quai động mạch chủ vồng"). Mỗi sự kiện khớp với nhiều \
nhất một sự kiện ở danh sách kia.
Trả lời duy nhất bằng JSON dạng {{"matches": [[i, j], ...]}}, i là số thứ tự trong A, j là số thứ tự trong B (đếm từ 1).

A:
{a}

B:
{b}"""


@dataclass(frozen=True, kw_only=True)
class JudgeConfig:
    url: str
    model: str
    cache_dir: Path = Path(".vixray-judge-cache")
    api_key_env: str = DEFAULT_KEY_ENV
    retries: int = 4  # attempts after the first
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    timeout: float = 120.0

    @property
    def endpoint(self) -> str:
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"


@dataclass(frozen=True)
class JudgeScore:
    precision: float
    recall: float
    prediction_facts: tuple[str, ...]
    reference_facts: tuple[str, ...]
    matches: tuple[tuple[int, int], ...]  # 0-based (prediction, reference)

    def as_dict(self) -> dict:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "prediction_facts": list(self.prediction_facts),
            "reference_facts": list(self.reference_facts),
            "matches": [list(m) for m in self.matches],
        }


class _InvalidReply(ValueError):
    """The endpoint answered, but not with the JSON we asked for: worth another try."""


def _numbered(items: tuple[str, ...]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


def _validate_facts(parsed: dict) -> list[str]:
    facts = parsed.get("facts")
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise _InvalidReply('expected {"facts": [string, ...]}')
    return [normalize(f) for f in facts if normalize(f)]


def _validate_matches(parsed: dict, n_a: int, n_b: int) -> list[tuple[int, int]]:
    pairs = parsed.get("matches")
    if not isinstance(pairs, list):
        raise _InvalidReply('expected {"matches": [[i, j], ...]}')
    out, used_a, used_b = [], set(), set()
    for pair in pairs:
        ok = isinstance(pair, list | tuple) and len(pair) == 2 and all(type(v) is int for v in pair)
        if not ok or not (1 <= pair[0] <= n_a and 1 <= pair[1] <= n_b):
            raise _InvalidReply(f"match {pair!r} is not a pair of indices within 1..{n_a} and 1..{n_b}")
        i, j = pair[0] - 1, pair[1] - 1
        if i in used_a or j in used_b:
            continue  # one-to-one: the first pairing of a fact stands
        used_a.add(i)
        used_b.add(j)
        out.append((i, j))
    return out


@dataclass
class LLMJudge:
    """A cached, retrying client for the two judge prompts."""

    config: JudgeConfig
    requests: int = 0  # HTTP requests sent (tests read it to prove a cache hit)
    cache_hits: int = 0
    json_mode: bool = True  # send response_format; dropped after an HTTP 400 (the prompt still asks for JSON)
    outputs: list[dict] = field(default_factory=list)  # every reply used this run, raw text included

    def signature(self) -> str:
        return f"backend:{LLM_BACKEND}|model:{self.config.model}|prompt:{PROMPT_VERSION}|temp:0"

    def write_outputs(self, folder: Path) -> Path:
        """Every reply used this run, raw text included, to ``folder/judge_outputs.jsonl`` (for audit)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / OUTPUTS_FILE
        with path.open("w", encoding="utf-8") as fh:
            for entry in self.outputs:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return path

    # -- the protocol
    def decompose(self, text: str | None) -> list[str]:
        text = normalize(text)
        if not text:
            return []
        user = DECOMPOSE_PROMPT.format(text=text)
        return self._ask("decompose", {"text": text}, user, _validate_facts)

    def match(self, prediction: list[str] | tuple[str, ...], reference: list[str] | tuple[str, ...]):
        a, b = tuple(normalize(x) for x in prediction), tuple(normalize(x) for x in reference)
        if not a or not b:
            return []
        user = MATCH_PROMPT.format(a=_numbered(a), b=_numbered(b))
        pairs = self._ask("match", {"a": list(a), "b": list(b)}, user, lambda p: _validate_matches(p, len(a), len(b)))
        return [tuple(p) for p in pairs]

    def score(self, prediction: str | None, reference: str | None) -> JudgeScore:
        pred, ref = tuple(self.decompose(prediction)), tuple(self.decompose(reference))
        matches = tuple(sorted(self.match(pred, ref)))
        return JudgeScore(
            precision=len(matches) / len(pred) if pred else 0.0,
            recall=len(matches) / len(ref) if ref else 0.0,
            prediction_facts=pred,
            reference_facts=ref,
            matches=matches,
        )

    # -- transport
    def _key(self, task: str, inputs: dict) -> str:
        blob = json.dumps(
            {"prompt_version": PROMPT_VERSION, "model": self.config.model, "task": task, "inputs": inputs},
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _ask(self, task: str, inputs: dict, user: str, validate):
        key = self._key(task, inputs)
        path = self.config.cache_dir / key[:2] / f"{key}.json"
        if path.is_file():
            entry = json.loads(path.read_text(encoding="utf-8"))
            self.cache_hits += 1
            self.outputs.append({"key": key, "task": task, "cached": True, "raw": entry["raw"]})
            return entry["parsed"]
        raw, parsed = self._request(user, validate)
        entry = {
            "key": key,
            "prompt_version": PROMPT_VERSION,
            "model": self.config.model,
            "task": task,
            "inputs": inputs,
            "raw": raw,
            "parsed": parsed,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        self.outputs.append({"key": key, "task": task, "cached": False, "raw": raw})
        return parsed

    def _request(self, user: str, validate):
        payload_json = {
            "model": self.config.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}],
        }
        if not self.json_mode:
            del payload_json["response_format"]
        body = json.dumps(payload_json, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        api_key = os.environ.get(self.config.api_key_env)
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        url = self.config.endpoint
        attempts = self.config.retries + 1
        last = ""
        for attempt in range(attempts):
            if attempt:
                delay = self.config.backoff * 2 ** (attempt - 1)
                log.warning("judge %s: %s; retry %d/%d in %.1fs", url, last, attempt, self.config.retries, delay)
                time.sleep(delay)
            self.requests += 1
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                    payload = response.read().decode("utf-8")
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code} {exc.reason}"
                if exc.code == 429 or exc.code >= 500:
                    continue
                if exc.code == 400 and self.json_mode:
                    # some OpenAI-compatible servers reject response_format: ask again without it
                    self.json_mode = False
                    del payload_json["response_format"]
                    body = json.dumps(payload_json, ensure_ascii=False).encode("utf-8")
                    continue
                raise EvaluationError(f"judge endpoint {url} refused the request: {last}") from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
                continue
            try:
                raw = json.loads(payload)["choices"][0]["message"]["content"]
                parsed = json.loads(_strip_fence(raw))
                if not isinstance(parsed, dict):
                    raise _InvalidReply("the reply is not a JSON object")
                return raw, validate(parsed)
            except (KeyError, IndexError, TypeError, json.JSONDecodeError, _InvalidReply) as exc:
                last = f"invalid reply ({exc})"
                continue
        raise EvaluationError(
            f"judge endpoint {url} failed after {attempts} attempt(s): {last} "
            f"(results already received are kept in {self.config.cache_dir})"
        )


def _strip_fence(raw: str) -> str:
    """Some endpoints wrap JSON in a markdown fence despite response_format."""
    text = raw.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text
