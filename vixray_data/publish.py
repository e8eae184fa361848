"""Upload a validated build to the Hugging Face Hub, or show what would be uploaded.

Nothing is uploaded unless :func:`vixray_data.validate.validate` passes. The token comes only from
huggingface_hub's own mechanisms (``HF_TOKEN`` or ``hf auth login``'s cache): never from the command line
or a file in the repository. ``huggingface_hub`` 2.x has no ``upload_large_folder``, so a big build goes
up as several ``upload_folder`` commits of data shards (each under :data:`BATCH_BYTES`), and the card,
manifest and Croissant file come last in a commit named after the manifest hash: the hub's viewer never
sees a card that announces shards not yet uploaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import schema
from .errors import PublishError
from .manifest import Manifest
from .validate import validate

log = logging.getLogger(__name__)

#: Files a build holds that are not published: rejects.jsonl names records of the hospital export.
NOT_PUBLISHED = (schema.REJECTS,)
#: Largest total size of the data shards sent in one commit.
BATCH_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class UploadFile:
    path: str  # relative, posix
    bytes: int


@dataclass
class PublishPlan:
    """What ``publish`` sends: files in order, the commits they go in, the commit message."""

    folder: Path
    repo: str
    files: list[UploadFile]
    manifest_hash: str
    batches: list[list[str]]  # data-shard commits, then the metadata commit last

    @property
    def total_bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    @property
    def commit_message(self) -> str:
        return f"ViX-Ray build, manifest sha256 {self.manifest_hash}"

    def describe(self) -> str:
        lines = [f"{f.bytes:>14,d}  {f.path}" for f in self.files]
        lines.append(
            f"{self.total_bytes:>14,d}  total: {len(self.files)} file(s), {self.total_bytes / 1e6:.2f} MB "
            f"in {len(self.batches)} commit(s) to datasets/{self.repo}"
        )
        return "\n".join(lines)


def plan(folder: Path, repo: str, *, batch_bytes: int = BATCH_BYTES) -> PublishPlan:
    """The files of ``folder`` to upload (all but :data:`NOT_PUBLISHED` and hidden files) and their commits."""
    folder = Path(folder)
    _check_repo_id(repo)
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in NOT_PUBLISHED or any(part.startswith(".") for part in Path(rel).parts):
            continue
        files.append(UploadFile(rel, path.stat().st_size))
    data = [f for f in files if f.path.startswith("data/")]
    meta = [f.path for f in files if not f.path.startswith("data/")]
    batches: list[list[str]] = []
    if sum(f.bytes for f in files) <= batch_bytes:
        batches.append([f.path for f in files])
    else:
        current: list[str] = []
        size = 0
        for f in data:
            if current and size + f.bytes > batch_bytes:
                batches.append(current)
                current, size = [], 0
            current.append(f.path)
            size += f.bytes
        if current:
            batches.append(current)
        batches.append(meta)
    return PublishPlan(
        folder=folder, repo=repo, files=files, manifest_hash=Manifest.read(folder).sha256(), batches=batches
    )


def _check_repo_id(repo: str) -> None:
    parts = repo.split("/")
    if len(parts) != 2 or not all(parts):
        raise PublishError(f"--repo must be ORG/NAME, got {repo!r}")


def settings_url(repo: str, endpoint: str | None = None) -> str:
    """Where the repository's access-request (gating) settings are."""
    from huggingface_hub import constants

    return f"{(endpoint or constants.ENDPOINT).rstrip('/')}/datasets/{repo}/settings"


def publish(
    folder: Path,
    *,
    repo: str,
    private: bool = False,
    revision: str | None = None,
    dry_run: bool = False,
    sample: int | None = None,
    say: Callable[[str], None] = print,
    progress: bool = False,
) -> PublishPlan:
    """Validate ``folder``, show what goes up, and (unless ``dry_run``) upload it to the dataset ``repo``.

    ``say`` receives the lines meant for the user (the CLI prints them); ``progress`` shows the validation's bars.
    """
    validate(folder, sample=sample, progress=progress)  # raises ValidationError listing every problem
    upload = plan(folder, repo)
    say(upload.describe())
    if dry_run:
        say("dry run: nothing uploaded")
        return upload

    import httpx2  # huggingface_hub's HTTP client: its transport errors mean the hub was not reached
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    if get_token() is None:
        raise PublishError(
            "no Hugging Face token: run `hf auth login` or set HF_TOKEN (never pass it on the "
            "command line or keep it in the repository)"
        )
    api = HfApi()
    try:
        url = api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        if revision:
            api.create_branch(repo, branch=revision, repo_type="dataset", exist_ok=True)
        for i, batch in enumerate(upload.batches, 1):
            last = i == len(upload.batches)
            message = (
                upload.commit_message
                if last
                else f"Data shards {i}/{len(upload.batches) - 1} of build {upload.manifest_hash[:16]}"
            )
            log.info("commit %d/%d: %d file(s)", i, len(upload.batches), len(batch))
            info = api.upload_folder(
                folder_path=str(folder),
                repo_id=repo,
                repo_type="dataset",
                revision=revision,
                allow_patterns=batch,
                commit_message=message,
            )
    except HfHubHTTPError as exc:
        raise PublishError(f"the hub refused the upload to datasets/{repo}: {exc}") from exc
    except httpx2.TransportError as exc:
        raise PublishError(f"cannot reach the hub at {api.endpoint}: {type(exc).__name__}: {exc}") from exc
    say(f"uploaded {len(upload.files)} file(s) to {url} ({info.commit_url})")
    say(
        "Gating (the data-use agreement's access requests) is a setting of the hub repository, not of the card: "
        f"turn on 'Access requests' at {settings_url(repo)}"
    )
    return upload
