"""The organisation's seal (con dấu) as a signature the server makes itself: its key in a PKCS#11 module (an HSM;
SoftHSM2 in the tests) or in a PKCS#12 file. Nobody's personal key is ever here: people sign with their own tokens
through meeting-sign.

Settings (config.py, docs/cli.md): ``MS_SEAL_PKCS11_MODULE`` + ``MS_SEAL_TOKEN_LABEL`` + ``MS_SEAL_KEY_LABEL``
with the PIN in ``MS_SEAL_PIN_FILE``; or ``MS_SEAL_PKCS12`` with its password in ``MS_SEAL_PKCS12_PASSWORD_FILE``.
A PIN or password file must belong to the server's user and be readable by nobody else (0600 or 0400), like any
secret the server keeps; otherwise the seal is refused rather than used.

Opening the HSM and signing are blocking: `sealer` and what uses its signer run in a thread or a document worker,
never on the event loop.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from pyhanko.sign import signers
from pyhanko.sign.pkcs11 import PKCS11Signer, TokenCriteria, open_pkcs11_session

from ..config import Settings
from ..domain.record_content import SignatureBox
from .appearance import Look
from .demo_pki import SEAL_FILE, SEAL_PASSWORD_FILE, demo_directory
from .prepare import Signed, sign_with_key
from .trust import Trust, demo_active


class SealError(Exception):
    """The seal is not configured, or not usable as configured: a sentence for the log and the operator."""


def seal_configured(settings: Settings) -> bool:
    return bool(settings.seal_pkcs11_module or settings.seal_pkcs12) or demo_active(settings)


def seal_settings(settings: Settings) -> Settings:
    """The settings the seal is opened with: as given, or pointing at the demo PKI's seal (its PKCS#12 and
    password file) while the demo stands in (`trust.demo_active`)."""
    if not demo_active(settings):
        return settings
    folder = demo_directory(settings.data_dir)
    return replace(
        settings, seal_pkcs12=str(folder / SEAL_FILE), seal_pkcs12_password_file=str(folder / SEAL_PASSWORD_FILE)
    )


def read_secret_file(path_text: str, what: str) -> str:
    """A PIN or password from a file only the server's user can read; its first line, without the newline."""
    if not path_text:
        raise SealError(f"Chưa khai báo tệp chứa {what} của con dấu. / The seal's {what} file is not set.")
    path = Path(path_text)
    try:
        info = path.stat()
    except OSError as error:
        raise SealError(f"Không đọc được tệp {path}: {error.strerror}. / Cannot read {path}.") from error
    if stat.S_IMODE(info.st_mode) & 0o077 or info.st_uid != os.geteuid():
        raise SealError(
            f"Tệp {path} chứa {what} của con dấu nhưng người khác cũng đọc được: chỉ tài khoản chạy máy chủ "
            f"được đọc (chmod 600). / {path} holds the seal's secret but others may read it: chmod 600."
        )
    lines = path.read_text().splitlines()
    return lines[0] if lines else ""


def sealer(settings: Settings) -> signers.Signer:
    """The seal's pyHanko signer. For a PKCS#11 module the session stays open as long as the signer is used:
    prefer :func:`sealing`, which closes it. Without a seal setting, the demo PKI's seal when it stands in."""
    settings = seal_settings(settings)
    if settings.seal_pkcs11_module:
        if not settings.seal_token_label or not settings.seal_key_label:
            raise SealError(
                "Cần khai báo MS_SEAL_TOKEN_LABEL và MS_SEAL_KEY_LABEL cho con dấu trong HSM. "
                "/ MS_SEAL_TOKEN_LABEL and MS_SEAL_KEY_LABEL are needed for a seal in an HSM."
            )
        pin = read_secret_file(settings.seal_pin_file, "mã PIN")
        try:
            session = open_pkcs11_session(
                settings.seal_pkcs11_module, token_criteria=TokenCriteria(label=settings.seal_token_label), user_pin=pin
            )
        except Exception as error:  # pyHanko and python-pkcs11 raise their own kinds; all mean "no seal"
            raise SealError(
                f"Không mở được HSM của con dấu (token «{settings.seal_token_label}»): {error or type(error).__name__}."
                f" / Cannot open the seal's HSM."
            ) from error
        # other_certs_to_pull=None: every certificate on the token, so the chain goes into the signature.
        return PKCS11Signer(session, key_label=settings.seal_key_label, other_certs_to_pull=None)
    if settings.seal_pkcs12:
        password = read_secret_file(settings.seal_pkcs12_password_file, "mật khẩu")
        try:
            data = Path(settings.seal_pkcs12).read_bytes()
        except OSError as error:
            raise SealError(f"Không đọc được tệp {settings.seal_pkcs12}. / Cannot read the seal's file.") from error
        try:
            return signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password.encode())
        except ValueError as error:
            raise SealError(
                f"Không mở được tệp {settings.seal_pkcs12}: sai mật khẩu hoặc không phải PKCS#12. "
                "/ Wrong password or not a PKCS#12 file."
            ) from error
    raise SealError("Máy chủ chưa được cấu hình con dấu. / The server has no seal configured.")


@contextmanager
def sealing(settings: Settings) -> Iterator[signers.Signer]:
    """The seal's signer for one use; the HSM session (if any) is closed afterwards."""
    signer = sealer(settings)
    try:
        yield signer
    finally:
        if isinstance(signer, PKCS11Signer):
            signer.pkcs11_session.close()


def seal_pdf(
    settings: Settings,
    pdf: bytes,
    box: SignatureBox,
    field_name: str,
    *,
    trust: Trust | None = None,
    look: Look | None = None,
) -> Signed:
    """Seal `pdf` in `box` (the authorised signer's box: the seal overlaps its left third) with the organisation's
    key, under the same rules as a person's signature (/M in Vietnam time, the TSA when set, LTV data when `trust`
    is given). Blocking: call it in a thread or a document worker."""
    with sealing(settings) as signer:
        return sign_with_key(
            pdf, box, field_name, signer, tsa_url=settings.tsa_url or None, trust=trust, look=look or Look(seal=True)
        )


__all__ = ["SealError", "read_secret_file", "seal_configured", "seal_pdf", "seal_settings", "sealer", "sealing"]
