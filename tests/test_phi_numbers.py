"""Phone and fax numbers, national ids, BHYT codes and record numbers, including the export's own id shapes."""

from __future__ import annotations

import pytest
from phi_helpers import categories, scrubbed

from vixray_data.phi import Analyzer, IdShapes


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Gọi (028) 3812 3456", "phone"),
        ("ĐT: 0912.345.678", "phone"),
        ("+84 912 345 678", "phone"),
        ("Fax: 028 3812 3456", "phone"),
        ("SĐT người nhà 0381234567", "phone"),
        ("CCCD 001085012345", "national_id"),
        ("CMND: 025123456", "national_id"),
        ("CCCD số 001 085 012 345", "national_id"),
        ("bhyt dn4797915123456", "insurance"),
        ("Thẻ BHYT: DN 4 79 79 15 123 456", "insurance"),
        ("Mã BN: 24001234", "record_number"),
        ("Số phiếu XQ-23-00456", "record_number"),
        ("Số hồ sơ HS-2024-0042", "record_number"),
        ("UID 1.2.840.113619.2.55.3", "record_number"),
    ],
)
def test_each_number_category_is_found_and_replaced(text, category):
    assert category in categories(text)
    assert "___" in scrubbed(text)


def test_the_keyword_before_a_number_is_kept():
    assert scrubbed("Mã BN: 24001234; BHYT DN4797915123456; CCCD 001085012345") == "Mã BN: ___; BHYT ___; CCCD ___"


def test_codes_shaped_like_the_exports_ids_are_record_numbers():
    analyzer = Analyzer(shapes=IdShapes(["ACC-0001", "XQ900"]))
    assert scrubbed("so với phim ACC-0417 của XQ917", analyzer) == "so với phim ___ của ___"
    assert scrubbed("so với phim của XQ917") == "so với phim của XQ917"  # too short without the export's shape


@pytest.mark.parametrize(
    "text",
    [
        "Chụp thẳng sau trước, 110 kV, 4 mAs.",
        "Catheter 120 cm; dẫn lưu màng phổi số 28 Fr.",
        "SpO2 92%, oxy 3 lít/phút.",
        "Xẹp đốt sống T12, L1-L2; viêm phổi COVID-19.",
        "Diện tích da BSA 1.7 m2.",
    ],
)
def test_measurements_and_clinical_codes_are_not_numbers_to_remove(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ĐT bàn (0251) 3822 114.", "ĐT bàn ___."),
        ("Con ở Đức: +49 151 2345 6789.", "Con ở Đức: ___."),
        ("Gọi 0084 912 000 111 hoặc 0912-000-111.", "Gọi ___ hoặc ___."),
        ("Tổng đài 1900 9095, máy lẻ 308.", "Tổng đài ___, máy lẻ ___."),
    ],
)
def test_phones_with_prefixes_groups_and_extensions_are_found(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xe máy 59X2-345.67 va chạm.", "Xe máy ___ va chạm."),
        ("Thẻ 4111 2222 3333 4444 đã trả.", "Thẻ ___ đã trả."),
        ("STK: 1903 4455 6677 tại ngân hàng.", "STK: ___ tại ngân hàng."),
        ("IMEI 490154203237518.", "IMEI ___."),
        ("Số hiệu quân nhân 80-123-456.", "Số hiệu quân nhân ___."),
    ],
)
def test_other_identifying_numbers_are_found(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tiếp xúc với bệnh nhân 1.207 và 1.209.", "Tiếp xúc với bệnh nhân ___ và ___."),
        ("BN số 58 chuyển khoa.", "BN số ___ chuyển khoa."),
        ("Là ca bệnh thứ 312 của tỉnh.", "Là ca bệnh thứ ___ của tỉnh."),
        ("Có hai ca nặng, gồm 611 và 640.", "Có hai ca nặng, gồm ___ và ___."),
    ],
)
def test_case_numbers_are_found(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text", ["Bệnh nhân 68 tuổi, nặng 52 kg.", "Bệnh nhân 3 lần nhập viện.", "BN gãy xương sườn 5, 6, 7 trái."]
)
def test_an_age_a_measure_or_a_count_after_bệnh_nhân_is_no_case_number(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phiếu chuyển số 48/GCV ngày trước.", "Phiếu chuyển số ___ ngày trước."),
        ("Theo công văn 207/SYT-NVY, chụp lại.", "Theo công văn ___, chụp lại."),
        ("Mã phiếu XN-ĐT-77120 đã in.", "Mã phiếu ___ đã in."),
        ("Mã tuyến dưới 318-560412 kèm phim.", "Mã tuyến dưới ___ kèm phim."),
        ("Gọi 028 3927 1145 - 318 khi cần.", "Gọi ___ khi cần."),
        ("SĐT con: 09O8 776 214.", "SĐT con: ___."),
    ],
)
def test_document_numbers_multi_part_codes_extensions_and_disguised_phones_are_found(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize("text", ["Theo dõi 2019-2024 không đổi.", "Chiếm 1/3 dưới, COVID-19, SARS-CoV-2, L4-L5."])
def test_year_spans_fractions_and_clinical_codes_stay(text):
    assert scrubbed(text) == text
