"""The page link signer (domain/pagelinks.py) and the page images kept in memory (documents/imagecache.py), on
their own: links stay the same within a window and live between ttl/2 and ttl seconds, the file id is masked
per version and comes back from the link, and the memory keeps the most recently used images within its bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from meeting_server.documents.imagecache import ImageCache
from meeting_server.domain.pagelinks import MAX_TTL, PageRef, PageSigner
from meeting_server.errors import AppError

FILE = "ab" * 32


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_links_are_shared_within_a_window_and_live_at_most_the_ttl() -> None:
    clock = Clock(1_900_000_000.0)
    signer = PageSigner(b"secret", 300, now=clock)
    first = signer.links("m1", "p1", 2, FILE, 3)
    for step in range(0, 600, 7):  # every moment of two windows
        clock.at = 1_900_000_000.0 + step
        links = signer.links("m1", "p1", 2, FILE, 3)
        assert 150 < links["e"] - clock.at <= 300 and links["expires_in"] <= 300
        if links["e"] == first["e"]:
            assert links["s"] == first["s"] and links["f"] == first["f"]
        else:
            assert links["s"] != first["s"] and links["f"] == first["f"]  # the mask is per version, not per window
    assert PageSigner(b"k", 10_000).ttl == MAX_TTL


def test_the_file_comes_back_only_from_this_page_s_link() -> None:
    clock = Clock(1_900_000_000.0)
    signer = PageSigner(b"secret", 300, now=clock)
    links = signer.links("m1", "p1", 2, FILE, 3)
    assert FILE not in links["f"] and links["f"] != signer.links("m2", "p1", 2, FILE, 3)["f"]
    assert signer.check(PageRef("m1", "p1", 2, 3), links["f"], str(links["e"]), links["s"][2]) == FILE
    for ref, sig in ((PageRef("m1", "p1", 2, 2), links["s"][2]), (PageRef("m1", "p1", 1, 3), links["s"][2]),
                     (PageRef("m1", "p2", 2, 3), links["s"][2]), (PageRef("m1", "p1", 2, 3), "x")):  # fmt: skip
        with pytest.raises(AppError) as refused:
            signer.check(ref, links["f"], str(links["e"]), sig)
        assert refused.value.code == "page_link_invalid"
    clock.at = links["e"]
    with pytest.raises(AppError) as expired:
        signer.check(PageRef("m1", "p1", 2, 3), links["f"], str(links["e"]), links["s"][2])
    assert expired.value.code == "page_link_expired"


async def test_memory_keeps_the_most_recently_used_images_within_its_bound(tmp_path: Path) -> None:
    files = []
    for n in range(4):
        path = tmp_path / f"{n}.webp"
        path.write_bytes(bytes([n]) * 100)
        files.append(path)
    memory = ImageCache(250)
    assert await memory.load(files[0]) == b"\0" * 100
    await memory.load(files[1])
    assert memory.kept(files[0]) is not None  # now the most recently used
    await memory.load(files[2])  # 300 bytes: the least recently used (1) goes
    assert memory.kept(files[1]) is None and memory.kept(files[0]) is not None and memory.size == 200
    files[0].unlink()
    assert await memory.load(files[0]) == b"\0" * 100  # from memory: the file is not read again
    assert len(ImageCache(0)) == 0 and (await ImageCache(0).load(files[3])) == b"\3" * 100
