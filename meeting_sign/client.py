"""The agent's side of the signing protocol over HTTPS (docs/signing.md, "The signing agent"), nothing else.

`GET <link>` says what is to be signed, `POST <link>/prepare` sends the certificate and gets `to_sign`,
`POST <link>/finish` sends the signature. The link's query (`?t=<token>`) is kept on every call.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from yarl import URL

from meeting_server.protocol import SIGN_MECHANISMS

from .texts import AgentError


@dataclass(frozen=True)
class SigningRequest:
    """What `GET <link>` says: the document and the signer's slot."""

    kind: str
    number: str
    title: str
    meeting: str
    sha256: str
    signer_name: str
    slot: str
    signer_title: str
    pdf_url: str


@dataclass(frozen=True)
class Prepared:
    to_sign: bytes
    mechanism: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class SigningClient:
    """One signing link; use as ``async with SigningClient(link, cafile) as client``."""

    def __init__(self, link: str, cafile: str | None = None) -> None:
        self.link = URL(link)
        context = ssl.create_default_context(cafile=cafile) if self.link.scheme == "https" else None
        self._connector_ssl: ssl.SSLContext | bool = context if context is not None else False
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SigningClient:
        connector = aiohttp.TCPConnector(ssl=self._connector_ssl)
        self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, step: str | None) -> URL:
        if step is None:
            return self.link
        return self.link.with_path(self.link.path.rstrip("/") + "/" + step).with_query(self.link.query)

    async def _call(self, method: str, step: str | None, body: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self._session is not None, "use SigningClient as an async context manager"
        try:
            async with self._session.request(method, self._url(step), json=body) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                if response.status >= 400:
                    message = answer.get("error", {}).get("message") if isinstance(answer, dict) else None
                    raise AgentError("server_refused", message=message or f"HTTP {response.status}")
        except aiohttp.ClientError as error:
            raise AgentError(
                "server_unreachable", host=self.link.host, reason=str(error) or type(error).__name__
            ) from error
        if not isinstance(answer, dict):
            raise AgentError("server_garbled", reason="not a JSON object")
        return answer

    async def request(self) -> SigningRequest:
        answer = await self._call("GET", None)
        try:
            document, signer = answer["document"], answer["signer"]
            return SigningRequest(
                kind=str(document["kind"]),
                number=str(document["number"]),
                title=str(document["title"]),
                meeting=str(document["meeting"]),
                sha256=str(document["sha256"]),
                signer_name=str(signer["name"]),
                slot=str(signer["slot"]),
                signer_title=str(signer.get("title", "")),
                pdf_url=str(answer.get("pdf_url", "")),
            )
        except (KeyError, TypeError) as error:
            raise AgentError("server_garbled", reason=f"missing {error}") from error

    async def prepare(self, certificate: bytes, chain: Sequence[bytes]) -> Prepared:
        answer = await self._call(
            "POST", "prepare", {"certificate": _b64(certificate), "chain": [_b64(c) for c in chain]}
        )
        try:
            mechanism = str(answer["mechanism"])
            to_sign = base64.b64decode(answer["to_sign"], validate=True)
        except (KeyError, TypeError, ValueError) as error:
            raise AgentError("server_garbled", reason=f"prepare: {error}") from error
        if mechanism not in SIGN_MECHANISMS:
            raise AgentError("unknown_mechanism", mechanism=mechanism)
        return Prepared(to_sign, mechanism)

    async def finish(self, signature: bytes) -> dict[str, Any]:
        return await self._call("POST", "finish", {"signature": _b64(signature)})
