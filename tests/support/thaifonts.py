"""Whether Thai text is really drawn in a Chromium page, and with a font that covers Thai (not a
test module: the licence page's and the query page's browser tests use it)."""

from __future__ import annotations

import io
import shutil
import subprocess


def thai_fonts() -> set[str] | None:
    """The font families fontconfig says cover Thai (None without fc-list)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    out = subprocess.run([fc_list, ":lang=th", "family"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def fonts_drawing(page, selector: str) -> dict[str, int]:
    """The platform fonts Chromium really used for the text of `selector` → glyphs drawn."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def has_ink(png: bytes) -> bool:
    """More than one colour: something is drawn (not a blank or single-colour image)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    low, high = image.getextrema()
    return high - low > 100


def assert_thai_drawn(page, selector: str, text: str, covering: set[str] | None):
    element = page.locator(selector)
    assert element.is_visible()
    assert text in element.inner_text()
    box = element.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    assert has_ink(element.screenshot()), f"{selector} is blank"
    used = fonts_drawing(page, selector)
    assert sum(used.values()) > 0, f"no glyphs drawn for {selector}"
    if covering is not None:
        assert set(used) & covering, f"{selector} drawn with {used}, none of them covers Thai"
