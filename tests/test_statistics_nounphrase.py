"""Noun phrases: the Stanza tree walk (on bracket strings) and the offline POS + lexicon chunker."""

import logging

import pytest

from vixray_data.statistics.nounphrase import (
    POS_LEXICON,
    Mention,
    Tree,
    anatomy_mentions,
    make_extractor,
    noun_phrases,
    offline_extractor,
    parse_tree,
)


def test_a_bracket_string_parses_into_a_tree_with_its_leaves():
    tree = parse_tree("(ROOT (S (NP (N Bóng) (N tim)) (VP (R không) (A to))))")
    assert tree.label == "ROOT"
    assert tree.leaves() == ["Bóng", "tim", "không", "to"]
    assert tree.children[0] == Tree("S", (Tree("NP", (Tree("N", ("Bóng",)), Tree("N", ("tim",)))),
                                          Tree("VP", (Tree("R", ("không",)), Tree("A", ("to",))))))  # fmt: skip


def test_the_walk_returns_maximal_noun_phrases_with_underscores_as_spaces():
    tree = parse_tree("(ROOT (S (VP (V Gãy) (NP (NP (N cung) (N xương_sườn)) (NP (M 2) (N bên) (A trái)))) (PUNCT .)))")
    assert noun_phrases(tree) == ["cung xương sườn 2 bên trái"]
    assert noun_phrases(parse_tree("(ROOT (S (NP (N Bóng) (N tim)) (VP (R không) (A to))))")) == ["Bóng tim"]


@pytest.mark.parametrize("broken", ["(ROOT (NP (N tim)", "(ROOT (N tim)) extra", "N tim"])
def test_a_malformed_bracket_string_is_a_clear_error(broken):
    with pytest.raises(ValueError, match="bracket tree"):
        parse_tree(broken)


def test_body_parts_in_a_phrase_come_with_side_and_rib_number():
    assert anatomy_mentions("cung xương sườn 2 bên trái") == [Mention("rib", "cung xương sườn", "left", 2)]
    assert anatomy_mentions("cung sau xương sườn III") == [Mention("rib", "cung sau xương sườn", None, 3)]
    assert [m.concept for m in anatomy_mentions("nhu mô phổi phải")] == ["lung_parenchyma"]  # longest match
    assert [m.concept for m in anatomy_mentions("thùy trên phổi trái")] == ["lobe", "lung"]


def test_every_anatomy_form_of_the_lexicons_one_index_is_a_body_part_here():
    from vixray_data.lexicon import term_index

    forms = {t.form: t.value for terms in term_index().table.values() for t in terms if t.kind == "anatomy"}
    assert forms
    assert {form: [m.concept for m in anatomy_mentions(form)] for form in forms} == {
        form: [concept] for form, concept in forms.items()
    }


def test_the_offline_chunker_finds_the_anatomy_noun_phrases_of_a_paper_sentence():
    text = "Hình ảnh gãy cung xương sườn 2 bên trái. Bóng mờ tim không to. Nốt mờ cạnh rốn phổi trái."
    phrases = offline_extractor()(text)
    assert "cung xương sườn 2 bên trái" in phrases
    assert "Bóng mờ tim" in phrases  # a lexicon term stays one phrase whatever pyvi tagged "mờ"
    assert any("rốn phổi trái" in p for p in phrases)


def test_a_missing_stanza_falls_back_to_the_offline_method_with_one_debug_line(caplog, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_stanza(name, *args, **kwargs):
        if name == "stanza":
            raise ImportError("No module named 'stanza'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_stanza)
    with caplog.at_level(logging.DEBUG, logger="vixray_data.statistics.nounphrase"):
        extractor = make_extractor("auto")
    assert extractor.method == POS_LEXICON
    assert len(caplog.records) == 1 and "Stanza unavailable" in caplog.records[0].getMessage()
    assert caplog.records[0].levelno == logging.DEBUG  # not on every run's console: report.md names the method
    assert make_extractor(POS_LEXICON).method == POS_LEXICON
    with pytest.raises(ValueError, match="unknown noun-phrase method"):
        make_extractor("spacy")


def test_with_stanza_installed_its_constituency_trees_give_the_noun_phrases(monkeypatch):
    import sys
    import types

    parses = {"Bóng tim không to.": "(ROOT (S (NP (N Bóng) (N tim)) (VP (R không) (A to)) (PUNCT .)))"}
    seen = {}

    class Pipeline:  # stands in for stanza.Pipeline("vi", processors="tokenize,pos,constituency")
        def __init__(self, lang, **kwargs):
            seen.update(lang=lang, **kwargs)

        def __call__(self, text):
            sentence = types.SimpleNamespace(constituency=parses[text])
            return types.SimpleNamespace(sentences=[sentence])

    monkeypatch.setitem(sys.modules, "stanza", types.SimpleNamespace(Pipeline=Pipeline))
    extractor = make_extractor("auto")
    assert extractor.method == "stanza"
    assert seen["lang"] == "vi" and "constituency" in seen["processors"]
    assert extractor("Bóng tim không to.") == ["Bóng tim"]
