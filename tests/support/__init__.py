"""What the tests share, none of it a test module (tests/test_test_layout.py keeps test modules
from importing each other or conftest):

- stores: BASE, initialised stores, real `oxigraph serve` and Virtuoso processes, licence
  counts, free ports
- builders: licence rows of an agency, licence paths and keys, agency keys, apps, API uploads
- publish: rows published through the publish service (the `publish` fixture in conftest.py)
- sharedstores: store copies and the resolver tests' licences, for module-scoped fixtures
- rdfbodies: Turtle and JSON-LD upload bodies written from rows
- realserver, crash_harness (and crash_child, the server it kills at set points), supervise:
  real `licence-registry serve` and `oxigraph serve` processes (started, killed, memory-capped)
- loopback: a listener that records every connection it is offered
- browser, thaifonts, htmltree: Chromium pages (a pytest plugin), Thai text drawn, HTML trees
- reference: the naive pyshacl path the fast validator is measured against
- vectors: the shared conformance vectors (../shared/vectors), skipped or failed when absent
- clicommands: every CLI command with arguments that make it run
- workbooks: .xlsx bodies made with openpyxl, zips rebuilt for the workbook limits
- logserver: a register's public log (the five /log routes) on a loopback HTTP server
- logagreement: whether a store's Merkle log agrees with its records (after a kill -9)
- webcluster: remote main and private stores with several `serve` processes, as on machines
- nginxcache: nginx (Lua purge listener) as the caching front of docs/deployment.md
"""
