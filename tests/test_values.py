"""The one set of value parsers and header aliases: every form the loader's and the de-identifier's old copies read."""

from __future__ import annotations

import math

import pytest

from vixray_data import schema
from vixray_data.sources import table
from vixray_data.text import header_key
from vixray_data.values import (
    DATASET_ALIASES,
    FIELD_ALIASES,
    TABLE_ALIASES,
    age_from_dates,
    age_years,
    parse_age,
    parse_sex,
    parse_view,
)


@pytest.mark.parametrize(
    ("value", "years"),
    [
        # the de-identifier's forms: DICOM AgeString (Y/M/W/D), Vietnamese and English words, numbers from Excel
        ("072Y", 72),
        ("030M", 2),
        ("010W", 0),
        ("010D", 0),
        ("400D", 1),
        ("72 tuổi", 72),
        ("72 TUOI", 72),
        ("72t", 72),
        ("72 years", 72),
        ("72 yrs", 72),
        ("72yo", 72),
        ("72.0", 72),
        (72.0, 72),
        ("089Y", 89),
        # the loader's forms: the release's string ages, plain numbers, fractional numbers, padded strings
        ("60", 60),
        (60, 60),
        (0, 0),
        ("0", 0),
        (1.5, 1),
        ("1,5", 1),
        (" 45 ", 45),
        ("18 tháng", 1),
        ("3 tuần", 0),
    ],
)
def test_every_age_form_becomes_whole_years(value, years):
    assert parse_age(value) == years


@pytest.mark.parametrize("value", [None, "", "   ", math.nan])
def test_an_empty_age_is_none(value):
    assert parse_age(value) is None


@pytest.mark.parametrize(("value", "capped"), [("90", 90), ("95", 90), (120, 90), ("104Y", 90), ("89", 89)])
def test_ages_over_89_are_written_as_90_and_age_years_keeps_the_true_value(value, capped):
    assert parse_age(value) == capped
    assert age_years(value) == int(str(value).rstrip("Y"))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("150", "impossible age"),
        (121, "impossible age"),
        ("1500M", "impossible age"),
        ("abc", "not a number"),
        ("-5", "not a number"),
        ("Tuổi 72", "not a number"),
        ("72 giờ", "unknown unit"),
        (math.inf, "not a finite"),
        (True, "true/false"),
    ],
)
def test_unreadable_or_impossible_ages_raise_without_repeating_the_value(value, problem):
    with pytest.raises(ValueError, match=problem) as caught:
        parse_age(value)
    assert str(value) not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "sex"),
    [
        ("Nam", schema.MALE),
        ("nam", schema.MALE),
        ("NAM", schema.MALE),
        ("M", schema.MALE),
        ("male", schema.MALE),
        ("Man", schema.MALE),
        ("Nam giới", schema.MALE),
        ("Nữ", schema.FEMALE),
        ("nữ", schema.FEMALE),
        ("nu", schema.FEMALE),
        ("NỮ", schema.FEMALE),
        ("F", schema.FEMALE),
        ("Female", schema.FEMALE),
        ("woman", schema.FEMALE),
        (" Nữ ", schema.FEMALE),
        ("Nữ giới", schema.FEMALE),
        ("", None),
        (None, None),
    ],
)
def test_sex_in_either_language_becomes_nam_or_nu(value, sex):
    assert parse_sex(value) == sex


def test_an_unknown_sex_raises_without_the_value():
    with pytest.raises(ValueError, match="unknown sex") as caught:
        parse_sex("Khác-X")
    assert "Khác-X" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "view"),
    [
        *[(v, v) for v in schema.VIEW_VALUES],
        ("pa", "PA"),
        ("LAT.", "LAT"),
        ("Lateral", "LAT"),
        ("LATERAL", "LAT"),
        ("POSTERO-ANTERIOR", "PA"),
        ("Antero-posterior", "AP"),
        ("PA (thẳng)", "PA"),
        ("AP/supine", "AP"),
        ("PA-erect", "PA"),
        ("antero-posterior (supine)", "AP"),
        (" ap ", "AP"),
        ("", None),
        (None, None),
    ],
)
def test_views_become_the_schema_codes(value, view):
    assert parse_view(value) == view


def test_an_unknown_view_raises_naming_the_accepted_ones_not_the_value():
    with pytest.raises(ValueError, match="unknown view .*PA, AP") as caught:
        parse_view("OBLIQUE")
    assert "OBLIQUE" not in str(caught.value)


def test_the_loader_and_the_table_reader_share_every_field_alias():
    assert table.ALIASES is TABLE_ALIASES
    for name, aliases in FIELD_ALIASES.items():
        assert DATASET_ALIASES[name] == TABLE_ALIASES[name] == aliases
    # the members that only one old copy had are now in both
    assert {"dotuoi", "position", "protocol", "ketquamota", "ketqua", "chandoan", "huongchup"} <= {
        a for aliases in FIELD_ALIASES.values() for a in aliases
    }


def test_aliases_are_header_keys_and_no_alias_names_two_fields():
    for aliases in (DATASET_ALIASES, TABLE_ALIASES):
        seen: dict[str, str] = {}
        for name, variants in aliases.items():
            for alias in variants:
                assert header_key(alias) == alias
                assert seen.setdefault(alias, name) == name, alias


def test_age_is_computed_from_birth_and_study_dates_in_several_formats():
    assert age_from_dates("19520314", "20240105") == 71
    assert age_from_dates("14/03/1952", "2024-03-14") == 72
    assert age_from_dates("1952-03-14 00:00:00", "14.03.2024") == 72
    assert age_from_dates("20250101", "20240101") is None
    assert age_from_dates("", "20240101") is None
