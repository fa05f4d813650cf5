"""Make FCPXML readable by the installed otio-fcpx-xml-adapter: media-rep paths and NTSC rates.

Why: the adapter reads an asset's file only from ``<asset src=…>`` (FCPXML ≤ 1.8), while
Resolve and FCP 1.9+ write ``<asset><media-rep kind="original-media" src=…/></asset>``, so
every clip read as offline. And it counts frames at ``int(rate)``, truncating 23.976 to 23,
which misplaced every clip of an NTSC project.

The document text is prepared before the adapter sees it:

- an asset without ``src`` takes the ``src`` of its original-media ``media-rep`` (else the first
  one);
- when every ``<format>`` is NTSC (frameDuration ``1001/N``), every time (``offset``,
  ``start``, ``duration``, ``tcStart`` …) is multiplied by 1000/1001 and each frameDuration
  becomes ``1/nominal``: frame k of 23.976 becomes frame k of 24, exactly, plus a tenth of a
  frame so the adapter's float truncation cannot land on k-1 (whole rates get that tenth
  too: 180001/5 s at 25 fps would count 900004). :func:`ntsc_rates` returns the
  nominal-to-true rate map, and :func:`restore_rates` puts the true rates back on every time of
  the read timeline. A document mixing NTSC and integer rates is refused (no single mapping).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import opentimelineio as otio

from stillmotion.errors import TimelineError

_TIME_ATTRIBUTES = ("offset", "start", "duration", "tcStart")
_TIME = re.compile(r"^\s*(-?\d+)(?:/(\d+))?s\s*$")
_NTSC = Fraction(1000, 1001)


def prepared(text: str, name: str) -> tuple[str, dict[float, float]]:
    """(document text for the adapter, nominal rate -> true rate for :func:`restore_rates`)."""
    root = ET.fromstring(text)  # a ParseError is worded by read_timeline like any adapter's
    _media_rep_sources(root)
    rates = _ntsc_to_nominal(root, name)
    return ET.tostring(root, encoding="unicode"), rates


def restore_rates(timeline: Any, rates: dict[float, float]) -> Any:
    """``timeline`` with every time at a nominal rate in ``rates`` relabelled at the true rate."""
    if not rates:
        return timeline
    tree = json.loads(otio.adapters.write_to_string(timeline, adapter_name="otio_json"))
    for node in _dicts(tree):
        if str(node.get("OTIO_SCHEMA", "")).startswith("RationalTime"):
            node["rate"] = rates.get(float(node["rate"]), node["rate"])
    return otio.adapters.read_from_string(json.dumps(tree), adapter_name="otio_json")


def _dicts(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _dicts(value)


def _media_rep_sources(root: ET.Element) -> None:
    for asset in root.iter("asset"):
        if asset.get("src"):
            continue
        reps = [rep for rep in asset.iter("media-rep") if rep.get("src")]
        original = [rep for rep in reps if rep.get("kind") == "original-media"]
        chosen = (original or reps)[:1]
        if chosen:
            asset.set("src", str(chosen[0].get("src")))


def _ntsc_to_nominal(root: ET.Element, name: str) -> dict[float, float]:
    found = [_seconds(f.get("frameDuration", "")) for f in root.iter("format")]
    durations = [d for d in found if d]
    ntsc = [d for d in durations if d.numerator % 1001 == 0 and 1 / d != int(1 / d)]
    if not ntsc:
        if durations:
            _nudge(root, Fraction(1), max(round(1 / d) for d in durations))
        return {}
    if len(ntsc) != len(durations):
        raise TimelineError(
            f"{name} mixes NTSC (23.976/29.97/59.94) and whole frame rates, which the FCPXML "
            "reader cannot map; export FCP 7 XML, OTIO or an EDL instead."
        )
    rates: dict[float, float] = {}
    for element in root.iter("format"):
        duration = _seconds(element.get("frameDuration", ""))
        if duration:
            nominal = round(1 / (duration * _NTSC))
            element.set("frameDuration", f"1/{nominal}s")
            rates[float(nominal)] = float(Fraction(nominal) * _NTSC)
    _nudge(root, _NTSC, round(max(rates)))
    return rates


def _nudge(root: ET.Element, scale: Fraction, fastest: int) -> None:
    """Every non-zero time times ``scale``, plus a tenth of a frame of the fastest rate: the
    adapter counts frames as ``int(float(a) / float(b) * fps)``, and 180001/5 s at 25 fps
    (frame 900005) comes out 900004.99999… and truncates to the frame before."""
    for element in root.iter():
        for attribute in _TIME_ATTRIBUTES:
            value = _seconds(element.get(attribute, ""))
            if value is not None and value != 0:
                nudged = value * scale + Fraction(1, 10 * fastest)
                element.set(attribute, f"{nudged.numerator}/{nudged.denominator}s")


def _seconds(text: str) -> Fraction | None:
    match = _TIME.match(text or "")
    if not match:
        return None
    return Fraction(int(match.group(1)), int(match.group(2) or 1))
