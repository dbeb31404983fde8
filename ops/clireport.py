"""What `licence-registry validate` and `load` print about the files they checked (SPEC §5, §8).

For each file: one line of counts (rows, valid, violations, warnings), then the summary, one line
per rule and column with its count and first rows (registry/problems.py `summarise`: a clean file
whose 712 dates are Buddhist-Era years gets one line, not 712). Then the first FIRST_PROBLEMS
problems of the batch, violations first, each with its row; the rest are counted, and are all in
`--json` and in `--report FILE.csv` (the upload API's report.csv, plus a `file` column).

Every line is in English then Thai (`en | th`): the same command serves an operator and an
agency's clerk, and a line that holds both can be searched and pasted whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ops.clibase import Refused
from registry.problems import WARNING, Problem, report_csv

if TYPE_CHECKING:       # publishing is imported by the commands that use it (start-up)
    from publishing.pipeline import Report

FIRST_PROBLEMS = 20         # problems printed one by one; the rest are counted


def print_reports(reports: Mapping[str, Report], as_json: bool,
                  report_file: str | None = None) -> None:
    """Print the reports of a checked batch (and write every problem to `report_file`)."""
    if report_file:
        write_report(reports, report_file)
    if as_json:
        out = {path: report.as_json() for path, report in reports.items()}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for path, report in reports.items():
        click.echo(f"{path}: {report.rows} rows, {len(report.records)} valid, "
                   f"{len(report.violations)} violations, {len(report.warnings)} warnings.")
        for line in report.summary():
            click.echo(f"{path}: {line.severity}: {line.en} | {line.th}")
    every = [(path, p) for path, report in reports.items() for p in report.violations]
    every += [(path, p) for path, report in reports.items() for p in report.warnings]
    for path, p in every[:FIRST_PROBLEMS]:
        click.echo(problem_line(path, p), err=p.severity != WARNING)
    more = len(every) - FIRST_PROBLEMS
    if more > 0:
        where = (f"every problem is in {report_file}" if report_file
                 else "see --json or --report FILE.csv")
        click.echo(f"…and {more:,} more: {where}.")


def problem_line(path: str, p: Problem) -> str:
    row = "whole file" if p.row is None else f"row {p.row}"
    return f"{path}: {row}, {p.field}, {p.rule} ({p.severity}): {p.en} | {p.th}"


def write_report(reports: Mapping[str, Report], report_file: str) -> None:
    """Every problem of every file as the API's report.csv (UTF-8 with a byte-order mark for
    Excel, formula-like cells neutralised), with the file each is in as a last column."""
    body = report_csv(({**p.as_json(), "file": path}
                       for path, report in reports.items() for p in report.problems),
                      extra=("file",))
    try:
        Path(report_file).write_text(body, encoding="utf-8", newline="")
    except OSError as exc:
        raise Refused(f"Cannot write {report_file}: {exc.strerror}") from None
