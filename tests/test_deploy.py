"""The deployment files say what the server does: nginx's body limits are the server's settings per location,
every proxied location passes the client's address and scheme, sign-in is throttled, HSTS is on every answer,
and `nginx -t` accepts the file; the systemd unit is sandboxed (`systemd-analyze security` ≤ 3.0) and writes
only the data directory with the server's umask."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from meeting_server.api.routes import ROUTES
from meeting_server.config import Settings
from meeting_server.errors import CATALOGUE
from meeting_server.signing.verify import MAX_VERIFY_BYTES
from meeting_server.storage.filemodes import UMASK

ROOT = Path(__file__).resolve().parent.parent
NGINX = ROOT / "deploy" / "nginx.conf"
UNIT = ROOT / "deploy" / "meeting-server.service"
TOKEN = re.compile(r"""#[^\n]*|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[{};]|[^\s{};'"#]+""")


@dataclass
class Block:
    name: str
    args: list[str]
    children: list[Block] = field(default_factory=list)

    def all(self, name: str) -> list[Block]:
        return [c for c in self.children if c.name == name]

    def one(self, name: str) -> Block:
        found = self.all(name)
        assert len(found) == 1, (self.name, self.args, name, found)
        return found[0]

    def value(self, name: str) -> str:
        return " ".join(self.one(name).args)

    def headers(self) -> dict[str, str]:
        return {b.args[0].lower(): " ".join(b.args[1:]) for b in self.all("proxy_set_header")}


def parse_nginx(text: str) -> Block:
    """nginx's configuration syntax: directives end in `;`, blocks in `{ }`, quotes group words."""
    root = Block("", [])
    stack: list[Block] = [root]
    words: list[str] = []
    for token in TOKEN.findall(text):
        if token.startswith("#"):
            continue
        if token in (";", "{"):
            name, args = words[0], [w[1:-1] if w[:1] in "'\"" else w for w in words[1:]]
            block = Block(name, args)
            stack[-1].children.append(block)
            if token == "{":
                stack.append(block)
            words = []
        elif token == "}":
            assert not words, words
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "unbalanced braces or a directive without `;`"
    return root


def megabytes(size: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", size).groups()  # type: ignore[union-attr]
    return int(number) / {"": 1024 * 1024, "k": 1024, "m": 1}[unit.lower()]


@pytest.fixture(scope="module")
def https() -> Block:
    servers = parse_nginx(NGINX.read_text()).all("server")
    return next(s for s in servers if any("ssl" in listen.args for listen in s.all("listen")))


def location(server: Block, *args: str) -> Block:
    return next(b for b in server.all("location") if b.args == list(args))


def example(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_body_limits_are_the_server_s(https: Block) -> None:
    settings = Settings()
    assert megabytes(https.value("client_max_body_size")) == settings.max_body_bytes / (1024 * 1024)
    uploads = next(b for b in https.all("location") if b.args[0] == "~" and "papers" in b.args[1])
    assert megabytes(uploads.value("client_max_body_size")) == settings.paper_max_mb + 1  # and the form around it
    assert uploads.value("proxy_request_buffering") == "off"
    pattern = re.compile(uploads.args[1])
    verify = location(https, "=", "/api/verify")
    assert megabytes(verify.value("client_max_body_size")) == MAX_VERIFY_BYTES // (1024 * 1024) + 1
    assert verify.value("proxy_request_buffering") == "off"
    upload_paths = {r.path for r in ROUTES if r.upload}
    assert upload_paths >= {"/api/verify"}, upload_paths
    matched = {r.path for r in ROUTES if r.method != "GET" and pattern.search(example(r.path))}
    assert matched == upload_paths - {"/api/verify"}, "the papers' large limit on the paper uploads only"
    for name in ("client_body_timeout", "client_header_timeout"):
        assert int(https.value(name).rstrip("s")) <= settings.body_timeout_seconds


def test_every_proxied_location_passes_address_scheme_and_host(https: Block) -> None:
    proxied = [b for b in https.all("location") if b.all("proxy_pass")]
    assert {tuple(b.args) for b in proxied} >= {("/",), ("/socket.io/",), ("=", "/api/auth/login")}
    for block in proxied:
        headers = block.headers()
        assert headers.get("x-forwarded-for") == "$proxy_add_x_forwarded_for", block.args
        assert headers.get("x-forwarded-proto") == "$scheme", block.args
        assert headers.get("host") == "$host", block.args
    socket = location(https, "/socket.io/").headers()
    assert socket["upgrade"] == "$http_upgrade" and socket["connection"] == "upgrade"


def test_sign_in_is_throttled_and_answers_in_the_error_shape(https: Block) -> None:
    top = parse_nginx(NGINX.read_text())
    zones = {a.split("=", 1)[1] for z in top.all("limit_req_zone") for a in z.args if a.startswith("zone=")}
    login = location(https, "=", "/api/auth/login")
    limit = login.one("limit_req").args
    assert f"zone={next(iter(zones)).split(':')[0]}" in limit and len(zones) == 1
    assert login.value("limit_req_status") == "429"
    pages = {b.args[0]: b.args[-1] for b in https.all("error_page")}
    for status, name in pages.items():
        answer = location(https, name).one("return").args
        assert answer[0] == status
        body = json.loads(answer[1])
        assert body["error"]["code"] in CATALOGUE and CATALOGUE[body["error"]["code"]][0] == int(status)
        assert body["error"]["message"]
    assert set(pages) == {"413", "429"}


def test_hsts_on_every_answer(https: Block) -> None:
    added = https.one("add_header").args
    assert added[0] == "Strict-Transport-Security" and added[-1] == "always"
    assert int(re.search(r"max-age=(\d+)", added[1]).group(1)) == Settings().hsts_seconds  # type: ignore[union-attr]
    assert https.value("proxy_hide_header") == "Strict-Transport-Security"
    assert all(not b.all("add_header") for b in https.all("location")), "an add_header in a location drops HSTS"
    plain = next(s for s in parse_nginx(NGINX.read_text()).all("server") if s is not https and s.all("return"))
    assert plain.value("return").startswith("301 https://")


def test_nginx_accepts_the_file(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.fail("nginx is missing: `make test` installs it (apt-get install nginx)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hop.test"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    site = NGINX.read_text()
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n    include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def unit_settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_writes_only_the_data_dir_with_the_server_s_umask() -> None:
    unit = unit_settings()
    data_dir = next(v.split("=", 1)[1] for v in unit["Environment"] if v.startswith("MS_DATA_DIR="))
    assert unit["ReadWritePaths"] == [data_dir] and unit["ProtectSystem"] == ["strict"]
    assert f"/var/lib/{unit['StateDirectory'][0]}" == data_dir and unit["StateDirectoryMode"] == ["0750"]
    assert int(unit["UMask"][0], 8) == UMASK
    assert unit["NoNewPrivileges"] == ["true"] and unit["CapabilityBoundingSet"] == [""]


def test_the_unit_is_sandboxed() -> None:
    """systemd-analyze security, offline (no running systemd needed, systemd ≥ 250), scores it ≤ 3.0."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: `make install-test` installs Debian's systemd package, which has it")
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(UNIT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown key" not in result.stderr and "Failed to parse" not in result.stderr, result.stderr
    score = re.search(r"Overall exposure level for meeting-server\.service: (\d+\.\d+)", result.stdout)
    assert score is not None, result.stdout
    assert float(score.group(1)) <= 3.0, result.stdout


def test_page_images_handed_to_nginx_come_from_the_data_dir_and_from_the_server_only(https: Block) -> None:
    """MS_PAGE_ACCEL_PREFIX=/_papers (docs/deploy.md): the location the server's X-Accel-Redirect points at is
    internal (no client reaches it) and is the unit's MS_DATA_DIR/papers/."""
    papers = location(https, "/_papers/")
    assert papers.all("internal") and not papers.all("proxy_pass")
    data_dir = re.search(r"^Environment=MS_DATA_DIR=(\S+)$", UNIT.read_text(), re.M)
    assert data_dir is not None and papers.value("alias") == f"{data_dir.group(1)}/papers/"
