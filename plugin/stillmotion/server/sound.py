"""Whether a job of ``stillmotion serve`` renders with sound: the vendors' sound switches.

Why one module: the server is the test double of every vendor, so a request that asks a vendor
for no sound must come back as that vendor's would, or our client and our double drift apart
(``--no-audio`` placing a tone it never asked for). Each dialect reads its own switch where it
parses its create body and hands the answer (``sound=True/False``) to
:func:`stillmotion.server.dialects.create_job`; the service records it on the job
(``JobRecord.sound``) and the worker renders with or without the sound bed. What each vendor
documents (read 2026-12-06):

- ``/v1/videos`` (OpenAI, gateways): no sound field exists; Sora 2 clips always have sound.
  Our own ``preview`` provider asks for none with the :data:`SOUND_HEADER` request header
  (a header, so the body stays exactly OpenAI's and a gateway ignores it).
- Veo on the Gemini API: ``generateAudio`` is refused ("generateAudio parameter is not
  supported in Gemini API", googleapis/js-genai#1017); Veo 3.x always makes sound, Veo 2 none.
- Runway: ``gen4.5`` and ``gen4_turbo`` make no sound; ``veo3.1``/``veo3.1_fast`` take
  ``audio`` ("Whether to generate audio for the video", runwayml/sdk-python
  ``image_to_video_create_params.py``), Veo's default being sound.
- fal: ``generate_audio`` where the model page lists it, default true (Kling v2.6/v3 pro,
  Seedance 2, Veo 3.1, LTX-2); the other models (Kling v2.1, Wan 2.7 on fal) make no sound.
- Kling: ``sound`` "on"/"off" (mirrors of Kling's reference, e.g. docs.fast-token.com; none
  retrieved states the default, taken as "off"); ``kling-v2-6`` sounds in pro mode only (std:
  "720P, silent video only", docs.apimart.ai).
- Seedance (ModelArk): ``generate_audio``, default true. Wan (DashScope): ``parameters.audio``,
  default true. OpenRouter: ``generate_audio``, default the model's catalogue ``generate_audio``.

None of these pages says whether a clip made without sound carries a muted track or no audio
stream; the server renders none, the stricter case for our client (the conform adds silent
stereo, and :func:`stillmotion.media.sound.file_has_sound` says "no sound" either way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stillmotion.api.params import SOUND_HEADER


def sound_switch(fields: Mapping[str, Any], name: str, *, default: bool) -> bool:
    """A vendor's boolean sound switch ``fields[name]`` when the request set it (the dialect
    has refused any other type), else the vendor's documented ``default``."""
    value = fields.get(name)
    return value if isinstance(value, bool) else default


def header_wants_sound(headers: Mapping[str, str]) -> bool:
    """Whether a ``/v1/videos`` create keeps its sound: anything but :data:`SOUND_HEADER`
    ``off``."""
    return headers.get(SOUND_HEADER, "").strip().lower() != "off"
