"""Office papers through the sandboxed LibreOffice (meeting_server/documents/convert.py), with the real soffice:
types decided by content, Vietnamese text kept, no network, bombs refused before LibreOffice, a conversion that
never finishes killed at the timeout with its whole process group, at most N at once, slides and cells."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from aiohttp import web

from meeting_server.documents import convert, landlock
from meeting_server.documents.convert import Converter, ConvertLimits, detect, precheck
from meeting_server.errors import AppError
from tests import office_samples as samples

pytestmark = pytest.mark.timeout(240)

NEVER_FINISHES = """#!/bin/sh
# The real LibreOffice starts in the background and this wrapper stops itself (SIGSTOP): nothing will ever
# continue it, so the conversion never finishes whatever the machine's speed; only the timeout ends it.
soffice "$@" &
kill -STOP $$
wait
"""


@contextlib.contextmanager
def shared_dir(prefix: str, mode: int) -> Iterator[Path]:
    """A fresh directory outside pytest's own (0700, root's), that the conversion user may pass or read."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(mode)
    try:
        yield path
    finally:
        subprocess.run(["rm", "-rf", str(path)], check=False)


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """Where the jobs' directories go: like /tmp, others may pass through it (the conversion user must)."""
    with shared_dir("convert-test-", 0o711) as path:
        yield path


def write(directory: Path, name: str, content: bytes | str, mode: int = 0o644) -> Path:
    path = directory / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    path.chmod(mode)
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def entries(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def stale_pipes() -> list[str]:
    """Single-instance sockets of LibreOffice in /tmp that nothing listens on, of the conversion user (other
    programs on this machine may run LibreOffice as themselves)."""
    import pwd
    import socket

    owner = pwd.getpwnam(convert.CONVERT_USER).pw_uid if os.geteuid() == 0 else os.geteuid()
    stale = []
    for entry in Path("/tmp").glob("OSL_PIPE_*"):
        if entry.lstat().st_uid != owner:
            continue
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(entry))
            except ConnectionRefusedError:
                stale.append(entry.name)
            except OSError:
                continue
    return stale


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def test_the_type_is_decided_by_content_not_by_name(tmp_path: Path) -> None:
    made = {
        "docx": samples.vietnamese_docx(),
        "pdf": b"%PDF-1.7\n%\xe2\xe3\n",
        "rtf": b"{\\rtf1\\ansi Uy ban\\par}",
    }
    for kind, content in made.items():
        assert detect(write(tmp_path, "tai-lieu.pdf", content)) == kind  # the name says PDF: the content decides
    assert detect(write(tmp_path, "anh.docx", b"\x89PNG\r\n\x1a\n" + bytes(100))) is None
    assert detect(write(tmp_path, "rong.docx", b"PK\x03\x04" + bytes(100))) is None  # not a readable package
    ole = convert.OLE_MAGIC + bytes(500) + "EncryptedPackage\0".encode("utf-16-le") + bytes(100)
    assert detect(write(tmp_path, "mat.docx", ole)) == "encrypted"
    with pytest.raises(AppError) as refused:
        precheck(tmp_path / "mat.docx", "encrypted", ConvertLimits())
    assert refused.value.code == "paper_convert_protected"
    for kind, mime in (("odt", "text"), ("ods", "spreadsheet"), ("odp", "presentation")):
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as z:
            z.writestr("mimetype", f"application/vnd.oasis.opendocument.{mime}")
            z.writestr("content.xml", "<office:document-content/>")
            z.writestr("META-INF/manifest.xml", '<manifest:encryption-data manifest:checksum="x"/>')
        odf = write(tmp_path, f"mat.{kind}", package.getvalue())
        assert detect(odf) == kind
        with pytest.raises(AppError) as refused:
            precheck(odf, kind, ConvertLimits())
        assert refused.value.code == "paper_convert_protected"  # its manifest says it is encrypted
    word = convert.OLE_MAGIC + bytes(500) + "WordDocument\0".encode("utf-16-le") + bytes(100)
    assert detect(write(tmp_path, "cu.bin", word)) == "doc"


async def test_a_vietnamese_docx_keeps_its_words_table_header_and_image(tmp_path: Path, work_dir: Path) -> None:
    converter = Converter(work_dir=work_dir)
    source = write(tmp_path, "nghi-quyet.docx", samples.vietnamese_docx())
    target = tmp_path / "out.pdf"
    await converter.convert(source, "docx", target)
    assert converter.mode == ("user+netns" if os.geteuid() == 0 else "userns")
    text = " ".join(pdf_text(target).split())
    for expected in (samples.HEADER, samples.BODY, samples.FOOTER, "Ủy ban nhân dân", "Nghị quyết", "Thu ngân sách"):
        assert expected in text, (expected, text)
    with pymupdf.open(target) as doc:
        assert any(page.get_images() for page in doc)  # the embedded picture came through
    assert entries(work_dir) == []  # the job's directory and fresh profile are gone


async def test_the_user_namespace_sandbox_of_a_server_that_is_not_root(tmp_path: Path, work_dir: Path) -> None:
    """What the production unit uses (`unshare -rn`, the server's own uid, Landlock): as root the test can run the
    same command line; it converts, and the job leaves nothing behind."""
    converter = Converter(work_dir=work_dir, sandbox="userns")
    source = write(tmp_path, "nghi-quyet.docx", samples.vietnamese_docx())
    await converter.convert(source, "docx", tmp_path / "out.pdf")
    assert converter.mode == "userns" and samples.BODY in " ".join(pdf_text(tmp_path / "out.pdf").split())
    assert entries(work_dir) == []


async def test_an_external_image_link_is_never_fetched(tmp_path: Path, work_dir: Path) -> None:
    requests: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        requests.append(request.path)
        return web.Response(body=samples._png(), content_type="image/png")  # noqa: SLF001

    app = web.Application()
    app.router.add_get("/{tail:.*}", anything)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        source = write(tmp_path, "lien-ket.docx", samples.linked_image_docx(f"http://127.0.0.1:{port}/x.png"))
        await Converter(work_dir=work_dir).convert(source, "docx", tmp_path / "out.pdf")
        assert "Ảnh liên kết ngoài" in pdf_text(tmp_path / "out.pdf")
        # "Nothing arrived" proved by a later arrival: the test's own request is the first and only one.
        from aiohttp import ClientSession

        async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}/after") as answer:
            assert answer.status == 200
        assert requests == ["/after"]
    finally:
        await runner.cleanup()


async def test_bombs_are_refused_before_libreoffice_sees_them(tmp_path: Path, work_dir: Path) -> None:
    limits = ConvertLimits(max_unpacked_bytes=16 << 20)
    laughs = write(tmp_path, "laughs.docx", samples.billion_laughs_docx())
    bomb = write(tmp_path, "bomb.docx", samples.zip_bomb_docx(24))
    assert len(bomb.read_bytes()) < 1 << 20  # a real bomb: 24 MiB of zeros packed into some KiB
    for path, code in ((laughs, "paper_convert_damaged"), (bomb, "paper_convert_too_big")):
        with pytest.raises(AppError) as refused:
            await asyncio.to_thread(precheck, path, "docx", limits)
        assert refused.value.code == code
    # Past the check, the sandbox is the second wall: LibreOffice's XML parser refuses the entity bomb itself.
    with pytest.raises(AppError) as refused:
        await Converter(limits, work_dir=work_dir).convert(laughs, "docx", tmp_path / "laughs.pdf")
    assert refused.value.code == "paper_convert_damaged"


async def test_the_memory_limit_holds(tmp_path: Path, work_dir: Path) -> None:
    """Under a 400 MB address space LibreOffice cannot even start (it maps about 1 GB first): the paper is
    refused, not converted, and nothing is left; the same file converts under the default limit (above)."""
    source = write(tmp_path, "nghi-quyet.docx", samples.vietnamese_docx())
    with pytest.raises(AppError) as refused:
        await Converter(ConvertLimits(memory_mb=400), work_dir=work_dir).convert(source, "docx", tmp_path / "o.pdf")
    assert refused.value.code in ("paper_convert_too_big", "paper_convert_damaged")
    assert not (tmp_path / "o.pdf").exists() and entries(work_dir) == []


@pytest.fixture
def wrappers() -> Iterator[Path]:
    """A directory the conversion user can read, for programs run in place of soffice."""
    with shared_dir("convert-wrapper-", 0o755) as directory:
        yield directory


def program(directory: Path, name: str, text: str) -> Path:
    return write(directory, name, text, 0o755)


@pytest.fixture
def hanging(wrappers: Path) -> Path:
    """A wrapper around soffice that never finishes (see NEVER_FINISHES)."""
    return program(wrappers, "soffice-never", NEVER_FINISHES)


async def test_what_the_sandbox_leaves_is_taken_only_as_a_plain_file(
    tmp_path: Path, work_dir: Path, wrappers: Path
) -> None:
    """A compromised LibreOffice that leaves, instead of its PDF, a link to another PDF the server may read (a
    restricted paper, say) gets nothing out: the output is opened without following links."""
    secret = write(wrappers, "mat.pdf", b"%PDF-1.7\n% another paper\n")
    find_outdir = '#!/bin/sh\nwhile [ $# -gt 1 ]; do [ "$1" = --outdir ] && out="$2"; shift; done\n'
    copier = program(wrappers, "soffice-copy", find_outdir + f'cp {secret} "$out/input.pdf"\n')
    linker = program(wrappers, "soffice-link", find_outdir + f'ln -s {secret} "$out/input.pdf"\n')
    source = write(tmp_path, "mot.docx", samples.vietnamese_docx())
    # a plain file it wrote is taken (the wrappers work as LibreOffice would be called)
    await Converter(soffice=str(copier), work_dir=work_dir).convert(source, "docx", tmp_path / "copy.pdf")
    assert (tmp_path / "copy.pdf").read_bytes() == secret.read_bytes()
    with pytest.raises(AppError) as refused:
        await Converter(soffice=str(linker), work_dir=work_dir).convert(source, "docx", tmp_path / "out.pdf")
    assert refused.value.code == "paper_convert_damaged"
    assert not (tmp_path / "out.pdf").exists()


@pytest.fixture
def elsewhere() -> Iterator[Path]:
    """A PDF any user of the machine may read (0644 in a 0755 directory), outside the system's directories."""
    with shared_dir("convert-elsewhere-", 0o755) as directory:
        yield write(directory, "du-lieu.pdf", b"%PDF-1.7\n% the server's data\n")


@pytest.mark.skipif(not landlock.available(), reason="this kernel has no Landlock")
async def test_the_sandbox_reads_nothing_but_the_system_and_its_job(
    tmp_path: Path, work_dir: Path, wrappers: Path, elsewhere: Path
) -> None:
    """A compromised LibreOffice that reads such a file (as it could the server's data directory, in a server
    that is not root) gets nothing: Landlock refuses the open. The same wrapper run on a file in its own
    directory is taken (test above), so only where the file is differs."""
    find_outdir = '#!/bin/sh\nwhile [ $# -gt 1 ]; do [ "$1" = --outdir ] && out="$2"; shift; done\n'
    peek = program(wrappers, "soffice-peek", find_outdir + f'cat {elsewhere} > "$out/input.pdf"\n')
    source = write(tmp_path, "mot.docx", samples.vietnamese_docx())
    converter = Converter(soffice=str(peek), work_dir=work_dir)
    with pytest.raises(AppError) as refused:
        await converter.convert(source, "docx", tmp_path / "out.pdf")
    assert refused.value.code == "paper_convert_damaged" and converter.landlock


async def test_a_conversion_that_never_finishes_is_killed_at_the_timeout_and_others_go_on(
    tmp_path: Path, work_dir: Path, hanging: Path
) -> None:
    source = write(tmp_path, "treo.docx", samples.vietnamese_docx())
    stuck = Converter(ConvertLimits(timeout=3.0), soffice=str(hanging), work_dir=work_dir)
    good = Converter(work_dir=work_dir)
    stuck_job = asyncio.create_task(stuck.convert(source, "docx", tmp_path / "never.pdf"))
    await good.convert(source, "docx", tmp_path / "meanwhile.pdf")  # another conversion is served meanwhile
    assert "Nghị quyết" in pdf_text(tmp_path / "meanwhile.pdf")
    with pytest.raises(AppError) as refused:
        await stuck_job
    assert refused.value.code == "paper_convert_timeout"
    assert "3 giây" in refused.value.message("vi")
    assert processes_mentioning(str(work_dir)) == []  # the wrapper, soffice and soffice.bin: all killed
    assert not stale_pipes()  # nor the single-instance socket the killed LibreOffice had bound
    assert entries(work_dir) == []
    assert not (tmp_path / "never.pdf").exists()


async def test_at_most_n_conversions_run_at_once(tmp_path: Path, work_dir: Path, hanging: Path) -> None:
    source = write(tmp_path, "mot.docx", samples.vietnamese_docx())
    converter = Converter(ConvertLimits(max_jobs=1, timeout=3.0), soffice=str(hanging), work_dir=work_dir)
    first = asyncio.create_task(converter.convert(source, "docx", tmp_path / "1.pdf"))
    second = asyncio.create_task(converter.convert(source, "docx", tmp_path / "2.pdf"))
    for task in (first, second):
        with pytest.raises(AppError) as refused:
            await task
        assert refused.value.code == "paper_convert_timeout"
    assert converter.peak == 1  # the second waited for the only slot
    assert converter.running == 0


async def test_a_pptx_becomes_one_page_per_slide(tmp_path: Path, work_dir: Path) -> None:
    slides = ["Trang một: Ủy ban nhân dân", "Trang hai: Nghị quyết", "Trang ba: Kết luận"]
    pptx = write(
        tmp_path, "trinh-chieu.pptx", samples.through_libreoffice(samples.flat_presentation(slides), "fodp", "pptx")
    )
    assert detect(pptx) == "pptx"
    await Converter(work_dir=work_dir).convert(pptx, "pptx", tmp_path / "out.pdf")
    with pymupdf.open(tmp_path / "out.pdf") as doc:
        assert doc.page_count == 3
        for page, slide in zip(doc, slides, strict=True):
            assert slide in " ".join(page.get_text().split())
            assert page.rect.width > page.rect.height  # slides, not A4


async def test_an_xlsx_becomes_a_pdf_with_its_cells(tmp_path: Path, work_dir: Path) -> None:
    xlsx = write(
        tmp_path, "bang.xlsx", samples.through_libreoffice(samples.flat_spreadsheet(samples.SHEET), "fods", "xlsx")
    )
    assert detect(xlsx) == "xlsx"
    await Converter(work_dir=work_dir).convert(xlsx, "xlsx", tmp_path / "out.pdf")
    text = pdf_text(tmp_path / "out.pdf")
    for a, b in samples.SHEET:
        assert a in text and b in text
