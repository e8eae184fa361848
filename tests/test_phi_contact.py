"""E-mail, URL, IP and street addresses / administrative units below the province."""

from __future__ import annotations

import pytest
from phi_helpers import categories, scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Liên hệ an.nguyen@bv175.vn", "Liên hệ ___"),
        ("xem http://pacs.bv175.vn/viewer?id=1, rồi", "xem ___, rồi"),
        ("máy 192.168.1.20.", "máy ___."),
        ("123 Lê Lợi, Quận 1, TP.HCM", "___, TP.HCM"),
        ("số 45/2 đường Trần Hưng Đạo, Phường Bến Nghé", "___"),
        ("Địa chỉ: thôn 3, xã Tân Phú, huyện Đức Hòa", "Địa chỉ: ___"),
        ("ấp Bình Minh, Q.1, P12", "___"),
        ("123 Le Loi, Quan 1", "___"),
    ],
)
def test_contacts_and_addresses_are_replaced(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "JPEG 2000 Image Compression (Lossless Only)",
        "Phim AP Bóng tim to",
        "Hình ảnh giãn phế quản dạng tổ ong.",
        "Chỉ số tim ngực 0.55.",
        "SƯỜN 5 TRÁI",
    ],
)
def test_look_alikes_are_not_addresses(text):
    assert categories(text) == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trú: xóm 4, X. Nghi Phong, H. Nghi Lộc, Nghệ An.", "Trú: ___, Nghệ An."),
        ("Nhà ở KP 2, P. Phú Cường, TP. Thủ Dầu Một.", "Nhà ở ___."),
        ("ap Tan Hoa, xa Tan Thanh, huyen Thu Thua", "___"),
        ("Quê ở huyện Can Lộc, hiện ở TT. Nghèn.", "Quê ở ___, hiện ở ___."),
        ("Ngõ 12 Kim Mã, tổ 9, Ba Đình, Hà Nội.", "___, Hà Nội."),
    ],
)
def test_units_and_their_abbreviations_mark_places_with_or_without_a_key(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BN sống ở Thanh Chương, làm ruộng.", "BN sống ở ___, làm ruộng."),
        ("Chuyển từ Hóc Môn lên tuyến trên.", "Chuyển từ ___ lên tuyến trên."),
        ("Nhà ở Yên Thành, Nghệ An.", "Nhà ở ___, Nghệ An."),
        ("Từng đi Đà Lạt, Nha Trang và Khánh Hòa.", "Từng đi ___ và Khánh Hòa."),
    ],
)
def test_a_place_without_a_unit_word_is_found_by_where_it_stands(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chuyển từ Bệnh viện Đa khoa tỉnh Phú Thọ.", "Chuyển từ ___."),
        ("Cách ly tại Trung tâm Y tế huyện Cần Giờ.", "Cách ly tại ___."),
        ("Về từ sân bay Cát Bi, ở khách sạn Sao Mai.", "Về từ ___, ở ___."),
    ],
)
def test_a_named_facility_is_a_place(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Chuyển bệnh viện tuyến trên.", "Trạm y tế xã đã khám.", "Hà Nội, TP.HCM, Việt Nam.", "Phế trường 2 bên sáng."],
)
def test_provinces_countries_and_unnamed_facilities_stay(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email: hanh.tran [at] outlook [dot] com", "Email: ___"),
        ("gửi về khoa.cdha (at) bvtinh (dot) vn", "gửi về ___"),
        ("liên hệ thuy.le @ gmail . com", "liên hệ ___"),
        ("Máy trạm 2001:db8:ac10::fe01, cổng 11112.", "Máy trạm ___, cổng 11112."),
    ],
)
def test_disguised_e_mails_and_ipv6_are_found(text, expected):
    assert scrubbed(text) == expected


def test_a_software_version_is_no_ip_address():
    assert scrubbed("Phần mềm phiên bản 3.1.4.2.") == "Phần mềm phiên bản 3.1.4.2."
