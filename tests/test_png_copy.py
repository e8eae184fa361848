"""Image-folder exports: PNGs are copied without their metadata chunks (not re-encoded), pixels stay identical,
embedded texts are read without decoding, and pixel duplicates are decided the same way by any number of workers."""

from __future__ import annotations

import csv
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from vixray_data.build import build
from vixray_data.config import BuildConfig
from vixray_data.errors import RecordError
from vixray_data.ocr import as_array
from vixray_data.sources.imagefile import ImageFile, embedded_texts, pixel_digest, png_chunks

METADATA_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"tIME", b"prVt"}


def noise(shape: tuple[int, ...], seed: int, dtype=np.uint8) -> np.ndarray:
    top = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, top, shape, dtype=np.int64).astype(dtype)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_metadata(path: Path, image: Image.Image, physician: str = "Tran Thi Binh") -> Path:
    """``image`` saved with every kind of metadata chunk: text (plain, deflated, international), EXIF, an ICC
    profile, a timestamp and a private chunk, some of them after the pixel data."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Patient", "Nguyễn Văn An")
    info.add_text("PatientID", "BN24001234", zip=True)
    info.add_itxt("Comment", "Bệnh nhân Nguyễn Văn An", lang="vi", tkey="Ghi chú", zip=True)
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 3, 14, 9, 30, 0))
    info.add(b"prVt", b"hospital private data BN24001234")
    exif = Image.Exif()
    exif[0x013B] = "Nguyen Van An"  # Artist
    image.save(path, pnginfo=info, exif=exif, icc_profile=b"\0" * 128 + b"Hospital display profile")
    data = path.read_bytes()
    end = data.rindex(b"IEND") - 4  # a text chunk after IDAT too (Pillow writes them all before)
    path.write_bytes(data[:end] + chunk(b"tEXt", b"Physician\0" + physician.encode()) + data[end:])
    return path


def kinds(data: bytes) -> list[bytes]:
    return [kind for kind, _, _ in png_chunks(data)]


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(noise((48, 40), 1)),  # 8-bit grey
        Image.fromarray(noise((48, 40), 2, np.uint16)),  # 16-bit grey: kept at 16 bits
        Image.fromarray(noise((48, 40, 3), 3)),  # RGB
        Image.fromarray(noise((48, 40), 4)).convert("P", palette=Image.ADAPTIVE, colors=16),  # palette
    ],
    ids=["L", "I;16", "RGB", "P"],
)
def test_a_png_loses_every_metadata_chunk_and_keeps_its_exact_pixel_data(tmp_path, image):
    source = png_with_metadata(tmp_path / "in.png", image)
    data = source.read_bytes()
    assert set(kinds(data)) >= METADATA_CHUNKS
    out = ImageFile(path=str(source), ref="row 1", fmt="png")()
    assert out.ext == "png" and not METADATA_CHUNKS & set(kinds(out.data))
    # copied, not re-encoded: the compressed pixel stream is the source's, byte for byte
    idat = b"".join(data[s:e] for k, s, e in png_chunks(data) if k == b"IDAT")
    assert idat and idat in out.data
    before, after = Image.open(source), Image.open(io.BytesIO(out.data))
    assert after.mode == before.mode and after.size == before.size
    assert np.array_equal(np.asarray(after), np.asarray(before))
    assert not {"exif", "icc_profile"} & set(after.info) and not after.text
    for value in (b"Nguy", b"BN24001234", b"Tran Thi Binh", b"Hospital display"):
        assert value not in out.data


def test_a_png_with_alpha_is_reencoded_without_it_and_the_same_colours(tmp_path):
    rgba = noise((20, 24, 4), 5)
    rgba[..., 3] = 255
    source = png_with_metadata(tmp_path / "a.png", Image.fromarray(rgba, "RGBA"))
    out = Image.open(io.BytesIO(ImageFile(path=str(source), ref="row 1", fmt="png")().data))
    assert out.mode == "RGB" and np.array_equal(np.asarray(out), rgba[..., :3]) and not out.info


def _rotated_jpeg(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    Image.fromarray(noise((16, 24, 3), 8)).save(path, format="JPEG", exif=exif)
    return path


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: png_with_metadata(p / "a.png", Image.fromarray(noise((20, 24), 6))), id="png-copy"),
        pytest.param(
            lambda p: png_with_metadata(p / "a.png", Image.fromarray(noise((20, 24, 4), 7), "RGBA")),
            id="png-alpha-reencoded",
        ),
        pytest.param(lambda p: _rotated_jpeg(p / "a.jpg"), id="jpeg-rotated-reencoded"),
    ],
)
def test_the_image_carries_the_decoded_pixels_of_the_bytes_written_for_ocr(tmp_path, make):
    source = make(tmp_path)
    out = ImageFile(path=str(source), ref="row 1", fmt="png" if source.suffix == ".png" else "jpeg")()
    with Image.open(io.BytesIO(out.data)) as written:  # a Pillow image, or the array the copy unfiltered itself
        assert np.array_equal(as_array(out.pixels), np.asarray(written))


def test_a_png_with_a_damaged_pixel_chunk_is_rejected_as_undecodable(tmp_path):
    source = tmp_path / "bad.png"
    Image.fromarray(noise((32, 32), 6)).save(source)
    data = bytearray(source.read_bytes())
    data[data.index(b"IDAT") + 20] ^= 0xFF  # flips a compressed byte: the chunk's CRC no longer matches
    source.write_bytes(bytes(data))
    with pytest.raises(RecordError) as caught:
        ImageFile(path=str(source), ref="row 7 / file ab12", fmt="png")()
    assert caught.value.reason == "undecodable_image" and caught.value.ref == "row 7 / file ab12"


def test_the_copy_reports_digests_of_the_file_and_of_its_decoded_pixels(tmp_path):
    arr = noise((16, 16), 7)
    Image.fromarray(arr).save(tmp_path / "plain.png")
    png_with_metadata(tmp_path / "tagged.png", Image.fromarray(arr))
    plain = ImageFile(path=str(tmp_path / "plain.png"), ref="a", fmt="png")()
    tagged = ImageFile(path=str(tmp_path / "tagged.png"), ref="b", fmt="png")()
    assert plain.file_sha256 != tagged.file_sha256  # different files ...
    assert plain.pixel_sha256 == tagged.pixel_sha256  # ... with the same pixels


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(noise((30, 40), 9)),  # L: hashed through the zero-copy Arrow export
        Image.fromarray(noise((30, 40), 10, np.uint16)),  # I;16: likewise
        Image.fromarray(noise((30, 40, 3), 11)),  # RGB: tobytes()
        Image.new("L", (4200, 4200), 7),  # stored in several memory blocks: tobytes()
    ],
    ids=["L", "I;16", "RGB", "large"],
)
def test_the_pixel_digest_is_the_sha256_of_mode_size_and_pixel_bytes_whichever_way_it_reads_them(image):
    import hashlib

    assert pixel_digest(image) == hashlib.sha256(f"{image.mode}:{image.size}:".encode() + image.tobytes()).hexdigest()


def test_embedded_texts_are_read_from_every_text_chunk_and_exif_without_decoding_the_pixels(tmp_path):
    source = png_with_metadata(tmp_path / "t.png", Image.fromarray(noise((16, 16), 8)))
    data = bytearray(source.read_bytes())
    start = data.index(b"IDAT") + 4
    data[start : start + 8] = b"\0" * 8  # the pixel stream no longer inflates; the texts are still there
    source.write_bytes(bytes(data))
    texts = embedded_texts(source, "png")
    assert {
        texts["png.text.Patient"],
        texts["png.text.PatientID"],
        texts["png.text.Physician"],
        texts[f"exif.{0x013B}"],
    } == {"Nguyễn Văn An", "BN24001234", "Tran Thi Binh", "Nguyen Van An"}
    assert texts["png.text.Comment"] == "Bệnh nhân Nguyễn Văn An"


def _export(root: Path, key: Path) -> BuildConfig:
    """Twelve PNGs with metadata; two of them repeat earlier pixels, one repeats an earlier file."""
    (root / "img").mkdir(parents=True)
    rows = []
    for n in range(12):
        arr = noise((24, 24), 100 + {5: 1, 9: 1}.get(n, n))  # 5 and 9 repeat 1's pixels
        png_with_metadata(root / "img" / f"BN{n:04d}.png", Image.fromarray(arr), physician=f"Tran Thi Binh {n}")
        rows.append(
            {
                "Số phiếu": f"ACC{n:04d}",
                "Mã BN": f"BN{n:04d}",
                "Họ tên": "Nguyễn Văn An",
                "Tên file": f"img/BN{n:04d}.png",
                "Tuổi": str(50 + n),
                "Giới tính": "Nam",
                "Tư thế": "PA",
                "Mô tả": "Bóng tim không to.",
                "Kết luận": "Chưa thấy bất thường.",
            }
        )
    (root / "img" / "BN0011.png").write_bytes((root / "img" / "BN0003.png").read_bytes())  # byte-identical
    with open(root / "table.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    key.write_bytes(b"k" * 32)
    return BuildConfig(source=root, out=root.parent / "out", deid_key_file=key, progress=False, seed=5)


def test_duplicates_are_decided_in_write_order_whatever_the_number_of_workers(tmp_path, monkeypatch):
    import dataclasses

    config = _export(tmp_path / "export", tmp_path / "key")
    one = build(dataclasses.replace(config, out=tmp_path / "one", num_proc=1))
    monkeypatch.setattr(ImageFile, "light", False)  # worker processes, not threads, for these file copies
    two = build(dataclasses.replace(config, out=tmp_path / "two", num_proc=2))
    files = [
        {p.relative_to(r.out).as_posix(): p.read_bytes() for p in sorted(r.out.rglob("*")) if p.is_file()}
        for r in (one, two)
    ]
    assert files[0] == files[1]
    assert one.counts.rejected_by_reason == {"duplicate_file": 1, "duplicate_pixels": 2}
    assert one.counts.written == 9 and one.manifest.leak_scan.clean
