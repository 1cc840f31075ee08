"""ICE servers handed to clients: STUN, and TURN with short-lived credentials (coturn's `use-auth-secret`).

A hall behind a carrier NAT or a strict firewall reaches the server only through TURN. Long-lived TURN
passwords end up copied onto every room PC; the TURN REST scheme instead gives each connection a username that
carries its expiry and an HMAC of it, which coturn checks with the shared secret alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer

from ..config import Settings


def turn_credentials(secret: str, who: str, ttl_seconds: int, now: float | None = None) -> tuple[str, str]:
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    username = f"{expiry}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def client_ice_servers(settings: Settings, who: str) -> list[dict[str, Any]]:
    """What a browser or room PC passes to RTCPeerConnection({iceServers})."""
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        username, credential = turn_credentials(settings.turn_secret, who.replace(":", "-"), settings.turn_ttl_seconds)
        servers.append({"urls": list(settings.turn_urls), "username": username, "credential": credential})
    return servers


def server_configuration(settings: Settings) -> RTCConfiguration:
    """The server's own side: STUN only, to learn its public address; it never relays through TURN itself.
    An explicit empty list matters: aiortc otherwise asks a public Google STUN server. Everything rides one
    transport (max-bundle): with aiortc's default "balanced" policy an answerer leaves the second and later
    transceivers of a kind on a transport that bundling then closes, and their media never flows."""
    servers = [RTCIceServer(urls=list(settings.stun_urls))] if settings.stun_urls else []
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
