"""The OpenAPI 3.1 description of the upload API, served at /api/v1/openapi.json."""

from __future__ import annotations

from publishing.formatbase import XLSX_TYPE
from registry.records import COLUMNS

_PROBLEM = {
    "type": "object",
    "required": ["row", "field", "rule", "severity", "message"],
    "properties": {
        "row": {"type": ["integer", "string", "null"],
                "description": "Spreadsheet row of a CSV or workbook (header is row 1), array "
                               "position of JSON (from 1), or the node IRI of RDF; null for a "
                               "problem of the whole file (its encoding)."},
        "field": {"type": ["string", "null"], "description": "Template column or `@id`."},
        "rule": {"type": "string", "description": "Rule code of the data standard "
                                                  "(docs/data-standard.md, shapes/licence.ttl)."},
        "severity": {"enum": ["Violation", "Warning"]},
        "message": {"type": "object", "required": ["th", "en"],
                    "properties": {"th": {"type": "string"}, "en": {"type": "string"}}},
    },
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["status", "code", "title", "detail"],
        "properties": {
            "status": {"type": "integer"}, "code": {"type": "string"},
            "title": {"type": "string"}, "detail": {"type": "string"},
            "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
        },
    }},
}
_RESULT = {
    "type": "object",
    "properties": {
        "dry_run": {"type": "boolean"}, "upload_id": {"type": "string"},
        "created": {"type": "integer"}, "updated": {"type": "integer"},
        "unchanged": {"type": "integer"}, "rows": {"type": "integer"},
        "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"},
                     "description": "Warnings (a committed upload has no violations)."},
    },
}


def _body_schema(media_type: str) -> dict:
    """Text bodies are strings; a workbook is bytes (OpenAPI 3.1: a string of that media type)."""
    if media_type == XLSX_TYPE:
        return {"type": "string", "contentMediaType": XLSX_TYPE, "format": "binary"}
    return {"type": "string"}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi(accepted_types: tuple[str, ...]) -> dict:
    csv_columns = ", ".join(COLUMNS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Central Licence Catalogue — API", "version": "1",
                 "description": "Agencies publish licence records. All or nothing: a batch with "
                                "any violation writes nothing. แคตตาล็อกใบอนุญาตกลาง"},
        "components": {
            "securitySchemes": {"agencyKey": {"type": "http", "scheme": "bearer",
                                              "description": "`licence-registry agency-key CODE`"}},
            "schemas": {"Problem": _PROBLEM, "Error": _ERROR, "UploadResult": _RESULT},
        },
        "security": [{"agencyKey": []}],
        "paths": {
            "/api/v1/uploads": {
                "post": {
                    "summary": "Publish a batch of licence records",
                    "parameters": [{"name": "dry_run", "in": "query", "required": False,
                                    "schema": {"type": "boolean"},
                                    "description": "Validate only; write nothing."}],
                    "requestBody": {"required": True, "content": {
                        media: {"schema": _body_schema(media)} for media in accepted_types},
                        "description": f"CSV columns: {csv_columns}. CSV in UTF-8 (a BOM is "
                                       "accepted) or Windows-874 (TIS-620, with a warning). "
                                       f"Excel workbook ({XLSX_TYPE}): the first sheet, its "
                                       "first row the same headers as the CSV, date cells "
                                       "read as dates. JSON: see "
                                       "/schemas/licence-upload.json. JSON-LD: only the context "
                                       "/contexts/licence.jsonld."},
                    "responses": {
                        "200": {"description": "Committed (or valid, for a dry run)",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/UploadResult"}}}},
                        "401": _error("No key, or an unknown or revoked key"),
                        "403": _error("A record's issuer is outside the agency's scope"),
                        "413": _error("The body is larger than the limit"),
                        "415": _error("Not an accepted media type"),
                        "422": _error("The batch breaks the data standard; every problem listed"),
                        "429": _error("Too many bad keys from this client; see Retry-After"),
                    },
                },
            },
            **_OTHER_SYSTEMS,
        },
    }


# The two open APIs for other agencies' systems (SPEC §13; served by resolver/bulkcheck.py and
# opendata/changesfeed.py, described in docs/check-api.md and docs/changes-feed.md): listed here
# so one description names every /api/v1 route. Neither takes a key.
_OTHER_SYSTEMS = {
    "/api/v1/check": {"post": {
        "summary": "Check up to 1,000 licences at once (no key; rate-limited per address)",
        "security": [],
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"oneOf": [
                {"type": "array", "maxItems": 1000},
                {"type": "object", "properties": {"items": {"type": "array", "maxItems": 1000}},
                 "required": ["items"]}]}},
            "text/csv": {"schema": {"type": "string"}}},
            "description": "Items: a licence IRI, {issuer, type, number}, or {number}; CSV "
                           "columns iri, or issuer,type,number, or number."},
        "parameters": [{"name": "format", "in": "query", "required": False,
                        "schema": {"enum": ["json", "csv"]}}],
        "responses": {
            "200": {"description": "One result per item: found, canonical IRI, effective "
                                   "status today, valid until, type, issuer, version, log "
                                   "index, document SHA-256 (JSON or CSV)"},
            "400": _error("The body cannot be read"),
            "413": _error("More than 1,000 items, or the body is too large"),
            "415": _error("Not JSON or CSV"),
            "422": _error("The body is not a list of items"),
            "429": _error("Too many checks from this address; see Retry-After"),
        }}},
    "/api/v1/changes": {"get": {
        "summary": "The licence changes after log index N, in order (ND-JSON; no key)",
        "security": [],
        "parameters": [
            {"name": "after", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 0}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
        "responses": {
            "200": {"description": "One JSON object per line: index, licence, version, status, "
                                   "valid_until, time, upload, sha256, record; header "
                                   "X-Next-After is the cursor",
                    "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
            "304": {"description": "The last page has not changed (If-None-Match)"},
            "400": _error("after or limit is not a usable number"),
        }}},
}
