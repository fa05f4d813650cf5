"""The server's durable state: jobs, characters and uploaded files in SQLite, media in folders.

Why SQLite plus an in-memory copy: a ``--data-dir`` server must survive a restart with its jobs
and downloads intact, while polling (the bulk of the traffic) must not touch the disk; every
change is written through, every read is served from memory. Layout under the root::

    jobs.sqlite3                  videos, characters, files (one JSON document per row)
    videos/<id>/video.mp4         the render; thumbnail.webp, spritesheet.jpg made on demand
    videos/<id>/reference.<ext>   the input_reference image; source.mp4 an uploaded video
    videos/<id>/last_reference.<ext>  the still the render ends on, when one was sent
    characters/<id>.mp4, files/<id>
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stillmotion.errors import ConfigError

QUEUED = "queued"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
FAILED = "failed"
TERMINAL = frozenset({COMPLETED, FAILED})


@dataclass
class JobRecord:
    """One video job, public fields first, then what the worker needs to render it.

    ``seconds`` is the length of the result (the stitched total for an extension);
    ``segment_seconds`` is what the renderer must produce (the new part for an extension).
    ``image``/``last_image``/``source_video`` are paths relative to the store root;
    ``last_image`` is the still the render must end on (first+last frame requests).
    ``sound`` False: the request asked for no sound, so the render has no audio stream
    (:mod:`stillmotion.server.sound`).
    """

    id: str
    seq: int
    created_at: int
    model: str
    prompt: str
    size: str
    seconds: str
    status: str = QUEUED
    progress: int = 0
    completed_at: int | None = None
    expires_at: int | None = None
    remixed_from_video_id: str | None = None
    error: dict[str, str] | None = None
    kind: str = "create"
    image: str | None = None
    last_image: str | None = None
    source_id: str | None = None
    source_video: str | None = None
    segment_seconds: int = 0
    extensions: int = 0
    sound: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """The Video object exactly as the original spells it (every key present)."""
        return {
            "id": self.id, "object": "video", "model": self.model, "status": self.status,
            "progress": self.progress, "created_at": self.created_at,
            "completed_at": self.completed_at, "expires_at": self.expires_at,
            "prompt": self.prompt, "size": self.size, "seconds": self.seconds,
            "remixed_from_video_id": self.remixed_from_video_id, "error": self.error,
        }


_FIELDS = {f.name for f in dataclasses.fields(JobRecord)}


class Store:
    """Jobs, characters and files under ``root``; safe to use from several threads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(root / "jobs.sqlite3"), check_same_thread=False,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for table in ("videos", "characters", "files"):
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                                 "(id TEXT PRIMARY KEY, seq INTEGER, body TEXT NOT NULL)")
            rows = self._db.execute("SELECT body FROM videos ORDER BY seq").fetchall()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"The server data folder {root} cannot be used ({exc}); choose "
                              "another --data-dir.") from exc
        self._lock = threading.Lock()
        self._jobs: dict[str, JobRecord] = {}
        for (body,) in rows:
            data = json.loads(body)
            record = JobRecord(**{k: v for k, v in data.items() if k in _FIELDS})
            self._jobs[record.id] = record
        self._seq = max((r.seq for r in self._jobs.values()), default=0)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def job_dir(self, job_id: str) -> Path:
        """The folder of one job's files (created on demand)."""
        folder = self.root / "videos" / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def path(self, relative: str) -> Path:
        """An absolute path for a path stored relative to the root."""
        return self.root / relative

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, as stored in a record."""
        return path.relative_to(self.root).as_posix()

    def next_seq(self) -> int:
        """A new creation sequence number (orders the list with equal ``created_at``)."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, record: JobRecord) -> JobRecord:
        """Store a new job."""
        with self._lock:
            self._jobs[record.id] = dataclasses.replace(record)
            self._write(record)
        return dataclasses.replace(record)

    def get(self, job_id: str) -> JobRecord | None:
        """A copy of the job, or None."""
        with self._lock:
            found = self._jobs.get(job_id)
            return dataclasses.replace(found) if found is not None else None

    def update(self, job_id: str, **changes: Any) -> JobRecord | None:
        """Apply ``changes`` and write them through; None if the job is gone (deleted)."""
        with self._lock:
            found = self._jobs.get(job_id)
            if found is None:
                return None
            updated = dataclasses.replace(found, **changes)
            self._jobs[job_id] = updated
            self._write(updated)
            return dataclasses.replace(updated)

    def remove(self, job_id: str) -> None:
        """Forget the job and delete its files."""
        with self._lock:
            self._jobs.pop(job_id, None)
            self._db.execute("DELETE FROM videos WHERE id = ?", (job_id,))
        shutil.rmtree(self.root / "videos" / job_id, ignore_errors=True)

    def jobs(self) -> list[JobRecord]:
        """Copies of every job, oldest first."""
        with self._lock:
            return [dataclasses.replace(r) for r in sorted(self._jobs.values(),
                                                           key=lambda r: r.seq)]

    def _write(self, record: JobRecord) -> None:
        self._db.execute("INSERT OR REPLACE INTO videos (id, seq, body) VALUES (?, ?, ?)",
                         (record.id, record.seq, json.dumps(asdict(record))))

    def put_object(self, table: str, ident: str, body: dict[str, Any]) -> None:
        """Store a character or file document (``table`` is ``characters`` or ``files``)."""
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO {_table(table)} (id, seq, body) "
                             "VALUES (?, 0, ?)", (ident, json.dumps(body)))

    def get_object(self, table: str, ident: str) -> dict[str, Any] | None:
        """A character or file document, or None."""
        with self._lock:
            row = self._db.execute(f"SELECT body FROM {_table(table)} WHERE id = ?",
                                   (ident,)).fetchone()
        if row is None:
            return None
        loaded: dict[str, Any] = json.loads(row[0])
        return loaded


def _table(name: str) -> str:
    if name not in ("characters", "files"):
        raise ValueError(f"unknown table {name}")
    return name
