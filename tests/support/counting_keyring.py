"""keyrings.alt's plain-file keyring, counting the reads made of it.

Why: on macOS every read of a Keychain item may raise a prompt, so stillmotion must read a
signing key from the keyring once per process however many outputs it signs. The count is taken
at the backend itself, chosen the way a user chooses one (PYTHON_KEYRING_BACKEND names this
class), so every path stillmotion reads by is counted. Entry names only are kept, never values.
"""

from __future__ import annotations

from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

NAME = f"{__name__}.CountingKeyring"
"""The PYTHON_KEYRING_BACKEND value choosing this backend."""


class CountingKeyring(PlaintextKeyring):  # type: ignore[misc]  # keyrings.alt has no types
    """A real file keyring that records each ``(service, name)`` it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.reads.append((service, username))
        found: str | None = super().get_password(service, username)
        return found
