"""Dates and times finer than a year, birth years, and ages above 89 in report text."""

from __future__ import annotations

import pytest
from phi_helpers import scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chụp 2023-03-12T08:00", "Chụp ___"),
        ("Chụp ngày 12/03/2024 và 2024-03-12, so với 20230101", "Chụp ngày ___ và ___, so với ___"),
        ("T3/2023; 12-3-23; 12 tháng 3; 12/03", "___; ___; ___; ___"),
        ("March 12, 2023 lúc 08h30", "___ lúc ___"),
        ("ngày 5 tháng 3 năm 2023", "ngày ___"),
        ("ngày 12.3.2023 lúc 8 giờ 30", "ngày ___"),
        ("lúc 8 giờ 30; 14:05", "lúc ___; ___"),
        ("tháng 03 năm 2023; 03/2023", "___; ___"),
        ("Sinh năm 1928", "Sinh năm ___"),
        ("NS: 1950", "NS: ___"),
    ],
)
def test_dates_times_and_birth_years_are_replaced(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "So sánh phim cũ năm 2019: không thay đổi.",
        "Tổn thương 1/3 dưới phổi phải.",
        "Can xương sườn 10-11-12 bên phải.",
        "Nốt mờ 2-3 mm.",
        "Chỉ số tim ngực 0.55.",
        "Chụp lại sau 2 tuần.",
        "Thoái hóa L1-L2, xẹp T12.",
        "Viêm phổi COVID-19.",
    ],
)
def test_years_fractions_rib_lists_and_levels_are_not_dates(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BN 95 tuổi", "BN ___ tuổi"),
        ("nam 97t, ho", "nam ___, ho"),
        ("Tuổi: 92", "Tuổi: ___"),
        ("BN 72 tuổi", "BN 72 tuổi"),
        ("Bệnh nhân Nữ, 62t", "Bệnh nhân Nữ, 62t"),
    ],
)
def test_only_ages_above_89_are_replaced(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nhập viện 17-9, chụp lại 21 - 9.", "Nhập viện ___, chụp lại ___."),
        ("Khám 5/11 và 9 / 11.", "Khám ___ và ___."),
        ("Phim ngày 14.10 so với phim 2.10.", "Phim ngày ___ so với phim ___."),
        ("Sốt các ngày 3, 5 và 8-12.", "Sốt các ngày ___."),
        ("Cách ly từ 11-15/6, xét nghiệm 16/6.", "Cách ly từ ___, xét nghiệm ___."),
        ("Khởi phát đầu tháng 9, nặng lên giữa tháng 10.", "Khởi phát đầu ___, nặng lên giữa ___."),
    ],
)
def test_a_day_and_a_month_are_a_date_in_every_separator(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vào viện ngày mười bốn tháng chín.", "Vào viện ngày ___."),
        ("Sinh ngày hai mươi ba tháng Mười năm Bính Thân.", "Sinh ngày ___."),
        ("Sốt từ mồng hai Tết, ho từ rằm tháng Giêng.", "Sốt từ ___, ho từ ___."),
        ("Tái khám 10/1 âm lịch.", "Tái khám ___."),
        ("Seen on the 3rd of March; returned August 19, 2024.", "Seen on ___; returned ___."),
    ],
)
def test_dates_in_words_and_lunar_dates_are_replaced(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cụ ông chín mươi tư tuổi, khó thở.", "Cụ ông ___ tuổi, khó thở."),
        ("Bà cụ một trăm lẻ một tuổi.", "Bà cụ ___ tuổi."),
        ("A ninety-three year old woman.", "A ___ year old woman."),
        ("Ông bảy mươi lăm tuổi, ho khan.", "Ông bảy mươi lăm tuổi, ho khan."),
        ("Nhóm bệnh nhân độ tuổi từ 61-96.", "Nhóm bệnh nhân độ tuổi từ 61-___."),
    ],
)
def test_ages_above_89_in_words_are_replaced(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Gãy cung sau xương sườn 3 - 4 trái, sườn 7-8 phải.",
        "Nốt mờ 2-4 mm, theo dõi 3-5 ngày.",
        "Mờ 2/3 dưới phổi trái, 3/4 phế trường phải.",
        "Chỉ số tim ngực 0.52, BSA 1.8 m2.",
        "Lọc lưới 10:1, 120 kV.",
        "Ho kéo dài 2 tháng, sau thủ thuật 3 giờ chụp lại.",
        "Sau ba tháng hai bên phổi sáng.",
        "Đốt sống T12/L1 bình thường.",
        "Gãy 5-6-7 trái.",
    ],
)
def test_numbers_that_only_look_like_dates_stay(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chụp lúc 7h 22/10/2023, phim thẳng.", "Chụp lúc ___, phim thẳng."),
        ("Đọc lúc 16:40 03-11-2022 tại khoa.", "Đọc lúc ___ tại khoa."),
        ("Prior film dated 11/27/2022 shows no change.", "Prior film dated ___ shows no change."),
    ],
)
def test_a_time_before_a_date_and_a_month_first_date_are_taken_whole(text, expected):
    assert scrubbed(text) == expected


def test_a_month_first_reading_needs_a_day_that_cannot_be_a_month():
    assert scrubbed("Tổn thương 2/3 trên phổi phải, tỷ lệ 1/2.") == "Tổn thương 2/3 trên phổi phải, tỷ lệ 1/2."
