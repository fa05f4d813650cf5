"""Read any timeline OTIO has an adapter for, and write a NEW timeline file in the same format.

Why one place: OTIO adapters raise a zoo of exception types (OTIOError, ValueError, KeyError,
XML and JSON errors …), print to stdout (the Kdenlive adapter), and each format has quirks that
must be smoothed the same way for every caller:

- **Choice of adapter** is by extension (``otio.adapters.suffixes_with_defined_adapters``):
  .otio, .otioz, .otiod, .xml (FCP 7 / Premiere), .fcpxml, .edl, .kdenlive, .aaf, .ale …
- **EDL** carries no frame rate. ``read_timeline(path, rate=...)`` uses the rate given; without
  one it is guessed (:func:`stillmotion.timeline.edl.guess_edl_rate`), so pass the rate when
  you know it (``--rate``; a ';' in the timecodes then means drop frame). The header ``FCM``
  line is kept and written back (:mod:`stillmotion.timeline.edl`). Every other format carries
  its own rate: a ``--rate`` that differs from it is refused rather than ignored.
  The CMX adapter encodes the first record timecode as a negative track offset; on read it is
  moved into ``global_start_time`` (01:00:00:00 stays 01:00:00:00) and on write moved back.
  Locators typed with a drop-frame ';' are read (the adapter would drop them). Our metadata
  travels in the sidecar ``<stem>.stillmotion.json`` (:mod:`stillmotion.timeline.sidecar`).
  An EDL holds one picture track: on write the enabled video tracks are flattened (the top-most
  enabled clip at every frame, so a generated clip becomes its own event) and at most two
  enabled audio tracks are kept.
- **FCPXML** is prepared by :mod:`stillmotion.timeline.fcpxml` before the installed
  otio-fcpx-xml-adapter reads it: ``<media-rep src>`` (Resolve, FCPXML 1.9+) names the asset's
  file, and NTSC rates (which the adapter truncates to integers) are read exactly.
  The adapter drops the sequence's ``tcStart``: record frames count from 00:00:00:00 (a leading
  gap), so timecode playheads still read as FCP shows them.
- **.otioz** bundles name their media ``media/<file>`` inside the zip: unzip the bundle beside
  the .otioz for those paths to resolve (locate says where it looked). Writing .otioz copies
  every referenced file into the new bundle and fails if one is not on disk.
- **FCP 7 XML**: ``enabled``, track names and our metadata are carried through the adapter's
  ``metadata["fcp_xml"]`` (:mod:`stillmotion.timeline.fcp7`).
- **Kdenlive**: the installed adapter (deprecated upstream) keeps tracks, record positions and
  media, but not the start timecode, clip names (it names clips after their media), enabled
  flags, markers or metadata; titles and other Kdenlive generators are given a
  GeneratorReference (:mod:`stillmotion.timeline.kdenlive`) rather than read as offline.
- **Collections**: a file holding a SerializableCollection (FCPXML does this) yields its first
  Timeline, depth first.

- **Relinking**: offline clips are relinked by :func:`stillmotion.timeline.relink.relink` to
  the folders of the current :func:`~stillmotion.timeline.relink.reading_options` (the CLI's
  ``--media-dir`` and ``--relink-dir``), for every format and every command.

Writing a .kdenlive timeline read from a .kdenlive project edits that project
(:mod:`stillmotion.timeline.kdenlive_write`): only the AI tracks change, so the editor's mixes,
compositions, filters, markers and guides survive, and our metadata travels in producer
properties. FCPXML read from FCPXML is edited the same way
(:mod:`stillmotion.timeline.fcpxml_write`: our clips as connected clips).

Writing never touches the input: the output is checked with
:func:`stillmotion.files.check_output` (refusing the input itself, an existing file without
``overwrite``, a missing folder) and written through :func:`stillmotion.files.atomic_path`, so a
failed write leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from stillmotion.errors import ConfigError, TimelineError
from stillmotion.files import atomic_path, check_output, remove_partials
from stillmotion.timecode import parse_rate
from stillmotion.timeline import (
    edl,
    fcp7,
    fcpxml,
    fcpxml_write,
    kdenlive,
    kdenlive_write,
    losses,
    sidecar,
)
from stillmotion.timeline.relink import current_options, relink
from stillmotion.timeline.timebase import TimeBase, rate_text

OUTPUT_TAG = "stillmotion"
# Formats with no place for our metadata: it goes in a sidecar (stillmotion.timeline.sidecar).
SIDECAR_FORMATS = frozenset({"edl"})

# Human names for the formats people export, used in messages.
_FORMAT_NAMES = {
    "otio": "OpenTimelineIO",
    "otioz": "OpenTimelineIO bundle",
    "otiod": "OpenTimelineIO folder bundle",
    "xml": "FCP 7 / Premiere XML",
    "fcpxml": "FCPXML",
    "edl": "CMX 3600 EDL",
    "kdenlive": "Kdenlive project",
    "aaf": "AAF",
    "ale": "ALE",
}
_COMMON = ".otio, .xml (FCP 7/Premiere), .fcpxml, .edl or .kdenlive"
_OUTPUT_NAME = re.compile(rf"^(?P<base>.*)\.{OUTPUT_TAG}(?:-(?P<n>\d+))?$")
_MAX_REASON = 160


def readable_suffixes() -> frozenset[str]:
    """Extensions (without dot, lower case) some installed OTIO adapter can read."""
    return frozenset(str(s).lower() for s in otio.adapters.suffixes_with_defined_adapters(
        read=True))


def writable_suffixes() -> frozenset[str]:
    """Extensions some installed OTIO adapter can write (.otiod excluded: it is a folder)."""
    found = otio.adapters.suffixes_with_defined_adapters(write=True)
    return frozenset(str(s).lower() for s in found) - {"otiod", "svg"}


def format_name(path: Path | str) -> str:
    """What to call the format of ``path`` in a message ('FCP 7 / Premiere XML')."""
    suffix = _suffix(Path(path))
    return _FORMAT_NAMES.get(suffix, f".{suffix} timeline")


def default_output_path(input_path: Path | str) -> Path:
    """``cut.otio`` -> ``cut.stillmotion.otio`` beside the input (same format).

    An input that is already an output (``cut.stillmotion.otio``) gets a number instead of a
    second tag: ``cut.stillmotion-2.otio``, then ``-3`` …, so re-running on an output never
    names the input itself.
    """
    source = Path(input_path)
    stem, suffix = source.stem, source.suffix
    match = _OUTPUT_NAME.match(stem)
    if match:
        number = int(match.group("n") or 1) + 1
        return source.with_name(f"{match.group('base')}.{OUTPUT_TAG}-{number}{suffix}")
    return source.with_name(f"{stem}.{OUTPUT_TAG}{suffix}")


def read_timeline(path: Path | str, *, rate: str | float | Fraction | None = None) -> Any:
    """Read the timeline in ``path`` (adapter chosen by extension) as an ``otio.schema.Timeline``.

    ``rate`` is an EDL's rate; without it the current reading options' rate (``--rate``) is
    used, else the EDL rate is guessed. Other formats carry their own rate: a ``rate`` that
    differs from it is refused (ConfigError), one that agrees changes nothing. Offline clips
    are then relinked to the current reading options' folders (``--media-dir``,
    ``--relink-dir``). Raises TimelineError with one sentence for an unknown extension, a
    missing, empty or unreadable file, FCPXML mixing NTSC and whole rates, an ambiguous relink
    and a file that holds no timeline; ConfigError for a bad or contradicting ``rate`` or a
    missing relink folder.
    """
    source = Path(path).expanduser()
    suffix = _suffix(source)
    if suffix not in readable_suffixes():
        raise TimelineError(
            f"{source.name} has an extension stillmotion cannot read as a timeline; export the "
            f"timeline as {_COMMON}."
        )
    if not source.exists():
        raise TimelineError(f"The timeline {source} does not exist; check the path.")
    if suffix != "otiod" and not source.is_file():
        raise TimelineError(f"The timeline {source} is a folder, not a file; give the file.")
    if source.is_file() and source.stat().st_size == 0:
        raise TimelineError(f"The timeline {source.name} is empty (0 bytes); export it again.")
    wanted = current_options()
    rate = rate if rate is not None else wanted.rate
    options: dict[str, Any] = {}
    if suffix == "edl":
        edl_rate = parse_rate(rate) if rate is not None else edl.guess_edl_rate(_text(source))
        options["rate"] = float(edl_rate)
    rates: dict[float, float] = {}
    try:
        with _quiet():
            if suffix == "fcpxml":
                text, rates = fcpxml.prepared(_text(source), source.name)
                result = otio.adapters.read_from_string(text, adapter_name="fcpx_xml")
            elif suffix == "edl":
                result = otio.adapters.read_from_string(edl.readable(_text(source)),
                                                        adapter_name="cmx_3600", **options)
            else:
                result = otio.adapters.read_from_file(str(source), **options)
    except TimelineError:
        raise
    except Exception as exc:
        raise TimelineError(
            f"{source.name} could not be read as {format_name(source)} ({_reason(exc)}); check "
            "that it is a complete export."
        ) from exc
    timeline = _first_timeline(result)
    if timeline is None:
        raise TimelineError(
            f"{source.name} holds no timeline; export a sequence or timeline, not a bin or clip."
        )
    timeline = fcpxml.restore_rates(timeline, rates)
    if suffix == "fcpxml":
        fcpxml_write.restore_metadata(timeline, _text(source))
    if suffix == "edl":
        edl.offset_to_global_start(timeline)
        edl.remember_fcm(timeline, _text(source))
        sidecar.apply_sidecar(timeline, source)
    elif rate is not None:
        _check_own_rate(timeline, source, parse_rate(rate))
    if suffix == "xml":
        fcp7.after_reading(timeline)
    if suffix == "kdenlive":
        kdenlive.mark_generators(timeline, _text(source))
        kdenlive_write.restore_metadata(timeline, _text(source))
    base = source if source.is_dir() else source.parent
    relink(timeline, wanted.relink_dirs, base_dir=base.absolute(), report=wanted.report)
    return timeline


def write_timeline(
    timeline: Any,
    path: Path | str,
    *,
    overwrite: bool = False,
    adapter: str | None = None,
    source: Path | str | None = None,
) -> Path:
    """Write ``timeline`` to the NEW file ``path`` atomically; returns the absolute path.

    The adapter is chosen from the extension unless ``adapter`` names one. ``source`` is the
    timeline file it was read from: writing onto it is refused (ConfigError), as is an existing
    output without ``overwrite`` and a missing folder. The caller's timeline is not modified
    (formats that need reshaping, like EDL, get a copy). Adapter failures become TimelineError.
    Media paths are written as they are: relative ones stay relative, so keep the output in
    the input's folder (as :func:`default_output_path` does). When a new version of a source
    timeline goes through an adapter that drops some of it (counted by reading it back), the
    user is told what (through the reading options' reporter) and the full timeline is also
    written beside it as ``<file name>.otio`` (``cut.stillmotion.edl.otio``).
    """
    target = Path(path).expanduser()
    suffix = _suffix(target)
    if adapter is None and suffix not in writable_suffixes():
        raise TimelineError(
            f"stillmotion cannot write a timeline named {target.name}; use an extension such as "
            f"{_COMMON}."
        )
    adapter_name = adapter or str(otio.adapters.from_filepath(str(target)).name)
    if adapter_name not in otio.adapters.available_adapter_names():
        raise ConfigError(f"There is no OTIO adapter named '{adapter_name}'; check the name.")
    inputs = [Path(source).expanduser()] if source is not None else []
    final = check_output(target, inputs=inputs, overwrite=overwrite)
    prepared = _prepared_for(timeline, adapter_name)
    remove_partials(final)  # a run killed mid-write (then resumed) leaves its temp sibling
    if adapter is None and _in_place(suffix, inputs):
        with atomic_path(final) as temp:
            _edit_in_place(timeline, suffix, inputs[0], temp)
        return final
    with atomic_path(final) as temp:
        try:
            with _quiet():
                otio.adapters.write_to_file(prepared, str(temp), adapter_name=adapter_name)
        except Exception as exc:
            raise TimelineError(
                f"Could not write {final.name} as {format_name(final)} ({_reason(exc)}); write "
                "an .otio file instead."
            ) from exc
        if not temp.exists():
            raise TimelineError(
                f"The {format_name(final)} writer produced no file for {final.name}; write an "
                ".otio file instead."
            )
        if suffix == "kdenlive":
            kdenlive_write.store_metadata(timeline, temp)
        if adapter_name == "cmx_3600":
            edl.finish_written(temp, edl.remembered_fcm(timeline),
                               TimeBase.of(prepared).otio_rate)
        dropped = _dropped(prepared, temp, adapter_name) \
            if inputs and adapter_name != "otio_json" else []
        companion = final.with_name(f"{final.name}.otio")   # cut.edl -> cut.edl.otio
        if dropped:
            check_output(companion, inputs=inputs, overwrite=overwrite)
        if suffix == "fcpxml":  # after counting: our marker gives way to our metadata
            fcpxml_write.finish_adapted(timeline, temp)
    if dropped:
        write_timeline(timeline, companion, overwrite=overwrite, source=inputs[0])
        _say(f"{final.name} is written as {format_name(final)}, which drops "
             f"{', '.join(dropped)} of this timeline; the full timeline is in {companion.name}.")
    if suffix in SIDECAR_FORMATS:
        sidecar.write_sidecar(timeline, final)
    return final


def _check_own_rate(timeline: Any, source: Path, wanted: Fraction) -> None:
    """Refuse a ``--rate`` that differs from the rate a non-EDL timeline carries."""
    try:
        own = TimeBase.of(timeline).rate
    except TimelineError:   # no clips: no rate to disagree with
        return
    if own != wanted:
        raise ConfigError(
            f"--rate {rate_text(wanted)} does not match {source.name} ({format_name(source)}), "
            f"which carries its own rate of {rate_text(own)} fps; leave --rate out (it is for "
            "EDLs).")


def _dropped(prepared: Any, written: Path, adapter_name: str) -> list[str]:
    """What the adapter-written file lacks of ``prepared`` (see :mod:`losses`); [] when the
    file cannot be read back to tell."""
    options: dict[str, Any] = {}
    if adapter_name == "cmx_3600":
        options["rate"] = float(TimeBase.of(prepared).rate)
    try:
        with _quiet():
            if adapter_name == "fcpx_xml":
                text, rates = fcpxml.prepared(_text(written), written.name)
                back = fcpxml.restore_rates(
                    otio.adapters.read_from_string(text, adapter_name=adapter_name), rates)
            elif adapter_name == "cmx_3600":
                back = otio.adapters.read_from_string(edl.readable(_text(written)),
                                                      adapter_name=adapter_name, **options)
            else:
                back = otio.adapters.read_from_file(str(written), adapter_name=adapter_name,
                                                    **options)
    except Exception:  # an adapter that cannot read its own output: nothing to compare
        return []
    reread = _first_timeline(back)
    if reread is None:
        return []
    return losses.lost(losses.inventory(prepared), losses.inventory(reread))


def _say(sentence: str) -> None:
    report = current_options().report
    if report is not None:
        report(sentence)


def _in_place(suffix: str, inputs: list[Path]) -> bool:
    """True when the new file is written by editing its input (same format, one we edit)."""
    return suffix in ("kdenlive", "fcpxml") and bool(inputs) and \
        _suffix(inputs[0]) == suffix and inputs[0].is_file()


def _edit_in_place(timeline: Any, suffix: str, source: Path, temp: Path) -> None:
    writer = kdenlive_write if suffix == "kdenlive" else fcpxml_write
    try:
        writer.write_in_place(timeline, source, temp)
    except (OSError, ET.ParseError) as exc:
        raise TimelineError(
            f"Could not edit {source.name} into {format_name(source)} ({_reason(exc)}); write "
            "an .otio file instead."
        ) from exc


def _suffix(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise TimelineError(f"The timeline {path} cannot be opened ({exc.strerror}).") from exc


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow what adapters print (the Kdenlive one prints a banner to stdout)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _reason(exc: BaseException) -> str:
    """The first line of an adapter's error, short and without inner or trailing periods."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = (lines[0] if lines else type(exc).__name__).replace(". ", "; ")
    if len(text) > _MAX_REASON:
        text = text[: _MAX_REASON - 1] + "…"
    return text.rstrip(".")


def _first_timeline(result: Any) -> Any:
    if isinstance(result, otio.schema.Timeline):
        return result
    if isinstance(result, otio.schema.SerializableCollection):
        for child in result:
            found = _first_timeline(child)
            if found is not None:
                return found
    return None


def _prepared_for(timeline: Any, adapter_name: str) -> Any:
    """The object to hand to the adapter: the timeline itself, or a reshaped copy."""
    if adapter_name == "cmx_3600":
        return edl.ready_to_write(timeline)
    if adapter_name == "fcp_xml":
        return fcp7.before_writing(timeline)
    return timeline
