"""The SQLite statements of the licence side index (registry/licenceindex.py): its tables,
indexes and triggers, and the queries it runs.

Every statement is fixed text: a value a caller or a visitor gives is always a bound parameter,
and what is put together from pieces is put together from these constants only.
"""

from __future__ import annotations

COLUMNS = ("iri, issuer, type, number, printed_number, holder_id, holder_name_th, "
           "holder_name_en, status, valid_from, valid_until")
SELECT = "SELECT " + COLUMNS + " FROM licences"  # noqa: S608 — constants only
BY_NAME = ("SELECT l.iri, l.issuer, l.type, l.number, l.printed_number, l.holder_id, "
           "l.holder_name_th, l.holder_name_en, l.status, l.valid_from, l.valid_until "
           "FROM names JOIN licences l ON l.id = names.rowid WHERE names MATCH ? LIMIT ?")
BY_NUMBER = SELECT + " WHERE number = ? ORDER BY issuer, type LIMIT ?"
# `holder_id != ''` lets SQLite use the partial index (it cannot tell that ? is never '').
BY_HOLDER = SELECT + " WHERE holder_id = ? AND holder_id != '' ORDER BY number, iri LIMIT ?"
STARTING = {column: SELECT + " WHERE " + column + " >= ? AND " + column + " < ? ORDER BY "
            + column + " LIMIT ?" for column in ("holder_name_th", "holder_name_en", "number")}
DISTINCT = {column: "SELECT COUNT(*) FROM (SELECT DISTINCT " + column  # noqa: S608
                    + " FROM licences)" for column in ("issuer", "type")}

SCHEMA_STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS uploads (iri TEXT PRIMARY KEY) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS licences (
  id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, issuer TEXT NOT NULL, type TEXT NOT NULL,
  number TEXT NOT NULL, printed_number TEXT NOT NULL, holder_id TEXT NOT NULL,
  holder_name_th TEXT NOT NULL COLLATE NOCASE, holder_name_en TEXT NOT NULL COLLATE NOCASE,
  status TEXT NOT NULL, valid_from TEXT NOT NULL, valid_until TEXT NOT NULL,
  modified TEXT NOT NULL, has_document_url INTEGER NOT NULL DEFAULT 0,
  has_sha256 INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1,
  log_index INTEGER, document_sha256 TEXT NOT NULL DEFAULT '')""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5(
  holder_name_th, holder_name_en, content='licences', content_rowid='id', tokenize='trigram')""",
)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS by_number ON licences(number)",
    "CREATE INDEX IF NOT EXISTS by_holder ON licences(holder_id) WHERE holder_id != ''",
    "CREATE INDEX IF NOT EXISTS by_name_th ON licences(holder_name_th)",
    "CREATE INDEX IF NOT EXISTS by_name_en ON licences(holder_name_en)",
    "CREATE INDEX IF NOT EXISTS by_issuer ON licences(issuer, number)",
    "CREATE INDEX IF NOT EXISTS by_type ON licences(type, number)",
    "CREATE INDEX IF NOT EXISTS by_status ON licences(status, valid_until)",
    # An agency's or a type's licences of one effective status, by number (paged lists), the
    # end date in the index too (expired or not is told without reading the row): without
    # them a million-licence index answers in seconds instead of milliseconds.
    "CREATE INDEX IF NOT EXISTS by_issuer_status ON licences(issuer, status, number, valid_until)",
    "CREATE INDEX IF NOT EXISTS by_type_status ON licences(type, status, number, valid_until)",
    "CREATE INDEX IF NOT EXISTS by_status_number ON licences(status, number, valid_until)",
    # An agency's figures of data quality (opendata/quality.py): counted from the index alone,
    # never from the rows, so an agency with 100,000 licences is counted in milliseconds.
    "CREATE INDEX IF NOT EXISTS by_issuer_quality ON licences(issuer, status, valid_until, "
    "has_document_url, has_sha256)",
)
# An index file of an earlier schema is emptied (then rebuilt from the store): its tables lack
# columns the statements above name.
DROP_STATEMENTS = tuple(f"DROP TABLE IF EXISTS {table}"
                        for table in ("names", "licences", "uploads", "meta"))
NEW_COLUMNS = ("version", "log_index", "document_sha256")  # the newest: absent in an old file
# The FTS table follows the licences table (external content): these keep it in step row by
# row; a rebuild drops them, loads every row, rebuilds the FTS table at once and adds them back.
TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS names_insert AFTER INSERT ON licences BEGIN
  INSERT INTO names(rowid, holder_name_th, holder_name_en)
  VALUES (new.id, new.holder_name_th, new.holder_name_en); END""",
    """CREATE TRIGGER IF NOT EXISTS names_delete AFTER DELETE ON licences BEGIN
  INSERT INTO names(names, rowid, holder_name_th, holder_name_en)
  VALUES ('delete', old.id, old.holder_name_th, old.holder_name_en); END""",
    """CREATE TRIGGER IF NOT EXISTS names_update AFTER UPDATE ON licences BEGIN
  INSERT INTO names(names, rowid, holder_name_th, holder_name_en)
  VALUES ('delete', old.id, old.holder_name_th, old.holder_name_en);
  INSERT INTO names(rowid, holder_name_th, holder_name_en)
  VALUES (new.id, new.holder_name_th, new.holder_name_en); END""",
)
UPSERT = """
INSERT INTO licences (iri, issuer, type, number, printed_number, holder_id, holder_name_th,
  holder_name_en, status, valid_from, valid_until, modified, has_document_url, has_sha256,
  version, log_index, document_sha256)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(iri) DO UPDATE SET issuer = excluded.issuer, type = excluded.type,
  number = excluded.number, printed_number = excluded.printed_number,
  holder_id = excluded.holder_id, holder_name_th = excluded.holder_name_th,
  holder_name_en = excluded.holder_name_en, status = excluded.status,
  valid_from = excluded.valid_from, valid_until = excluded.valid_until,
  modified = excluded.modified, has_document_url = excluded.has_document_url,
  has_sha256 = excluded.has_sha256, version = excluded.version,
  log_index = excluded.log_index, document_sha256 = excluded.document_sha256"""

# The batch check (registry/checkindex.py): many licences in one statement, the IRIs or
# numbers bound as ONE parameter, a JSON array read by json_each (no text pasted, any count).
CHECK_BY_IRI = """SELECT iri, status, valid_until, version, log_index, document_sha256
FROM licences WHERE iri IN (SELECT value FROM json_each(?))"""
CHECK_BY_NUMBER = """SELECT number, issuer, type FROM licences
WHERE number IN (SELECT value FROM json_each(?))"""

# Current licences by issuer and stored status, with how many are past their end date (an
# active one is then expired, registry/status.py) and how many have a document URL and a SHA-256:
# one issuer's (`issuer = ?`) or every issuer's. In the covering index's order, so SQLite counts
# as it reads, with no sort. Parameters: today's date (ISO), then the issuer.
_QUALITY = """SELECT issuer, status, COUNT(*), SUM(valid_until != '' AND valid_until < ?),
  SUM(has_document_url), SUM(has_sha256)
FROM licences INDEXED BY by_issuer_quality"""
QUALITY_OF_ISSUER = _QUALITY + " WHERE issuer = ? GROUP BY issuer, status"
QUALITY_OF_ALL = _QUALITY + " GROUP BY issuer, status"
