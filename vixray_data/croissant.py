"""Croissant (JSON-LD) metadata for a build: ``croissant.json`` beside the card.

Core fields (name, description, licence, citation, one FileObject per shard with its sha256, a FileSet and
a RecordSet whose fields come from :mod:`vixray_data.schema`) and the Responsible-AI fields (data
collection, biases, limitations, personal and sensitive information, use cases), so dataset search engines
and the ``mlcroissant`` loader can read the release without parsing the card.
"""

from __future__ import annotations

import json
from typing import Any

from . import schema
from .manifest import Manifest

CROISSANT = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
PAPER_URL = "https://arxiv.org/abs/2603.15513"

_DTYPES = {"string": "sc:Text", "int32": "sc:Integer", "int64": "sc:Integer", "float32": "sc:Float"}

_RAI = {
    "rai:dataCollection": (
        "Chest radiographs and the findings and impressions written by certified radiologists during routine "
        "reporting at Military Hospital 175, Ho Chi Minh City, Vietnam; exported from the hospital's imaging "
        "and reporting systems under institutional review board approval."
    ),
    "rai:dataCollectionType": "Secondary use of routine clinical records",
    "rai:dataPreprocessingProtocol": (
        "Allow-list de-identification: only id, image, age, sex, view, note, technique, findings and impressions "
        "are kept; ids are HMAC-SHA256 pseudonyms; ages above 89 are written as 90; free text is scrubbed of "
        "Vietnamese PHI patterns and of the record's own identifying values; a leak scan of every output file "
        "for every identifying value of the inputs must be clean. DICOM is converted to PNG/JPEG without metadata."
    ),
    "rai:dataBiases": (
        "One military hospital in southern Vietnam (its case mix, equipment and reporting style); an older "
        "population (mean age about 69); sex and other demographics follow the hospital's patients and are not "
        "balanced; many near-identical normal reports."
    ),
    "rai:dataLimitations": (
        "No lesion localisation (no boxes, masks or structured labels); small size (5,400 studies in the "
        "release); ages capped at 90; reports reflect one department's conventions. Not for clinical use."
    ),
    "rai:personalSensitiveInformation": (
        "Health data of real patients, pseudonymous rather than anonymous: age (capped at 90), sex and the "
        "radiograph are kept; names, record numbers, dates, addresses and other identifiers are removed. "
        "Re-identification attempts are forbidden by the data-use agreement."
    ),
    "rai:dataUseCases": (
        "Research on Vietnamese radiology report generation and medical vision-language models. Out of scope: "
        "clinical diagnosis or patient care, re-identification, commercial use."
    ),
    "rai:dataSocialImpact": (
        "Enables Vietnamese-language medical AI research; misuse as a diagnostic tool could harm patients."
    ),
}


def _field(name: str, dtype: str) -> dict[str, Any]:
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"default/{name}",
        "name": name,
        "source": {"fileSet": {"@id": "parquet-files"}, "extract": {"column": name}},
    }
    if name == schema.IMAGE:
        field["dataType"] = "sc:ImageObject"
        field["source"]["transform"] = {"jsonPath": "bytes"}
    else:
        field["dataType"] = _DTYPES.get(dtype, "sc:Text")
    return field


def croissant(manifest: Manifest, *, name: str = "ViX-Ray", url: str | None = None) -> dict[str, Any]:
    """The Croissant JSON-LD document for a build described by ``manifest``."""
    return _document(manifest, name=name, url=url, context=CONTEXT)


def _document(manifest: Manifest, *, name: str, url: str | None, context: dict) -> dict[str, Any]:
    description = (
        "Vietnamese chest radiographs with radiologist-written findings and impressions "
        f"(Military Hospital 175, Ho Chi Minh City); this build: {manifest.num_examples} examples in "
        + ", ".join(f"{s} {i.num_examples}" for s, i in manifest.splits.items())
        + "."
    )
    if manifest.synthetic:
        description = "SYNTHETIC DEMO CORPUS, not patient data. " + description
    shards = manifest.shards()
    distribution: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": s.path,
            "name": s.path,
            "contentUrl": s.path,
            "contentSize": f"{s.bytes} B",
            "encodingFormat": "application/x-parquet",
            "sha256": s.sha256,
        }
        for s in shards
    ]
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": "parquet-files",
            "name": "parquet-files",
            "containedIn": [{"@id": s.path} for s in shards],
            "encodingFormat": "application/x-parquet",
            "includes": "data/*.parquet",
        }
    )
    return {
        "@context": context,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": name,
        "description": description,
        "license": LICENSE_URL,
        "url": url or PAPER_URL,
        "citeAs": (
            "Nguyen et al. ViX-Ray: A Vietnamese Chest X-Ray Dataset for Vision-Language Models. arXiv 2603.15513"
        ),
        "inLanguage": "vi",
        "keywords": ["medical", "chest-x-ray", "radiology-report-generation", "vietnamese"],
        "version": manifest.builder.version,
        "isAccessibleForFree": False,
        "distribution": distribution,
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "default",
                "name": "default",
                "field": [_field(n, d) for n, d in schema.DTYPES.items()],
            }
        ],
        **_RAI,
    }


def croissant_text(manifest: Manifest, **kwargs: Any) -> str:
    """croissant.json text (fixed key order, so identical builds give identical files)."""
    return json.dumps(croissant(manifest, **kwargs), ensure_ascii=False, indent=2) + "\n"


#: The Croissant 1.0 JSON-LD context, as ``mlcroissant``'s ``make_context()`` returns it (a test checks they agree);
#: written out so a build needs neither mlcroissant nor its rdflib import.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "equivalentProperty": "cr:equivalentProperty",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
