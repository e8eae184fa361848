"""Lexical metrics on Vietnamese tokens: diacritics kept, one spelling, a labelled ASCII compatibility mode."""

import unicodedata

import pytest

from vixray_data.evaluation import corpus_bleu, corpus_chrf, rouge, tokenize_ascii, tokenize_syllables
from vixray_data.evaluation.lexical import ASCII, SYLLABLES, WORDS, segmenter_available

LUNG = "Tràn dịch màng phổi"  # pleural effusion
RIGHT = "Tràn dịch màng phải"  # a different (and clinically wrong) statement


def test_ascii_compat_mode_collapses_phoi_and_phai_but_the_default_does_not():
    assert tokenize_ascii("phổi") == tokenize_ascii("phải") == ["ph", "i"]
    assert tokenize_syllables("phổi") != tokenize_syllables("phải")
    assert rouge(LUNG, RIGHT, tokenization=ASCII).rouge1 == 1.0
    assert rouge(LUNG, RIGHT, tokenization=SYLLABLES).rouge1 == pytest.approx(0.75)


def test_mo_mo_mo_are_three_tokens_by_default():
    assert len(set(tokenize_syllables("mờ mở mỡ"))) == 3
    assert len(set(tokenize_ascii("mờ mở mỡ"))) == 1


def test_nfd_and_old_style_tone_marks_give_identical_scores():
    reference = "Vôi hóa thành quai động mạch chủ. Bóng mờ tim to nhẹ."
    nfc = "vôi hóa thành quai động mạch chủ, bóng tim to"
    nfd = unicodedata.normalize("NFD", nfc)
    old_style = nfc.replace("hóa", "hoá")
    for tokenization in (SYLLABLES, WORDS) if segmenter_available() else (SYLLABLES,):
        scores = {rouge(p, reference, tokenization=tokenization) for p in (nfc, nfd, old_style)}
        assert len(scores) == 1
    assert (
        corpus_bleu([nfc], [reference])[0]
        == corpus_bleu([nfd], [reference])[0]
        == corpus_bleu([old_style], [reference])[0]
    )
    assert (
        corpus_chrf([nfc], [reference])[0]
        == corpus_chrf([nfd], [reference])[0]
        == corpus_chrf([old_style], [reference])[0]
    )


def test_rouge_counts_match_hand_computation():
    score = rouge("phổi hai bên sáng đều", "phổi hai bên kém sáng")
    # unigrams: 4 of 5 shared; bigrams: "phổi hai", "hai bên" of 4; LCS "phổi hai bên sáng" = 4
    assert score.rouge1 == pytest.approx(0.8)
    assert score.rouge2 == pytest.approx(0.5)
    assert score.rougeL == pytest.approx(0.8)


def test_identical_texts_score_full_marks_and_empty_predictions_zero():
    text = "Bóng tim không to. Quai động mạch chủ vồng."
    assert rouge(text, text).as_dict() == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert rouge("", text).as_dict() == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert corpus_bleu([text], [text])[0] == pytest.approx(100.0)


def test_ascii_compat_mode_reproduces_rouge_score_numbers():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    pairs = [
        (LUNG, RIGHT),
        ("Phổi hai bên kém sáng, mờ kính rải rác.", "Phổi hai bên sáng đều. Bóng tim không to."),
        ("Bóng mờ tim to nhẹ", "Vôi hóa thành quai động mạch chủ"),
    ]
    for prediction, reference in pairs:
        theirs = scorer.score(reference, prediction)
        ours = rouge(prediction, reference, tokenization=ASCII)
        assert ours.rouge1 == pytest.approx(theirs["rouge1"].fmeasure)
        assert ours.rouge2 == pytest.approx(theirs["rouge2"].fmeasure)
        assert ours.rougeL == pytest.approx(theirs["rougeL"].fmeasure)


def test_bleu_and_chrf_carry_sacrebleu_signatures():
    bleu, bleu_sig = corpus_bleu(["phổi hai bên sáng đều"], ["phổi hai bên sáng đều ."])
    chrf, chrf_sig = corpus_chrf(["phổi hai bên sáng đều"], ["phổi hai bên sáng đều ."])
    assert 0 < bleu < 100 and 0 < chrf < 100
    assert "tok:13a" in bleu_sig and "case:lc" in bleu_sig and "nrefs:1" in bleu_sig
    assert chrf_sig.startswith("nrefs:1|case:lc")


@pytest.mark.skipif(not segmenter_available(), reason="word segmenter not installed")
def test_word_level_rouge_keeps_lexicon_terms_whole():
    from vixray_data.evaluation import tokenize_words

    assert "xương_sườn" in tokenize_words("Gãy cung sau xương sườn III bên trái")
    # a wrong organ costs a whole word, not just one of its syllables
    assert rouge("gãy xương sườn", "gãy xương đòn", tokenization=WORDS).rouge1 == pytest.approx(0.5)
