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


def test_one_index_built_once_serves_the_segmenter_and_the_extractor():
    from vixray_data import segment
    from vixray_data.clinical import extract_facts
    from vixray_data.lexicon import term_index

    index = term_index()
    assert term_index() is index
    assert segment.term_index is term_index  # the segmenter reads the same cached index
    size, (term,) = index.match(["tràn", "dịch", "màng", "tim", "."], 0)
    assert (size, term.kind, term.value) == (4, "finding", "pericardial_effusion")
    assert extract_facts("Tràn dịch màng tim.")[0].finding == "pericardial_effusion"


def test_every_finding_belongs_to_a_known_organ_and_maps_to_a_known_label():
    lexicon = load_lexicon()
    for cid, finding in lexicon.findings.items():
        assert finding.anatomy is None or finding.anatomy in lexicon.anatomy, cid
        assert set(finding.labels) <= set(lexicon.labels), cid
        assert set(finding.bare) <= set(finding.variants), cid


def test_findings_of_other_organs_never_map_to_a_chest_label():
    lexicon = load_lexicon()
    others = {
        "pericardium",
        "clavicle",
        "scapula",
        "humerus",
        "spine",
        "soft_tissue",
        "abdomen",
        "sternum",
        "thyroid",
        "breast",
        "heart_valve",
    }
    assert {cid: f.label for cid, f in lexicon.findings.items() if f.anatomy in others and f.label} == {}
    assert lexicon.findings["bone_abnormality"].label is None  # was mapped to rib fracture
    assert lexicon.findings["opacity"].label == "lung_opacity"  # was mapped to consolidation


def test_bare_words_are_not_findings_by_themselves():
    lexicon = load_lexicon()
    assert {"to", "đậm", "tăng đậm"} <= set(lexicon.findings["hilar_enlargement"].bare)
    assert "gãy" in lexicon.findings["rib_fracture"].bare and "xẹp" in lexicon.findings["atelectasis"].bare


def test_every_section_of_the_file_reaches_the_index_under_its_kind():
    from vixray_data.lexicon import term_index, tokens

    index = term_index()
    # form as written in lexicon.yaml -> (kind, value) it must be read as; the section it comes from beside it
    expected = {
        "bóng tim to": ("finding", "cardiomegaly"),  # findings
        "phổi": ("anatomy", "lung"),  # anatomy
        "cung sau": ("position", "posterior_arc"),  # position
        "bình thường": ("normal", "any"),  # normal
        "nhẹ": ("severity", "mild"),  # severity
        "phải": ("laterality", "right"),  # laterality
        "không thấy": ("neg", "không thấy"),  # negation.pre
        "nghi ngờ": ("unc", "nghi ngờ"),  # uncertainty
        "còn": ("scope_end", "còn"),  # negation.scope_end
        "kèm": ("join", "kèm"),  # negation.joins
        "hình ảnh": ("filler", "hình ảnh"),  # negation.fillers
        "sang phải": ("direction", "right"),  # directions
        "đề nghị": ("advice", "đề nghị"),  # advice
        "là do": ("cause", "là do"),  # causes.words
        "chồng lên": ("locative", "chồng lên"),  # locatives
        "không đều": ("modifier", "không đều"),  # modifiers
        "thâm nhiễm": ("word", "thâm nhiễm"),  # words (the segmenter's)
    }
    for form, (kind, value) in expected.items():
        assert (kind, value) in {(t.kind, t.value) for t in index.table[tokens(form)]}, form
    (bare,) = index.table[("to",)]  # bare: every finding it may mean, bound by the organ named with it
    assert bare.kind == "bare" and {"cardiomegaly", "hilar_enlargement"} <= set(bare.candidates)
    assert index.finding_forms["tim to"] == "cardiomegaly"


def test_index_terms_carry_what_the_words_inside_a_form_say():
    from vixray_data.lexicon import term_index, tokens

    index = term_index()
    (heart_big,) = index.table[tokens("bóng tim to")]
    assert heart_big.headed and heart_big.names_organ  # opens with its organ
    (effusion,) = index.table[tokens("tràn dịch màng phổi")]
    assert not effusion.headed and effusion.names_organ  # its organ comes after
    (fracture,) = index.table[tokens("gãy cung sau xương sườn")]
    assert fracture.positions == ("posterior_arc",)
    assert index.table[tokens("hai phổi")][0].lateral == "bilateral"
    # a form with several meanings lists first what a report means by it: the organ, then the segmenter's word
    assert [t.kind for t in index.table[tokens("xương sườn")]] == ["anatomy", "word"]
