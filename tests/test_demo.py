"""The synthetic demo corpus: deterministic, distributed like the paper, reports and pictures that agree."""

from __future__ import annotations

import io
import statistics

import numpy as np
from PIL import Image

from vixray_data import schema
from vixray_data.lexicon import load_lexicon
from vixray_data.sources.demo import DemoSource, ImageSpec, render_array


def _mentions(text: str, finding: str) -> bool:
    lowered = text.lower()
    return any(v in lowered for v in load_lexicon().findings[finding].variants)


def test_same_seed_same_records_and_images_other_seed_differs():
    a, b, c = (
        DemoSource(size=20, seed=1, image_size=32),
        DemoSource(size=20, seed=1, image_size=32),
        DemoSource(size=20, seed=2, image_size=32),
    )
    for i in range(20):
        assert a.record(i).fields == b.record(i).fields
        assert a.record(i).image().data == b.record(i).image().data
    assert [a.record(i).fields for i in range(20)] != [c.record(i).fields for i in range(20)]


def test_demographics_follow_the_paper():
    source = DemoSource(size=3000, seed=175)
    records = [source.record(i).fields for i in range(len(source))]
    ages = [r[schema.AGE] for r in records]
    assert 66 <= statistics.mean(ages) <= 72 and min(ages) >= 18 and max(ages) <= 95
    assert {r[schema.SEX] for r in records} == set(schema.SEX_VALUES)
    assert sum(r[schema.VIEW] == "PA" for r in records) / len(records) > 0.85
    pa = [r for r in records if r[schema.VIEW] == "PA"]
    assert all(r[schema.TECHNIQUE] == "Chụp Xquang tim phổi thẳng" for r in pa)
    assert all(
        r[schema.NOTE].startswith("Chụp Xquang ngực thẳng") and "synthetic" in r[schema.NOTE]
        for r in records
        if r[schema.VIEW] != "LL"
    )


def test_lateral_and_ap_studies_have_their_own_note_technique_and_picture():
    source = DemoSource(size=400, seed=175, image_size=96)
    by_view = {}
    for i in range(len(source)):
        by_view.setdefault(source.record(i).fields[schema.VIEW], i)
    assert set(by_view) == {"PA", "AP", "LL"}
    fields = {view: source.record(i).fields for view, i in by_view.items()}
    assert "nghiêng" in fields["LL"][schema.NOTE] and "nghiêng" in fields["LL"][schema.TECHNIQUE]
    assert "AP" in fields["AP"][schema.TECHNIQUE] and "nghiêng" not in fields["AP"][schema.NOTE]
    assert len({fields[v][schema.TECHNIQUE] for v in fields}) == 3
    # the same findings drawn in each view: only the view changes the picture, and it changes it a lot
    pictures = {
        view: render_array(ImageSpec(seed=1, index=0, findings=(), view=view), 96).astype(np.int16)
        for view in ("PA", "AP", "LL")
    }
    differs = lambda a, b: (np.abs(pictures[a] - pictures[b]) > 20).mean()  # noqa: E731 - share of pixels
    assert differs("AP", "PA") > 0.05 and differs("LL", "PA") > 0.2 and differs("LL", "AP") > 0.2


def test_some_patients_have_two_studies_with_the_same_sex():
    source = DemoSource(size=300, seed=175)
    keys = [source.record(i).patient_key for i in range(300)]
    repeats = [i for i in range(1, 300) if keys[i] == keys[i - 1]]
    assert 10 < len(repeats) < 100
    for i in repeats:
        assert source.record(i).fields[schema.SEX] == source.record(i - 1).fields[schema.SEX]


def test_ground_truth_matches_the_report_text():
    source = DemoSource(size=400, seed=175)
    seen_present, normals = set(), 0
    for i in range(len(source)):
        fields, truth = source.record(i).fields, source.ground_truth(i)
        assert truth.findings_text == fields[schema.FINDINGS] and truth.impressions_text == fields[schema.IMPRESSIONS]
        for finding in truth.present:
            assert _mentions(fields[schema.FINDINGS], finding), (i, finding)
        for finding in truth.impressions:
            assert finding in truth.present  # impressions follow from the findings
        assert truth.anatomy <= set(load_lexicon().anatomy)
        assert "heart" in truth.anatomy and truth.anatomy & {"lung", "lung_parenchyma"}  # every report covers both
        normals += truth.normal
        seen_present |= truth.present
        if truth.normal:
            assert fields[schema.IMPRESSIONS] in load_lexicon().raw["demo"]["normal_impressions"]
            assert "cardiomegaly" in truth.negated
    assert 0.15 < normals / len(source) < 0.5
    wanted = {
        "rib_fracture",
        "decreased_translucency",
        "infiltrate",
        "ground_glass",
        "consolidation",
        "hilar_enlargement",
        "pleural_effusion",
        "cardiomegaly",
        "aortic_prominence",
        "aortic_calcification",
        "interstitial_lung_disease",
        "mediastinal_widening",
    }
    assert wanted <= seen_present


def test_rib_fractures_carry_number_and_side_as_in_the_paper():
    source = DemoSource(size=600, seed=175)
    fractures = [
        f
        for i in range(600)
        for f in source.ground_truth(i).facts
        if f.finding == "rib_fracture" and f.section == "findings"
    ]
    assert fractures
    for fact in fractures:
        rib = next(p for p in fact.position if p.startswith("rib:"))
        side = {"left": "trái", "right": "phải"}[fact.laterality]
        assert f"xương sườn {rib[4:]} bên {side}" in fact.text


def test_mild_cardiomegaly_is_written_as_in_the_paper():
    source = DemoSource(size=600, seed=175)
    mild = [
        f
        for i in range(600)
        for f in source.ground_truth(i).facts
        if f.finding == "cardiomegaly" and f.severity == "mild" and f.section == "findings"
    ]
    assert mild and all(f.text == "Bóng mờ tim to nhẹ." for f in mild)


def test_image_size_is_configurable_and_the_png_is_grayscale():
    record = DemoSource(size=1, seed=3, image_size=48).record(0)
    image = Image.open(io.BytesIO(record.image().data))
    assert (image.format, image.mode, image.size) == ("PNG", "L", (48, 48))


def test_a_picture_is_the_same_whether_its_shared_parts_were_drawn_before_or_for_it():
    from vixray_data.sources import demo

    spec = ImageSpec(
        seed=4, index=9, findings=(("consolidation", "left", None, None), ("ground_glass", None, None, None))
    )
    demo._anatomy.cache_clear(), demo._mottles.cache_clear()
    first = demo.render_png(spec, 40).data  # anatomy, mottle and layers drawn for this picture
    other = ImageSpec(seed=4, index=10, findings=(("pleural_effusion", "right", None, None),))
    demo.render_png(other, 40)
    demo.prepare(40)
    assert demo.render_png(spec, 40).data == first  # from the kept drawings


# -- pictures follow the report (same noise, one finding toggled) ---------------------------------------
SIZE = 128


def _draw(*findings) -> np.ndarray:
    return render_array(ImageSpec(seed=1, index=0, findings=tuple(findings)), SIZE).astype(np.int16)


def _region(img: np.ndarray, x0: float, x1: float, y0: float, y1: float) -> float:
    return float(img[int(y0 * SIZE) : int(y1 * SIZE), int(x0 * SIZE) : int(x1 * SIZE)].mean())


def test_cardiomegaly_draws_a_wider_heart():
    normal, big = _draw(), _draw(("cardiomegaly", None, None, None))
    bright = lambda img: int((img[int(0.66 * SIZE)] > 170).sum())  # noqa: E731 - row through the heart
    assert bright(big) > bright(normal) + SIZE * 0.05


def test_consolidation_draws_an_opacity_in_the_named_lung():
    normal, right = _draw(), _draw(("consolidation", "right", None, None))
    # PA view: the patient's right lung is on the image's left
    assert _region(right, 0.25, 0.40, 0.55, 0.65) > _region(normal, 0.25, 0.40, 0.55, 0.65) + 20
    assert abs(_region(right, 0.6, 0.75, 0.55, 0.65) - _region(normal, 0.6, 0.75, 0.55, 0.65)) < 1


def test_effusion_blunts_the_costophrenic_angle_on_its_side():
    normal, left = _draw(), _draw(("pleural_effusion", "left", "mild", None))
    assert _region(left, 0.75, 0.82, 0.66, 0.74) > _region(normal, 0.75, 0.82, 0.66, 0.74) + 30


def test_rib_fracture_breaks_the_rib_line_on_its_side_only():
    normal, broken = _draw(), _draw(("rib_fracture", "left", None, 5))
    changed = np.argwhere(np.abs(broken - normal) > 20)
    assert len(changed) > 0
    assert (changed[:, 1] > SIZE // 2).all()  # patient's left = image right
