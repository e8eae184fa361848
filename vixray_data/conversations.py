"""The paper's three fine-tuning stages as TRL conversational-vision samples (§4.3, Appendix A).

A sample is ``{"messages": [...], "images": [PIL image]}``, the format TRL's ``SFTTrainer`` and every
``processor.apply_chat_template`` accept. Stage 1 answers with the findings, stage 2 with the impressions,
stage 3 is two turns: the findings, then "Kết luận bệnh nhân bị gì?" and the impressions. The prompt is the
paper's exact Vietnamese; fields a record lacks are dropped from it so it stays grammatical
(never "None tuổi"). :func:`prompt` gives the generation-time form: the same conversation up to the turn
the model must write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import schema
from .errors import RecordError, SchemaError

SYSTEM_PROMPT = "Bạn là trợ lý bác sĩ"
QUESTION = "Cho biết bệnh nhân bị gì?"
FOLLOW_UP = "Kết luận bệnh nhân bị gì?"

STAGES: tuple[int, ...] = (1, 2, 3)
#: The report fields each stage's assistant turns write, in turn order.
STAGE_FIELDS: dict[int, tuple[str, ...]] = {
    1: (schema.FINDINGS,),
    2: (schema.IMPRESSIONS,),
    3: (schema.FINDINGS, schema.IMPRESSIONS),
}
_SEX_WORD = {schema.MALE: "nam", schema.FEMALE: "nữ"}


def _check_stage(stage: int) -> int:
    if stage not in STAGE_FIELDS:
        raise ValueError(f"stage must be one of {', '.join(map(str, STAGES))}, got {stage!r}")
    return stage


def _clean(value: Any) -> str | None:
    """Stripped text, or None for missing/blank values."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def patient_prompt(*, view: str | None, technique: str | None, sex: str | None, age: int | None) -> str:
    """The paper's user text, e.g. "Ảnh chụp X-ray PA (Chụp Xquang tim phổi thẳng) bệnh nhân nam, 72 tuổi. ...".

    A missing view or technique is left out with its brackets; a missing sex or age drops only its word,
    and the whole "bệnh nhân ..." clause goes when both are missing.
    """
    head = "Ảnh chụp X-ray"
    view, technique = _clean(view), _clean(technique)
    if view:
        head += f" {view}"
    if technique:
        head += f" ({technique})"
    sex_word = _SEX_WORD.get(_clean(sex) or "")
    age_text = f"{int(age)} tuổi" if isinstance(age, int | float) and not isinstance(age, bool) else None
    if sex_word and age_text:
        head += f" bệnh nhân {sex_word}, {age_text}"
    elif sex_word or age_text:
        head += f" bệnh nhân {sex_word or age_text}"
    return f"{head}. {QUESTION}"


def _text(text: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": text}]


def _opening(record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """System turn + the user turn with the image; and the images list."""
    image = record.get(schema.IMAGE)
    if image is None:
        raise RecordError(str(record.get(schema.ID, "?")), "missing_image", "a conversation needs the X-ray")
    user = [
        {"type": "image"},
        *_text(
            patient_prompt(
                view=record.get(schema.VIEW),
                technique=record.get(schema.TECHNIQUE),
                sex=record.get(schema.SEX),
                age=record.get(schema.AGE),
            )
        ),
    ]
    return [{"role": "system", "content": _text(SYSTEM_PROMPT)}, {"role": "user", "content": user}], [image]


def _target(record: Mapping[str, Any], field: str) -> str:
    text = _clean(record.get(field))
    if text is None:
        raise RecordError(str(record.get(schema.ID, "?")), f"missing_{field}", "the stage trains on this field")
    return text


def conversation(record: Mapping[str, Any], *, stage: int) -> dict[str, list[Any]]:
    """The training sample of ``record`` for ``stage``; RecordError naming the record when a target is empty."""
    fields = STAGE_FIELDS[_check_stage(stage)]
    messages, images = _opening(record)
    for turn, field in enumerate(fields):
        if turn:
            messages.append({"role": "user", "content": _text(FOLLOW_UP)})
        messages.append({"role": "assistant", "content": _text(_target(record, field))})
    return {"messages": messages, "images": images}


def prompt(record: Mapping[str, Any], *, stage: int, findings: str | None = None) -> dict[str, list[Any]]:
    """The conversation up to the turn the model writes next (use with ``add_generation_prompt=True``).

    For stages 1 and 2, and stage 3's first turn, that is system + user with the image. For stage 3's second
    turn pass the ``findings`` the model generated: they become the assistant turn, followed by the follow-up
    question "Kết luận bệnh nhân bị gì?".
    """
    _check_stage(stage)
    messages, images = _opening(record)
    if findings is not None:
        if stage != 3:
            raise ValueError("findings are fed back only in stage 3's second turn")
        messages.append({"role": "assistant", "content": _text(findings.strip())})
        messages.append({"role": "user", "content": _text(FOLLOW_UP)})
    return {"messages": messages, "images": images}


def assistant_texts(sample: Mapping[str, Any]) -> list[str]:
    """The assistant turns' texts of a sample, in order (what the loss is computed on)."""
    return [
        "".join(part["text"] for part in message["content"] if part.get("type") == "text")
        for message in sample["messages"]
        if message["role"] == "assistant"
    ]


def require_columns(columns: Iterable[str], *, stage: int, name: str = "dataset") -> None:
    """SchemaError before any model is loaded when a dataset lacks the fields ``stage`` trains on."""
    present = set(columns)
    missing = [f for f in (schema.IMAGE, *STAGE_FIELDS[_check_stage(stage)]) if f not in present]
    if missing:
        raise SchemaError(
            f"stage {stage} needs {', '.join(missing)}, which {name} lacks; "
            f"found columns {', '.join(sorted(present)) or '(none)'}"
        )


def has_targets(row: Mapping[str, Any], *, stage: int) -> bool:
    """True when every field the stage trains on is non-empty in ``row``."""
    return all(_clean(row.get(field)) is not None for field in STAGE_FIELDS[_check_stage(stage)])


def require_values(rows: Iterable[Mapping[str, Any]], *, stage: int, name: str = "dataset") -> None:
    """SchemaError when every row of ``rows`` has an empty target field (a column that exists but is all null)."""
    fields = STAGE_FIELDS[_check_stage(stage)]
    seen = dict.fromkeys(fields, False)
    count = 0
    for row in rows:
        count += 1
        for field in fields:
            seen[field] = seen[field] or _clean(row.get(field)) is not None
        if all(seen.values()):
            return
    empty = [f for f, ok in seen.items() if not ok]
    raise SchemaError(
        f"stage {stage} needs {', '.join(empty)}, but {name} has no non-empty value in {count} row(s) checked"
    )
