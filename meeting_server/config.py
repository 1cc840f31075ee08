"""Settings read once from the environment, so one binary serves a laptop demo and a production province."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# What the server writes is its own and its group's (backups), never the world's: every command sets UMASK;
# directories it makes are DIR_MODE, files FILE_MODE (storage/filemodes.py, media/recording.py, documents/).
UMASK = 0o027
DIR_MODE = 0o750
FILE_MODE = 0o640


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in os.environ.get(name, "").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    allowed_origins: tuple[str, ...] = ()
    redis_url: str = ""
    session_days: int = 14
    secure_cookies: bool = False
    access_log: bool = True  # one line per request (api/accesslog.py)
    trust_proxy: bool = False  # behind nginx: take the client address from X-Forwarded-For
    snapshot_after: int = 500
    max_body_bytes: int = 1024 * 1024
    max_socket_message_bytes: int = 256 * 1024
    # A request body must have arrived this many seconds after its headers, or the request gets 408 and the
    # connection is closed (a client dribbling a body byte by byte holds nothing for long); paper uploads
    # (multipart) get upload_timeout_seconds, enough for 100 MB over a slow commune link.
    body_timeout_seconds: float = 30.0
    upload_timeout_seconds: float = 900.0
    upload_max_parts: int = 20  # fields in one upload form (the file among them); more is malformed_upload
    hsts_seconds: int = 365 * 86400  # Strict-Transport-Security max-age on responses served over https; 0: none
    session_idle_minutes: int = 8 * 60  # a session unused this long ends (a day of meetings keeps it alive)
    # Sign-in limits (see auth.LoginLimiter): the attacker is throttled, not the account's owner.
    login_failures_per_pair: int = 5  # one account from one address; then growing delays
    login_failures_per_user: int = 50  # one account from every address: then only its usual addresses
    login_failures_per_ip: int = 100  # one address: then only accounts with no failure from it
    login_window_seconds: int = 900
    login_pending_per_ip: int = 8  # attempts from one address being checked at once; more get login_busy
    login_pending: int = 64  # attempts being checked at once on this node
    socket_sweep_seconds: float = 30.0
    ws_compression: bool = False  # permessage-deflate on the live channel (see api/app.py)
    # Signed page links (domain/pagelinks.py, docs/papers.md): page images of open papers served from the link
    # alone. The secret must be the same on every node (empty: a random one per process, links then fail on
    # another node or after a restart and the reader falls back to its session); links live at most ttl seconds
    # (≤ 300: revocation is honoured within it); with accel_prefix set, nginx sends the file (X-Accel-Redirect).
    page_url_secret: str = ""
    page_url_ttl: int = 300
    page_accel_prefix: str = ""
    page_memory_mb: int = 256  # open papers' page images kept in memory (documents/imagecache.py); 0: none
    paper_max_mb: int = 100  # one uploaded paper (PDF); bigger ones are refused (paper_too_large)
    # Office papers become PDF through a sandboxed LibreOffice (documents/convert.py, docs/papers.md)
    convert_max_jobs: int = 2  # conversions at once; more wait their turn
    convert_timeout_seconds: float = 120.0  # one conversion's wall clock; then its processes are killed
    convert_memory_mb: int = 2048  # LibreOffice's address space (RLIMIT_AS) in one conversion
    convert_max_unpacked_mb: int = 512  # an OOXML/ODF package's parts unpacked, in all (zip bombs)
    # Media (see docs/media.md)
    media_max_participants: int = 60  # publishing connections per meeting; one more is refused (media_full)
    media_video_codec: str = "VP8"  # one codec per server, so frames pass through unchanged: VP8 or H264
    media_audio_slots: int = 3  # the loudest few a participant hears at once (plus main and chair first)
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""  # coturn use-auth-secret: short-lived credentials per connection
    turn_ttl_seconds: int = 12 * 3600
    # The organisation's seal (signing/seal.py, docs/deploy.md "Chữ ký số"): a key in a PKCS#11 module (an HSM),
    # or a PKCS#12 file; the PIN / password each in a file only the server's user may read (0600 or 0400).
    seal_pkcs11_module: str = ""
    seal_token_label: str = ""
    seal_key_label: str = ""
    seal_pin_file: str = ""
    seal_pkcs12: str = ""
    seal_pkcs12_password_file: str = ""
    # Mail (docs/deploy.md "Mail"): no host, nothing is sent and the outbox waits ("chưa cấu hình máy chủ thư").
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""  # "Văn phòng UBND tỉnh <vanphong@tuyenquang.gov.vn>"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 60.0  # one SMTP conversation step; a silent server ends the attempt, retried later
    mail_poll_seconds: float = 30.0  # the sender looks for due mail this often, besides being woken after a commit
    mail_max_attempts: int = 8  # then the mail is failed with the server's last reply
    mail_retry_seconds: float = 60.0  # the first retry's delay; doubled for each further one, at most 6 hours
    search_poll_seconds: float = 2.0  # the search indexer looks for changed meetings this often (docs/search.md)
    search_indexer: bool = True  # run the indexer in this process (off: another node's indexes this database)
    search_count_cap: int = 1000  # a search counts and ranks at most this many readable hits (docs/search.md)
    public_url: str = ""  # how people reach the server ("https://hop.tuyenquang.gov.vn"): the links in mails
    # Digital signatures (docs/signing.md): the roots a signer's certificate must chain to (a PEM file or a folder
    # of PEM/DER certificates; in production the Ban Cơ yếu Chính phủ Government CA chain) and an RFC 3161 TSA.
    trust_roots: Path | None = None
    tsa_url: str = ""
    # The dossier (docs/archive.md): recordings larger together than this go in as hashes and locations only; 0: no
    # limit, every recording is copied in.
    dossier_recordings_max_mb: int = 0
    static_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent / "static")
    vendor_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent / "node_modules")

    def __post_init__(self) -> None:
        if self.media_video_codec not in ("VP8", "H264"):
            raise ValueError(f"MS_MEDIA_VIDEO_CODEC must be VP8 or H264, not {self.media_video_codec!r}")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'meetings.sqlite3').resolve()}"

    # Where the server keeps what it writes besides the database (all under data_dir):
    @property
    def papers_dir(self) -> Path:  # papers by content hash (documents/paperfiles.py)
        return self.data_dir / "papers"

    @property
    def recordings_dir(self) -> Path:  # <meeting_id>/<recording_id>/<label>.<kind>.webm (media/recording.py)
        return self.data_dir / "recordings"

    @property
    def programmes_dir(self) -> Path:  # <meeting_id>/programme.mp4: the meeting as the walls showed it
        return self.data_dir / "programmes"

    @property
    def dossiers_dir(self) -> Path:  # <meeting_id>.zip: an archived meeting's dossier (hồ sơ cuộc họp)
        return self.data_dir / "dossiers"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        origins = tuple(o.strip() for o in os.environ.get("MS_ALLOWED_ORIGINS", "").split(",") if o.strip())
        values: dict[str, object] = {
            "data_dir": Path(os.environ.get("MS_DATA_DIR", "data")),
            "database_url": os.environ.get("MS_DATABASE_URL", ""),
            "host": os.environ.get("HOST", "127.0.0.1"),
            "port": _env_int("PORT", 8080),
            "allowed_origins": origins,
            "redis_url": os.environ.get("MS_REDIS_URL", ""),
            "secure_cookies": os.environ.get("MS_SECURE_COOKIES", "") in ("1", "true", "yes"),
            "trust_proxy": os.environ.get("MS_TRUST_PROXY", "") in ("1", "true", "yes"),
            "access_log": os.environ.get("MS_ACCESS_LOG", "1") not in ("0", "false", "no"),
            "snapshot_after": _env_int("MS_SNAPSHOT_AFTER", 500),
            "session_idle_minutes": _env_int("MS_SESSION_IDLE_MINUTES", 8 * 60),
            "socket_sweep_seconds": float(os.environ.get("MS_SOCKET_SWEEP_SECONDS") or 30),
            "body_timeout_seconds": float(os.environ.get("MS_BODY_TIMEOUT_SECONDS") or 30),
            "upload_timeout_seconds": float(os.environ.get("MS_UPLOAD_TIMEOUT_SECONDS") or 900),
            "upload_max_parts": _env_int("MS_UPLOAD_MAX_PARTS", 20),
            "hsts_seconds": _env_int("MS_HSTS_SECONDS", 365 * 86400),
            "ws_compression": os.environ.get("MS_WS_COMPRESSION", "") in ("1", "true", "yes"),
            "page_url_secret": os.environ.get("MS_PAGE_URL_SECRET", ""),
            "page_url_ttl": _env_int("MS_PAGE_URL_TTL", 300),
            "page_accel_prefix": os.environ.get("MS_PAGE_ACCEL_PREFIX", ""),
            "page_memory_mb": _env_int("MS_PAGE_MEMORY_MB", 256),
            "paper_max_mb": _env_int("MS_PAPER_MAX_MB", 100),
            "convert_max_jobs": _env_int("MS_CONVERT_MAX_JOBS", 2),
            "convert_timeout_seconds": float(os.environ.get("MS_CONVERT_TIMEOUT_SECONDS") or 120),
            "convert_memory_mb": _env_int("MS_CONVERT_MEMORY_MB", 2048),
            "convert_max_unpacked_mb": _env_int("MS_CONVERT_MAX_UNPACKED_MB", 512),
            "media_max_participants": _env_int("MS_MEDIA_MAX_PARTICIPANTS", 60),
            "media_video_codec": (os.environ.get("MS_MEDIA_VIDEO_CODEC") or "VP8").upper(),
            "media_audio_slots": _env_int("MS_MEDIA_AUDIO_SLOTS", 3),
            "stun_urls": _env_list("MS_STUN_URLS"),
            "turn_urls": _env_list("MS_TURN_URLS"),
            "turn_secret": os.environ.get("MS_TURN_SECRET", ""),
            "seal_pkcs11_module": os.environ.get("MS_SEAL_PKCS11_MODULE", ""),
            "seal_token_label": os.environ.get("MS_SEAL_TOKEN_LABEL", ""),
            "seal_key_label": os.environ.get("MS_SEAL_KEY_LABEL", ""),
            "seal_pin_file": os.environ.get("MS_SEAL_PIN_FILE", ""),
            "seal_pkcs12": os.environ.get("MS_SEAL_PKCS12", ""),
            "seal_pkcs12_password_file": os.environ.get("MS_SEAL_PKCS12_PASSWORD_FILE", ""),
            "smtp_host": os.environ.get("MS_SMTP_HOST", ""),
            "smtp_port": _env_int("MS_SMTP_PORT", 587),
            "smtp_user": os.environ.get("MS_SMTP_USER", ""),
            "smtp_password": os.environ.get("MS_SMTP_PASSWORD", ""),
            "smtp_from": os.environ.get("MS_SMTP_FROM", ""),
            "smtp_starttls": os.environ.get("MS_SMTP_STARTTLS", "1") not in ("0", "false", "no"),
            "smtp_timeout_seconds": float(os.environ.get("MS_SMTP_TIMEOUT_SECONDS") or 60),
            "mail_poll_seconds": float(os.environ.get("MS_MAIL_POLL_SECONDS") or 30),
            "mail_max_attempts": _env_int("MS_MAIL_MAX_ATTEMPTS", 8),
            "mail_retry_seconds": float(os.environ.get("MS_MAIL_RETRY_SECONDS") or 60),
            "search_poll_seconds": float(os.environ.get("MS_SEARCH_POLL_SECONDS") or 2),
            "search_indexer": os.environ.get("MS_SEARCH_INDEXER", "1") not in ("0", "false", "no"),
            "search_count_cap": _env_int("MS_SEARCH_COUNT_CAP", 1000),
            "public_url": os.environ.get("MS_PUBLIC_URL", ""),
            "trust_roots": Path(os.environ["MS_TRUST_ROOTS"]) if os.environ.get("MS_TRUST_ROOTS") else None,
            "tsa_url": os.environ.get("MS_TSA_URL", ""),
            "dossier_recordings_max_mb": _env_int("MS_DOSSIER_RECORDINGS_MAX_MB", 0),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
