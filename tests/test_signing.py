"""PAdES signing end to end with real parts: the test PKI (tests/pkikit.py), a local RFC 3161 TSA over HTTP
(tests/tsakit.py), pyHanko's interrupted signing, and two independent validators (pyHanko's and poppler's pdfsig).
The signer's side is played by `cryptography` signing `to_sign` with the private key, as a token would."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pymupdf
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation.dss import DocumentSecurityStore

from meeting_server.documents.workers import DocumentWorkers
from meeting_server.domain.record_content import SignatureBox
from meeting_server.errors import AppError
from meeting_server.signing import appearance, trust
from meeting_server.signing.prepare import MECHANISM_ECDSA, MECHANISM_RSA, Signed, finish, prepare, sign_with_key
from meeting_server.signing.verify import (
    LATER_NONE,
    LATER_OTHER,
    LATER_SIGNATURES,
    MAX_VERIFY_BYTES,
    verify_in_worker,
    verify_pdf,
)
from tests.pkikit import PKI, Identity, crl, make_pki, signer_with_crl
from tests.tsakit import local_tsa

MARKER = b"MARKER-BIEN-BAN-0001"
SECRETARY_BOX = SignatureBox(page=1, x0=90, y0=420, x1=260, y1=500)
CHAIR_BOX = SignatureBox(page=1, x0=330, y0=420, x1=500, y1=500)


@pytest.fixture(scope="module")
def pki() -> PKI:
    return make_pki()


@pytest.fixture(scope="module")
def roots(pki: PKI) -> trust.Trust:
    return trust.Trust((pki.root.der,))


def record_pdf() -> bytes:
    """A two-page document standing in for the record layout's PDF; MARKER is in its (uncompressed) Info."""
    document = pymupdf.open()
    for number in (1, 2):
        page = document.new_page()
        page.insert_text((72, 90), f"BIÊN BẢN CUỘC HỌP - trang {number}", fontsize=14)
    document.set_metadata({"subject": MARKER.decode()})
    return document.tobytes()


def token_sign(identity: Identity, data: bytes, *, raw_ecdsa: bool = False) -> bytes:
    """What a PKCS#11 token returns for CKM_SHA256_RSA_PKCS / CKM_ECDSA_SHA256 (raw r‖s when `raw_ecdsa`)."""
    key = identity.key
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    if not raw_ecdsa:
        return der
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


async def sign_as(
    pdf: bytes,
    identity: Identity,
    box: SignatureBox,
    field: str,
    roots: trust.Trust,
    tsa_url: str | None = None,
    **signing: bool,
) -> Signed:
    await trust.async_check_signer_certificate(identity.der, identity.chain_der, roots, identity.name)
    prepared = await asyncio.to_thread(prepare, pdf, box, field, identity.der, identity.chain_der, None, tsa_url)
    return await asyncio.to_thread(finish, prepared.state, token_sign(identity, prepared.to_sign, **signing), roots)


def pdfsig(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """poppler's view of each signature: its "- Key: value" lines (certificate validation off: no NSS db)."""
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, env={"TZ": "UTC"}, check=False
    ).stdout
    blocks = re.split(r"^Signature #\d+:$", out, flags=re.M)[1:]
    return [dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", block, re.M)) for block in blocks]


def pdftotext(pdf: bytes, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


async def test_secretary_then_chair_two_incremental_signatures_both_valid(
    pki: PKI, roots: trust.Trust, tmp_path: Path
) -> None:
    async with local_tsa(pki) as tsa:
        first = await sign_as(record_pdf(), pki.secretary, SECRETARY_BOX, "secretary", roots, tsa.url)
        assert first.timestamped and first.validation_data and not first.revocation_data  # no OCSP/CRL in the kit
        after_one = await asyncio.to_thread(verify_pdf, first.pdf, roots)
        assert [r.later_changes for r in after_one] == [LATER_NONE]
        second = await sign_as(first.pdf, pki.chair, CHAIR_BOX, "chair", roots, tsa.url)
        assert tsa.requests == 2
    assert second.pdf.startswith(first.pdf)  # an incremental update: the first signature's bytes are untouched

    reports = await asyncio.to_thread(verify_pdf, second.pdf, roots)
    assert [r.field for r in reports] == ["secretary", "chair"]
    assert [r.signer for r in reports] == ["Nguyễn Thị Thư", "Trần Văn Chủ"]
    for report in reports:
        assert report.intact and report.valid and report.trusted and report.ok, report
        assert report.organisation == "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
        assert report.timestamp_present and report.timestamp_valid and report.tsa == "Test TSA (thử nghiệm)"
        assert report.signing_time is not None and report.signing_time.endswith("+07:00")
        assert (
            report.summary.startswith(f"Chữ ký của {report.signer} lúc ") and "hợp lệ và được tin cậy" in report.summary
        )
    assert reports[0].later_changes == LATER_SIGNATURES and not reports[0].covers_whole_document
    assert reports[1].later_changes == LATER_NONE and not reports[1].covers_whole_document  # only LTV data after it
    assert not reports.changed_after_last_signature
    assert reports[0].serial == format(pki.secretary.certificate.serial_number, "X")

    # /M in Vietnam time, in the signature dictionaries themselves
    embedded = PdfFileReader(io.BytesIO(second.pdf)).embedded_signatures
    stamps = [str(signature.sig_object["/M"]) for signature in embedded]
    assert all(re.fullmatch(r"D:\d{14}\+07'00'", stamp) for stamp in stamps), stamps
    assert stamps[0] == first.signed_at.strftime("D:%Y%m%d%H%M%S+07'00'")

    poppler = pdfsig(second.pdf, tmp_path)
    assert [p["Signature Field Name"] for p in poppler] == ["secretary", "chair"]
    assert [p["Signer Certificate Common Name"] for p in poppler] == ["Nguyễn Thị Thư", "Trần Văn Chủ"]
    assert all(p.get("Signature Validation") == "Signature is Valid." for p in poppler), poppler
    shown = datetime.strptime(poppler[0]["Signing Time"], "%b %d %Y %H:%M:%S").replace(tzinfo=UTC)
    assert shown == first.signed_at


async def test_a_byte_changed_after_signing_is_reported_by_both_validators(
    pki: PKI, roots: trust.Trust, tmp_path: Path
) -> None:
    signed = await sign_as(record_pdf(), pki.secretary, SECRETARY_BOX, "secretary", roots)
    assert not signed.timestamped
    assert signed.pdf.count(MARKER) == 1
    tampered = signed.pdf.replace(MARKER, MARKER[:-1] + b"9")

    (report,) = await asyncio.to_thread(verify_pdf, tampered, roots)
    assert not report.intact and not report.ok
    assert "đã bị thay đổi sau khi ký" in report.summary
    (poppler,) = pdfsig(tampered, tmp_path)
    assert poppler["Signature Validation"] != "Signature is Valid."

    # a revision appended after the signature that changes the text is "changed after it"
    changed = incremental_edit(signed.pdf, tmp_path)
    reports = await asyncio.to_thread(verify_pdf, changed, roots)
    assert reports[0].intact and reports[0].valid  # the signed revision itself is untouched
    assert reports[0].later_changes == LATER_OTHER and reports.changed_after_last_signature
    assert "sửa đổi sau khi ký" in reports[0].summary


def incremental_edit(pdf: bytes, tmp_path: Path) -> bytes:
    """Append a revision that writes on page 1, as someone editing a signed file in a PDF editor would."""
    path = tmp_path / "edited.pdf"
    path.write_bytes(pdf)
    document = pymupdf.open(path)
    document[0].insert_text((72, 300), "Sửa sau khi ký", fontsize=12)
    document.saveIncr()
    document.close()
    return path.read_bytes()


async def test_validation_data_embeds_the_crl_when_reachable_and_is_skipped_quietly_when_not(
    pki: PKI, roots: trust.Trust
) -> None:
    async with local_tsa(pki) as server:
        signer = signer_with_crl(pki, server.crl_url)
        server.crl = crl(pki)
        reached = await sign_as(record_pdf(), signer, SECRETARY_BOX, "secretary", roots)
        assert reached.validation_data and reached.revocation_data and server.crl_requests >= 1
        store = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(reached.pdf)))
        assert len(list(store.crls)) == 1
        server.crl = None  # the CA's CRL server answers 404
        unreachable = await sign_as(record_pdf(), signer, SECRETARY_BOX, "secretary", roots)
    assert not unreachable.revocation_data
    for signed in (reached, unreachable):
        (report,) = await asyncio.to_thread(verify_pdf, signed.pdf, roots)
        assert report.ok, report


async def test_an_ecdsa_token_s_raw_signature_is_accepted(pki: PKI, roots: trust.Trust) -> None:
    identity = pki.ecdsa_signer
    prepared = await asyncio.to_thread(
        prepare, record_pdf(), CHAIR_BOX, "chair", identity.der, identity.chain_der, None
    )
    assert prepared.mechanism == MECHANISM_ECDSA
    signed = await asyncio.to_thread(finish, prepared.state, token_sign(identity, prepared.to_sign, raw_ecdsa=True))
    assert not signed.validation_data  # no trust given to finish: no LTV step
    (report,) = await asyncio.to_thread(verify_pdf, signed.pdf, roots)
    assert report.ok and report.signer == "Trần Văn Chủ"


async def test_a_signature_from_another_key_is_refused_at_finish(pki: PKI) -> None:
    identity = pki.secretary
    prepared = await asyncio.to_thread(
        prepare, record_pdf(), SECRETARY_BOX, "secretary", identity.der, identity.chain_der, None
    )
    assert prepared.mechanism == MECHANISM_RSA
    with pytest.raises(AppError) as refused:
        await asyncio.to_thread(finish, prepared.state, token_sign(pki.chair, prepared.to_sign))
    assert refused.value.code == "signature_mismatch"
    assert refused.value.message().startswith("Chữ ký gửi lên không khớp với chứng thư số")
    with pytest.raises(AppError) as garbage:
        await asyncio.to_thread(finish, prepared.state, b"\x00" * 256)
    assert garbage.value.code == "signature_mismatch"


async def test_a_tsa_that_is_down_refuses_the_signature(pki: PKI) -> None:
    identity = pki.secretary
    async with local_tsa(pki) as tsa:
        prepared = await asyncio.to_thread(
            prepare, record_pdf(), SECRETARY_BOX, "secretary", identity.der, identity.chain_der, None, tsa.url
        )
        tsa.refuse = True
        with pytest.raises(AppError) as refused:
            await asyncio.to_thread(finish, prepared.state, token_sign(identity, prepared.to_sign))
    assert refused.value.code == "timestamp_unavailable" and refused.value.status == 503


@pytest.mark.parametrize(
    ("who", "code", "vietnamese"),
    [
        ("expired", "signing_certificate_expired", "Chứng thư số không có hiệu lực vào thời điểm ký"),
        ("foreign", "signing_certificate_untrusted", "Chứng thư số không do tổ chức cung cấp"),
        ("not_for_signing", "signing_certificate_not_for_signing", "Chứng thư số này không dùng để ký số"),
        ("chair", "signing_wrong_signer", "Chứng thư số mang tên Trần Văn Chủ"),
    ],
)
def test_certificates_that_may_not_sign_are_refused_in_vietnamese(
    pki: PKI, roots: trust.Trust, who: str, code: str, vietnamese: str
) -> None:
    """The secretary's slot: her own certificate expired, from another CA, not for signing; the chair's."""
    identity: Identity = getattr(pki, who)
    with pytest.raises(AppError) as refused:
        trust.check_signer_certificate(identity.der, identity.chain_der, roots, pki.secretary.name)
    assert refused.value.code == code
    assert refused.value.message().startswith(vietnamese), refused.value.message()
    assert refused.value.message("en") != refused.value.message()


def test_the_document_s_signer_is_matched_by_normalised_name(pki: PKI, roots: trust.Trust) -> None:
    """CN vs the person's full name: NFC (a decomposed "ễ" matches), case-folded, spaces collapsed."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "  NGUYỄN   thị Thư ")
    assert trust.check_signer_certificate(pki.secretary.der, pki.secretary.chain_der, roots, decomposed)
    with pytest.raises(AppError):
        trust.check_signer_certificate(pki.secretary.der, pki.secretary.chain_der, roots, "Nguyễn Thị Thu")
    nobody = trust.Trust(())
    with pytest.raises(AppError) as untrusted:
        trust.check_signer_certificate(pki.secretary.der, pki.secretary.chain_der, nobody, "Nguyễn Thị Thư")
    assert untrusted.value.code == "signing_certificate_untrusted"


def test_trust_roots_load_from_a_pem_file_or_a_folder(pki: PKI, tmp_path: Path) -> None:
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(pki.root.certificate_pem() + pki.intermediate.certificate_pem())
    assert trust.load_trust(bundle).roots == (pki.root.der, pki.intermediate.der)
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "a-root.crt").write_bytes(pki.root.certificate_pem())
    (folder / "b-foreign.der").write_bytes(pki.foreign_root.der)
    (folder / "README").write_text("not a certificate")
    assert trust.load_trust(folder, "http://tsa").roots == (pki.root.der, pki.foreign_root.der)
    (folder / "c-broken.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError, match="c-broken.pem"):
        trust.load_trust(folder)


def _png(colour: tuple[int, int, int], size: tuple[int, int], *, ring: bool = False) -> bytes:
    """A transparent PNG with a coloured stroke (a signature) or ring (a seal), bigger than kept."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if ring:
        draw.ellipse((40, 40, size[0] - 40, size[1] - 40), outline=(*colour, 255), width=size[0] // 12)
    else:
        draw.line((0, size[1] // 2, size[0], size[1] // 2), fill=(*colour, 255), width=size[1] // 5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _coloured(pdf: bytes, page: int, rect: pymupdf.Rect, channel: int) -> int:
    """Pixels in `rect` (PDF user space, origin bottom-left) strongly of one colour channel (0 red, 2 blue)."""
    document = pymupdf.open(stream=pdf)
    height = document[page].rect.height
    clip = pymupdf.Rect(rect.x0, height - rect.y1, rect.x1, height - rect.y0)
    pixmap = document[page].get_pixmap(clip=clip, dpi=72)
    samples = pixmap.samples
    n = pixmap.n
    count = 0
    for i in range(0, len(samples), n):
        pixel = samples[i : i + 3]
        others = [pixel[c] for c in range(3) if c != channel]
        if pixel[channel] > 120 and max(others) < 90:
            count += 1
    return count


async def test_signature_image_centred_and_seal_over_its_left_third(
    pki: PKI, roots: trust.Trust, tmp_path: Path
) -> None:
    signature_png = _png((20, 40, 180), (2400, 800))
    signer = pki.chair
    prepared = await asyncio.to_thread(
        prepare,
        record_pdf(),
        CHAIR_BOX,
        "signer",
        signer.der,
        signer.chain_der,
        None,
        look=appearance.Look(image=signature_png),
    )
    signed = await asyncio.to_thread(finish, prepared.state, token_sign(signer, prepared.to_sign))
    assert len(signed.pdf) - len(record_pdf()) < 150_000  # the 2400-pixel image was downscaled

    seal_key = SimpleSigner.load_pkcs12_data(pki.seal.pkcs12(), other_certs=[], passphrase=b"1234")
    sealed = await asyncio.to_thread(
        sign_with_key,
        signed.pdf,
        CHAIR_BOX,
        "seal",
        seal_key,
        look=appearance.Look(image=_png((200, 20, 20), (1000, 1000), ring=True), seal=True),
        trust=roots,
    )
    reports = await asyncio.to_thread(verify_pdf, sealed.pdf, roots)
    assert [r.signer for r in reports] == ["Trần Văn Chủ", "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"]
    assert all(r.ok for r in reports) and sealed.validation_data
    assert all(p["Signature Validation"] == "Signature is Valid." for p in pdfsig(sealed.pdf, tmp_path))

    box = pymupdf.Rect(CHAIR_BOX.x0, CHAIR_BOX.y0, CHAIR_BOX.x1, CHAIR_BOX.y1)
    third = (box.x1 - box.x0) / 3
    middle = pymupdf.Rect(box.x0 + third, box.y0, box.x1 - third, box.y1)
    assert _coloured(signed.pdf, 1, middle, channel=2) > 200  # blue stroke across the middle of the box
    above = pymupdf.Rect(box.x0, box.y1 + 2, box.x1, box.y1 + 40)
    assert _coloured(signed.pdf, 1, above, channel=2) == 0  # and nothing outside it

    seal = appearance.seal_box(CHAIR_BOX)
    assert seal.x1 - seal.x0 == pytest.approx(36 * 72 / 25.4)  # true size: 36 mm
    assert seal.x1 == pytest.approx(CHAIR_BOX.x0 + third)  # covering the signer box's left third
    left_part = pymupdf.Rect(seal.x0, seal.y0, CHAIR_BOX.x0 + third, seal.y1)
    assert _coloured(sealed.pdf, 1, left_part, channel=0) > 200
    assert _coloured(sealed.pdf, 1, pymupdf.Rect(box.x1 - third, box.y0, box.x1, box.y1), channel=0) == 0


async def test_text_appearance_without_an_image(pki: PKI) -> None:
    signer = pki.secretary
    prepared = await asyncio.to_thread(
        prepare, record_pdf(), SECRETARY_BOX, "secretary", signer.der, signer.chain_der, None
    )
    signed = await asyncio.to_thread(finish, prepared.state, token_sign(signer, prepared.to_sign))
    document = pymupdf.open(stream=signed.pdf)
    widget = next(document[1].widgets())
    assert widget.field_name == "secretary"
    page_height = document[1].rect.height
    assert widget.rect == pymupdf.Rect(
        SECRETARY_BOX.x0, page_height - SECRETARY_BOX.y1, SECRETARY_BOX.x1, page_height - SECRETARY_BOX.y0
    )
    shown = signed.signed_at.strftime("%d/%m/%Y %H:%M:%S")
    text = pdftotext(signed.pdf, page=2)
    assert "Nguyễn Thị Thư" in text and f"Ký số: {shown} (+07:00)" in text


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda pdf: b"GIF89a not a pdf at all" * 10, "signed_pdf_unreadable"),
        (lambda pdf: pdf[: len(pdf) // 3], "signed_pdf_unreadable"),
        (lambda pdf: b"%PDF-1.7\n" + b"\xff" * 5000, "signed_pdf_unreadable"),
        (lambda pdf: record_pdf(), "signed_pdf_unsigned"),
    ],
    ids=["not-a-pdf", "truncated", "garbage-after-header", "unsigned"],
)
async def test_hostile_input_to_verify_gives_a_clear_error(
    pki: PKI, roots: trust.Trust, make: Callable[[bytes], bytes], code: str
) -> None:
    signed = await sign_as(record_pdf(), pki.secretary, SECRETARY_BOX, "secretary", roots)
    async with DocumentWorkers(max_workers=1) as workers:
        with pytest.raises(AppError) as refused:
            await verify_in_worker(workers, make(signed.pdf), roots)
        assert refused.value.code == code
        good = await verify_in_worker(workers, signed.pdf, roots)  # the worker answers the next job
        assert good[0].ok


def test_a_huge_file_is_refused_before_parsing(roots: trust.Trust) -> None:
    with pytest.raises(AppError) as refused:
        verify_pdf(b"%PDF-1.7\n" + bytes(MAX_VERIFY_BYTES), roots)
    assert refused.value.code == "signed_pdf_too_large" and refused.value.status == 413
    assert refused.value.message() == "Tệp PDF quá lớn để kiểm tra chữ ký (tối đa 50 MB)."
