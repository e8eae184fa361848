"""Pieces the fine-tuning examples share: the assistant-only collator, model-family checks, LoRA targets.

Why a collator of our own when TRL has ``SFTTrainer(assistant_only_loss=True)``: with TRL 1.16 that path does not
give the project's label mask for every supported family (``tests/test_trl_masks.py`` compares them on each
family's real chat template, all three stages, so a TRL upgrade that closes the gap shows up there):

- InternVL -hf: TRL refuses. Its template has no ``{% generation %}`` markers and TRL ships no training template
  for it (``get_training_chat_template`` raises "patching is not supported for this template").
- Qwen2-VL / Qwen2.5-VL: TRL swaps in its own training template, whose generation span also covers the newline
  after each ``<|im_end|>``, a token the model never generates (decoding stops at ``<|im_end|>``).
- ``max_length``: TRL cuts at the end of the sequence, so a long answer can lose all its labels without a word,
  and a cut through image tokens stops with the processor's "Mismatch in image token count", naming no record.

So TRL's :class:`~trl.trainer.sft_trainer.DataCollatorForVisionLanguageModeling` renders the chat template,
processes the images and pads, and :class:`AssistantOnlyCollator` adds only what TRL cannot do: the stage's
conversation built from raw schema records (:mod:`vixray_data.conversations`), labels on the assistant turns'
content and their closing ``<|im_end|>`` alone, and truncation that never cuts image or prompt tokens.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from transformers import TrainerCallback

from . import schema
from .conversations import STAGE_FIELDS, conversation, prompt

log = logging.getLogger(__name__)

IGNORE_INDEX = -100
#: Tensors indexed by token position (truncated together).
_SEQUENCE_KEYS = ("input_ids", "attention_mask", "labels", "mm_token_type_ids", "token_type_ids")

#: ``config.model_type`` -> what the examples run natively with transformers' own classes.
SUPPORTED_FAMILIES: dict[str, str] = {
    "qwen2_vl": "Qwen2-VL (Qwen/Qwen2-VL-2B-Instruct, Qwen/Qwen2-VL-7B-Instruct; the released ViX-Ray weights)",
    "qwen2_5_vl": "Qwen2.5-VL (Qwen/Qwen2.5-VL-3B-Instruct, Qwen/Qwen2.5-VL-7B-Instruct)",
    "internvl": "InternVL in the transformers-native -hf format (OpenGVLab/InternVL3-1B-hf, ...; "
    "convert InternVL2.5-1B with transformers' convert_internvl_weights_to_hf.py)",
}
#: Families the paper used that need remote code or their own repositories; see examples/README.md.
DOCUMENTED_ROUTES: dict[str, str] = {
    "minicpmv": "MiniCPM-V-2.6: trust_remote_code, pinned older transformers, OpenBMB's MiniCPM-V finetune scripts",
    "internvl_chat": "InternVL2.5 / Vintern-1B-v3.5 (remote-code InternVL): convert InternVL2.5 to -hf, or use "
    "InternVL's own internvl_chat fine-tuning scripts with their pinned transformers",
    "llava": "LaVy: the LaVy repository's LLaVA-based training scripts with their pinned transformers",
}
#: LoRA on the language model's attention and MLP projections only; the vision tower's modules never match.
LANGUAGE_MODEL_LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


#: The one install line for fine-tuning, named by every "missing dependency" message and both READMEs.
TRAIN_INSTALL = "pip install 'vixray-data[train]'"


class UnsupportedModelError(ValueError):
    """The checkpoint's family is not one the examples run; the message lists supported ones and routes."""


class UnreachableError(OSError):
    """A model or dataset id that is neither a local folder nor reachable on the hub; the message says what to do."""


class PrecisionError(ValueError):
    """The requested mixed precision cannot run on this machine; the message names the flag to change."""


def unreachable(kind: str, name: str, cause: BaseException) -> UnreachableError:
    """One-line error for a ``kind`` ("model", "dataset") id that could not be loaded from disk or the hub.

    A hub id gets the toolkit's one message for an unreachable hub (:func:`vixray_data.hub.unreachable_message`).
    """
    if isinstance(cause, UnreachableError):
        return cause
    if os.path.exists(name):
        return UnreachableError(
            f"{kind} {name}: the local folder could not be read ({type(cause).__name__}); "
            f"check that it holds a complete {kind}"
        )
    from .errors import SourceError
    from .hub import unreachable_message

    if isinstance(cause, SourceError):  # the hub probe's own error already says it in those words
        return UnreachableError(str(cause))
    return UnreachableError(unreachable_message(name, cause, repo_type=kind))


def pick_precision(bf16: bool | None, fp16: bool | None, *, use_cpu: bool = False) -> tuple[bool, bool]:
    """``(bf16, fp16)`` for the Trainer: what was set (flag, YAML or the accelerate config), else from the hardware.

    Unset means bf16 where the GPU supports it, else fp16 on CUDA, else fp32 with a warning. A setting the machine
    cannot run raises :class:`PrecisionError` naming the flag, instead of transformers' "Your setup doesn't support".
    """
    import torch

    cuda = torch.cuda.is_available() and not use_cpu
    bf16_ok = use_cpu or (cuda and torch.cuda.is_bf16_supported())
    if bf16 is None and not fp16:
        mixed = os.environ.get("ACCELERATE_MIXED_PRECISION", "no")  # set by `accelerate launch --mixed_precision`
        if mixed in ("bf16", "fp16"):
            bf16, fp16 = mixed == "bf16", mixed == "fp16"
    if bf16 is None and not fp16:
        if cuda:
            return (True, False) if bf16_ok else (False, True)
        log.warning(
            "no CUDA GPU: training in fp32 on CPU (slow; meant for smoke tests). "
            "Pass --bf16 true --use_cpu true for bf16 on CPU."
        )
        return False, False
    bf16, fp16 = bool(bf16), bool(fp16)
    if bf16 and fp16:
        raise PrecisionError("--bf16 and --fp16 are both set; pick one")
    if bf16 and not bf16_ok:
        where = "this GPU has no bf16 (pre-Ampere): use --fp16 true" if cuda else "there is no CUDA GPU here"
        raise PrecisionError(
            f"bf16 was requested (--bf16, the YAML's bf16: true or the accelerate config's "
            f"mixed_precision) but {where}; drop it to pick precision from the hardware, or pass "
            f"--bf16 false (or --mixed_precision no to accelerate launch)"
        )
    if fp16 and not cuda:
        raise PrecisionError(
            "fp16 was requested (--fp16 or the accelerate config's mixed_precision) but there is no "
            "CUDA GPU here; drop it to train in fp32"
        )
    return bf16, fp16


def model_family(model_name_or_path: str, **kwargs: Any) -> str:
    """``model_type`` of a checkpoint, read from its config.json without loading weights or remote code."""
    from transformers import PretrainedConfig

    from .errors import SourceError
    from .hub import is_hub_id, require_hub

    if is_hub_id(model_name_or_path):
        try:
            require_hub(model_name_or_path, repo_type="model")  # fail in seconds, not after transformers' retries
        except SourceError as error:
            raise unreachable("model", model_name_or_path, error) from None
    config, _ = PretrainedConfig.get_config_dict(model_name_or_path, **kwargs)
    return str(config.get("model_type", ""))


def check_model_family(model_name_or_path: str, **kwargs: Any) -> str:
    """The family of ``model_name_or_path`` if supported; else :class:`UnsupportedModelError` naming the options."""
    if not model_name_or_path:
        raise UnsupportedModelError(
            "no model given: pass --model_name_or_path (a hub id such as "
            "Qwen/Qwen2-VL-2B-Instruct, or a local folder) or --config examples/configs/….yaml"
        )
    try:
        family = model_family(model_name_or_path, **kwargs)
    except OSError as error:
        raise unreachable("model", model_name_or_path, error) from error
    if family in SUPPORTED_FAMILIES:
        return family
    supported = "; ".join(f"{k}: {v}" for k, v in SUPPORTED_FAMILIES.items())
    routes = "; ".join(DOCUMENTED_ROUTES.values())
    raise UnsupportedModelError(
        f"{model_name_or_path}: model_type {family or '(none)'!r} is not supported by these examples. "
        f"Supported: {supported}. Documented routes for other models (examples/README.md): {routes}."
    )


class RemoteCodeError(ValueError):
    """A checkpoint whose model, processor or tokenizer is its own code (``auto_map``), loaded without the flag."""


def checked_load(kind: str, name: str, loader: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``loader(*args, **kwargs)`` (``from_pretrained``, ``load_vixray``), with failures a user can fix as one line.

    An id that cannot be reached becomes :func:`unreachable`; transformers' refusal to run a checkpoint's own code
    (a ``ValueError`` that names ``trust_remote_code``, there is no narrower type) becomes :class:`RemoteCodeError`
    naming the script flag. Pass ``trust_remote_code`` explicitly: left unset, transformers asks on the terminal.
    """
    try:
        return loader(*args, **kwargs)
    except UnreachableError:
        raise
    except OSError as error:  # ConnectionError, OfflineModeIsEnabled, transformers' "couldn't connect"
        raise unreachable(kind, name, error) from error
    except ValueError as error:
        if "trust_remote_code" not in str(error):
            raise
        raise RemoteCodeError(
            f"{kind} {name}: the checkpoint ships its own code (auto_map in its config files), "
            f"which runs only with --trust_remote_code true; pass it if you trust that "
            f"code"
        ) from None


@contextlib.contextmanager
def quiet_peft_alias() -> Iterator[None]:
    """Silence the FutureWarning PEFT (0.21) causes when it wraps a model by reading transformers 5's deprecated
    ``is_gradient_checkpointing``: the user can do nothing about it. Only that message, only inside the block."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


@dataclass
class AssistantOnlyCollator:
    """Schema records -> model inputs for ``stage``, with loss only on the assistant turns.

    Rendering, image processing and padding are TRL's vision collator's; the labels and the truncation are ours
    (the module docstring says why). ``max_length`` never cuts image tokens or the prompt: a longer sample loses
    only the tail of its last assistant turn; when even the prompt does not fit, :class:`ValueError` names the
    record. The ChatML markers (``<|im_start|>assistant\\n`` ... ``<|im_end|>``) are shared by Qwen2-VL,
    Qwen2.5-VL and InternVL -hf.
    """

    processor: Any
    stage: int
    max_length: int | None = None
    assistant_header: str = "<|im_start|>assistant\n"
    turn_end: str = "<|im_end|>"
    _header_ids: list[int] = field(init=False, repr=False)
    _end_id: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

        if self.stage not in STAGE_FIELDS:
            raise ValueError(f"stage must be one of {sorted(STAGE_FIELDS)}, got {self.stage!r}")
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self._header_ids = tokenizer.encode(self.assistant_header, add_special_tokens=False)
        self._end_id = tokenizer.convert_tokens_to_ids(self.turn_end)
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self._end_id
        # no max_length (TRL would cut through image tokens) and no assistant_only_loss: both are done here
        self._render = DataCollatorForVisionLanguageModeling(self.processor)

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        # which records each process trains on (``--log_level debug``; a multi-process launch checks the shards)
        log.debug("collating records %s", ",".join(str(row.get(schema.ID, "?")) for row in rows))
        batch = self._render([conversation(row, stage=self.stage) for row in rows])
        labels = batch["input_ids"].clone()
        labels[:] = IGNORE_INDEX
        keep = []
        for row, record in enumerate(rows):
            ids = batch["input_ids"][row].tolist()
            length = int(batch["attention_mask"][row].sum())
            spans = self.assistant_spans(ids[:length])
            expected = len(STAGE_FIELDS[self.stage])
            if len(spans) != expected:
                raise ValueError(
                    f"record {record.get(schema.ID, '?')}: found {len(spans)} assistant turn(s) in the "
                    f"rendered chat template, expected {expected}; the template does not use "
                    f"{self.assistant_header!r} ... {self.turn_end!r}"
                )
            for start, end in spans:
                labels[row, start:end] = batch["input_ids"][row, start:end]
            if self.max_length is not None and length > self.max_length:
                length = self._truncate(batch, labels, row, length, spans[-1][0], record, self.max_length)
            keep.append(length)
        batch["labels"] = labels
        width = max(keep)
        for key in _SEQUENCE_KEYS:
            if key in batch:
                batch[key] = batch[key][:, :width]
        return dict(batch)

    def assistant_spans(self, ids: list[int]) -> list[tuple[int, int]]:
        """``[start, end)`` of each assistant turn's content plus its closing end-of-turn token."""
        spans, n, i = [], len(self._header_ids), 0
        while i <= len(ids) - n:
            if ids[i : i + n] == self._header_ids:
                start = i + n
                end = ids.index(self._end_id, start) + 1 if self._end_id in ids[start:] else len(ids)
                spans.append((start, end))
                i = end
            else:
                i += 1
        return spans

    def _truncate(
        self,
        batch: Any,
        labels: Any,
        row: int,
        length: int,
        last_start: int,
        record: Mapping[str, Any],
        max_length: int,
    ) -> int:
        """Cut row ``row`` to ``max_length`` inside its last assistant turn, or raise naming the record."""
        if max_length <= last_start:
            raise ValueError(
                f"record {record.get(schema.ID, '?')}: {length} tokens, and the image + prompt tokens before the last "
                f"answer already take {last_start} (max_length={max_length}); image tokens are never truncated, "
                f"so raise max_length or lower the processor's max_pixels"
            )
        log.debug("record %s: answer truncated from %d to %d tokens", record.get(schema.ID), length, max_length)
        batch["attention_mask"][row, max_length:] = 0
        batch["input_ids"][row, max_length:] = self._pad_id
        labels[row, max_length:] = IGNORE_INDEX
        return max_length


def generation_batch(
    processor: Any, records: Sequence[Mapping[str, Any]], *, stage: int, findings: Sequence[str] | None = None
) -> Any:
    """Left-padded model inputs asking for the next assistant turn of each record (see ``conversations.prompt``)."""
    samples = [
        prompt(record, stage=stage, findings=None if findings is None else findings[i])
        for i, record in enumerate(records)
    ]
    texts = [processor.apply_chat_template(s["messages"], tokenize=False, add_generation_prompt=True) for s in samples]
    return processor(
        text=texts, images=[s["images"] for s in samples], padding=True, padding_side="left", return_tensors="pt"
    )


def set_image_budget(processor: Any, *, min_pixels: int | None = None, max_pixels: int | None = None) -> None:
    """Bound the visual tokens per X-ray (Qwen-VL: about ``pixels / (28*28)`` tokens after the 2x2 merge).

    A 2048x2500 radiograph at native resolution is ~6,500 visual tokens for Qwen2-VL; ``max_pixels=256*28*28``
    caps it at ~256. Processors without a pixel budget (InternVL tiles images at a fixed 448 px) are left alone
    with a warning.
    """
    image_processor = getattr(processor, "image_processor", None)
    size = getattr(image_processor, "size", None)
    if min_pixels is None and max_pixels is None:
        return
    if size is None or "longest_edge" not in size or "shortest_edge" not in size:
        log.warning("%s has no pixel budget; min_pixels/max_pixels ignored", type(image_processor).__name__)
        return
    if max_pixels is not None:
        size["longest_edge"] = max_pixels
    if min_pixels is not None:
        size["shortest_edge"] = min_pixels
    if size["shortest_edge"] > size["longest_edge"]:
        raise ValueError(f"min_pixels={size['shortest_edge']} exceeds max_pixels={size['longest_edge']}")


class ThroughputCallback(TrainerCallback):
    """Samples/s, tokens/s and peak GPU memory of a training run, logged and written to ``throughput.json``.

    Tokens are the non-padding input tokens (image tokens included) the Trainer counts when
    ``include_num_input_tokens_seen="non_padding"``.
    """

    def __init__(self) -> None:
        self.summary: dict[str, Any] = {}
        self._start = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import time

        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        self._start = time.perf_counter()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        import json
        import time
        from pathlib import Path

        import torch

        seconds = max(time.perf_counter() - self._start, 1e-9)
        samples = state.global_step * args.per_device_train_batch_size * args.gradient_accumulation_steps
        samples *= max(args.world_size, 1)
        self.summary = {
            "steps": state.global_step,
            "seconds": round(seconds, 3),
            "samples": samples,
            "samples_per_second": round(samples / seconds, 3),
            "tokens": int(state.num_input_tokens_seen or 0),
            "tokens_per_second": round((state.num_input_tokens_seen or 0) / seconds, 1),
            "peak_gpu_memory_gib": (
                round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None
            ),
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        }
        log.info("throughput: %s", self.summary)
        if state.is_world_process_zero:
            Path(args.output_dir).mkdir(parents=True, exist_ok=True)
            (Path(args.output_dir) / "throughput.json").write_text(json.dumps(self.summary, indent=2) + "\n")
