"""Vocabulary by organ and the signs a radiologist reads as a finding (issue 19); sentences written for this test.

Each case: the sentence, the labels read, and (when it matters) the finding. A finding with no chest label
of its own (a cavity, an abscess, a valve, a bone outside the ribs) makes the report abnormal, never normal.
"""

import pytest

from vixray_data.clinical import extract_facts
from vixray_data.evaluation.labels import label_report, report_state


@pytest.mark.parametrize(
    "text,labels",
    [
        # pleura: effusion signs and kinds
        ("Đường cong Damoiseau bên trái.", {"pleural_effusion"}),
        ("Tràn mủ màng phổi phải sau viêm phổi.", {"pleural_effusion", "pneumonia"}),
        ("Tràn máu màng phổi trái do chấn thương.", {"pleural_effusion"}),
        ("Xóa góc sườn hoành phải.", {"pleural_effusion"}),
        ("Tràn dịch - tràn khí màng phổi phải.", {"pleural_effusion", "pneumothorax"}),
        ("Mức khí dịch trong khoang màng phổi trái.", {"pleural_effusion", "pneumothorax"}),
        ("Di chứng tràn dịch màng phổi phải.", {"pleural_thickening"}),
        # lung: oedema, consolidation, interstitium, emphysema
        ("Đường Kerley B hai đáy phổi.", {"edema"}),
        ("Phổi hai bên ứ huyết.", {"edema"}),
        ("Tái phân bố tuần hoàn phổi lên đỉnh.", {"edema"}),
        ("Đám mờ có phế quản hơi thùy dưới phổi trái.", {"lung_opacity", "consolidation"}),
        ("Dập phổi trái sau tai nạn.", {"consolidation"}),
        ("Tổn thương dạng lưới nốt hai đáy phổi.", {"interstitial_lung_disease"}),
        ("Xơ hóa kẽ hai phổi.", {"fibrosis", "interstitial_lung_disease"}),
        ("Vân phổi hai bên tăng.", {"interstitial_lung_disease"}),
        ("Kén khí đỉnh phổi trái.", {"emphysema"}),
        ("Vòm hoành hai bên dẹt.", {"emphysema"}),
        ("Lồng ngực hình thùng.", {"emphysema"}),
        ("Lao kê hai phổi.", {"tuberculosis"}),
        ("Phế quản phế viêm hai bên.", {"pneumonia"}),
        # hila, mediastinum, aorta
        ("Hạch rốn phổi trái.", {"hilar_enlargement"}),
        ("Hạch trung thất lớn.", {"mediastinal_widening"}),
        ("Trung thất bị kéo sang phải.", {"mediastinal_widening"}),
        ("Phình động mạch chủ ngực.", {"aortic_prominence"}),
        ("Cung động mạch chủ vồng.", {"aortic_prominence"}),
        # heart: a ratio is read as what it measures
        ("Chỉ số tim ngực 0,62.", {"cardiomegaly"}),
        ("Chỉ số tim ngực 0,42.", {"no_finding"}),
    ],
)
def test_signs_read_as_their_findings(text, labels):
    assert label_report(text) == labels


@pytest.mark.parametrize(
    "text,finding",
    [
        ("Hình hang thành dày thùy trên phổi phải.", "cavity"),
        ("Ổ áp xe thùy dưới phổi trái.", "lung_abscess"),
        ("Mức khí dịch trong hang thùy dưới phổi phải.", "air_fluid_level"),
        ("Van hai lá nhân tạo.", "support_device"),
        ("Ống thông dạ dày đúng vị trí.", "support_device"),
        ("Gãy xương ức.", "sternal_fracture"),
        ("Ổ tiêu xương xương cánh tay trái.", "osteolysis"),
        ("Khuyết cung sau xương sườn 6 trái sau mổ.", "rib_resection"),
        ("Hơi tự do dưới vòm hoành phải.", "pneumoperitoneum"),
        ("Bướu giáp thòng đẩy khí quản.", "goitre"),
        ("Nhão cơ hoành trái.", "eventration"),
        ("Tim hình giọt nước.", "vertical_heart"),
    ],
)
def test_abnormal_findings_without_a_chest_label_make_a_report_abnormal(text, finding):
    facts = extract_facts(text)
    assert finding in [f.finding for f in facts]
    assert report_state(facts) == "abnormal"
    assert "no_finding" not in label_report(text)


def test_a_teardrop_heart_is_not_a_pericardial_effusion_but_a_water_bottle_heart_is():
    assert [f.finding for f in extract_facts("Bóng tim hình giọt nước.")] == ["vertical_heart"]
    assert "pericardial_effusion" in [f.finding for f in extract_facts("Bóng tim to hình bầu nước.")]


def test_an_air_fluid_level_is_read_by_where_it_is():
    assert label_report("Mức khí dịch trong hang thùy dưới phổi phải.") == set()  # a cavity: no chest label
    assert label_report("Mức khí dịch màng phổi phải.") == {"pleural_effusion", "pneumothorax"}


def test_a_shifting_word_means_the_finding_of_the_organ_it_moves():
    assert [f.finding for f in extract_facts("Khí quản bị kéo sang trái.")] == ["tracheal_deviation"]
    assert [f.finding for f in extract_facts("Rốn phổi phải bị kéo lên.")] == ["hilar_retraction"]
    assert label_report("Rốn phổi phải bị kéo lên.") == set()  # volume loss of unstated cause: no chest label


def test_a_lung_finding_caused_by_the_chest_wall_or_a_breast_is_theirs():
    assert label_report("Bóng mờ đáy phổi trái do chồng hình núm vú.") == set()
    assert label_report("Phế trường phải tăng sáng do mất bóng mờ phần mềm.") == set()
    assert label_report("Xẹp thùy dưới phổi trái do tắc phế quản.") == {"atelectasis"}  # a chest cause stays


def test_metastases_without_an_organ_are_no_lung_nodule():
    assert label_report("Tổn thương tiêu xương đốt sống, theo dõi di căn.") == set()
    assert label_report("Nhiều nốt di căn phổi hai bên.") == {"nodule_mass"}
