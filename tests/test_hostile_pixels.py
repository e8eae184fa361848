"""Text burned into pixels: ``--ocr`` finds names, dates and numbers drawn into a radiograph, lets markers pass.

Radiographs are synthetic (two dark lung fields, ribs, noise); text is drawn with DejaVu Sans Bold, which
matplotlib ships, so the fixtures need no system font. The engine is the ``ocr`` extra (RapidOCR).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from test_hostile_output import write_table
from test_hostile_tables import image_rows

from vixray_data import ocr
from vixray_data.build import build
from vixray_data.errors import SourceError

pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra: pip install 'vixray-data[ocr]'")

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


def radiograph(seed: int, size: int = 512) -> np.ndarray:
    """A chest-like 8-bit image: bright mediastinum, two dark lungs, ribs, a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    lungs = sum(np.exp(-(((x - cx) / 0.15) ** 2 + ((y - 0.5) / 0.3) ** 2)) for cx in (0.32, 0.68))
    ribs = sum(0.08 * np.exp(-(((y - 0.2 - 0.08 * k) / 0.01) ** 2)) for k in range(8))
    image = 0.75 - 0.45 * lungs + ribs + 0.03 * rng.standard_normal((size, size))
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def draw(arr: np.ndarray, text: str, xy: tuple[int, int], size: int) -> np.ndarray:
    image = Image.fromarray(arr)
    ImageDraw.Draw(image).text(xy, text, font=ImageFont.truetype(str(FONT), size), fill=255)
    return np.asarray(image)


@pytest.fixture(scope="module")
def screen() -> ocr.TextScreen:
    return ocr.TextScreen()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: draw(radiograph(1), "NGUYỄN VĂN ĐỨC", (20, 20), 28), id="vietnamese-name"),
        pytest.param(lambda: draw(radiograph(2), "0912 345 678", (250, 460), 26), id="digits"),
        pytest.param(lambda: draw(radiograph(3), "Trần Thị Bình 12/03/1952", (280, 480), 12), id="small-font"),
        pytest.param(lambda: draw(radiograph(4), "BN 20240001", (30, 380), 72), id="large-font"),
        pytest.param(lambda: 255 - draw(radiograph(5), "Lê Văn Hoà", (30, 440), 28), id="inverted"),
        pytest.param(lambda: draw(radiograph(6), "Phạm Minh", (40, 40), 30).astype(np.uint16) * 257, id="16-bit"),
    ],
)
def test_words_drawn_into_a_radiograph_are_found(screen, make):
    found = screen.unexpected(make())
    assert len(found) == 1
    assert found[0].width > 0 and found[0].height > 0


@pytest.mark.parametrize("text, xy", [("R", (460, 20)), ("PA ĐỨNG", (20, 20)), ("L", (20, 460))])
def test_radiographic_markers_are_allowed(screen, text, xy):
    arr = draw(radiograph(7), text, xy, 36)
    assert screen.boxes(arr)  # the marker is read...
    assert screen.unexpected(arr) == []  # ...and allowed


def test_a_clean_radiograph_has_no_text(screen):
    assert screen.boxes(radiograph(8)) == []


def test_the_allow_list_is_configurable():
    arr = draw(radiograph(9), "R BV175", (300, 20), 30)
    assert ocr.TextScreen().unexpected(arr)
    assert ocr.TextScreen(ocr.parse_allow("L,R,BV175")).unexpected(arr) == []


def image_export(root: Path, images: list[np.ndarray]) -> Path:
    (root / "images").mkdir(parents=True)
    for i, arr in enumerate(images):
        Image.fromarray(arr).save(root / "images" / f"img{i}.png")
    write_table(root, image_rows(len(images)))
    return root


def test_ocr_build_rejects_the_image_with_a_name_naming_the_box_never_the_text(tmp_path):
    from test_export import config

    root = image_export(
        tmp_path / "export",
        [
            radiograph(10),
            draw(radiograph(11), "HOÀNG VĂN THÁI", (20, 30), 28),
            draw(radiograph(12), "R", (460, 20), 36),
        ],
    )
    result = build(config(root, tmp_path / "out", ocr=True))
    assert result.counts.written == 2
    rejects = [json.loads(line) for line in (result.out / "rejects.jsonl").open(encoding="utf-8")]
    assert [r["reason"] for r in rejects] == ["burned_in_text"]
    assert rejects[0]["detail"] == "text beyond the allowed marker words at top left"  # words: no data-read number
    everything = b"".join(p.read_bytes() for p in result.out.rglob("*") if p.is_file())
    for word in ("HOÀNG", "HOANG", "THÁI", "THAI"):
        assert word.encode() not in everything
    screening = result.manifest.pixel_screening
    assert screening.ocr is True and "ĐỨNG" in screening.allowed_words
    assert "every image was read with OCR" in (result.out / "README.md").read_text(encoding="utf-8")


def test_clean_demo_images_pass_the_screen(tmp_path):
    from conftest import demo_config

    result = build(demo_config(tmp_path / "vixray", demo_size=8, demo_image_size=512, ocr=True))
    assert result.counts.written == 8 and result.rejects == []


def test_ocr_without_the_engine_installed_fails_before_anything_is_written(tmp_path, monkeypatch):
    from conftest import demo_config

    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails as if not installed
    with pytest.raises(SourceError, match=r"pip install 'vixray-data\[ocr\]'"):
        build(demo_config(tmp_path / "vixray", demo_size=8, ocr=True))
    assert not (tmp_path / "vixray").exists()


def test_screen_reads_encoded_image_bytes_and_raises_a_record_error(screen):
    from vixray_data.errors import RecordError

    buffer = io.BytesIO()
    Image.fromarray(draw(radiograph(13), "Võ Thị Sáu", (30, 30), 30)).save(buffer, format="PNG")
    with pytest.raises(RecordError) as caught:
        screen.check(buffer.getvalue(), "row 3 / file ab12")
    assert caught.value.reason == "burned_in_text" and "Sáu" not in str(caught.value)


def _count_decodes(monkeypatch) -> list[str]:
    """Every decode of encoded pixels Pillow starts in this process (one decoder per image: "zip" for PNG, "jpeg"),
    by decoder name; "raw" (Pillow copying an array it is given, e.g. when the demo draws) decodes no file."""
    from PIL import Image as PILImage

    calls: list[str] = []
    real = PILImage._getdecoder

    def counted(mode, decoder_name, *args, **kwargs):
        if decoder_name != "raw":
            calls.append(decoder_name)
        return real(mode, decoder_name, *args, **kwargs)

    monkeypatch.setattr(PILImage, "_getdecoder", counted)
    return calls


def test_with_ocr_each_exported_image_is_decoded_once(tmp_path, monkeypatch):
    from test_export import config

    root = image_export(tmp_path / "export", [radiograph(20, 256), radiograph(21, 256), radiograph(22, 256)])
    decodes = _count_decodes(monkeypatch)
    result = build(config(root, tmp_path / "out", ocr=True, num_proc=1))
    assert result.counts.written == 3 and result.rejects == []
    assert decodes == ["zip"] * 3  # the copy's decode serves the check, the pixel digest and OCR


def test_with_ocr_drawn_demo_images_are_never_decoded(tmp_path, monkeypatch):
    from conftest import demo_config

    decodes = _count_decodes(monkeypatch)
    result = build(demo_config(tmp_path / "vixray", demo_size=4, demo_image_size=256, ocr=True, num_proc=1))
    assert result.counts.written == 4
    assert decodes == []  # OCR reads the drawn array, not the PNG made of it
