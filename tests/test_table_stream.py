"""The report sheet is read as a stream: rows come out as they did when the sheet was read whole, and an
export's reader holds a bounded number of rows however long the sheet (issue 21: memory bounded in records)."""

from __future__ import annotations

import csv
import datetime
import gc
import json
import tracemalloc
import weakref
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from PIL import Image
from test_export import _with_tone, config

from vixray_data.errors import SourceError
from vixray_data.records import RawRecord, Reject
from vixray_data.sources import export
from vixray_data.sources import table as tbl

#: A sheet with the awkward parts of real exports: a quoted cell spanning lines (CRLF inside), a quoted comma,
#: doubled quotes, an empty cell, a short row, a blank line, and Vietnamese text.
SHEET = (
    "Số phiếu,Mô tả,Kết luận,Tuổi\r\n"
    'ACC-1,"Bóng tim không to.\r\nHai phổi sáng.","Bình thường, không tổn thương.",72\r\n'
    "\r\n"
    'ACC-2,"Nói ""mờ"" góc sườn hoành.",,\r\n'
    "ACC-3,Gãy xương sườn 6\r\n"
)
HEADERS = ["Số phiếu", "Mô tả", "Kết luận", "Tuổi"]
ROWS = [
    {
        "Số phiếu": "ACC-1",
        "Mô tả": "Bóng tim không to.\r\nHai phổi sáng.",
        "Kết luận": "Bình thường, không tổn thương.",
        "Tuổi": "72",
    },
    {"Số phiếu": "ACC-2", "Mô tả": 'Nói "mờ" góc sườn hoành.', "Kết luận": "", "Tuổi": ""},
    {"Số phiếu": "ACC-3", "Mô tả": "Gãy xương sườn 6", "Kết luận": "", "Tuổi": ""},
]


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: a toneless letter (``ô``), then its tone as a combining mark."""
    return "".join(_with_tone(char) for char in text).encode("cp1258")


ENCODED = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
    "utf-16-bom": lambda text: text.encode("utf-16"),
    "utf-32-bom": lambda text: text.encode("utf-32"),
    "windows-1258": cp1258_bytes,
}


@pytest.mark.parametrize("encoding", list(ENCODED))
@pytest.mark.parametrize("chunk", [1 << 18, 5], ids=["one-chunk", "5-byte-chunks"])
def test_a_csv_sheet_reads_the_same_rows_whatever_its_encoding_and_however_it_is_chunked(
    tmp_path, monkeypatch, encoding, chunk
):
    monkeypatch.setattr(tbl, "_CHUNK", chunk)  # 5 bytes: pieces end inside characters, cells and lines
    path = tmp_path / "report.csv"
    path.write_bytes(ENCODED[encoding](SHEET))
    assert tbl.read_table(path) == (HEADERS, ROWS)


def test_a_tab_separated_unicode_text_sheet_reads_quoted_newlines(tmp_path, monkeypatch):
    monkeypatch.setattr(tbl, "_CHUNK", 7)
    path = tmp_path / "report.txt"  # Excel's "Unicode Text": UTF-16 with its mark, tab-separated
    path.write_bytes(SHEET.replace(",", "\t").replace('"Bình thường\t không', '"Bình thường, không').encode("utf-16"))
    info: dict[str, str] = {}
    assert tbl.read_table(path, info=info) == (HEADERS, ROWS)
    assert info == {"encoding": "UTF-16 with BOM"}


def test_rows_are_read_from_the_file_again_on_each_pass(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(SHEET, encoding="utf-8")
    table = tbl.open_table(path)
    assert table.headers == HEADERS
    assert list(table.rows()) == ROWS
    assert list(table.rows()) == ROWS


def test_a_row_longer_than_the_header_is_still_read_as_pandas_read_it(tmp_path):
    # pandas takes a first data row one field longer than the header for an index column: kept as it was
    path = tmp_path / "report.csv"
    path.write_text("Mô tả,Kết luận\nx,Phổi sáng.,Bình thường.\ny,Mờ.,Viêm phổi.\n", encoding="utf-8")
    assert tbl.read_table(path) == (
        ["Mô tả", "Kết luận"],
        [
            {"Mô tả": "Phổi sáng.", "Kết luận": "Bình thường."},
            {"Mô tả": "Mờ.", "Kết luận": "Viêm phổi."},
        ],
    )


def test_a_stray_quote_is_one_error_naming_the_file(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text('Mô tả,Kết luận\n"a"b,c\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"table report.csv: cannot read \(',' expected after '\"'\)"):
        tbl.read_table(path)


@pytest.mark.parametrize(
    "tail, says",
    [
        (b"K\xe1t,x\n", "UTF-8 text with bytes that are not UTF-8 (at byte 4"),  # offset counted from the file's start
        ("Bình".encode().decode("cp1252").encode() + b",x\n", "read in another encoding"),
        ("B\ufffdnh,x\n".encode(), "replacement characters"),
    ],
    ids=["bad-byte", "mojibake", "replacement"],
)
def test_a_problem_past_the_first_chunk_is_found(tmp_path, monkeypatch, tail, says):
    monkeypatch.setattr(tbl, "_CHUNK", 16)
    path = tmp_path / "report.csv"
    head = "Mô tả,Kết luận\n" + "Phổi sáng.,Bình thường.\n" * 40
    path.write_bytes(head.encode() + tail)
    with pytest.raises(SourceError, match="report.csv") as caught:
        tbl.read_table(path)
    expected = says.replace("at byte 4", f"at byte {len(head.encode()) + 1}")
    assert expected in str(caught.value)


def test_an_xlsx_sheet_streams_cells_as_text(tmp_path):
    book = Workbook()
    sheet = book.active
    for values in [
        ["Số phiếu", "Tuổi", "Ngày chụp", None, "Mô tả", "Kết luận"],
        [],  # a blank row
        ["ACC-1", 72, datetime.datetime(2024, 3, 5), None, "Phổi sáng.\nTim không to.", "Bình thường."],
        ["ACC-2", 45.5, None, None, "Mờ góc sườn hoành.", None],
    ]:
        sheet.append(values)
    book.save(tmp_path / "report.xlsx")
    assert tbl.read_table(tmp_path / "report.xlsx") == (
        ["Số phiếu", "Tuổi", "Ngày chụp", "Mô tả", "Kết luận"],  # the unnamed empty column is dropped
        [
            {
                "Số phiếu": "ACC-1",
                "Tuổi": "72",
                "Ngày chụp": "2024-03-05",
                "Mô tả": "Phổi sáng.\nTim không to.",
                "Kết luận": "Bình thường.",
            },
            {"Số phiếu": "ACC-2", "Tuổi": "45.5", "Ngày chụp": "", "Mô tả": "Mờ góc sườn hoành.", "Kết luận": ""},
        ],
    )


def test_a_jsonl_table_streams_with_every_key_as_a_column(tmp_path):
    lines = [
        {"Số phiếu": "ACC-1", "Mô tả": "Phổi sáng.\r\nTim không to."},
        {"Số phiếu": "ACC-2", "Kết luận": "Bình thường.", "Tuổi": 72},
    ]
    path = tmp_path / "report.jsonl"
    path.write_text("\ufeff" + "\n\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    assert tbl.read_table(path) == (
        ["Số phiếu", "Mô tả", "Kết luận", "Tuổi"],
        [
            {"Số phiếu": "ACC-1", "Mô tả": "Phổi sáng.\r\nTim không to.", "Kết luận": "", "Tuổi": ""},
            {"Số phiếu": "ACC-2", "Mô tả": "", "Kết luận": "Bình thường.", "Tuổi": "72"},
        ],
    )


# --------------------------------------------------------------------------- memory bounded in rows

REPORT = "Bóng tim không to. Hai phổi sáng đều, không thấy tổn thương khu trú. " * 30  # ~2 KB a row


def text_heavy_export(root: Path, rows: int, images: int = 10) -> Path:
    (root / "img").mkdir(parents=True)
    for i in range(images):
        Image.fromarray(np.full((8, 8), i, np.uint8)).save(root / "img" / f"IM{i:06d}.png")
    with (root / "phieu.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Số phiếu", "Mã BN", "Họ tên", "Mô tả", "Kết luận", "Tên file"])
        for i in range(rows):
            writer.writerow(
                [f"ACC{i:07d}", f"BN{i}", f"Nguyễn Văn An {i}", REPORT, "Bình thường.", f"img/IM{i:06d}.png"]
            )
    return root


def test_the_export_reader_holds_a_bounded_number_of_rows(tmp_path, monkeypatch):
    source = export.ExportSource(config(text_heavy_export(tmp_path / "export", 3000), tmp_path / "out"))
    alive: list[weakref.ref] = []
    make_row = export.ExportSource._row

    def tracked(number, values, cmap):
        row = make_row(number, values, cmap)
        alive.append(weakref.ref(row))
        return row

    monkeypatch.setattr(export.ExportSource, "_row", staticmethod(tracked))
    most, items = 0, 0
    for item in source:
        assert isinstance(item, RawRecord | Reject)
        items += 1
        if items % 100 == 0:
            gc.collect()
            most = max(most, sum(ref() is not None for ref in alive))
    assert items == 3000  # 10 rows with an image, 2,990 without
    assert len(alive) == 3000  # every row was made once, while the rows were read again
    assert most <= 2


def peak_reading(tmp_path: Path, rows: int) -> int:
    root = text_heavy_export(tmp_path / f"export{rows}", rows, images=1)
    source = export.ExportSource(config(root, tmp_path / f"out{rows}"))
    tracemalloc.start()
    try:
        for _ in source:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_ten_times_the_rows_does_not_take_ten_times_the_memory(tmp_path):
    small, large = peak_reading(tmp_path, 500), peak_reading(tmp_path, 5000)  # sheets of ~1 MB and ~10 MB
    assert large < 2 * small, (small, large)
