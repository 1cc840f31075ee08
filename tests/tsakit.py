"""A local RFC 3161 timestamp authority over HTTP on 127.0.0.1 (aiohttp), with the test PKI's TSA certificate;
it also serves the test CA's CRL at `crl_url` when `crl` is set (what LTV fetches).

The tokens are made by pyHanko's test timestamper class; the exchange (a DER TimeStampReq POSTed as
application/timestamp-query, a TimeStampResp back) is a real one with whatever client asks. `LocalTSA.requests`
counts the requests answered; `refuse` makes it answer 503 (a TSA that is down).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.pkikit import PKI, Identity


def _timestamper(tsa: Identity) -> DummyTimeStamper:
    cert = asn1_x509.Certificate.load(tsa.der)
    key = keys.PrivateKeyInfo.load(
        tsa.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain = SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(der) for der in tsa.chain_der])
    return DummyTimeStamper(tsa_cert=cert, tsa_key=key, certs_to_embed=chain)


@dataclass
class LocalTSA:
    url: str = ""
    requests: int = 0
    refuse: bool = False
    crl: bytes | None = None
    crl_requests: int = 0
    timestamper: DummyTimeStamper | None = field(default=None, repr=False)

    async def handle(self, request: web.Request) -> web.Response:
        if self.refuse:
            return web.Response(status=503, text="down")
        if request.content_type != "application/timestamp-query":
            return web.Response(status=415)
        query = tsp.TimeStampReq.load(await request.read())
        assert self.timestamper is not None
        answer = await self.timestamper.async_request_tsa_response(query)
        self.requests += 1
        return web.Response(body=answer.dump(), content_type="application/timestamp-reply")

    async def handle_crl(self, request: web.Request) -> web.Response:
        if self.crl is None:
            return web.Response(status=404)
        self.crl_requests += 1
        return web.Response(body=self.crl, content_type="application/pkix-crl")

    @property
    def crl_url(self) -> str:
        return self.url.removesuffix("/tsa") + "/ca.crl"


@asynccontextmanager
async def local_tsa(pki: PKI) -> AsyncIterator[LocalTSA]:
    tsa = LocalTSA(timestamper=_timestamper(pki.tsa))
    app = web.Application()
    app.router.add_post("/tsa", tsa.handle)
    app.router.add_get("/ca.crl", tsa.handle_crl)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    tsa.url = f"http://127.0.0.1:{port}/tsa"
    try:
        yield tsa
    finally:
        await runner.cleanup()
