"""The vocabulary: `clc.ttl`, `schemes.ttl` and the JSON-LD context `context.jsonld`.

Data, not code. pyproject.toml maps this folder to the package `registry.vocab` so that it
ships inside the installed package; read it through `registry.paths`.
"""
