"""Archiving seals a meeting: every action on it is refused (`meeting_archived`), over REST and over a socket
opened before the archive, checked once where actions load the meeting; reads still work and nothing saved
changes. Archiving waits for a record document being signed."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import subprocess
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from meeting_server.api.archive import DOSSIERS
from meeting_server.archive.manifest import check_dossier
from meeting_server.config import Settings
from meeting_server.signing.demo_pki import ensure_demo_pki
from meeting_server.signing.trust import trust_from_settings
from room_client.feed import CommandError
from tests import office_samples
from tests.helpers import LiveServer, check_in_everyone, command_id, feed_for, make_meeting, one_page_pdf


@contextlib.asynccontextmanager
async def archiving_server(tmp_path: Path, **overrides: Any) -> AsyncIterator[tuple[LiveServer, Any, str, Settings]]:
    """A server with the demo seal, its administrator signed in, and a scheduled one-item meeting of theirs."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, settings_overrides=overrides)
    await server.start()
    try:
        assert server.services is not None and server.runner is not None
        ensure_demo_pki(tmp_path, {}, "UBND tỉnh", "UBND tỉnh")
        admin = await server.admin()
        meeting = await make_meeting(admin, items=1)
        yield server, admin, meeting["id"], server.services.settings
    finally:
        await server.stop()


async def archived(server: LiveServer, admin: Any, mid: str, steps: tuple[str, ...]) -> Path:
    """Take the meeting through `steps` (the last one `archive`) and wait for its dossier; its zip's path."""
    for step in steps:
        assert (await admin.post(f"/api/meetings/{mid}/{step}"))[0] == 200
    assert server.runner is not None and server.services is not None
    await server.runner.app[DOSSIERS].wait(mid)
    return server.services.settings.dossiers_dir / f"{mid}.zip"


async def _log(client: Any, meeting_id: str) -> list[dict[str, Any]]:
    """The meeting's log after its first entry, as its organiser reads it."""
    status, body = await client.get(f"/api/meetings/{meeting_id}/events?after=1")
    assert status == 200, body
    return list(body["events"])


async def test_an_archived_meeting_refuses_every_change_and_still_reads(any_server: LiveServer) -> None:
    server = any_server
    chair = await server.create_user("chutri", "Nguyễn Văn Chủ", ["chair"])
    delegate = await server.create_user("daibieu", "Trần Thị Đại", ["delegate"])
    admin = await server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], chair_id=chair["id"])
    mid, base = meeting["id"], f"/api/meetings/{meeting['id']}"
    item = meeting["agenda"][0]["id"]
    assert (await admin.post(f"{base}/start"))[0] == 200
    status, added = await admin.upload(
        f"{base}/papers", one_page_pdf("Dự thảo nghị quyết"), "du-thao.pdf", {"publish": "1"}
    )
    assert status == 201, added
    paper = added["paper"]["id"]
    await check_in_everyone(admin, mid, [delegate["id"]])
    status, made = await admin.post(f"{base}/record", {"kind": "bien_ban"})
    assert status == 201, made
    document = made["document"]["id"]
    assert (await admin.post(f"{base}/end"))[0] == 200

    delegate_api = await server.client("daibieu")
    feed = await feed_for(server, delegate_api, mid)
    try:
        before = await _log(admin, mid)
        ensure_demo_pki(server.tmp_dir, {}, "UBND tỉnh", "UBND tỉnh")  # the demo's seal signs the dossier
        status, archived = await admin.post(f"{base}/archive")  # a draft biên bản does not stop it
        assert status == 200 and archived["status"] == "archived", archived
        sealed = await _log(admin, mid)
        assert len(sealed) == len(before) + 1 and sealed[-1]["type"] == "meeting.archived"

        annotation = {"paper_id": paper, "version": 1, "page": 1, "kind": "note", "layer": "private", "data": {}}
        refusals: list[tuple[Any, str, str, Any]] = [
            (admin.upload, f"{base}/papers", "", one_page_pdf("Tài liệu muộn")),
            (admin.post, f"{base}/agenda", "", {"title": "Nội dung thêm"}),
            (admin.post, f"{base}/attendance", "", {"person_id": delegate["id"], "status": "absent_unexcused"}),
            (delegate_api.put, f"{base}/annotations/an-{command_id()[:8]}", "", annotation),
            (
                delegate_api.post,
                f"{base}/papers/{paper}/comments",
                "",
                {"id": f"co-{command_id()[:8]}", "version": 1, "page": 1, "x": 0.1, "y": 0.1, "text": "Góp ý"},
            ),
            (admin.post, f"{base}/votes", "", {"item_id": item, "question": "Thông qua?"}),
            (admin.post, f"{base}/record", "", {"kind": "thong_bao"}),
            (
                admin.put,
                f"/api/record/{document}/texts/opening/discussion",
                "",
                {"html": "<p>Sửa</p>", "base_revision": 0},
            ),
            (admin.post, f"{base}/archive", "", None),
        ]
        for call, path, _, body in refusals:
            if call == admin.upload:
                status, answer = await call(path, body, "muon.pdf")
            else:
                status, answer = await call(path, body)
            assert (status, answer["error"]["code"]) == (409, "meeting_archived"), (path, answer)
            assert "lưu trữ" in answer["error"]["message"]

        # the socket opened before the archive is refused the same way, for commands of every kind
        for action, args in (
            ("attendance.check_in", {}),
            ("annotation.save", {"id": f"an-{command_id()[:8]}", **annotation}),
            (
                "comment.add",
                {
                    "id": f"co-{command_id()[:8]}",
                    "paper_id": paper,
                    "version": 1,
                    "page": 1,
                    "x": 0.5,
                    "y": 0.5,
                    "text": "Góp ý",
                },
            ),
            ("paper.open", {"paper_id": paper, "version": 1}),
            ("record.sign.request", {"document_id": document}),  # REST refuses it sooner: nothing to sign
        ):
            with pytest.raises(CommandError) as caught:
                await feed.command(action, args)
            assert caught.value.code == "meeting_archived", action

        # reads still work, and nothing saved changed
        assert await _log(admin, mid) == sealed
        status, snap = await delegate_api.get(base)
        assert status == 200 and snap["status"] == "archived"
        status, listing = await delegate_api.get(f"{base}/papers")
        assert status == 200 and [p["id"] for p in listing["papers"]] == [paper]
        status, record = await admin.get(f"{base}/record")
        assert status == 200 and [d["status"] for d in record["documents"]] == ["draft"]
        # the dossier, built in the background from what was saved, is listed in the archive and verifies
        assert server.runner is not None and server.services is not None
        assert server.runner is not None
        await server.runner.app[DOSSIERS].wait(mid)
        status, listing = await admin.get("/api/archive")
        assert status == 200 and [m["id"] for m in listing["meetings"]] == [mid]
        assert listing["meetings"][0]["dossier"]["status"] == "ready"
        status, shown = await delegate_api.get("/api/archive")
        assert status == 200 and [(m["id"], m["dossier"]) for m in shown["meetings"]] == [(mid, None)]
        status, body = await admin.get(f"{base}/dossier.zip")
        assert status == 200
        zipped = Path(server.tmp_dir) / "ho-so.zip"
        zipped.write_bytes(body)
        found = await asyncio.to_thread(check_dossier, zipped, trust_from_settings(server.services.settings))
        assert found.ok, found.to_dict()
        assert (await delegate_api.get(f"{base}/dossier"))[0] == 403
    finally:
        await feed.close()


async def test_archiving_waits_for_a_document_being_signed(any_server: LiveServer) -> None:
    """Approved and numbered, the biên bản waits for its signatures: archiving now would leave it unsigned."""
    server = any_server
    chair = await server.create_user("chutri", "Nguyễn Văn Chủ", ["chair"])
    admin = await server.admin()
    meeting = await make_meeting(admin, chair_id=chair["id"])
    base = f"/api/meetings/{meeting['id']}"
    for step in ("start", "end"):
        assert (await admin.post(f"{base}/{step}"))[0] == 200
    status, made = await admin.post(f"{base}/record", {"kind": "bien_ban"})
    assert status == 201, made
    document = made["document"]["id"]
    assert (await admin.post(f"/api/record/{document}/submit"))[0] == 200
    status, approved = await (await server.client("chutri")).post(f"/api/record/{document}/approve")
    assert status == 200, approved
    status, refused = await admin.post(f"{base}/archive")
    assert (status, refused["error"]["code"]) == (409, "conflict"), refused
    assert "ký số" in refused["error"]["message"]
    status, snap = await admin.get(base)
    assert snap["status"] == "ended"


async def test_a_dossier_without_a_seal_says_why(any_server: LiveServer) -> None:
    """No seal configured (nor the demo's): the meeting is archived and sealed all the same; its dossier is
    reported failed with the reason, and there is nothing to download. An administrator who did not organise it
    sees it in the archive without its dossier: the dossier holds the restricted papers they may not read."""
    await any_server.create_user("thuky", "Lê Thị Thư", ["secretary"])
    admin = await any_server.client("thuky")
    meeting = await make_meeting(admin, items=1)
    base = f"/api/meetings/{meeting['id']}"
    status, early = await admin.get(f"{base}/dossier")
    assert (status, early["error"]["code"]) == (409, "invalid_transition")
    for step in ("start", "end", "archive"):
        assert (await admin.post(f"{base}/{step}"))[0] == 200
    assert any_server.runner is not None
    await any_server.runner.app[DOSSIERS].wait(meeting["id"])
    status, state = await admin.get(f"{base}/dossier")
    assert status == 200 and state["status"] == "failed" and "con dấu" in state["reason"], state
    status, missing = await admin.get(f"{base}/dossier.zip")
    assert (status, missing["error"]["code"]) == (404, "not_found")
    administrator = await any_server.admin()
    assert (await administrator.get(f"{base}/dossier"))[0] == 403
    status, listing = await administrator.get("/api/archive")
    assert status == 200 and [(m["id"], m["dossier"]) for m in listing["meetings"]] == [(meeting["id"], None)]


async def test_recordings_over_the_limit_are_listed_not_copied(tmp_path: Path) -> None:
    """With MS_DOSSIER_RECORDINGS_MAX_MB set and the recordings bigger together, none is copied: the manifest lists
    each one's location, SHA-256 and size. These files are not media, so no programme is composed from them (the
    composer leaves unreadable files out) and the dossier has none."""
    async with archiving_server(tmp_path, dossier_recordings_max_mb=1) as (server, admin, mid, settings):
        recordings = []
        for n in (1, 2):  # 0.75 MB each: 1.5 MB together, over the 1 MB limit
            path = settings.recordings_dir / mid / f"rec_{n}" / "hoi-truong.video.webm"
            path.parent.mkdir(parents=True)
            path.write_bytes(bytes([n]) * (768 * 1024))
            recordings.append(path)
        zipped = await archived(server, admin, mid, ("start", "end", "archive"))
        with zipfile.ZipFile(zipped) as archive:
            names = archive.namelist()
            manifest = json.loads(archive.read("manifest.json"))
        assert not [n for n in names if n.startswith(("08-ghi-hinh/", "09-chuong-trinh-hop/"))]
        assert [(e["location"], e["sha256"], e["bytes"]) for e in manifest["external"]] == [
            (str(p.resolve()), hashlib.sha256(p.read_bytes()).hexdigest(), 768 * 1024) for p in recordings
        ]
        assert "ghi hình" in manifest["metadata"]["Description"]
        found = await asyncio.to_thread(check_dossier, zipped, trust_from_settings(settings))
        assert found.ok, found.to_dict()


async def test_the_dossier_carries_the_programme_composed_from_the_recordings(tmp_path: Path) -> None:
    """A meeting recorded (here: one real VP8 file of its hall, stamped as media/recording.py stamps it) and
    archived: the dossier's build composes the programme (programmes.ensure_programme; or finds the one composed
    after meeting.end, its inputs unchanged) and carries exactly that file, which ffprobe reads as H.264."""
    async with archiving_server(tmp_path) as (server, admin, mid, settings):
        assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
        clip = settings.recordings_dir / mid / "rec_1" / "site-hall.video.webm"
        clip.parent.mkdir(parents=True)
        when = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        made = await asyncio.to_thread(
            subprocess.run,
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=blue:s=320x180:r=15:d=2", "-c:v", "libvpx"]
            + ["-metadata", f"creation_time={when}", str(clip)],
            capture_output=True,
        )
        assert made.returncode == 0, made.stderr
        zipped = await archived(server, admin, mid, ("end", "archive"))
        programme = settings.programmes_dir / mid / "programme.mp4"
        with zipfile.ZipFile(zipped) as archive:
            assert archive.read("09-chuong-trinh-hop/programme.mp4") == programme.read_bytes()
        probed = await asyncio.to_thread(
            subprocess.run,
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "json", str(programme)],
            capture_output=True,
        )
        assert "h264" in [s["codec_name"] for s in json.loads(probed.stdout)["streams"]]


async def test_the_dossier_keeps_a_converted_papers_office_original(tmp_path: Path) -> None:
    """A paper uploaded as .docx is read as the PDF LibreOffice made of it; the dossier holds both: the PDF and,
    beside it, the .docx exactly as the secretary uploaded it (documents/convert.SourceFiles)."""
    async with archiving_server(tmp_path) as (server, admin, mid, settings):
        original = office_samples.vietnamese_docx()
        status, answer = await admin.upload(
            f"/api/meetings/{mid}/papers", original, "Nghị quyết kinh tế.docx", {"publish": "1"}
        )
        assert status == 201 and answer["converted_from"] == "docx", answer
        zipped = await archived(server, admin, mid, ("start", "end", "archive"))
        with zipfile.ZipFile(zipped) as archive:
            folder = f"04-tai-lieu/{answer['paper']['id']}/v1/"
            names = [n for n in archive.namelist() if n.startswith(folder)]
            assert sorted(n.rsplit(".", 1)[1] for n in names) == ["docx", "pdf"], names
            docx_name = next(n for n in names if n.endswith(".docx"))
            assert archive.read(docx_name) == original
            assert archive.read(next(n for n in names if n.endswith(".pdf")))[:5] == b"%PDF-"
        found = await asyncio.to_thread(check_dossier, zipped, trust_from_settings(settings))
        assert found.ok, found.to_dict()
