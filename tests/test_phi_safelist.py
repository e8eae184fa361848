"""The second detector: a safe list, not the recognizers. Every token of a written text must be explained; what is
left is flagged, so a name or a number a weakened scrub leaves behind is still caught."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vixray_data import phi, schema
from vixray_data.phi import analyzer
from vixray_data.phi.safelist import find_unexplained
from vixray_data.phi.spans import NAME
from vixray_data.sources.demo import DemoSource


def flagged(text: str) -> list[tuple[str, str]]:
    return [(s.category, text[s.start:s.end]) for s in find_unexplained(text)]


def test_it_shares_no_code_with_the_recognizers():
    source = Path(phi.safelist.__file__).read_text(encoding="utf-8")
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert imported.isdisjoint({"analyzer", "names", "dates", "contact", "numbers", "allow", "kin", "initials",
                                "proper", "cases", "localities", "facilities", "ids", "ethnic", "datewords"})


def test_a_name_left_by_a_switched_off_recognizer_is_still_flagged(monkeypatch):
    report = "Tràn dịch màng phổi phải lượng vừa. Người đọc: Phan Thanh Tùng. Theo dõi sau 2 tuần."
    monkeypatch.setattr(analyzer, "RECOGNIZERS",
                        tuple(r for r in analyzer.RECOGNIZERS if NAME not in r[0]))  # every name recognizer off
    written = phi.redact(report, phi.Analyzer().find(report))[0]
    assert "Phan Thanh Tùng" in written  # the scrub, weakened, left the name
    assert flagged(written) == [("unexplained_word", "Phan Thanh Tùng")]


@pytest.mark.parametrize(("text", "expected"), [
    ("Về nhà ngày 24-7, tái khám.", [("unexplained_number", "24-7")]),
    ("Liên hệ 0912 345 678.", [("unexplained_number", "0912 345 678")]),
    ("Tiếp xúc với bệnh nhân 416.", [("unexplained_number", "416")]),
    ("Mã lưu trữ XQ240117.", [("unexplained_code", "XQ240117")]),
    ("Bệnh nhân ở Thanh Chương, ho kéo dài.", [("unexplained_word", "Thanh Chương")]),
])
def test_capitalised_words_and_digit_runs_nobody_explained_are_flagged(text, expected):
    assert flagged(text) == expected


@pytest.mark.parametrize("text", [
    "Gãy cung sau xương sườn 5, 6, 7 bên trái, can xương sườn 10-11-12.",
    "Nốt mờ 12 mm thùy trên phổi phải; khối mờ 25x30 mm; chỉ số tim ngực 0,55.",
    "Tổn thương 1/3 dưới phổi phải, xẹp đốt sống T12, thoái hóa L4-L5.",
    "Bệnh nhân nam, 72 tuổi, tiền sử COPD, THA; SpO2 93%, thở oxy 3 lít/phút.",
    "So sánh phim cũ năm 2019: tràn dịch giảm. Chụp lại sau 2 tuần.",
    "BS. ___ đọc phim. Địa chỉ: ___, Đà Nẵng. SĐT ___.",
    "TRÀN DỊCH MÀNG PHỔI TRÁI LƯỢNG ÍT. BÓNG TIM KHÔNG TO.",
    "Tran dich mang phoi trai luong it, bong tim khong to.",
    "Dấu Hiệu Kerley B Hai Đáy Phổi, Bóng Tim To.",
])
def test_ordinary_report_text_is_explained(text):
    assert flagged(text) == []


def test_every_record_of_a_demo_export_passes():
    source = DemoSource(size=5400, image_size=16)
    texts = {text for i in range(5400) for name in schema.TEXT_FIELDS
             if (text := source.record(i).fields.get(name))}
    assert [t for t in texts if find_unexplained(t)] == []
