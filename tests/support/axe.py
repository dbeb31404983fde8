"""axe-core (npm, pinned in package.json; `npm ci --no-audit --no-fund` puts it in node_modules)
run in a page, and its violations told readably (not a test module).

Pages carry a CSP that refuses every script, axe's too: the axe run uses a browser context made
with `bypass_csp=True` (only it; the other browser tests keep the CSP and watch for violations).
Without node_modules/axe-core the tests that need it fail in CI and skip elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import in_ci

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")            # the impacts a page may not have
NODES_SHOWN = 5                               # per violation, in a failure's message


def axe_source() -> str:
    """axe.min.js's text; fails (CI) or skips the test when npm has not installed it."""
    if not AXE_SCRIPT.exists():
        message = (f"{AXE_SCRIPT} is missing: run `npm ci --no-audit --no-fund` at the "
                   "repository root (package.json pins axe-core)")
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_context(chromium, source: str, *, locale: str, width: int = 1280, height: int = 900):
    """A context whose every document gets axe, the page's CSP set aside (for axe only)."""
    context = chromium.new_context(bypass_csp=True, locale=locale,
                                   viewport={"width": width, "height": height})
    context.add_init_script(script=source)
    return context


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now, every rule axe runs by default."""
    return page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ['violations']});
        return results.violations;
    }""")


def blocking(found: list[dict]) -> list[dict]:
    return [v for v in found if v.get("impact") in BLOCKING]


def describe(found: list[dict]) -> str:
    """The violations as lines a person reads: rule, impact, what it asks, where it fails."""
    lines = []
    for violation in found:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({violation['helpUrl']})")
        for node in violation["nodes"][:NODES_SHOWN]:
            target = " ".join(str(part) for part in node.get("target", []))
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"      at {target}\n         {node.get('html', '')[:160]}\n"
                         f"         {summary[:300]}")
        if len(violation["nodes"]) > NODES_SHOWN:
            lines.append(f"      … and {len(violation['nodes']) - NODES_SHOWN} more")
    return "\n".join(lines)
