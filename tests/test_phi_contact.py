"""E-mail, URL, IP and street addresses / administrative units below the province."""

from __future__ import annotations

import pytest
from phi_helpers import categories, scrubbed


@pytest.mark.parametrize(("text", "expected"), [
    ("Liên hệ an.nguyen@bv175.vn", "Liên hệ ___"),
    ("xem http://pacs.bv175.vn/viewer?id=1, rồi", "xem ___, rồi"),
    ("máy 192.168.1.20.", "máy ___."),
    ("123 Lê Lợi, Quận 1, TP.HCM", "___, TP.HCM"),
    ("số 45/2 đường Trần Hưng Đạo, Phường Bến Nghé", "___"),
    ("Địa chỉ: thôn 3, xã Tân Phú, huyện Đức Hòa", "Địa chỉ: ___"),
    ("ấp Bình Minh, Q.1, P12", "___"),
    ("123 Le Loi, Quan 1", "___"),
])
def test_contacts_and_addresses_are_replaced(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize("text", [
    "JPEG 2000 Image Compression (Lossless Only)", "Phim AP Bóng tim to", "Hình ảnh giãn phế quản dạng tổ ong.",
    "Chỉ số tim ngực 0.55.", "SƯỜN 5 TRÁI",
])
def test_look_alikes_are_not_addresses(text):
    assert categories(text) == set()
