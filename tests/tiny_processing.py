"""Image-only processors for the tiny test checkpoints (their video processors need torchvision, absent here).

Kept free of local imports: ``save_pretrained`` copies this file beside each tiny checkpoint and writes an
``auto_map`` entry, so a separate process (``accelerate launch``, ``python examples/train_sft.py``) loads the
processor with ``trust_remote_code`` exactly like a hub remote-code model, without importing the test package.
"""

from __future__ import annotations

import re

from transformers import ProcessorMixin
from transformers.models.internvl.processing_internvl import InternVLProcessor
from transformers.models.qwen2_vl.processing_qwen2_vl import Qwen2VLProcessor


class ImageOnlyQwen2VLProcessor(Qwen2VLProcessor):
    """Qwen2-VL's processor without the video processor; images, text and the chat template behave as upstream."""

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
        self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
        self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
        self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
        ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)


class ImageOnlyInternVLProcessor(InternVLProcessor):
    """InternVL -hf's processor without the video processor; images, text and the chat template behave as upstream."""

    def __init__(self, image_processor=None, tokenizer=None, image_seq_length: int = 256, chat_template=None, **kwargs):
        ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)
        self.image_seq_length = image_seq_length
        self.start_image_token = tokenizer.start_image_token
        self.end_image_token = tokenizer.end_image_token
        self.start_image_token_id = tokenizer.start_image_token_id
        self.end_image_token_id = tokenizer.end_image_token_id
        self.image_token = tokenizer.context_image_token
        self.video_token = tokenizer.video_token
        self.image_token_id = tokenizer.context_image_token_id
        image, video = re.escape(self.image_token), re.escape(self.video_token)
        self.multimodal_pattern = re.compile(f"(?P<image>{image})|(?P<video>{video})")


ImageOnlyQwen2VLProcessor.register_for_auto_class()
ImageOnlyInternVLProcessor.register_for_auto_class()
