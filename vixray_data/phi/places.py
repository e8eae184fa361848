"""Places too large to identify anyone (``places.yaml``): provinces, centrally-run cities, countries, regions.

A district, ward, town, village, street or facility inside one of them is PHI; the province or country alone is not.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from ..lexicon import read_yaml
from .spans import fold_chars

PLACES_PATH = Path(__file__).with_name("places.yaml")
_SEPARATORS = re.compile(r"[\s.\-–,]+")


def place_key(text: str) -> str:
    """Folded, separators collapsed: ``"TP. Hồ Chí Minh"`` -> ``"tp ho chi minh"``."""
    return _SEPARATORS.sub(" ", fold_chars(text)).strip()


#: The lists of ``places.yaml`` that name coarse places (the others are prefixes).
_COARSE_LISTS = ("cities", "provinces", "regions_vn", "countries", "regions_abroad")


@functools.lru_cache(maxsize=1)
def _raw() -> dict:
    return read_yaml(PLACES_PATH)


@functools.lru_cache(maxsize=1)
def _places() -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """(every coarse place, the centrally-run cities, the province prefixes longest first)."""
    raw = _raw()
    names = {place_key(str(p)) for key in _COARSE_LISTS for p in raw[key]}
    cities = {place_key(str(p)) for p in raw["cities"]}
    prefixes = tuple(sorted((place_key(str(p)) + " " for p in raw["province_prefixes"]), key=len, reverse=True))
    return frozenset(names), frozenset(cities), prefixes


@functools.lru_cache(maxsize=1)
def coarse_places_written() -> frozenset[str]:
    """Every listed coarse place in lower case with its diacritics: ``"lão"`` (old) is not ``"lào"`` (Laos)."""
    return frozenset(str(p).lower() for key in _COARSE_LISTS for p in _raw()[key])


def coarse_places() -> frozenset[str]:
    """Every listed province, centrally-run city, country and region, as :func:`place_key` forms."""
    return _places()[0]


@functools.lru_cache(maxsize=8192)  # the recognizers ask about the same few runs of capitals again and again
def is_coarse_place(text: str) -> bool:
    """``text`` names a province, centrally-run city, country or larger region, and nothing smaller.

    ``"tỉnh Quảng Nam"``, ``"TP.HCM"``, ``"Hàn Quốc"``, ``"châu Âu"`` are; ``"quận Ninh Kiều"``, ``"thành phố
    Sa Đéc"``, ``"Bệnh viện Cần Thơ"`` are not. A ``thành phố``/``TP`` prefix makes a province's name its capital
    city, which is smaller than the province: ``"TP Thái Bình"`` is not coarse, ``"TP Đà Nẵng"`` is.
    """
    names, cities, prefixes = _places()
    key = place_key(text)
    if key in names:
        return True
    for prefix in prefixes:
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            if prefix.strip() == "tinh":
                return rest in names
            return rest in cities
    return False
