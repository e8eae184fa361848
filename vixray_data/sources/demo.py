"""The embedded synthetic demo corpus: reports composed from the lexicon, radiograph-like images to match.

No machine here can reach the hub, so the builder's default input is generated: Vietnamese findings and
impressions written from the ``demo:`` section of ``lexicon.yaml`` (templates keyed by concept ids),
age/sex/view distributed like the paper (mean age about 69, mostly PA), and a grayscale picture whose
content follows the report (a larger heart for cardiomegaly, an opacity for consolidation, a blunted
angle for effusion, a broken rib for a fracture). Every record is a pure function of (seed, index), so
:meth:`DemoSource.ground_truth` can tell tests what each report asserts without parsing it.
Every record's note says it is synthetic.
"""

from __future__ import annotations

import functools
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from .. import schema
from ..config import BuildConfig
from ..lexicon import load_lexicon
from ..records import EncodedImage, RawRecord

#: zlib level of rendered PNGs (lossless; with the Up filter and run-length strategy, see :func:`encode_png`).
PNG_COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class DemoFact:
    """One statement of a demo report, as the generator meant it (shape follows ``clinical.Fact``)."""

    section: str  # "findings" or "impressions"
    subject: str | None  # anatomy concept id
    finding: str | None  # finding concept id; None for a plain normal statement
    polarity: str  # "present" | "negated" | "normal"
    certainty: str = "certain"  # or "uncertain"
    laterality: str | None = None  # "left" | "right" | "bilateral"
    position: tuple[str, ...] = ()  # position ids and "rib:N"
    severity: str | None = None  # "mild" | "moderate" | "marked"
    text: str = ""  # the sentence


@dataclass(frozen=True)
class DemoTruth:
    """What record ``index`` says, by concept id: the generator's ground truth."""

    index: int
    patient: int  # demo patient number (two studies of one patient share it)
    facts: tuple[DemoFact, ...]
    present: frozenset[str]  # finding ids asserted in the findings text
    negated: frozenset[str]  # finding ids explicitly ruled out in the findings text
    anatomy: frozenset[str]  # anatomy ids the findings text mentions
    impressions: frozenset[str]  # finding ids the impressions text states
    normal: bool  # no finding present
    findings_text: str = ""
    impressions_text: str = ""
    image: dict[str, tuple[str | None, str | None, int | None]] = field(default_factory=dict)
    # ^ finding id -> (laterality, severity, rib number): what the picture draws


@dataclass(frozen=True)
class ImageSpec:
    """What to draw; small and picklable, so worker processes render from it."""

    seed: int
    index: int
    findings: tuple[tuple[str, str | None, str | None, int | None], ...]  # (finding, side, severity, rib n)
    view: str = "PA"  # "PA", "AP" or "LL": which picture of the chest


def _section() -> dict:
    return load_lexicon().raw["demo"]


def _template(value: Any) -> dict:
    return {"text": value} if isinstance(value, str) else dict(value)


class DemoSource:
    """Iterable of ``RawRecord``: ``size`` synthetic studies, deterministic by ``seed``."""

    is_demo = True

    def __init__(
        self,
        config: BuildConfig | None = None,
        *,
        size: int | None = None,
        seed: int | None = None,
        image_size: int | None = None,
    ) -> None:
        config = config or BuildConfig()
        self.size = config.demo_size if size is None else size
        self.seed = config.seed if seed is None else seed
        self.image_size = config.demo_image_size if image_size is None else image_size
        if self.size < 0 or self.image_size < 16:
            raise ValueError("demo size must be >= 0 and image size >= 16 px")
        self._bank = _section()
        self._lexicon = load_lexicon()
        # patient plan: a share of studies are a patient's second study (exercises patient-level splits)
        rng = random.Random(f"vixray-demo-patients:{self.seed}")
        self._first: list[int] = []  # index of the patient's first study
        self._patient: list[int] = []
        repeat = float(self._bank["repeat_patient"])
        for i in range(self.size):
            if i > 0 and self._first[i - 1] == i - 1 and rng.random() < repeat:
                self._first.append(i - 1)
                self._patient.append(self._patient[i - 1])
            else:
                self._first.append(i)
                self._patient.append(self._patient[-1] + 1 if self._patient else 0)

    # -- the source protocol ----------------------------------------------------------------------
    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[RawRecord]:
        for i in range(self.size):
            yield self.record(i)

    def summary(self) -> dict:
        return {
            "kind": "demo",
            "synthetic": True,
            "records": self.size,
            "seed": self.seed,
            "image_size": self.image_size,
            "lexicon_version": self._lexicon.version,
            "note": "synthetic demo corpus generated by vixray_data.sources.demo; not patient data",
        }

    # -- records ----------------------------------------------------------------------------------
    def _demographics(self, i: int) -> tuple[int, str, str]:
        first = self._first[i]
        rng = random.Random(f"vixray-demo-patient:{self.seed}:{first}")
        spec = self._bank["age"]
        age = int(round(min(max(rng.gauss(spec["mean"], spec["sd"]), spec["min"]), spec["max"])))
        sex = rng.choices(list(self._bank["sex"]), weights=list(self._bank["sex"].values()))[0]
        if i != first:  # a later study of the same patient: same sex, maybe a year older
            age = min(age + random.Random(f"vixray-demo-age:{self.seed}:{i}").randint(0, 1), spec["max"])
        views = self._bank["views"]
        view = random.Random(f"vixray-demo-view:{self.seed}:{i}").choices(list(views), weights=list(views.values()))[0]
        return age, sex, view

    def _compose(self, i: int, age: int) -> DemoTruth:
        rng = random.Random(f"vixray-demo-report:{self.seed}:{i}")
        bank, lex = self._bank, self._lexicon
        sides = bank["sides"]
        sentences: list[str] = []
        facts: list[DemoFact] = []
        drawn: dict[str, dict] = {}  # finding id -> choice made (for impressions and the picture)
        mentions: set[str] = set()
        for spec in bank["regions"].values():
            picked = []
            for fid, entry in (spec.get("findings") or {}).items():
                p = min(0.9, float(entry["p"]) * (age / 69.0) ** float(entry.get("age_power", 0)))
                if rng.random() < p:
                    picked.append((fid, entry))
            if not picked:
                if spec.get("normal"):
                    choice = _template(rng.choice(spec["normal"]))
                    sentences.append(choice["text"])
                    for f in choice.get("facts", []):
                        facts.append(
                            DemoFact(
                                "findings",
                                f.get("subject"),
                                f.get("finding"),
                                f["polarity"],
                                laterality=f.get("laterality"),
                                text=choice["text"],
                            )
                        )
                continue
            for fid, entry in picked:
                side = rng.choice(entry.get("sides") or [None])
                n = rng.choice(bank["rib_numbers"]) if "{n}" in str(entry["findings"]) else None
                k = rng.randrange(len(entry["findings"]))
                tpl = _template(entry["findings"][k])
                text = tpl["text"].format(side=sides.get(side, "") if side else "", n=n)
                subject = tpl.get("subject") or entry.get("subject") or lex.findings[fid].anatomy
                position = tuple(tpl.get("position", ())) + ((f"rib:{n}",) if n is not None else ())
                sentences.append(text)
                facts.append(
                    DemoFact(
                        "findings",
                        subject,
                        fid,
                        "present",
                        tpl.get("certainty", "certain"),
                        side,
                        position,
                        tpl.get("severity"),
                        text,
                    )
                )
                mentions.update(entry.get("mentions", ()))
                drawn[fid] = {"entry": entry, "side": side, "n": n, "k": k, "severity": tpl.get("severity")}
        impressions, imp_facts = self._impressions(rng, drawn)
        facts.extend(imp_facts)
        finding_facts = [f for f in facts if f.section == "findings"]
        return DemoTruth(
            index=i,
            patient=self._patient[i],
            facts=tuple(facts),
            present=frozenset(f.finding for f in finding_facts if f.finding and f.polarity == "present"),
            negated=frozenset(f.finding for f in finding_facts if f.finding and f.polarity == "negated"),
            anatomy=frozenset({f.subject for f in finding_facts if f.subject} | mentions),
            impressions=frozenset(f.finding for f in imp_facts if f.finding),
            normal=not drawn,
            findings_text=" ".join(sentences),
            impressions_text=" ".join(impressions),
            image={fid: (d["side"], d["severity"], d["n"]) for fid, d in drawn.items()},
        )

    def _impressions(self, rng: random.Random, drawn: dict[str, dict]) -> tuple[list[str], list[DemoFact]]:
        bank, lex, sides = self._bank, self._lexicon, self._bank["sides"]
        if not drawn:
            text = rng.choice(bank["normal_impressions"])
            return [text], [DemoFact("impressions", None, None, "normal", text=text)]
        order = [f for f in bank["impression_order"] if f in drawn] + [
            f for f in drawn if f not in bank["impression_order"]
        ]
        texts, facts = [], []
        for fid in order:
            d = drawn[fid]
            entry, side, n = d["entry"], d["side"], d["n"]
            options = entry.get("impressions") or []
            if not options:
                continue  # a minor finding: concluded only when nothing else is (below)
            same = len(options) == len(entry["findings"])
            tpl = _template(options[d["k"]] if same else rng.choice(options))
            text = tpl["text"].format(side=sides.get(side, "") if side else "", n=n)
            laterality = tpl.get("laterality", side)
            subject = tpl.get("subject") or entry.get("subject") or lex.findings[fid].anatomy
            position = tuple(tpl.get("position", ())) + ((f"rib:{n}",) if n is not None else ())
            texts.append(text)
            facts.append(
                DemoFact(
                    "impressions",
                    subject,
                    fid,
                    "present",
                    tpl.get("certainty", "certain"),
                    laterality,
                    position,
                    tpl.get("severity", d["severity"]),
                    text,
                )
            )
        if not texts:  # only minor findings: the impression restates them
            for fid in order:
                d = drawn[fid]
                tpl = _template(d["entry"]["findings"][d["k"]])
                text = tpl["text"].format(side=sides.get(d["side"], "") if d["side"] else "", n=d["n"])
                subject = tpl.get("subject") or d["entry"].get("subject") or lex.findings[fid].anatomy
                texts.append(text)
                facts.append(
                    DemoFact(
                        "impressions",
                        subject,
                        fid,
                        "present",
                        "certain",
                        d["side"],
                        tuple(tpl.get("position", ())),
                        d["severity"],
                        text,
                    )
                )
        return texts, facts

    def ground_truth(self, i: int) -> DemoTruth:
        """What record ``i`` asserts (findings present/negated, anatomy mentioned, impressions, per-fact detail)."""
        if not 0 <= i < self.size:
            raise IndexError(i)
        age, _, _ = self._demographics(i)
        return self._compose(i, age)

    def record(self, i: int) -> RawRecord:
        age, sex, view = self._demographics(i)
        truth = self._compose(i, age)
        bank = self._bank
        spec = ImageSpec(
            seed=self.seed,
            index=i,
            findings=tuple(sorted((f, s, sev, n) for f, (s, sev, n) in truth.image.items())),
            view=view,
        )
        text = {"note": bank["note"], "technique": bank["technique"], **bank.get("view_text", {}).get(view, {})}
        fields = {
            schema.AGE: age,
            schema.SEX: sex,
            schema.VIEW: view,
            schema.NOTE: f"{text['note']} {bank['synthetic_marker']}",
            schema.TECHNIQUE: text["technique"],
            schema.FINDINGS: truth.findings_text,
            schema.IMPRESSIONS: truth.impressions_text,
        }
        return RawRecord(
            ref=f"demo:{i}",
            study_key=f"demo-study-{self.seed}-{i:06d}",
            patient_key=f"demo-patient-{self.seed}-{self._patient[i]:06d}",
            fields=fields,
            image=_Render(spec, self.image_size),
        )


@dataclass(frozen=True)
class _Render:
    """A record's image producer: :func:`render_png` of its spec, and :func:`prepare` for the builder's pool."""

    spec: ImageSpec
    size: int

    def __call__(self) -> EncodedImage:
        return render_png(self.spec, self.size)

    def prepare(self) -> None:
        prepare(self.size)


# -- pictures ---------------------------------------------------------------------------------------
# A picture is drawn at the output size in three steps, all vectorised: the view's anatomy (drawn once per process
# and size, cached; the builder draws it before forking its workers: :func:`prepare`), each finding drawn inside
# its own bounding box (only those boxes copied from the anatomy; a finding that depends on the view and side
# alone is drawn once and kept as a layer), then a film mottle (one of a few cached low-frequency fields, four
# flips each) added while shifting the picture horizontally (patient positioning), in one pass.
# The PNG is written with the Up filter and zlib level 1 (run-length strategy): lossless, about 4 ms at 1024².

#: Mottle fields per size (a record picks one and a flip: 32 variants), their amplitude in grey levels, and the
#: coarse grid they are grown from (12 × 12: blotches about a twelfth of the film wide; a finer grid crosses more
#: grey-level contours per row, each a non-zero byte after the Up filter, and makes the PNG encode ≈ 1.5× slower).
_MOTTLES = 8
_MOTTLE_MAX = 15
_MOTTLE_GRID = 12
#: Grey levels a drawing is clamped to before the mottle is added, so the uint8 sum can neither wrap nor clip.
_LOW, _HIGH = _MOTTLE_MAX + 1, 255 - _MOTTLE_MAX - 1
_RIB = 0.16  # brightness a rib adds


def _box(size: int, x0: float, x1: float, y0: float, y1: float) -> tuple[slice, slice, np.ndarray, np.ndarray]:
    """Pixel slices of a box given in image fractions, and its x (row vector) and y (column vector) in fractions."""
    c0, c1 = max(0, int(x0 * size)), min(size, int(np.ceil(x1 * size)) + 1)
    r0, r1 = max(0, int(y0 * size)), min(size, int(np.ceil(y1 * size)) + 1)
    x = (np.arange(c0, c1, dtype=np.float32) / np.float32(size))[None, :]
    y = (np.arange(r0, r1, dtype=np.float32) / np.float32(size))[:, None]
    return slice(r0, r1), slice(c0, c1), x, y


@dataclass
class _Anatomy:
    """One view at one size: the drawn picture (float, 0..1) and the geometry findings are drawn against."""

    view: str
    size: int
    img: np.ndarray
    lungs: dict[str, np.ndarray]  # side -> visible lung field (not behind heart or mediastinum), full size
    boxes: dict[str, tuple[slice, slice]] = field(default_factory=dict)  # side -> the lung field's bounding box
    u8: np.ndarray | None = None  # ``img`` in grey levels, clamped to [_LOW, _HIGH]
    layers: dict[tuple, np.ndarray] = field(default_factory=dict)  # what a seed-independent finding adds: drawn once


def _ellipse(x, y, cx: float, cy: float, ax: float, ay: float) -> np.ndarray:
    return ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 < 1


def _rib_centre(k: int, d, view: str):
    """Vertical position of rib ``k`` at lateral distance ``d`` from the midline (PA/AP: posterior arcs)."""
    if view == "LL":
        return 0.16 + 0.06 * k - 0.25 * (d - 0.5) + 0.3 * (d - 0.65) ** 2
    return 0.14 + 0.058 * k + 0.5 * (d - 0.12) ** 2


def _rib_lines(size: int, view: str, side: str, k: int, broken: bool):
    """(slices, mask) of rib ``k`` on ``side``; ``broken``: a gap and its lateral part offset (a fracture)."""
    if view == "LL":
        rows, cols, x, y = _box(size, 0.45, 0.85, 0.1, 0.95)
        d = x
        inside = (d > 0.5) & (d < 0.82)
        gap, lateral = (d > 0.64) & (d < 0.66), d > 0.65
    else:
        sign = -1 if side == "right" else 1
        lo, hi = (0.5 - 0.38, 0.5 - 0.04) if sign < 0 else (0.5 + 0.04, 0.5 + 0.38)
        rows, cols, x, y = _box(size, lo, hi, 0.1, 0.99)
        d = (x - 0.5) * sign
        inside = (d > 0.05) & (d < 0.37)
        gap, lateral = (d > 0.24) & (d < 0.26), d > 0.25
    centre = _rib_centre(k, d, view)
    if broken:
        centre = centre + 0.012 * lateral
        inside = inside & ~gap
    return rows, cols, inside & (np.abs(y - centre) < 0.007)


@functools.lru_cache(maxsize=8)
def _anatomy(view: str, size: int) -> _Anatomy:
    """The normal picture of ``view`` at ``size`` (drawn once per process; findings are added per record)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / np.float32(size)
    img = np.full((size, size), 0.06, np.float32)
    cx = 0.5
    if view == "LL":  # lateral: anterior on the image's left, spine on the right, the two lungs superimposed
        img[_ellipse(x, y, cx, 0.58, 0.4, 0.56)] = 0.5
        field_ = _ellipse(x, y, cx + 0.02, 0.47, 0.27, 0.34) & (y < 0.74 + 0.05 * ((x - cx) / 0.25) ** 2)
        img[field_] = 0.17 + 0.05 * y[field_]
        lungs = {"right": field_, "left": field_}
        heart = _ellipse(x, y, cx - 0.1, 0.62, 0.15, 0.15) & field_
        img[heart] = np.maximum(img[heart], 0.68)
        img[(np.abs(x - (cx - 0.36)) < 0.012) & (y > 0.2) & (y < 0.8)] = 0.72  # sternum
        for k in range(12):  # vertebral bodies with disc spaces
            top = 0.08 + 0.075 * k
            img[(x > cx + 0.26) & (x < cx + 0.35) & (y > top) & (y < top + 0.06)] = 0.75
        img[_ellipse(x, y, cx - 0.02, 0.27, 0.05, 0.04)] = 0.7  # aortic arch, seen end-on
        behind = heart
    else:  # PA, or AP: patient supine, heart magnified, clavicles high, scapulae over the lung fields
        ap = view == "AP"
        img[_ellipse(x, y, cx, 0.58, 0.45 if ap else 0.43, 0.56)] = 0.5
        lungs = {}
        for side, sign in (("right", -1), ("left", 1)):
            lx = cx + sign * 0.175
            dome = (0.69 if ap else 0.73) + 0.07 * ((x - lx) / 0.15) ** 2
            lungs[side] = _ellipse(x, y, lx, 0.47 if not ap else 0.45, 0.15, 0.33 if not ap else 0.31) & (y < dome)
        both = lungs["left"] | lungs["right"]
        img[both] = 0.16 + 0.06 * y[both]
        if ap:
            for sign in (-1, 1):
                scapula = _ellipse(x, y, cx + sign * 0.33, 0.4, 0.07, 0.2) & both
                img[scapula] += 0.08
        for sign in (-1, 1):  # hila
            img += 0.18 * (((x - cx - sign * 0.09) ** 2 + (y - 0.46) ** 2) < 0.028**2) * both
        mediastinum = (np.abs(x - cx) < 0.05) & (y > 0.08) & (y < 0.98)
        img[mediastinum] = 0.7
        ctr = 0.53 if ap else 0.45  # AP magnifies the heart
        heart = _ellipse(x, y, cx + 0.03, 0.66, ctr * 0.39, 0.13)
        img[heart] = np.maximum(img[heart], 0.72)
        img[((x - cx - 0.065) ** 2 + (y - 0.3) ** 2) < 0.034**2] = 0.74  # aortic knob
        for sign in (-1, 1):  # clavicles: nearly horizontal and higher on AP
            d = (x - cx) * sign
            line = (0.12 - 0.03 * d) if ap else (0.17 - 0.12 * d)
            img[(d > 0.04) & (d < 0.3) & (np.abs(y - line) < 0.01)] += 0.25
        behind = heart | mediastinum
    anatomy = _Anatomy(view, size, img, {side: mask & ~behind for side, mask in lungs.items()})
    for side in ("right", "left") if view != "LL" else ("right",):
        for k in range(1, 11 if view != "LL" else 10):
            rows, cols, mask = _rib_lines(size, view, side, k, broken=False)
            img[rows, cols] += _RIB * mask
    for side, mask in anatomy.lungs.items():
        ys, xs = np.nonzero(mask)
        anatomy.boxes[side] = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    anatomy.u8 = np.clip(img * 255, _LOW, _HIGH).astype(np.uint8)
    return anatomy


@functools.lru_cache(maxsize=4)
def _mottles(size: int) -> np.ndarray:
    """Low-frequency film mottle fields (int8 grey levels), the same in every process: ``[field, flip]`` (flip bit 0
    upside down, bit 1 left to right), each contiguous."""
    rng = np.random.default_rng([size, 24])
    fields = []
    for _ in range(_MOTTLES):
        coarse = rng.normal(0, 0.02, (_MOTTLE_GRID, _MOTTLE_GRID)).astype(np.float32)
        fine = np.asarray(Image.fromarray(coarse, mode="F").resize((size, size), Image.Resampling.BILINEAR))
        one = np.clip(np.rint(fine * 255), -_MOTTLE_MAX, _MOTTLE_MAX).astype(np.int8)
        fields.append(np.stack([one, one[::-1], one[:, ::-1], one[::-1, ::-1]]))
    return np.stack(fields)


class _Canvas:
    """The anatomy being drawn on (in float), and the boxes findings touched: only those go back to grey levels.

    A drawer names its box (:meth:`box`, :meth:`lung_box`, :meth:`touch`) before drawing in it; only then is the
    anatomy copied there (the pixels no earlier box copied), so a picture copies the boxes it draws in, not the
    whole float image."""

    def __init__(self, a: _Anatomy) -> None:
        self.a, self.size, self.lungs, self.view = a, a.size, a.lungs, a.view
        self.img = np.empty_like(a.img)  # valid inside the touched boxes only
        self.copied: np.ndarray | None = None  # which pixels hold the anatomy, once two boxes may overlap
        self.first: tuple[slice, slice] = (slice(0), slice(0))  # the first box touched
        self.cx = 0.5
        self.touched: list[tuple[slice, slice]] = []

    def touch(self, rows: slice, cols: slice) -> None:
        """Note a box about to be drawn in, and copy the anatomy into the part of it no earlier box covered."""
        if not self.touched:
            self.img[rows, cols] = self.a.img[rows, cols]
            self.first = (rows, cols)
        else:
            if self.copied is None:
                self.copied = np.zeros(self.img.shape, bool)
                self.copied[self.first] = True
            np.copyto(self.img[rows, cols], self.a.img[rows, cols], where=~self.copied[rows, cols])
            self.copied[rows, cols] = True
        self.touched.append((rows, cols))

    def lung_box(self, sides: tuple[str, ...]) -> tuple[slice, slice]:
        boxes = [self.a.boxes[s] for s in sides]
        rows = slice(min(b[0].start for b in boxes), max(b[0].stop for b in boxes))
        cols = slice(min(b[1].start for b in boxes), max(b[1].stop for b in boxes))
        self.touch(rows, cols)
        return rows, cols

    def box(self, *bounds: float) -> tuple[slice, slice, np.ndarray, np.ndarray]:
        rows, cols, x, y = _box(self.size, *bounds)
        self.touch(rows, cols)
        return rows, cols, x, y

    def sides_of(self, side: str | None) -> tuple[str, ...]:
        return ("right", "left") if side is None or side == "bilateral" or self.view == "LL" else (side,)

    def grid(self, rows: slice, cols: slice) -> tuple[np.ndarray, np.ndarray]:
        x = (np.arange(cols.start, cols.stop, dtype=np.float32) / self.size)[None, :]
        y = (np.arange(rows.start, rows.stop, dtype=np.float32) / self.size)[:, None]
        return x, y

    def add_in_lungs(self, side: str | None, amount: Any, layer: str | None = None) -> None:
        """Add ``amount`` (a number, or a function of (x, y, shape) in the box) inside the lung fields; ``layer``
        names an amount that depends on the view and side alone, drawn once per process and kept."""
        sides = self.sides_of(side)
        rows, cols = self.lung_box(sides)
        key = (layer, sides)
        added = self.a.layers.get(key) if layer is not None else None
        if added is None:
            mask = np.logical_or.reduce([self.lungs[s][rows, cols] for s in sides])
            if callable(amount):
                amount = amount(*self.grid(rows, cols), mask.shape)
            added = np.where(mask, amount, np.float32(0))
            if layer is not None:
                self.a.layers[key] = added
        self.img[rows, cols] += added

    def lung_x(self, side: str) -> float:
        return self.cx + 0.02 if self.view == "LL" else self.cx + (-0.175 if side == "right" else 0.175)

    def grey(self) -> np.ndarray:
        assert self.a.u8 is not None  # _anatomy sets it
        arr = self.a.u8.copy()
        for rows, cols in self.touched:
            arr[rows, cols] = np.clip(self.img[rows, cols] * 255, _LOW, _HIGH)
        return arr


#: (side, severity, rib number) of a finding, by finding id
_Found = dict[str, tuple[str | None, str | None, int | None]]


def _draw_lung_fields(c: _Canvas, found: _Found, rng: np.random.Generator) -> None:
    if "decreased_translucency" in found:
        c.add_in_lungs(None, 0.09, "decreased_translucency")
    if "ground_glass" in found:
        c.add_in_lungs(found["ground_glass"][0], 0.1, "ground_glass")
    if "infiltrate" in found:
        coarse = rng.random((12, 12)).astype(np.float32)

        def patches(x, y, shape):
            grown = np.asarray(Image.fromarray(coarse, mode="F").resize(shape[::-1], Image.Resampling.BILINEAR))
            return 0.18 * np.clip(grown - 0.35, 0, None)

        c.add_in_lungs(found["infiltrate"][0], patches)
    if "interstitial_lung_disease" in found:
        c.add_in_lungs(
            None,
            lambda x, y, shape: 0.12 * np.clip(np.sin(x * 140) * np.sin(y * 140), 0, None) * (y > 0.45),
            "interstitial_lung_disease",
        )
    if "consolidation" in found:
        side = found["consolidation"][0] or "right"
        lx = c.lung_x(side)
        c.add_in_lungs(
            side,
            lambda x, y, shape: 0.4 * np.exp(-(((x - lx) ** 2 + (y - 0.6) ** 2) / (2 * 0.06**2))),
            f"consolidation:{side}",
        )
    if "calcification" in found:
        side = found["calcification"][0] or "right"
        rows, cols, x, y = c.box(c.lung_x(side) - 0.02, c.lung_x(side) + 0.02, 0.28, 0.32)
        c.img[rows, cols][((x - c.lung_x(side)) ** 2 + (y - 0.3) ** 2) < 0.012**2] = 0.95


def _draw_effusion(c: _Canvas, found: _Found, rng: np.random.Generator) -> None:
    if "pleural_effusion" not in found:
        return
    for side in c.sides_of(found["pleural_effusion"][0]):
        rows, cols = c.lung_box((side,))
        x, y = c.grid(rows, cols)
        if c.view == "LL":  # the posterior costophrenic angle fills first
            fluid = y > 0.7 - 0.1 * np.clip((x - c.cx) / 0.25, 0, 1)
        else:  # meniscus: higher laterally, blunts the angle
            fluid = y > 0.68 - 0.07 * np.clip((np.abs(x - c.cx) - 0.1) / 0.2, 0, 1)
        region = c.img[rows, cols]
        region[fluid & c.lungs[side][rows, cols]] = 0.55


def _draw_mediastinum(c: _Canvas, found: _Found, rng: np.random.Generator) -> None:
    if c.view == "LL":
        return
    if "hilar_enlargement" in found:
        for sign in (-1, 1):
            hx = c.cx + sign * 0.09
            rows, cols, x, y = c.box(hx - 0.05, hx + 0.05, 0.41, 0.51)
            ring = (((x - hx) ** 2 + (y - 0.46) ** 2) < 0.045**2) & (((x - hx) ** 2 + (y - 0.46) ** 2) >= 0.028**2)
            c.img[rows, cols] += 0.18 * (ring & (c.lungs["right"] | c.lungs["left"])[rows, cols])
    if "mediastinal_widening" in found:
        rows, cols, x, y = c.box(c.cx - 0.075, c.cx + 0.075, 0.08, 0.98)
        c.img[rows, cols][(np.abs(x - c.cx) < 0.075) & (y > 0.08) & (y < 0.98)] = 0.7


def _draw_heart(c: _Canvas, found: _Found, rng: np.random.Generator) -> None:
    if "cardiomegaly" not in found:
        return
    ctr = {"mild": 0.55, "moderate": 0.6}.get(found["cardiomegaly"][1] or "", 0.62) + (0.08 if c.view == "AP" else 0)
    if c.view == "LL":
        hx, hy, ax, ay = c.cx - 0.1, 0.62, 0.15 * ctr / 0.45, 0.15
    else:
        hx, hy, ax, ay = c.cx + 0.03, 0.66, ctr * 0.39, 0.13
    rows, cols, x, y = c.box(hx - ax, hx + ax, hy - ay, hy + ay)
    region = c.img[rows, cols]
    heart = _ellipse(x, y, hx, hy, ax, ay)
    region[heart] = np.maximum(region[heart], 0.72)


def _draw_aorta(c: _Canvas, found: _Found, rng: np.random.Generator) -> None:
    if ("aortic_prominence" not in found and "aortic_calcification" not in found) or c.view == "LL":
        return
    r = 0.05 if "aortic_prominence" in found else 0.034
    kx = c.cx + 0.065
    rows, cols, x, y = c.box(kx - r, kx + r, 0.3 - r, 0.3 + r)
    d2 = (x - kx) ** 2 + (y - 0.3) ** 2
    region = c.img[rows, cols]
    region[d2 < r**2] = 0.74
    if "aortic_calcification" in found:
        region[(d2 < r**2) & (d2 > (r - 0.006) ** 2) & (y < 0.3)] = 0.97


def _draw_rib_fracture(c: _Canvas, found: _Found, rng: np.random.Generator) -> None:
    fracture = found.get("rib_fracture")
    if not fracture or fracture[2] is None or not 1 <= fracture[2] <= (9 if c.view == "LL" else 10):
        return
    side = fracture[0] or "right"
    rows, cols, whole = _rib_lines(c.size, c.view, side, fracture[2], broken=False)
    _, _, broken = _rib_lines(c.size, c.view, side, fracture[2], broken=True)
    c.touch(rows, cols)
    c.img[rows, cols] += _RIB * (broken.astype(np.float32) - whole)


#: The findings' drawers, in drawing order (a later one draws over an earlier one; only the infiltrate draws
#: from ``rng``, so the order also fixes the random stream).
_DRAWERS = (_draw_lung_fields, _draw_effusion, _draw_mediastinum, _draw_heart, _draw_aorta, _draw_rib_fracture)


def _findings(a: _Anatomy, found: _Found, rng: np.random.Generator) -> np.ndarray:
    """The anatomy in grey levels with each finding drawn (in float) inside its own bounding box."""
    canvas = _Canvas(a)
    for draw in _DRAWERS:
        draw(canvas, found, rng)
    return canvas.grey()


def render_array(spec: ImageSpec, size: int) -> np.ndarray:
    """A ``size``×``size`` uint8 chest-radiograph-like picture of ``spec`` in its view (PA: patient's right on the
    image's left; AP: magnified heart, high clavicles, scapulae; LL: lateral, spine on the right)."""
    rng = np.random.default_rng([spec.seed, spec.index, 7])
    shift = int(round(rng.normal(0, 0.008) * size))  # positioning; drawn first, so findings never change it
    mottle, flip = rng.integers(_MOTTLES), rng.integers(4)
    found = {f: (side, sev, n) for f, side, sev, n in spec.findings}
    anatomy = _anatomy(spec.view if spec.view in ("AP", "LL") else "PA", size)
    assert anatomy.u8 is not None  # _anatomy sets it
    arr = _findings(anatomy, found, rng) if found else anatomy.u8
    field_ = _mottles(size)[mottle, flip].view(np.uint8)  # int8 added in uint8: exact, the clamp leaves room
    out = np.empty_like(arr)
    cut = size - shift % size  # the picture shifted right by ``shift`` (np.roll), the mottle added on the way
    np.add(arr[:, :cut], field_[:, :cut], out=out[:, size - cut :])
    np.add(arr[:, cut:], field_[:, cut:], out=out[:, : size - cut])
    return out


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png(arr: np.ndarray) -> bytes:
    """8-bit grey PNG of ``arr``: Up filter on every row, zlib level 1 with the run-length strategy (lossless; a
    smooth picture's rows differ little, so this is ≈ 5 ms at 1024² where Pillow's adaptive filters take ≈ 14 ms);
    no metadata chunks."""
    height, width = arr.shape
    raw = np.empty((height, width + 1), np.uint8)
    raw[:, 0] = 2  # Up
    raw[0, 0] = 0  # the first row has nothing above it
    raw[0, 1:] = arr[0]
    np.subtract(arr[1:], arr[:-1], out=raw[1:, 1:])
    packer = zlib.compressobj(PNG_COMPRESS_LEVEL, zlib.DEFLATED, 15, 8, zlib.Z_RLE)  # memLevel 8: fewer hash slides
    data = packer.compress(raw.data) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def prepare(size: int) -> None:
    """Draw what every picture of ``size`` shares (each view's anatomy, the mottle fields) in this process: the
    builder calls it before forking its workers, which then inherit the drawings instead of each drawing them
    again for every window of records."""
    for view in ("PA", "AP", "LL"):
        _anatomy(view, size)
    _mottles(size)


def render_png(spec: ImageSpec, size: int) -> EncodedImage:
    """PNG bytes of :func:`render_array` (no metadata chunks, so identical for identical input), with the drawn
    array as the pixels (``--ocr`` reads them instead of decoding the PNG)."""
    pixels = render_array(spec, size)
    return EncodedImage(encode_png(pixels), "png", pixels=pixels)
