"""`vixray review`: one self-contained HTML page showing a build, read back with html.parser as a browser would."""

from __future__ import annotations

import base64
import html
import io
import json
import random
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import DEMO_SEED
from PIL import Image

from vixray_data import cli, schema
from vixray_data.build import build
from vixray_data.config import BuildConfig
from vixray_data.review import choose, highlight

KEY = b"review-test-secret-key-0123456789"
#: Report text whose doctor's name and phone the de-identifier replaces: two ___ per findings, one per impressions.
FINDINGS = "Bóng tim không to. BS. Trần Văn Bình đọc phim, liên hệ 0912 345 678."
IMPRESSIONS = "Theo dõi gãy xương sườn. Bệnh nhân {name}."


class Page(HTMLParser):
    """Tags, attributes and text of a page: what the tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._stack: list[tuple[str, dict[str, str]]] = []
        self.cells: dict[str, list[list[str]]] = {}  # table class -> rows of cell texts
        self.marks = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "table":
            self._table = attrs.get("class", "")
            self.cells.setdefault(self._table, [])
        elif tag == "tr":
            self.cells[self._table].append([])
        elif tag == "td":
            self.cells[self._table][-1].append("")
        elif tag == "mark" and attrs.get("class") == "redacted":
            self.marks += 1
        self._stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        self.text.append(data)
        if self._stack and self._stack[-1][0] == "td":
            self.cells[self._table][-1][-1] += data

    def studies(self) -> list[tuple[str, str]]:
        return [
            (a["data-id"], a["data-split"]) for t, a in self.tags if t == "article" and "study" in a.get("class", "")
        ]


def _png(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((48, 40), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def phi_build(tmp_path_factory) -> Path:
    """A 20-study export (PNG + CSV) whose reports name the doctor, a phone and the patient: ___ to highlight."""
    root = tmp_path_factory.mktemp("export") / "export"
    (root / "img").mkdir(parents=True)
    names = [f"Nguyễn Văn {given}" for given in ("An", "Bảo", "Cường", "Dũng", "Em")]
    lines = ["Tên file,Mã BN,Họ tên,Tuổi,Giới tính,Tư thế,Mô tả,Kết luận"]
    for i in range(20):
        (root / "img" / f"im{i:02d}.png").write_bytes(_png(10 + 11 * i))
        name = names[i % 5]
        lines.append(
            f"img/im{i:02d}.png,BN{7000 + i},{name},{60 + i},{'Nam' if i % 2 else 'Nữ'},PA,"
            f'"{FINDINGS}","{IMPRESSIONS.format(name=name)}"'
        )
    (root / "bao_cao.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    key = root.parent / "deid.key"
    key.write_bytes(KEY)
    out = tmp_path_factory.mktemp("built") / "vixray"
    build(BuildConfig(source=root, out=out, deid_key_file=key, num_proc=1, progress=False, seed=3))
    return out


def _rows(folder: Path) -> dict[str, dict]:
    return {
        r[schema.ID]: r
        for p in sorted((folder / "data").glob("*.parquet"))
        for r in pq.read_table(p, columns=[c for c in schema.FIELDS if c != schema.IMAGE]).to_pylist()
    }


def _review(folder: Path, out: Path, *args: str) -> Page:
    assert cli.main(["review", str(folder), "--out", str(out), *args]) == 0
    return Page(out.read_text(encoding="utf-8"))


def test_the_page_shows_the_builds_counts_rejects_audit_and_leak_scan(demo_build, tmp_path):
    page = _review(demo_build.out, tmp_path / "review.html", "--sample", "2")
    manifest = demo_build.manifest.to_json()
    counts = {row[0]: int(row[1]) for row in page.cells["counts"][1:]}
    assert counts == {s: info["num_examples"] for s, info in manifest["splits"].items()}
    text = " ".join(page.text)
    c = manifest["counts"]
    assert f"Read {c['read']} · written {c['written']} · rejected {c['rejected']}" in text
    audit = {row[0]: row[1] for row in page.cells["deid"][1:]}
    assert audit["records in"] == str(manifest["deid"]["records_in"])
    assert "clean" in text and "Synthetic demo build" in text
    assert [t for t, a in page.tags if t == "p" and "leak" in a.get("class", "")]
    assert "Residual-PHI scan" in text and f"{manifest['residual_scan']['hits']} hits" in text
    assert manifest["pixel_screening"]["statement"] in text


def test_the_sample_is_seeded_per_split_and_every_sampled_id_is_on_the_page(demo_dir, tmp_path):
    first = _review(demo_dir, tmp_path / "a.html", "--sample", "3", "--seed", "7")
    again = _review(demo_dir, tmp_path / "b.html", "--sample", "3", "--seed", "7")
    assert first.studies() == again.studies()
    ids = {
        split: [r[schema.ID] for r in pq.read_table(p, columns=[schema.ID]).to_pylist()]
        for split in schema.SPLITS
        for p in (demo_dir / "data").glob(f"{split}-*.parquet")
    }
    rng = random.Random(7)
    expected = [(ids[s][i], s) for s in schema.SPLITS for i in sorted(rng.sample(range(len(ids[s])), 3))]
    assert first.studies() == expected
    assert choose(demo_dir, sample=3, seed=DEMO_SEED) != choose(demo_dir, sample=3, seed=DEMO_SEED + 1)


def test_named_ids_are_shown_instead_of_a_sample_with_their_fields(demo_dir, tmp_path):
    rows = _rows(demo_dir)
    wanted = sorted(rows)[:2]
    page = _review(demo_dir, tmp_path / "r.html", "--ids", ",".join(wanted))
    assert sorted(i for i, _ in page.studies()) == wanted
    text = " ".join(page.text)
    for rid in wanted:
        assert rows[rid][schema.FINDINGS] in text and f"age {rows[rid][schema.AGE]}" in text


def test_an_unknown_id_is_a_one_line_error(demo_dir, tmp_path, capsys):
    assert cli.main(["review", str(demo_dir), "--out", str(tmp_path / "r.html"), "--ids", "nope"]) == 2
    assert "no study with id nope" in capsys.readouterr().err


def test_every_replacement_in_the_sampled_text_is_highlighted(phi_build, tmp_path):
    page = _review(phi_build, tmp_path / "r.html", "--sample", "2")
    rows = _rows(phi_build)
    shown = [rows[i] for i, _ in page.studies()]
    assert len(shown) == 6
    expected = sum((r[f] or "").count("___") for r in shown for f in schema.TEXT_FIELDS)
    assert expected >= 3 * len(shown)  # doctor, phone, patient: the fixture plants three per study
    assert page.marks - 1 == expected  # one more in the sample's legend
    text = " ".join(page.text)
    assert "Trần Văn Bình" not in text and "0912" not in text and "Nguyễn Văn" not in text


def test_the_page_is_self_contained_with_small_inline_images(phi_build, tmp_path):
    out = tmp_path / "r.html"
    page = _review(phi_build, out, "--sample", "3", "--thumbnail-px", "32")
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html.lower()
    sources = [a["src"] for t, a in page.tags if "src" in a] + [a["href"] for t, a in page.tags if "href" in a]
    images = [a["src"] for t, a in page.tags if t == "img"]
    splits = json.loads((phi_build / schema.MANIFEST).read_text(encoding="utf-8"))["splits"]
    assert len(images) == len(page.studies()) == sum(min(3, i["num_examples"]) for i in splits.values())
    assert sources == images  # nothing else is referenced: no stylesheet, font or script
    for src in images:
        assert src.startswith("data:image/jpeg;base64,")
        thumb = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert max(thumb.size) == 32 and thumb.format == "JPEG"


def test_figures_written_by_vixray_stats_are_embedded(demo_dir, tmp_path):
    stats = tmp_path / "stats"
    stats.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(stats / "figure2a_body_parts.png")
    (stats / "table3.md").write_text("| Split | Samples |\n|---|---|\n| train | 48 |\n", encoding="utf-8")
    page = _review(demo_dir, tmp_path / "r.html", "--stats", str(stats), "--sample", "1")
    figures = [a for t, a in page.tags if t == "img" and a.get("alt") == "figure2a body parts"]  # not in stats.json
    assert len(figures) == 1 and figures[0]["src"].startswith("data:image/png;base64,")
    assert page.cells["table3"] == [[], ["48"]]  # the header's cells are th, the row's label a th too


def test_highlight_escapes_text_and_marks_each_replacement():
    assert highlight("BS. ___ <b>đọc</b> ___.") == (
        'BS. <mark class="redacted" title="replaced by de-identification">___</mark> &lt;b&gt;đọc&lt;/b&gt; '
        '<mark class="redacted" title="replaced by de-identification">___</mark>.'
    )


def test_residual_phi_in_a_shown_text_is_flagged(demo_dir, tmp_path):
    import shutil

    import pyarrow as pa

    folder = shutil.copytree(demo_dir, tmp_path / "leaky")
    shard = next((folder / "data").glob("test-*.parquet"))
    table = pq.read_table(shard)
    findings = table.column(schema.FINDINGS).to_pylist()
    findings[0] = findings[0] + " Liên hệ 0912 345 678."  # a phone the scrubber would have caught
    table = table.set_column(table.schema.get_field_index(schema.FINDINGS), schema.FINDINGS, pa.array(findings))
    pq.write_table(table, shard)
    rid = table.column(schema.ID)[0].as_py()
    page = _review(folder, tmp_path / "r.html", "--ids", rid)
    flagged = [a for t, a in page.tags if t == "dd" and "flagged" in a.get("class", "")]
    assert [a["class"] for a in flagged] == ["findings flagged"]
    # the recognizers name it a phone (the second detector may add its own kind)
    assert re.search(r"still matches (?:a PHI pattern|PHI patterns): (?:\w+, )*phone\b", " ".join(page.text))
    assert json.loads((folder / schema.MANIFEST).read_text())["leak_scan"]["clean"]  # the page is the first to say


# -- the page in a browser ------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Appended to a copy of the page (the page itself has no script): once laid out, it writes what overflows.
#: A probe page holding the review in a frame of the width under test (headless Chromium's window is at least
#: 500 px wide), measuring the review once laid out, its images loaded. The review itself has no script.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="frame" style="width:{width}px;height:900px;border:0" srcdoc="{page}"></iframe>
<script>addEventListener("load", () => {{
  const doc = frame.contentDocument, view = frame.contentWindow;
  const wider = el => el.scrollWidth > el.clientWidth + 1;
  const boxes = [...doc.querySelectorAll(".study, .report, dd, figure, p, h1, h2, h3, h4")];
  const result = {{page: doc.documentElement.scrollWidth, viewport: view.innerWidth,
                  overflowing: boxes.filter(wider).map(el => el.tagName + "." + el.className),
                  figures: [...doc.querySelectorAll("figure.stat img")].map(i => i.getBoundingClientRect().width),
                  body: doc.body.clientWidth}};
  const out = document.createElement("pre"); out.id = "measured"; out.textContent = JSON.stringify(result);
  document.body.append(out);
}});</script></body></html>"""


def _measure(page: Path, width: int, tmp_path: Path) -> dict:
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(PROBE.format(width=width, page=html.escape(page.read_text(encoding="utf-8"))), encoding="utf-8")
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1400,1000",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def full_page(phi_build, tmp_path_factory) -> Path:
    """The review of the planted-PHI build with its statistics: Table 3 and the five figures."""
    from vixray_data.statistics import StatsConfig, run_statistics

    root = tmp_path_factory.mktemp("page")
    run_statistics(phi_build, StatsConfig(out=root / "stats", backend="lexicon", noun_phrases=None, num_proc=1))
    page = root / "review.html"
    assert cli.main(["review", str(phi_build), "--out", str(page), "--stats", str(root / "stats")]) == 0
    return page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium) to lay the page out")
@pytest.mark.parametrize("width", [400, 1280])
def test_in_a_browser_nothing_overflows_at_phone_and_laptop_widths(full_page, tmp_path, width):
    measured = _measure(full_page, width, tmp_path)
    assert measured["viewport"] == width
    assert measured["page"] <= width, measured  # no sideways scrolling
    assert measured["overflowing"] == [], measured  # report text wraps inside its card
    assert len(measured["figures"]) == 5 and all(w >= measured["body"] - 40 for w in measured["figures"]), measured


def test_table3_is_an_html_table_and_figures_have_captions(full_page):
    page = Page(full_page.read_text(encoding="utf-8"))
    samples = page.cells["table3"][1]  # row 0 is the header (th cells only); each row's label is a th
    assert samples[-1] == "20" and "<pre" not in full_page.read_text(encoding="utf-8")  # overall: the 20 studies
    text = " ".join(page.text)
    assert "Num. samples" in text and "Impressions length avg" in text
    captions = [a["alt"] for t, a in page.tags if t == "img" and a.get("src", "").startswith("data:image/png")]
    assert len(captions) == 5 and captions[0].startswith("Figure 2a: body parts named in the findings")
    assert not any(c.endswith(".png") or "_" in c for c in captions)


def test_counts_are_written_with_their_plurals(phi_build, demo_dir, tmp_path, capsys):
    one = _review(demo_dir, tmp_path / "one.html", "--ids", _rows(demo_dir).popitem()[0])
    assert "1 study shown" in " ".join(one.text)
    assert "wrote " in capsys.readouterr().out
    many = _review(phi_build, tmp_path / "many.html", "--sample", "3")
    assert f"{len(many.studies())} studies shown" in " ".join(many.text)
    printed = capsys.readouterr().out
    assert f"{len(many.studies())} studies," in printed and "(ies)" not in printed and "(s)" not in printed
