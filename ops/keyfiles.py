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
    return [ensure_key_file("Signing key file", SigningKeys(signing_keys_path(settings))),
            ensure_key_file("Log key file", log_signing_keys(log_keys_path(settings)))]


def ensure_key_file(label: str, keys: SigningKeys) -> str:
    """Make one key file if it is absent; a line saying what was done. An existing file is
    checked and kept. Raises SigningKeyError or OSError."""
    made = keys.ensure(dt.datetime.now(dt.UTC))
    current = keys.current_key().id
    return f"{label} {'made' if made else 'kept'}: {keys.path} (current key {current})."
