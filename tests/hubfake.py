"""A dataset repository in the published release's layout, and a loopback server that serves it as the hub does.

The server answers the requests ``datasets.load_dataset(repo_id)`` makes through huggingface_hub (file
metadata and downloads under ``/datasets/{repo}/resolve/{revision}/{path}``, repository info, tree listing
and paths-info under ``/api/datasets/{repo}``); everything else is a 404 and is recorded, so a test can see
what the client asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

COMMIT = "0123456789abcdef0123456789abcdef01234567"
#: The published release's splits and, per row, what the loader must make of it (written out, not computed).
RELEASE_SPLITS = {"train": 4, "val": 2, "test": 2}


def png(value: int, size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size, size), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def release_folder(root: Path, *, ages: dict[str, list] | None = None) -> Path:
    """A folder in the release's layout: ``data/{train,val,test}-00000-of-00001.parquet`` with an ``Image`` feature,
    columns ``image, findings, impressions, Ages, sex, view, Ghi chú, Kỹ thuật``, and a README whose YAML
    declares the splits. Ages are ``60 + row`` unless ``ages`` gives a split's values."""
    (root / "data").mkdir(parents=True)
    for split, n in RELEASE_SPLITS.items():
        table = pa.table(
            {
                "image": [{"bytes": png(i), "path": f"{split}{i}.png"} for i in range(n)],
                "findings": [f"Bóng tim to {split} {i}." for i in range(n)],
                "impressions": ["Bóng tim to."] * n,
                "Ages": (ages or {}).get(split, [str(60 + i) for i in range(n)]),
                "sex": ["Male", "Female"] * (n // 2),
                "view": ["PA"] * n,
                "Ghi chú": ["Chụp Xquang ngực thẳng"] * n,
                "Kỹ thuật": ["Chụp Xquang tim phổi thẳng"] * n,
            }
        ).replace_schema_metadata(
            {
                "huggingface": json.dumps(
                    {
                        "info": {
                            "features": {
                                "image": {"_type": "Image"},
                                "findings": {"dtype": "string", "_type": "Value"},
                                "impressions": {"dtype": "string", "_type": "Value"},
                                "Ages": {"dtype": "string", "_type": "Value"},
                                "sex": {"dtype": "string", "_type": "Value"},
                                "view": {"dtype": "string", "_type": "Value"},
                                "Ghi chú": {"dtype": "string", "_type": "Value"},
                                "Kỹ thuật": {"dtype": "string", "_type": "Value"},
                            }
                        }
                    }
                )
            }
        )
        pq.write_table(table, root / "data" / f"{split}-00000-of-00001.parquet")
    header = "".join(f"  - split: {s}\n    path: data/{s}-*\n" for s in RELEASE_SPLITS)
    (root / "README.md").write_text(
        f"---\nconfigs:\n- config_name: default\n  data_files:\n{header}---\n# ViX-Ray\n", encoding="utf-8"
    )
    return root


class HubRepo(BaseHTTPRequestHandler):
    """Serves ``root`` as dataset repository ``repo`` at revision ``main`` = :data:`COMMIT`."""

    root: Path
    repo: str
    requests: list[str]

    def log_message(self, *args):  # keep pytest output clean
        pass

    # -- replies ---------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, obj, status: int = 200, *, head: bool = False, **headers: str) -> None:
        self._send(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **headers}, head=head)

    def _missing(self, code: str = "EntryNotFound", *, head: bool = False) -> None:
        self._json({"error": code}, 404, head=head, **{"X-Error-Code": code, "X-Error-Message": code})

    def _entry(self, path: Path) -> dict:
        rel = path.relative_to(self.root).as_posix()
        if path.is_dir():
            return {"type": "directory", "path": rel, "oid": hashlib.sha1(rel.encode()).hexdigest()}
        data = path.read_bytes()
        entry = {"type": "file", "path": rel, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
        if path.suffix == ".parquet":
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 130}
        return entry

    def _file(self, rel: str) -> Path | None:
        path = (self.root / rel).resolve()
        return path if path.is_file() and self.root.resolve() in path.parents else None

    # -- routes ----------------------------------------------------------------------------------------
    def _route(self, *, head: bool = False) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        self.requests.append(f"{self.command} {path}")
        resolve = f"/datasets/{self.repo}/resolve/"
        api = f"/api/datasets/{self.repo}"
        if path.startswith(resolve):
            _, rel = path[len(resolve) :].split("/", 1)
            found = self._file(rel)
            if found is None:
                return self._missing(head=head)
            data = found.read_bytes()
            return self._send(
                200,
                data,
                {
                    "Content-Type": "application/octet-stream",
                    "X-Repo-Commit": COMMIT,
                    "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
                },
                head=head,
            )
        if path in (api, f"{api}/revision/main", f"{api}/revision/{COMMIT}"):
            siblings = [
                {"rfilename": p.relative_to(self.root).as_posix()} for p in sorted(self.root.rglob("*")) if p.is_file()
            ]
            return self._json(
                {
                    "id": self.repo,
                    "sha": COMMIT,
                    "private": False,
                    "gated": False,
                    "disabled": False,
                    "siblings": siblings,
                    "cardData": {},
                    "tags": [],
                },
                head=head,
            )
        if path.startswith(f"{api}/tree/"):
            _, rel = (path[len(f"{api}/tree/") :] + "/").split("/", 1)
            folder = self.root / rel.strip("/")
            if not folder.is_dir():
                return self._missing(head=head)
            recursive = parse_qs(url.query).get("recursive", ["false"])[0].lower() == "true"
            children = sorted(folder.rglob("*") if recursive else folder.iterdir())
            return self._json([self._entry(p) for p in children], head=head)
        if path.startswith(f"{api}/paths-info/"):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = parse_qs(raw) if "=" in raw and not raw.lstrip().startswith("{") else {}
            paths = form.get("paths") or json.loads(raw or "{}").get("paths", [])
            found = [self._entry(self.root / p) for p in paths if (self.root / p).exists()]
            return self._json(found, head=head)
        return self._missing("RepoNotFound" if not path.startswith(api) else "EntryNotFound", head=head)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._route()

    def do_HEAD(self):  # noqa: N802
        self._route(head=True)

    def do_POST(self):  # noqa: N802
        self._route()


class FakeHub:
    """A running loopback hub serving one repository; ``endpoint`` goes in ``HF_ENDPOINT``."""

    def __init__(self, root: Path, repo: str):
        handler = type("Handler", (HubRepo,), {"root": Path(root), "repo": repo, "requests": []})
        self.requests: list[str] = handler.requests
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
