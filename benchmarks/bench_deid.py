"""De-identification: recall per PHI category and clinical text kept, on a labelled synthetic corpus, on
PhoNER_COVID19 (train + dev) and on a blind set written by someone who never saw the rules; speed.

    .venv/bin/python benchmarks/bench_deid.py                  # synthetic: 600 reports, seed 10, 3 timing runs
    .venv/bin/python benchmarks/bench_deid.py --records 600 --seed 10 --runs 3 --ner   # + underthesea's CRF NER
    .venv/bin/python benchmarks/bench_deid.py --phoner /work/phoner       # PhoNER_COVID19 train + dev, by path
    .venv/bin/python benchmarks/bench_deid.py --blind /work/blind/deid/blind_deid.jsonl
    .venv/bin/python benchmarks/bench_deid.py --phoner /work/phoner --blind BLIND.jsonl --families  # + independence
    git archive 746568e vixray_data | tar -x -C /tmp/base     # the tree to compare with, then paired timing:
    .venv/bin/python benchmarks/bench_deid.py --pair-with /tmp/base --pairs 5

**Synthetic.** Generated here, not read. Each report holds three clinical sentences that must survive, each used
once in the corpus (:func:`clinical_sentences`: made combinatorially from the lexicon, findings with organ, side,
position and severity, normal states, negations, uncertainty, devices, eponyms, abbreviations, vertebra and rib
levels, rib lists, fractions, sizes, ratios, doses, ages under 90, durations, bare years; plus the lexicon's demo
sentences and ``CLINICAL_EXTRA``), and PHI planted in the forms reports use, each planted span labelled with its
category. Every record has its own identifiers (name, patient id, accession, birth date, phone), listed to the
de-identifier as a hospital table would, and some reports name *another* record's patient. A report is written
in one of :data:`STYLES`: as typed, in capitals with or without diacritics, in Title Case, or without
diacritics. The names here are written in this file (not read from ``phi/words.yaml``); a few use a family name
outside the list and no title, reported on their own row.

**PhoNER_COVID19** (VinAI; research use, no redistribution): read by path, train and dev only (its test split
is kept by others as an independent check and is never opened), tokenisation undone (:func:`detokenize`), each
sentence scored with ``phi.find_phi``. Must-find: NAME, DATE finer than a year, sub-province LOCATION,
PATIENT_ID, AGE > 89 (:func:`phoner_target` says what each means); must-keep: SYMPTOM_AND_DISEASE. Only counts and
kinds of misses are printed (``--show-misses`` prints examples to stderr for development; never commit them).

A planted span or entity counts as found when every letter and digit of it lies inside detected spans (a
comma between two replaced pieces of an address may stay); a detected span is a true positive when it overlaps a
planted one; a clinical sentence or symptom is kept when none of its characters is replaced.
Speed: the full scrub (all recognizers, the corpus-wide value index and id shapes, replacement) per record,
median of ``--runs`` passes over the corpus (no text is cached between passes).

**The second detector** (``phi.safelist``), read as the build's residual screen reads it (after the full scrub,
the marker blanked): its flag rate on legitimate text (a record with one flag or more would be quarantined) —
the clinical sentences of the synthetic corpus in every style, a 5,400-record demo export, the blind clinical
sentences of ``tests/data/clinical_blind.yaml``, the blind set's texts with no PHI and all its texts, PhoNER's
sentences the scrub left with no must-find entity (news prose: organisations, flight numbers, counts) — and its
CPU per record. ``--families``: each recognizer family (:data:`FAMILIES`) switched off in turn, the share of the
PHI values the weakened scrub leaves that the second detector flags (:func:`independence`), the point of a
second detector.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from vixray_data import phi, schema
from vixray_data.lexicon import load_lexicon
from vixray_data.phi.places import is_coarse_place
from vixray_data.phi.safelist import find_unexplained
from vixray_data.sources.demo import DemoSource
from vixray_data.text import fold, normalize

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Cao",
    "Mai",
]
MIDDLE = ["Văn", "Thị", "Đức", "Hữu", "Ngọc", "Minh", "Quốc", "Thanh", "Xuân", "Hoàng"]
GIVEN = [
    "An",
    "Bình",
    "Hoa",
    "Lan",
    "Hùng",
    "Tuấn",
    "Long",
    "Dũng",
    "Hằng",
    "Thảo",
    "Phúc",
    "Tâm",
    "Khoa",
    "Quân",
    "Nga",
    "Sơn",
    "Trang",
    "Yến",
    "Hải",
    "Nam",
    "Đạt",
    "Vy",
    "Khánh",
    "Tú",
]
OUTSIDE = ["Kha", "Ưng", "Mạch", "Bành"]  # family names not in the list (with no title: not found)
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Điện Biên Phủ", "Cách Mạng Tháng Tám"]
WARDS = ["Bến Nghé", "Tân Định", "Phú Nhuận", "Tân Phú", "Bình Thạnh", "Đa Kao"]
TITLES = [
    "BS.",
    "bs.",
    "BÁC SĨ",
    "Bác sĩ",
    "Người đọc:",
    "Bác sĩ đọc phim:",
    "KTV:",
    "ĐD:",
    "TS.",
    "GS.",
    "ThS.",
    "Dr.",
    "Đại úy",
    "Thiếu tá",
    "PGS.TS.",
    "BSCKII",
    "BS CKI",
    "Ký tên:",
    "Điều dưỡng",
    "Trung tá",
    "Bs",
]
CLINICAL_EXTRA = [
    "Bệnh nhân COPD, theo dõi.",
    "BN Lao phổi cũ.",
    "TS. Lao phổi cũ, tăng huyết áp.",
    "Đường Kerley B hai đáy phổi.",
    "Dấu hiệu Golden S.",
    "Thoát vị Bochdalek bên trái.",
    "Xẹp đốt sống T12.",
    "Thoái hóa L1-L2.",
    "Viêm phổi COVID-19.",
    "Phim PA tư thế đứng.",
    "Phim AP tại giường.",
    "Nốt mờ 12 mm thùy trên phổi phải.",
    "Can xương sườn 10-11-12 bên phải.",
    "Tổn thương 1/3 dưới phổi phải.",
    "So sánh phim cũ năm 2019: không thay đổi.",
    "BN Nam, 72 tuổi.",
    "Bệnh nhân Nữ 45 tuổi.",
    "Chụp thẳng sau trước, 110 kV, 4 mAs.",
    "Chỉ số tim ngực 0.55.",
    "Đặt ống NKQ đúng vị trí.",
    "Catheter tĩnh mạch trung tâm 20 cm.",
    "GÃY CUNG SAU XƯƠNG SƯỜN 5 TRÁI.",
    "Tràn dịch màng phổi phải lượng ít.",
    "Vôi hóa quai động mạch chủ.",
    "Dày dính màng phổi đỉnh phổi hai bên.",
    "Tăng đậm rốn phổi hai bên.",
    "Bóng tim to, CTR 0.6.",
    "Khí phế thũng hai phổi.",
    "Xơ hóa đỉnh phổi phải.",
    "Chỉ thép xương ức sau mổ bắc cầu chủ vành.",
    "Máy tạo nhịp vùng ngực trái, dây điện cực ở thất phải.",
    "Sonde dạ dày đầu ở dưới cơ hoành.",
    "Bóng tim to độ II, chỉ số tim ngực 0,58.",
    "Theo dõi u trung thất trước, đề nghị chụp CLVT ngực có cản quang.",
    "Kết luận: Hình ảnh viêm phổi thùy dưới phải, theo dõi lao.",
    "Đối chiếu phim ngày hôm trước: tràn khí giảm.",
    "Nốt mờ đường kính 8mm ở 1/3 giữa phổi trái.",
    "Góc sườn hoành phải tù, mức dịch ngang cung sau xương sườn 9.",
    "Dẫn lưu màng phổi trái số 28 Fr.",
    "Xquang ngực thẳng tư thế nằm (AP), chất lượng phim kém.",
    "Hình ảnh giãn phế quản thùy dưới hai bên, dạng tổ ong.",
    "BN nam 85 tuổi, tiền sử COPD, hút thuốc 30 gói-năm.",
    "Tăng sáng phổi hai bên, vòm hoành dẹt, khoang liên sườn giãn rộng.",
    "Phù phổi cấp, hình cánh bướm.",
    "Kiểm tra sau đặt CVC tĩnh mạch cảnh trong phải: đầu catheter ở tĩnh mạch chủ trên.",
    "Thâm nhiễm dạng nốt rải rác hai phổi, theo dõi lao kê.",
    "Xẹp thùy giữa phổi phải (hội chứng thùy giữa).",
    "Quai ĐMC vôi hóa, ĐMC ngực giãn.",
    "Bóng khí dưới hoành phải: theo dõi thủng tạng rỗng.",
    "Gãy cũ cung sau xương sườn 5, 6, 7 bên trái đã can.",
    "Lao phổi cũ, xơ co kéo rốn phổi phải lên trên.",
    "Chụp lại sau 2 tuần điều trị kháng sinh.",
    "Ống NKQ đầu cách carina 4 cm.",
    "Hình ảnh Kerley B ở đáy phổi hai bên, theo dõi suy tim.",
    "Dấu hiệu Westermark.",
    "ECG: nhịp xoang.",
    "Mức khí dịch trong hang thùy trên phổi phải, theo dõi áp xe phổi.",
    "Liềm hơi dưới hoành hai bên.",
    "Bệnh nhân Nữ, 62t, ho kéo dài.",
    "SpO2 92%, thở oxy 3 lít/phút.",
    "Phim chụp lúc hít vào chưa đủ sâu.",
    "So với phim chụp 3 tháng trước: tổn thương thu nhỏ.",
    "Tràn dịch màng phổi hai bên, bên phải nhiều hơn.",
    "GÓC SƯỜN HOÀNH HAI BÊN NHỌN. BÓNG TIM KHÔNG TO.",
    "Hội chứng Kartagener: đảo ngược phủ tạng.",
]
OWN = "own identifier"
UNANCHORED = "name (no listed family, no title)"


def _ascii(text: str) -> str:
    return phi.spans.fold_chars(text).title() if text.istitle() else phi.spans.fold_chars(text)


def _person(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)


def _name_forms(rng: random.Random, person: tuple[str, str, str]) -> str:
    family, middle, given = person
    full = f"{family} {middle} {given}"
    return rng.choice(
        [
            f"{rng.choice(TITLES)} {full}",
            f"{rng.choice(TITLES)} {full.upper()}",
            f"bs. {full.lower()}",
            full,
            " ".join(_ascii(w) for w in (family, middle, given)),
            f"{family} {middle[0]}. {given}",
            "".join(_ascii(w) for w in (family, middle, given)),
            f"KTV: {given.lower()}",
            f"ông {family} {given}",
            f"Đại úy {full}",
            f"{family.upper()} {middle.upper()} {given.upper()}",
            f"bà {given}",
            " ".join(_ascii(w) for w in (family, middle, given)).lower(),
            f"{family}_{middle}_{given}".upper(),
            f"BS {family} {given}",
        ]
    )


def _phi(rng: random.Random) -> tuple[str, str]:
    """(text, category) of one planted span (the text carries no surrounding words)."""
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2015, 2025)
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    category = rng.choice(
        [
            "name",
            "date",
            "age_over_89",
            "phone",
            "email",
            "address",
            "national_id",
            "insurance",
            "record_number",
            "url",
            "ip",
        ]
    )
    forms = {
        "name": lambda: _name_forms(rng, _person(rng)),
        "date": lambda: rng.choice(
            [
                f"{y}-{m:02d}-{d:02d}T08:00",
                f"T{m}/{y}",
                f"{d}-{m}-{y % 100:02d}",
                f"{d} tháng {m}",
                f"{d:02d}/{m:02d}",
                f"March {d}, {y}",
                f"{rng.randint(7, 17):02d}h30",
                f"ngày {d}.{m}.{y}",
                f"{d}/{m}",
                f"lúc {rng.randint(7, 17)} giờ {rng.randint(10, 59)}",
                f"{m:02d}/{y}",
                f"tháng {m} năm {y}",
                f"{rng.randint(7, 17)}:{rng.randint(10, 59)}",
                f"{d:02d}/{m:02d}/{y}",
                f"ngày {d} tháng {m} năm {y}",
                f"{y}{m:02d}{d:02d}",
            ]
        ),
        "age_over_89": lambda: rng.choice(
            [f"{rng.randint(90, 104)} tuổi", f"{rng.randint(90, 104)}t", f"Sinh năm {rng.randint(1920, 1935)}"]
        ),
        "phone": lambda: rng.choice(
            [
                f"(028) {digits(4)} {digits(4)}",
                f"09{digits(2)} {digits(3)} {digits(3)}",
                f"+84 9{digits(2)}.{digits(3)}.{digits(3)}",
                f"ĐT: 090{digits(7)}",
                f"028.{digits(4)}.{digits(4)}",
                f"Fax: 028 {digits(4)} {digits(4)}",
                f"SĐT người nhà 03{digits(8)}",
            ]
        ),
        "email": lambda: f"{rng.choice(GIVEN).lower()}.{digits(2)}@bv{digits(3)}.vn",
        "address": lambda: rng.choice(
            [
                f"{rng.randint(1, 300)} {rng.choice(STREETS)}, Quận {rng.randint(1, 12)}",
                f"hẻm {rng.randint(1, 99)} {rng.choice(STREETS)}, P.{rng.randint(1, 15)}",
                f"Phường {rng.choice(WARDS)}, Quận {rng.randint(1, 12)}",
                f"ấp {rng.choice(WARDS)}, xã {rng.choice(WARDS)}",
                f"số {rng.randint(1, 99)}/{rng.randint(1, 9)} đường {rng.choice(STREETS)}, Phường {rng.choice(WARDS)}",
                f"thôn {rng.randint(1, 9)}, xã {rng.choice(WARDS)}, huyện Đức Hòa",
            ]
        ),
        "national_id": lambda: rng.choice(
            [
                f"CCCD 0{digits(11)}",
                f"CMND: {rng.randint(1, 3)}{digits(8)}",
                f"CCCD số 0{digits(2)} {digits(3)} {digits(3)} {digits(3)}",
                f"0{digits(11)}",
            ]
        ),
        "insurance": lambda: rng.choice([f"BHYT DN{digits(13)}", f"bhyt: hc{digits(13)}", f"thẻ BHYT GD {digits(13)}"]),
        "record_number": lambda: rng.choice(
            [
                f"Mã BN: {digits(8)}",
                f"XQ-{y % 100}-{digits(5)}",
                f"PID {digits(7)}",
                f"Số hồ sơ HS-{y}-{digits(4)}",
                f"Số vào viện {digits(6)}",
                f"mã y tế {digits(2)}-{y}-{digits(5)}",
                f"BN{y}{digits(4)}",
                f"Accession No. {digits(9)}",
            ]
        ),
        "url": lambda: f"http://pacs.bv{digits(3)}.vn/viewer?study={digits(6)}",
        "ip": lambda: f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    }
    return forms[category](), category


def _span_of(text: str, category: str) -> tuple[int, int]:
    """The part of a planted text that is PHI (the keyword before it is not: ``Mã BN: ___``)."""
    keys = (
        "Mã BN: ",
        "PID ",
        "Số hồ sơ ",
        "CCCD số ",
        "CCCD ",
        "CMND: ",
        "BHYT ",
        "bhyt: ",
        "thẻ BHYT ",
        "ĐT: ",
        "Sinh năm ",
        "ngày ",
        "lúc ",
        "KTV: ",
        "ông ",
        "bà ",
        "Đại úy ",
        "Fax: ",
        "SĐT người nhà ",
        "Số vào viện ",
        "mã y tế ",
        "Accession No. ",
        "BS ",
        "hẻm ",
        *TITLES,
    )
    for key in sorted(keys, key=len, reverse=True):  # the longest first: "BS CKI" is a title, not "BS" + a name
        if text.startswith(key) and len(text) > len(key):
            return len(key.rstrip()) + 1, len(text)
    if category == "age_over_89" and " tuổi" in text:
        return 0, text.index(" tuổi")
    return 0, len(text)


def _clinical_reports(n: int, seed: int) -> list[list[str]]:
    """Reports as the demo generator writes them (findings and impressions, no PHI): the common case."""
    source = DemoSource(size=n, seed=seed, image_size=16)
    out = []
    for i in range(n):
        fields = source.record(i).fields
        out.append([fields.get(k) or "" for k in ("findings", "impressions")])
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lexicon_sentences(
    rng: random.Random,
    lex: Any,
    findings: list[tuple[str, str]],
    sides: list[str],
    severities: list[str],
    positions: list[str],
    organ: dict[str, list[str]],
    devices: list[str],
) -> set[str]:
    """Findings with organ, side, position and severity, negated and uncertain; normal states; devices; eponyms."""
    out: set[str] = set()
    safe = lex.raw["deid_safe"]
    for form, anatomy in findings:
        for side in sides:
            out.add(f"{_cap(form)} {side}.")
            out.add(
                f"{_cap(form)} {rng.choice(positions)} {rng.choice(organ[anatomy])} {side}, {rng.choice(severities)}."
            )
            out.add(f"{_cap(rng.choice(lex.negation_pre))} {form} {side}.")
            out.add(f"{_cap(rng.choice(lex.uncertainty))} {form} {rng.choice(organ[anatomy])} {side}.")
    for subject, phrases in lex.normal.items():
        targets = [v for c in organ.values() for v in c] if subject == "any" else organ[subject]
        for phrase in phrases:
            for target in targets:
                out.add(f"{_cap(target)} {rng.choice(['', 'hai bên ', '2 bên '])}{phrase}.")
    for device in devices:
        out.add(f"{_cap(device)} đầu ở {rng.choice(organ['abdomen'] + organ['trachea'])}.")
        out.add(f"Đặt {device} đúng vị trí, đầu cách carina {rng.randint(2, 7)} cm.")
    for eponym in safe["eponyms"]:
        out.add(f"Dấu hiệu {eponym} {rng.choice(sides)}.")
        out.add(f"Theo dõi hội chứng {eponym}.")
    return out


def _history_sentences() -> set[str]:
    """Histories and imaging abbreviations (COPD, THA, CLVT ...)."""
    out: set[str] = set()
    history = ["COPD", "BPTNMT", "THA", "ĐTĐ", "HIV", "TB", "TBC", "ARDS", "HPQ", "UTP", "VPQ", "COVID-19", "K phổi"]
    for a in history:
        for b in history:
            if a != b:
                out.add(f"Tiền sử {a}, {b}.")
    for a in ("CT", "CLVT", "MSCT", "MRI", "XQ", "Xquang", "X quang"):
        out.add(f"Đề nghị chụp {a} ngực có cản quang.")
        out.add(f"Đối chiếu {a} ngực cũ: tổn thương không đổi.")
    return out


def _skeleton_sentences(sides: list[str]) -> set[str]:
    """Vertebra and rib levels, rib lists, fractions of a lung."""
    out: set[str] = set()
    for level in range(1, 13):
        out.add(f"Xẹp đốt sống T{level}.")
        out.add(f"Thoái hóa T{level}-T{level + 1}." if level < 12 else "Thoái hóa T12-L1.")
        for side in ("trái", "phải"):
            out.add(f"Gãy cung sau xương sườn {level} {side}.")
            out.add(f"Gãy cung trước xương sườn {level} bên {side}, can xương.")
            if level <= 10:
                out.add(f"Can xương sườn {level}-{level + 1}-{level + 2} bên {side}.")
                out.add(f"Gãy cũ cung sau xương sườn {level}, {level + 1}, {level + 2} bên {side} đã can.")
    for level in range(1, 5):
        out.add(f"Thoái hóa L{level}-L{level + 1}, gai xương.")
    for third in ("1/3", "2/3"):
        for part in ("trên", "giữa", "dưới"):
            for side in sides:
                out.add(f"Tổn thương {third} {part} phổi {side}.")
    return out


def _measure_sentences(rng: random.Random, sides: list[str]) -> set[str]:
    """Sizes, ratios, saturations and exposure factors."""
    out: set[str] = set()
    for size in range(3, 40):
        out.add(f"Nốt mờ {size} mm thùy {rng.choice(['trên', 'giữa', 'dưới'])} phổi {rng.choice(sides)}.")
        out.add(f"Khối mờ kích thước {size}x{rng.randint(10, 60)} mm cạnh rốn phổi {rng.choice(sides)}.")
        out.add(f"Nốt mờ đường kính {size / 10:.1f} cm".replace(".", ",") + f" đáy phổi {rng.choice(sides)}.")
    for ratio in range(45, 70):
        out.add(f"Chỉ số tim ngực 0,{ratio}.")
        out.add(f"Bóng tim to, CTR 0.{ratio}.")
    for spo2 in range(85, 100):
        out.add(f"SpO2 {spo2}%, thở oxy {rng.randint(1, 6)} lít/phút.")
    for kv in range(90, 126, 5):
        for mas in range(2, 9):
            out.add(f"Chụp thẳng sau trước, {kv} kV, {mas} mAs.")
    return out


def _patient_sentences(rng: random.Random) -> set[str]:
    """Ages under 90, durations, bare years."""
    out: set[str] = set()
    for age in range(18, 90):
        out.add(f"BN {rng.choice(['Nam', 'Nữ', 'nam', 'nữ'])}, {age} tuổi.")
        out.add(f"Bệnh nhân {rng.choice(['Nam', 'Nữ'])} {age}t, {rng.choice(['ho kéo dài', 'sốt', 'khó thở'])}.")
    for n in range(1, 13):
        for unit in ("ngày", "tuần", "tháng"):
            out.add(f"Chụp lại sau {n} {unit} điều trị.")
            out.add(f"So với phim chụp {n} {unit} trước: tổn thương thu nhỏ.")
    for year in range(2010, 2026):
        out.add(f"So sánh phim cũ năm {year}: không thay đổi.")
    return out


def clinical_sentences(rng: random.Random) -> list[str]:
    """Every clinical sentence the templates below make from the lexicon (findings with their organ, side,
    position and severity; normal states; negated and uncertain findings; devices; eponyms and abbreviations;
    vertebra and rib levels, rib lists, fractions, sizes, ratios, doses, ages under 90, durations, bare years),
    plus the lexicon's demo sentences and ``CLINICAL_EXTRA``: distinct, in a seeded order."""
    lex = load_lexicon()
    sides = [p for values in lex.laterality.values() for p in values]
    severities = [p for values in lex.severity.values() for p in values]
    positions = [c.vi for c in lex.position.values()]
    organ = {cid: c.variants for cid, c in lex.anatomy.items()}
    devices = lex.findings["support_device"].variants
    findings = [
        (v, c.anatomy)
        for c in lex.findings.values()
        if c.anatomy
        for v in c.variants
        if v not in c.bare and len(v) > 3 and v.islower()
    ]
    out = _lexicon_sentences(rng, lex, findings, sides, severities, positions, organ, devices)
    out |= _history_sentences()
    out |= _skeleton_sentences(sides)
    out |= _measure_sentences(rng, sides)
    out |= _patient_sentences(rng)
    demo = {
        t["text"] if isinstance(t, dict) else t
        for region in lex.raw["demo"]["regions"].values()
        for t in region.get("normal", [])
    }
    ordered = sorted(out | demo | set(CLINICAL_EXTRA))
    rng.shuffle(ordered)
    return ordered


#: How a whole report is written (length-preserving: labels keep their offsets). Hospitals' systems and typists
#: write reports in capitals, with or without diacritics, in Title Case, or without diacritics at all.
STYLES = {
    "sentence case": lambda t: t,
    "ALL CAPS": str.upper,
    "ALL CAPS, no diacritics": lambda t: phi.spans.base_chars(t).upper(),
    "Title Case": lambda t: re.sub(r"(?<![^\s(\[\"'])([^\W\d_])", lambda m: m.group(1).upper(), t),
    "no diacritics": phi.spans.base_chars,
}
_STYLE_WEIGHTS = (4, 1, 1, 1, 1)


def corpus(n: int, seed: int) -> tuple[list[dict], list[str]]:
    """Labelled reports and the identifying values the table lists for them."""
    rng = random.Random(seed)
    clinical = iter(clinical_sentences(random.Random(seed + 1)))  # each sentence used once
    people = [_person(rng) for _ in range(n)]
    values: list[str] = []
    records = []
    for i, person in enumerate(people):
        family, middle, given = person
        pid, acc = f"{24000000 + i * 7}", f"ACC-{i:05d}"
        values += [
            f"{family.upper()}^{given.upper()}^{middle.upper()}",
            pid,
            acc,
            f"{1950 + i % 40}0{1 + i % 9}15",
            f"09{i:08d}",
        ]
        pieces: list[tuple[str, str | None]] = []
        for _ in range(3):
            pieces.append((next(clinical), "clinical"))
            text, category = _phi(rng)
            pieces.append((text, category))
        own = rng.choice(
            [
                f"{family} {middle} {given}".lower(),
                " ".join(_ascii(w) for w in person).upper(),
                f"{family} {middle[0]}. {given}",
                "".join(_ascii(w) for w in person),
                pid,
                acc,
            ]
        )
        pieces.append((f"Bệnh nhân {own}" if not own[0].isdigit() and not own.startswith("ACC") else f"mã {own}", OWN))
        other = people[rng.randrange(n)]
        pieces.append((f"So sánh phim của {other[0]} {other[1]} {other[2]}", OWN))
        if i % 25 == 0:
            pieces.append((f"{rng.choice(OUTSIDE)} {rng.choice(GIVEN)} đến khám", UNANCHORED))
        rng.shuffle(pieces)
        text, labels = "", []
        for piece, category in pieces:
            start = len(text)
            text += (piece.rstrip(".") if category == "clinical" else piece) + ". "
            if category == "clinical":
                labels.append(("clinical", start, start + len(piece.rstrip("."))))
            elif category in (OWN, UNANCHORED):
                lead = {"Bệnh nhân ": 10, "mã ": 3, "So sánh phim của ": 17}
                skip = next((k for k in lead if piece.startswith(k)), None)
                end = start + (piece.index(" đến") if category == UNANCHORED else len(piece))
                labels.append((category, start + (lead[skip] if skip else 0), end))
            else:
                a, b = _span_of(piece, category)
                labels.append((category, start + a, start + b))
        style = rng.choices(list(STYLES), weights=_STYLE_WEIGHTS)[0]
        written = STYLES[style](text.strip())
        assert len(written) == len(text.strip()), style  # offsets carry over
        records.append({"text": written, "labels": labels, "style": style})
    return records, values


def evaluate(records: list[dict], analyzer: phi.Analyzer, extra=None) -> dict:
    found, planted, kept, clinical = Counter(), Counter(), 0, 0
    detected, true_detected = Counter(), Counter()
    styles: dict[str, Counter] = {}
    for record in records:
        style = styles.setdefault(record.get("style", "sentence case"), Counter())
        text = record["text"]
        spans = analyzer.find(text) + (extra(text) if extra else [])
        covered = [False] * len(text)
        for span in spans:
            covered[span.start : span.end] = [True] * (span.end - span.start)
        phi_labels = [(c, a, b) for c, a, b in record["labels"] if c != "clinical"]
        for category, a, b in record["labels"]:
            if category == "clinical":
                clinical += 1
                kept += not any(covered[a:b])
                style["clinical"] += 1
                style["kept"] += not any(covered[a:b])
                continue
            planted[category] += 1
            hit = all(covered[k] for k in range(a, b) if text[k].isalnum())
            found[category] += hit
            if category != UNANCHORED:
                style["planted"] += 1
                style["found"] += hit
        for span in spans:
            detected[span.category] += 1
            true_detected[span.category] += any(a < span.end and span.start < b for _, a, b in phi_labels)
    return {
        "found": found,
        "planted": planted,
        "kept": kept,
        "clinical": clinical,
        "detected": detected,
        "true": true_detected,
        "styles": styles,
    }


def _ner_spans(text: str) -> list[phi.Span]:
    from underthesea import ner

    spans, at = [], 0
    for word, *_, tag in ner(text):
        start = text.find(word, at)
        if start < 0:
            continue
        at = start + len(word)
        if tag.endswith("PER"):
            spans.append(phi.Span(start, at, "name"))
    return spans


# --------------------------------------------------------------------------- text nobody here wrote

#: PhoNER_COVID19's splits this benchmark reads. Its test split is kept by others as an independent check and is
#: never opened here; the data are read by path and nothing from them is written anywhere.
PHONER_SPLITS = ("train_syllable.json", "dev_syllable.json")
_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%…")
_NO_SPACE_AFTER = frozenset("([{")
_QUOTES = frozenset("\"'“”‘’")


def detokenize(words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The sentence as it was written (``24 - 7`` -> ``24-7``, ``7 / 3`` -> ``7/3``, ``( 26`` -> ``(26``, no space
    before ``,`` ``.`` ``)``, quotes against what they quote) and each word's (start, end) in it.

    Each word is passed through :func:`vixray_data.text.normalize` first, so the sentence is already in the form
    the de-identifier sees (a word that normalises to nothing, a lone zero-width space, takes no room)."""
    words = [normalize(w) for w in words]
    text, offsets, open_quote = "", [], False
    glue_next = True
    for i, word in enumerate(words):
        prev = words[i - 1] if i else ""
        nxt = words[i + 1] if i + 1 < len(words) else ""
        glue = glue_next or not word or word[0] in _NO_SPACE_BEFORE
        if word in ("-", "/") and prev and nxt and (word == "/" or prev[-1:].isdigit() or nxt[:1].isdigit()):
            glue = True
        if prev in ("-", "/") and text.endswith(prev) and text[-len(prev) - 1 : -len(prev)] != " ":
            glue = True
        if word in _QUOTES:
            glue = open_quote  # a closing quote sticks to what it closes
        glue_next = word[-1:] in _NO_SPACE_AFTER or (word in _QUOTES and not open_quote) or not word
        if word in _QUOTES:
            open_quote = not open_quote
        if text and not glue:
            text += " "
        offsets.append((len(text), len(text) + len(word)))
        text += word
    return text, offsets


def _entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first word, last word + 1) of each BIO entity."""
    out, i = [], 0
    while i < len(tags):
        tag = tags[i]
        if tag == "O":
            i += 1
            continue
        kind, j = tag[2:], i + 1
        while j < len(tags) and tags[j] == f"I-{kind}":
            j += 1
        out.append((kind, i, j))
        i = j
    return out


_YEAR_ONLY = re.compile(r"(?:năm\s*)?(?:19|20)\d{2}", re.IGNORECASE)


def phoner_target(kind: str, text: str) -> str | None:
    """What the benchmark asks of a PhoNER entity: a must-find row, ``keep``, an informative row, or None.

    * NAME, PATIENT_ID: must-find.
    * DATE: must-find when finer than a year, i.e. it holds a day or a month (``24-7``, ``7/3``, ``tháng 8``,
      ``tháng 8-2020``, ``mùng 3 Tết``; HIPAA counts every element of a date but the year). A year alone
      (``năm 2020``) and a date with no number in it (``hôm qua``, relative) are an informative row.
    * LOCATION: must-find when it is not just a province / centrally-run city, a country or a larger region
      (:func:`vixray_data.phi.places.is_coarse_place`); those are an informative row.
    * AGE: must-find above 89. SYMPTOM_AND_DISEASE: must be kept whole.
    """
    if kind == "NAME":
        return "name"
    if kind == "PATIENT_ID":
        return "patient_id"
    if kind == "DATE":
        if not any(c.isdigit() for c in text) or _YEAR_ONLY.fullmatch(text.strip()):
            return "date (year only or no number; not scored)"
        return "date"
    if kind == "LOCATION":
        return "location (province/country; not scored)" if is_coarse_place(text) else "location"
    if kind == "AGE":
        digits = re.findall(r"\d+", text)
        return "age > 89" if digits and int(digits[0]) > 89 else None
    if kind == "SYMPTOM_AND_DISEASE":
        return "keep"
    return None


_FACILITY = re.compile(
    r"(?i)(?:bệnh viện|bv|trung tâm|phòng khám|trạm y tế|sân bay|quán|bar|chợ|trường|khách sạn|"
    r"chung cư|nhà|công ty|siêu thị|khu|tòa|cửa khẩu|đền|chùa|nhà thờ|bến|cảng|ga|làng|"
    r"karaoke|quầy|cơ sở|cửa hàng|điểm|nhà máy|doanh trại)\b"
)
_UNIT = re.compile(
    r"(?i)(?:quận|huyện|phường|xã|thị trấn|thị xã|thôn|ấp|xóm|bản|tổ|khu phố|khối|đường|phố|ngõ|"
    r"ngách|hẻm|kiệt|số|thành phố|tp|tx|tt|p|q)\b\.?"
)


_SHAPE_WORDS = frozenset(
    {
        "thang",
        "ngay",
        "mung",
        "tet",
        "nam",
        "sang",
        "trua",
        "chieu",
        "toi",
        "dem",
        "bn",
        "am",
        "lich",
        "hom",
        "ca",
        "benh",
        "nhan",
        "so",
    }
)


def _shape(text: str) -> str:
    """Digits as 9, words as ``w``/``W`` unless a date or case-number keyword: a kind, never a value."""
    text = re.sub(r"\d+", "9", text)
    return re.sub(
        r"[^\W\d_]+",
        lambda m: fold(m.group(0)) if fold(m.group(0)) in _SHAPE_WORDS else "W" if m.group(0)[:1].isupper() else "w",
        text,
    )


def miss_type(row: str, text: str, before: str) -> str:
    """A miss's kind, from its shape and the word before it (never the text itself): what the report lists."""
    shape = _shape(text)
    if row == "date":
        return shape
    if row == "patient_id":
        lead = fold(before).split()[-2:]
        if lead[-1:] in (["nhan"], ["bn"]) or lead == ["ca", "benh"]:
            return "after bệnh nhân / BN / ca bệnh: " + shape
        if lead[-1:] in (["va"], [","], ["-"]) or before.rstrip().endswith((",", "-")):
            return "in a list: " + shape
        return "other: " + shape
    if row == "name":
        tokens = text.split()
        if all(re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]?\.?", t) for t in tokens) or re.fullmatch(
            r"[A-ZĐ]{2,3}\.?", text
        ):
            return "initials"
        kind = "one word" if len(tokens) == 1 else f"{min(len(tokens), 4)} words"
        return kind + (", all capitals" if text.isupper() else "")
    if row == "location":
        if _FACILITY.match(text):
            return "facility + name"
        if _UNIT.match(text):
            return "unit word + name"
        if all(w[:1].isupper() or w[:1].isdigit() for w in text.split()):
            return "bare capitalised name"
        return "other"
    return shape if row == "age > 89" else "other"


def redact_mapped(text: str, spans) -> tuple[str, list[int]]:
    """The written text and, for each character of ``text``, where it stands in it (-1: replaced)."""
    written, where, last = [], [-1] * len(text), 0
    at = 0
    for span in sorted(spans):
        if span.start < last:
            continue
        for k in range(last, span.start):
            where[k] = at + (k - last)
        written.append(text[last : span.start])
        at += span.start - last
        written.append(phi.REDACTED)
        at += len(phi.REDACTED)
        last = span.end
    for k in range(last, len(text)):
        where[k] = at + (k - last)
    written.append(text[last:])
    return "".join(written), where


def screen_flags(written: str) -> list[phi.Span]:
    """The safe-list detector's spans on a written text as the build's residual screen reads it (``find_residual``:
    the redaction marker blanked, a span holding no letter or digit is no hit)."""
    blanked = written.replace(phi.REDACTED, " " * len(phi.REDACTED))
    return [s for s in find_unexplained(blanked) if any(c.isalnum() for c in blanked[s.start : s.end])]


def second_detector(text: str, spans, entities: list[tuple[int, int]]) -> tuple[bool, list[bool]]:
    """Run the safe-list detector on the scrubbed text: (does it flag anything, for each entity the scrub left
    (an alphanumeric character of it written), does it flag one of its characters)."""
    written, where = redact_mapped(text, spans)
    flagged = _coverage(written, screen_flags(written))
    hits = []
    for a, b in entities:
        positions = [where[k] for k in range(a, b) if where[k] >= 0 and text[k].isalnum()]
        hits.append(any(flagged[p] for p in positions))
    return any(flagged), hits


def _coverage(text: str, spans) -> bytearray:
    covered = bytearray(len(text))
    for span in spans:
        covered[span.start : span.end] = b"\x01" * (span.end - span.start)
    return covered


def _found(text: str, covered: bytearray, a: int, b: int) -> bool:
    return all(covered[k] for k in range(a, b) if text[k].isalnum())


def score_phoner(folder: Path, *, show: int = 0, show_flags: int = 0) -> dict:
    """Recall per must-find row, the kept rate of SYMPTOM_AND_DISEASE and the miss types, on train + dev."""
    planted, found, misses, examples, second = Counter(), Counter(), {}, {}, Counter()
    sentences = changed = 0
    for name in PHONER_SPLITS:
        with open(Path(folder) / name, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                item = json.loads(line)
                text, offsets = detokenize(item["words"])
                sentences += 1
                if normalize(text) != text:  # the de-identifier would see another string: count it, score as is
                    changed += 1
                spans = phi.find_phi(text)
                covered = _coverage(text, spans)
                left = []  # must-find entities the scrub did not take whole
                for kind, i, j in _entities(item["tags"]):
                    a, b = offsets[i][0], offsets[j - 1][1]
                    row = phoner_target(kind, text[a:b])
                    if row is None:
                        continue
                    planted[row] += 1
                    ok = not any(covered[a:b]) if row == "keep" else _found(text, covered, a, b)
                    found[row] += ok
                    if not ok and row != "keep" and "not scored" not in row:
                        left.append((a, b))
                    if not ok and row != "keep" and "not scored" not in row:
                        kind_ = miss_type(row, text[a:b], text[:a])
                        misses.setdefault(row, Counter())[kind_] += 1
                        if show and len(examples.setdefault(row, [])) < show:
                            examples[row].append(f"{text[max(0, a - 40) : a]}[[{text[a:b]}]]{text[b : b + 30]}")
                    elif not ok and row == "keep" and show and len(examples.setdefault(row, [])) < show:
                        examples[row].append(f"{text[max(0, a - 40) : a]}[[{text[a:b]}]]{text[b : b + 30]}")
                any_flag, hits = second_detector(text, spans, left)
                second["left"] += len(left)
                second["left_flagged"] += sum(hits)
                second["clean"] += not left
                second["clean_flagged"] += any_flag and not left
                if any_flag and not left and show_flags and second["clean_flagged"] <= show_flags:
                    written = phi.redact(text, spans)[0]
                    marks = "; ".join(f"{s.category[12:]}: {written[s.start : s.end]}" for s in screen_flags(written))
                    print(f"   phoner flags [{marks}] in: {written}", file=sys.stderr)
    return {
        "sentences": sentences,
        "changed": changed,
        "planted": planted,
        "found": found,
        "misses": misses,
        "examples": examples,
        "second": second,
    }


def print_phoner(result: dict) -> None:
    planted, found = result["planted"], result["found"]
    print(f"PhoNER_COVID19 train + dev: {result['sentences']} sentences ({result['changed']} changed by normalize)\n")
    print("| row | entities | found | recall |")
    print("|---|---:|---:|---:|")
    for row in ("name", "date", "location", "patient_id", "age > 89"):
        if planted[row]:
            print(f"| {row} | {planted[row]} | {found[row]} | **{found[row] / planted[row]:.4f}** |")
    for row in sorted(r for r in planted if "not scored" in r):
        print(f"| {row} | {planted[row]} | {found[row]} | {found[row] / planted[row]:.4f} |")
    keep = planted["keep"]
    print(f"\nSYMPTOM_AND_DISEASE kept whole: {found['keep']}/{keep} = **{found['keep'] / keep:.4f}**\n")
    print("Misses by kind (shape: digits as 9; the word before for patient ids; no text):")
    for row in ("name", "date", "location", "patient_id", "age > 89"):
        kinds = result["misses"].get(row)
        if kinds:
            listed = ", ".join(f"{k} {n}" for k, n in kinds.most_common(12))
            print(f"- {row}: {listed}" + (f" (+{len(kinds) - 12} more kinds)" if len(kinds) > 12 else ""))
    s = result["second"]
    print(
        f"\nSecond detector (safe list) on the scrubbed sentences: flags {s['left_flagged']}/{s['left']} of the "
        f"must-find entities the scrub left; flags {s['clean_flagged']}/{s['clean']} = "
        f"{s['clean_flagged'] / max(s['clean'], 1):.1%} of the sentences the scrub left with none"
    )
    for row, lines in result["examples"].items():  # --show-misses: to the terminal only, never to a file
        print(f"\n# {row}", file=sys.stderr)
        for line in lines:
            print("   " + line, file=sys.stderr)


def _occurrences(text: str, phrase: str) -> list[tuple[int, int]]:
    out, at = [], text.find(phrase)
    while phrase and at >= 0:
        out.append((at, at + len(phrase)))
        at = text.find(phrase, at + 1)
    return out


def _to_normalized(raw: str, at: int) -> int:
    """Where offset ``at`` of ``raw`` lands in ``normalize(raw)`` (which composes, collapses and may drop
    characters): the length of the normalised prefix, measured before a character that survives normalising."""
    return len(normalize(raw[:at] + "x")) - 1


def score_blind(path: Path, *, show: int = 0, show_flags: int = 0) -> dict:
    """Recall per category and per tag, and the kept rate, on a blind set (JSON lines: id, field, text, phi:
    [{text, category, start, end}], keep: [phrases], tags). The text goes through ``normalize`` as the
    de-identifier's fields do; each span's offsets (its first occurrence when it has none; every occurrence for a
    keep phrase) are carried into the normalised text. A value is found when every letter and digit of it lies
    inside detected spans, a phrase kept when none of its characters does."""
    planted, found, by_tag, tag_found, value_found = Counter(), Counter(), Counter(), Counter(), Counter()
    kept = keep = unlocatable = records = invisible = 0
    keep_by_tag, kept_by_tag, second = Counter(), Counter(), Counter()
    examples: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            item = json.loads(line)
            records += 1
            raw = item["text"]
            text = normalize(raw)
            spans = phi.find_phi(text)
            covered = _coverage(text, spans)
            written = phi.redact(text, spans)[0]
            left = []
            invisible += any(unicodedata.category(c) == "Cf" for c in written)
            tags = item.get("tags") or []
            for entry in item.get("phi") or []:
                start = entry.get("start")
                if start is None:
                    start = raw.find(entry["text"])
                if start < 0:
                    unlocatable += 1
                    continue
                a, b = _to_normalized(raw, start), _to_normalized(raw, start + len(entry["text"]))
                category = entry.get("category") or "?"
                ok = _found(text, covered, a, b)
                if not ok:
                    left.append((a, b))
                planted[category] += 1
                found[category] += ok
                value_found[category] += ok or _only_key_words_left(text, covered, a, b)
                for tag in tags:
                    by_tag[tag] += 1
                    tag_found[tag] += ok
                if not ok and show and len(examples) < show:
                    examples.append(f"{category} {tags}: {text[max(0, a - 50) : a]}[[{text[a:b]}]]{text[b : b + 30]}")
            any_flag, hits = second_detector(text, spans, left)
            second["left"] += len(left)
            second["left_flagged"] += sum(hits)
            second["clean"] += not left
            second["clean_flagged"] += any_flag and not left
            second["texts_flagged"] += any_flag
            if not item.get("phi"):
                second["phi_free"] += 1
                second["phi_free_flagged"] += any_flag
            if any_flag and show_flags and second["texts_flagged"] <= show_flags:
                marks = "; ".join(f"{s.category[12:]}: {written[s.start : s.end]}" for s in screen_flags(written))
                print(f"   blind flags [{marks}] in: {written}", file=sys.stderr)
            for phrase in item.get("keep") or []:
                where = _occurrences(raw, phrase)
                if not where:
                    unlocatable += 1
                    continue
                keep += 1
                ok = not any(any(covered[_to_normalized(raw, a) : _to_normalized(raw, b)]) for a, b in where)
                kept += ok
                for tag in tags:
                    keep_by_tag[tag] += 1
                    kept_by_tag[tag] += ok
                if not ok and show and len(examples) < show:
                    a, b = _to_normalized(raw, where[0][0]), _to_normalized(raw, where[0][1])
                    examples.append(f"keep {tags}: {text[max(0, a - 50) : a]}[[{text[a:b]}]]{text[b : b + 30]}")
    return {
        "records": records,
        "planted": planted,
        "found": found,
        "value_found": value_found,
        "by_tag": by_tag,
        "tag_found": tag_found,
        "keep": keep,
        "kept": kept,
        "keep_by_tag": keep_by_tag,
        "kept_by_tag": kept_by_tag,
        "unlocatable": unlocatable,
        "invisible": invisible,
        "examples": examples,
        "second": second,
    }


#: Words a blind writer may mark as part of a value that identify nothing once the value is gone: an age's unit,
#: a date's weekday and time of day (``___ tuổi``, ``thứ Hai ___``, ``sáng ___``), folded.
_KEY_WORDS = frozenset(
    [
        "tuoi",
        "ngay",
        "thu",
        "hai",
        "ba",
        "tu",
        "nam",
        "sau",
        "bay",
        "chu",
        "nhat",
        "sang",
        "trua",
        "chieu",
        "toi",
        "dem",
        "hom",
        "luc",
        "vao",
    ]
)


def _only_key_words_left(text: str, covered: bytearray, a: int, b: int) -> bool:
    """Is every word of the value that the scrub left one of :data:`_KEY_WORDS` (the value itself taken)?"""
    left = "".join(c if not covered[k] else " " for k, c in zip(range(a, b), text[a:b], strict=True))
    words_left = [fold(w) for w in re.findall(r"[^\W_]+", left)]
    return bool(words_left) and all(w in _KEY_WORDS for w in words_left)


def print_blind(result: dict) -> None:
    planted, found, value_found = result["planted"], result["found"], result["value_found"]
    total_p, total_f = sum(planted.values()), sum(found.values())
    total_v = sum(value_found.values())
    print(
        f"blind set: {result['records']} texts, {total_p} PHI values, {result['keep']} phrases to keep "
        f"({result['unlocatable']} phrases not found verbatim in their text, not scored)\n"
    )
    print("found: every letter and digit the writer marked was taken; value taken: what is left of it is only an")
    print("age's unit, a weekday or a time of day (``___ tuổi``, ``thứ Hai ___``)\n")
    print("| category | values | found | recall | value taken | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    for category in sorted(planted):
        n, f, v = planted[category], found[category], value_found[category]
        print(f"| {category} | {n} | {f} | {f / n:.4f} | {v} | {v / n:.4f} |")
    print(
        f"| **all** | {total_p} | {total_f} | **{total_f / max(total_p, 1):.4f}** | {total_v} | "
        f"**{total_v / max(total_p, 1):.4f}** |\n"
    )
    print("| tag | values | found | recall | phrases to keep | kept |")
    print("|---|---:|---:|---:|---:|---:|")
    for tag in sorted(set(result["by_tag"]) | set(result["keep_by_tag"])):
        n, f = result["by_tag"][tag], result["tag_found"][tag]
        kn, kk = result["keep_by_tag"][tag], result["kept_by_tag"][tag]
        print(
            f"| {tag} | {n} | {f} | {f / n:.4f} | {kn} | {kk / kn:.4f} |"
            if n
            else f"| {tag} | 0 | 0 | – | {kn} | {kk / max(kn, 1):.4f} |"
        )
    print(
        f"\nkept whole: {result['kept']}/{result['keep']} = **{result['kept'] / max(result['keep'], 1):.4f}**; "
        f"written texts holding an invisible format character: {result['invisible']}"
    )
    s = result["second"]
    print(
        f"second detector (safe list) on the scrubbed texts: flags {s['left_flagged']}/{s['left']} of the values "
        f"the scrub left; flags {s['clean_flagged']}/{s['clean']} = {s['clean_flagged'] / max(s['clean'], 1):.1%} "
        f"of the texts the scrub left with none"
    )
    print(
        f"  texts with no PHI at all (legitimate text): flags {s['phi_free_flagged']}/{s['phi_free']} = "
        f"{s['phi_free_flagged'] / max(s['phi_free'], 1):.1%}; every text after the scrub: flags "
        f"{s['texts_flagged']}/{result['records']} = {s['texts_flagged'] / max(result['records'], 1):.1%}"
    )
    for line in result["examples"]:  # --show-misses: to the terminal only
        print("   " + line, file=sys.stderr)


# --------------------------------------------------------------------------- the second detector

#: The recognizer families switched off in turn to measure the second detector's independence: a family is every
#: recognizer that finds one of these categories; a value of one of them is the family's own.
FAMILIES: dict[str, tuple[str, ...]] = {
    "names": ("name",),
    "dates": ("date", "age_over_89"),
    "places/addresses": ("address", "facility"),
    "numbers/ids": ("national_id", "insurance", "record_number", "other_id"),
    "contacts": ("phone", "email", "url", "ip"),
}
#: PhoNER's must-find rows by the category they stand for.
_PHONER_CATEGORY = {
    "name": "name",
    "date": "date",
    "age > 89": "age_over_89",
    "location": "address",
    "patient_id": "record_number",
}
CLINICAL_BLIND = Path(__file__).resolve().parents[1] / "tests" / "data" / "clinical_blind.yaml"


class without_family:  # noqa: N801 - read as a phrase: ``with without_family("names"):``
    """The recognizers of one family switched off (``analyzer.RECOGNIZERS``, read by ``find_phi`` at each call)."""

    def __init__(self, family: str | None) -> None:
        self.family = family

    def __enter__(self) -> None:
        self.saved = phi.analyzer.RECOGNIZERS
        if self.family is not None:
            off = set(FAMILIES[self.family])
            phi.analyzer.RECOGNIZERS = tuple(r for r in self.saved if not off & set(r[0]))

    def __exit__(self, *exc) -> None:
        phi.analyzer.RECOGNIZERS = self.saved


def phoner_items(folder: Path):
    """(sentence, [(category, start, end)] of its must-find entities) of PhoNER train + dev."""
    for name in PHONER_SPLITS:
        with open(Path(folder) / name, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    item = json.loads(line)
                    text, offsets = detokenize(item["words"])
                    values = []
                    for kind, i, j in _entities(item["tags"]):
                        a, b = offsets[i][0], offsets[j - 1][1]
                        row = phoner_target(kind, text[a:b])
                        if row in _PHONER_CATEGORY:
                            values.append((_PHONER_CATEGORY[row], a, b))
                    yield text, values


def blind_items(path: Path):
    """(normalised text, [(category, start, end)] of its PHI values) of a blind set."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                raw = item["text"]
                values = []
                for entry in item.get("phi") or []:
                    start = entry.get("start")
                    start = raw.find(entry["text"]) if start is None else start
                    if start >= 0:
                        values.append(
                            (
                                entry.get("category") or "?",
                                _to_normalized(raw, start),
                                _to_normalized(raw, start + len(entry["text"])),
                            )
                        )
                yield normalize(raw), values


def clinical_blind_texts(path: Path = CLINICAL_BLIND) -> list[str]:
    import yaml

    return [normalize(item["text"]) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def flag_rate(texts, *, show: int = 0, label: str = "") -> tuple[int, int]:
    """(texts the safe list flags after the full scrub, texts); ``show`` prints up to that many flags to stderr."""
    flagged = total = 0
    for text in texts:
        total += 1
        written = phi.redact(text, phi.find_phi(text))[0]
        spans = screen_flags(written)
        flagged += bool(spans)
        if spans and show and flagged <= show:
            marks = "; ".join(f"{s.category[12:]}: {written[s.start : s.end]}" for s in spans)
            print(f"   {label} flags [{marks}] in: {written}", file=sys.stderr)
    return flagged, total


def independence(items, *, show: int = 0, label: str = "") -> dict[str | None, Counter]:
    """For the full scrub (None) and each family switched off in turn: the PHI values the scrub leaves (a letter
    or digit of them not inside a detected span) and how many of them the safe list flags (a written character of
    them inside a flagged span), all values and the family's own; the family's own split into values left whole
    (no character of them replaced: the value itself reached the text) and values left in part (another
    recognizer took the rest: ``quận ___`` after the address recognizers, ``P.___`` after the name ones); and
    the texts left with no value that it flags."""
    items = list(items)
    out: dict[str | None, Counter] = {}
    for family in (None, *FAMILIES):
        counts = out.setdefault(family, Counter())
        own = set(FAMILIES.get(family, ()))
        shown = 0
        with without_family(family):
            for text, values in items:
                spans = phi.find_phi(text)
                covered = _coverage(text, spans)
                left = [(c, a, b) for c, a, b in values if not _found(text, covered, a, b)]
                any_flag, hits = second_detector(text, spans, [(a, b) for _, a, b in left])
                counts["left"] += len(left)
                counts["left_flagged"] += sum(hits)
                counts["clean"] += not left
                counts["clean_flagged"] += any_flag and not left
                for (category, a, b), hit in zip(left, hits, strict=True):
                    if category in own:
                        counts["own_left"] += 1
                        counts["own_flagged"] += hit
                        whole = not any(covered[a:b])
                        counts["whole_left" if whole else "part_left"] += 1
                        counts["whole_flagged" if whole else "part_flagged"] += hit
                        if not hit and show and shown < show and whole:
                            shown += 1
                            print(
                                f"   {label} {family} off, not flagged {category}: {text[max(0, a - 40) : a]}"
                                f"[[{text[a:b]}]]{text[b : b + 20]}",
                                file=sys.stderr,
                            )
    return out


def print_independence(name: str, result: dict[str | None, Counter]) -> None:
    print(
        f"\nSecond detector's independence on {name}: the PHI values a weakened scrub leaves, and the share the "
        "safe list flags after it\n"
    )
    print(
        "| recognizers switched off | its own values left whole | flagged | left in part | flagged | all values left "
        "| flagged | texts left with no value: flagged |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def share(n: int, of: int) -> str:
        return f"{of} | {n / of:.1%}" if of else "0 | –"

    for family, c in result.items():
        own = f"{share(c['whole_flagged'], c['whole_left'])} | {share(c['part_flagged'], c['part_left'])}"
        print(
            f"| {family or 'none (the full scrub)'} | {own if family else '– | – | – | –'} | "
            f"{share(c['left_flagged'], c['left'])} | {c['clean_flagged']}/{c['clean']} = "
            f"{c['clean_flagged'] / max(c['clean'], 1):.1%} |"
        )


def safelist_legitimate(records: list[dict], seed: int, demo_records: int, show: int) -> None:
    """The safe list's flag rate on legitimate text (after the full scrub where the text went through it) and its
    CPU per record."""
    sentences = sorted({r["text"][a:b] for r in records for c, a, b in r["labels"] if c == "clinical"})
    flagged = sum(bool(find_unexplained(s)) for s in sentences)
    print(
        f"second detector (safe list) on the clinical sentences, as written: flags {flagged}/{len(sentences)} "
        f"= {flagged / len(sentences):.2%}"
    )
    pool = clinical_sentences(random.Random(seed + 1))
    for style, write in STYLES.items():
        n = sum(bool(find_unexplained(write(s))) for s in pool)
        print(f"  every generated sentence ({len(pool):,}) in {style}: {n} flagged")
    demo = DemoSource(size=demo_records, image_size=16)
    texts = {t for i in range(demo_records) for name in schema.TEXT_FIELDS if (t := demo.record(i).fields.get(name))}
    n = sum(bool(find_unexplained(t)) for t in texts)
    print(f"  the {demo_records:,}-record demo export ({len(texts):,} distinct texts): {n} flagged")
    n, total = flag_rate(clinical_blind_texts(), show=show, label="clinical_blind")
    print(f"  tests/data/clinical_blind.yaml after the scrub: {n}/{total} = {n / total:.2%} flagged")
    written = [phi.redact(r["text"], phi.find_phi(r["text"]))[0] for r in records]
    for text in written[:50]:
        screen_flags(text)
    cpu = []
    for _ in range(3):
        start = time.process_time()
        for text in written:
            screen_flags(text)
        cpu.append(time.process_time() - start)
    print(
        f"  CPU: {1000 * statistics.median(cpu) / len(written):.3f} ms per labelled report, scrubbed (median of 3 "
        "passes; the build runs it twice per record)\n"
    )


#: Run in a child process against whichever ``vixray_data`` is first on its path: CPU ms per record of the full
#: scrub, median of passes, every per-text cache of its ``phi`` cleared before each pass.
_TIME_SCRUB = """
import functools, gc, json, statistics, sys, time
from vixray_data import phi
import vixray_data.phi.allow as allow, vixray_data.phi.spans as spans
data = json.load(open(sys.argv[1]))
texts, values = data["texts"], data["values"]
an = phi.Analyzer(values=phi.ValueIndex(values),
                  shapes=phi.IdShapes([v for v in values if any(c.isalpha() for c in v) and "^" not in v]))
keep = ("raw_words", "words", "_regexes", "_patterns", "clinical_words", "clinical_words_folded")
def clear():
    for mod in (spans, allow):
        for obj in vars(mod).values():
            if isinstance(obj, functools._lru_cache_wrapper) and obj.__module__ == mod.__name__ \\
                    and obj.__name__ not in keep:
                obj.cache_clear()
for t in texts[:50]:
    phi.redact(t, an.find(t))
cpu = []
for _ in range(int(sys.argv[2])):
    clear(); gc.collect()
    start = time.process_time()
    for t in texts:
        phi.redact(t, an.find(t))
    cpu.append(time.process_time() - start)
print(1000 * statistics.median(cpu) / len(texts))
"""


def paired_speed(records: list[dict], values: list[str], base: Path, pairs: int, runs: int) -> None:
    """The scrub of the ``vixray_data`` tree under ``base`` and of this one, timed alternately on the same reports
    (so the machine's load falls on both alike): medians and the ratio."""
    import os
    import subprocess
    import tempfile

    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = Path(tmp) / "corpus.json"
        corpus_file.write_text(json.dumps({"texts": [r["text"] for r in records], "values": values}))
        times: dict[str, list[float]] = {"base": [], "this": []}
        for _ in range(pairs):
            for label, path in (("base", Path(base).resolve()), ("this", here)):
                out = subprocess.run(
                    [sys.executable, "-c", _TIME_SCRUB, str(corpus_file), str(runs)],
                    cwd=tmp,
                    env=dict(os.environ, PYTHONPATH=str(path)),
                    capture_output=True,
                    text=True,
                    check=True,
                )
                times[label].append(float(out.stdout.strip()))
    ratio = statistics.median(t / b for t, b in zip(times["this"], times["base"], strict=True))
    print(
        f"paired CPU ms/record, {pairs} pairs x median of {runs} passes: base "
        f"{statistics.median(times['base']):.3f}, this {statistics.median(times['this']):.3f} (ratio {ratio:.2f})"
    )


def _clear_caches() -> None:
    """Forget every text the de-identifier has seen (its caches are per text): each pass starts cold."""
    for cached in (
        phi.spans.fold_chars,
        phi.spans.lower_chars,
        phi.spans.base_chars,
        phi.spans.capital_runs,
        phi.spans._sentence_starts,
        phi.spans._uninformative,
        phi.spans.any_unaccented,
        phi.allow.allowed_spans,
        phi.places.is_coarse_place,
    ):
        cached.cache_clear()


def external(args: argparse.Namespace) -> None:
    """Score text nobody here wrote (PhoNER train + dev) and the blind set, with the families' independence."""
    if args.phoner:
        print_phoner(score_phoner(args.phoner, show=args.show_misses, show_flags=args.show_flags))
        if args.families:
            print_independence(
                "PhoNER train + dev", independence(phoner_items(args.phoner), show=args.show_misses, label="phoner")
            )
    if args.blind:
        print_blind(score_blind(args.blind, show=args.show_misses, show_flags=args.show_flags))
        if args.families:
            print_independence(
                "the blind set", independence(blind_items(args.blind), show=args.show_misses, label="blind")
            )


def print_speed(label: str, texts: list[str], analyzer: phi.Analyzer, runs: int) -> None:
    """The scrub's wall and CPU time per record over ``texts``, median of ``runs`` passes, caches cleared."""
    wall, cpu = [], []
    for _ in range(runs):
        _clear_caches()
        start, start_cpu = time.perf_counter(), time.process_time()
        for text in texts:
            phi.redact(text, analyzer.find(text))
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    chars = statistics.mean(len(t) for t in texts)
    print(
        f"speed, {label} (mean {chars:.0f} characters): {len(texts) / statistics.median(wall):,.0f} records/s, "
        f"{1000 * statistics.median(wall) / len(texts):.3f} ms/record wall, "
        f"{1000 * statistics.median(cpu) / len(texts):.3f} ms/record CPU (median of {runs} passes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--demo-records", type=int, default=5400, help="demo records the safe list must pass")
    parser.add_argument(
        "--pair-with",
        type=Path,
        metavar="DIR",
        help="also time the scrub of the vixray_data tree in DIR (e.g. `git archive REF vixray_data "
        "| tar -x -C DIR`) and this one alternately (paired runs)",
    )
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--ner", action="store_true", help="also run underthesea's CRF NER (the `nlp` extra)")
    parser.add_argument(
        "--phoner",
        type=Path,
        metavar="DIR",
        help="score PhoNER_COVID19 train + dev (syllable JSON lines) read from DIR instead",
    )
    parser.add_argument("--blind", type=Path, metavar="PATH", help="score a blind set (JSON lines) instead")
    parser.add_argument(
        "--show-misses",
        type=int,
        default=0,
        metavar="N",
        help="print N missed examples per row to stderr (development; never commit them)",
    )
    parser.add_argument(
        "--families",
        action="store_true",
        help="with --phoner / --blind: switch each recognizer family off in turn and measure what "
        "the second detector flags of what the weakened scrub leaves",
    )
    parser.add_argument(
        "--show-flags",
        type=int,
        default=0,
        metavar="N",
        help="print N texts the second detector flags on legitimate text to stderr (development)",
    )
    args = parser.parse_args()
    if args.phoner or args.blind:
        external(args)
        return

    records, values = corpus(args.records, args.seed)
    deidentifier_values = phi.ValueIndex(values)
    shapes = phi.IdShapes([v for v in values if any(c.isalpha() for c in v) and "^" not in v])
    analyzer = phi.Analyzer(values=deidentifier_values, shapes=shapes)
    result = evaluate(records, analyzer)
    planted, found = result["planted"], result["found"]
    print(
        f"{len(records)} reports, {sum(planted.values())} planted PHI spans, {result['clinical']} clinical "
        f"sentences, {len(values)} listed identifying values (seed {args.seed})\n"
    )
    print("| category | planted | found | recall |")
    print("|---|---:|---:|---:|")
    for category in sorted(planted):
        print(f"| {category} | {planted[category]} | {found[category]} | {found[category] / planted[category]:.1%} |")
    main_cats = [c for c in planted if c != UNANCHORED]
    total_p, total_f = sum(planted[c] for c in main_cats), sum(found[c] for c in main_cats)
    print(f"| **all but the unanchored row** | {total_p} | {total_f} | **{total_f / total_p:.2%}** |\n")
    print("| detected as | spans | overlapping planted PHI | precision |")
    print("|---|---:|---:|---:|")
    for category in sorted(result["detected"]):
        n, t = result["detected"][category], result["true"][category]
        print(f"| {category} | {n} | {t} | {t / n:.1%} |")
    n, t = sum(result["detected"].values()), sum(result["true"].values())
    print(f"| **all** | {n} | {t} | **{t / n:.2%}** |\n")
    distinct = len({r["text"][a:b].lower() for r in records for c, a, b in r["labels"] if c == "clinical"})
    print(
        f"clinical sentences kept whole: {result['kept']}/{result['clinical']} = "
        f"{result['kept'] / result['clinical']:.2%} ({distinct} distinct)\n"
    )
    print("| report written in | reports | PHI found | recall | clinical kept | kept |")
    print("|---|---:|---:|---:|---:|---:|")
    for style in STYLES:
        c = result["styles"].get(style, Counter())
        n = sum(1 for r in records if r["style"] == style)
        print(
            f"| {style} | {n} | {c['found']}/{c['planted']} | {c['found'] / max(c['planted'], 1):.2%} | "
            f"{c['kept']}/{c['clinical']} | {c['kept'] / max(c['clinical'], 1):.2%} |"
        )
    print()

    safelist_legitimate(records, args.seed, args.demo_records, args.show_flags)

    clinical_only = [" ".join(rng_sentences) for rng_sentences in _clinical_reports(len(records), args.seed)]
    for label, texts in (("labelled reports", [r["text"] for r in records]), ("clinical-only reports", clinical_only)):
        print_speed(label, texts, analyzer, args.runs)

    if args.pair_with:
        paired_speed(records, values, args.pair_with, args.pairs, args.runs)

    if args.ner:
        start = time.perf_counter()
        ner_spans = {record["text"]: _ner_spans(record["text"]) for record in records}
        seconds = time.perf_counter() - start
        ner = evaluate(records, analyzer, extra=ner_spans.__getitem__)
        alone = Counter()
        for record in records:  # what the NER finds of the unanchored names on its own
            spans = ner_spans[record["text"]]
            for category, a, b in record["labels"]:
                if category == UNANCHORED:
                    alone["planted"] += 1
                    alone["found"] += any(s.start <= a and b <= s.end for s in spans)
        total_p = sum(ner["planted"][c] for c in main_cats)
        total_f = sum(ner["found"][c] for c in main_cats)
        print(
            f"\nwith underthesea's CRF NER added to the recognizers: unanchored names found "
            f"{alone['found']}/{alone['planted']}; recall of the other rows {total_f / total_p:.2%}; "
            f"clinical sentences kept {ner['kept']}/{ner['clinical']} = {ner['kept'] / ner['clinical']:.2%}; "
            f"NER alone {1000 * seconds / len(records):.1f} ms/record"
        )


if __name__ == "__main__":
    main()
