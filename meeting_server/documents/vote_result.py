"""A vote's result sheet (Phiếu kết quả biểu quyết): an A4 PDF in Vietnamese and a CSV for Excel.

Top-level functions on plain data (the vote as `GET /api/meetings/{id}/votes` shows it, with its result), so the
PDF runs in `DocumentWorkers` processes, never on the event loop. A secret vote's sheet has the counts only.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..vocabulary import BASE_MEMBERS, BASE_MEMBERS_PRESENT, MORE_THAN_HALF, TWO_THIRDS
from .export import _REPORT_BODY, _REPORT_PAGE, _csv_cell, _e, _report_story
from .pdfout import finished, flow

RULE_WORDS = {MORE_THAN_HALF: "quá nửa", TWO_THIRDS: "ít nhất hai phần ba"}
BASE_WORDS = {BASE_MEMBERS: "tổng số thành viên", BASE_MEMBERS_PRESENT: "số thành viên có mặt"}


def _lines(meeting_title: str, vote: dict[str, Any]) -> list[tuple[str, str]]:
    r = vote["result"]
    out = [
        ("Cuộc họp", meeting_title),
        ("Nội dung biểu quyết", vote["question"]),
        ("Hình thức", "Bỏ phiếu kín" if vote["secret"] else "Biểu quyết công khai"),
        ("Số thành viên có quyền biểu quyết", str(r["members"])),  # not vocabulary: the result's field
        ("Số đã biểu quyết", str(r["voted"])),
        ("Quy tắc thông qua", f"{RULE_WORDS[r['rule']]} {BASE_WORDS[r['base']]} ({r['base_size']})"),
        ("Kết quả", "Thông qua" if r["passed"] else "Không thông qua" + (" (hòa phiếu)" if r["tie"] else "")),
    ]
    if r["proxies"]:
        marked = [
            f"{p['delegator']} → {p['proxy']}{' (người dự thay)' if p.get('stand_in') else ''}" for p in r["proxies"]
        ]
        out.append(("Ủy quyền", "; ".join(marked)))
    return out


def result_pdf(meeting_title: str, vote: dict[str, Any], out: str) -> None:
    """Write the result sheet of a closed vote to `out` (A4 PDF, Vietnamese serif fonts)."""
    r = vote["result"]
    facts = "".join(f"<p><b>{_e(k)}:</b> {_e(v)}</p>" for k, v in _lines(meeting_title, vote))
    rows = "".join(
        f"<tr><td>{_e(c['label'])}</td><td class='n'>{c['count']}</td><td class='n'>{c['percent']:.2f}%</td></tr>"
        for c in r["counts"]
    )
    html = (
        "<h1>PHIẾU KẾT QUẢ BIỂU QUYẾT</h1>"
        f"{facts}<table><tr><th>Phương án</th><th>Số phiếu</th><th>Tỷ lệ</th></tr>{rows}</table>"
    )
    pdf = flow(_report_story(html), _REPORT_PAGE, _REPORT_BODY)
    Path(out).write_bytes(finished(pdf, {"title": f"Kết quả biểu quyết - {vote['question'][:200]}"}))


def result_csv(meeting_title: str, vote: dict[str, Any]) -> bytes:
    """The same as CSV: UTF-8 with BOM and CRLF (Excel), formulas neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for key, value in _lines(meeting_title, vote):
        writer.writerow([key, _csv_cell(value)])
    writer.writerow([])
    writer.writerow(["Phương án", "Số phiếu", "Tỷ lệ (%)"])
    for c in vote["result"]["counts"]:
        writer.writerow([_csv_cell(c["label"]), c["count"], f"{c['percent']:.2f}"])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
