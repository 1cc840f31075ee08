"""The dossier's file format: a zip of the meeting's files, `metadata.xml` (Nghị định 30/2020 Phụ lục VI's fields),
`manifest.json` (every file with its SHA-256 and size, and the same metadata) and `manifest.json.p7s`, a detached
CMS signature over manifest.json made with the organisation's seal key (signing/seal.py), so that
`openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json -CAfile roots.pem` checks it
too. Writing and checking are blocking (hashing, zlib, the HSM): call them in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from asn1crypto import cms
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

from ..config import Settings
from ..signing.seal import sealing
from ..signing.trust import Trust, common_name

FORMAT = "meeting-dossier/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
METADATA = "metadata.xml"
CHUNK = 1 << 20
_STORED = (".pdf", ".mp4", ".webm", ".mkv", ".zip", ".png", ".jpg", ".webp", ".docx", ".xlsx", ".pptx", ".odt")


@dataclass(frozen=True)
class Part:
    """One file of the dossier: its path in the zip and its bytes, a file to copy, or a rendering to run in the
    builder's thread (pymupdf). `about`: what the manifest says of it besides its hash (a paper's audience, …)."""

    path: str
    kind: str
    data: bytes | None = None
    source: Path | None = None
    render: Callable[[], bytes] | None = None
    about: dict[str, Any] = field(default_factory=dict)

    def content(self) -> bytes | Path:
        if self.data is not None:
            return self.data
        if self.render is not None:
            return self.render()
        assert self.source is not None, self.path
        return self.source


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _compression(path: str) -> int:
    return zipfile.ZIP_STORED if path.lower().endswith(_STORED) else zipfile.ZIP_DEFLATED


def _xml(metadata: dict[str, Any], documents: list[dict[str, Any]]) -> bytes:
    """metadata.xml: the hồ sơ's fields (Phụ lục VI Phần II mục III) and each document's (mục I), under the
    English short names the decree gives them (FileCode, Title, Maintenance, …; TypeName, CodeNumber, …)."""
    root = ElementTree.Element("HoSo", {"format": FORMAT})

    def put(parent: ElementTree.Element, values: dict[str, Any]) -> None:
        for key, value in values.items():
            child = ElementTree.SubElement(parent, key)
            if isinstance(value, dict):
                put(child, value)
            elif isinstance(value, list):
                for entry in value:
                    put(ElementTree.SubElement(child, "Item"), entry if isinstance(entry, dict) else {"Value": entry})
            elif value is not None:
                child.text = str(value)

    put(root, metadata)
    listed = ElementTree.SubElement(root, "Documents")
    for document in documents:
        put(ElementTree.SubElement(listed, "Document"), document)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def sign_detached(settings: Settings, data: bytes) -> bytes:
    """A detached CMS SignedData (DER) over `data` with the organisation's seal key (PKCS#11 or PKCS#12)."""
    with sealing(settings) as signer:
        signed = asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True))
    return bytes(signed.dump())


def write_dossier(
    settings: Settings,
    out: Path,
    parts: Iterable[Part],
    header: dict[str, Any],
    metadata: Callable[[list[dict[str, Any]]], tuple[dict[str, Any], list[dict[str, Any]]]],
    inspect: Callable[[Part, bytes | Path], dict[str, Any]] = lambda part, content: {},
) -> dict[str, Any]:
    """Write the zip at `out` (atomically: a temporary file renamed into place) and return its manifest.
    `inspect(part, content)` adds facts of a file to its manifest entry (a PDF's pages); `metadata(files)` gives the
    Phụ lục VI fields of the hồ sơ and of its documents once every file is known."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".dossier-", suffix=".zip", dir=out.parent)
    os.close(handle)
    try:
        files: list[dict[str, Any]] = []
        with zipfile.ZipFile(temporary, "w", allowZip64=True) as archive:
            for part in parts:
                content = part.content()
                info = zipfile.ZipInfo(part.path, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = _compression(part.path)
                if isinstance(content, Path):
                    with content.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                        digest, size = hashlib.sha256(), 0
                        while chunk := source.read(CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            target.write(chunk)
                    sha, length = digest.hexdigest(), size
                else:
                    archive.writestr(info, content)
                    sha, length = hashlib.sha256(content).hexdigest(), len(content)
                entry = {"path": part.path, "kind": part.kind, "sha256": sha, "bytes": length}
                files.append({**entry, **inspect(part, content), **part.about})
            described, documents = metadata(files)
            xml = _xml(described, documents)
            archive.writestr(METADATA, xml, zipfile.ZIP_DEFLATED)
            files.append(
                {"path": METADATA, "kind": "metadata", "sha256": hashlib.sha256(xml).hexdigest(), "bytes": len(xml)}
            )
            manifest = {**header, "metadata": described, "documents": documents, "files": files}
            body = (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode()
            archive.writestr(MANIFEST, body, zipfile.ZIP_DEFLATED)
            archive.writestr(SIGNATURE, sign_detached(settings, body), zipfile.ZIP_STORED)
        os.chmod(temporary, 0o600)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return manifest


# ---- checking -----------------------------------------------------------------------------------------------


@dataclass
class DossierCheck:
    """What `check_dossier` found: files whose content changed, listed but missing, present but not listed, and
    whether the manifest's signature is intact, valid and chains to the trust roots (and whose it is)."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signature_ok: bool = False
    signer: str = ""
    problem: str = ""  # why the manifest or its signature is not good, a sentence (Vietnamese / English)
    files: int = 0
    meeting_id: str = ""

    @property
    def ok(self) -> bool:
        return self.signature_ok and not (self.changed or self.missing or self.added or self.problem)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "meeting_id": self.meeting_id,
            "files": self.files,
            "changed": self.changed,
            "missing": self.missing,
            "added": self.added,
            "signature_ok": self.signature_ok,
            "signer": self.signer,
            "problem": self.problem,
        }


def _member_digest(archive: zipfile.ZipFile, name: str) -> str | None:
    """The member's SHA-256, or None when it cannot be read back (a damaged entry counts as changed)."""
    digest = hashlib.sha256()
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return digest.hexdigest()


def _signature(body: bytes, p7s: bytes, trust: Trust) -> tuple[bool, str, str]:
    try:
        content = cms.ContentInfo.load(p7s)
        signed_data = content["content"]
        status = asyncio.run(
            async_validate_detached_cms(body, signed_data, signer_validation_context=trust.validation_context())
        )
    except Exception as error:  # asn1crypto and pyHanko raise many kinds; each means "not a good signature"
        return False, "", f"Không đọc được chữ ký của manifest.json ({type(error).__name__}). / Unreadable signature."
    signer = common_name(status.signing_cert) if status.signing_cert is not None else ""
    if not (status.intact and status.valid):
        return False, signer, "Chữ ký không khớp với manifest.json. / The signature does not match manifest.json."
    if not status.trusted:
        return False, signer, "Chứng thư ký không được tin cậy. / The signing certificate is not trusted."
    return True, signer, ""


def check_dossier(path: Path, trust: Trust) -> DossierCheck:
    """Recompute every file's hash against the manifest, name what changed, is missing or was added, and check the
    manifest's signature against `trust`. Blocking."""
    found = DossierCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        found.problem = f"Không mở được tệp hồ sơ: {error}. / Not a readable zip."
        return found
    with archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        if MANIFEST not in names or SIGNATURE not in names:
            found.missing = [n for n in (MANIFEST, SIGNATURE) if n not in names]
            found.problem = "Hồ sơ thiếu manifest.json hoặc chữ ký của nó. / The manifest or its signature is missing."
            return found
        body, p7s = archive.read(MANIFEST), archive.read(SIGNATURE)
        found.signature_ok, found.signer, found.problem = _signature(body, p7s, trust)
        if not found.signature_ok:
            found.changed.append(MANIFEST if found.signer else SIGNATURE)
        try:
            manifest = json.loads(body)
            listed = {entry["path"]: entry for entry in manifest["files"]}
            found.meeting_id = str(manifest.get("meeting_id", ""))
        except (ValueError, KeyError, TypeError):
            found.problem = "manifest.json không đọc được. / manifest.json cannot be read."
            return found
        found.files = len(listed)
        present = set(names) - {MANIFEST, SIGNATURE}
        found.missing += sorted(set(listed) - present)
        found.added = sorted(present - set(listed))
        for name in sorted(present & set(listed)):
            if _member_digest(archive, name) != listed[name].get("sha256"):
                found.changed.append(name)
    return found


__all__ = [
    "FORMAT",
    "MANIFEST",
    "METADATA",
    "SIGNATURE",
    "DossierCheck",
    "Part",
    "check_dossier",
    "file_digest",
    "sign_detached",
    "write_dossier",
]
