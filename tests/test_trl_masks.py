"""TRL's own assistant-only loss against the project's collator, on each supported family's real chat template.

``SFTTrainer(assistant_only_loss=True)`` on a ``messages`` + ``images`` dataset built from ``conversation()`` is how
TRL would fine-tune these models by itself. The examples keep :class:`AssistantOnlyCollator` because, with the TRL
installed here, that path gives a different label mask (Qwen2-VL, Qwen2.5-VL) or none at all (InternVL -hf), and
its ``max_length`` cut loses answers silently. These tests pin each difference: when one fails after a TRL upgrade,
TRL may now do the job, and ``vixray_data/training.py`` (module docstring) says what to switch.
"""

from __future__ import annotations

import pytest

from vixray_data.conversations import assistant_texts, conversation
from vixray_data.training import AssistantOnlyCollator, set_image_budget

RECORDS = 3


def _trl_trainer(model_dir, dataset, tmp_path, **settings):
    """TRL's SFTTrainer as its documentation sets it up for a vision dataset with assistant-only loss."""
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import SFTConfig, SFTTrainer

    processor = AutoProcessor.from_pretrained(model_dir)
    set_image_budget(processor, min_pixels=3136, max_pixels=3136)
    args = SFTConfig(
        output_dir=str(tmp_path),
        assistant_only_loss=True,
        report_to="none",
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        dataloader_pin_memory=False,
        **settings,
    )
    model = AutoModelForImageTextToText.from_pretrained(model_dir)
    return SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=processor), processor


def _as_messages(records, stage):
    """The records in TRL's conversational vision format: ``messages`` and ``images`` columns."""
    return records.map(lambda record: conversation(record, stage=stage), remove_columns=records.column_names)


def _labelled(batch, row) -> list[int]:
    return (batch["labels"][row] != -100).nonzero().flatten().tolist()


@pytest.mark.parametrize("stage", [1, 2, 3])
@pytest.mark.parametrize("family", ["qwen2_vl", "qwen2_5_vl"])
def test_trl_assistant_only_loss_on_qwen_also_labels_the_newline_after_each_answer(
    tiny_models, train_records, tmp_path, family, stage
):
    records = train_records.select(range(RECORDS))
    data = _as_messages(records, stage)
    trainer, processor = _trl_trainer(tiny_models[family], data, tmp_path)
    theirs = trainer.data_collator(list(data))
    ours = AssistantOnlyCollator(processor, stage)(list(records))
    tokenizer = processor.tokenizer
    newline = tokenizer.encode("\n", add_special_tokens=False)
    assert len(newline) == 1
    assert theirs["input_ids"].tolist() == ours["input_ids"].tolist()  # the same rendering, tokens and padding
    for row, record in enumerate(records):
        answers = assistant_texts(conversation(record, stage=stage))
        ids = ours["input_ids"][row].tolist()
        assert tokenizer.decode([ids[i] for i in _labelled(ours, row)]) == "".join(a + "<|im_end|>" for a in answers)
        assert tokenizer.decode([ids[i] for i in _labelled(theirs, row)]) == "".join(
            a + "<|im_end|>\n" for a in answers
        )
        extra = sorted(set(_labelled(theirs, row)) - set(_labelled(ours, row)))
        assert set(_labelled(ours, row)) <= set(_labelled(theirs, row))
        assert [ids[i] for i in extra] == newline * len(answers)  # the whole difference: one newline per answer


def test_trl_refuses_assistant_only_loss_under_internvls_chat_template(tiny_models, train_records, tmp_path):
    data = _as_messages(train_records.select(range(RECORDS)), 3)
    with pytest.raises(ValueError, match="patching is not supported for this template"):
        _trl_trainer(tiny_models["internvl"], data, tmp_path)


def test_trl_max_length_drops_a_whole_answer_silently_where_ours_names_the_record(tiny_models, train_records, tmp_path):
    from vixray_data import schema

    records = train_records.select(range(1))
    data = _as_messages(records, 1)
    trainer, processor = _trl_trainer(tiny_models["qwen2_vl"], data, tmp_path)
    ours = AssistantOnlyCollator(processor, 1)(list(records))
    answer_start = _labelled(ours, 0)[0]
    trainer.data_collator.max_length = answer_start  # the prompt fits, the answer does not
    cut = trainer.data_collator(list(data))
    assert cut["input_ids"].shape[1] == answer_start and _labelled(cut, 0) == []  # trained on nothing, no word said
    with pytest.raises(ValueError, match=rf"record {records[0][schema.ID]}: .*image tokens are never truncated"):
        AssistantOnlyCollator(processor, 1, max_length=answer_start)(list(records))
