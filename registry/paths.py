"""Where the project's data files live (the repository root of an editable install)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOCAB_DIR = ROOT / "vocab"
SHAPES_DIR = ROOT / "shapes"
DATA_DIR = ROOT / "data"
CATALOGUE_DIR = DATA_DIR / "catalogue"
TEMPLATE_CSV = DATA_DIR / "templates" / "licences.csv"
