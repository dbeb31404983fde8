"""Where the shared conformance vectors are: `../shared/vectors/` beside the project, read in
place and never copied into it. Outside CI a missing folder skips the test with the reason;
under CI=true it fails, since CI must have them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


def vectors_dir(name: str = "") -> Path:
    """`../shared/vectors/<name>`, or skip (fail under CI) when it is absent."""
    folder = VECTORS / name if name else VECTORS
    if not folder.is_dir():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{folder} is missing: CI must have the shared conformance vectors")
        pytest.skip(f"the shared conformance vectors are not beside the project ({folder})")
    return folder
