"""Real local SMTP servers for the mail tests: aiosmtpd in the test's event loop, keeping what arrived; one that
refuses chosen recipients with 550; and a server that accepts the connection and never says a word."""

from __future__ import annotations

import asyncio
import email
import subprocess
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Arrived:
    rcpt: list[str]
    message: EmailMessage
    raw: bytes = b""

    def raw_header(self, name: str) -> bytes:
        """A header as it travelled (folded lines joined), before any decoding."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(name.lower().encode() + b":"):
                return line
        raise AssertionError(f"no {name} header")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def attachment(self, name: str) -> EmailMessage:
        for part in self.message.iter_attachments():
            if part.get_filename() == name:
                return part
        raise AssertionError(f"no attachment {name}: {[p.get_filename() for p in self.message.iter_attachments()]}")

    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Inbox:
    """An aiosmtpd handler: every accepted message, and the recipients it refuses with a 550."""

    refuse: set[str] = field(default_factory=set)
    arrived: list[Arrived] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802  aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=default)
        self.arrived.append(Arrived(list(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Arrived]:
        return [a for a in self.arrived if address in a.rcpt]


async def smtp_server(inbox: Inbox, port: int) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(inbox, enable_SMTPUTF8=True), "127.0.0.1", port)


class SilentServer:
    """Accepts SMTP connections and never sends the greeting: a client waits until its own timeout."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self, port: int) -> None:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.append(writer)
            self.connected.set()

        self.server = await asyncio.start_server(hold, "127.0.0.1", port)

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "giay-moi.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def parse_ics(text: str) -> dict[str, Any]:
    """The calendar's properties (unfolded; the VEVENT's last value wins), enough to check METHOD/UID/SEQUENCE."""
    assert "\r\n" in text, "iCalendar lines end in CRLF"
    lines = text.replace("\r\n ", "").split("\r\n")
    props: dict[str, Any] = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            props.setdefault(name.split(";")[0], value)
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VEVENT" in lines
    return props
