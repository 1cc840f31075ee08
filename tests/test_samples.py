"""The committed samples in docs/samples/ are what `make samples` (meeting_server/demo_samples.py) makes now: the
same text (pdftotext) and pages, the same .docx text, page renders for every page, and their signatures valid
(`meeting-server verify` with the demo root committed beside them), so they cannot silently go stale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from meeting_server.demo_samples import MINUTES_NAME, NOTICE_NAME, ROOT_NAME

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
NAMES = (MINUTES_NAME, NOTICE_NAME)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def docx_text(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def test_the_committed_samples_are_what_the_generator_makes(tmp_path: Path) -> None:
    fresh = tmp_path / "samples"
    subprocess.run([sys.executable, "-m", "meeting_server.demo_samples", str(fresh)], check=True, cwd=ROOT)
    for name in NAMES:
        committed, made = SAMPLES / f"{name}.pdf", fresh / f"{name}.pdf"
        assert pdf_text(committed) == pdf_text(made), f"{name}.pdf is stale: run make samples"
        assert pages(committed) == pages(made)
        assert sorted(p.name for p in SAMPLES.glob(f"{name}-*.png")) == [
            f"{name}-{n}.png" for n in range(1, pages(committed) + 1)
        ]
        assert docx_text(SAMPLES / f"{name}.docx") == docx_text(fresh / f"{name}.docx")
    text = pdf_text(SAMPLES / f"{MINUTES_NAME}.pdf")
    assert "Phiên họp thường kỳ tháng 11 năm 2026 của UBND tỉnh" in text and "01/BB-UBND" in text
    assert "THÔNG BÁO" in pdf_text(SAMPLES / f"{NOTICE_NAME}.pdf")


@pytest.mark.parametrize(
    ("name", "signers"),
    [
        (MINUTES_NAME, ["Lê Thị Phương Thảo", "Hoàng Văn Thắng"]),
        (NOTICE_NAME, ["Trần Minh Đức", "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"]),
    ],
)
def test_the_committed_samples_signatures_are_valid_demo_signatures(name: str, signers: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "meeting_server", "verify", "--json", str(SAMPLES / f"{name}.pdf")]
        + ["--trust-roots", str(SAMPLES / ROOT_NAME)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["all_valid"]
    assert [(s["signer"], s["ok"], s["demo"]) for s in result["signatures"]] == [(n, True, True) for n in signers]
