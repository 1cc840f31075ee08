"""Signature and seal images (docs/signing.md "Images", docs/api.md "Signature and seal images"): a person sets,
replaces and deletes their own signature image, an administrator a unit's seal image; hostile uploads (not an
image, truncated, a decompression bomb, too big, all white) are refused with the sentence and nothing is saved;
the wrong role is refused. Then the images in a real signing: the thông báo signed with a PKCS#12 file and sealed
by the server's HSM, its page rendered with pymupdf: the signer's blue inside the signature box, the seal's red
over the box's left third where the blue is too, both signatures valid."""

from __future__ import annotations

import asyncio
import base64
import io

import pymupdf
from PIL import Image, ImageDraw

from meeting_server.actions import run_action
from meeting_server.auth import actor_of_user
from meeting_server.domain.record_content import SignatureBox
from meeting_server.errors import AppError
from meeting_server.signing.appearance import seal_box
from meeting_server.signing.demo_images import seal_png, signature_png
from meeting_server.signing.verify import verify_pdf
from meeting_server.storage import directory
from tests.helpers import ApiClient, LiveServer
from tests.pkikit import CHAIR_NAME
from tests.test_api_record import _held_meeting
from tests.test_record_signing import Setup, _people, signing, upload_p12  # noqa: F401  (the fixture)
from tests.test_signing import _coloured, pdfsig

MY = "/api/me/signature-image"


def _jpeg_on_white(size: tuple[int, int] = (900, 300)) -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).line((20, size[1] // 2, size[0] - 20, size[1] // 3), fill=(20, 40, 170), width=14)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _bomb() -> bytes:
    """A 20000 × 20000 PNG of a few dozen kilobytes: 400 million pixels once decoded."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


def _white_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 80), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


async def _put(client: ApiClient, path: str, data: bytes, content_type: str = "image/png") -> tuple[int, object]:
    return await client.request("PUT", path, raw=data, headers={"Content-Type": content_type})


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def _decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGBA")


async def test_own_signature_image_set_replaced_refused_and_deleted(live_server: LiveServer) -> None:
    server = live_server
    await server.create_user("chutich", CHAIR_NAME, ["chair"], title="Chủ tịch")
    await server.create_user("daibieu", "Trần Văn An", ["delegate"])
    chair, delegate = await server.client("chutich"), await server.client("daibieu")
    assert (await chair.get(MY))[0] == 404

    status, first = await _put(chair, MY, signature_png(CHAIR_NAME))
    assert status == 200 and first["present"], first  # type: ignore[index]
    status, png = await chair.get(MY)
    assert status == 200 and max(_decoded(png).size) <= 600
    assert (await delegate.get(MY))[0] == 404  # one's own only: the delegate has none

    # a JPEG scan on white paper replaces it; the paper is made transparent
    status, second = await _put(chair, MY, _jpeg_on_white(), "image/jpeg")
    assert status == 200 and second["sha256"] != first["sha256"], second  # type: ignore[index]
    kept = _decoded((await chair.get(MY))[1])
    ink = sum(1 for alpha in kept.getchannel("A").tobytes() if alpha > 128)
    assert kept.size == (600, 200) and _pixel(kept, (2, 2))[3] == 0 and 3000 < ink < 20000

    hostile = {
        "not an image": (b"MZ\x90\x00 this is not a picture", "không phải ảnh PNG hoặc JPEG"),
        "truncated": (signature_png(CHAIR_NAME)[:400], "bị hỏng hoặc không đầy đủ"),
        "bomb": (_bomb(), "quá nhiều điểm ảnh"),
        "all white": (_white_png(), "không có nét nào"),
        "empty": (b"", "không có tệp ảnh"),
    }
    for what, (data, sentence) in hostile.items():
        status, body = await _put(chair, MY, data)
        assert status == 400, (what, body)
        error = body["error"]  # type: ignore[index]
        assert error["code"] == "image_refused" and sentence in error["message"], (what, error)
        assert "không có gì được lưu" in error["message"]
    status, body = await _put(chair, MY, b"\x89PNG" + bytes(2 * 1024 * 1024))
    assert (status, body["error"]["code"]) == (413, "payload_too_large"), body  # type: ignore[index]
    assert (await chair.get(MY))[1] == (await chair.get(MY))[1]
    assert _decoded((await chair.get(MY))[1]).tobytes() == kept.tobytes()  # the refusals saved nothing

    status, body = await _put(chair, f"{MY}?lang=en", b"GIF89a nope")
    assert "not a PNG or JPEG" in body["error"]["message"]  # type: ignore[index]

    status, gone = await chair.request("DELETE", MY)
    assert status == 200 and gone == {"present": False, "url": None}
    assert (await chair.get(MY))[0] == 404


async def test_a_unit_seal_image_is_the_administrators(live_server: LiveServer) -> None:
    server = live_server
    unit = await server.create_unit("Văn phòng UBND tỉnh", kind="agency")
    await server.create_user("thuky", "Lê Thị Thư", ["secretary"], unit_id=unit)
    admin, secretary = await server.admin(), await server.client("thuky")
    path = f"/api/units/{unit}/seal-image"
    seal = seal_png("Ủy ban nhân dân tỉnh Tuyên Quang")

    status, refused = await _put(secretary, path, seal)
    assert (status, refused["error"]["code"]) == (403, "forbidden"), refused  # type: ignore[index]
    assert (await admin.get(path))[0] == 404  # nothing was kept for the refusal
    status, made = await _put(admin, path, seal)
    assert status == 200 and made["url"].startswith(path), made  # type: ignore[index]
    assert (await secretary.get(path))[0] == 403 and (await secretary.request("DELETE", path))[0] == 403
    red = _pixel(_decoded((await admin.get(path))[1]), (300, 300))  # the star's middle
    assert red[0] > 150 and red[1] < 80 and red[3] == 255
    status, body = await _put(admin, path, _bomb())
    assert (status, body["error"]["code"]) == (400, "image_refused")  # type: ignore[index]
    assert (await admin.get(path))[0] == 200
    assert (await _put(admin, "/api/units/un_nosuchunit0000/seal-image", seal))[0] == 404

    # the action checks what it keeps: a command sent straight to it (as over the socket) cannot store a raw file
    assert server.services is not None
    async with server.services.db.read() as session:
        admin_row = await directory.user_by_username(session, "admin")
    assert admin_row is not None
    raw = {"unit_id": unit, "png": base64.b64encode(_jpeg_on_white()).decode()}
    try:
        await run_action(server.services, actor_of_user(admin_row), "unit.seal_image.set", raw)
    except AppError as error:
        assert error.code == "image_refused"
    else:
        raise AssertionError("a JPEG straight to the action was kept")

    assert (await admin.request("DELETE", path))[0] == 200
    assert (await admin.get(path))[0] == 404


def _box_rect(box: SignatureBox) -> pymupdf.Rect:
    return pymupdf.Rect(box.x0, box.y0, box.x1, box.y1)


async def test_the_images_are_on_the_signed_and_sealed_notice(signing: Setup) -> None:  # noqa: F811
    server, pki = signing.server, signing.tokens.pki
    people = await _people(server)
    admin, meeting = await _held_meeting(server, people)
    chair = await server.client("chutich")
    assert (await _put(chair, MY, signature_png(CHAIR_NAME)))[0] == 200
    unit = people["chair"]["unit_id"]  # the issuing unit: the chair's (its register numbers the notice)
    assert (await _put(admin, f"/api/units/{unit}/seal-image", seal_png("Ủy ban nhân dân tỉnh Tuyên Quang")))[0] == 200

    ask = {"kind": "thong_bao", "signer_id": people["chair"]["id"], "signer_authority": "KT. CHỦ TỊCH"}
    status, made = await admin.post(f"/api/meetings/{meeting['id']}/record", ask)
    assert status == 201, made
    notice = made["document"]["id"]
    assert (await admin.post(f"/api/record/{notice}/submit"))[0] == 200
    assert (await chair.post(f"/api/record/{notice}/approve"))[0] == 200
    status, signed = await upload_p12(chair, notice, pki.chair)
    assert status == 200 and signed["all_valid"], signed
    box = SignatureBox(**(await admin.get(f"/api/record/{notice}"))[1]["boxes"]["signer"])
    signed_pdf = (await admin.get(f"/api/record/{notice}/pdf"))[1]
    whole = _box_rect(box)
    third = (box.x1 - box.x0) / 3
    left = pymupdf.Rect(box.x0, box.y0, box.x0 + third, box.y1)
    # the drawn signature, in its box (the text appearance, name and time, is a hundred-odd blue pixels at 72 dpi)
    assert _coloured(signed_pdf, box.page, whole, channel=2) > 600
    assert _coloured(signed_pdf, box.page, left, channel=2) > 20  # reaching into the left third
    assert _coloured(signed_pdf, box.page, whole, channel=0) == 0  # no red before the seal

    status, sealed = await admin.post(f"/api/record/{notice}/seal")
    assert status == 200 and sealed["all_valid"] and sealed["document"]["status"] == "issued", sealed
    pdf = (await admin.get(f"/api/record/{notice}/pdf"))[1]
    seal = seal_box(box)
    assert _coloured(pdf, box.page, left, channel=0) > 150  # the seal's red over the signature's left third
    assert _coloured(pdf, box.page, left, channel=2) > 0  # where the signature's blue still shows
    right = pymupdf.Rect(box.x1 - third, box.y0, box.x1, box.y1)
    assert _coloured(pdf, box.page, right, channel=0) == 0  # the seal stops at the left third
    sealed_area = pymupdf.Rect(seal.x0, seal.y0, seal.x1, seal.y1)
    assert _coloured(pdf, box.page, sealed_area, channel=0) > 800  # the image, not the drawn ring

    reports = await asyncio.to_thread(verify_pdf, pdf, server.services.trust)  # type: ignore[union-attr]
    assert [(r.field, r.ok) for r in reports] == [("signer", True), ("seal", True)], reports
    assert all(p.get("Signature Validation") == "Signature is Valid." for p in pdfsig(pdf, signing.tmp))
