"""The register's two secret key files, outside the store: the credentials' signing keys
(SPEC §11) and the log's checkpoint keys (SPEC §12). `init` and `serve --demo` make them."""

from __future__ import annotations

import datetime as dt

from registry.logsigning import log_signing_keys
from registry.settings import Settings
from registry.signingkeys import SigningKeys, log_keys_path, signing_keys_path


def ensure_keys(settings: Settings) -> list[str]:
    """Make the credential and log key files where absent; a line for each. Raises
    SigningKeyError or OSError for a file that cannot be read or made."""
    said: list[str] = []
    for label, keys in (("Signing key file", SigningKeys(signing_keys_path(settings))),
                        ("Log key file", log_signing_keys(log_keys_path(settings)))):
        made = keys.ensure(dt.datetime.now(dt.UTC))
        said.append(f"{label} {'made' if made else 'kept'}: {keys.path} "
                    f"(current key {keys.current_key().id}).")
    return said
