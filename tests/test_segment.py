"""Word segmentation keeps the chest X-ray lexicon's medical words whole, whatever the backend says."""

import unicodedata

import pytest
from pyvi import ViTokenizer

from vixray_data.segment import SegmenterError, count_words, is_word, segment

# Table 2 of the paper: findings of the example record, written by the hospital's radiologist.
TABLE2_FINDINGS = (
    "Hình ảnh gãy cung xương sườn 2 bên trái. Phổi hai bên kém sáng đều. Thâm nhiễm nhu mô phổi hai bên, "
    "đám mờ đông đặc nhu mô phổi phải. Bờ vòm hoành hai bên đều. Góc sườn hoành hai bên nhọn. Bóng tim không to. "
    "Các bờ trung thất trong giới hạn bình thường."
)
APPENDIX_A1 = (
    "Phổi hai bên kém sáng, mờ kính rải rác, rốn phổi tăng đậm nhẹ. Bờ vòm hoành hai bên đều, hai góc sườn hoành "
    "nhọn. Bóng mờ tim không to. Vôi hóa thành quai động mạch chủ."
)


@pytest.mark.parametrize("backend", ["pyvi", "lexicon"])
def test_medical_words_of_the_paper_sentences_are_single_tokens(backend):
    tokens = segment(TABLE2_FINDINGS + " " + APPENDIX_A1, backend=backend)
    for word in ("xương_sườn", "vòm_hoành", "Góc_sườn_hoành", "động_mạch_chủ", "nhu_mô", "rốn_phổi", "Bóng_tim"):
        assert word in tokens, word


def test_pyvi_alone_splits_the_terms_and_the_correction_joins_them():
    raw = ViTokenizer.tokenize("Gãy cung xương sườn. Bờ vòm hoành đều. Vôi hóa thành quai động mạch chủ.").split()
    assert "xương_sườn" not in raw and "vòm_hoành" not in raw and "động_mạch_chủ" not in raw
    tokens = segment("Gãy cung xương sườn. Bờ vòm hoành đều. Vôi hóa thành quai động mạch chủ.")
    assert {"xương_sườn", "vòm_hoành", "động_mạch_chủ"} <= set(tokens)


def test_a_backend_merge_across_a_lexicon_term_boundary_is_split_there():
    assert "rải_rác_rốn" in ViTokenizer.tokenize("Nốt mờ rải rác rốn phổi hai bên.")
    assert segment("Nốt mờ rải rác rốn phổi hai bên.") == ["Nốt", "mờ", "rải_rác", "rốn_phổi", "hai", "bên", "."]


def test_phrase_terms_are_not_glued_into_one_token():
    assert segment("Bóng tim to.") == ["Bóng_tim", "to", "."]
    assert segment("Các bờ trung thất trong giới hạn bình thường.")[-4:] == ["trong", "giới_hạn", "bình_thường", "."]


def test_text_is_normalised_first_old_tone_marks_and_nfd_give_the_same_words():
    expected = segment("Vôi hóa thành quai động mạch chủ.")
    assert segment("Vôi hoá thành quai động mạch chủ.") == expected
    assert segment(unicodedata.normalize("NFD", "Vôi hóa thành quai động mạch chủ.")) == expected
    assert expected[0] == "Vôi_hóa"


def test_punctuation_is_its_own_token_and_is_not_counted_as_a_word():
    tokens = segment("Gãy cung sau xương sườn III (T).")
    assert tokens == ["Gãy", "cung_sau", "xương_sườn", "III", "(", "T", ")", "."]
    assert [t for t in tokens if not is_word(t)] == ["(", ")", "."]
    assert count_words("Gãy cung sau xương sườn III (T).") == 5


def test_lowercase_option_and_empty_text():
    assert segment("Bóng Tim không to", lowercase=True) == ["bóng_tim", "không", "to"]
    assert segment("") == [] and segment("   \n ") == [] and segment(None) == []
    assert count_words("  ") == 0


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(SegmenterError, match="unknown segmentation backend 'spacy'.*pyvi"):
        segment("Phổi sáng", backend="spacy")


@pytest.mark.parametrize("backend", ["underthesea", "vncorenlp"])
def test_a_backend_that_is_not_installed_names_what_to_install(backend, monkeypatch):
    import builtins

    from vixray_data import segment as module

    real_import = builtins.__import__
    blocked = {"underthesea": "underthesea", "vncorenlp": "py_vncorenlp"}[backend]

    def fake_import(name, *args, **kwargs):
        if name == blocked:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    module._underthesea.cache_clear()
    module._vncorenlp.cache_clear()
    with pytest.raises(SegmenterError, match=f"'{backend}' is not installed.*pip install {blocked}"):
        segment("Phổi sáng", backend=backend)
