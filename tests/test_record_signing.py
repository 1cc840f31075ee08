"""The record signed end to end (issue 11), on SQLite and PostgreSQL, with real parts only: a held meeting
(attendance, three speeches, a secret vote) → the biên bản written, approved and numbered 01/BB → signed by the
secretary and then the chair **through the real `meeting-sign` agent** (a subprocess, `--pin-stdin`, their
SoftHSM2 tokens) against the running server → both signatures valid for pyHanko and for poppler's pdfsig, a byte
changed afterwards reported; the wrong certificates refused with their sentence (the chair's token on the
secretary's slot, an expired one, another CA's, a revoked one whose CRL the server fetches), the links one-time
and personal; the .docx carries the same text; the thông báo signed with a PKCS#12 file from the browser and
sealed by the server's HSM; every signature timestamped by the local TSA (MS_TSA_URL)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import docx
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from meeting_server.domain.record_content import SignatureBox
from meeting_server.signing import trust as trust_module
from meeting_server.signing.appearance import seal_box
from meeting_server.signing.verify import verify_pdf
from tests.helpers import ApiClient, LiveServer
from tests.hsmkit import CHAIR_KEY, SEAL_KEY, SEAL_TOKEN, SECRETARY_KEY, SOFTHSM_MODULE, Tokens
from tests.pkikit import CHAIR_NAME, PKCS12_PASSWORD, SECRETARY_NAME, Identity, crl, signer_with_crl
from tests.test_api_record import _held_meeting
from tests.test_signing import pdfsig
from tests.tsakit import LocalTSA, local_tsa


@dataclass
class Setup:
    server: LiveServer
    tokens: Tokens
    tsa: LocalTSA
    tmp: Path


@pytest.fixture
async def signing(empty_database: str, tmp_path: Path, tokens: Tokens) -> AsyncIterator[Setup]:
    """A server trusting the test PKI's root, timestamping with the local TSA, its seal in the SoftHSM2 HSM slot."""
    roots = tmp_path / "roots.pem"
    roots.write_bytes(tokens.pki.roots_pem())
    pin = tmp_path / "seal.pin"
    pin.write_text(tokens.seal.user_pin + "\n")
    pin.chmod(0o600)
    async with local_tsa(tokens.pki) as tsa:
        overrides = {
            "trust_roots": roots,
            "tsa_url": tsa.url,
            "seal_pkcs11_module": SOFTHSM_MODULE,
            "seal_token_label": SEAL_TOKEN,
            "seal_key_label": SEAL_KEY,
            "seal_pin_file": str(pin),
        }
        server = LiveServer(empty_database, tmp_path, settings_overrides=overrides)
        await server.start()
        try:
            yield Setup(server, tokens, tsa, tmp_path)
        finally:
            await server.stop()


async def _people(server: LiveServer) -> dict[str, dict[str, Any]]:
    """The people of _held_meeting, the secretary and the chair named as their certificates are."""
    unit = await server.create_unit("Văn phòng UBND tỉnh", kind="agency")
    return {
        "chair": await server.create_user("chutich", CHAIR_NAME, ["chair"], unit_id=unit, title="Chủ tịch"),
        "secretary": await server.create_user("thuky", SECRETARY_NAME, ["secretary"], unit_id=unit),
        "d1": await server.create_user("daibieu1", "Trần Văn An", ["delegate"], title="Giám đốc Sở Tài chính"),
        "d2": await server.create_user("daibieu2", "Phạm Thị Bình", ["delegate"]),
        "d3": await server.create_user("daibieu3", "Hoàng Văn Cường", ["delegate"]),
    }


async def agent(setup: Setup, link: str, *options: str, secret: str) -> tuple[int, str]:
    """`meeting-sign LINK …` as a signer runs it, the PIN (or the .p12 password) on stdin; (exit code, output)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "meeting_sign",
        link,
        "--pin-stdin",
        *options,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**setup.tokens.hsm.env(), "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    out, _ = await process.communicate((secret + "\n").encode())
    assert process.returncode is not None
    return process.returncode, out.decode()


def token_options(label: str, key: str) -> tuple[str, ...]:
    return ("--module", SOFTHSM_MODULE, "--token", label, "--cert", key)


def p12_file(setup: Setup, identity: Identity, name: str) -> Path:
    path = setup.tmp / f"{name}.p12"
    path.write_bytes(identity.pkcs12())
    return path


async def link_for(client: ApiClient, document_id: str) -> str:
    status, made = await client.post(f"/api/record/{document_id}/sign-request")
    assert status == 201, made
    assert made["command"] == f"meeting-sign '{made['link']}'"
    return str(made["link"])


async def upload_p12(client: ApiClient, document_id: str, identity: Identity) -> tuple[int, Any]:
    form = aiohttp.FormData()
    form.add_field("password", PKCS12_PASSWORD.decode())
    form.add_field("file", identity.pkcs12(), filename="chu-ky.p12", content_type="application/x-pkcs12")
    async with client.http.post(
        f"{client.base_url}/api/record/{document_id}/sign-pkcs12",
        data=form,
        headers={"X-CSRF-Token": client.csrf or ""},
    ) as response:
        return response.status, await response.json()


def docx_text(body: bytes) -> str:
    document = docx.Document(io.BytesIO(body))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_words(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


async def test_the_minutes_signed_by_both_through_the_agent_and_the_notice_sealed(signing: Setup) -> None:
    server, pki = signing.server, signing.tokens.pki
    trust = trust_module.Trust(tuple([pki.root.der]), signing.tsa.url)
    people = await _people(server)
    admin, meeting = await _held_meeting(server, people)
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    secretary, chair = await server.client("thuky"), await server.client("chutich")
    delegate = await server.client("daibieu1")

    # the minutes written, sent, approved: 01/BB, being signed
    status, made = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert status == 201, made
    doc = made["document"]["id"]
    said = "<p>Giao Sở Tài chính hoàn thiện kế hoạch đầu tư công trước ngày 15/01.</p>"
    assert (await secretary.put(f"/api/record/{doc}/texts/{item}/conclusion", {"html": said, "base_revision": 0}))[
        0
    ] == 200
    assert (await secretary.post(f"/api/record/{doc}/submit"))[0] == 200
    status, approved = await chair.post(f"/api/record/{doc}/approve")
    assert status == 200 and approved["number_text"] == "01/BB-VPUT", approved

    # out of turn, not theirs: refused with the sentence
    status, refused = await chair.post(f"/api/record/{doc}/sign-request")
    assert (status, refused["error"]["code"]) == (409, "signing_not_your_turn"), refused
    assert SECRETARY_NAME in refused["error"]["message"] and "Chưa đến lượt ký của bạn" in refused["error"]["message"]
    status, refused = await delegate.post(f"/api/record/{doc}/sign-request")  # record.sign: named in no slot here
    assert (status, refused["error"]["code"]) == (409, "signing_not_your_turn"), refused

    # the agent shows what it signs; the chair's token on the secretary's slot is refused, and so are an expired
    # certificate and another CA's: each in the server's sentence, the link still usable after
    link = await link_for(secretary, doc)
    status, shown = await admin.get(link.removeprefix(server.url))
    assert status == 200, shown
    assert shown["document"]["number"].startswith("01/BB-") and shown["signer"] == {
        "name": SECRETARY_NAME,
        "slot": "secretary",
        "title": "THƯ KÝ",
    }
    code, out = await agent(signing, link, *token_options(signing.tokens.chair.label, CHAIR_KEY), secret="222222")
    assert code == 1 and f"mang tên {CHAIR_NAME}, không phải người ký văn bản này" in out, out
    for identity, sentence in (
        (pki.expired, "không có hiệu lực vào thời điểm ký"),
        (pki.foreign, "không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp"),
    ):
        p12 = p12_file(signing, identity, "khac")
        code, out = await agent(signing, link, "--pkcs12", str(p12), secret=PKCS12_PASSWORD.decode())
        assert code == 1 and sentence in out, out

    # a revoked certificate (its CRL reachable): embedded, then refused by the verification; nothing recorded
    revoked = signer_with_crl(pki, signing.tsa.crl_url)
    signing.tsa.crl = crl(pki, revoked=(revoked,))
    status, refused = await upload_p12(secretary, doc, revoked)
    assert (status, refused["error"]["code"]) == (422, "signing_result_invalid"), refused
    assert signing.tsa.crl_requests >= 1
    status, unsigned = await secretary.get(f"/api/record/{doc}")
    assert [s["signed_at"] for s in unsigned["slots"]] == [None, None]
    assert b"/ByteRange" not in (await secretary.get(f"/api/record/{doc}/pdf"))[1]

    # the secretary signs with their token through the agent (a second link made meanwhile is then stale)
    second_link = await link_for(secretary, doc)
    requests_before = signing.tsa.requests
    code, out = await agent(
        signing, link, *token_options(signing.tokens.secretary.label, SECRETARY_KEY), secret="111111"
    )
    assert code == 0, out
    assert "Bạn sắp ký" in out and "01/BB" in out and "hợp lệ và được tin cậy" in out, out
    assert signing.tsa.requests > requests_before  # MS_TSA_URL is set: the signature carries the TSA's token
    # the link is spent; another person's token is not theirs
    status, replayed = await admin.get(link.removeprefix(server.url))
    assert (status, replayed["error"]["code"]) == (409, "signing_link_used")
    chair_link = await link_for(chair, doc)
    foreign_token = link.split("?t=")[1]
    status, foreign = await admin.get(chair_link.split("?t=")[0].removeprefix(server.url) + f"?t={foreign_token}")
    assert (status, foreign["error"]["code"]) == (403, "signing_link_invalid")

    # a link made before the document changed (someone signed since) is refused as such; the chair signs
    status, stale = await admin.get(second_link.removeprefix(server.url))
    assert (status, stale["error"]["code"]) == (409, "signing_document_changed"), stale
    code, out = await agent(signing, chair_link, *token_options(signing.tokens.chair.label, CHAIR_KEY), secret="222222")
    assert code == 0, out
    status, issued = await chair.get(f"/api/record/{doc}")
    assert issued["status"] == "issued" and all(s["signed_at"] for s in issued["slots"])

    # both signatures valid for pyHanko and for poppler; a byte changed afterwards is reported
    status, signed = await secretary.get(f"/api/record/{doc}/pdf")
    assert status == 200
    reports = await asyncio.to_thread(verify_pdf, signed, trust)
    assert [(r.field, r.signer, r.ok) for r in reports] == [
        ("secretary", SECRETARY_NAME, True),
        ("chair", CHAIR_NAME, True),
    ], reports
    assert all(r.timestamp_valid for r in reports)
    poppler = pdfsig(signed, signing.tmp)
    assert [p["Signer Certificate Common Name"] for p in poppler] == [SECRETARY_NAME, CHAIR_NAME]
    assert all(p.get("Signature Validation") == "Signature is Valid." for p in poppler), poppler
    first_range = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].sig_object["/ByteRange"]
    at = int(first_range[0]) + 200  # inside the first signature's signed bytes
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]
    changed = await asyncio.to_thread(verify_pdf, tampered, trust)
    assert not changed[0].intact and not changed[0].ok
    assert pdfsig(tampered, signing.tmp)[0].get("Signature Validation") != "Signature is Valid."

    # the .docx carries the same text as the signed PDF
    status, body = await secretary.get(f"/api/record/{doc}/docx")
    assert status == 200
    words, text = pdf_words(signed), docx_text(body)
    for phrase in ("01/BB", "Giao Sở Tài chính hoàn thiện kế hoạch đầu tư công", SECRETARY_NAME, CHAIR_NAME):
        assert phrase in text and phrase in " ".join(words.split()), phrase

    # the thông báo: the chair signs it with a PKCS#12 file from the browser, an organiser seals it (HSM)
    ask = {"kind": "thong_bao", "signer_id": people["chair"]["id"], "signer_authority": "KT. CHỦ TỊCH"}
    status, made = await admin.post(f"/api/meetings/{mid}/record", ask)
    assert status == 201, made
    notice = made["document"]["id"]
    assert (await admin.post(f"/api/record/{notice}/submit"))[0] == 200
    assert (await chair.post(f"/api/record/{notice}/approve"))[0] == 200
    status, early = await admin.post(f"/api/record/{notice}/seal")
    assert (status, early["error"]["code"]) == (409, "signing_not_your_turn"), early
    status, signed_notice = await upload_p12(chair, notice, pki.chair)
    assert status == 200, signed_notice
    assert signed_notice["all_valid"] and signed_notice["document"]["status"] == "signing"
    assert (await delegate.post(f"/api/record/{notice}/seal"))[0] in (403, 404)
    status, sealed = await admin.post(f"/api/record/{notice}/seal")
    assert status == 200, sealed
    assert sealed["document"]["status"] == "issued" and sealed["all_valid"]
    assert [s["field"] for s in sealed["signatures"]] == ["signer", "seal"]
    status, notice_pdf = await admin.get(f"/api/record/{notice}/pdf")
    reports = await asyncio.to_thread(verify_pdf, notice_pdf, trust)
    assert [(r.signer, r.ok, r.timestamp_valid) for r in reports] == [
        (CHAIR_NAME, True, True),
        ("ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG", True, True),
    ]
    assert all(p.get("Signature Validation") == "Signature is Valid." for p in pdfsig(notice_pdf, signing.tmp))
    # the seal's field covers the left third of the signer's: one rule, seal_box of the signer's box
    boxes = (await admin.get(f"/api/record/{notice}"))[1]["boxes"]
    signer_box = SignatureBox(**boxes["signer"])
    fields = {
        str(s.field_name): [float(v) for v in s.sig_field["/Rect"]]
        for s in PdfFileReader(io.BytesIO(notice_pdf)).embedded_signatures
    }
    expected = seal_box(signer_box)
    assert abs(fields["seal"][2] - expected.x1) <= 1 and fields["seal"][2] > signer_box.x0


async def _with_outsider(server: LiveServer) -> tuple[ApiClient, str, str]:
    """_held_meeting, and the Chánh Văn phòng ("vanphong", named as the secretary's certificate is) outside it:
    (the admin, the meeting's id, their id)."""
    people = await _people(server)
    outsider_id = (await server.create_user("vanphong", SECRETARY_NAME, ["delegate"], title="Chánh Văn phòng"))["id"]
    admin, meeting = await _held_meeting(server, people)
    return admin, meeting["id"], outsider_id


async def test_a_notice_signer_outside_the_meeting_asks_for_their_link_and_signs(signing: Setup) -> None:
    """The thông báo's signer may hold no part in the meeting (the organiser chose them: vocabulary.
    NAMED_PERMISSIONS): the slot names them, so they get the PDF, their link, the document's signer view, and sign
    with a .p12 file; reading the record stays the organisers'; a delegate named in no slot is told it is not
    their turn."""
    server, pki = signing.server, signing.tokens.pki
    admin, mid, outsider_id = await _with_outsider(server)
    chair, delegate, outsider = [await server.client(u) for u in ("chutich", "daibieu2", "vanphong")]
    ask = {"kind": "thong_bao", "signer_id": outsider_id, "signer_authority": "TL. CHỦ TỊCH"}
    status, made = await admin.post(f"/api/meetings/{mid}/record", ask)
    assert status == 201, made
    notice = made["document"]["id"]
    assert (await admin.post(f"/api/record/{notice}/submit"))[0] == 200
    assert (await chair.post(f"/api/record/{notice}/approve"))[0] == 200
    status, shown = await outsider.get(f"/api/record/{notice}")  # the signer's view of the one document naming them
    assert status == 200 and shown["view"] == "signer" and "texts" not in shown and "comments" not in shown, shown
    assert (await outsider.get(f"/api/meetings/{mid}"))[0] == 404  # the meeting itself is still not theirs to read

    status, refused = await delegate.post(f"/api/record/{notice}/sign-request")
    assert (status, refused["error"]["code"]) == (409, "signing_not_your_turn"), refused
    status, made = await outsider.post(f"/api/record/{notice}/sign-request")
    assert status == 201 and made["slot"] == "signer", made
    status, shown = await admin.get(made["link"].removeprefix(server.url))
    assert status == 200 and shown["signer"]["slot"] == "signer", shown
    status, signed = await upload_p12(outsider, notice, pki.secretary)
    assert status == 200 and signed["all_valid"], signed
    assert [s["signed_at"] is not None for s in signed["document"]["slots"]] == [True, False]


async def test_a_named_signer_reads_and_signs_their_document_and_nothing_else(signing: Setup) -> None:
    """The thông báo's signer, with no part in the meeting (the organiser chose them: vocabulary.NAMED_PERMISSIONS),
    reads the document naming them as its signer (number, state, slots, the PDF; no texts, comments or facts),
    finds it through the meeting's record, and signs it; a delegate of the meeting named in no slot, and the signer
    for the biên bản that does not name them, get the usual refusals."""
    server, pki = signing.server, signing.tokens.pki
    admin, mid, outsider_id = await _with_outsider(server)
    chair, delegate, outsider = [await server.client(u) for u in ("chutich", "daibieu1", "vanphong")]
    status, minutes = await admin.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert status == 201, minutes
    minutes_id = minutes["document"]["id"]
    ask = {"kind": "thong_bao", "signer_id": outsider_id, "signer_authority": "TL. CHỦ TỊCH"}
    status, made = await admin.post(f"/api/meetings/{mid}/record", ask)
    assert status == 201, made
    notice = made["document"]["id"]
    assert (await admin.post(f"/api/record/{notice}/comments", {"part": "opening", "text": "Bí mật"}))[0] in (200, 201)

    # a draft naming them: its signer view already, without the organisers' comments
    status, shown = await outsider.get(f"/api/record/{notice}")
    assert status == 200, shown
    assert shown["view"] == "signer" and shown["status"] == "draft" and shown["pdf_url"] == f"/api/record/{notice}/pdf"
    assert not {"texts", "comments", "content", "defaults", "return_comment", "recipients"} & set(shown), shown
    status, found = await outsider.get(f"/api/meetings/{mid}/record")
    assert status == 200 and found["view"] == "signer" and not found["in_meeting"] and "facts" not in found, found
    assert [d["id"] for d in found["documents"]] == [notice]

    # not the biên bản (its slots name others), not the .docx, not the meeting; another delegate nothing at all
    for path in (f"/api/record/{minutes_id}", f"/api/record/{minutes_id}/pdf", f"/api/meetings/{mid}"):
        assert (await outsider.get(path))[0] == 404, path
    assert (await outsider.get(f"/api/record/{notice}/docx"))[0] == 404
    for path in (f"/api/record/{notice}", f"/api/record/{notice}/pdf", f"/api/meetings/{mid}/record"):
        status, refused = await delegate.get(path)
        assert (status, refused["error"]["code"]) == (403, "forbidden"), (path, refused)

    assert (await admin.post(f"/api/record/{notice}/submit"))[0] == 200
    status, approved = await chair.post(f"/api/record/{notice}/approve")
    assert status == 200, approved
    status, shown = await outsider.get(f"/api/record/{notice}")
    assert shown["status"] == "signing" and shown["number_text"] == approved["number_text"], shown
    async with outsider.http.get(f"{server.url}/api/record/{notice}/pdf") as response:
        assert response.status == 200 and response.content_type == "application/pdf"
    status, waiting = await outsider.get("/api/signatures/awaiting")
    assert status == 200 and [(d["id"], d["slot"]) for d in waiting["documents"]] == [(notice, "signer")], waiting
    assert waiting["documents"][0]["page"] == f"/meetings/{mid}/record"
    assert (await delegate.get("/api/signatures/awaiting"))[1] == {"documents": []}
    status, signed = await upload_p12(outsider, notice, pki.secretary)
    assert status == 200 and signed["all_valid"], signed
    assert (await outsider.get("/api/signatures/awaiting"))[1] == {"documents": []}  # the seal's turn now
    status, shown = await outsider.get(f"/api/record/{notice}")
    assert [s["signed_at"] is not None for s in shown["slots"]] == [True, False], shown
