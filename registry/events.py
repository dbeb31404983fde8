"""Signals between the register's parts (blinker, as Flask uses): a part that must react to
another's work subscribes here instead of being imported by it."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent after licences were committed to the store. Sender: the Flask app that committed them,
# or None outside the web service (`licence-registry load`). Keywords: `settings`, the
# registry.settings.Settings in force; `keys`, the LicenceKey of every record committed
# (created, updated or unchanged); `repository`, the store committed to. Receivers take **_ so
# that a keyword added later breaks none of them.
licences_committed = _signals.signal("licences-committed")
