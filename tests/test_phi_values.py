"""Identifying values the source listed, of any record, in their common spellings; the merge and replacement."""

from __future__ import annotations

from phi_helpers import scrubbed

from vixray_data.phi import Analyzer, Span, ValueIndex, find_phi, merge, redact


def test_listed_values_match_in_their_common_spellings():
    analyzer = Analyzer(values=ValueIndex(["NGUYEN^VAN^AN", "Trần Thị Hoa", "14/03/1952", "0912 345 678"]))
    text = "nguyễn văn an, Nguyen V. An, TranThiHoa, TRAN THI HOA, 1952-03-14, 0912345678; vôi hóa"
    assert scrubbed(text, analyzer) == "___, ___, ___, ___, ___, ___; vôi hóa"


def test_a_one_word_value_keeps_its_diacritics():
    assert scrubbed("Bà Hòa. Vôi hóa.", Analyzer(values=ValueIndex(["Hòa"]))) == "Bà ___. Vôi hóa."


def test_a_listed_clinical_word_is_not_removed():
    """An extra column holding "Không" or "Lao" must not strip the negations and diagnoses of every report."""
    analyzer = Analyzer(values=ValueIndex(["Không", "Lao phổi", "Tuyết"]))
    assert (
        scrubbed("Bóng tim không to. Lao phổi cũ. Người nhà Tuyết.", analyzer)
        == "Bóng tim không to. Lao phổi cũ. Người nhà ___."
    )


def test_values_do_not_match_across_a_bracket_or_comma():
    # the value index alone: the category recognizers may still read "An" in mid-sentence as a proper name
    assert ValueIndex(["NGUYEN^VAN^AN"]).find("Văn, An (Nguyễn)") == []


def test_overlapping_spans_merge_and_pieces_of_one_address_join():
    text = "123 Lê Lợi, Quận 1"
    merged = merge([Span(0, 10, "address"), Span(4, 10, "name"), Span(12, 18, "address")], text)
    assert merged == [Span(0, 18, "address")]


def test_replacements_are_counted_per_category_and_spans_hold_no_value():
    text = "BS. Lê Văn Hùng, ĐT 0912 345 678, ngày 12/03/2024"
    spans = find_phi(text)
    cleaned, counts = redact(text, spans)
    assert cleaned == "BS. ___, ĐT ___, ngày ___"
    assert counts == {"name": 1, "phone": 1, "date": 1}
    assert all(set(vars(s)) == {"start", "end", "category"} for s in spans)
