"""The PHI categories are one list: every recognizer declares what it finds, every category has a tie-break rank,
and the residual-PHI scan looks for all of them but the build's own listed values."""

from __future__ import annotations

from vixray_data.build import residual_scan
from vixray_data.phi import CATEGORIES, RECOGNIZERS, Span, merge
from vixray_data.phi.spans import ADDRESS, NAME, PHONE, VALUE


def test_the_recognizers_together_find_every_category_but_the_listed_values_and_nothing_else():
    found = [category for categories, _ in RECOGNIZERS for category in categories]
    assert set(found) == set(CATEGORIES) - {VALUE}


def test_the_residual_scan_looks_for_every_category_a_recognizer_finds_in_the_lists_order():
    assert residual_scan.CATEGORIES == (
        "name",
        "date",
        "age_over_89",
        "phone",
        "email",
        "address",
        "facility",
        "national_id",
        "insurance",
        "record_number",
        "other_id",
        "url",
        "ip",
    )


def test_a_tie_goes_to_the_recognizer_listed_first_and_a_listed_value_comes_last():
    text = "0912 345 678 Lê Lợi"
    assert merge([Span(0, 12, NAME), Span(0, 12, PHONE)], text) == [Span(0, 12, PHONE)]
    assert merge([Span(13, 19, VALUE), Span(13, 19, ADDRESS)], text) == [Span(13, 19, ADDRESS)]
