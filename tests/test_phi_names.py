"""Person names: anchored by titles, roles and ranks, by Vietnamese family and middle names; never clinical words."""

from __future__ import annotations

import pytest
from phi_helpers import categories, scrubbed

from vixray_data.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
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
    ],
)
def test_a_title_role_or_rank_anchors_the_name_after_it_in_any_case(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn Văn An đến khám.", "___ đến khám."),
        ("So sánh với phim của NGUYEN VAN AN", "So sánh với phim của ___"),
        ("Trần T. Hoa tái khám", "___ tái khám"),
        ("TranThiHoa.png", "___.png"),
        ("NGUYEN_VAN_AN", "___"),
        ("Cao Văn Tâm, Cao Q. Tuấn", "___, ___"),
        ("gặp trần thị hoa và cao văn tâm", "gặp ___ và ___"),
    ],
)
def test_a_family_name_anchors_an_untitled_abbreviated_or_run_together_name(text, expected):
    assert scrubbed(text) == expected


def test_a_name_stops_where_the_next_line_begins_even_with_line_breaks_normalised_away():
    text = "Người đọc:\nTrần Thị Hoa\nKết luận: bình thường. BS. Lê Văn Tám\nBóng tim không to."
    assert scrubbed(text) == "Người đọc:\n___\nKết luận: bình thường. BS. ___\nBóng tim không to."
    assert scrubbed(normalize(text)) == "Người đọc: ___ Kết luận: bình thường. BS. ___ Bóng tim không to."


@pytest.mark.parametrize(
    "text",
    [
        "Bệnh nhân COPD, theo dõi.",
        "BN Lao phổi cũ, xơ hóa đỉnh phổi.",
        "TS. Lao phổi cũ. Bóng tim không to.",
        "BN Nam, 72 tuổi. Bệnh nhân Nữ 45 tuổi.",
        "Tăng đậm rốn phổi hai bên.",
        "Cao huyết áp, Cung động mạch chủ vồng.",
        "Bóng tim không to. Gãy cung bên.",
        "Hình ảnh X quang ngực.",
        "Phim AP tại giường, ống NKQ đúng vị trí.",
        "Hình ảnh Golden S thùy trên phải.",
        "Thoát vị Bochdalek bên trái.",
        "GÃY CUNG SAU XƯƠNG SƯỜN 5 TRÁI.",
    ],
)
def test_clinical_words_that_look_like_names_survive(text):
    assert "name" not in categories(text)
    assert scrubbed(text) == text


def test_without_a_listed_family_name_or_a_title_a_name_is_not_found():
    """The documented blind spot (README: what is not detected)."""
    assert scrubbed("Kha Bình đến khám.") == "Kha Bình đến khám."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cháu ngoại tên là Diệp đi cùng.", "Cháu ngoại tên là ___ đi cùng."),
        ("Anh rể Quyết ký giấy cam kết.", "Anh rể ___ ký giấy cam kết."),
        ("Người bảo lãnh là Thoa, ở cùng nhà.", "Người bảo lãnh là ___, ở cùng nhà."),
        ("Dì ruột của BN (Xuyến) hỏi kết quả.", "Dì ruột của BN (___) hỏi kết quả."),
        ("Sinh viên Y5 Lạc trình bệnh án.", "Sinh viên Y5 ___ trình bệnh án."),
        ("me bn ten la thoa, bo ten quyet", "me bn ten la ___, bo ten ___"),
    ],
)
def test_a_given_name_alone_after_a_kinship_or_role_word_is_found(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Người đọc: P.T.Q.; duyệt: Ng.Đ.Kh.", "Người đọc: ___; duyệt: ___"),
        ("Kỹ thuật viên Tr.V.Lộc chụp lại.", "Kỹ thuật viên ___ chụp lại."),
        ("BN Đỗ Th. Xuân, 41 tuổi.", "BN ___, 41 tuổi."),
        ("Ngày 3/2, Q. bắt đầu sốt.", "Ngày ___, ___ bắt đầu sốt."),
    ],
)
def test_initials_are_names(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text", ["Gãy xương sườn 4 T. Tràn khí màng phổi P.", "Phim P.A. thẳng đứng.", "Dẫn lưu bên P. ra dịch vàng."]
)
def test_a_side_or_a_view_abbreviated_is_no_initial(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phim của BN Niê H'Loan: mờ đáy phổi phải.", "Phim của BN ___: mờ đáy phổi phải."),
        ("Chồng là Y Thuôn Êban, đi cùng vợ.", "Chồng là ___, đi cùng vợ."),
        ("BN A Blong, 30 tuổi, người Xơ Đăng.", "BN ___, 30 tuổi, người Xơ Đăng."),
        ("Bệnh nhân Giàng A Tủa chuyển từ tuyến huyện.", "Bệnh nhân ___ chuyển từ tuyến huyện."),
    ],
)
def test_names_of_highland_peoples_are_found_by_their_shape(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đã hỏi ý kiến của Thắm trước khi chụp.", "Đã hỏi ý kiến của ___ trước khi chụp."),
        ("BN đi cùng Khải và Loan đến khám.", "BN đi cùng ___ và ___ đến khám."),
    ],
)
def test_a_capitalised_vietnamese_word_in_mid_sentence_is_a_name(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "TRAN DICH MANG PHOI TRAI LUONG IT. KHONG TRAN KHI MANG PHOI.",
        "VOM HOANH PHAI NANG CAO, DINH PHOI HAI BEN SANG.",
        "Tràn Dịch Màng Phổi Hai Bên, Dày Dính Màng Phổi Đáy Trái.",
        "BN ho kéo dài, sốt về chiều, chồng ho ra máu.",
        "Không thấy khí tự do dưới hoành. Dị vật cản quang không thấy.",
        "Hội chứng Kartagener, theo dõi Kerley B.",
        "Kết luận: Tràn dịch màng phổi phải. Đề nghị: Chụp CLVT.",
    ],
)
def test_clinical_vocabulary_wins_over_a_family_name_reading(text):
    assert scrubbed(text) == text


def test_capitals_without_diacritics_keep_the_clinical_text_and_lose_the_name():
    text = "BN TRAN VAN KHOANG: TRAN KHI MANG PHOI PHAI, VOM HOANH PHAI DET."
    assert scrubbed(text) == "BN ___: TRAN KHI MANG PHOI PHAI, VOM HOANH PHAI DET."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tech: Khang. PA view, good inspiration.", "Tech: ___. PA view, good inspiration."),
        ("Người nhà (cháu): Quyên, gọi lại sau.", "Người nhà (cháu): ___, gọi lại sau."),
        ("Tên thường gọi: Út Mập; ho khan.", "Tên thường gọi: ___; ho khan."),
        ("Bs Nhan doc phim, ko TDMP.", "Bs ___ doc phim, ko TDMP."),
    ],
)
def test_roles_with_a_bracketed_relation_or_an_english_label_anchor_the_name(text, expected):
    assert scrubbed(text) == expected


def test_a_capitalised_word_then_thị_then_a_given_name_is_a_womans_name_whatever_her_family_name():
    assert scrubbed("Khám cho Đàm Thị Nguyệt, ho 2 tuần.") == "Khám cho ___, ho 2 tuần."
    assert scrubbed("Giảm Thị Lực Hai Bên, Không Sốt, Ho Khan.") == "Giảm Thị Lực Hai Bên, Không Sốt, Ho Khan."


def test_dr_in_capitals_in_a_mixed_case_report_is_the_radiography_system():
    assert scrubbed("Chụp DR. Phổi hai bên sáng đều.") == "Chụp DR. Phổi hai bên sáng đều."
    assert scrubbed("Dr. Khoa đọc phim.") == "Dr. ___ đọc phim."


def test_symptoms_in_a_title_case_clause_are_not_names():
    assert scrubbed("Ông Lữ Văn Tài, Phường 4; Khó Thở, Phù Chân.") == "___; Khó Thở, Phù Chân."
