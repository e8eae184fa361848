"""The redaction marker ``___`` is never PHI and never makes its neighbours PHI (the residual scan reads
scrubbed text with the same recognizers)."""

from __future__ import annotations

import pytest

from vixray_data.phi import find_phi


@pytest.mark.parametrize(
    "text",
    [
        "Địa chỉ: ___.",
        "Quê quán: ___",
        "Thường trú ___, Hà Nội.",
        "Ngụ tại ___.",
        "Trú: ___, ___.",
        "Đoàn ___.",
        "trưởng đoàn ___.",
        "Người đọc: ___. BS. ___",
        "con gái tên ___, SĐT ___.",
        "Bệnh nhân ___, ___ tuổi, ở ___.",
        "Mã BN: ___ Phim thứ hai.",
        "___ ___ ___",
    ],
)
def test_scrubbed_text_has_no_phi_left(text):
    assert find_phi(text) == []


def test_a_real_value_beside_the_marker_is_still_found():
    assert [s.category for s in find_phi("Địa chỉ: ___, phường Phú Hội, Huế.")] == ["address"]
