"""Screenshots compared with kept baselines, with a tolerance (not a test module).

Baselines are PNGs under tests/screenshots/, drawn by Debian's Chromium with the fonts .ci/run
installs (fonts-thai-tlwg). Two pictures match when at most MAX_DIFFERENT of their pixels
differ by more than CHANNEL_THRESHOLD in some channel (antialiasing may shift an edge; a moved
block, a new line or a changed colour does not pass). A mismatch writes the actual picture and
a diff (differing pixels red over the faded baseline) under the test's tmp_path and says where.

`UPDATE_SCREENSHOTS=1 pytest tests/test_site_screenshots.py` (re)writes the baselines instead.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

BASELINES = Path(__file__).resolve().parents[1] / "screenshots"
CHANNEL_THRESHOLD = 40          # of 255, in any of R, G, B
MAX_DIFFERENT = 0.002           # of the pixels (0.2 %)


def updating() -> bool:
    return os.environ.get("UPDATE_SCREENSHOTS", "").lower() not in ("", "0", "false", "no")


def differing_mask(expected: Image.Image, actual: Image.Image) -> Image.Image:
    """A 1-bit mask of the pixels whose largest channel difference exceeds the threshold."""
    channels = ImageChops.difference(expected, actual).split()
    largest = channels[0]
    for channel in channels[1:]:
        largest = ImageChops.lighter(largest, channel)
    return largest.point(lambda value: 255 if value > CHANNEL_THRESHOLD else 0, mode="1")


def diff_picture(expected: Image.Image, mask: Image.Image) -> Image.Image:
    faded = Image.blend(expected, Image.new("RGB", expected.size, "white"), 0.7)
    faded.paste(Image.new("RGB", expected.size, (220, 0, 0)), mask=mask)
    return faded


def assert_matches_baseline(png: bytes, name: str, tmp_path: Path) -> None:
    """`png` matches tests/screenshots/{name}.png (or becomes it, when updating)."""
    baseline = BASELINES / f"{name}.png"
    actual = Image.open(io.BytesIO(png)).convert("RGB")
    if updating():
        BASELINES.mkdir(exist_ok=True)
        actual.save(baseline, optimize=True)
        return
    if not baseline.exists():
        pytest.fail(f"no baseline {baseline}: make it with UPDATE_SCREENSHOTS=1 "
                    "pytest tests/test_site_screenshots.py, look at it, and keep it")
    expected = Image.open(baseline).convert("RGB")
    actual_path = tmp_path / f"{name}-actual.png"
    if expected.size != actual.size:
        actual.save(actual_path)
        pytest.fail(f"{name}: {actual.size[0]}x{actual.size[1]} px, the baseline "
                    f"{expected.size[0]}x{expected.size[1]}; actual {actual_path}, "
                    f"baseline {baseline}")
    mask = differing_mask(expected, actual)
    different = mask.histogram()[255]
    share = different / (actual.size[0] * actual.size[1])
    if share > MAX_DIFFERENT:
        actual.save(actual_path)
        diff_path = tmp_path / f"{name}-diff.png"
        diff_picture(expected, mask).save(diff_path)
        pytest.fail(f"{name}: {share:.2%} of the pixels differ (at most {MAX_DIFFERENT:.2%}); "
                    f"actual {actual_path}, diff {diff_path}, baseline {baseline}")
