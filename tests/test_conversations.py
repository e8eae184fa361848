"""The paper's stage 1/2/3 conversations (Appendix A), built from schema records."""

from __future__ import annotations

import pytest
from PIL import Image

from vixray_data import schema
from vixray_data.conversations import (
    FOLLOW_UP,
    SYSTEM_PROMPT,
    assistant_texts,
    conversation,
    patient_prompt,
    prompt,
    require_columns,
    require_values,
)
from vixray_data.errors import RecordError, SchemaError

PAPER_PROMPT = "Ảnh chụp X-ray PA (Chụp Xquang tim phổi thẳng) bệnh nhân nam, 72 tuổi. Cho biết bệnh nhân bị gì?"


def _record(**overrides):
    record = {
        schema.ID: "r1",
        schema.IMAGE: Image.new("L", (8, 8)),
        schema.AGE: 72,
        schema.SEX: schema.MALE,
        schema.VIEW: "PA",
        schema.NOTE: None,
        schema.TECHNIQUE: "Chụp Xquang tim phổi thẳng",
        schema.FINDINGS: "Bóng tim không to.",
        schema.IMPRESSIONS: "Hình ảnh Quai động mạch chủ vồng.",
    }
    record.update(overrides)
    return record


def test_prompt_is_the_papers_exact_vietnamese():
    assert patient_prompt(view="PA", technique="Chụp Xquang tim phổi thẳng", sex="Nam", age=72) == PAPER_PROMPT
    assert patient_prompt(view="PA", technique="Chụp Xquang tim phổi thẳng", sex="Nữ", age=68) == (
        "Ảnh chụp X-ray PA (Chụp Xquang tim phổi thẳng) bệnh nhân nữ, 68 tuổi. Cho biết bệnh nhân bị gì?"
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({schema.AGE: None}, "Ảnh chụp X-ray PA (Chụp Xquang tim phổi thẳng) bệnh nhân nam. Cho biết bệnh nhân bị gì?"),
        (
            {schema.SEX: None},
            "Ảnh chụp X-ray PA (Chụp Xquang tim phổi thẳng) bệnh nhân 72 tuổi. Cho biết bệnh nhân bị gì?",
        ),
        (
            {schema.SEX: None, schema.AGE: None},
            "Ảnh chụp X-ray PA (Chụp Xquang tim phổi thẳng). Cho biết bệnh nhân bị gì?",
        ),
        ({schema.TECHNIQUE: None}, "Ảnh chụp X-ray PA bệnh nhân nam, 72 tuổi. Cho biết bệnh nhân bị gì?"),
        ({schema.TECHNIQUE: "  "}, "Ảnh chụp X-ray PA bệnh nhân nam, 72 tuổi. Cho biết bệnh nhân bị gì?"),
        (
            {schema.VIEW: None},
            "Ảnh chụp X-ray (Chụp Xquang tim phổi thẳng) bệnh nhân nam, 72 tuổi. Cho biết bệnh nhân bị gì?",
        ),
        (
            {schema.VIEW: None, schema.TECHNIQUE: None, schema.SEX: None, schema.AGE: None},
            "Ảnh chụp X-ray. Cho biết bệnh nhân bị gì?",
        ),
    ],
)
def test_missing_metadata_drops_its_words_and_keeps_the_prompt_grammatical(fields, expected):
    text = conversation(_record(**fields), stage=1)["messages"][1]["content"][1]["text"]
    assert text == expected
    assert "None" not in text and "  " not in text


def test_stage1_answers_with_findings_after_system_and_image_prompt():
    record = _record()
    sample = conversation(record, stage=1)
    assert sample["images"] == [record[schema.IMAGE]]
    assert sample["messages"] == [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": PAPER_PROMPT}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Bóng tim không to."}]},
    ]
    assert SYSTEM_PROMPT == "Bạn là trợ lý bác sĩ"


def test_stage2_answers_with_impressions():
    assert assistant_texts(conversation(_record(), stage=2)) == ["Hình ảnh Quai động mạch chủ vồng."]


def test_stage3_is_findings_then_the_follow_up_question_then_impressions():
    messages = conversation(_record(), stage=3)["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert messages[3]["content"] == [{"type": "text", "text": "Kết luận bệnh nhân bị gì?"}]
    assert FOLLOW_UP == "Kết luận bệnh nhân bị gì?"
    assert assistant_texts({"messages": messages}) == ["Bóng tim không to.", "Hình ảnh Quai động mạch chủ vồng."]


def test_prompt_form_stops_before_the_turn_to_generate():
    first = prompt(_record(), stage=3)
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    second = prompt(_record(), stage=3, findings=" Phổi sáng. ")
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert assistant_texts(second) == ["Phổi sáng."]
    assert second["messages"][-1]["content"][0]["text"] == FOLLOW_UP
    with pytest.raises(ValueError, match="stage 3"):
        prompt(_record(), stage=1, findings="x")


def test_prompt_form_does_not_need_the_reference_text():
    record = _record(**{schema.FINDINGS: None, schema.IMPRESSIONS: None})
    assert len(prompt(record, stage=1)["messages"]) == 2


def test_empty_target_raises_naming_the_record():
    with pytest.raises(RecordError, match=r"r9: missing_impressions"):
        conversation(_record(**{schema.ID: "r9", schema.IMPRESSIONS: ""}), stage=3)
    with pytest.raises(RecordError, match=r"r9: missing_image"):
        conversation(_record(**{schema.ID: "r9", schema.IMAGE: None}), stage=1)
    with pytest.raises(ValueError, match="stage must be one of 1, 2, 3"):
        conversation(_record(), stage=4)


def test_stage3_requires_an_impressions_column_with_values():
    require_columns([schema.IMAGE, schema.FINDINGS], stage=1)
    with pytest.raises(SchemaError, match="stage 3 needs impressions"):
        require_columns([schema.IMAGE, schema.FINDINGS], stage=3)
    rows = [{schema.FINDINGS: "a", schema.IMPRESSIONS: None}] * 3
    require_values(rows, stage=1)
    with pytest.raises(SchemaError, match=r"impressions.*3 row\(s\)"):
        require_values(rows, stage=3)


def test_every_demo_record_gives_all_three_stages(demo_dir):
    from vixray_data.load import load_vixray

    train = load_vixray(str(demo_dir), split=schema.TRAIN)
    for record in train.select(range(min(10, len(train)))):
        for stage in (1, 2, 3):
            sample = conversation(record, stage=stage)
            assert all(assistant_texts(sample))
            assert "None" not in sample["messages"][1]["content"][1]["text"]
