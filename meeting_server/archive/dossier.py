"""What an archived meeting's dossier holds, gathered from what was saved (docs/archive.md): the giấy mời, the
agenda, the attendance list, every paper in every version (its PDF and any original) with its audience, the
comments on drafts, the vote results, the record documents as signed (byte-identical), the recordings (or their
hashes and locations over `MS_DOSSIER_RECORDINGS_MAX_MB`), the composed programme if there is one, and the event
log as JSON Lines; then the Phụ lục VI metadata. The database is read on the event loop; rendering, hashing,
zipping and signing run in one thread (`build_dossier`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pymupdf

from ..actions.base import Services
from ..documents.attendance_list import attendance_csv, render_attendance_pdf
from ..documents.convert import SourceFiles
from ..documents.invitation import VIETNAM_TZ, InvitationData, render_invitation_pdf
from ..documents.paperfiles import PaperFiles
from ..documents.vote_result import result_csv, result_pdf
from ..domain.actors import Actor
from ..domain.meetings import MeetingState
from ..errors import AppError
from ..media.programme import ProgrammeError
from ..programmes import ensure_programme
from ..storage import archive as archive_store
from ..storage import directory
from ..storage import meetings as meeting_store
from ..storage import papers as paper_store
from ..storage import record as record_store
from ..storage import votes as vote_store
from ..storage.db import now_iso
from ..views import attendance as attendance_views
from ..views.meetings import invitation_of
from ..vocabulary import (
    ADMIN,
    ARCHIVED,
    RECORD_CONCLUSION,
    RECORD_INVITATION,
    RECORD_ISSUED,
    RECORD_MINUTES,
)
from .manifest import FORMAT, Part, file_digest, write_dossier

log = logging.getLogger(__name__)

TYPE_NAMES = {RECORD_INVITATION: "Giấy mời", RECORD_MINUTES: "Biên bản", RECORD_CONCLUSION: "Thông báo"}
NOTATION = {RECORD_INVITATION: "GM", RECORD_MINUTES: "BB", RECORD_CONCLUSION: "TB"}
MAINTENANCE = "Vĩnh viễn"  # thời hạn bảo quản of a meeting's dossier by default (docs/archive.md)
LANGUAGE = "Tiếng Việt"
LOG_LIMIT = 10_000_000


def dossier_path(services: Services, meeting_id: str) -> Path:
    return services.settings.dossiers_dir / f"{meeting_id}.zip"


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def _date(iso: str | None) -> str | None:
    """A stored UTC time as the Vietnam date (YYYY-MM-DD)."""
    if not iso:
        return None
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(VIETNAM_TZ).date().isoformat()


def _pages(pdf: bytes | Path) -> int:
    try:
        with pymupdf.open(stream=pdf) if isinstance(pdf, bytes) else pymupdf.open(pdf) as doc:
            return int(doc.page_count)
    except Exception:  # not a PDF MuPDF reads: no pages to count
        return 0


def _vote_pdf(title: str, vote: dict[str, Any]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.pdf"
        result_pdf(title, vote, str(out))
        return out.read_bytes()


def _invitation(data: InvitationData, issued_on: str | None) -> bytes:
    if issued_on:  # the giấy mời as issued: its register date, not today's
        data = replace(data, issued_at=datetime.fromisoformat(f"{issued_on}T08:00:00+07:00"))
    return render_invitation_pdf(data)


async def _papers(services: Services, state: MeetingState, names: dict[str, str]) -> tuple[list[Part], bool]:
    """Every paper in every version with who could read it; the comments on drafts. True: a restricted one."""
    files = await asyncio.to_thread(PaperFiles, services.settings.papers_dir)
    sources = SourceFiles(services.settings.papers_dir)
    parts: list[Part] = []
    async with services.db.read() as session:
        papers = await paper_store.list_papers(session, state.id)
        comments = {p.id: await paper_store.comments_for(session, p.id) for p in papers}
    for paper in papers:
        folder = f"04-tai-lieu/{paper.id}"
        audience = {
            "access": paper.access,
            "user_ids": list(paper.user_ids),
            "users": [names.get(u, u) for u in paper.user_ids],
            "unit_ids": list(paper.unit_ids),
        }
        about = {"paper_id": paper.id, "title": paper.title, "status": paper.status, "audience": audience}
        info = {**about, "item_id": paper.item_id, "versions": [v.to_dict() for v in paper.versions]}
        parts.append(Part(f"{folder}/tai-lieu.json", "paper_info", data=_json(info), about=about))
        for version in paper.versions:
            pdf = files.original(version.file_id)
            stem = f"{folder}/v{version.version}"
            parts.append(
                Part(f"{stem}/{Path(version.filename).stem or 'tai-lieu'}.pdf", "paper", source=pdf, about=about)
            )
            if version.converted_from and version.original_id:  # the office file the PDF was made from, as uploaded
                source = sources.original(version.original_id, version.converted_from)
                parts.append(Part(f"{stem}/goc-{source.name}", "paper_original", source=source, about=about))
        if comments[paper.id]:
            rows = [c.to_dict() for c in comments[paper.id]]
            parts.append(Part(f"05-gop-y/{paper.id}.json", "comments", data=_json(rows), about=about))
    return parts, any(p.restricted for p in papers)


def _recordings(services: Services, meeting_id: str) -> tuple[list[Part], list[dict[str, Any]]]:
    """The recordings as files, or (over the limit) as external entries with their hashes. Blocking."""
    base = services.settings.recordings_dir / meeting_id
    found = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
    limit = services.settings.dossier_recordings_max_mb * 1024 * 1024
    if not limit or sum(p.stat().st_size for p in found) <= limit:
        return [Part(f"08-ghi-hinh/{p.relative_to(base)}", "recording", source=p) for p in found], []
    external = []
    for p in found:
        sha, size = file_digest(p)
        external.append({"location": str(p.resolve()), "sha256": sha, "bytes": size, "kind": "recording"})
    return [], external


async def _programme(services: Services, meeting_id: str) -> tuple[Path | None, str | None]:
    """The meeting as the walls showed it (programmes.py): composed now unless its inputs are unchanged since the
    composition after meeting.end. A failed composition does not stop the dossier: it is named in its notes."""
    try:
        return await ensure_programme(services.settings, meeting_id, db=services.db), None
    except ProgrammeError as error:
        log.warning("dossier of %s: the programme could not be composed: %s", meeting_id, error)
        return None, str(error)


async def gather(services: Services, meeting_id: str) -> tuple[list[Part], dict[str, Any], Any]:
    """The dossier's parts, its manifest header and the function making its metadata (`write_dossier`)."""
    async with services.db.read() as session:
        row = await meeting_store.load(session, meeting_id)
        state = meeting_store.state_of(row)
        if state.status != ARCHIVED:
            raise AppError("invalid_transition", action="archive", status=state.status)
        invitation = await invitation_of(session, state)
        lines = await archive_store.register_lines(session, meeting_id)
        documents = await record_store.documents_of(session, meeting_id)
        votes = [vote_store.public_vote(v) for v in await vote_store.votes_of(session, meeting_id)]
        log = await meeting_store.events_after(session, meeting_id, 0, LOG_LIMIT)
        people = await directory.users_by_ids(
            session, list({state.organizer_id, state.chair_id or "", state.secretary_id or "", *state.invitee_ids})
        )
        organiser = people.get(state.organizer_id)
        unit = await directory.get_unit(session, organiser.unit_id) if organiser and organiser.unit_id else None
    names = {uid: u.full_name for uid, u in people.items()}
    # the list as its organiser prints it (the archive acts for the organisation, hence the administrator's role)
    organiser_actor = Actor(kind="user", id=state.organizer_id, name="Lưu trữ / archive", roles=frozenset({ADMIN}))
    attendance = await attendance_views.attendance_list(services, organiser_actor, meeting_id)
    issued = {line.kind: line for line in lines}
    invitation_line = issued.get(RECORD_INVITATION)

    parts: list[Part] = [
        Part(
            "01-giay-moi/giay-moi.pdf",
            "invitation",
            render=lambda: _invitation(invitation, invitation_line.issued_on if invitation_line else None),
        ),
        Part("02-chuong-trinh/chuong-trinh.json", "agenda", data=_json([i.to_dict() for i in state.agenda])),
        Part("03-diem-danh/danh-sach-diem-danh.pdf", "attendance", render=lambda: render_attendance_pdf(attendance)),
        Part("03-diem-danh/danh-sach-diem-danh.csv", "attendance", data=attendance_csv(attendance)),
    ]
    paper_parts, restricted = await _papers(services, state, names)
    parts += paper_parts
    if votes:
        parts.append(Part("06-bieu-quyet/bieu-quyet.json", "votes", data=_json(votes)))
    for vote in votes:
        if vote.get("result"):
            parts.append(
                Part(f"06-bieu-quyet/{vote['id']}.pdf", "vote_result", render=partial(_vote_pdf, state.title, vote))
            )
            parts.append(Part(f"06-bieu-quyet/{vote['id']}.csv", "vote_result", data=result_csv(state.title, vote)))
    unissued = []
    for document in documents:
        info = record_store.document_dict(document)
        if document.status == RECORD_ISSUED and document.pdf is not None:
            name = f"07-van-ban/{document.kind}-v{document.version}.pdf"
            about = {"document_id": document.id, "number_text": info["number_text"], "signed": True}
            parts.append(Part(name, "record", data=document.pdf, about=about))
        else:
            unissued.append({"document_id": document.id, "kind": document.kind, "status": document.status})
    parts.append(
        Part("07-van-ban/van-ban.json", "record_info", data=_json([record_store.document_dict(d) for d in documents]))
    )
    recorded, external = await asyncio.to_thread(_recordings, services, meeting_id)
    parts += recorded
    programme, programme_problem = await _programme(services, meeting_id)
    if programme is not None:
        parts.append(Part("09-chuong-trinh-hop/programme.mp4", "programme", source=programme))
    log_lines = b"".join(json.dumps(e, ensure_ascii=False, sort_keys=True).encode() + b"\n" for e in log)
    parts.append(Part("10-nhat-ky/nhat-ky.jsonl", "event_log", data=log_lines))

    organ_id = (unit.official_code or unit.code) if unit else ""
    year = state.starts_at[:4]
    notation = f"HS-{meeting_id}"
    header = {
        "format": FORMAT,
        "meeting_id": meeting_id,
        "title": state.title,
        "built_at": now_iso(),
        "external": external,
        "unissued": unissued,
    }
    creator = people.get(state.secretary_id or "") or organiser
    confidential = restricted or any(d.confidential for d in documents)
    archived_at = next((e["at"] for e in reversed(log) if e["type"] == "meeting.archived"), now_iso())
    dates = [d for d in ([line.issued_on for line in lines] + [_date(state.starts_at), _date(archived_at)]) if d]
    notes = []
    if unissued:
        notes.append(f"{len(unissued)} văn bản chưa ban hành (dự thảo): không có trong hồ sơ.")
    if not any(d.status == RECORD_ISSUED for d in documents):
        notes.append("Cuộc họp lưu trữ khi chưa có biên bản hoặc thông báo kết luận đã ban hành.")
    if programme_problem:
        notes.append(f"Không dựng được tệp toàn cảnh cuộc họp (programme.mp4): {programme_problem}")
    if external:
        notes.append(f"{len(external)} tệp ghi hình quá giới hạn dung lượng: chỉ ghi mã băm và nơi lưu.")

    def metadata(files: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Phụ lục VI Phần II: mục III for the hồ sơ, mục I per document (each PDF of the dossier)."""
        described: list[dict[str, Any]] = []
        for entry in files:
            if not entry["path"].endswith(".pdf"):
                continue
            by_kind = {"invitation": RECORD_INVITATION}.get(entry["kind"])
            record = next((d for d in documents if d.id == entry.get("document_id")), None)
            kind = by_kind or (record.kind if record else None)
            line = issued.get(kind) if kind else None
            signers = [s for s in (record.slots if record else []) if s.get("signed_at")]
            described.append(
                {
                    "DocOrdinal": len(described) + 1,
                    "Path": entry["path"],
                    "TypeName": TYPE_NAMES.get(kind or "", _TYPE_OF.get(entry["kind"], "Tài liệu")),
                    "CodeNumber": f"{line.number:02d}" if line else None,
                    "CodeNotation": f"{NOTATION[line.kind]}-{line.symbol}" if line else None,
                    "IssuedDate": line.issued_on if line else None,
                    "OrganName": invitation.issuing_unit,
                    "Subject": line.summary if line else entry.get("title") or state.title,
                    "Language": LANGUAGE,
                    "PageAmount": entry.get("pages", 0),
                    "SignerInfo": [{"Position": s.get("title", ""), "FullName": s.get("name", "")} for s in signers]
                    or ([{"Position": "", "FullName": line.signer}] if line and line.signer else []),
                    "Priority": 1
                    if (record and record.confidential) or entry.get("audience", {}).get("access") == "restricted"
                    else 0,
                    "Sha256": entry["sha256"],
                }
            )
        hoso = {
            "FileCode": f"{organ_id}.{year}.{notation}",
            "OrganId": organ_id,
            "FileCatalog": year,
            "FileNotation": notation,
            "Title": f"Hồ sơ cuộc họp: {state.title}",
            "Maintenance": MAINTENANCE,
            "Rights": "Hạn chế sử dụng" if confidential else "Sử dụng rộng rãi",
            "Creator": creator.full_name if creator else "",
            "Language": LANGUAGE,
            "StartDate": min(dates) if dates else None,
            "EndDate": max(dates) if dates else None,
            "DocTotal": len(described),
            "PageTotal": sum(d["PageAmount"] for d in described),
            "Description": " ".join(notes),
        }
        return hoso, described

    return parts, header, metadata


def _inspect(part: Part, content: bytes | Path) -> dict[str, Any]:
    return {"pages": _pages(content)} if part.path.endswith(".pdf") else {}


_TYPE_OF = {"attendance": "Danh sách điểm danh", "vote_result": "Phiếu kết quả biểu quyết", "paper": "Tài liệu họp"}


async def build_dossier(services: Services, meeting_id: str) -> Path:
    """Build (or build again) the archived meeting's dossier at `Settings.dossiers_dir / <meeting_id>.zip`."""
    parts, header, metadata = await gather(services, meeting_id)
    out = dossier_path(services, meeting_id)
    await asyncio.to_thread(write_dossier, services.settings, out, parts, header, metadata, _inspect)
    return out


__all__ = ["build_dossier", "dossier_path", "gather"]
