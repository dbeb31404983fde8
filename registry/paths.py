"""Where the project's data files live: inside the installed package, read through
`importlib.resources`.

The repository keeps them in the top-level folders `vocab/`, `shapes/` and `data/`;
pyproject.toml (`[tool.setuptools.package-dir]`) maps those to the packages `registry.vocab`,
`registry.shapes` and `registry.data`, so a wheel carries them inside `registry/` and an
editable install finds them in the checkout. Either way the code below never assumes where
the source tree is.

Each name is a `Traversable`. pip always unpacks a package onto the disk, where it is a real
`pathlib.Path`; a caller that needs a file name (Flask's `send_file`) takes it through
`importlib.resources.as_file`, which also copes with a package run from a zip.
"""

from importlib.resources import files
from importlib.resources.abc import Traversable

VOCAB_DIR: Traversable = files("registry.vocab")
SHAPES_DIR: Traversable = files("registry.shapes")
DATA_DIR: Traversable = files("registry.data")
CATALOGUE_DIR: Traversable = DATA_DIR / "catalogue"
UPLOAD_SCHEMA: Traversable = DATA_DIR / "schemas" / "licence-upload.json"
TEMPLATE_CSV: Traversable = DATA_DIR / "templates" / "licences.csv"
JSONLD_CONTEXT: Traversable = VOCAB_DIR / "context.jsonld"
CREDENTIAL_CONTEXT: Traversable = VOCAB_DIR / "credential-context.jsonld"


def turtle_files(folder: Traversable) -> list[Traversable]:
    """The folder's `*.ttl` files in the order of their names (what `init` loads)."""
    return sorted((entry for entry in folder.iterdir() if entry.name.endswith(".ttl")),
                  key=lambda entry: entry.name)
