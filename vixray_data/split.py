"""Split records into train / validation / test: deterministic by seed, at patient level when a key exists.

Groups (a patient's studies, or a single study without a patient key) are ordered by a seeded hash of
their key, so the split of a record does not depend on the order the source lists records in. Groups are
then dealt greedily to the split furthest below its target, which hits the targets to within one group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import schema
from .errors import SplitError


@dataclass(frozen=True)
class SplitPlan:
    """Record indices per split (in input order) and the indices that fit no split (explicit sizes only)."""

    indices: dict[str, list[int]]
    surplus: list[int]
    targets: dict[str, int]
    groups: int = 0  # patients (records without a patient key count one each): splits cannot outnumber them

    def counts(self) -> dict[str, int]:
        return {name: len(idx) for name, idx in self.indices.items()}


def targets_for(
    total: int,
    *,
    ratios: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    names: Sequence[str] = schema.SPLITS,
) -> dict[str, int]:
    """Records wanted per split: explicit ``sizes``, else ``ratios`` of ``total`` by largest remainder."""
    if sizes is not None:
        if len(sizes) != len(names) or any(s < 0 for s in sizes):
            raise SplitError(f"split sizes must be {len(names)} non-negative counts ({', '.join(names)}), got {sizes}")
        if sum(sizes) > total:
            raise SplitError(
                f"split sizes {','.join(map(str, sizes))} add up to {sum(sizes)}, "
                f"more than the {total} records accepted"
            )
        return dict(zip(names, sizes, strict=True))
    ratios = tuple(ratios or schema.SPLIT_RATIOS)
    if len(ratios) != len(names) or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise SplitError(f"split ratios must be {len(names)} non-negative numbers, got {ratios}")
    scale = sum(ratios)
    exact = [total * r / scale for r in ratios]
    counts = [int(x) for x in exact]
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return dict(zip(names, counts, strict=True))


def _rank(seed: int, key: str) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{key}".encode()).digest()


def plan_splits(
    patients: Sequence[str | None],
    *,
    seed: int,
    ratios: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    names: Sequence[str] = schema.SPLITS,
    ids: Sequence[str] | None = None,
) -> SplitPlan:
    """Assign record ``i`` (with pseudonymous patient ``patients[i]``, or None) to a split.

    No patient lands in two splits. With ``sizes`` summing to fewer records than given, the groups that
    fit nowhere are returned as ``surplus`` (the builder lists them as rejects); with ratios, every record
    is placed. ``ids`` (same length) key the records without a patient; defaults to their index.
    Explicit ``sizes`` that whole patients cannot meet raise :class:`SplitError` naming the shortfall.
    """
    numbers: dict[str, int] = {}
    group_of = np.fromiter(
        (
            numbers.setdefault(f"p:{patient}" if patient else f"r:{ids[i] if ids is not None else i}", len(numbers))
            for i, patient in enumerate(patients)
        ),
        dtype=np.int64,
        count=len(patients),
    )
    labels = _labels(group_of, list(numbers), seed=seed, ratios=ratios, sizes=sizes, names=names)
    return labels.plan()


@dataclass(frozen=True)
class SplitLabels:
    """The split of each record as an array (its position in ``names``; -1: in no split, a surplus record): what
    :class:`SplitPlan` says, in a byte per record."""

    labels: np.ndarray
    names: tuple[str, ...]
    targets: dict[str, int]
    groups: int

    def plan(self) -> SplitPlan:
        return SplitPlan(
            indices={n: np.flatnonzero(self.labels == k).tolist() for k, n in enumerate(self.names)},
            surplus=np.flatnonzero(self.labels < 0).tolist(),
            targets=self.targets,
            groups=self.groups,
        )


def label_splits(
    patients: np.ndarray,
    has_patient: np.ndarray,
    ids: np.ndarray,
    *,
    seed: int,
    ratios: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    names: Sequence[str] = schema.SPLITS,
) -> SplitLabels:
    """:func:`plan_splits` for pseudonyms held as 64-bit integers (the 16 hex digits of each; ``has_patient``
    False where a record has no patient key): the same splits, without a string per record."""
    group_of = np.empty(len(ids), dtype=np.int64)
    with_patient = np.flatnonzero(has_patient)
    without = np.flatnonzero(~has_patient)
    patient_codes, patient_groups = np.unique(patients[with_patient], return_inverse=True)
    id_codes, id_groups = np.unique(ids[without], return_inverse=True)
    group_of[with_patient] = patient_groups
    group_of[without] = id_groups + len(patient_codes)
    keys = _Keys(patient_codes, id_codes)
    return _labels(group_of, keys, seed=seed, ratios=ratios, sizes=sizes, names=names)


class _Keys(Sequence[str]):
    """The group keys of :func:`label_splits` (``p:`` + patient, ``r:`` + id), made one at a time when ranked."""

    def __init__(self, patients: np.ndarray, ids: np.ndarray) -> None:
        self.patients, self.ids = patients, ids

    def __len__(self) -> int:
        return len(self.patients) + len(self.ids)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]  # ints only: no slices here
        if index < len(self.patients):
            return f"p:{int(self.patients[index]):016x}"
        return f"r:{int(self.ids[index - len(self.patients)]):016x}"


def _labels(
    group_of: np.ndarray,
    keys: Sequence[str],
    *,
    seed: int,
    ratios: Sequence[float] | None,
    sizes: Sequence[int] | None,
    names: Sequence[str],
) -> SplitLabels:
    """Record ``i`` belongs to group ``group_of[i]``, keyed ``keys[group]``: groups are ranked by a seeded hash of
    their key and dealt to the split furthest below its target."""
    names = tuple(names)
    total = len(group_of)
    targets = targets_for(total, ratios=ratios, sizes=sizes, names=names)
    members = np.bincount(group_of, minlength=len(keys)) if total else np.zeros(len(keys), dtype=np.int64)
    digests = np.empty((len(keys), 32), dtype=np.uint8)
    for group in range(len(keys)):
        digests[group] = np.frombuffer(_rank(seed, keys[group]), dtype=np.uint8)
    words = digests.view(">u8")  # 4 big-endian words per digest: their order is the digests' byte order
    ranked = np.lexsort(tuple(words[:, k] for k in range(3, -1, -1))) if len(keys) else np.arange(0)
    placed = dict.fromkeys(names, 0)
    split_of = np.full(len(keys), -1, dtype=np.int8)
    must_place = sizes is None or sum(targets.values()) == total
    for group in ranked.tolist():
        count = int(members[group])
        deficit = {n: targets[n] - placed[n] for n in names}
        fitting = [n for n in names if deficit[n] >= count]
        pool = fitting or ([n for n in names if deficit[n] > 0] if must_place else [])
        if not pool and must_place:
            pool = list(names)
        if not pool:
            continue  # a surplus group
        # furthest below target, relative to the target; ties go to the earlier split
        best = max(pool, key=lambda n: (deficit[n] / targets[n] if targets[n] else -placed[n] - 1, -names.index(n)))
        placed[best] += count
        split_of[group] = names.index(best)
    if sizes is not None:
        short = [f"{n} would get {placed[n]} of {targets[n]}" for n in names if placed[n] < targets[n]]
        if short:
            biggest = int(members.max()) if len(members) else 0
            raise SplitError(
                f"split sizes {','.join(map(str, sizes))} cannot be met at patient level "
                f"({'; '.join(short)}): {len(keys)} patient(s), the largest with {biggest} "
                "record(s), and no patient is split across splits"
            )
    return SplitLabels(labels=split_of[group_of], names=names, targets=targets, groups=len(keys))
