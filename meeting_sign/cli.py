"""`meeting-sign LINK`: sign one record document with your own USB token (or a PKCS#12 file).

Shows what is being signed, asks for the PIN, signs on the token, sends the signature back, prints the result.
`meeting-sign --list` shows the certificates on the token. Exit code 0 signed, 1 refused or failed, 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from .client import SigningClient, SigningRequest
from .keys import Pkcs12Key, TokenKeys, UnlockedKey, default_module
from .texts import AgentError, Lang, say


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meeting-sign", description=__doc__.splitlines()[0])
    parser.add_argument("link", nargs="?", help="the signing link the document's page gives you")
    parser.add_argument(
        "--module",
        default=os.environ.get("MEETING_SIGN_MODULE") or default_module(),
        help="the token's PKCS#11 library (default: $MEETING_SIGN_MODULE or OpenSC's)",
    )
    parser.add_argument("--token", help="the token's label, when more than one is plugged in")
    parser.add_argument("--cert", help="the certificate's label, when the token holds several")
    parser.add_argument("--pkcs12", type=Path, metavar="FILE.p12", help="sign with this PKCS#12 file, not a token")
    parser.add_argument("--cafile", help="the CA certificates (PEM) the server's HTTPS certificate chains to")
    parser.add_argument("--pin-stdin", action="store_true", help="read the PIN/password from stdin's first line")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi")
    parser.add_argument("--list", action="store_true", help="list the certificates on the token and stop")
    return parser


def read_secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(prompt)


def describe(request: SigningRequest, lang: Lang) -> str:
    return say(
        "about_to_sign",
        lang,
        kind=request.kind,
        number=request.number,
        title=request.title,
        meeting=request.meeting,
        signer=request.signer_name,
        slot=request.signer_title or request.slot,
        sha256=request.sha256,
    )


def open_key(args: argparse.Namespace, signer_name: str | None) -> AbstractContextManager[UnlockedKey]:
    """Ask for the PIN (or the file's password) and unlock the key for one signature."""
    lang: Lang = args.lang
    if args.pkcs12 is not None:
        password = read_secret(say("password_prompt", lang, file=args.pkcs12.name), args.pin_stdin)
        return nullcontext(Pkcs12Key(args.pkcs12, password))
    keys = TokenKeys(args.module, args.token)
    certificate = keys.choose(args.cert, signer_name)
    print(say("certificate", lang, **certificate.describe()))
    pin = read_secret(say("pin_prompt", lang, token=keys.label), args.pin_stdin)
    return keys.unlock(certificate, pin)


async def sign_link(args: argparse.Namespace) -> None:
    lang: Lang = args.lang
    async with SigningClient(args.link, args.cafile) as client:
        request = await client.request()
        print(describe(request, lang))
        with await asyncio.to_thread(open_key, args, request.signer_name) as key:
            prepared = await client.prepare(key.certificate, key.chain)
            signature = await asyncio.to_thread(key.sign, prepared.to_sign, prepared.mechanism)
        result = await client.finish(signature)
    print(say("signed", lang, status=result.get("status", result)))


def list_certificates(args: argparse.Namespace) -> None:
    keys = TokenKeys(args.module, args.token)
    for certificate in keys.certificates():
        if not certificate.is_ca:
            facts = certificate.describe()
            print(f"{certificate.label}\t{facts['subject']}\t{facts['issuer']}\t{facts['not_after']}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.list and not args.link:
        parser.error("the signing link is required (or --list)")
    try:
        if args.list:
            list_certificates(args)
        else:
            asyncio.run(sign_link(args))
    except AgentError as error:
        print(error.text(args.lang), file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print(say("cancelled", args.lang), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
