"""Leak scan: finds identifying values wherever an output file can carry them, never stores them."""

from __future__ import annotations

import io
import json
import unicodedata

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image, PngImagePlugin

from vixray_data.build.leak_scan import scan_folder, spellings, value_hash
from vixray_data.cli import main

NAME = "Nguyễn Văn An"


def png(texts: dict[str, str] | None = None, *, compressed: bool = False) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (texts or {}).items():
        info.add_itxt(key, value, zip=True) if compressed else info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def write_parquet(path, *, findings: str, image: bytes, compression: str = "zstd") -> None:
    table = pa.table(
        {
            "id": ["0f3a9c1234abcd00"],
            "findings": [findings],
            "image": [{"bytes": image, "path": "0f3a9c1234abcd00.png"}],
        }
    )
    pq.write_table(table, path, compression=compression)


@pytest.mark.parametrize("compression", ["zstd", "snappy", "gzip"])
def test_finds_a_name_that_a_byte_grep_of_compressed_parquet_misses(tmp_path, compression):
    findings = "Nguyễn Văn Bình đến khám. Trần Văn An về nhà. " * 100 + f"{NAME}."  # only back-references
    write_parquet(tmp_path / "a.parquet", findings=findings, image=png(), compression=compression)
    assert NAME.encode() not in (tmp_path / "a.parquet").read_bytes()
    result = scan_folder(tmp_path, [NAME])
    assert [h["where"] for h in result.hits] == ["column findings (row group 0, id 0f3a9c1234abcd00)"]


def test_finds_values_in_deflated_png_text_chunks_inside_parquet(tmp_path):
    write_parquet(tmp_path / "a.parquet", findings="Bình thường.", image=png({"Patient": NAME}, compressed=True))
    result = scan_folder(tmp_path, [NAME])
    assert len(result.hits) == 1 and "png iTXt" in result.hits[0]["where"]


def test_finds_dicom_person_names_dates_and_nfd_spellings(tmp_path):
    (tmp_path / "README.md").write_text("Chụp cho NGUYEN VAN AN, sinh 14/03/1952.", encoding="utf-8")
    (tmp_path / "notes.txt").write_text(unicodedata.normalize("NFD", "Trần Thị Bình"), encoding="utf-8")
    result = scan_folder(tmp_path, ["NGUYEN^VAN^AN", "19520314", "Trần Thị Bình", "Lê Văn Khánh"])
    assert result.values_checked == 4
    assert {h["value_sha256"] for h in result.hits} == {
        value_hash(v) for v in ("NGUYEN^VAN^AN", "19520314", "Trần Thị Bình")
    }


def test_finds_escaped_unicode_in_json(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"source": {"who": NAME}}), encoding="utf-8")
    assert "Nguy\\u1ec5n" in (tmp_path / "manifest.json").read_text()
    assert len(scan_folder(tmp_path, [NAME.upper()]).hits) == 1


def test_multiword_values_match_case_and_diacritic_insensitively(tmp_path):
    (tmp_path / "a.md").write_text("nguyen van an", encoding="utf-8")
    assert not scan_folder(tmp_path, [NAME]).clean


def test_identifiers_match_only_as_whole_tokens(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a91234bc77", "ref": "row 12345"}) + "\n", encoding="utf-8")
    assert scan_folder(tmp_path, ["1234", "2345"]).clean
    assert not scan_folder(tmp_path, ["12345"]).clean


def test_result_never_holds_the_value(tmp_path):
    (tmp_path / "a.md").write_text(f"x {NAME} y", encoding="utf-8")
    result = scan_folder(tmp_path, [NAME])
    dumped = json.dumps(result.to_json(), ensure_ascii=False)
    assert not result.clean and NAME not in dumped and fold_free(dumped)


def fold_free(text: str) -> bool:
    return "nguyen" not in text.lower()


def test_large_value_sets_use_the_index_and_still_find_hits(tmp_path):
    values = [f"BN{n:08d}" for n in range(500)] + [NAME]
    (tmp_path / "a.md").write_text("… BN00000417 … " + NAME.upper(), encoding="utf-8")
    result = scan_folder(tmp_path, values)
    assert {h["value_sha256"] for h in result.hits} == {value_hash("BN00000417"), value_hash(NAME)}


def test_spellings_of_a_person_name_and_a_date():
    exact, folded = spellings("NGUYEN^AN^VAN")
    assert {"NGUYEN AN VAN", "NGUYEN VAN AN"} <= exact and "nguyen van an" in folded
    assert {"1952-03-14", "14/03/1952", "19520314"} <= spellings("14/03/1952")[0]


def test_scan_command_exits_non_zero_on_hits(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "README.md").write_text(f"Bệnh nhân {NAME}", encoding="utf-8")
    values = tmp_path / "phi.txt"
    values.write_text("\ufeffNGUYEN^VAN^AN\nBN123456\n\n", encoding="utf-8")
    assert main(["scan", str(folder), "--phi-values", str(values)]) == 1
    assert "LEAK README.md" in capsys.readouterr().out
    (folder / "README.md").write_text("Bệnh nhân ___", encoding="utf-8")
    assert main(["scan", str(folder), "--phi-values", str(values)]) == 0
    assert "clean" in capsys.readouterr().out


def test_a_file_named_parquet_that_is_not_parquet_is_scanned_as_bytes(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet at all: BN123456")
    assert not scan_folder(tmp_path, ["BN123456"]).clean


def test_scan_command_reports_residual_phi_kinds_without_values(tmp_path, capsys):
    folder = tmp_path / "out"
    (folder / "data").mkdir(parents=True)
    table = pa.table(
        {
            "id": ["0f3a9c1234abcd00"],
            "note": [None],
            "technique": [None],
            "findings": ["Bóng tim to. BS. Trần Văn Bình đọc."],
            "impressions": ["Tim to."],
        }
    )
    pq.write_table(table, folder / "data" / "test-00000-of-00001.parquet")
    (folder / "README.md").write_text("Bệnh viện Quân y 175, 2026, 100 phim", encoding="utf-8")  # the card: not scanned
    assert main(["scan", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "RESIDUAL data/test-00000-of-00001.parquet, split test, id 0f3a9c1234abcd00, column findings: name" in out
    assert "Trần" not in out and "README" not in out


def test_values_the_scrub_keeps_by_design_are_not_searched_and_a_full_name_is(tmp_path):
    (tmp_path / "a.md").write_text("Tràn dịch màng phổi phải. Giới tính: Nam. Lao phổi cũ.", encoding="utf-8")
    values = ["Tràn dịch màng phổi", "Lao phổi cũ", "Nam", "Nguyễn Văn Nam"]  # clinical columns, a given name
    result = scan_folder(tmp_path, values)
    assert result.clean and result.values_checked == 1  # the full name alone is searched for
    (tmp_path / "b.md").write_text("Bệnh nhân NGUYỄN VĂN NAM.", encoding="utf-8")
    assert [h["value_sha256"] for h in scan_folder(tmp_path, values).hits] == [value_hash("Nguyễn Văn Nam")]


def test_a_word_the_safe_list_explains_is_not_searched_when_it_stands_alone(monkeypatch):
    from vixray_data.build import kept_values

    monkeypatch.setattr(kept_values, "_safelist", lambda: lambda text: [] if text.lower() == "bình" else [text])
    assert kept_values.searched(["Bình", "Lê Bình", "Hoa"]) == ["Lê Bình", "Hoa"]


def test_the_builders_row_numbers_in_rejects_are_not_searched_but_data_in_a_reject_is(tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    rejects.write_text(
        json.dumps(
            {
                "ref": "row 416 / file 0123456789ab",
                "reason": "duplicate_study",
                "detail": "another DICOM file has the same AccessionNumber (row 416)",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    assert scan_folder(tmp_path, ["416", "0123456789ab"]).clean  # a patient numbered 416, row 416: no leak
    rejects.write_text(
        json.dumps({"ref": "row 3", "reason": "bad_age", "detail": "bệnh nhân 416"}) + "\n", encoding="utf-8"
    )
    assert [h["where"] for h in scan_folder(tmp_path, ["416"]).hits] == ["line 1"]


def test_a_hit_in_a_shard_names_the_file_column_and_record(tmp_path):
    table = pa.table({"id": ["0f3a9c1234abcd00", "77aa11bb22cc33dd"], "findings": ["Bình thường.", f"{NAME} đến."]})
    pq.write_table(table, tmp_path / "train-00000-of-00001.parquet")
    hits = scan_folder(tmp_path, [NAME]).hits
    assert [(h["file"], h["where"]) for h in hits] == [
        ("train-00000-of-00001.parquet", "column findings (row group 0, id 77aa11bb22cc33dd)")
    ]


def test_initials_and_a_foreign_name_are_searched_though_the_safe_list_explains_them():
    from vixray_data.build import kept_values

    explained = kept_values._safelist()
    if explained is None:
        pytest.skip("no safe-list detector")
    assert explained("Michael") == [] and explained("NVA") == []  # a foreign word, an acronym: no flag in text
    assert kept_values.searched(["Michael", "NVA", "Nam"]) == ["Michael", "NVA"]  # but searched for as values


def test_a_hit_names_the_value_by_the_first_64_bits_of_its_sha256_in_hex(tmp_path):
    (tmp_path / "a.md").write_text("Bệnh nhân NGUYEN VAN AN.", encoding="utf-8")
    [hit] = scan_folder(tmp_path, [NAME]).hits
    assert hit["value_sha256"] == "299c47825b5f1e28"  # sha256("Nguyễn Văn An", NFC, UTF-8): its first 16 hex digits
