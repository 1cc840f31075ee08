"""`make samples`: the sample biên bản and thông báo kết luận in docs/samples/, made from the demo's held meeting
(demo_data.HELD_MEETING) through the real path: the demo seed (actions, at the meeting's own times), the thông báo
sent and approved, both rendered in a document worker, then signed with the demo keys (signing/demo_pki.py) —
the secretary and the chair on the biên bản, the signer and the seal on the thông báo — each signature stored by
the signing phase's door (storage.record.record_signature). Page renders by pdftoppm.

Deterministic where it can be: every date and time is fixed (the replayed clock, the signing times); the keys are
made afresh each run, so the signatures' bytes differ, and the demo root that verifies them is written beside
them (`ca-thu-nghiem.pem`: `meeting-server verify FILE --trust-roots docs/samples/ca-thu-nghiem.pem`).

Usage: ``python -m meeting_server.demo_samples [OUTDIR]`` (default docs/samples).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from pyhanko.sign import signers

from . import demo_data as d
from .actions import Services, run_action
from .actions.record import keep_pdf
from .config import Settings
from .demo import VIETNAM, ReplayClock, _Ids, ensure_demo_keys, seed
from .documents.record_render import render_record, render_record_docx
from .documents.workers import DocumentWorkers
from .domain.record_content import SignatureBox
from .signing.appearance import Look
from .signing.demo_pki import DEMO_PKCS12_PASSWORD
from .signing.prepare import sign_with_key
from .signing.seal import sealing
from .storage import images as image_store
from .storage import record as record_store
from .storage.db import replaying
from .vocabulary import IMAGE_SEAL, IMAGE_SIGNATURE, SLOT_CHAIR, SLOT_SEAL, SLOT_SECRETARY, SLOT_SIGNER

MINUTES_NAME = "bien-ban-mau"
NOTICE_NAME = "thong-bao-ket-luan-mau"
ROOT_NAME = "ca-thu-nghiem.pem"
TODAY = datetime(2026, 12, 1, 8, 0, tzinfo=VIETNAM)  # "today" of the seed: the upcoming demo meeting's dates
HELD = d.HELD_MEETING
DAY_AFTER = datetime(HELD.year, HELD.month, HELD.day, tzinfo=VIETNAM) + timedelta(days=1)
APPROVED_AT = DAY_AFTER.replace(hour=14)  # the chair approves the thông báo the afternoon after the meeting
SIGNING_TIMES = {
    SLOT_SECRETARY: DAY_AFTER.replace(hour=15),
    SLOT_CHAIR: DAY_AFTER.replace(hour=15, minute=30),
    SLOT_SIGNER: DAY_AFTER.replace(hour=16),
    SLOT_SEAL: DAY_AFTER.replace(hour=16, minute=5),
}
SIGNER_OF_SLOT = {
    SLOT_SECRETARY: HELD.secretary_username,
    SLOT_CHAIR: HELD.chair_username,
    SLOT_SIGNER: HELD.conclusion_signer_username,
}


def _sign(pdf: bytes, box: SignatureBox, slot: str, p12: Path | None, settings: Settings, look: Look) -> bytes:
    """One signature at its fixed time: a person's from their demo PKCS#12, or the seal (the server's); `look`
    carries the signer's drawn signature or the unit's seal (demo.py gives them their images)."""
    if slot == SLOT_SEAL:
        with sealing(settings) as seal:
            return sign_with_key(pdf, box, "ConDau", seal, at=SIGNING_TIMES[slot], look=look).pdf
    assert p12 is not None
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=DEMO_PKCS12_PASSWORD.encode())
    if signer is None:
        raise ValueError(f"cannot open {p12}")
    return sign_with_key(pdf, box, f"Ky_{slot}", signer, at=SIGNING_TIMES[slot], look=look).pdf


async def _render_and_sign(
    services: Services, workers: DocumentWorkers, document_id: str, keys: dict[str, Path]
) -> tuple[bytes, bytes]:
    """Render the approved document in a worker, keep it, sign its slots in order; (signed PDF, its .docx)."""
    async with services.db.read() as session:
        row = await record_store.load(session, document_id)
        kind, content, slots = row.kind, dict(row.content or {}), [s["slot"] for s in row.slots]
        looks = {  # as views/signing.ToSign.look: the slot person's signature image, the issuing unit's seal
            s["slot"]: Look(image=await image_store.png_of(session, IMAGE_SIGNATURE, s.get("user_id") or ""))
            for s in row.slots
            if s["slot"] != SLOT_SEAL
        }
        looks[SLOT_SEAL] = Look(image=await image_store.png_of(session, IMAGE_SEAL, row.unit_id), seal=True)
    rendered = await workers.run(render_record, kind, content, timeout=120.0)
    await keep_pdf(services, document_id, rendered)
    pdf = rendered.pdf
    for slot in slots:
        box = rendered.boxes[SLOT_SIGNER if slot == SLOT_SEAL else slot]  # the seal goes over the signer's box
        key = keys.get(SIGNER_OF_SLOT.get(slot, ""))
        pdf = await asyncio.to_thread(_sign, pdf, box, slot, key, services.settings, looks[slot])
        async with services.db.write() as session:
            await record_store.record_signature(session, document_id, slot, pdf)
    docx = await workers.run(render_record_docx, kind, content, timeout=120.0)
    return pdf, docx


async def make_samples(work: Path) -> tuple[dict[str, tuple[bytes, bytes]], bytes]:
    """The samples ({name: (signed PDF, .docx)}) and the demo root's PEM, made with a throwaway database and data
    directory in `work`."""
    from .api.app import build_services
    from .storage.migrate import upgrade_async

    settings = Settings(data_dir=work, database_url=f"sqlite+aiosqlite:///{work / 'samples.sqlite3'}")
    await upgrade_async(settings.resolved_database_url)
    demo_keys = ensure_demo_keys(work)
    services = build_services(settings)
    workers = DocumentWorkers(max_workers=1)
    try:
        seeded = await seed(services, today=TODAY)
        held = seeded["held"]
        ids: _Ids = seeded["ids"]
        with replaying(ReplayClock(APPROVED_AT)):
            secretary = await ids.actor(services, HELD.secretary_username)
            chair = await ids.actor(services, HELD.chair_username)
            ref = {"meeting_id": held["id"], "document_id": held["notice_id"]}
            await run_action(services, secretary, "record.submit", ref)
            await run_action(services, chair, "record.approve", ref)
        made = {
            name: await _render_and_sign(services, workers, document_id, demo_keys.people)
            for name, document_id in ((MINUTES_NAME, held["minutes_id"]), (NOTICE_NAME, held["notice_id"]))
        }
        return made, demo_keys.root.read_bytes()
    finally:
        await workers.close()
        await services.db.close()


def write_samples(out: Path, made: dict[str, tuple[bytes, bytes]], root_pem: bytes) -> dict[str, list[str]]:
    """Write each sample's PDF and .docx into `out` with PNG renders of its pages (pdftoppm, 60 dpi), and the demo
    root that verifies them; returns each sample's page images."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[str]] = {}
    for name, (pdf, docx) in made.items():
        (out / f"{name}.pdf").write_bytes(pdf)
        (out / f"{name}.docx").write_bytes(docx)
        for old in out.glob(f"{name}-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(out / f"{name}.pdf"), str(out / name)], check=True)
        written[name] = sorted(p.name for p in out.glob(f"{name}-*.png"))
    (out / ROOT_NAME).write_bytes(root_pem)
    (out / ROOT_NAME).chmod(0o644)  # a public certificate, committed with the samples
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "docs/samples")
    with tempfile.TemporaryDirectory(prefix="ms-samples-") as work:
        made, root_pem = asyncio.run(make_samples(Path(work)))
    for name, pages in write_samples(out, made, root_pem).items():
        print(f"{out / name}.pdf, .docx, {len(pages)} trang / pages: {', '.join(pages)}")
    return 0


__all__ = ["MINUTES_NAME", "NOTICE_NAME", "ROOT_NAME", "main", "make_samples", "write_samples"]

if __name__ == "__main__":
    sys.exit(main())
