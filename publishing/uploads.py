"""An agency's upload history and its reports, as the upload API and page read them.

The store access lives in registry/uploadreports.py, which the agencies' data-quality pages
(opendata/quality.py) share: every committed upload's `prov:Activity` in the main store
(`list_uploads`), its report in the private store (the report's predicate is
registry.uploadreports.REPORT, the IRI publishing.pipeline.REPORT writes).
"""

from __future__ import annotations

from registry import uploadreports
from registry.problems import Problem, summarise
from registry.uploadreports import list_uploads

__all__ = ["list_uploads", "upload_report"]


def upload_report(repo, base: str, agency: str, upload_id: str) -> dict | None:
    """The report kept with one of the agency's uploads (`problems`, `more_problems`,
    `summary`); None when it is not theirs or unknown.

    Whose upload it is comes from its activity in the main store; the report itself is in the
    private store (a report without an activity, left by a crash, is never shown)."""
    report = uploadreports.upload_report(repo, base, agency, upload_id)
    if report is None:
        return None
    if "summary" not in report:     # stored before reports had one: of the problems kept
        report["summary"] = [s.as_json() for s in summarise(
            Problem.from_json(p) for p in report.get("problems", []))]
    return report
