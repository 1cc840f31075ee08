"""What the agent says, Vietnamese first (`--lang en` for English): one sentence per situation."""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]

TEXTS: dict[str, tuple[str, str]] = {
    "about_to_sign": (
        "Bạn sắp ký: {kind} số {number} — {title}\nCuộc họp: {meeting}\nNgười ký: {signer} ({slot})\n"
        "Mã băm SHA-256 của tệp PDF: {sha256}",
        "You are about to sign: {kind} no. {number} — {title}\nMeeting: {meeting}\nSigner: {signer} ({slot})\n"
        "SHA-256 of the PDF: {sha256}",
    ),
    "certificate": (
        "Chứng thư số dùng để ký: {subject} (cấp bởi {issuer}, hết hạn {not_after})",
        "Signing certificate: {subject} (issued by {issuer}, expires {not_after})",
    ),
    "pin_prompt": ("Nhập mã PIN của token «{token}»: ", "Enter the PIN of token “{token}”: "),
    "password_prompt": ("Nhập mật khẩu của tệp {file}: ", "Enter the password of {file}: "),
    "signed": (
        "Đã ký xong. Trạng thái chữ ký của văn bản: {status}",
        "Signed. The document's signature status: {status}",
    ),
    "no_module": (
        "Không nạp được thư viện PKCS#11 «{module}» của token. "
        "Hãy cài trình điều khiển token hoặc chỉ rõ bằng --module.",
        "Cannot load the token's PKCS#11 library “{module}”. Install the token's driver or name it with --module.",
    ),
    "no_token": (
        "Không tìm thấy token ký số nào. Hãy cắm USB token rồi thử lại.",
        "No signing token found. Plug in the USB token and try again.",
    ),
    "no_such_token": (
        "Không có token nào mang nhãn «{token}». Các token đang cắm: {found}.",
        "No token is labelled “{token}”. Tokens present: {found}.",
    ),
    "several_tokens": (
        "Đang cắm nhiều token ({found}); hãy chọn một bằng --token NHÃN.",
        "Several tokens are present ({found}); choose one with --token LABEL.",
    ),
    "no_certificate": (
        "Token «{token}» không có chứng thư số nào đi kèm khoá ký.",
        "Token “{token}” holds no certificate with a signing key.",
    ),
    "no_such_certificate": (
        "Không có chứng thư số nào mang nhãn «{label}» trên token. Có: {found}.",
        "No certificate labelled “{label}” on the token. Present: {found}.",
    ),
    "several_certificates": (
        "Token có nhiều chứng thư số ({found}); hãy chọn một bằng --cert NHÃN.",
        "The token holds several certificates ({found}); choose one with --cert LABEL.",
    ),
    "wrong_pin": ("Mã PIN không đúng. {tries}", "Wrong PIN. {tries}"),
    "tries_unknown": ("Token không cho biết còn bao nhiêu lần thử.", "The token does not say how many tries are left."),
    "tries_low": (
        "Token báo đã có lần nhập sai: còn ít lần thử trước khi token bị khoá.",
        "The token reports failed attempts: few tries are left before it locks.",
    ),
    "tries_final": (
        "Token báo đây là lần thử cuối cùng: nhập sai nữa token sẽ bị khoá.",
        "The token reports this is the final try: one more wrong PIN locks it.",
    ),
    "pin_locked": (
        "Token đã bị khoá vì nhập sai mã PIN quá số lần cho phép. Hãy liên hệ nơi cấp token để mở khoá.",
        "The token is locked after too many wrong PINs. Ask the token's issuer to unlock it.",
    ),
    "bad_pkcs12": (
        "Không mở được tệp {file}: sai mật khẩu hoặc tệp không phải PKCS#12.",
        "Cannot open {file}: wrong password or not a PKCS#12 file.",
    ),
    "pkcs12_no_key": (
        "Tệp {file} không chứa khoá và chứng thư số.",
        "{file} does not hold a key and a certificate.",
    ),
    "unknown_mechanism": (
        "Máy chủ yêu cầu cơ chế ký «{mechanism}» mà chương trình không hỗ trợ.",
        "The server asks for signing mechanism “{mechanism}”, which this agent does not support.",
    ),
    "wrong_key_type": (
        "Máy chủ yêu cầu cơ chế ký «{mechanism}» nhưng khoá trên token là khoá {key_type}.",
        "The server asks for mechanism “{mechanism}” but the key is a {key_type} key.",
    ),
    "server_refused": ("Máy chủ từ chối: {message}", "The server refused: {message}"),
    "server_unreachable": (
        "Không kết nối được máy chủ {host}: {reason}",
        "Cannot reach the server {host}: {reason}",
    ),
    "server_garbled": (
        "Máy chủ trả lời không đúng giao thức ký ({reason}).",
        "The server's answer does not follow the signing protocol ({reason}).",
    ),
    "token_error": ("Token báo lỗi: {reason}", "The token reports an error: {reason}"),
    "cancelled": ("Đã huỷ, không ký.", "Cancelled, nothing signed."),
}


def say(key: str, lang: Lang = "vi", **params: object) -> str:
    vi, en = TEXTS[key]
    return (vi if lang == "vi" else en).format(**params)


class AgentError(Exception):
    """A situation the signer must be told about, in their language; the agent exits with it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def text(self, lang: Lang = "vi") -> str:
        params = {k: (v.text(lang) if isinstance(v, AgentError) else v) for k, v in self.params.items()}
        return say(self.key, lang, **params)

    def __str__(self) -> str:
        return self.text("vi")
