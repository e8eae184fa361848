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
        ("Tuần trước đi tham quan Mộc Châu.", "Tuần trước đi tham quan ___."),
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
        # "và" goes on to the capitalised rest of the name, over the lower-case words of a specialty
        ("Mổ tại Bệnh viện Chấn thương và Chỉnh hình Hải Phòng.", "Mổ tại ___."),
        ("Chuyển tới Bệnh viện Lao và bệnh phổi tỉnh Hà Nam.", "Chuyển tới ___."),
        # a province after the name, joined by a comma or a dash, and a ward in capitals
        ("Khám ở Trung tâm Y tế Sơn Động, Bắc Giang.", "Khám ở ___."),
        ("Nằm ở Bệnh viện Đa khoa Bà Rịa - Vũng Tàu hôm qua.", "Nằm ở ___ hôm qua."),
        ("Làm ở Bệnh viện Phụ sản - nhi Hải Phòng.", "Làm ở ___."),
        ("BỊ NGÃ Ở CHỢ ĐỒNG XUÂN, PHƯỜNG ĐỒNG XUÂN; ĐAU NGỰC.", "BỊ NGÃ Ở ___; ĐAU NGỰC."),
        # a numbered district or ward in the name, a number closing it, with or without diacritics
        ("Gặp nhau ở Bệnh viện quận 5, sau đó về nhà.", "Gặp nhau ở ___, sau đó về nhà."),
        ("Đến Trạm y tế phường 5, quận 3 để khai báo.", "Đến ___ để khai báo."),
        ("Nhập Bệnh viện Quân y 103 vì sốt cao.", "Nhập ___ vì sốt cao."),
        ("Ra vien o Benh vien Nhi Dong 2 hom qua.", "Ra vien o ___ hom qua."),
        # a campus before or after the facility
        ("Đưa về cơ sở 3 Bệnh viện Phổi Hải Dương.", "Đưa về ___."),
        ("Nằm tại Bệnh viện Phổi Hải Dương (cơ sở 3).", "Nằm tại ___ (___)."),
        # a province whose name reads like a sentence word without diacritics ("Nam" / "năm")
        ("Hiện nằm tại Bệnh viện Đa khoa tỉnh Nam Định.", "Hiện nằm tại ___."),
        # workplaces and residences by their kind
        ("Làm ở xưởng gỗ Tân Lập.", "Làm ở ___."),
        ("Từng làm thợ ở mỏ than Vàng Danh.", "Từng làm thợ ở ___."),
        ("Là nhân viên ngân hàng Vietcombank chi nhánh Hoàn Kiếm.", "Là nhân viên ___."),
        ("Sống ở khu đô thị Ecopark, ho kéo dài.", "Sống ở ___, ho kéo dài."),
        ("Trước đây làm việc cho Hanwha Aero Engines Việt Nam, nghỉ hưu.", "Trước đây làm việc cho ___, nghỉ hưu."),
        # English heads after the name, and a laboratory after its key
        ("Seen at Hoan My Clinic, no fever.", "Seen at ___, no fever."),
        ("Lab: Gentis, mẫu đờm.", "Lab: ___, mẫu đờm."),
    ],
)
def test_a_facility_name_is_taken_whole(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nhà ở hẻm 45 đường số 9, phường 12, quận Gò Vấp.", "Nhà ở ___."),
        ("Ở số 7, ngõ 21, Tổ 5, P. Láng Hạ.", "Ở ___."),
        ("Thuê phòng 805, tòa nhà HH3, KĐT Văn Quán.", "Thuê ___, ___."),
        ("Ở khu tập thể Văn Chương, nhà C5. Ho.", "Ở ___. Ho."),
        ("Sống ở biệt thự số 12, khu đô thị Ecopark.", "Sống ở ___, ___."),
        ("Nhà ở K42 Hoàng Diệu, quận Hải Châu.", "Nhà ở ___."),
    ],
)
def test_house_room_and_building_numbers_are_part_of_the_address(text, expected):
    assert scrubbed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Nốt mờ khoang liên sườn 5, phân thùy 6 phổi phải.",
        "Tầng trên ổ bụng bình thường; tổn thương khu trú thùy trên phổi phải, vùng đỉnh.",
        "Gãy cung sau xương sườn 4, 5, 6 bên trái.",
        "Xẹp phân thùy 6 và phân thùy 10 phổi trái.",
        "Đốt sống C5 xẹp nhẹ.",
        "Khám tại bệnh viện 2 lần.",
        "Trên cơ sở 2 phim chụp, không thấy tổn thương.",
        "Lab: AFB âm tính.",
        "Nhà 2 tầng, sống một mình.",
        "Hoạt động thể lực bình thường.",
        "Đã điều trị lao và bệnh phổi tắc nghẽn mạn tính.",
    ],
)
def test_clinical_numbers_and_unnamed_places_stay(text):
    assert scrubbed(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nằm ở Bệnh viện Bạch Mai - ổ dịch lớn.", "Nằm ở ___ - ổ dịch lớn."),
        ("Chuyển từ bệnh viện ở Đà Nẵng về.", "Chuyển từ bệnh viện ở Đà Nẵng về."),
        ("Khám ở Bệnh viện Đa khoa Hà Tĩnh phun khí dung.", "Khám ở ___ phun khí dung."),
        ("Là trường hợp F1 của ca bệnh.", "Là trường hợp F1 của ca bệnh."),
    ],
)
def test_a_facility_name_ends_at_a_dash_sentence_or_province(text, expected):
    assert scrubbed(text) == expected


def test_a_facility_stops_before_a_clinical_phrase_after_and():
    assert scrubbed("Đã khám ở Bệnh viện Bạch Mai và viêm phổi COPD ổn định.") == (
        "Đã khám ở ___ và viêm phổi COPD ổn định."
    )
    assert scrubbed("Khám tại Bệnh viện Bạch Mai 2 lần.") == "Khám tại ___ 2 lần."


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
