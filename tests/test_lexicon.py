"""The shared lexicon: well-formed, normalised, glossed, and holding the paper's terms."""

import yaml

from vixray_data.lexicon import LEXICON_PATH, load_lexicon
from vixray_data.text import normalize


def test_every_surface_form_is_written_nfc_with_new_style_tone_marks():
    data = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    for section in ("anatomy", "position", "normal", "severity", "laterality", "words"):
        for text in strings(data[section]):
            assert normalize(text) == text, (section, text)


def test_the_papers_anatomy_and_diagnoses_are_concepts_with_english_glosses():
    lexicon = load_lexicon()
    for cid in ("heart", "lung", "lung_parenchyma", "hilum", "rib", "diaphragm", "costophrenic_angle",
                "mediastinum", "aortic_arch", "thoracic_cage", "clavicle", "trachea", "pleura"):  # fmt: skip
        assert lexicon.anatomy[cid].en, cid
    for cid in ("cardiomegaly", "interstitial_lung_disease", "infiltrate", "consolidation", "ground_glass",
                "rib_fracture", "pleural_effusion", "pneumothorax", "atelectasis", "nodule", "contusion",
                "calcification", "aortic_calcification", "aortic_prominence"):  # fmt: skip
        assert lexicon.findings[cid].en, cid
    assert "bóng mờ tim to" in lexicon.findings["cardiomegaly"].variants
    assert "xương sườn" in lexicon.anatomy["rib"].variants
    assert "quai động mạch chủ" in lexicon.anatomy["aortic_arch"].variants


def test_segmenter_words_are_multi_syllable_and_include_the_issues_terms():
    words = [normalize(w, lowercase=True) for w in load_lexicon().raw["words"]]
    assert all(" " in w for w in words)
    assert len(words) == len(set(words))
    assert {"xương sườn", "vòm hoành", "góc sườn hoành", "động mạch chủ"} <= set(words)


def test_severity_laterality_and_normal_sections_cover_the_reports_wording():
    lexicon = load_lexicon()
    assert "nhẹ" in lexicon.severity["mild"] and "vừa" in lexicon.severity["moderate"]
    assert {"trái", "bên trái"} <= set(lexicon.laterality["left"]) and "hai bên" in lexicon.laterality["bilateral"]
    assert "trong giới hạn bình thường" in lexicon.normal["any"] and "nhọn" in lexicon.normal["costophrenic_angle"]
