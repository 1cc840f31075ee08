"""The dossier of the demo meeting held on 26/11/2026 (docs/archive.md): its biên bản signed by the secretary and
the chair (the demo PKI), a paper for all and a restricted one, a recording; archived → built in the background →
exported with `meeting-server dossier export` → `dossier verify` passes; then one changed byte in any file, a
removed file and an added one are each named, and a changed manifest fails its signature."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from meeting_server import demo_data as d
from meeting_server.api.archive import DOSSIERS
from meeting_server.archive.manifest import MANIFEST, METADATA, SIGNATURE, check_dossier
from meeting_server.demo import ensure_demo_keys, seed
from meeting_server.signing.demo_pki import DEMO_PKCS12_PASSWORD
from meeting_server.signing.trust import Trust, trust_from_settings
from tests.helpers import ApiClient, LiveServer, one_page_pdf


@dataclass
class Built:
    zip: Path
    data_dir: Path
    trust: Trust
    meeting_id: str
    listing: dict[str, Any]  # GET /api/archive as the secretary saw it
    outsider_papers: list[str]  # paper titles the delegate outside the restricted paper's audience was listed
    outsider_fetch: int  # the status the same delegate got asking for the restricted paper's page


def cli(data_dir: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MS_DATA_DIR": str(data_dir), "MS_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "meeting_server", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        cwd=data_dir,
    )


async def _sign(client: ApiClient, document_id: str, p12: Path) -> None:
    form = aiohttp.FormData()
    form.add_field("password", DEMO_PKCS12_PASSWORD)
    form.add_field(
        "file", await asyncio.to_thread(p12.read_bytes), filename="chu-ky.p12", content_type="application/x-pkcs12"
    )
    async with client.http.post(
        f"{client.base_url}/api/record/{document_id}/sign-pkcs12",
        data=form,
        headers={"X-CSRF-Token": client.csrf or ""},
    ) as response:
        assert response.status == 200, await response.text()


async def _build(tmp: Path) -> Built:
    data_dir, database_url = tmp / "data", f"sqlite+aiosqlite:///{tmp / 'data' / 'm.sqlite3'}"
    data_dir.mkdir()
    keys = ensure_demo_keys(data_dir)  # before the server starts: it then trusts the demo root and seals with it
    server = LiveServer(database_url, data_dir)
    await server.start(seed_admin=False)
    try:
        assert server.services is not None
        result = await seed(server.services)
        held = result["held"]
        mid, base = held["id"], f"/api/meetings/{held['id']}"
        secretary = await server.client(d.HELD_MEETING.secretary_username, d.DEMO_PASSWORD)
        chair = await server.client(d.HELD_MEETING.chair_username, d.DEMO_PASSWORD)
        # the papers: one for everyone, in two versions; one restricted to a single delegate
        status, added = await secretary.upload(
            f"{base}/papers", one_page_pdf("Dự thảo Nghị quyết dự toán 2027"), "du-thao.pdf", {"publish": "1"}
        )
        assert status == 201, added
        status, again = await secretary.upload(
            f"{base}/papers/{added['paper']['id']}/versions", one_page_pdf("Dự thảo Nghị quyết (bản 2)"), "ban-2.pdf"
        )
        assert status in (200, 201), again
        reader = await result["ids"].actor(server.services, "pct.hung")
        status, secret = await secretary.upload(
            f"{base}/papers",
            one_page_pdf("Tài liệu mật"),
            "mat.pdf",
            {"publish": "1", "access": "restricted", "user_ids": reader.id, "title": "Phương án nhân sự"},
        )
        assert status == 201, secret
        # a comment on the draft, by a delegate who reads it
        delegate = await server.client("pct.hung", d.DEMO_PASSWORD)
        comment = {"id": "co-dossier1", "version": 2, "page": 1, "x": 0.2, "y": 0.3, "text": "Đề nghị bổ sung số liệu"}
        status, commented = await delegate.post(f"{base}/papers/{added['paper']['id']}/comments", comment)
        assert status == 201, commented
        # the biên bản, approved by the chair in the seed, is signed by the secretary then the chair
        await _sign(secretary, held["minutes_id"], keys.people[d.HELD_MEETING.secretary_username])
        await _sign(chair, held["minutes_id"], keys.people[d.HELD_MEETING.chair_username])
        # a recording of the main hall, where media/recording.py writes one
        recording = server.services.settings.recordings_dir / mid / "rec_1" / "hoi-truong.video.webm"
        recording.parent.mkdir(parents=True)
        recording.write_bytes(b"\x1aE\xdf\xa3" + os.urandom(4096))

        status, archived = await secretary.post(f"{base}/archive")
        assert status == 200 and archived["status"] == "archived", archived
        status, building = await secretary.get(f"{base}/dossier")
        assert status == 200 and building["status"] in ("building", "ready"), building
        assert server.runner is not None
        await server.runner.app[DOSSIERS].wait(mid)
        status, ready = await secretary.get(f"{base}/dossier")
        assert status == 200 and ready["status"] == "ready", ready
        status, body = await secretary.get(ready["url"])
        assert status == 200 and body[:2] == b"PK"
        status, listing = await secretary.get("/api/archive")
        assert status == 200
        # the archive keeps restricted papers restricted: the delegate outside the audience neither sees nor gets it
        outsider = await server.client("pct.lien", d.DEMO_PASSWORD)
        status, papers = await outsider.get(f"{base}/papers")
        assert status == 200
        page = f"{base}/papers/{secret['paper']['id']}/versions/1/pages/1?w=400"
        fetched, _ = await outsider.get(page)
        status, refused = await outsider.get(ready["url"])
        assert status == 403 and refused["error"]["code"] == "forbidden"
        settings = server.services.settings
    finally:
        await server.stop()
    out = tmp / "ho-so.zip"
    exported = cli(data_dir, database_url, "dossier", "export", mid, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes() == body  # the one the server built, not a second build
    return Built(
        out, data_dir, trust_from_settings(settings), mid, listing, [p["title"] for p in papers["papers"]], fetched
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("dossier")
    yield asyncio.run(_build(tmp))
    shutil.rmtree(tmp, ignore_errors=True)


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [i.filename for i in archive.infolist() if not i.is_dir()]


def _rewrite(source: Path, target: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> None:
    """The dossier with some members' contents replaced (None: removed) and others added, as a tamperer would."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in change:
                replacement = change[info.filename]
                if replacement is not None:
                    new.writestr(info, replacement)
                continue
            new.writestr(info, old.read(info.filename))
        for name, data in (add or {}).items():
            new.writestr(name, data)


def _one_byte_changed(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def test_the_demo_dossier_verifies(built: Built) -> None:
    found = check_dossier(built.zip, built.trust)
    assert found.ok, found.to_dict()
    assert found.signer == d.SEAL_NAME and found.meeting_id == built.meeting_id
    verified = cli(built.data_dir, "", "dossier", "verify", str(built.zip))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "nguyên vẹn" in verified.stdout


def test_the_dossier_holds_the_meeting(built: Built, tmp_path: Path) -> None:
    names = _names(built.zip)
    with zipfile.ZipFile(built.zip) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        signed = archive.read("07-van-ban/bien_ban-v1.pdf")
        log = archive.read("10-nhat-ky/nhat-ky.jsonl").decode().splitlines()
        metadata = archive.read(METADATA).decode()
    for expected in (
        "01-giay-moi/giay-moi.pdf",
        "02-chuong-trinh/chuong-trinh.json",
        "03-diem-danh/danh-sach-diem-danh.pdf",
        "06-bieu-quyet/bieu-quyet.json",
        "07-van-ban/bien_ban-v1.pdf",
        "08-ghi-hinh/rec_1/hoi-truong.video.webm",
        METADATA,
        MANIFEST,
        SIGNATURE,
    ):
        assert expected in names, expected
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(names) - {MANIFEST, SIGNATURE}
    papers = [f for f in manifest["files"] if f["kind"] == "paper"]
    assert len(papers) == 3  # two versions of one paper, one of the other
    (comments,) = [f for f in manifest["files"] if f["kind"] == "comments"]
    with zipfile.ZipFile(built.zip) as archive:
        (said,) = json.loads(archive.read(comments["path"]))
    assert said["text"] == "Đề nghị bổ sung số liệu" and said["author_name"] == d.person("pct.hung").full_name
    restricted = [f for f in papers if f["audience"]["access"] == "restricted"]
    assert len(restricted) == 1 and restricted[0]["audience"]["users"] == [d.person("pct.hung").full_name]
    # the biên bản as signed: two signatures, by the secretary and the chair (pdfsig reads them)
    (tmp_path / "bien-ban.pdf").write_bytes(signed)
    sigs = subprocess.run(["pdfsig", str(tmp_path / "bien-ban.pdf")], capture_output=True, text=True).stdout
    assert sigs.count("Signature #") == 2, sigs
    assert [json.loads(line)["seq"] for line in log] == list(range(1, len(log) + 1))
    assert json.loads(log[-1])["type"] == "meeting.archived"
    assert manifest["unissued"] and manifest["unissued"][0]["kind"] == "thong_bao"  # the notice stayed a draft
    meta = manifest["metadata"]
    assert meta["Title"] == f"Hồ sơ cuộc họp: {d.HELD_MEETING.title}"
    assert meta["Language"] == "Tiếng Việt" and meta["Rights"] == "Hạn chế sử dụng"
    assert meta["StartDate"] == "2026-11-16" and meta["DocTotal"] == len([n for n in names if n.endswith(".pdf")])
    minutes = next(doc for doc in manifest["documents"] if doc["Path"] == "07-van-ban/bien_ban-v1.pdf")
    assert minutes["TypeName"] == "Biên bản" and minutes["CodeNotation"].startswith("BB-")
    assert {s["FullName"] for s in minutes["SignerInfo"]} == {
        d.person(d.HELD_MEETING.secretary_username).full_name,
        d.person(d.HELD_MEETING.chair_username).full_name,
    }
    assert "<Maintenance>Vĩnh viễn</Maintenance>" in metadata and "<TypeName>Giấy mời</TypeName>" in metadata


def test_the_archive_lists_it_and_keeps_restricted_papers_restricted(built: Built) -> None:
    (row,) = [m for m in built.listing["meetings"] if m["id"] == built.meeting_id]
    assert row["year"] == "2026" and row["kind"] == "online" and row["dossier"]["status"] == "ready"
    assert "Phương án nhân sự" not in built.outsider_papers and "du-thao" in built.outsider_papers
    assert built.outsider_fetch in (403, 404)


def test_openssl_checks_the_manifest_signature(built: Built, tmp_path: Path) -> None:
    with zipfile.ZipFile(built.zip) as archive:
        archive.extract(MANIFEST, tmp_path)
        archive.extract(SIGNATURE, tmp_path)
    root = built.data_dir / "demo-pki" / "ca-thu-nghiem.pem"
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / SIGNATURE)]
    command += ["-content", str(tmp_path / MANIFEST), "-CAfile", str(root), "-purpose", "any", "-out", os.devnull]
    checked = subprocess.run(command, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    (tmp_path / MANIFEST).write_bytes(_one_byte_changed((tmp_path / MANIFEST).read_bytes()))
    assert subprocess.run(command, capture_output=True).returncode != 0


# Every file of the dossier is in one of these places; each place is one case, each of its files changed in turn.
PLACES = (
    "01-giay-moi/",
    "02-chuong-trinh/",
    "03-diem-danh/",
    "04-tai-lieu/",
    "05-gop-y/",
    "06-bieu-quyet/",
    "07-van-ban/",
    "08-ghi-hinh/",
    "10-nhat-ky/",
    METADATA,
)


def test_every_file_is_in_a_tested_place(built: Built) -> None:
    names = set(_names(built.zip)) - {MANIFEST, SIGNATURE}
    assert {n for n in names if not n.startswith(PLACES)} == set()


@pytest.mark.parametrize("place", PLACES)
def test_one_changed_byte_in_any_file_is_named(built: Built, place: str, tmp_path: Path) -> None:
    names = [n for n in _names(built.zip) if n.startswith(place)]
    assert names, place
    with zipfile.ZipFile(built.zip) as archive:
        contents = {n: archive.read(n) for n in names}
    for name in names:
        tampered = tmp_path / "tampered.zip"
        _rewrite(built.zip, tampered, {name: _one_byte_changed(contents[name])})
        found = check_dossier(tampered, built.trust)
        assert not found.ok and found.changed == [name], (name, found.to_dict())
        assert found.signature_ok and not found.missing and not found.added
    verified = cli(built.data_dir, "", "dossier", "verify", str(tampered))
    assert verified.returncode == 1 and names[-1] in verified.stdout


def test_a_removed_and_an_added_file_are_named(built: Built, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.zip"
    _rewrite(built.zip, tampered, {"02-chuong-trinh/chuong-trinh.json": None}, {"04-tai-lieu/them.pdf": b"%PDF-1.7"})
    found = check_dossier(tampered, built.trust)
    assert found.missing == ["02-chuong-trinh/chuong-trinh.json"] and found.added == ["04-tai-lieu/them.pdf"]
    assert found.signature_ok and not found.ok
    verified = cli(built.data_dir, "", "dossier", "verify", str(tampered), "--json")
    assert verified.returncode == 1
    assert json.loads(verified.stdout)["missing"] == ["02-chuong-trinh/chuong-trinh.json"]


def test_a_changed_manifest_or_signature_fails_the_signature(built: Built, tmp_path: Path) -> None:
    with zipfile.ZipFile(built.zip) as archive:
        manifest, signature = archive.read(MANIFEST), archive.read(SIGNATURE)
    # the manifest rewritten to match a changed file: the hashes agree, the signature does not
    entries = json.loads(manifest)
    entries["title"] = "Một cuộc họp khác"
    tampered = tmp_path / "tampered.zip"
    _rewrite(built.zip, tampered, {MANIFEST: json.dumps(entries, ensure_ascii=False, indent=2).encode() + b"\n"})
    found = check_dossier(tampered, built.trust)
    assert not found.signature_ok and found.changed == [MANIFEST] and not found.ok
    _rewrite(built.zip, tampered, {SIGNATURE: _one_byte_changed(signature)})
    found = check_dossier(tampered, built.trust)
    assert not found.signature_ok and not found.ok and found.changed in ([SIGNATURE], [MANIFEST])
    # a signature by a key the trust roots do not know
    assert not check_dossier(built.zip, Trust()).ok
    _rewrite(built.zip, tampered, {MANIFEST: None})
    found = check_dossier(tampered, built.trust)
    assert found.missing == [MANIFEST] and not found.ok


def test_export_builds_a_missing_dossier(built: Built, tmp_path: Path) -> None:
    """`dossier export` of a meeting whose dossier is not there (lost, or never finished) builds it, signed."""
    kept = built.data_dir / "dossiers" / f"{built.meeting_id}.zip"
    kept.unlink()
    out = tmp_path / "lai.zip"
    database_url = f"sqlite+aiosqlite:///{built.data_dir / 'm.sqlite3'}"
    exported = cli(built.data_dir, database_url, "dossier", "export", built.meeting_id, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert kept.is_file() and out.read_bytes() == kept.read_bytes()
    found = check_dossier(out, built.trust)
    assert found.ok, found.to_dict()
    assert set(_names(out)) == set(_names(built.zip))
    refused = cli(built.data_dir, database_url, "dossier", "export", "m_khongco", "--out", str(tmp_path / "x.zip"))
    assert refused.returncode == 1 and "Không tìm thấy" in refused.stderr
