"""Person names: anchored by titles, roles and ranks, by Vietnamese family and middle names; never clinical words."""

from __future__ import annotations

import pytest
from phi_helpers import categories, scrubbed

from vixray_data.text import normalize


@pytest.mark.parametrize(("text", "expected"), [
    ("BS. Nguyễn Văn An đọc phim", "BS. ___ đọc phim"),
    ("bs. trần thị b đọc phim", "bs. ___ đọc phim"),
    ("BÁC SĨ LÊ VĂN HÙNG", "BÁC SĨ ___"),
    ("Bác sĩ đọc phim: Phạm Thị Thu Hà", "Bác sĩ đọc phim: ___"),
    ("Người đọc: hoa", "Người đọc: ___"),
    ("KTV: lan. ĐD: Mai.", "KTV: ___. ĐD: ___."),
    ("TS. Phạm Minh Quân; GS. Vũ Hoa; ThS.BS. Đỗ Lan; Dr. Smith", "TS. ___; GS. ___; ThS.BS. ___; Dr. ___"),
    ("Đại úy Hoàng Văn Nam, thiếu tá Lý Thị Hằng", "Đại úy ___, thiếu tá ___"),
    ("ông Trần Minh, bà Hồ Thị Mai, anh Long, chị Lan", "ông ___, bà ___, anh ___, chị ___"),
    ("Bac si Tran Van Binh", "Bac si ___"),
])
def test_a_title_role_or_rank_anchors_the_name_after_it_in_any_case(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Nguyễn Văn An đến khám.", "___ đến khám."),
    ("So sánh với phim của NGUYEN VAN AN", "So sánh với phim của ___"),
    ("Trần T. Hoa tái khám", "___ tái khám"),
    ("TranThiHoa.png", "___.png"),
    ("NGUYEN_VAN_AN", "___"),
    ("Cao Văn Tâm, Cao Q. Tuấn", "___, ___"),
    ("gặp trần thị hoa và cao văn tâm", "gặp ___ và ___"),
])
def test_a_family_name_anchors_an_untitled_abbreviated_or_run_together_name(text, expected):
    assert scrubbed(text) == expected


def test_a_name_stops_where_the_next_line_begins_even_with_line_breaks_normalised_away():
    text = "Người đọc:\nTrần Thị Hoa\nKết luận: bình thường. BS. Lê Văn Tám\nBóng tim không to."
    assert scrubbed(text) == "Người đọc:\n___\nKết luận: bình thường. BS. ___\nBóng tim không to."
    assert scrubbed(normalize(text)) == "Người đọc: ___ Kết luận: bình thường. BS. ___ Bóng tim không to."


@pytest.mark.parametrize("text", [
    "Bệnh nhân COPD, theo dõi.", "BN Lao phổi cũ, xơ hóa đỉnh phổi.", "TS. Lao phổi cũ. Bóng tim không to.",
    "BN Nam, 72 tuổi. Bệnh nhân Nữ 45 tuổi.", "Tăng đậm rốn phổi hai bên.", "Cao huyết áp, Cung động mạch chủ vồng.",
    "Bóng tim không to. Gãy cung bên.", "Hình ảnh X quang ngực.", "Phim AP tại giường, ống NKQ đúng vị trí.",
    "Hình ảnh Golden S thùy trên phải.", "Thoát vị Bochdalek bên trái.", "GÃY CUNG SAU XƯƠNG SƯỜN 5 TRÁI.",
])
def test_clinical_words_that_look_like_names_survive(text):
    assert "name" not in categories(text)
    assert scrubbed(text) == text


def test_without_a_listed_family_name_or_a_title_a_name_is_not_found():
    """The documented blind spot (README: what is not detected)."""
    assert scrubbed("Kha Bình đến khám.") == "Kha Bình đến khám."
