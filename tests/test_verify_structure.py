"""`--verify structure`: PNG/JPEG copies checked by their chunks, CRCs and sizes without decoding the pixels, the same
bytes written as with the default pixel check, duplicates caught by their compressed data, and the choice recorded
in the manifest; the default decodes every image once, and nothing is checked twice."""

from __future__ import annotations

import dataclasses
import io
import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL import ImageFile as PILImageFile
from test_png_copy import _export, chunk, noise, png_with_metadata

from vixray_data import schema
from vixray_data.build import build, images
from vixray_data.config import BuildConfig
from vixray_data.errors import ManifestError, RecordError
from vixray_data.manifest import Manifest
from vixray_data.records import CleanRecord, EncodedImage
from vixray_data.sources.imagefile import ImageFile, png_chunks


@pytest.fixture
def no_decoding(monkeypatch):
    """Pillow refuses to decode pixels (headers still parse): what structure checks must never need."""

    def refuse(self):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(PILImageFile.ImageFile, "load", refuse)


def _save(path: Path, image: Image.Image, **settings) -> Path:
    image.save(path, **settings)
    return path


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(noise((40, 48), 1)),  # 8-bit grey
        Image.fromarray(noise((40, 48), 2, np.uint16)),  # 16-bit grey
        Image.fromarray(noise((40, 48, 3), 3)),  # RGB
    ],
    ids=["L", "I;16", "RGB"],
)
def test_a_png_is_copied_to_the_same_bytes_without_its_pixels_being_decoded(tmp_path, image, monkeypatch):
    source = png_with_metadata(tmp_path / "x.png", image)
    decoded = ImageFile(path=str(source), ref="row 1", fmt="png")()

    monkeypatch.setattr(PILImageFile.ImageFile, "load", lambda self: pytest.fail("pixels decoded"))
    checked = ImageFile(path=str(source), ref="row 1", fmt="png").structure()

    assert checked.data == decoded.data and checked.ext == "png"
    assert checked.file_sha256 == decoded.file_sha256
    assert checked.pixels is None  # nothing decoded, nothing for --ocr
    assert not {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"} & {kind for kind, _, _ in png_chunks(checked.data)}


def test_the_structure_digest_is_of_the_compressed_data_metadata_aside(tmp_path, no_decoding):
    pixels = Image.fromarray(noise((32, 32), 4))
    plain = _save(tmp_path / "plain.png", pixels, compress_level=6)
    tagged = png_with_metadata(tmp_path / "tagged.png", pixels)  # Pillow's default level: 6, the same stream
    recompressed = _save(tmp_path / "level1.png", pixels, compress_level=1)  # same pixels, other bytes

    digest = {p.stem: ImageFile(path=str(p), ref=p.stem, fmt="png").structure().pixel_sha256 for p in (plain, tagged)}
    assert digest["plain"] == digest["tagged"]  # a copy differing only in metadata is a duplicate
    other = ImageFile(path=str(recompressed), ref="level1", fmt="png").structure().pixel_sha256
    assert other != digest["plain"]  # a re-encoded copy goes unseen: the price of not decoding


def test_a_reencoded_duplicate_is_caught_by_the_default_pixel_check(tmp_path):
    pixels = Image.fromarray(noise((32, 32), 4))
    one = ImageFile(path=str(_save(tmp_path / "a.png", pixels, compress_level=6)), ref="a", fmt="png")()
    two = ImageFile(path=str(_save(tmp_path / "b.png", pixels, compress_level=1)), ref="b", fmt="png")()
    assert one.pixel_sha256 == two.pixel_sha256


def test_a_damaged_chunk_is_rejected_without_decoding(tmp_path, no_decoding):
    source = _save(tmp_path / "bad.png", Image.fromarray(noise((32, 32), 6)))
    data = bytearray(source.read_bytes())
    data[data.index(b"IDAT") + 20] ^= 0xFF  # the chunk's CRC no longer matches
    source.write_bytes(bytes(data))
    with pytest.raises(RecordError) as caught:
        ImageFile(path=str(source), ref="row 7", fmt="png").structure()
    assert caught.value.reason == "undecodable_image" and caught.value.ref == "row 7"


def test_a_stream_shorter_than_the_header_declares_is_rejected_without_decoding(tmp_path, no_decoding):
    source = _save(tmp_path / "short.png", Image.fromarray(noise((32, 32), 6)))
    data = source.read_bytes()
    header = data[8:33]
    short = zlib.compress(b"\0" + bytes(32))  # one scanline of 32 rows
    source.write_bytes(data[:8] + header + chunk(b"IDAT", short) + chunk(b"IEND", b""))
    with pytest.raises(RecordError, match="undecodable"):
        ImageFile(path=str(source), ref="row 8", fmt="png").structure()


def test_bytes_hidden_after_the_zlib_stream_are_cut_without_decoding(tmp_path, no_decoding):
    source = _save(tmp_path / "covert.png", Image.fromarray(noise((24, 24), 7)))
    kinds = list(png_chunks(source.read_bytes()))
    data = source.read_bytes()
    stream = b"".join(data[s + 8 : e - 4] for kind, s, e in kinds if kind == b"IDAT")
    covert = stream + b"BN24001234 Nguyen Van An"  # after the stream's end: no decoder reads it
    source.write_bytes(data[:33] + chunk(b"IDAT", covert) + chunk(b"IEND", b""))

    written = ImageFile(path=str(source), ref="row 9", fmt="png").structure().data

    assert b"BN24001234" not in written
    idat = b"".join(written[s + 8 : e - 4] for kind, s, e in png_chunks(written) if kind == b"IDAT")
    assert idat == stream


def test_a_palette_png_is_decoded_either_way_to_trim_its_palette(tmp_path):
    image = Image.frombytes("P", (16, 16), (noise((16, 16), 8) % 4).tobytes())  # indices 0-3
    image.putpalette(list(range(256)) * 3)  # 256 entries, 4 used
    source = _save(tmp_path / "p.png", image)
    checked = ImageFile(path=str(source), ref="p", fmt="png").structure()
    assert checked.data == ImageFile(path=str(source), ref="p", fmt="png")().data
    assert {kind: end - start for kind, start, end in png_chunks(checked.data)}[b"PLTE"] == 12 + 3 * 4


def test_a_jpeg_is_stripped_and_digested_by_its_scans_without_decoding(tmp_path, monkeypatch):
    pixels = Image.fromarray(noise((32, 32), 9))
    exif = Image.Exif()
    exif[0x013B] = "Nguyen Van An"
    plain = _save(tmp_path / "plain.jpg", pixels, quality=90)
    tagged = _save(tmp_path / "tagged.jpg", pixels, quality=90, exif=exif, comment=b"BN24001234")
    decoded = ImageFile(path=str(tagged), ref="t", fmt="jpeg")()

    monkeypatch.setattr(PILImageFile.ImageFile, "load", lambda self: pytest.fail("pixels decoded"))
    checked = {p.stem: ImageFile(path=str(p), ref=p.stem, fmt="jpeg").structure() for p in (plain, tagged)}

    assert checked["tagged"].data == decoded.data and b"Nguyen Van An" not in checked["tagged"].data
    assert checked["plain"].pixel_sha256 == checked["tagged"].pixel_sha256
    assert checked["tagged"].pixel_sha256 != decoded.pixel_sha256  # a data digest never equals a pixel digest


def test_the_build_writes_the_same_shards_either_way_and_says_which_check_it_made(tmp_path):
    config = _export(tmp_path / "export", tmp_path / "key")
    pixels = build(dataclasses.replace(config, out=tmp_path / "pixels", num_proc=2))
    structure = build(dataclasses.replace(config, out=tmp_path / "structure", num_proc=2, verify="structure"))

    assert pixels.manifest.image_checks == "pixels" and structure.manifest.image_checks == "structure"
    shards = [{p.name: p.read_bytes() for p in (r.out / "data").glob("*.parquet")} for r in (pixels, structure)]
    assert shards[0] == shards[1]
    # the export's pixel duplicates were saved alike, so their compressed data match too
    assert structure.counts.rejected_by_reason == {"duplicate_file": 1, "duplicate_pixels": 2}
    assert json.loads((structure.out / schema.MANIFEST).read_text())["image_checks"] == "structure"


def test_ocr_and_sources_that_cannot_skip_decoding_are_recorded_as_pixel_checks():
    copy = ImageFile("/x/1.png", "row 1", "png")
    drawn = lambda: EncodedImage(b"", "png")  # noqa: E731 - DICOM conversion, the demo's drawing
    assert images.has_structure(copy) and not images.has_structure(drawn)
    structure = BuildConfig(verify="structure")
    assert images.image_checks(True, structure) == "structure"  # every image a file copy that can
    assert images.image_checks(True, BuildConfig()) == "pixels"
    assert images.image_checks(True, dataclasses.replace(structure, ocr=True)) == "pixels"
    assert images.image_checks(False, structure) == "pixels"  # one image had to be decoded or drawn


def test_an_image_its_producer_checked_or_encoded_is_not_checked_again(tmp_path, monkeypatch):
    source = _save(tmp_path / "x.png", Image.fromarray(noise((16, 16), 10)))
    drawn = noise((16, 16), 11)
    buffer = io.BytesIO()
    Image.fromarray(drawn).save(buffer, format="PNG")
    records = [
        CleanRecord("id1", None, {}, ImageFile(str(source), "row 1", "png"), "row 1"),  # checks its own bytes
        CleanRecord("id2", None, {}, lambda: EncodedImage(buffer.getvalue(), "png"), "row 2"),  # says nothing
        CleanRecord("id3", None, {}, lambda: EncodedImage(buffer.getvalue(), "png", pixels=drawn), "row 3"),  # drew
    ]
    checked: list[str] = []
    monkeypatch.setattr(images, "check_image", lambda image, ref: checked.append(ref) or image)
    for verify in ("pixels", "structure"):
        produced = images.Producer(records, verify=verify)([0, 1, 2])
        assert [error for _, _, error in produced] == [None, None, None]
    assert checked == ["row 2", "row 2"]  # only the bytes nobody vouched for


def test_the_flag_sets_the_config_field():
    import argparse

    from vixray_data.commands import build as command

    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    assert command.config_from_args(parser.parse_args([])).verify == "pixels"
    assert command.config_from_args(parser.parse_args(["--verify", "structure"])).verify == "structure"
    with pytest.raises(SystemExit):
        parser.parse_args(["--verify", "nothing"])


def test_a_manifest_from_before_the_choice_reads_and_an_unknown_choice_is_refused(tmp_path):
    config = _export(tmp_path / "export", tmp_path / "key")
    folder = build(dataclasses.replace(config, out=tmp_path / "out")).out
    path = folder / schema.MANIFEST
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["image_checks"]
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    older = Manifest.read(folder)
    assert older.image_checks is None
    assert older.text() == path.read_text(encoding="utf-8")  # and it writes back without the key

    document["image_checks"] = "glanced"
    with pytest.raises(ManifestError, match=r"image_checks is not one of pixels, structure"):
        Manifest.from_json(document)
