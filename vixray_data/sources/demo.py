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
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from .. import schema
from ..config import BuildConfig
from ..lexicon import load_lexicon
from ..records import EncodedImage, RawRecord

#: PNG zlib level for rendered images: lossless and fast (the issue asks for <= 3).
PNG_COMPRESS_LEVEL = 3
#: Images are drawn at most this wide, then resized: the drawing is smooth, so nothing is lost.
_DRAW_MAX = 512


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


def _section() -> dict:
    return load_lexicon().raw["demo"]


def _template(value: Any) -> dict:
    return {"text": value} if isinstance(value, str) else dict(value)


class DemoSource:
    """Iterable of ``RawRecord``: ``size`` synthetic studies, deterministic by ``seed``."""

    is_demo = True

    def __init__(self, config: BuildConfig | None = None, *, size: int | None = None, seed: int | None = None,
                 image_size: int | None = None) -> None:
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
        return {"kind": "demo", "synthetic": True, "records": self.size, "seed": self.seed,
                "image_size": self.image_size, "lexicon_version": self._lexicon.version,
                "note": "synthetic demo corpus generated by vixray_data.sources.demo; not patient data"}

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
                        facts.append(DemoFact("findings", f.get("subject"), f.get("finding"), f["polarity"],
                                              laterality=f.get("laterality"), text=choice["text"]))
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
                facts.append(DemoFact("findings", subject, fid, "present", tpl.get("certainty", "certain"),
                                      side, position, tpl.get("severity"), text))
                mentions.update(entry.get("mentions", ()))
                drawn[fid] = {"entry": entry, "side": side, "n": n, "k": k, "severity": tpl.get("severity")}
        impressions, imp_facts = self._impressions(rng, drawn)
        facts.extend(imp_facts)
        finding_facts = [f for f in facts if f.section == "findings"]
        return DemoTruth(
            index=i, patient=self._patient[i], facts=tuple(facts),
            present=frozenset(f.finding for f in finding_facts if f.polarity == "present"),
            negated=frozenset(f.finding for f in finding_facts if f.polarity == "negated"),
            anatomy=frozenset({f.subject for f in finding_facts if f.subject} | mentions),
            impressions=frozenset(f.finding for f in imp_facts if f.finding),
            normal=not drawn,
            findings_text=" ".join(sentences), impressions_text=" ".join(impressions),
            image={fid: (d["side"], d["severity"], d["n"]) for fid, d in drawn.items()},
        )

    def _impressions(self, rng: random.Random, drawn: dict[str, dict]) -> tuple[list[str], list[DemoFact]]:
        bank, lex, sides = self._bank, self._lexicon, self._bank["sides"]
        if not drawn:
            text = rng.choice(bank["normal_impressions"])
            return [text], [DemoFact("impressions", None, None, "normal", text=text)]
        order = [f for f in bank["impression_order"] if f in drawn] + [f for f in drawn if
                                                                       f not in bank["impression_order"]]
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
            facts.append(DemoFact("impressions", subject, fid, "present", tpl.get("certainty", "certain"),
                                  laterality, position, tpl.get("severity", d["severity"]), text))
        if not texts:  # only minor findings: the impression restates them
            for fid in order:
                d = drawn[fid]
                tpl = _template(d["entry"]["findings"][d["k"]])
                text = tpl["text"].format(side=sides.get(d["side"], "") if d["side"] else "", n=d["n"])
                subject = tpl.get("subject") or d["entry"].get("subject") or lex.findings[fid].anatomy
                texts.append(text)
                facts.append(DemoFact("impressions", subject, fid, "present", "certain", d["side"],
                                      tuple(tpl.get("position", ())), d["severity"], text))
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
        spec = ImageSpec(seed=self.seed, index=i,
                         findings=tuple(sorted((f, s, sev, n) for f, (s, sev, n) in truth.image.items())))
        fields = {
            schema.AGE: age, schema.SEX: sex, schema.VIEW: view,
            schema.NOTE: f"{bank['note']} {bank['synthetic_marker']}",
            schema.TECHNIQUE: bank["technique"],
            schema.FINDINGS: truth.findings_text, schema.IMPRESSIONS: truth.impressions_text,
        }
        return RawRecord(ref=f"demo:{i}", study_key=f"demo-study-{self.seed}-{i:06d}",
                         patient_key=f"demo-patient-{self.seed}-{self._patient[i]:06d}", fields=fields,
                         image=functools.partial(render_png, spec, self.image_size))


# -- pictures ---------------------------------------------------------------------------------------
def render_array(spec: ImageSpec, size: int) -> np.ndarray:
    """A ``size``×``size`` uint8 chest-radiograph-like picture of ``spec`` (PA: patient's right on the left)."""
    r = min(size, _DRAW_MAX)
    rng = np.random.default_rng([spec.seed, spec.index, 7])
    y, x = np.mgrid[0:r, 0:r].astype(np.float32) / np.float32(r)
    found = {f: (side, sev, n) for f, side, sev, n in spec.findings}
    cx = 0.5 + rng.normal(0, 0.008)
    img = np.full((r, r), 0.06, np.float32)
    img[((x - cx) / 0.43) ** 2 + ((y - 0.58) / 0.56) ** 2 < 1] = 0.5  # soft tissue of the torso
    # lungs (image left = patient right), cut by the diaphragm domes
    lung = {}
    for side, sign in (("right", -1), ("left", 1)):
        lx = cx + sign * 0.175
        dome = 0.73 + 0.07 * ((x - lx) / 0.15) ** 2
        lung[side] = (((x - lx) / 0.15) ** 2 + ((y - 0.47) / 0.33) ** 2 < 1) & (y < dome)
    both = lung["left"] | lung["right"]
    img[both] = 0.16 + 0.06 * y[both]
    if "decreased_translucency" in found:
        img[both] += 0.09

    def sided(side: str | None) -> np.ndarray:
        return both if side in (None, "bilateral") else lung[side]

    def lungside_x(side: str) -> float:
        return cx + (-0.175 if side == "right" else 0.175)

    if "ground_glass" in found:
        img[sided(found["ground_glass"][0])] += 0.1
    if "infiltrate" in found:
        coarse = rng.random((12, 12)).astype(np.float32)
        patches = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8)).resize((r, r), Image.BILINEAR))
        mask = sided(found["infiltrate"][0])
        img[mask] += 0.18 * np.clip(patches[mask] / 255.0 - 0.35, 0, None)
    if "interstitial_lung_disease" in found:
        net = np.clip(np.sin(x * 140) * np.sin(y * 140), 0, None) * (y > 0.45)
        img[both] += 0.12 * net[both]
    if "consolidation" in found:
        side = found["consolidation"][0] or "right"
        blob = np.exp(-(((x - lungside_x(side)) ** 2 + (y - 0.6) ** 2) / (2 * 0.06**2)))
        img[lung[side]] += 0.4 * blob[lung[side]]
    if "calcification" in found:
        side = found["calcification"][0] or "right"
        dot = ((x - lungside_x(side)) ** 2 + (y - 0.3) ** 2) < 0.012**2
        img[dot] = 0.95
    if "pleural_effusion" in found:
        sides = ("left", "right") if found["pleural_effusion"][0] in (None, "bilateral") else (
            found["pleural_effusion"][0],)
        for side in sides:
            lateral = np.clip((np.abs(x - cx) - 0.1) / 0.2, 0, 1)
            fluid = lung[side] & (y > 0.68 - 0.07 * lateral)  # meniscus: higher laterally, blunts the angle
            img[fluid] = 0.55
    # hila
    hilum_r = 0.045 if "hilar_enlargement" in found else 0.028
    for sign in (-1, 1):
        img += 0.18 * (((x - cx - sign * 0.09) ** 2 + (y - 0.46) ** 2) < hilum_r**2) * both
    # mediastinum and spine
    half = 0.075 if "mediastinal_widening" in found else 0.05
    img[(np.abs(x - cx) < half) & (y > 0.08) & (y < 0.98)] = 0.7
    # heart: cardiothoracic ratio ~0.45, larger with cardiomegaly
    ctr = 0.45
    if "cardiomegaly" in found:
        ctr = {"mild": 0.55, "moderate": 0.6}.get(found["cardiomegaly"][1], 0.62)
    heart = ((x - cx - 0.03) / (ctr * 0.39)) ** 2 + ((y - 0.66) / 0.13) ** 2 < 1
    img[heart] = np.maximum(img[heart], 0.72)
    # aortic knob
    knob_r = 0.05 if "aortic_prominence" in found else 0.034
    d2 = (x - cx - 0.065) ** 2 + (y - 0.3) ** 2
    img[d2 < knob_r**2] = 0.74
    if "aortic_calcification" in found:
        img[(d2 < knob_r**2) & (d2 > (knob_r - 0.006) ** 2) & (y < 0.3)] = 0.97
    # ribs: posterior arcs, ten per side; a fracture breaks one and offsets its lateral part
    fracture = found.get("rib_fracture")
    for side, sign in (("right", -1), ("left", 1)):
        d = (x - cx) * sign
        inside = (d > 0.05) & (d < 0.37)
        for k in range(1, 11):
            centre = 0.14 + 0.058 * k + 0.5 * (d - 0.12) ** 2
            if fracture and fracture[0] == side and fracture[2] == k:
                centre = centre + 0.012 * (d > 0.25)
                inside_k = inside & ((d < 0.24) | (d > 0.26))
            else:
                inside_k = inside
            img[inside_k & (np.abs(y - centre) < 0.007)] += 0.16
    # clavicles
    for sign in (-1, 1):
        d = (x - cx) * sign
        img[(d > 0.04) & (d < 0.3) & (np.abs(y - (0.17 - 0.12 * d)) < 0.01)] += 0.25
    # film texture: low-frequency mottle (per-pixel grain would triple PNG size and encoding time)
    mottle = rng.normal(0, 0.02, (24, 24)).astype(np.float32)
    img += np.asarray(Image.fromarray(mottle, mode="F").resize((r, r), Image.BILINEAR))
    arr = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    if r != size:
        arr = np.asarray(Image.fromarray(arr).resize((size, size), Image.BILINEAR))
    return arr


def render_png(spec: ImageSpec, size: int) -> EncodedImage:
    """PNG bytes of :func:`render_array` (no metadata chunks, so identical for identical input)."""
    buffer = io.BytesIO()
    Image.fromarray(render_array(spec, size), mode="L").save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return EncodedImage(buffer.getvalue(), "png")
