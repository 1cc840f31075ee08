"""Realistic record contents for the demo province (Tuyên Quang, UBND tỉnh): a biên bản and a thông báo kết luận
as `domain.record_content` describes them. Pure: tests of the layout, the signing and the register reuse them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from meeting_server.domain.record_content import (
    Attendee,
    ConclusionContent,
    DocumentNumber,
    Issuer,
    ItemRecord,
    MinutesContent,
    Signer,
    Speech,
    VoteLine,
)
from meeting_server.vocabulary import RECORD_CONCLUSION, RECORD_MINUTES, SLOT_CHAIR, SLOT_SECRETARY, SLOT_SIGNER

VN = timezone(timedelta(hours=7))
START = datetime(2027, 1, 5, 8, 0, tzinfo=VN)
ISSUER = Issuer(issuing_body="Ủy ban nhân dân tỉnh Tuyên Quang", symbol="UBND", place="Tuyên Quang", governing_body="")
OFFICE = Issuer(
    issuing_body="Văn phòng", symbol="VP", place="Tuyên Quang", governing_body="Ủy ban nhân dân tỉnh Tuyên Quang"
)
CHAIR = Attendee("Nguyễn Văn Sơn", "Chủ tịch UBND tỉnh")
SECRETARY = Attendee("Lê Thị Thu Hà", "Chuyên viên Văn phòng UBND tỉnh")


def item(n: int, *, speeches: int = 3, secret_vote: bool = True, start: datetime = START) -> ItemRecord:
    begin = start + timedelta(minutes=40 * (n - 1) + 10)
    talks = [
        Speech(
            speaker=("Trần Quốc Hưng", "Phạm Thị Ngọc Ánh", "Hoàng Đức Lượng")[k % 3],
            site=("Hội trường tỉnh", "Xã Tân Trào", "Phường Minh Xuân")[k % 3],
            started_at=begin + timedelta(minutes=5 + 4 * k),
            seconds=185 + 17 * k,
        )
        for k in range(speeches)
    ]
    votes = [
        VoteLine(
            question=f"Thông qua nội dung {n}",
            secret=secret_vote,
            counts={"yes": 12, "no": 2, "abstain": 1, "not_voted": 0},
            members=15,
            outcome="Thông qua",
            rule="quá nửa tổng số thành viên",
        )
    ]
    return ItemRecord(
        number=str(n),
        title=f"Dự thảo Nghị quyết về phát triển kinh tế - xã hội số {n} năm 2027",
        presenter="Giám đốc Sở Tài chính",
        papers=[f"Tờ trình số {n:02d}/TTr-STC", "Dự thảo Nghị quyết"],
        started_at=begin,
        ended_at=begin + timedelta(minutes=35),
        speeches=talks,
        votes=votes,
        discussion_html=(
            "<p>Các đại biểu thảo luận về <strong>nguồn vốn đầu tư công</strong> và <em>tiến độ giải ngân</em>.</p>"
            "<ul><li>Sở Kế hoạch và Đầu tư đề nghị bổ sung số liệu;</li><li>Xã Tân Trào kiến nghị hỗ trợ.</li></ul>"
        ),
        conclusion_html=(
            "<p>Thống nhất thông qua nội dung; giao Sở Tài chính <u>hoàn thiện hồ sơ</u> trước ngày 15/01/2027.</p>"
        ),
    )


def minutes(*, number: int | None = 5, items: int = 2, speeches: int = 3, **changes: object) -> MinutesContent:
    """A biên bản of the UBND tỉnh's January meeting, numbered `number` (None: a draft)."""
    content = MinutesContent(
        issuer=ISSUER,
        number=DocumentNumber(RECORD_MINUTES, "UBND", number, 2027),
        title="Cuộc họp Ủy ban nhân dân tỉnh tháng 01 năm 2027",
        started_at=START,
        ended_at=START + timedelta(minutes=40 * items + 15),
        place="Phòng họp số 1, trụ sở UBND tỉnh",
        chair=CHAIR,
        secretary=SECRETARY,
        host_site="Hội trường tỉnh",
        sites_connected=["Xã Tân Trào", "Phường Minh Xuân"],
        present=[
            CHAIR,
            Attendee("Trần Quốc Hưng", "Phó Chủ tịch UBND tỉnh"),
            Attendee("Phạm Thị Ngọc Ánh", "Giám đốc Sở Tài chính", site="Hội trường tỉnh"),
            Attendee("Hoàng Đức Lượng", "Chủ tịch UBND xã Tân Trào", site="Xã Tân Trào"),
        ],
        absent=[Attendee("Đỗ Minh Khôi", "Giám đốc Sở Y tế", note="đi công tác")],
        late=[Attendee("Vũ Thị Lan", "Giám đốc Sở Giáo dục và Đào tạo", note="đến muộn lúc 08:20")],
        items=[item(n, speeches=speeches) for n in range(1, items + 1)],
        signers=[
            Signer(SLOT_SECRETARY, "THƯ KÝ", SECRETARY.name),
            Signer(SLOT_CHAIR, "CHỦ TỌA", CHAIR.name),
        ],
        recipients=["Thường trực Tỉnh ủy", "Thường trực HĐND tỉnh", "Các thành viên UBND tỉnh"],
        archive_line="Lưu: VT, TH.",
        issued_on=date(2027, 1, 5),
    )
    return replace(content, **changes)  # type: ignore[arg-type]


def conclusion(*, number: int | None = 7, items: int = 2, **changes: object) -> ConclusionContent:
    """The thông báo kết luận of that meeting, signed "TL. CHỦ TỊCH" by the Chánh Văn phòng and sealed."""
    content = ConclusionContent(
        issuer=OFFICE,
        number=DocumentNumber(RECORD_CONCLUSION, "VP", number, 2027),
        issued_on=date(2027, 1, 6),
        summary="Kết luận của Chủ tịch UBND tỉnh tại cuộc họp Ủy ban nhân dân tỉnh tháng 01 năm 2027",
        opening_html=(
            "<p>Ngày 05/01/2027, đồng chí Nguyễn Văn Sơn, Chủ tịch UBND tỉnh chủ trì cuộc họp Ủy ban nhân dân tỉnh "
            "tháng 01 năm 2027. Sau khi nghe các sở, ngành báo cáo và ý kiến của các đại biểu, Chủ tịch UBND tỉnh "
            "kết luận như sau:</p>"
        ),
        items=[item(n) for n in range(1, items + 1)],
        signer=Signer(SLOT_SIGNER, "CHÁNH VĂN PHÒNG", "Ma Thị Thanh Hoa", authority="TL. CHỦ TỊCH"),
        recipients=["Chủ tịch, các PCT UBND tỉnh", "Các sở, ban, ngành", "UBND các xã, phường"],
        archive_line="Lưu: VT, TH.",
        closing_html="<p>Văn phòng UBND tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.</p>",
    )
    return replace(content, **changes)  # type: ignore[arg-type]
