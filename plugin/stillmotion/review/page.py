"""Render a review as one static HTML page: shots in rows, their takes side by side.

Why every value goes through :func:`esc`: prompts, metadata and file names are user text and
may hold ``<script>`` or quotes; they are escaped for text and attributes alike (``html.escape``
with quotes), and file links are relative, percent-encoded URLs from the page's folder, so the
page and its ``review_assets/`` folder work from any disk with no server and no network.
Images load lazily and videos only on Play, so hundreds of takes stay light.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from stillmotion.errors import ConfigError
from stillmotion.jobs.cost import format_money
from stillmotion.prompt import lint
from stillmotion.review.assets import ReviewAssets, TakeAssets
from stillmotion.review.credentials_view import credentials_badge, credentials_chain
from stillmotion.review.model import Review, Shot, Take
from stillmotion.review.static import CONTENT_SECURITY_POLICY, SCRIPT, STYLE


def esc(value: object) -> str:
    """Text safe inside HTML text and inside double- or single-quoted attributes."""
    return html.escape(str(value), quote=True)


def href(path: Path, page_dir: Path) -> str:
    """A URL for ``path`` relative to the page's folder (a file: URL across drives)."""
    target = path.absolute()
    try:
        relative = os.path.relpath(target, page_dir.absolute())
    except ValueError:
        return target.as_uri()
    return quote(PurePath(relative).as_posix(), safe="/")


def money(amount: Decimal | None, currency: str) -> str:
    """``$0.80`` for dollars, ``0.8 EUR`` otherwise, ``unknown`` without an estimate."""
    if amount is None:
        return "unknown"
    if currency.upper() == "USD":
        return format_money(amount)
    return f"{amount.normalize():f} {currency}"


def render_page(review: Review, assets: ReviewAssets, page_dir: Path, *,
                generated_at: str) -> str:
    """The whole page as text; ``page_dir`` is where it will be written (links are relative)."""
    shots = "\n".join(_shot(index, shot, assets, page_dir)
                      for index, shot in enumerate(review.shots, start=1))
    if not review.shots:
        shots = "<p>No generated takes were found.</p>"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{esc(CONTENT_SECURITY_POLICY)}">
<meta name="generator" content="stillmotion review">
<title>{esc(review.title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header class="page">
<h1>{esc(review.title)}</h1>
<p class="origin">From {esc(review.origin)}</p>
<p class="summary">{esc(_summary(review, generated_at))}</p>
{_notes(review.notes)}
</header>
<main>
{shots}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _summary(review: Review, generated_at: str) -> str:
    totals: dict[str, Decimal] = {}
    unknown = 0
    for shot in review.shots:
        for take in shot.takes:
            if take.cost_estimate is None:
                unknown += 1
            else:
                totals[take.currency] = totals.get(take.currency, Decimal(0)) + take.cost_estimate
    cost = " + ".join(money(amount, currency) for currency, amount in sorted(totals.items()))
    cost = f"{cost or 'no'} estimated" + (f" ({unknown} takes without an estimate)"
                                          if unknown and totals else "")
    shots, takes = len(review.shots), review.take_count
    return (f"{shots} shot{'s' if shots != 1 else ''} · {takes} take{'s' if takes != 1 else ''}"
            f" · {cost} · made {generated_at}")


def _shot(index: int, shot: Shot, assets: ReviewAssets, page_dir: Path) -> str:
    still = assets.stills.get(shot.key)
    figure = ""
    if still is not None:
        alt = esc("Source still of " + shot.title)
        figure = (f'<figure class="source"><img loading="lazy" decoding="async" '
                  f'src="{esc(href(still, page_dir))}" alt="{alt}">'
                  f'<figcaption>Source still</figcaption></figure>')
    shown = next((t for t in shot.takes if t.in_use), None)
    using = ""
    if shown is not None and shown.number is not None:
        using = f'<p class="in-use">The timeline shows take {shown.number}.</p>'
    takes = "\n".join(_take(shot, take, assets.takes.get((shot.key, position), TakeAssets()),
                            page_dir)
                      for position, take in enumerate(shot.takes))
    timecode = f' <span class="tc">{esc(shot.record_timecode)}</span>' \
        if shot.record_timecode else ""
    label = f'<p class="source-label">{esc(shot.source_label)}</p>' if shot.source_label else ""
    return f"""<section class="shot" id="shot-{index}" data-shot="{esc(shot.key)}">
<header class="shot-head">{figure}<div>
<h2>{esc(shot.title)}{timecode}</h2>
{label}{using}{_notes(shot.notes)}
</div></header>
<div class="takes">
{takes}
</div>
</section>"""


def _take(shot: Shot, take: Take, assets: TakeAssets, page_dir: Path) -> str:
    name = f"Take {take.number}" if take.number is not None else "Take (unnumbered)"
    badges = []
    if take.in_use:
        badges.append('<span class="badge use">On the timeline</span>')
    if take.preview:
        badges.append('<span class="badge preview">Preview</span>')
    badges.append(credentials_badge(take))
    classes = "take in-use" if take.in_use else "take"
    number = "" if take.number is None else str(take.number)
    prompt = f'<p class="prompt">{esc(take.prompt)}</p>' if take.prompt else \
        '<p class="prompt"><em>Prompt unknown</em></p>'
    problems = [*assets.problems]
    return f"""<article class="{classes}" data-job="{esc(take.job_id)}" data-take="{esc(number)}">
{_media(name, assets, page_dir)}
<h3>{esc(name)} {" ".join(badges)}</h3>
{prompt}{_lint(take)}
{_facts(take, page_dir)}{credentials_chain(take)}
<p class="plays">{esc(assets.play_note)}</p>
{_switch(shot, take)}{_notes(take.notes, problems)}
</article>"""


def _media(name: str, assets: TakeAssets, page_dir: Path) -> str:
    parts = []
    if assets.thumbnail is not None:
        sprite = assets.sprite
        data = ""
        if sprite is not None:
            data = (f' data-sprite="{esc(href(sprite.path, page_dir))}"'
                    f' data-columns="{sprite.columns}" data-rows="{sprite.rows}"'
                    f' data-tiles="{sprite.tiles}" data-tile-width="{sprite.tile_width}"'
                    f' data-tile-height="{sprite.tile_height}" data-padding="{sprite.padding}"')
        parts.append(f'<div class="scrub"{data}><img loading="lazy" decoding="async" '
                     f'src="{esc(href(assets.thumbnail, page_dir))}" '
                     f'alt="{esc(name + " thumbnail")}"></div>')
    elif assets.play is None:
        parts.append('<div class="empty">No picture</div>')
    if assets.play is not None:
        hidden = " hidden" if assets.thumbnail is not None else ""
        if hidden:
            parts.append(f'<button type="button" class="play" '
                         f'aria-label="{esc("Play " + name)}">&#9654; Play</button>')
        parts.append(f'<video controls preload="none" playsinline{hidden} '
                     f'src="{esc(href(assets.play, page_dir))}"></video>')
    return f'<div class="media">{"".join(parts)}</div>'


def _lint(take: Take) -> str:
    if not take.prompt or not take.seconds:
        return ""
    try:
        found = [(w.code, w.message) for w in lint(take.prompt, Fraction(take.seconds))]
    except ConfigError as exc:
        found = [("invalid", exc.message)]
    if not found:
        return ""
    items = "".join(f"<li><code>{esc(code)}</code> {esc(message)}</li>" for code, message in found)
    return f'<ul class="lint" aria-label="Prompt warnings">{items}</ul>'


def _facts(take: Take, page_dir: Path) -> str:
    rows: list[tuple[str, str]] = [
        ("Provider", esc(take.provider or "unknown")),
        ("Model", esc(take.model or "unknown")),
        ("Seconds", esc(_number(take.seconds))),
        ("Size", esc(take.size or "unknown")),
        ("Cost", esc(money(take.cost_estimate, take.currency) + (
            " (estimate)" if take.cost_estimate is not None else ""))),
        ("Job", f"<code>{esc(take.job_id or 'unknown')}</code>"),
    ]
    if take.remote_id:
        rows.append(("Remote id", f"<code>{esc(take.remote_id)}</code>"))
    rows.append(("Preview", esc({True: "yes (local preview render)", False: "no",
                                 None: "unknown"}[take.preview])))
    rows.append(("Provenance", esc("; ".join(provenance_lines(take.provenance)) or "unknown")))
    if take.created_at:
        rows.append(("Made", esc(when(take.created_at))))
    if take.state:
        rows.append(("State", esc(take.state)))
    files = [_link(label, path, page_dir) for label, path in (
        ("conformed", take.conformed), ("original", take.original)) if path is not None]
    if files:
        rows.append(("Files", " · ".join(files)))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<dl class="facts">{body}</dl>'


def provenance_lines(provenance: Mapping[str, Any]) -> list[str]:
    """Provenance facts as short sentences (C2PA manifest, preview mark, encoder, others)."""
    lines = []
    rest = dict(provenance)
    if "c2pa" in rest:
        found = rest.pop("credentials", None) or {}
        for stale in ("manifest_store", "c2pa_manifest"):  # a path; the pre-c2pa-python summary
            rest.pop(stale, None)
        if rest.pop("c2pa"):
            parts = [f"download's C2PA credentials {found.get('status', 'present')}"]
            if found.get("signer"):
                parts.append(f"signed by {found['signer']}")
            if found.get("ai_generator"):
                parts.append(f"AI source declared by {found['ai_generator']}")
            lines.append(", ".join(parts))
        else:
            lines.append("no C2PA manifest in the download")
    if rest.pop("preview", None):
        lines.append("rendered by the local preview engine")
    encoder = rest.pop("encoder", None)
    if encoder:
        lines.append(f"encoder {encoder}")
    lines += [f"{key}: {json.dumps(value, default=str)[:200]}" for key, value in rest.items()
              if value not in (None, "", [], {})]
    return lines


def _switch(shot: Shot, take: Take) -> str:
    if shot.switch is None or take.number is None or take.in_use:
        return ""
    command = shot.switch.for_take(take.number)
    return (f'<div class="switch"><code>{esc(command)}</code>'
            f'<button type="button" class="copy" data-command="{esc(command)}">Copy</button>'
            f'</div>')


def _link(label: str, path: Path, page_dir: Path) -> str:
    missing = "" if path.is_file() else " (missing)"
    return (f'<a href="{esc(href(path, page_dir))}" title="{esc(path)}">{esc(label)}</a> '
            f'<code>{esc(path.suffix)}</code>{missing}')


def _notes(notes: Iterable[str], problems: Iterable[str] = ()) -> str:
    items = [f"<li>{esc(note)}</li>" for note in notes]
    items += [f'<li class="problem">{esc(problem)}</li>' for problem in problems]
    return f'<ul class="notes">{"".join(items)}</ul>' if items else ""


def when(text: str) -> str:
    """An ISO 8601 time as 'YYYY-MM-DD HH:MM:SS UTC' (text that is not one is kept as is)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo else "")


def _number(value: float | None) -> str:
    if value is None:
        return "unknown"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
