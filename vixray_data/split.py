"""Split records into train / validation / test: deterministic by seed, at patient level when a key exists.

Groups (a patient's studies, or a single study without a patient key) are ordered by a seeded hash of
their key, so the split of a record does not depend on the order the source lists records in. Groups are
then dealt greedily to the split furthest below its target, which hits the targets to within one group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

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
    total = len(patients)
    targets = targets_for(total, ratios=ratios, sizes=sizes, names=names)
    groups: dict[str, list[int]] = {}
    for i, patient in enumerate(patients):
        key = f"p:{patient}" if patient else f"r:{ids[i] if ids is not None else i}"
        groups.setdefault(key, []).append(i)
    placed: dict[str, list[int]] = {name: [] for name in names}
    surplus: list[int] = []
    must_place = sizes is None or sum(targets.values()) == total
    for key in sorted(groups, key=lambda k: _rank(seed, k)):
        members = groups[key]
        deficit = {n: targets[n] - len(placed[n]) for n in names}
        fitting = [n for n in names if deficit[n] >= len(members)]
        pool = fitting or ([n for n in names if deficit[n] > 0] if must_place else [])
        if not pool and must_place:
            pool = list(names)
        if not pool:
            surplus.extend(members)
            continue
        # furthest below target, relative to the target; ties go to the earlier split
        best = max(
            pool, key=lambda n: (deficit[n] / targets[n] if targets[n] else -len(placed[n]) - 1, -names.index(n))
        )
        placed[best].extend(members)
    if sizes is not None:
        short = [f"{n} would get {len(placed[n])} of {targets[n]}" for n in names if len(placed[n]) < targets[n]]
        if short:
            biggest = max((len(m) for m in groups.values()), default=0)
            raise SplitError(
                f"split sizes {','.join(map(str, sizes))} cannot be met at patient level "
                f"({'; '.join(short)}): {len(groups)} patient(s), the largest with {biggest} "
                "record(s), and no patient is split across splits"
            )
    return SplitPlan(
        indices={n: sorted(v) for n, v in placed.items()}, surplus=sorted(surplus), targets=targets, groups=len(groups)
    )
