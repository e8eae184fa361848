"""The hub path for real: ``datasets.load_dataset`` against a loopback server holding a release-layout repo.

Nothing is monkeypatched: each check runs in a fresh process with ``HF_ENDPOINT`` pointing at the server
(huggingface_hub reads it at import), its own ``HF_HOME``, and the request log tells what the client fetched.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hubfake import COMMIT, RELEASE_SPLITS, FakeHub, release_folder

from vixray_data import schema

REPO = schema.HUB_ID


def _run(args: list[str], tmp_path: Path, **env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
        **env_vars,
    )
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300)


LOAD_BOTH_WAYS = f"""
import json
from vixray_data import schema
from vixray_data.load import load_vixray
ds = load_vixray({REPO!r})
out = {{"splits": {{k: v.num_rows for k, v in ds.items()}},
       "canonical": all(v.features == schema.FEATURES for v in ds.values()),
       "row": {{k: v for k, v in ds["train"][1].items() if k != "image"}}, "image": list(ds["train"][1]["image"].size)}}
streamed = load_vixray({REPO!r}, split="val", streaming=True)
out["stream_type"] = type(streamed).__name__
out["streamed"] = [{{k: v for k, v in row.items() if k != "image"}} for row in streamed]
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with FakeHub(release_folder(tmp_path_factory.mktemp("hub") / "repo"), REPO) as server:
        yield server


def test_a_hub_id_loads_map_style_and_streaming_in_the_canonical_schema(hub, tmp_path):
    hub.requests.clear()
    result = _run(["-c", LOAD_BOTH_WAYS], tmp_path, HF_ENDPOINT=hub.endpoint)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["splits"] == {"train": 4, "validation": 2, "test": 2}  # val -> validation
    assert out["canonical"] is True
    assert out["row"] == {
        "id": "train-00001",
        "age": 61,
        "sex": "Nữ",
        "view": "PA",
        "note": "Chụp Xquang ngực thẳng",
        "technique": "Chụp Xquang tim phổi thẳng",
        "findings": "Bóng tim to train 1.",
        "impressions": "Bóng tim to.",
    }
    assert out["image"] == [8, 8]
    assert out["stream_type"] == "IterableDataset"
    assert [(r["id"], r["age"], r["sex"]) for r in out["streamed"]] == [
        ("validation-00000", 60, "Nam"),
        ("validation-00001", 61, "Nữ"),
    ]
    # the real client fetched the card, then every shard, at the pinned commit
    assert f"GET /datasets/{REPO}/resolve/main/README.md" in hub.requests
    for split in RELEASE_SPLITS:
        assert f"GET /datasets/{REPO}/resolve/{COMMIT}/data/{split}-00000-of-00001.parquet" in hub.requests


def test_vixray_stats_on_a_hub_id_writes_table3_and_prints_its_summary_once(hub, tmp_path):
    out = tmp_path / "stats"
    result = _run(
        [
            "-m",
            "vixray_data.cli",
            "stats",
            REPO,
            "--out",
            str(out),
            "--segmenter",
            "lexicon",
            "--noun-phrases",
            "none",
            "--no-figures",
            "--no-progress",
        ],
        tmp_path,
        HF_ENDPOINT=hub.endpoint,
    )
    assert result.returncode == 0, result.stderr
    summary = [line for line in result.stdout.splitlines() if line.startswith("8 reports from")]
    assert summary == [
        f"8 reports from {REPO}: findings avg 4.0 words, impressions avg 2.0 words; "
        "1 body parts, 1 diagnosis rows; 9 files"
    ]
    assert result.stderr == ""  # no third-party progress or log noise at the default level
    table3 = json.loads((out / "table3.json").read_text(encoding="utf-8"))
    assert "paper" in json.dumps(table3)  # the release is compared with the paper's Table 3


def _closed_port() -> int:
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("how", ["unreachable", "offline"])
def test_without_the_hub_every_hub_command_says_what_it_could_not_reach_in_one_line(tmp_path, how):
    env = (
        {"HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"}
        if how == "unreachable"
        else {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"}
    )
    stats = _run(["-m", "vixray_data.cli", "stats", REPO, "--out", str(tmp_path / "stats")], tmp_path, **env)
    load = _run(["-c", f"from vixray_data.load import load_vixray; load_vixray({REPO!r})"], tmp_path, **env)
    assert stats.returncode == 2
    lines = stats.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vixray stats: error: cannot reach the Hugging Face hub at http")
    assert REPO in lines[0] and "vixray build" in lines[0] and "local folder" in lines[0]
    assert ("HF_HUB_OFFLINE=1" in lines[0]) == (how == "offline")
    assert "SourceError: cannot reach the Hugging Face hub" in load.stderr  # the library raises the same, typed


MESSAGES_FROM_EVERY_READER = f"""
import json
from vixray_data.load import load_vixray
from vixray_data.statistics import load_corpus
from vixray_data.training import check_model_family, unreachable
calls = {{"loader": lambda: load_vixray({REPO!r}), "stats": lambda: load_corpus({REPO!r}),
         "training, model": lambda: check_model_family({REPO!r})}}
out = {{}}
for name, call in calls.items():
    try:
        call()
    except Exception as exc:
        out[name] = str(exc)
out["training, dataset"] = str(unreachable("dataset", {REPO!r}, ConnectionError("refused")))
print(json.dumps(out))
"""


def _hub_message(endpoint: str, repo_type: str, why: str) -> str:
    instead = "one written by `vixray build`, or " if repo_type == "dataset" else ""
    return (
        f"cannot reach the Hugging Face hub at {endpoint} for {REPO} ({why}); to work offline, give a local "
        f"folder instead: {instead}the {repo_type} downloaded with `hf download {REPO} --repo-type {repo_type} "
        f"--local-dir DIR` on a connected machine"
    )


def test_the_loader_the_statistics_and_training_word_an_unreachable_hub_the_same_way(tmp_path):
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    offline = _run(["-c", MESSAGES_FROM_EVERY_READER], tmp_path, HF_ENDPOINT=endpoint, HF_HUB_OFFLINE="1")
    assert offline.returncode == 0, offline.stderr
    said = json.loads(offline.stdout.strip().splitlines()[-1])
    dataset = _hub_message(endpoint, "dataset", "HF_HUB_OFFLINE=1 and no cached copy")
    assert said == {
        "loader": dataset,
        "stats": dataset,
        "training, dataset": dataset,
        "training, model": _hub_message(endpoint, "model", "HF_HUB_OFFLINE=1 and no cached copy"),
    }

    online = _run(["-c", MESSAGES_FROM_EVERY_READER], tmp_path, HF_ENDPOINT=endpoint)
    assert online.returncode == 0, online.stderr
    said = json.loads(online.stdout.strip().splitlines()[-1])
    probe_error = said["loader"].split("(", 1)[1].split(")", 1)[0]  # the transport's exception type, e.g. ConnectError
    assert said == {
        "loader": _hub_message(endpoint, "dataset", probe_error),
        "stats": _hub_message(endpoint, "dataset", probe_error),
        "training, dataset": _hub_message(endpoint, "dataset", "ConnectionError"),
        "training, model": _hub_message(endpoint, "model", probe_error),
    }
