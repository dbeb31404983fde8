"""Runtime data: the bundled catalogue (`catalogue/*.csv`), the JSON upload schema
(`schemas/`) and the CSV upload template (`templates/`).

Data, not code. pyproject.toml maps this folder to the package `registry.data` and ships those
three folders inside the installed package (not `demo/`, an example output kept for reading);
read them through `registry.paths`.
"""
