"""The errors of NIR exchange."""

from __future__ import annotations

from ..dsl.errors import SnarcError


class NIRImportError(SnarcError):
    """A NIR graph snarc cannot import, or imports only by changing what it computes."""
