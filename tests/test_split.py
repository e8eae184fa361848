"""Splits: deterministic by seed, patient-level, ratios or explicit sizes honoured."""

from __future__ import annotations

import random

import numpy as np
import pytest

from vixray_data import schema
from vixray_data.split import SplitError, label_splits, plan_splits, targets_for


def _patients(n: int, seed: int = 0) -> list[str | None]:
    """n records; about a third share a patient with another record; some have no patient key."""
    rng = random.Random(seed)
    out: list[str | None] = []
    while len(out) < n:
        key = f"p{len(out)}" if rng.random() > 0.1 else None
        out.extend([key] * (rng.choice((1, 1, 2, 3)) if key else 1))
    return out[:n]


def test_no_patient_is_in_two_splits():
    patients = _patients(2000)
    plan = plan_splits(patients, seed=1)
    where: dict[str, str] = {}
    for split, indices in plan.indices.items():
        for i in indices:
            if patients[i] is not None:
                assert where.setdefault(patients[i], split) == split
    assert sorted(i for v in plan.indices.values() for i in v) == list(range(2000))  # every record placed once


def test_same_seed_gives_the_same_split_and_another_seed_a_different_one():
    patients = _patients(500)
    assert plan_splits(patients, seed=3) == plan_splits(patients, seed=3)
    assert plan_splits(patients, seed=3).indices != plan_splits(patients, seed=4).indices


def test_default_ratio_is_8_1_1_exactly_without_patient_groups():
    plan = plan_splits([None] * 5400, seed=175)
    assert plan.counts() == {schema.TRAIN: 4320, schema.VALIDATION: 540, schema.TEST: 540}


def test_ratios_hold_to_within_one_group_with_patient_groups():
    plan = plan_splits(_patients(1000, seed=2), seed=175)
    for split, want in zip(schema.SPLITS, (800, 100, 100), strict=True):
        assert abs(plan.counts()[split] - want) <= 3  # the largest group has 3 studies


def test_explicit_sizes_are_honoured_and_the_surplus_is_reported():
    plan = plan_splits([None] * 5400, seed=175, sizes=(4320, 520, 520))  # the paper's Table 3 sums to 5,360
    assert plan.counts() == {schema.TRAIN: 4320, schema.VALIDATION: 520, schema.TEST: 520}
    assert len(plan.surplus) == 40


def test_sizes_larger_than_the_corpus_are_refused_with_the_numbers():
    with pytest.raises(SplitError, match="5400"):
        plan_splits([None] * 100, seed=1, sizes=(4320, 540, 540))


def test_the_split_of_a_record_does_not_depend_on_input_order():
    patients = _patients(400, seed=5)
    ids = [f"r{i}" for i in range(400)]
    order = list(range(400))
    random.Random(0).shuffle(order)
    straight = plan_splits(patients, ids=ids, seed=9)
    shuffled = plan_splits([patients[i] for i in order], ids=[ids[i] for i in order], seed=9)
    where = {ids[i]: s for s, v in straight.indices.items() for i in v}
    assert all(where[ids[order[j]]] == s for s, v in shuffled.indices.items() for j in v)


def test_targets_use_largest_remainder_rounding():
    assert targets_for(7, ratios=(0.8, 0.1, 0.1)) == {schema.TRAIN: 5, schema.VALIDATION: 1, schema.TEST: 1}
    assert sum(targets_for(61, ratios=(0.8, 0.1, 0.1)).values()) == 61


def test_pseudonyms_held_as_integers_give_the_plan_their_hex_strings_give():
    rng = random.Random(7)
    patients = [f"{rng.getrandbits(64):016x}" if key else None for key in _patients(600, seed=7)]
    for i in range(1, 600, 3):  # patients with several studies
        if patients[i - 1] is not None and rng.random() < 0.5:
            patients[i] = patients[i - 1]
    ids = [f"{rng.getrandbits(64):016x}" for _ in patients]
    codes = np.array([int(p, 16) if p else 0 for p in patients], dtype=np.uint64)
    has = np.array([p is not None for p in patients])
    id_codes = np.array([int(i, 16) for i in ids], dtype=np.uint64)
    for sizes in (None, (400, 60, 60)):
        expected = plan_splits(patients, ids=ids, seed=5, sizes=sizes)
        assert label_splits(codes, has, id_codes, seed=5, sizes=sizes).plan() == expected
