"""``stillmotion signing-key store KEYFILE``: put the Content Credentials signing key into the
operating system's keyring and print the STILLMOTION_SIGNING_KEY value that names it.

Why a command: an editor should not need a second tool (``keyring set``, Keychain Access) to
keep the private key off the disk, nor have to spell the reference by hand. The key is checked
first with the same rule signing applies, so a key c2pa cannot sign with is refused here, not at
the end of a render. Only the reference is ever printed, never the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stillmotion.cli.console import console, err_console
from stillmotion.errors import ConfigError

DEFAULT_SERVICE = "stillmotion"
DEFAULT_NAME = "signing-key"

# A sub-app holding the ``signing-key`` command group; stillmotion.cli merges it into the root.
app = typer.Typer()
signing_key = typer.Typer(
    help="Keep the Content Credentials signing key in the operating system's keyring.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@signing_key.command("store")
def store(
    key_file: Annotated[Path, typer.Argument(
        metavar="KEYFILE", help="Unencrypted PEM private key (EC P-256/384/521, Ed25519, RSA).")],
    service: Annotated[str, typer.Option(
        "--service", metavar="S", help="Keyring service to file the key under.")
    ] = DEFAULT_SERVICE,
    name: Annotated[str, typer.Option(
        "--name", metavar="N", help="User name of the keyring entry.")] = DEFAULT_NAME,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Overwrite a different key already stored under that entry.")
    ] = False,
) -> None:
    """Store KEYFILE's private key in the keyring and print the STILLMOTION_SIGNING_KEY line.

    The certificate chain stays a file (it is public): set STILLMOTION_SIGNING_CERT to it.
    Prints exactly one line on stdout, ``STILLMOTION_SIGNING_KEY=keyring:S/N``, for scripts.
    """
    from stillmotion import keychain
    from stillmotion.media.identity import read_key_file, signing_algorithm

    where = keychain.entry(service, name)
    key_pem = read_key_file(key_file)
    algorithm = signing_algorithm(key_pem, str(key_file))
    try:
        text = key_pem.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The signing key {key_file} is not a PEM text file; export it as "
                          "PEM.") from exc
    held = keychain.read_secret(where)
    if held is not None and held != text and not replace:
        raise ConfigError(f"The keyring already holds a different key under "
                          f"{service}/{name}; pass --replace to overwrite it, or choose another "
                          f"--name.")
    keychain.store_secret(where, text)
    err_console.print(f"Stored the {algorithm} signing key from {key_file.name} in the keyring "
                      f"({keychain.backend_name()}, service {service}, name {name}). Set the "
                      f"line below, with STILLMOTION_SIGNING_CERT naming its certificate chain; "
                      f"the key file may then be moved off this machine.",
                      markup=False, highlight=False)
    if not keychain.recommended():
        err_console.print("Note: keyring does not recommend this backend; it keeps the key no "
                          "safer than a key file would.", markup=False, highlight=False)
    console.print(f"STILLMOTION_SIGNING_KEY={where.reference}", markup=False, highlight=False,
                  soft_wrap=True)


app.add_typer(signing_key, name="signing-key")
