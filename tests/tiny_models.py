"""Tiny randomly initialised Qwen2-VL / Qwen2.5-VL / InternVL (-hf) checkpoints, built offline for the tests.

The real weights cannot be downloaded here, so :func:`build_tiny_qwen` writes a directory that loads
exactly like a hub checkpoint (``AutoConfig`` / ``AutoProcessor`` / ``AutoModelForImageTextToText``):
a BPE tokenizer trained on Vietnamese report text with Qwen's special tokens, Qwen2-VL's chat template,
the PIL image processor (torchvision cannot be installed beside the CPU torch) and a model with one
text layer and a depth-1 vision tower. :func:`build_tiny_internvl` does the same with InternVL -hf's special
tokens, chat template and tiling image processor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import torch
from tiny_processing import ImageOnlyInternVLProcessor, ImageOnlyQwen2VLProcessor
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil
from transformers.models.internvl.configuration_internvl import InternVLConfig
from transformers.models.qwen2.tokenization_qwen2 import Qwen2Tokenizer
from transformers.models.qwen2_5_vl.configuration_qwen2_5_vl import Qwen2_5_VLConfig
from transformers.models.qwen2_vl.configuration_qwen2_vl import Qwen2VLConfig
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

#: Qwen's special tokens, in Qwen's order (ids follow the learned vocabulary here, not 151643...).
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

#: Qwen2-VL-Instruct's chat template, verbatim.
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
    "{% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def register_image_only_processor() -> None:
    """Let ``AutoProcessor.from_pretrained`` load tiny checkpoints in this process without remote code (idempotent).

    Other processes load them through the ``auto_map`` each checkpoint carries (``trust_remote_code``).
    """
    for config, processor in (
        (Qwen2VLConfig, ImageOnlyQwen2VLProcessor),
        (Qwen2_5_VLConfig, ImageOnlyQwen2VLProcessor),
        (InternVLConfig, ImageOnlyInternVLProcessor),
    ):
        AutoProcessor.register(config, processor, exist_ok=True)


#: The chat template the -hf InternVL checkpoints (InternVL3-1B-hf, ...) ship, verbatim: ChatML without a default
#: system turn; an image becomes ``<IMG_CONTEXT>`` + newline, which the processor expands to the tile tokens.
INTERNVL_CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' %}{{ '<IMG_CONTEXT>\n' }}"
    "{% elif content['type'] == 'video' %}{{ '<video>\n' }}{% elif content['type'] == 'text' %}{{ content['text'] }}"
    "{% endif %}{% endfor %}{% endif %}{{'<|im_end|>\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{'<|im_start|>assistant\n' }}{% endif %}"
)
#: InternVL -hf's named image tokens (tokenizer_config.json ``extra_special_tokens``).
INTERNVL_IMAGE_TOKENS = {
    "start_image_token": "<img>",
    "end_image_token": "</img>",
    "context_image_token": "<IMG_CONTEXT>",
    "video_token": "<video>",
}

#: Images of about 56x56 become a 4x4 patch grid, merged 2x2 into 4 visual tokens.
IMAGE_PIXELS = 56 * 56


def train_tokenizer(texts: Iterable[str], *, vocab_size: int = 800, extra: Iterable[str] = ()) -> Qwen2Tokenizer:
    """A byte-level BPE learned from ``texts``, wrapped as Qwen2's tokenizer class with the Qwen special tokens.

    ``extra`` special tokens (InternVL's image markers) come after Qwen's, as in the real vocabularies.
    """
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[*SPECIAL_TOKENS, *extra],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(list(texts), trainer=trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in state["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=state["vocab"], merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": [*SPECIAL_TOKENS[1:], *extra]})
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.pad_token = "<|endoftext|>"
    return tokenizer


def build_tiny_qwen(out: Path, texts: Iterable[str], *, family: str = "qwen2_vl", seed: int = 0) -> Path:
    """Write a tiny ``family`` (``qwen2_vl`` or ``qwen2_5_vl``) checkpoint + processor to ``out``; returns ``out``."""
    out = Path(out)
    tokenizer = train_tokenizer(texts)
    image_processor = Qwen2VLImageProcessorPil(
        min_pixels=IMAGE_PIXELS, max_pixels=IMAGE_PIXELS, patch_size=14, merge_size=2, temporal_patch_size=2
    )
    processor = ImageOnlyQwen2VLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=QWEN2_VL_CHAT_TEMPLATE
    )
    ids = {
        name: tokenizer.convert_tokens_to_ids(token)
        for name, token in (
            ("image_token_id", "<|image_pad|>"),
            ("video_token_id", "<|video_pad|>"),
            ("vision_start_token_id", "<|vision_start|>"),
            ("vision_end_token_id", "<|vision_end|>"),
        )
    }
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 1024,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
        "bos_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "pad_token_id": tokenizer.pad_token_id,
    }
    vision = {
        "depth": 1,
        "embed_dim": 32,
        "hidden_size": 64,
        "num_heads": 2,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
    }
    if family == "qwen2_vl":
        vision["mlp_ratio"] = 2
    elif family == "qwen2_5_vl":
        vision = {
            "depth": 1,
            "hidden_size": 32,
            "out_hidden_size": 64,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [0],
        }
    else:
        raise ValueError(f"unknown tiny family {family!r}")
    config = AutoConfig.for_model(family, text_config=text, vision_config=vision, tie_word_embeddings=False, **ids)
    return _save_random_model(config, processor, out, seed=seed, pad=tokenizer.pad_token_id, eos=text["eos_token_id"])


def _save_random_model(config, processor, out: Path, *, seed: int, pad: int, eos: int) -> Path:
    """A randomly initialised model of ``config`` saved beside its processor: the checkpoint the tests load."""
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.pad_token_id = pad
    model.generation_config.eos_token_id = eos
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


#: InternVL tiles of 56 px: 4x4 patches of 14 px, pixel-shuffled by 0.5 into 4 visual tokens per tile.
INTERNVL_TILE = 56


def build_tiny_internvl(out: Path, texts: Iterable[str], *, seed: int = 0) -> Path:
    """Write a tiny InternVL -hf checkpoint (Qwen2 text model, InternViT-style vision tower) + processor to ``out``."""
    out = Path(out)
    tokenizer = train_tokenizer(texts, extra=INTERNVL_IMAGE_TOKENS.values())
    tokenizer._set_model_specific_special_tokens(special_tokens=INTERNVL_IMAGE_TOKENS)
    image_processor = GotOcr2ImageProcessorPil(
        size={"height": INTERNVL_TILE, "width": INTERNVL_TILE}, crop_to_patches=True, min_patches=1, max_patches=2
    )
    image_seq_length = (INTERNVL_TILE // 14) ** 2 // 4
    processor = ImageOnlyInternVLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_length=image_seq_length,
        chat_template=INTERNVL_CHAT_TEMPLATE,
    )
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 1024,
        "bos_token_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "pad_token_id": tokenizer.pad_token_id,
    }
    vision = {
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "image_size": INTERNVL_TILE,
        "patch_size": 14,
    }
    config = InternVLConfig(
        text_config={"model_type": "qwen2", **text},
        vision_config=vision,
        image_token_id=tokenizer.context_image_token_id,
        image_seq_length=image_seq_length,
        downsample_ratio=0.5,
        tie_word_embeddings=False,
    )
    return _save_random_model(config, processor, out, seed=seed, pad=tokenizer.pad_token_id, eos=text["eos_token_id"])
