"""The data standard's SHACL shapes: `licence.ttl` and `catalogue.ttl`.

Data, not code. pyproject.toml maps this folder to the package `registry.shapes` so that it
ships inside the installed package; read it through `registry.paths`.
"""
