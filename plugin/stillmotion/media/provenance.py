"""Content Credentials (C2PA): read and validate a file's manifest store, and sign one into a file.

Why c2pa-python (the only module importing ``c2pa``): it is the Content Authenticity
Initiative's own binding of c2pa-rs, so signatures, hard bindings (the hash of the media data)
and ingredient chains are checked the way every other verifier checks them, and the manifests we
write are ones those verifiers accept. A video service's credentials are gone after any remux, so
they are read from the original download and carried forward as an ingredient of what we write.

EXR and DPX cannot hold a manifest, so they get a sidecar manifest store (``<name>.c2pa``, the
c2pa-rs naming) whose hard binding is a ``c2pa.hash.data`` over the file's bytes: c2pa signs it
with ``set_no_embed`` and validates it given the file and the sidecar together.

What the store says (status words, chain) is read by :mod:`stillmotion.media.manifest_store`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa

from stillmotion.errors import MediaError
from stillmotion.files import atomic_path, atomic_write_bytes
from stillmotion.media.bmff_hash import binding_assertion
from stillmotion.media.manifest_store import Credentials, parse_store
from stillmotion.media.marks import is_preview
from stillmotion.media.probe import MediaInfo

MIME_TYPES = {
    ".mov": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/mp4",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".tif": "image/tiff", ".tiff": "image/tiff",
}
# Formats whose manifest box is appended after the last box (media.bmff_hash) rather than
# inserted by c2pa's rewrite of the whole file.
APPENDABLE = {"video/quicktime", "video/mp4"}
# Formats c2pa cannot embed in, but can bind a sidecar manifest store to by a data hash.
SIDECAR_TYPES = {".exr": "image/x-exr", ".dpx": "image/x-dpx"}


@dataclass(frozen=True)
class SigningIdentity:
    """A certificate chain and its private key, ready for c2pa; the key never prints.

    ``alg`` is c2pa's name (``es256``, ``es384``, ``ps256``, ``ed25519``); ``local`` marks the
    per-install development identity that no verifier trusts.
    """

    chain_pem: bytes
    key_pem: bytes = field(repr=False)
    alg: str
    name: str
    local: bool

    def __str__(self) -> str:
        return f"{self.name} ({'local, untrusted' if self.local else 'configured'})"


def can_carry(path: Path) -> bool:
    """Whether c2pa reads and writes manifests in ``path``'s format (MP4, MOV, PNG, JPEG …;
    not camera formats such as .mts, .mxf or .mkv, nor EXR or DPX)."""
    return path.suffix.lower() in MIME_TYPES


def mime_type(path: Path) -> str:
    """The media type c2pa needs for ``path``; MediaError for formats it cannot carry."""
    kind = MIME_TYPES.get(path.suffix.lower())
    if kind is None:
        what = path.suffix or "extensionless"
        raise MediaError(f"Content Credentials cannot be embedded in {what} files like "
                         f"{path.name}; use a sidecar .c2pa manifest.", path=path)
    return kind


def sidecar_path(path: Path) -> Path:
    """Where the sidecar manifest store of an EXR or DPX file lives: ``shot.1001.c2pa``."""
    return path.with_suffix(".c2pa")


def read_credentials(path: Path, *, trust_anchors: Path | None = None) -> Credentials:
    """Read and validate the manifest store embedded in ``path`` (or, for EXR and DPX, its
    sidecar ``.c2pa``, checked against the file's bytes).

    ``trust_anchors`` is a PEM bundle of extra root certificates; a signer chaining to one (or
    to c2pa's own list) reads ``valid``, any other intact signature ``untrusted``.
    """
    sidecar = sidecar_path(path)
    kind = SIDECAR_TYPES.get(path.suffix.lower())
    if kind is not None:
        if not sidecar.is_file():
            return Credentials("none", note=f"no sidecar manifest store {sidecar.name} beside it")
        return _read(path, trust_anchors, kind, sidecar)
    if not can_carry(path):
        return Credentials("none", note=f"c2pa cannot carry credentials in {path.suffix} files")
    return _read(path, trust_anchors)


def _read(path: Path, trust_anchors: Path | None, kind: str | None = None,
          sidecar: Path | None = None) -> Credentials:
    try:
        with _context(trust_anchors) as context, contextlib.ExitStack() as stack:
            if sidecar is None:
                reader = c2pa.Reader.try_create(str(path), None, None, context)
            else:
                stream = stack.enter_context(path.open("rb"))
                reader = c2pa.Reader.try_create(kind, stream, sidecar.read_bytes(), context)
            if reader is None:
                return Credentials("none", note="no C2PA manifest store")
            with reader:
                raw = reader.json()
    except c2pa.C2paError as exc:
        return Credentials("tampered", failures=(f"unreadable manifest store: {_plain(exc)}",))
    except OSError as exc:
        raise MediaError(f"Cannot read {path.name} ({exc.strerror}); check the file.",
                         path=path) from exc
    return parse_store(raw)


def active_signer(path: Path) -> str | None:
    """Who signed the active manifest of ``path`` (its certificate's common name), read
    without validating: no hash of the media, so it costs milliseconds where a validating
    read of a 1080p master re-hashes every byte. Only for describing a file we just wrote;
    whether a signature holds is :func:`read_credentials`' question. None without a store."""
    if not can_carry(path):
        return None
    settings = c2pa.Settings.from_dict({"verify": {"verify_after_reading": False}})
    try:
        with c2pa.Context(settings=settings) as context:
            reader = c2pa.Reader.try_create(str(path), None, None, context)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except (c2pa.C2paError, OSError, ValueError):
        return None
    body = (store.get("manifests") or {}).get(store.get("active_manifest")) or {}
    return str((body.get("signature_info") or {}).get("common_name") or "an unnamed signer")


def _context(trust_anchors: Path | None) -> c2pa.Context:
    settings = c2pa.Settings()
    if trust_anchors is not None:
        settings.update({"trust": {"user_anchors": trust_anchors.read_text(encoding="ascii")}})
    return c2pa.Context(settings=settings)


def sign_file(source: Path, dest: Path, manifest: Mapping[str, Any],
              ingredients: Sequence[tuple[Path, Mapping[str, Any]]],
              identity: SigningIdentity) -> None:
    """Write ``source`` with ``manifest`` signed by ``identity`` into ``dest`` (a new file).

    ``ingredients`` are (file, ingredient JSON) pairs; each file's own manifest store, when it
    has one, is carried into ours so a verifier can follow the chain back.
    """
    kind = mime_type(dest)
    with _signing(identity, manifest.get("title") or dest.name, dest) as context, \
            _builder(manifest, ingredients, context) as builder, \
            source.open("rb") as reading, dest.open("w+b") as writing:
        builder.sign(kind, reading, writing)


def sign_in_place(path: Path, manifest: Mapping[str, Any],
                  ingredients: Sequence[tuple[Path, Mapping[str, Any]]],
                  identity: SigningIdentity) -> None:
    """Sign the file at ``path`` itself, as :func:`sign_file` would.

    A MOV or MP4 gets its manifest box appended after its last box, bound by
    :func:`~stillmotion.media.bmff_hash.binding_assertion`: one read of the file and a write of
    a few kilobytes, where c2pa's own embedding rewrites the whole file. Any other file, or a
    movie whose layout the binding does not cover, is signed by c2pa into a temporary sibling
    that replaces it. Either way a failure leaves the file as it was.
    """
    kind = mime_type(path)
    try:
        binding = binding_assertion(path) if kind in APPENDABLE and _embeddable() else None
    except OSError as exc:
        raise MediaError(f"Cannot read {path.name} to sign it ({exc.strerror or exc}); check "
                         f"the file.", path=path) from exc
    if binding is None:
        with atomic_path(path) as temp:
            sign_file(path, temp, manifest, ingredients, identity)
        return
    definition = {**manifest, "assertions": [*manifest.get("assertions", []), binding]}
    with _signing(identity, manifest.get("title") or path.name, path) as context, \
            _builder(definition, ingredients, context) as builder:
        box = _sign_embeddable(builder, kind)
    _append(path, box)


@functools.cache
def _embeddable() -> ctypes.CDLL | None:
    """c2pa's native library with ``c2pa_builder_sign_embeddable`` declared, or None.

    Why native: c2pa-python 0.38.1 does not wrap the embeddable signing calls that its library
    exports. The call needs the Builder's native handle, an attribute of that pinned version;
    if either is missing, signing falls back to c2pa's rewrite of the file.
    """
    name = getattr(getattr(getattr(c2pa, "c2pa", None), "_lib", None), "_name", None)
    if not name:
        return None
    native = ctypes.CDLL(name)
    if not hasattr(native, "c2pa_builder_sign_embeddable"):
        return None
    out = ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))
    native.c2pa_builder_sign_embeddable.argtypes = [ctypes.c_void_p, ctypes.c_char_p, out]
    native.c2pa_builder_sign_embeddable.restype = ctypes.c_int64
    native.c2pa_free.argtypes = [ctypes.c_void_p]
    native.c2pa_error.restype = ctypes.c_void_p
    native.c2pa_string_free.argtypes = [ctypes.c_void_p]
    return native


def _sign_embeddable(builder: c2pa.Builder, kind: str) -> bytes:
    """The signed manifest as a C2PA ``uuid`` box, ready to append (c2pa's direct mode: the
    builder already holds its hard binding)."""
    native = _embeddable()
    handle = getattr(builder, "_handle", None)
    if native is None or not handle:
        raise c2pa.C2paError("this c2pa-python has no embeddable signing")
    data = ctypes.POINTER(ctypes.c_ubyte)()
    size = native.c2pa_builder_sign_embeddable(handle, kind.encode("ascii"), ctypes.byref(data))
    if size < 0:
        error = native.c2pa_error()
        text = ctypes.string_at(error).decode("utf-8", "replace") if error else "no detail"
        if error:
            native.c2pa_string_free(error)
        raise c2pa.C2paError(text)
    try:
        return ctypes.string_at(data, size)
    finally:
        native.c2pa_free(data)


def _append(path: Path, box: bytes) -> None:
    """Append the manifest box; on any failure cut the file back to its old end."""
    try:
        with path.open("r+b") as handle:
            end = handle.seek(0, os.SEEK_END)
            try:
                handle.write(box)
                handle.flush()
            except BaseException:
                handle.truncate(end)
                raise
    except OSError as exc:
        raise MediaError(f"Cannot write Content Credentials into {path.name} ({exc.strerror}); "
                         f"check the disk.", path=path) from exc


def sign_sidecars(assets: Sequence[Path], manifest: Mapping[str, Any],
                  ingredients: Sequence[tuple[Path, Mapping[str, Any]]],
                  identity: SigningIdentity) -> list[Path]:
    """Sign each EXR or DPX file in ``assets`` with ``manifest`` (titled with the file's name)
    as a sidecar manifest store beside it; the files themselves are not touched.

    One signer serves every frame of a sequence. Each sidecar is written atomically.
    """
    written = []
    with _signing(identity, manifest.get("title") or "the plate", None) as context:
        for asset in assets:
            kind = SIDECAR_TYPES.get(asset.suffix.lower())
            if kind is None:
                raise MediaError(f"{asset.name} is not an EXR or DPX file; only those get a "
                                 f"sidecar manifest store.", path=asset)
            with _builder({**manifest, "title": asset.name}, ingredients, context) as builder, \
                    asset.open("rb") as reading:
                builder.set_no_embed()
                # c2pa copies the asset to the destination even without embedding: discard it.
                store = builder.sign(kind, reading, _Discard())
            atomic_write_bytes(sidecar_path(asset), store)
            written.append(sidecar_path(asset))
    return written


@contextlib.contextmanager
def _signing(identity: SigningIdentity, title: str, dest: Path | None) -> Iterator[c2pa.Context]:
    """A signing context holding the signer, with c2pa's failures said in one sentence."""
    try:
        info = c2pa.C2paSignerInfo(identity.alg, identity.chain_pem, identity.key_pem, None)
        # No read-back after signing: it re-hashes the whole output (a third of the cost on a
        # 1080p master) and our recipes are checked by an independent reader in the tests. No
        # thumbnails either: they made a signed 320x180 still seven times its size.
        settings = c2pa.Settings.from_dict(
            {"verify": {"verify_after_sign": False}, "builder": {"thumbnail": {"enabled": False}}})
        with c2pa.Context(settings=settings, signer=c2pa.Signer.from_info(info)) as context:
            yield context
    except (c2pa.C2paError, ValueError) as exc:
        raise MediaError(f"Signing {title} failed ({_plain(exc)}); check the signing "
                         f"certificate and key, or pass --no-credentials.", path=dest) from exc


@contextlib.contextmanager
def _builder(manifest: Mapping[str, Any], ingredients: Sequence[tuple[Path, Mapping[str, Any]]],
             context: c2pa.Context) -> Iterator[c2pa.Builder]:
    with c2pa.Builder(dict(manifest), context) as builder:
        for path, ingredient in ingredients:
            with path.open("rb") as stream:
                builder.add_ingredient(dict(ingredient), mime_type(path), stream)
        yield builder


class _Discard(io.RawIOBase):
    """A seekable sink that keeps nothing: where c2pa's copy of a sidecar-signed asset goes."""

    def __init__(self) -> None:
        super().__init__()
        self._pos = self._end = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        self._pos += size
        self._end = max(self._end, self._pos)
        return size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._end}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos


def _plain(exc: BaseException) -> str:
    """The first line of a c2pa error, with nothing that could quote key material."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return "details withheld" if "PRIVATE" in text.upper() else text[:200]


def read_provenance(path: Path, info: MediaInfo, *, keep_store: bool = True) -> dict[str, Any]:
    """What the ledger and timeline metadata record about where a download came from.

    With ``keep_store`` the raw manifest store is kept beside the download
    (``<name>.c2pa.json``), because a later conform or remux cannot reproduce it, and the
    record names that file; readers that must not write (the review page) pass False.
    """
    credentials = read_credentials(path)
    kept = path.with_name(f"{path.name}.c2pa.json")
    if credentials.raw_json is not None and keep_store:
        atomic_write_bytes(kept, credentials.raw_json.encode("utf-8"))
    store = kept if credentials.raw_json is not None and kept.is_file() else None
    return {
        "preview": is_preview(info),
        "c2pa": credentials.status != "none",
        "credentials": credentials.summary(),
        "manifest_store": str(store) if store else None,
        "encoder": info.tags.get("encoder"),
    }
