"""Signed page links: page images and thumbnails of an open paper served from the link alone (no session, no
database), so one server process answers thousands of them a second (issue 13, docs/papers.md "Signed page
links").

Whoever may read a paper's current version is handed, with the paper (the listing, `GET …/papers/{paper_id}`), a
signature per page that is good until `expires` (a Unix time at most `ttl` seconds away). The link names the
meeting, the paper, the version and the page in its path; the query carries the file (`f`: the version's file id
masked, see below), `e` (the expiry) and `s` (the signature). The server checks the HMAC and the expiry and sends
the file; it never looks at who asks. So a person whose access ends (a paper made restricted, a person removed
from the meeting) keeps the links already handed out until they expire, never longer; the session-checked
routes refuse them at once.

- Expiries are aligned to windows of `ttl / 2` seconds: every link handed out in one window carries the same
  `e` and `s`, so 600 tablets asking within a window ask for the same addresses, and a link lives between
  `ttl / 2` and `ttl` seconds. The tablets' caches key page images without `e` and `s` (static/sw.js), so a new
  window does not make a cached page a miss.
- `f` is the file id (the SHA-256 of the PDF, the key of the rendered pages on disk) XORed with a pad derived from
  the secret and (meeting, paper, version): the readers never learn the hash of a paper (two meetings holding the
  same file cannot be linked), and the server recovers it without a database. Each (meeting, paper, version) has
  one file, so the pad never masks two different ids.
- Restricted papers (tài liệu mật) never get links: they stay on the per-viewer, watermarked, uncached routes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AppError

MAC_BYTES = 16  # 128 bits: 22 characters in a link
MAX_TTL = 300  # seconds: the longest a link may live (revocation is honoured within it)


@dataclass(frozen=True)
class PageRef:
    """What a link points at: a page of one version of one paper of one meeting."""

    meeting_id: str
    paper_id: str
    version: int
    page: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invalid() -> AppError:
    return AppError("page_link_invalid")


class PageSigner:
    """Issues and checks page links with one server secret. `now` (seconds, like time.time) is injectable: the
    tests move a fake clock past the expiry instead of waiting."""

    def __init__(self, secret: bytes, ttl: int, now: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a page link secret is needed")
        self.ttl = max(2, min(int(ttl), MAX_TTL))
        self.now = now
        self._mac = hmac.new(secret, b"page-link|", hashlib.sha256)
        self._pad = hmac.new(secret, b"page-file|", hashlib.sha256)
        self._memo: dict[tuple[str, str, int, str, int], dict[str, Any]] = {}

    def expiry(self) -> int:
        """The expiry of links handed out now: the end of the window after this one (windows of ttl // 2)."""
        window = self.ttl // 2
        return (int(self.now()) // window + 2) * window

    def _sign(self, ref: PageRef, masked: str, expires: int) -> str:
        mac = self._mac.copy()
        mac.update(f"{ref.meeting_id}|{ref.paper_id}|{ref.version}|{ref.page}|{masked}|{expires}".encode())
        return _b64(mac.digest()[:MAC_BYTES])

    def _mask(self, meeting_id: str, paper_id: str, version: int, raw: bytes) -> bytes:
        pad = self._pad.copy()
        pad.update(f"{meeting_id}|{paper_id}|{version}".encode())
        return bytes(a ^ b for a, b in zip(raw, pad.digest(), strict=True))

    def links(self, meeting_id: str, paper_id: str, version: int, file_id: str, pages: int) -> dict[str, Any]:
        """The links of a version's pages, as the listing hands them out: `{version, f, e, expires_in, s}` with
        `s[n - 1]` the signature of page n (its image at any width, and its thumbnail)."""
        expires = self.expiry()
        key = (meeting_id, paper_id, version, file_id, pages)
        kept = self._memo.get(key)
        if kept is None or kept["e"] != expires:
            if len(self._memo) > 4096:  # the papers of many meetings: start again rather than grow
                self._memo.clear()
            masked = _b64(self._mask(meeting_id, paper_id, version, bytes.fromhex(file_id)))
            sigs = [self._sign(PageRef(meeting_id, paper_id, version, n), masked, expires) for n in range(1, pages + 1)]
            kept = {"version": version, "f": masked, "e": expires, "s": sigs}
            self._memo[key] = kept
        return {**kept, "expires_in": max(0, expires - int(self.now()))}

    def check(self, ref: PageRef, masked: str, expires: str, sig: str) -> str:
        """The file id a link stands for, if its signature is this server's for this very page and it has not
        expired; `page_link_invalid` (403) or `page_link_expired` (410) otherwise."""
        if not (masked and sig and expires.isdigit() and len(expires) <= 12 and len(sig) <= 32 and len(masked) <= 64):
            raise invalid()
        when = int(expires)
        if not hmac.compare_digest(self._sign(ref, masked, when), sig):
            raise invalid()
        now = self.now()
        if now >= when:
            raise AppError("page_link_expired")
        if when - now > self.ttl:  # signed with a longer lifetime than this server gives now
            raise invalid()
        try:
            raw = _unb64(masked)
        except (binascii.Error, ValueError):
            raise invalid() from None
        if len(raw) != 32:
            raise invalid()
        return self._mask(ref.meeting_id, ref.paper_id, ref.version, raw).hex()
