"""Hostile report tables and file names: each is one error line with an exit code, or a reject, never a traceback.

The builds go through ``vixray_data.cli.main`` as a user's would; stderr is asserted to be a single line.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from PIL import Image
from test_export import KEY

from vixray_data.cli import main

IMAGE_HEADERS = ["Số phiếu", "Mã BN", "Tuổi", "Giới tính", "Tư thế", "Mô tả", "Kết luận", "Tên file"]


def image_rows(n: int) -> list[list[str]]:
    return [
        [f"ACC-{i}", f"BN{i}", "60", "Nam", "PA", "Bóng tim không to.", "Bình thường.", f"img{i}.png"] for i in range(n)
    ]


def image_export(root: Path, n: int = 2) -> Path:
    (root / "images").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), 40 + i, np.uint8)).save(root / "images" / f"img{i}.png")
    return root


def run_build(tmp_path: Path, source: Path, capsys, *extra: str) -> tuple[int, str, str]:
    key = tmp_path / "deid.key"
    key.write_bytes(KEY)
    code = main(
        [
            "build",
            str(source),
            "--out",
            str(tmp_path / "out"),
            "--key-file",
            str(key),
            "--no-progress",
            "--num-proc",
            "1",
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("INFO", "WARNING"))]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "name, content, says",
    [
        ("report.xlsx", b"", "empty"),
        ("report.xlsx", b"PK\x03\x04 this is not really a zip archive" * 20, "not a valid xlsx file"),
        ("report.csv", b"", "empty"),
    ],
)
def test_empty_or_corrupt_table_is_one_error_line(tmp_path, capsys, name, content, says):
    root = image_export(tmp_path / "export")
    (root / name).write_bytes(content)
    code, _, err = run_build(tmp_path, root, capsys)
    line = one_error_line(err)
    assert code == 2 and name in line and says in line
    assert not (tmp_path / "out").exists()


def sheet_text(n: int = 2) -> str:
    return "\r\n".join(",".join(row) for row in [IMAGE_HEADERS, *image_rows(n)]) + "\r\n"


@pytest.mark.parametrize(
    "content, says",
    [
        (sheet_text().encode("utf-16-le"), "NUL characters"),  # Unicode Text without its byte-order mark
        (sheet_text().replace("Bình", "Bình".encode().decode("cp1252")).encode("utf-8"), "read in another encoding"),
        (sheet_text().replace("Bình", "B\ufffdnh").encode("utf-8"), "replacement characters"),
        (sheet_text().encode("utf-8").replace("Kết".encode(), b"K\xe1t"), "not UTF-8"),  # one bad byte in UTF-8
        (b"Mo ta,Ket luan,Ten file\r\nB\xecong,x,img0.png\r\n", "tone marks on no vowel"),  # an acute after a B
    ],
    ids=["utf16-no-bom", "mojibake", "replacement", "utf8-bad-byte", "misplaced-tone"],
)
def test_a_mis_decoded_sheet_is_refused_in_one_line_naming_the_file(tmp_path, capsys, content, says):
    root = image_export(tmp_path / "export")
    (root / "report.csv").write_bytes(content)
    code, _, err = run_build(tmp_path, root, capsys)
    line = one_error_line(err)
    assert code == 2 and "report.csv" in line and says in line
    assert not (tmp_path / "out").exists()


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, grid in sheets.items():
        sheet = book.create_sheet(title)
        for values in grid:
            sheet.append(values)
    book.save(path)
    return path


def test_rows_on_the_second_sheet_are_read(tmp_path, capsys):
    root = image_export(tmp_path / "export")
    workbook(root / "report.xlsx", {"Hướng dẫn": [["Xuất từ PACS"]], "Dữ liệu": [IMAGE_HEADERS, *image_rows(2)]})
    code, out, err = run_build(tmp_path, root, capsys)
    assert code == 0, err
    assert "written 2" in out


def test_two_sheets_without_the_report_columns_are_refused_naming_the_sheets(tmp_path, capsys):
    root = image_export(tmp_path / "export")
    workbook(
        root / "report.xlsx", {"Tháng 1": [["STT", "Ghi chú"], [1, "x"]], "Tháng 2": [["STT", "Ghi chú"], [2, "y"]]}
    )
    code, _, err = run_build(tmp_path, root, capsys)
    line = one_error_line(err)
    assert code == 2 and "'Tháng 1'" in line and "'Tháng 2'" in line


def test_formula_cells_without_cached_values_are_refused_naming_the_cells(tmp_path, capsys):
    root = image_export(tmp_path / "export")
    grid = [IMAGE_HEADERS, *image_rows(2)]
    grid[1][6] = '=CONCATENATE("Bình ", "thường.")'  # openpyxl stores the formula, no cached result
    grid[2][6] = "=G2"
    workbook(root / "report.xlsx", {"Sheet1": grid})
    code, _, err = run_build(tmp_path, root, capsys)
    line = one_error_line(err)
    assert code == 2 and "G2" in line and "G3" in line and "formula" in line


def test_deeply_nested_jsonl_line_is_one_error_line(tmp_path, capsys):
    root = image_export(tmp_path / "export")
    good = dict(zip(IMAGE_HEADERS, image_rows(1)[0], strict=True))
    (root / "report.jsonl").write_text(json.dumps(good) + "\n" + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    code, _, err = run_build(tmp_path, root, capsys)
    line = one_error_line(err)
    assert code == 2 and "line 2" in line


def test_a_non_utf8_byte_in_an_image_file_name_is_a_reject_not_a_crash(tmp_path, capsys):
    root = image_export(tmp_path / "export")
    (root / "images" / "img1.png").rename(root / "images" / os.fsdecode(b"\xc1nh \xff.png"))
    with (root / "report.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([IMAGE_HEADERS, *image_rows(2)])
    code, out, err = run_build(tmp_path, root, capsys)
    assert code == 0, err
    reasons = [json.loads(line)["reason"] for line in (tmp_path / "out" / "rejects.jsonl").open(encoding="utf-8")]
    assert sorted(reasons) == ["no_image", "no_report"]  # row 2 lost its file; the renamed file has no row
