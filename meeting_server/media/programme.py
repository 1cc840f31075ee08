"""The meeting as the wall displays showed it, in one MP4, composed after the meeting from its recordings.

Never on the live path: `compose()` is blocking (it runs `ffmpeg` as a `nice`d subprocess) and is called in a
thread (`meeting_server/programmes.py`), one composition at a time in the whole machine (a lock file), with a
timeout. Its inputs:

- the per-participant files of every recording of the meeting (`Settings.recordings_dir/<meeting>/<recording>/`,
  media/recording.py): each starts at the wall-clock time in its `creation_time` and lasts as its packets say;
- the `Timeline` replayed from the meeting's log (domain/programme.py): scenes (main site, the chair's inset, the
  speaker's lower third, the heading at the top) and chapters, with their wall-clock times.

**The picture.** A canvas (default 1280x720, 25 fps) in a neutral slate colour. For every scene the main site's
name is written on the slate, and the main site's video is laid over it full frame; where that site has no
recording at that moment (it joined late, dropped, was not recorded) the slate with its name shows through. The
chair's inset (its own camera if recorded, else the host hall, never the main site itself) sits in the top right
corner, again over a small slate with its name. A lower third carries the speaker's name and site while someone
has the floor, a band at the top the heading. Text is drawn by `drawtext` from UTF-8 text files
(`textfile=`, `expansion=none`: no escaping of Vietnamese or of `%`, `:` and quotes) in Noto Sans.

**The sound is a mix of every recorded participant's audio**, not the main site's alone: the halls heard the main
site, the chair and whoever else spoke (the SFU forwards the loudest few), and a delegate given the floor from a
hall that was not made main would otherwise be silent in the programme. A muted participant's sound is never
recorded (media/streams.py drops it before the recorder), so the mix obeys the chair's mutes as the halls did.

**Several recordings** (recording stopped and started again) are parts laid end to end: the programme skips the
time between them rather than showing an hour of slate. **Chapters** (ffmetadata) start at each heading change
inside the recorded span; `ffprobe -show_chapters` lists them.

**Idempotent**: the inputs' hash (every file's name, size and mtime, the timeline, the canvas and this module's
`VERSION`) is written beside the file (`programme.json`); unchanged inputs give the existing file back. The file
is written under a temporary name and renamed, so a failure or a timeout leaves no half file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..config import DIR_MODE, FILE_MODE
from ..domain.programme import Scene, Timeline
from ..vocabulary import SITE

log = logging.getLogger(__name__)

VERSION = 1  # bump when the composition changes: every programme is then composed again
PROGRAMME_NAME = "programme.mp4"
INPUTS_NAME = "programme.json"
FPS = 25
DEFAULT_SIZE = (1280, 720)
DEFAULT_TIMEOUT = 4 * 3600.0  # seconds; a 3-hour meeting composes in far less on two cores
FONT = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf")
SLATE = "0x28323c"
_FILE = re.compile(r"^(?P<label>.+)\.(?P<stream>audio|video)(?:-\d+)?\.(?:webm|mkv)$")
_LOCK = threading.Lock()


class ProgrammeError(RuntimeError):
    """Composition failed (ffmpeg's error, a timeout, unreadable recordings); nothing was written."""


@dataclass(frozen=True, slots=True)
class Clip:
    """One recorded file placed on the wall clock."""

    path: Path
    key: str  # participant key: "site:<id>" | "user:<id>"
    kind: str  # "audio" | "video"
    start: datetime
    duration: float  # seconds
    part: int  # which recording (in order) it belongs to

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)


@dataclass(frozen=True, slots=True)
class Part:
    """One recording's span on the wall clock, and where it begins in the programme."""

    start: datetime
    end: datetime
    offset: float  # seconds into the programme

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def key_of_label(label: str) -> str:
    """A recorder's file label (`site-<id>`, media/room.py) back to the participant key (`site:<id>`)."""
    kind, _, ident = label.partition("-")
    return f"{kind}:{ident}"


def _probe(path: Path) -> tuple[datetime, float] | None:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        log.warning("programme: %s is unreadable, left out: %s", path, result.stderr.strip()[-300:])
        return None
    fmt = json.loads(result.stdout).get("format", {})
    tags = {k.lower(): v for k, v in (fmt.get("tags") or {}).items()}
    try:
        start = datetime.fromisoformat(str(tags["creation_time"]).replace("Z", "+00:00"))
        duration = float(fmt["duration"])
    except (KeyError, ValueError):
        log.warning("programme: %s has no start time or duration, left out", path)
        return None
    return start, duration


def find_clips(meeting_recordings: Path) -> list[Clip]:
    """Every usable file of every recording of one meeting, recordings in the order they started."""
    if not meeting_recordings.is_dir():
        return []
    found: list[tuple[datetime, list[Clip]]] = []
    for directory in sorted(p for p in meeting_recordings.iterdir() if p.is_dir()):
        clips = []
        for path in sorted(directory.iterdir()):
            match = _FILE.match(path.name)
            probed = _probe(path) if match else None
            if match and probed and probed[1] > 0:
                clips.append(Clip(path, key_of_label(match["label"]), match["stream"], probed[0], probed[1], 0))
        if clips:
            found.append((min(c.start for c in clips), clips))
    found.sort(key=lambda item: item[0])
    return [
        Clip(c.path, c.key, c.kind, c.start, c.duration, number)
        for number, (_, clips) in enumerate(found)
        for c in clips
    ]


def parts_of(clips: list[Clip]) -> list[Part]:
    parts: list[Part] = []
    offset = 0.0
    for number in sorted({c.part for c in clips}):
        mine = [c for c in clips if c.part == number]
        part = Part(min(c.start for c in mine), max(c.end for c in mine), offset)
        parts.append(part)
        offset += part.seconds
    return parts


def inputs_hash(clips: list[Clip], timeline: Timeline, size: tuple[int, int]) -> str:
    digest = hashlib.sha256()
    files = []
    for clip in clips:
        stat = clip.path.stat()
        files.append([clip.path.parent.name, clip.path.name, stat.st_size, stat.st_mtime_ns])
    payload = {"version": VERSION, "size": list(size), "files": files, "timeline": timeline.to_dict()}
    digest.update(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _periods(scenes: tuple[Scene, ...], parts: list[Part]) -> list[tuple[Scene, float, float]]:
    """Each scene's stretches in programme seconds (a scene may span parts; time between parts is skipped)."""
    out = []
    for index, scene in enumerate(scenes):
        until = scenes[index + 1].start if index + 1 < len(scenes) else None
        for part in parts:
            begin = max(scene.start, part.start)
            end = min(until, part.end) if until is not None else part.end
            if end > begin:
                a = part.offset + (begin - part.start).total_seconds()
                out.append((scene, a, a + (end - begin).total_seconds()))
    return out


def _when(spans: Iterable[tuple[float, float]]) -> str:
    terms = [f"gte(t,{a:.3f})*lt(t,{b:.3f})" for a, b in spans]
    return "+".join(terms) if terms else "0"


def programme_seconds(moment: datetime, parts: list[Part]) -> float | None:
    """Where a wall-clock moment falls in the programme: a moment before a recording (or between two) is where
    the next one begins; None after the last."""
    for part in parts:
        if moment < part.start:
            return part.offset
        if moment <= part.end:
            return part.offset + (moment - part.start).total_seconds()
    return None


class _Graph:
    """Builds the filter graph script and the text files it reads, in the composition's work directory."""

    def __init__(self, work: Path, size: tuple[int, int], seconds: float) -> None:
        self.work = work
        self.width, self.height = size
        self.seconds = seconds
        self.lines: list[str] = []
        self.texts: dict[str, str] = {}
        self.last = "base"
        self.lines.append(f"color=c={SLATE}:s={self.width}x{self.height}:r={FPS}:d={seconds:.3f}[base]")

    def _chain(self, filters: str) -> None:
        label = f"v{len(self.lines)}"
        self.lines.append(f"[{self.last}]{filters}[{label}]")
        self.last = label

    def textfile(self, text: str) -> str:
        if text not in self.texts:
            name = f"text{len(self.texts)}.txt"
            (self.work / name).write_text(text, encoding="utf-8")
            self.texts[text] = name
        return self.texts[text]

    def text(self, text: str, spans: list[tuple[float, float]], size: int, x: str, y: str, bold: bool = False) -> None:
        font = FONT_BOLD if bold else FONT
        face = f"fontfile={font}" if font.exists() else f"font=Sans{'-Bold' if bold else ''}"  # fontconfig's
        self._chain(
            f"drawtext={face}:textfile={self.textfile(text)}:expansion=none:fontcolor=white:"
            f"fontsize={size}:x={x}:y={y}:enable='{_when(spans)}'"
        )

    def box(self, x: int, y: int, w: int, h: int, colour: str, spans: list[tuple[float, float]]) -> None:
        self._chain(f"drawbox=x={x}:y={y}:w={w}:h={h}:color={colour}:t=fill:enable='{_when(spans)}'")

    def overlay(self, source: str, x: int, y: int, spans: list[tuple[float, float]]) -> None:
        label = f"v{len(self.lines)}"
        self.lines.append(
            f"[{self.last}][{source}]overlay=x={x}:y={y}:eof_action=pass:enable='{_when(spans)}'[{label}]"
        )
        self.last = label


def _grouped(items: Iterable[tuple[str, float, float]]) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for key, a, b in items:
        if key:
            out.setdefault(key, []).append((a, b))
    return out


def build_graph(
    work: Path, clips: list[Clip], timeline: Timeline, size: tuple[int, int]
) -> tuple[str, list[Path], list[str]]:
    """The filter graph script, the input files in input order, and the output stream labels (video, audio)."""
    parts = parts_of(clips)
    seconds = sum(p.seconds for p in parts)
    graph = _Graph(work, size, seconds)
    width, height = size
    periods = _periods(timeline.scenes, parts)
    videos = [c for c in clips if c.kind == "video"]
    audios = [c for c in clips if c.kind == "audio"]
    video_keys = {c.key for c in videos}
    inputs = [c.path for c in videos + audios]

    def name(key: str) -> str:
        return timeline.names.get(key, key.partition(":")[2])

    def inset_of(scene: Scene) -> str | None:
        # the chair's camera where it was recorded at all, else the host hall (as media/room.py chooses)
        return next((k for k in scene.inset if k in video_keys or k.startswith(f"{SITE}:")), None)

    band = max(height // 12, 24)
    inset_w, inset_h = (width // 4) // 2 * 2, (height // 4) // 2 * 2
    margin = max(height // 40, 4)
    inset_x, inset_y = width - inset_w - margin, band + margin

    # The main area: the slate names whoever is main; their picture covers it where it was recorded.
    mains = _grouped((s.main or "", a, b) for s, a, b in periods)
    for key, spans in mains.items():
        graph.text(name(key), spans, height // 14, "(w-tw)/2", "(h-th)/2")
    insets = _grouped((inset_of(s) or "", a, b) for s, a, b in periods)
    for index, clip in enumerate(videos):
        offset = parts[clip.part].offset + (clip.start - parts[clip.part].start).total_seconds()
        streams = []
        if clip.key in mains:
            streams.append("m")
        if clip.key in insets:
            streams.append("i")
        if not streams:
            continue
        head = f"[{index}:v]setpts=PTS-STARTPTS+{offset:.3f}/TB"
        if len(streams) == 2:
            graph.lines.append(f"{head},split=2[c{index}m0][c{index}i0]")
        else:
            graph.lines.append(f"{head}[c{index}{streams[0]}0]")
        if "m" in streams:
            graph.lines.append(
                f"[c{index}m0]scale={width}:{height}:force_original_aspect_ratio=decrease,"
                f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color={SLATE},setsar=1[c{index}m]"
            )
        if "i" in streams:
            graph.lines.append(
                f"[c{index}i0]scale={inset_w}:{inset_h}:force_original_aspect_ratio=decrease,"
                f"pad={inset_w}:{inset_h}:(ow-iw)/2:(oh-ih)/2:color={SLATE},setsar=1[c{index}i]"
            )
    for index, clip in enumerate(videos):
        if clip.key in mains:
            graph.overlay(f"c{index}m", 0, 0, mains[clip.key])
    # The chair's inset: a small slate with its name, the picture over it.
    for key, spans in insets.items():
        graph.box(inset_x - 2, inset_y - 2, inset_w + 4, inset_h + 4, "white@0.8", spans)
        graph.box(inset_x, inset_y, inset_w, inset_h, SLATE, spans)
        graph.text(name(key), spans, height // 30, f"{inset_x}+({inset_w}-tw)/2", f"{inset_y}+({inset_h}-th)/2")
    for index, clip in enumerate(videos):
        if clip.key in insets:
            graph.overlay(f"c{index}i", inset_x, inset_y, insets[clip.key])
    # The heading at the top and the speaker's lower third.
    headings = _grouped((s.heading, a, b) for s, a, b in periods)
    if headings:
        graph.box(0, 0, width, band, "black@0.6", [span for spans in headings.values() for span in spans])
    for text, spans in headings.items():
        graph.text(text, spans, band * 5 // 9, str(margin * 2), f"({band}-th)/2")
    lowers = _grouped((s.lower_third, a, b) for s, a, b in periods)
    lower_h = max(height // 9, 24)
    lower_y = height - lower_h - margin * 2
    if lowers:
        graph.box(
            0, lower_y, width * 2 // 3, lower_h, "black@0.65", [span for spans in lowers.values() for span in spans]
        )
    for text, spans in lowers.items():
        graph.text(text, spans, lower_h * 4 // 9, str(margin * 2), f"{lower_y}+({lower_h}-th)/2", bold=True)
    graph.lines.append(f"[{graph.last}]format=yuv420p[vout]")
    # The sound: every recorded participant, placed at its time, mixed.
    if audios:
        labels = []
        for number, clip in enumerate(audios):
            index = len(videos) + number
            delay = parts[clip.part].offset + (clip.start - parts[clip.part].start).total_seconds()
            graph.lines.append(
                f"[{index}:a]aresample=48000:async=1:first_pts=0,aformat=channel_layouts=stereo,"
                f"adelay={int(delay * 1000)}:all=1[a{number}]"
            )
            labels.append(f"[a{number}]")
        # Summed, not averaged (one speaker at a time must not be quieter for every silent hall), then limited so
        # two halls speaking at once do not clip.
        mix = f"amix=inputs={len(labels)}:normalize=0:duration=longest,alimiter=limit=0.9," if len(labels) > 1 else ""
        graph.lines.append(f"{''.join(labels)}{mix}apad=whole_dur={seconds:.3f},atrim=end={seconds:.3f}[aout]")
    else:
        graph.lines.append(f"anullsrc=r=48000:cl=stereo,atrim=end={seconds:.3f}[aout]")
    return ";\n".join(graph.lines), inputs, ["[vout]", "[aout]"]


def chapters_metadata(timeline: Timeline, parts: list[Part]) -> str:
    """ffmetadata text: the file's title and a chapter per heading, from where it starts in the programme."""

    def escape(text: str) -> str:
        return re.sub(r"([=;#\\\n])", r"\\\1", text)

    total = sum(p.seconds for p in parts)
    starts: list[tuple[float, str]] = []
    for chapter in timeline.chapters:
        at = programme_seconds(chapter.start, parts)
        if at is not None and at < total:
            starts = [s for s in starts if s[0] < at]  # a later chapter at the same moment replaces it
            starts.append((at, chapter.title))
    if starts and starts[0][0] > 0.5:
        starts.insert(0, (0.0, timeline.title or "Khai mạc"))
    elif starts:
        starts[0] = (0.0, starts[0][1])
    lines = [";FFMETADATA1", f"title={escape(timeline.title)}"]
    for index, (at, title) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else total
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(at * 1000)}", f"END={int(end * 1000)}"]
        lines.append(f"title={escape(title)}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _one_at_a_time(directory: Path, cancel: threading.Event | None) -> Iterator[None]:
    """One composition at a time on this machine: a thread lock and a lock file (the CLI and the server). Waiting
    for it ends when `cancel` is set."""
    stop = cancel or threading.Event()
    directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    while not _LOCK.acquire(timeout=0.5):
        if stop.is_set():
            raise ProgrammeError("composition cancelled (the server is stopping)")
    try:
        with open(directory / ".compose.lock", "a") as handle:  # noqa: PTH123
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if stop.wait(0.5):
                        raise ProgrammeError("composition cancelled (the server is stopping)") from None
            try:
                if stop.is_set():
                    raise ProgrammeError("composition cancelled (the server is stopping)")
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        _LOCK.release()


def _run_ffmpeg(command: list[str], work: Path, timeout: float, cancel: threading.Event | None) -> None:
    """Run ffmpeg to its end; killed past `timeout` or when `cancel` is set (the server stopping)."""
    stop = cancel or threading.Event()
    with (work / "ffmpeg.log").open("w+b") as errors:
        process = subprocess.Popen(command, cwd=work, stdin=subprocess.DEVNULL, stdout=errors, stderr=errors)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    code = process.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
                    break
                except subprocess.TimeoutExpired:
                    if stop.is_set():
                        raise ProgrammeError("composition cancelled (the server is stopping)") from None
                    if time.monotonic() >= deadline:
                        raise ProgrammeError(f"ffmpeg ran longer than {timeout:g} s") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if code != 0:
            errors.seek(0)
            tail = errors.read()[-2000:].decode("utf-8", "replace").strip()
            raise ProgrammeError(f"ffmpeg failed ({code}): {tail}")


def compose(
    recordings: Path,
    out_dir: Path,
    timeline: Timeline,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    timeout: float = DEFAULT_TIMEOUT,
    nice: int = 10,
    cancel: threading.Event | None = None,
) -> Path | None:
    """Compose `out_dir/programme.mp4` from one meeting's recordings (`recordings`) and its timeline (blocking).

    Returns the file, or None when the meeting has no usable recording. Unchanged inputs return the existing file
    without composing. Raises ProgrammeError (and leaves no file) when ffmpeg fails, runs past `timeout` or
    `cancel` is set.
    """
    if not recordings.is_dir():
        return None  # never recorded: no lock, no directory
    with _one_at_a_time(out_dir.parent, cancel):
        clips = find_clips(recordings)
        if not clips:
            return None
        target, record = out_dir / PROGRAMME_NAME, out_dir / INPUTS_NAME
        digest = inputs_hash(clips, timeline, size)
        if target.exists() and record.exists():
            with contextlib.suppress(ValueError, OSError):
                if json.loads(record.read_text(encoding="utf-8")).get("inputs_sha256") == digest:
                    return target
        out_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        work = Path(tempfile.mkdtemp(prefix=".compose-", dir=out_dir))
        try:
            parts = parts_of(clips)
            script, inputs, outputs = build_graph(work, clips, timeline, size)
            (work / "graph.txt").write_text(script, encoding="utf-8")
            (work / "chapters.txt").write_text(chapters_metadata(timeline, parts), encoding="utf-8")
            partial = work / "programme.mp4"
            command = ["nice", "-n", str(nice), "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
            for path in inputs:
                command += ["-i", str(path)]
            command += ["-f", "ffmetadata", "-i", "chapters.txt", "-filter_complex_script", "graph.txt"]
            command += ["-map", outputs[0], "-map", outputs[1], "-map_metadata", str(len(inputs))]
            command += ["-map_chapters", str(len(inputs)), "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"]
            command += ["-r", str(FPS), "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", partial.name]
            _run_ffmpeg(command, work, timeout, cancel)
            if not partial.exists():
                raise ProgrammeError("ffmpeg wrote no file")
            os.chmod(partial, FILE_MODE)
            record.unlink(missing_ok=True)
            os.replace(partial, target)
            written = {
                "inputs_sha256": digest,
                "version": VERSION,
                "composed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(sum(p.seconds for p in parts), 3),
                "files": [f"{c.path.parent.name}/{c.path.name}" for c in clips],
            }
            staged = work / INPUTS_NAME
            staged.write_text(json.dumps(written, ensure_ascii=False, indent=1), encoding="utf-8")
            os.chmod(staged, FILE_MODE)
            os.replace(staged, record)
            return target
        finally:
            shutil.rmtree(work, ignore_errors=True)
