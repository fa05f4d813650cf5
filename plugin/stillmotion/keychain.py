"""Secrets in the operating system's keyring: the ``keyring:SERVICE/NAME`` reference and the
only module importing the ``keyring`` library.

Why a boundary of its own: a setting may name a keyring entry instead of a file, so key material
need not lie on disk; the library's backends (macOS Keychain, Windows Credential Locker, Secret
Service, or none at all on a headless box) raise their own exception types, translated here into
one plain ConfigError. Secret values are returned to the caller and never put into a message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import keyring
import keyring.backend
import keyring.core
import keyring.errors

from stillmotion.errors import ConfigError

PREFIX = "keyring:"


@dataclass(frozen=True)
class KeyringEntry:
    """One entry of the keyring: the service it is filed under and its user name."""

    service: str
    name: str

    @property
    def reference(self) -> str:
        """The setting value naming this entry, ``keyring:SERVICE/NAME``."""
        return f"{PREFIX}{self.service}/{self.name}"


def is_reference(value: str) -> bool:
    """Whether a setting value names a keyring entry rather than a file."""
    return value.startswith(PREFIX)


def parse_reference(value: str, setting: str) -> KeyringEntry:
    """The entry ``keyring:SERVICE/NAME`` names (the name may hold further slashes)."""
    service, slash, name = value.removeprefix(PREFIX).partition("/")
    if not (service.strip() and slash and name.strip()):
        raise ConfigError(f"{setting}={value} is not a keyring reference; write "
                          f"{PREFIX}SERVICE/NAME, for example {PREFIX}stillmotion/signing-key.")
    return KeyringEntry(service, name)


def entry(service: str, name: str) -> KeyringEntry:
    """An entry from its two parts; its reference must spell them back unchanged."""
    wanted = KeyringEntry(service, name)
    if not (service.strip() and name.strip() and "/" not in service):
        raise ConfigError(f"The keyring entry {service}/{name} needs a service without slashes "
                          "and a name; choose others.")
    return wanted


def read_secret(where: KeyringEntry) -> str | None:
    """The secret stored under ``where``, or None when the keyring has no such entry."""
    return _read(_backend(), where)


_REMEMBERED: dict[tuple[keyring.backend.KeyringBackend, KeyringEntry], str] = {}
_REMEMBERING = threading.Lock()


def remembered_secret(where: KeyringEntry) -> str | None:
    """:func:`read_secret`, asked of the keyring once per process and entry.

    Why: every output is signed (twice per ``generate``, once per job of a batch) and on macOS
    each read of a Keychain item may raise a prompt. What the keyring gave is kept in memory for
    the process (never written or logged); an absent entry or a failed read is not kept, so the
    next signing asks again. Kept per backend too: a process that switches keyrings (the tests
    do) reads the new one. The lock makes concurrent jobs wait for one read, not prompt twice.
    """
    backend = _backend()
    with _REMEMBERING:
        if (backend, where) not in _REMEMBERED:
            secret = _read(backend, where)
            if secret is None:
                return None
            _REMEMBERED[backend, where] = secret
        return _REMEMBERED[backend, where]


def _read(backend: keyring.backend.KeyringBackend, where: KeyringEntry) -> str | None:
    try:
        return backend.get_password(where.service, where.name)
    except Exception as exc:  # backends are plugins, each raising its own types
        raise _unusable(where, "read", exc) from None


def store_secret(where: KeyringEntry, secret: str) -> None:
    """File ``secret`` under ``where``, then read it back: a disabled keyring (the null
    backend) accepts a write and keeps nothing, which must not pass for success."""
    backend = _backend()
    try:
        backend.set_password(where.service, where.name, secret)
    except Exception as exc:  # backends are plugins, each raising its own types
        raise _unusable(where, "write", exc) from None
    with _REMEMBERING:  # a replaced key signs from now on, in this process too
        _REMEMBERED.pop((backend, where), None)
    if _read(backend, where) != secret:
        raise ConfigError(f"The keyring ({backend_name()}) did not keep the entry "
                          f"{where.service}/{where.name}; enable a keyring backend and try "
                          f"again.")


def backend_name() -> str:
    """The keyring backend in use, for messages (``keyring --list-backends`` lists others)."""
    kind = type(_backend())
    return f"{kind.__module__}.{kind.__name__}"


def recommended() -> bool:
    """Whether the backend in use is one keyring recommends (the OS's own store); the others,
    such as keyrings.alt's plain file, keep a secret no safer than a file would."""
    return bool(keyring.core.recommended(_backend()))


def _backend() -> keyring.backend.KeyringBackend:
    """The backend keyring chose (PYTHON_KEYRING_BACKEND, keyringrc.cfg, else the best one
    that is viable here), or a ConfigError when the one named cannot be loaded."""
    try:
        return keyring.get_keyring()
    except Exception as exc:  # the named backend's module or class cannot be imported
        raise ConfigError(f"The keyring backend named by PYTHON_KEYRING_BACKEND or keyringrc.cfg "
                          f"cannot be loaded ({type(exc).__name__}); correct or remove that "
                          f"setting.") from None


def _unusable(where: KeyringEntry, verb: str, exc: Exception) -> ConfigError:
    """The failure as one sentence. The backend's own exception is named by type and not
    chained (``from None``): its text, or a traceback showing locals, could carry the value."""
    if isinstance(exc, keyring.errors.NoKeyringError):
        return ConfigError(f"No keyring is available on this machine to {verb} "
                           f"{where.service}/{where.name}; install or unlock a keyring backend, "
                           f"or name a key file instead of a keyring entry.")
    return ConfigError(f"The keyring ({backend_name()}) could not {verb} "
                       f"{where.service}/{where.name} ({type(exc).__name__}); unlock the keyring "
                       f"and try again, or name a key file instead.")
