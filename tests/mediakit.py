"""A conference to test media against: a meeting under way with sites and device tokens, and real aiortc peers.

Peers are real WebRTC endpoints (room_client.media over a real socket.io connection to the real server); each
site sends a picture of its own colour so a test can tell, from the decoded frames, whose picture arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from dataclasses import dataclass, field
from typing import Any, TypedDict

import av
import numpy as np
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from room_client.feed import MeetingFeed
from room_client.media import MediaSession
from room_client.sources import SyntheticAudioTrack
from tests.helpers import ApiClient, LiveServer, make_meeting

COLOURS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (220, 200, 30), (30, 200, 220), (200, 30, 200)]
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
CHAIR = "chutri.media"


class ColourTrack(MediaStreamTrack):
    """A paced picture of one colour with a white bar moving across it (so every frame differs)."""

    kind = "video"

    def __init__(self, colour: tuple[int, int, int], size: tuple[int, int] = (320, 180), fps: int = 15) -> None:
        super().__init__()
        self.colour = colour
        self.size = size
        self.fps = fps
        self._start: float | None = None
        self._count = 0
        width, height = size
        self._image = np.zeros((height, width, 3), np.uint8)
        self._image[:, :] = colour

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self._start + self._count / self.fps - time.monotonic()))
        width = self.size[0]
        image = self._image.copy()
        x = (self._count * 4) % width
        image[:, x : x + 6] = 255
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = int(self._count * 90000 / self.fps)
        frame.time_base = VIDEO_TIME_BASE
        self._count += 1
        return frame


def colour_of(frame: av.VideoFrame) -> tuple[int, int, int]:
    """The picture's colour, read away from the moving bar's likely place (mean of the left and right edges)."""
    image = frame.to_ndarray(format="rgb24")
    edges = np.concatenate([image[:, :4].reshape(-1, 3), image[:, -4:].reshape(-1, 3)])
    mean = edges.mean(axis=0)
    return int(mean[0]), int(mean[1]), int(mean[2])


def nearest_colour(frame: av.VideoFrame) -> int:
    r, g, b = colour_of(frame)
    return min(range(len(COLOURS)), key=lambda i: sum((a - c) ** 2 for a, c in zip(COLOURS[i], (r, g, b), strict=True)))


@dataclass
class Conference:
    server: LiveServer
    admin: ApiClient
    chair: ApiClient
    chair_id: str
    meeting_id: str
    site_ids: list[str]
    tokens: list[str]
    peers: list[Peer] = field(default_factory=list)

    def key(self, index: int) -> str:
        return f"site:{self.site_ids[index]}"

    async def act(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, answer = await self.chair.post(f"/api/meetings/{self.meeting_id}/conference/{path}", body or {})
        assert status == 200, answer
        return answer

    def room(self) -> Any:
        return self.server.hub.media.rooms.get(self.meeting_id)

    async def close(self) -> None:
        for peer in self.peers:
            await peer.stop()


async def start_conference(server: LiveServer, n_sites: int = 3, **fields: Any) -> Conference:
    """A meeting in progress with `n_sites` sites (the first is main), a chair, and device tokens."""
    admin = await server.admin()
    chair_user = await server.create_user(CHAIR, "Nguyễn Văn Chủ Trì", ["chair"])
    chair = await server.client(CHAIR)
    site_ids, tokens = [], []
    for n in range(n_sites):
        site_id = await server.create_site(f"Điểm cầu xã {n + 1}")
        status, body = await admin.post(f"/api/sites/{site_id}/token")
        assert status == 200, body
        site_ids.append(site_id)
        tokens.append(body["token"])
    meeting = await make_meeting(
        admin, site_ids=site_ids, main_site_id=site_ids[0], chair_id=chair_user["id"], **fields
    )
    status, meeting = await admin.post(f"/api/meetings/{meeting['id']}/start")
    assert status == 200, meeting
    return Conference(server, admin, chair, chair_user["id"], meeting["id"], site_ids, tokens)


class Tracks(TypedDict):
    """What a peer publishes: `MediaSession`'s track arguments."""

    audio: MediaStreamTrack | None
    video: MediaStreamTrack | None
    video_small: MediaStreamTrack | None


@dataclass
class Peer:
    """One site's room PC, in this process: a live feed and a media session with a coloured picture."""

    conference: Conference
    index: int
    view: str = "site"
    video_slots: int = 2
    audio_slots: int = 3
    silent: bool = False  # a microphone in a quiet hall: digital silence (RFC 6464 level 127)
    feed: MeetingFeed | None = None
    session: MediaSession | None = None

    @property
    def key(self) -> str:
        return self.conference.key(self.index)

    @property
    def media(self) -> MediaSession:
        """The media session of a started peer."""
        assert self.session is not None, "start() the peer first"
        return self.session

    async def start(self, publish: bool = True) -> MediaSession:
        conf = self.conference
        self.feed = MeetingFeed(conf.server.url, conf.meeting_id, token=conf.tokens[self.index])
        await self.feed.connect()
        colour = COLOURS[self.index % len(COLOURS)]
        tracks: Tracks = {"audio": None, "video": None, "video_small": None}
        if publish:
            audio = AudioStreamTrack() if self.silent else SyntheticAudioTrack(frequency=300 + 100 * self.index)
            tracks = {
                "audio": audio,
                "video": ColourTrack(colour),
                "video_small": ColourTrack(colour, (160, 90), fps=10),
            }
        self.session = MediaSession(
            self.feed.sio,
            conf.meeting_id,
            view=self.view,
            video_slots=self.video_slots,
            audio_slots=self.audio_slots,
            **tracks,
        )
        await self.session.start()
        await self.session.wait_connected()
        return self.session

    def main_colour(self) -> int | None:
        """Which site's colour the slot showing the main site decodes now."""
        assert self.session is not None
        for mid, slot in self.session.layout.items():
            if slot.get("role") == "main" and mid in self.session.last_frame_by_mid:
                return nearest_colour(self.session.last_frame_by_mid[mid])
        return None

    async def stop(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):
                await self.session.close()
        if self.feed is not None:
            with contextlib.suppress(Exception):
                await self.feed.close()


async def peers(conference: Conference, count: int) -> list[Peer]:
    started = []
    for index in range(count):
        peer = Peer(conference, index)
        await peer.start()
        conference.peers.append(peer)
        started.append(peer)
    return started
