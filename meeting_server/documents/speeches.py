"""The speeches of a meeting as CSV for the minutes (biên bản): one row per speech, then the speaking time per
person, per site and per agenda item. UTF-8 with BOM so Excel shows Vietnamese."""

from __future__ import annotations

import csv
import io
from typing import Any

from .attendance_list import _local


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


def speeches_csv(data: dict[str, Any]) -> bytes:
    """`data` is views.floor.speeches' answer."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([f"Thời gian phát biểu - {data['title']}"])
    out.writerow(
        [
            "TT",
            "Người phát biểu",
            "Điểm cầu",
            "Nội dung họp",
            "Loại",
            "Nội dung đăng ký",
            "Bắt đầu",
            "Kết thúc",
            "Thời lượng (phút:giây)",
            "Thời lượng (giây)",
            "Dự kiến (phút)",
            "Gia hạn (phút)",
            "Kết thúc do",
        ]
    )
    for n, s in enumerate(data["speeches"], 1):
        out.writerow(
            [
                n,
                s["speaker_name"],
                s["site_name"],
                s["item_title"],
                s["kind_vi"],
                s["topic"],
                _local(s["started_at"]),
                _local(s["ended_at"]) if s["ended_at"] else "đang phát biểu",
                _minutes(s["duration_seconds"]),
                "" if s["duration_seconds"] is None else s["duration_seconds"],
                s["planned_minutes"],
                s["extra_minutes"],
                s["end_vi"],
            ]
        )
    totals = data["totals"]
    out.writerow([])
    out.writerow(["Tổng theo người phát biểu", "Số lượt", "Thời lượng (phút:giây)", "Thời lượng (giây)"])
    for row in totals["by_speaker"]:
        out.writerow([row["name"], row["speeches"], _minutes(row["seconds"]), row["seconds"]])
    out.writerow([])
    out.writerow(["Tổng theo điểm cầu", "", "Thời lượng (phút:giây)", "Thời lượng (giây)"])
    for row in totals["by_site"]:
        out.writerow([row["name"], "", _minutes(row["seconds"]), row["seconds"]])
    out.writerow([])
    out.writerow(["Tổng theo nội dung họp", "Số lượt", "Thời lượng (phút:giây)", "Thời lượng (giây)"])
    for row in totals["by_item"]:
        out.writerow([row["title"], row["speeches"], _minutes(row["seconds"]), row["seconds"]])
    out.writerow(["Cả cuộc họp", totals["speeches"], _minutes(totals["seconds"]), totals["seconds"]])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
