"""`vixray publish`: validate first, show the files, then the real huggingface_hub client against a local hub."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vixray_data import cli, croissant, schema
from vixray_data.errors import ValidationError
from vixray_data.publish import plan, publish
from vixray_data.writer import sha256_file

REPO = "bv175/vixray-demo"
PUBLISHED = [
    schema.CARD,
    croissant.CROISSANT,
    "data/test-00000-of-00001.parquet",
    "data/train-00000-of-00001.parquet",
    "data/validation-00000-of-00001.parquet",
    schema.MANIFEST,
]


class FakeHub(BaseHTTPRequestHandler):
    """Just enough of the hub API for create_repo, create_branch and upload_folder (regular uploads)."""

    requests: list[tuple[str, str, object]] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _reply(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.requests.append(("GET", self.path, None))
        if self.path.startswith("/api/whoami"):
            return self._reply({"type": "user", "name": "tester", "auth": {"accessToken": {"role": "write"}}})
        self._reply({"error": "not found"}, 404)

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path = self.path.split("?")[0]
        if "/commit/" in path:
            lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
            self.requests.append(("POST", path, {"lines": lines, "auth": self.headers.get("Authorization")}))
            repo = path.split("/api/datasets/")[1].split("/commit/")[0]
            return self._reply(
                {
                    "success": True,
                    "commitOid": "c" * 40,
                    "commitUrl": f"http://{self.headers['Host']}/datasets/{repo}/commit/{'c' * 40}",
                }
            )
        body = json.loads(raw or b"{}")
        self.requests.append(("POST", path, body))
        if path == "/api/repos/create":
            return self._reply(
                {
                    "url": f"http://{self.headers['Host']}/datasets/{body['organization']}/{body['name']}",
                    "name": f"{body['organization']}/{body['name']}",
                }
            )
        if path == "/api/validate-yaml":
            return self._reply({"errors": [], "warnings": []})
        if "/preupload/" in path:  # every file as a regular (inline base64) upload: no LFS/Xet server needed
            return self._reply(
                {
                    "files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                        for f in body["files"]
                    ]
                }
            )
        if "/branch/" in path:
            return self._reply({})
        self._reply({"error": f"unexpected {path}"}, 404)


@pytest.fixture
def hub():
    FakeHub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeHub.requests
    server.shutdown()
    server.server_close()


def _publish(
    folder: Path, endpoint: str, tmp_path: Path, *args: str, token: str | None = "fake"
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
    )
    if token is not None:
        env["HF_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "vixray_data.cli", "publish", str(folder), "--repo", REPO, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_lists_every_published_file_and_the_total_then_stops(demo_dir, capsys):
    assert cli.main(["publish", str(demo_dir), "--repo", REPO, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    listed = [line.split()[-1] for line in out[: len(PUBLISHED)]]
    assert listed == PUBLISHED
    for line, rel in zip(out, PUBLISHED, strict=False):
        assert int(line.split()[0].replace(",", "")) == (demo_dir / rel).stat().st_size
    total = sum((demo_dir / rel).stat().st_size for rel in PUBLISHED)
    assert out[len(PUBLISHED)].split()[0].replace(",", "") == str(total)
    assert f"total: {len(PUBLISHED)} file(s)" in out[len(PUBLISHED)]
    assert out[-1] == "dry run: nothing uploaded"
    assert schema.REJECTS not in "\n".join(out)  # rejects name export records: kept local


def test_publish_uploads_through_the_hub_client_with_the_manifest_hash(demo_dir, hub, tmp_path):
    endpoint, requests = hub
    result = _publish(demo_dir, endpoint, tmp_path, "--private")
    assert result.returncode == 0, result.stderr
    create = [body for method, path, body in requests if path == "/api/repos/create"]
    assert create == [{"name": "vixray-demo", "organization": "bv175", "visibility": "private", "type": "dataset"}]
    preupload = [body for _, path, body in requests if path == f"/api/datasets/{REPO}/preupload/main"]
    assert sorted(f["path"] for f in preupload[0]["files"]) == sorted(PUBLISHED)
    commits = [body for _, path, body in requests if path == f"/api/datasets/{REPO}/commit/main"]
    assert len(commits) == 1
    header, *files = commits[0]["lines"]
    assert header["value"]["summary"] == f"ViX-Ray build, manifest sha256 {sha256_file(demo_dir / schema.MANIFEST)}"
    assert sorted(f["value"]["path"] for f in files) == sorted(PUBLISHED)
    for f in files:  # the bytes that arrived are the build's
        assert base64.b64decode(f["value"]["content"]) == (demo_dir / f["value"]["path"]).read_bytes()
    assert commits[0]["auth"] == "Bearer fake"
    assert f"{endpoint}/datasets/{REPO}/settings" in result.stdout
    assert "Gating" in result.stdout


def test_publish_to_a_branch_creates_it_and_commits_there(demo_dir, hub, tmp_path):
    endpoint, requests = hub
    result = _publish(demo_dir, endpoint, tmp_path, "--revision", "v1-candidate")
    assert result.returncode == 0, result.stderr
    paths = [path for _, path, _ in requests]
    assert f"/api/datasets/{REPO}/branch/v1-candidate" in paths
    assert f"/api/datasets/{REPO}/commit/v1-candidate" in paths


def test_publish_refuses_an_invalid_build_before_contacting_the_hub(demo_dir, hub, tmp_path):
    endpoint, requests = hub
    broken = shutil.copytree(demo_dir, tmp_path / "broken")
    (broken / "data" / "test-00000-of-00001.parquet").write_bytes(b"not parquet")
    result = _publish(broken, endpoint, tmp_path)
    assert result.returncode == ValidationError.exit_code
    assert "data/test-00000-of-00001.parquet: sha256" in result.stderr
    assert requests == []


def test_publish_without_a_token_refuses_and_uploads_nothing(demo_dir, hub, tmp_path):
    endpoint, requests = hub
    result = _publish(demo_dir, endpoint, tmp_path, token=None)
    assert result.returncode != 0
    assert "no Hugging Face token" in result.stderr and "HF_TOKEN" in result.stderr
    assert requests == []


def test_the_cli_has_no_token_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["publish", "x", "--repo", REPO, "--token", "secret"])
    assert "unrecognized arguments: --token" in capsys.readouterr().err


def test_a_big_build_goes_up_as_data_commits_then_the_card_last(demo_dir):
    upload = plan(demo_dir, REPO, batch_bytes=60_000)
    assert upload.batches[-1] == [schema.CARD, croissant.CROISSANT, schema.MANIFEST]
    data = [p for batch in upload.batches[:-1] for p in batch]
    assert data == [p for p in PUBLISHED if p.startswith("data/")]
    assert len(upload.batches) >= 3


def test_a_repo_id_without_an_organisation_is_refused(demo_dir):
    with pytest.raises(Exception, match="ORG/NAME"):
        publish(demo_dir, repo="vixray", dry_run=True, say=lambda line: None)


def test_an_unreachable_hub_gives_one_clear_error(demo_dir, tmp_path):
    import socket

    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _publish(demo_dir, f"http://127.0.0.1:{port}", tmp_path)
    assert result.returncode == 7
    assert f"cannot reach the hub at http://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
