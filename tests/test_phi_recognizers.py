"""PHI recognizers, one category at a time, on sentences written the way Vietnamese reports write them."""

from __future__ import annotations

import pytest

from vixray_data.phi import Analyzer, IdShapes, ValueIndex, find_phi, redact


def scrubbed(text: str, analyzer: Analyzer | None = None) -> str:
    spans = (analyzer or Analyzer()).find(text)
    return redact(text, spans)[0]


def categories(text: str) -> set[str]:
    return {span.category for span in find_phi(text)}


@pytest.mark.parametrize(("text", "expected"), [
    ("Nguyễn Văn An đến khám.", "___ đến khám."),
    ("bs. trần thị b đọc phim", "bs. ___ đọc phim"),
    ("BÁC SĨ LÊ VĂN HÙNG", "BÁC SĨ ___"),
    ("Người đọc: hoa", "Người đọc: ___"),
    ("KTV: lan. ĐD: Mai.", "KTV: ___. ĐD: ___."),
    ("TS. Phạm Minh Quân; GS. Vũ Hoa; ThS.BS. Đỗ Lan; Dr. Smith", "TS. ___; GS. ___; ThS.BS. ___; Dr. ___"),
    ("Đại úy Hoàng Văn Nam, thiếu tá Lý Thị Hằng", "Đại úy ___, thiếu tá ___"),
    ("Trần T. Hoa tái khám", "___ tái khám"),
    ("TranThiHoa.png", "___.png"),
    ("NGUYEN_VAN_AN", "___"),
    ("Bac si Tran Van Binh", "Bac si ___"),
    ("Cao Văn Tâm", "___"),
])
def test_names_titled_untitled_any_case_abbreviated_and_run_together(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Chụp 2023-03-12T08:00", "Chụp ___"),
    ("T3/2023; 12-3-23; 12 tháng 3; 12/03", "___; ___; ___; ___"),
    ("March 12, 2023 lúc 08h30", "___ lúc ___"),
    ("ngày 5 tháng 3 năm 2023", "ngày ___"),
    ("Sinh năm 1928", "Sinh năm ___"),
])
def test_dates_times_and_birth_years(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("BN 95 tuổi", "BN ___ tuổi"), ("nam 97t, ho", "nam ___, ho"), ("Tuổi: 92", "Tuổi: ___"),
    ("BN 72 tuổi", "BN 72 tuổi"),
])
def test_ages_over_89_in_text(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(("text", "category"), [
    ("Gọi (028) 3812 3456", "phone"), ("ĐT: 0912.345.678", "phone"), ("+84 912 345 678", "phone"),
    ("CCCD 001085012345", "national_id"), ("CMND: 025123456", "national_id"),
    ("bhyt dn4797915123456", "insurance"), ("Thẻ BHYT: DN 4 79 79 15 123 456", "insurance"),
    ("Mã BN: 24001234", "record_number"), ("Số phiếu XQ-23-00456", "record_number"),
    ("an.nguyen@bv175.vn", "email"), ("xem http://pacs.bv/x?id=1", "url"), ("máy 192.168.1.20", "ip"),
    ("123 Lê Lợi, Quận 1, TP.HCM", "address"), ("Địa chỉ: thôn 3, xã Tân Phú", "address"),
])
def test_each_category_is_found_and_named(text, category):
    assert category in categories(text)
    assert "___" in scrubbed(text)


@pytest.mark.parametrize("text", [
    "Bệnh nhân COPD, theo dõi.", "BN Lao phổi cũ, xơ hóa đỉnh phổi.", "TS. Lao phổi cũ. Bóng tim không to.",
    "Đường Kerley B hai đáy phổi; dấu hiệu Golden S; thoát vị Bochdalek.", "Xẹp đốt sống T12, L1-L2.",
    "Viêm phổi COVID-19, phim PA.", "Nốt mờ 12 mm, xương sườn 10-11-12 can xương cũ.",
    "Tổn thương 1/3 dưới phổi phải.", "So sánh phim cũ năm 2019: không thay đổi.", "BN Nam, 72 tuổi.",
    "Vôi hóa quai động mạch chủ. Tăng đậm rốn phổi.", "Phim AP tại giường, ống NKQ đúng vị trí.",
    "Chụp thẳng sau trước, 110 kV, 4 mAs.", "GÃY CUNG SAU XƯƠNG SƯỜN 5 TRÁI.",
])
def test_clinical_words_survive(text):
    assert scrubbed(text) == text


def test_listed_values_of_any_record_match_in_their_common_spellings():
    analyzer = Analyzer(values=ValueIndex(["NGUYEN^VAN^AN", "Trần Thị Hoa", "14/03/1952", "0912 345 678"]))
    text = "nguyễn văn an, Nguyen V. An, TranThiHoa, TRAN THI HOA, 1952-03-14, 0912345678; vôi hóa"
    assert scrubbed(text, analyzer) == "___, ___, ___, ___, ___, ___; vôi hóa"


def test_a_one_word_value_keeps_its_diacritics():
    analyzer = Analyzer(values=ValueIndex(["Hòa"]))
    assert scrubbed("Bà Hòa. Vôi hóa.", analyzer) == "Bà ___. Vôi hóa."


def test_codes_shaped_like_the_exports_ids_are_record_numbers():
    analyzer = Analyzer(shapes=IdShapes(["ACC-0001", "BN900"]))
    assert scrubbed("so với phim ACC-0417 của BN917", analyzer) == "so với phim ___ của ___"
    assert scrubbed("so với phim của BN917", Analyzer()) == "so với phim của BN917"  # too short without the shape


def test_spans_never_carry_a_value_and_replacements_are_counted_per_category():
    text = "BS. Lê Văn Hùng, ĐT 0912 345 678, ngày 12/03/2024"
    cleaned, counts = redact(text, find_phi(text))
    assert cleaned == "BS. ___, ĐT ___, ngày ___"
    assert counts == {"name": 1, "phone": 1, "date": 1}
