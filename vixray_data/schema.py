"""The ViX-Ray schema, declared once.

Every module that needs a field name, a type or a split name imports it from here:
the builder casts to :data:`FEATURES`, the loader normalises onto it, the card prints it.
"""

from __future__ import annotations

from datasets import Features, Image, Value

ID = "id"
IMAGE = "image"
AGE = "age"
SEX = "sex"
VIEW = "view"
NOTE = "note"
TECHNIQUE = "technique"
FINDINGS = "findings"
IMPRESSIONS = "impressions"

#: Column order of every shard.
FIELDS: tuple[str, ...] = (ID, IMAGE, AGE, SEX, VIEW, NOTE, TECHNIQUE, FINDINGS, IMPRESSIONS)
#: Free-text fields (scrubbed for PHI, counted by the statistics).
TEXT_FIELDS: tuple[str, ...] = (NOTE, TECHNIQUE, FINDINGS, IMPRESSIONS)
#: Report fields a record cannot be written without.
REQUIRED_TEXT: tuple[str, ...] = (FINDINGS, IMPRESSIONS)

FEATURES = Features(
    {
        ID: Value("string"),
        IMAGE: Image(),
        AGE: Value("int32"),
        SEX: Value("string"),
        VIEW: Value("string"),
        NOTE: Value("string"),
        TECHNIQUE: Value("string"),
        FINDINGS: Value("string"),
        IMPRESSIONS: Value("string"),
    }
)

TRAIN, VALIDATION, TEST = "train", "validation", "test"
SPLITS: tuple[str, ...] = (TRAIN, VALIDATION, TEST)
#: Default 8:1:1 split ratio (paper §3.3).
SPLIT_RATIOS: tuple[float, ...] = (0.8, 0.1, 0.1)

#: The hospital's Vietnamese sex values, and what the schema accepts.
MALE, FEMALE = "Nam", "Nữ"
SEX_VALUES: tuple[str, ...] = (MALE, FEMALE)
#: Views seen in chest radiography; others are rejected by the builder.
VIEW_VALUES: tuple[str, ...] = ("PA", "AP", "LL", "LAT", "RL", "LLD", "RLD")

AGE_MIN, AGE_MAX = 0, 120
#: HIPAA safe-harbour: ages above 89 are written as 90.
AGE_CAP = 90

#: Hub viewer limits: row groups under ~100 MB, shards under 500 MB.
DEFAULT_ROW_GROUP_BYTES = 100 * 1024 * 1024
DEFAULT_SHARD_BYTES = 500 * 1024 * 1024

#: The published release on the hub (columns differ; see ``vixray_data.load``).
HUB_ID = "MilitaryHospital175/VNMedical_bv175"
#: Where ``vixray build`` writes the demo corpus, so ``load_dataset("vixray")`` finds it.
DEFAULT_OUT = "vixray"

SHARD_PATTERN = "data/{split}-{index:05d}-of-{count:05d}.parquet"
MANIFEST = "manifest.json"
REJECTS = "rejects.jsonl"
CARD = "README.md"
