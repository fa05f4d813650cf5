"""The review page's inline stylesheet and script (the page loads nothing from anywhere else).

Why constants with hashes: the page's Content-Security-Policy allows exactly these two blocks
by their SHA-256, so even a string that escaped escaping could not run as script; the script
only reads ``data-`` attributes, which :mod:`stillmotion.review.page` fills with escaped text.
"""

from __future__ import annotations

import base64
import hashlib

STYLE = """
:root { color-scheme: dark; --bg: #16181c; --card: #20242a; --line: #343a43; --text: #e6e8eb;
  --dim: #9aa3ad; --accent: #4fb3ff; --use: #5ad08a; --warn: #f0b54a; --bad: #ff7a6b; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header.page { padding: 20px 28px 12px; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { margin: 0 0 4px; font-size: 18px; }
h3 { margin: 8px 0 4px; font-size: 15px; display: flex; gap: 6px; align-items: center;
  flex-wrap: wrap; }
.origin, .summary, .source-label, .plays { color: var(--dim); margin: 2px 0;
  overflow-wrap: anywhere; }
main { padding: 8px 28px 40px; }
section.shot { border-bottom: 1px solid var(--line); padding: 18px 0; }
.shot-head { display: flex; gap: 16px; align-items: flex-start; margin-bottom: 12px; }
figure.source { margin: 0; width: 200px; flex: none; }
figure.source img { width: 100%; height: auto; display: block; border-radius: 4px; }
figure.source figcaption { color: var(--dim); font-size: 12px; }
.tc { color: var(--accent); font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 15px; margin-left: 8px; }
.takes { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
article.take { width: 340px; background: var(--card); border: 2px solid var(--line);
  border-radius: 6px; padding: 10px; }
article.take.in-use { border-color: var(--use); }
.media { position: relative; background: #000; border-radius: 4px; overflow: hidden;
  aspect-ratio: 16 / 9; }
.media img, .media video { width: 100%; height: 100%; display: block; object-fit: contain; }
.scrub { width: 100%; height: 100%; background-repeat: no-repeat; }
.scrub.scrubbing img { visibility: hidden; }
.media .empty { color: var(--dim); padding: 40px 12px; text-align: center; }
button { font: inherit; color: var(--text); background: #2d333b; border: 1px solid var(--line);
  border-radius: 4px; padding: 2px 10px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button.play { position: absolute; left: 8px; bottom: 8px; background: rgba(0, 0, 0, .65); }
.media.playing .scrub, .media.playing button.play { display: none; }
.badge { font-size: 11px; font-weight: 600; border-radius: 3px; padding: 1px 6px;
  background: #2d333b; color: var(--dim); }
.badge.use { background: var(--use); color: #08210f; }
.badge.preview { background: var(--warn); color: #2a1d00; }
.badge.cr { background: #dfe7f5; color: #14233d; }
.badge.cr-valid { background: var(--use); color: #08210f; }
.badge.cr-tampered { background: #b3261e; color: #fff; }
.chain { font-size: 12px; margin: 4px 0; }
.chain ol { margin: 4px 0; padding-left: 18px; }
.prompt { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
ul.lint, ul.notes { margin: 4px 0; padding-left: 18px; }
ul.lint li { color: var(--warn); }
ul.notes li { color: var(--dim); }
ul.notes li.problem { color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 6px 0;
  font-size: 13px; }
dl.facts dt { color: var(--dim); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.switch { display: flex; gap: 6px; align-items: flex-start; margin-top: 6px; }
.switch code { flex: 1; background: #111316; border: 1px solid var(--line); border-radius: 4px;
  padding: 4px 6px; overflow-wrap: anywhere; user-select: all; }
a { color: var(--accent); }
"""

SCRIPT = """
(function () {
  "use strict";
  function showTile(box, event) {
    var d = box.dataset;
    var rect = box.getBoundingClientRect();
    if (!rect.width) { return; }
    var tiles = Number(d.tiles), columns = Number(d.columns);
    var width = Number(d.tileWidth), height = Number(d.tileHeight), pad = Number(d.padding);
    var share = Math.min(0.9999, Math.max(0, (event.clientX - rect.left) / rect.width));
    var index = Math.floor(share * tiles);
    var scale = rect.width / width;
    if (!box.classList.contains("loaded")) {
      box.style.backgroundImage = "url(\\"" + d.sprite + "\\")";
      box.classList.add("loaded");
    }
    box.style.backgroundSize = ((columns * width + (columns - 1) * pad) * scale) + "px auto";
    box.style.backgroundPosition = (-(index % columns) * (width + pad) * scale) + "px " +
      (-Math.floor(index / columns) * (height + pad) * scale) + "px";
    box.classList.add("scrubbing");
  }
  document.querySelectorAll(".scrub[data-sprite]").forEach(function (box) {
    box.addEventListener("pointermove", function (event) { showTile(box, event); });
    box.addEventListener("pointerleave", function () { box.classList.remove("scrubbing"); });
  });
  function play(button) {
    var media = button.closest(".media");
    var video = media.querySelector("video");
    media.classList.add("playing");
    video.hidden = false;
    var started = video.play();
    if (started && started.catch) { started.catch(function () { video.controls = true; }); }
  }
  function copy(button) {
    var code = button.parentNode.querySelector("code");
    var text = button.dataset.command;
    function done(word) {
      button.textContent = word;
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    }
    function bySelection() {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      done(copied ? "Copied" : "Selected");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done("Copied"); }, bySelection);
    } else {
      bySelection();
    }
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var button = target.closest("button.play");
    if (button) { play(button); return; }
    button = target.closest("button.copy");
    if (button) { copy(button); }
  });
})();
"""


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly the inline block ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; media-src 'self'; "
    f"style-src {csp_hash(STYLE)}; script-src {csp_hash(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)
