"""The one error type and its one JSON shape, shared by REST responses and socket.io acks.

Every layer raises `AppError(code, ...)`; only the transports turn it into
`{"error": {"code": ..., "message": ...}}`, choosing the message language for the person asking.
Codes are stable API; messages are for people and may change.
"""

from __future__ import annotations

from typing import Any

from .vocabulary import SITE, STATUS_WORDS, ErrorCode

# code (vocabulary.ErrorCode) -> (HTTP status, Vietnamese message, English message). Messages may use {placeholders}.
CATALOGUE: dict[ErrorCode, tuple[int, str, str]] = {
    "invalid_input": (422, "Dữ liệu không hợp lệ: {detail}", "Invalid input: {detail}"),
    "malformed_json": (400, "Nội dung gửi lên không phải JSON hợp lệ.", "The request body is not valid JSON."),
    "json_too_complex": (
        400,
        "Nội dung JSON quá phức tạp: lồng nhau quá {limit} tầng hoặc có số quá dài.",
        "The JSON body is too complex: nested more than {limit} levels deep, or a number is too long.",
    ),
    "nul_character": (
        400,
        "Dữ liệu gửi lên chứa ký tự NUL (\\x00); ký tự này không được phép trong văn bản.",
        "The request contains a NUL character (\\x00), which is not allowed in text.",
    ),
    "invalid_host": (
        400,
        "Tiêu đề Host của yêu cầu không phải tên máy hợp lệ.",
        "The request's Host header is not a valid host name.",
    ),
    "malformed_upload": (
        400,
        "Biểu mẫu tải lên (multipart/form-data) không hợp lệ: {detail}",
        "The upload form (multipart/form-data) is not valid: {detail}",
    ),
    "request_timeout": (
        408,
        "Máy chủ đã chờ nội dung yêu cầu quá {limit} giây; kết nối bị đóng. Vui lòng gửi lại.",
        "The server waited more than {limit} seconds for the request body and closed the connection. "
        "Please send it again.",
    ),
    "payload_too_large": (
        413,
        "Dữ liệu gửi lên quá lớn (tối đa {limit} byte).",
        "The payload is too large (at most {limit} bytes).",
    ),
    "unauthenticated": (401, "Bạn cần đăng nhập để tiếp tục.", "Please sign in to continue."),
    "invalid_credentials": (
        401,
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    ),
    "rate_limited": (
        429,
        "Bạn đã thử đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {retry_after} giây.",
        "Too many failed sign-in attempts. Please try again in {retry_after} seconds.",
    ),
    "login_busy": (
        429,
        "Máy chủ đang kiểm tra nhiều lượt đăng nhập cùng lúc. Vui lòng thử lại sau {retry_after} giây.",
        "The server is checking many sign-ins at once. Please try again in {retry_after} seconds.",
    ),
    "unsupported_media_type": (
        415,
        "Nội dung phải gửi dưới dạng JSON (Content-Type: application/json).",
        "The body must be sent as JSON (Content-Type: application/json).",
    ),
    "csrf_failed": (
        403,
        "Yêu cầu bị từ chối vì thiếu mã chống giả mạo (CSRF). Hãy tải lại trang.",
        "The request was refused: the anti-forgery (CSRF) token is missing or wrong. Reload the page.",
    ),
    "forbidden": (
        403,
        "Bạn không có quyền thực hiện thao tác này.",
        "You do not have permission to do this.",
    ),
    "origin_refused": (
        403,
        "Kết nối từ địa chỉ {origin} không được phép.",
        "Connections from {origin} are not allowed.",
    ),
    "not_found": (404, "Không tìm thấy {what}.", "{what_en} not found."),
    "vote_closed": (
        409,
        "Cuộc biểu quyết {detail} đã kết thúc: phiếu này không được tính.",
        "The vote {detail} is closed: this ballot was not counted.",
    ),
    "conflict": (409, "Đã tồn tại: {detail}", "Already exists: {detail}"),
    "in_use": (409, "Không thể xóa: {detail}", "Cannot delete: {detail}"),
    "record_frozen": (
        409,
        "{detail} đã được duyệt và cấp số; nội dung không thể thay đổi nữa (hãy lập bản đính chính).",
        "{detail_en} was approved and numbered; it can no longer change (issue a correction instead).",
    ),
    "stale_revision": (
        409,
        "Nội dung này đã được {who} lưu lúc {at}; hãy xem bản mới nhất rồi lưu lại.",
        "{who} saved this text at {at}; read the latest version, then save again.",
    ),
    "invalid_transition": (
        409,
        "Không thể {action_vi} khi cuộc họp đang ở trạng thái “{status_vi}”.",
        "Cannot {action_en} while the meeting is {status_en}.",
    ),
    "meeting_closed": (
        409,
        "Cuộc họp đã kết thúc hoặc bị hủy; không thể thay đổi nữa.",
        "The meeting has ended or was cancelled; it can no longer be changed.",
    ),
    "meeting_archived": (
        409,
        "Cuộc họp đã được lưu trữ và niêm phong; không thể thay đổi bất cứ điều gì của cuộc họp này nữa "
        "(vẫn xem được tài liệu và tải được hồ sơ cuộc họp).",
        "The meeting is archived and sealed: nothing about it can change any more "
        "(its papers can still be read and its dossier downloaded).",
    ),
    "conference_not_live": (
        409,
        "Cuộc họp chưa diễn ra hoặc đã kết thúc (trạng thái “{status_vi}”); chưa thể kết nối hình và tiếng.",
        "The meeting is not under way (it is {status_en}); sound and video cannot connect now.",
    ),
    "conference_locked": (
        403,
        "Chủ trì đã khóa cuộc họp; điểm cầu mới không thể tham gia lúc này.",
        "The chair has locked the meeting; no new site can join now.",
    ),
    "participant_removed": (
        403,
        "Chủ trì đã mời điểm cầu này ra khỏi cuộc họp.",
        "The chair has removed this participant from the meeting.",
    ),
    "media_full": (
        503,
        "Cuộc họp đã đủ {limit} điểm cầu kết nối; không thể nhận thêm.",
        "The meeting already has {limit} connected participants; no more can join.",
    ),
    "invalid_sdp": (
        400,
        "Mô tả phiên kết nối (SDP) không hợp lệ: {detail}",
        "The session description (SDP) is not valid: {detail}",
    ),
    "paper_restricted": (
        403,
        "Tài liệu mật chỉ được xem trên màn hình; không tải được bản gốc.",
        "A restricted paper can only be read on screen; its original file cannot be downloaded.",
    ),
    "page_link_invalid": (
        403,
        "Liên kết trang tài liệu không hợp lệ. Hãy mở lại tài liệu.",
        "The page link is not valid. Open the paper again.",
    ),
    "page_link_expired": (
        410,
        "Liên kết trang tài liệu đã hết hạn. Hãy mở lại tài liệu.",
        "The page link has expired. Open the paper again.",
    ),
    "unknown_event": (400, "Không hỗ trợ thao tác “{name}”.", "Unknown event or action “{name}”."),
    "paper_empty": (422, "Tệp tài liệu rỗng (0 byte).", "The file is empty (0 bytes)."),
    "paper_not_pdf": (
        422,
        "Tệp này không phải tài liệu PDF. Hãy lưu tài liệu dưới dạng PDF rồi tải lên lại.",
        "This file is not a PDF. Save the paper as PDF and upload it again.",
    ),
    "paper_encrypted": (
        422,
        "Tài liệu PDF được đặt mật khẩu. Hãy gỡ mật khẩu rồi tải lên lại.",
        "The PDF is protected by a password. Remove the password and upload it again.",
    ),
    "paper_corrupt": (
        422,
        "Tệp PDF bị hỏng, không đọc được. Hãy xuất lại tài liệu ra PDF rồi tải lên lại.",
        "The PDF is damaged and cannot be read. Export the paper to PDF again and upload it again.",
    ),
    "paper_too_large": (
        413,
        "Tệp tài liệu quá lớn (tối đa {limit} MB).",
        "The file is too large (at most {limit} MB).",
    ),
    "paper_too_many_pages": (
        422,
        "Tài liệu có quá nhiều trang (tối đa {limit} trang).",
        "The paper has too many pages (at most {limit}).",
    ),
    "paper_page_too_large": (
        422,
        "Trang {page} của tài liệu có khổ quá lớn (mỗi cạnh tối đa {limit} inch).",
        "Page {page} of the paper is too large (at most {limit} inches a side).",
    ),
    "paper_too_complex": (
        422,
        "Tài liệu quá phức tạp, không hiển thị được (xử lý quá lâu hoặc cần quá nhiều bộ nhớ). "
        "Hãy in lại ra PDF hoặc giảm dung lượng ảnh rồi tải lên lại.",
        "The paper is too complex to display (it takes too long or too much memory to process). "
        "Print it to a new PDF or make its images smaller, and upload it again.",
    ),
    # office papers (documents/convert.py)
    "paper_type_unsupported": (
        415,
        "Không nhận loại tệp này. Hãy tải lên PDF, Word (.docx, .doc, .odt, .rtf), bảng tính (.xlsx, .xls, .ods) "
        "hoặc bài trình chiếu (.pptx, .ppt, .odp).",
        "This kind of file is not accepted. Upload a PDF, a Word document (.docx, .doc, .odt, .rtf), a spreadsheet "
        "(.xlsx, .xls, .ods) or a presentation (.pptx, .ppt, .odp).",
    ),
    "paper_convert_unavailable": (
        503,
        "Máy chủ chưa chuyển được tài liệu văn phòng sang PDF (chưa cài LibreOffice hoặc không có môi trường cách ly). "
        "Hãy lưu tài liệu dưới dạng PDF rồi tải lên.",
        "The server cannot convert office documents to PDF now (LibreOffice or its sandbox is missing). "
        "Save the paper as PDF and upload that.",
    ),
    "paper_convert_timeout": (
        422,
        "Chuyển tài liệu sang PDF quá {limit} giây nên đã dừng; không có gì được lưu. "
        "Hãy lưu tài liệu dưới dạng PDF rồi tải lên.",
        "Converting the paper to PDF took more than {limit} seconds and was stopped; nothing was saved. "
        "Save it as PDF and upload that.",
    ),
    "paper_convert_too_big": (
        422,
        "Tài liệu quá lớn khi giải nén hoặc cần quá nhiều bộ nhớ để chuyển sang PDF (tối đa {limit} MB); "
        "không có gì được lưu.",
        "The paper is too big once unpacked, or needs too much memory to convert to PDF (at most {limit} MB); "
        "nothing was saved.",
    ),
    "paper_convert_damaged": (
        422,
        "Tệp bị hỏng hoặc có nội dung không an toàn nên không chuyển được sang PDF; không có gì được lưu. "
        "Hãy mở lại bằng phần mềm soạn thảo, lưu lại rồi tải lên.",
        "The file is damaged or holds unsafe content, so it cannot be converted to PDF; nothing was saved. "
        "Open it in its editor, save it again and upload it again.",
    ),
    "paper_convert_protected": (
        422,
        "Tài liệu được đặt mật khẩu nên không chuyển được sang PDF. Hãy gỡ mật khẩu rồi tải lên lại.",
        "The document is protected by a password, so it cannot be converted to PDF. Remove the password and "
        "upload it again.",
    ),
    "method_not_allowed": (405, "Phương thức không được hỗ trợ.", "Method not allowed."),
    "internal_error": (
        500,
        "Đã xảy ra lỗi trong hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại.",
        "Something went wrong on the server. Nothing was changed; please try again.",
    ),
    # digital signatures (signing/)
    "signing_certificate_untrusted": (
        422,
        "Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp ({detail}). "
        "Hãy ký bằng chứng thư số của Ban Cơ yếu Chính phủ.",
        "The certificate was not issued by a trusted certification authority ({detail}). "
        "Sign with a Government CA certificate.",
    ),
    "signing_certificate_expired": (
        422,
        "Chứng thư số không có hiệu lực vào thời điểm ký ({detail}).",
        "The certificate is not valid at the time of signing ({detail}).",
    ),
    "signing_certificate_not_for_signing": (
        422,
        "Chứng thư số này không dùng để ký số (thiếu mục đích sử dụng khóa chữ ký số).",
        "This certificate is not for signing (its key usage lacks digital signature).",
    ),
    "signing_wrong_signer": (
        403,
        "Chứng thư số mang tên {name}, không phải người ký văn bản này ({detail}).",
        "The certificate is in the name of {name}, who is not this document's signer ({detail}).",
    ),
    "signature_mismatch": (
        422,
        "Chữ ký gửi lên không khớp với chứng thư số và nội dung cần ký; văn bản chưa được ký.",
        "The signature does not match the certificate and the data to sign; the document was not signed.",
    ),
    "timestamp_unavailable": (
        503,
        "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian; văn bản chưa được ký, vui lòng thử lại.",
        "The timestamp server did not answer; the document was not signed, please try again.",
    ),
    "signed_pdf_unreadable": (
        422,
        "Tệp không phải là tệp PDF đọc được ({detail}).",
        "The file is not a readable PDF ({detail}).",
    ),
    "signed_pdf_unsigned": (422, "Tệp PDF không có chữ ký số nào.", "The PDF has no digital signature."),
    "signed_pdf_too_large": (
        413,
        "Tệp PDF quá lớn để kiểm tra chữ ký (tối đa {limit} MB).",
        "The PDF is too large to verify (at most {limit} MB).",
    ),
    # the signing phase (actions/signing.py)
    "signing_link_invalid": (
        403,
        "Liên kết ký số không đúng hoặc không phải của bạn; hãy mở trang văn bản để lấy liên kết ký của mình.",
        "The signing link is wrong or not yours; open the document's page to get your own signing link.",
    ),
    "signing_link_used": (
        409,
        "Liên kết ký số này đã được dùng; mỗi liên kết chỉ ký được một lần.",
        "This signing link has already been used; each link signs only once.",
    ),
    "signing_link_expired": (
        410,
        "Liên kết ký số đã hết hạn; hãy lấy liên kết mới trên trang văn bản.",
        "The signing link has expired; get a new one on the document's page.",
    ),
    "signing_not_your_turn": (
        409,
        "Chưa đến lượt ký của bạn: {detail}.",
        "It is not your turn to sign: {detail}.",
    ),
    "signing_document_changed": (
        409,
        "Văn bản đã thay đổi kể từ khi tạo liên kết ký (đã có người ký hoặc văn bản được làm lại); "
        "hãy lấy liên kết mới và xem lại văn bản trước khi ký.",
        "The document has changed since the signing link was made (someone signed, or it was made again); "
        "get a new link and read the document again before signing.",
    ),
    "signing_not_prepared": (
        409,
        "Chưa chuẩn bị ký (chưa gửi chứng thư số); hãy chạy lại lệnh ký.",
        "The signature has not been prepared (no certificate sent yet); run the signing command again.",
    ),
    "signing_result_invalid": (
        422,
        "Văn bản sau khi ký không hợp lệ nên chữ ký không được ghi nhận: {detail}",
        "The signed document is not valid, so the signature was not recorded: {detail}",
    ),
    "seal_unavailable": (
        503,
        "Máy chủ chưa sẵn sàng đóng dấu ({detail}); hãy báo quản trị hệ thống.",
        "The server cannot apply the seal ({detail}); tell the system administrator.",
    ),
    # signature and seal images (signing/images.py): nothing is saved
    "image_refused": (
        400,
        "Không nhận {detail}. Hãy gửi ảnh PNG hoặc JPEG, tối đa 1 MB; không có gì được lưu.",
        "Not accepted: {detail}. Send a PNG or JPEG image of 1 MB at most; nothing was saved.",
    ),
}

# Names of things for not_found messages.
THINGS: dict[str, tuple[str, str]] = {
    "meeting": ("cuộc họp", "Meeting"),
    "record": ("văn bản", "Record document"),
    "agenda_item": ("nội dung họp", "Agenda item"),
    "unit": ("đơn vị", "Unit"),
    "province": ("tỉnh, thành phố trong danh mục đơn vị hành chính", "Province in the official list"),
    SITE: ("điểm cầu", "Site"),
    "user": ("người dùng", "User"),
    "route": ("đường dẫn", "Path"),
    "roll_call": ("lượt điểm danh", "Roll call"),
    "recording": ("bản ghi", "Recording"),
    "paper": ("tài liệu", "Paper"),
    "paper_version": ("phiên bản tài liệu", "Paper version"),
    "page": ("trang tài liệu", "Page"),
    "annotation": ("chú thích", "Annotation"),
    "comment": ("góp ý", "Comment"),
    "upload": ("tệp tải lên", "Upload"),
    "floor_request": ("đăng ký phát biểu", "Request to speak"),
    "vote": ("cuộc biểu quyết", "Vote"),
    "mail": ("thư mời", "Mail"),
    "signature_image": ("ảnh chữ ký", "Signature image"),
    "seal_image": ("ảnh con dấu", "Seal image"),
    "dossier": ("hồ sơ cuộc họp (đang được lập)", "Meeting dossier (still being built)"),
}

ACTION_WORDS: dict[str, tuple[str, str]] = {
    "schedule": ("lên lịch", "schedule it"),
    "unschedule": ("đưa về dự thảo", "return it to draft"),
    "start": ("bắt đầu cuộc họp", "start it"),
    "end": ("kết thúc cuộc họp", "end it"),
    "archive": ("lưu trữ cuộc họp", "archive it"),
    "dossier": ("tải hồ sơ cuộc họp (chỉ có sau khi lưu trữ)", "download its dossier (only once archived)"),
    "cancel": ("hủy cuộc họp", "cancel it"),
    "set_current": ("chọn nội dung đang thảo luận", "set the current agenda item"),
    "reschedule": ("đổi giờ bắt đầu", "change the start time"),
    "answer_roll_call": ("trả lời điểm danh", "answer the roll call"),
    "present": ("trình chiếu tài liệu", "present a paper"),
    "add_version": ("thêm phiên bản mới", "add a version"),
    "record_attendance": ("ghi điểm danh", "record attendance"),
    # the floor (domain/floor.py)
    "request_floor": ("đăng ký phát biểu", "ask to speak"),
    "give_floor": ("mời phát biểu", "give the floor"),
    "extend_speech": ("thêm giờ phát biểu", "extend the speech"),
    "end_speech": ("kết thúc phát biểu", "end the speech"),
}

LANGS = ("vi", "en")


class AppError(Exception):
    """An error a person can read. `params` fill the message; `detail` is shown as-is."""

    def __init__(self, code: ErrorCode, **params: Any) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(code)
        self.code: ErrorCode = code
        self.params = params

    @property
    def status(self) -> int:
        return CATALOGUE[self.code][0]

    @staticmethod
    def invalid(vi: str, en: str) -> AppError:
        """An ``invalid_input`` whose message is just these sentences (no "Dữ liệu không hợp lệ:" lead)."""
        return AppError("invalid_input", detail=vi, detail_en=en, whole=True)

    def message(self, lang: str = "vi") -> str:
        _, vi, en = CATALOGUE[self.code]
        template = en if lang == "en" else vi
        if self.params.get("whole"):
            template = "{detail}"
        params: dict[str, Any] = {"detail": "", "limit": "", "retry_after": "", "name": "", "origin": "", "page": ""}
        params.update(self.params)
        what = str(params.get("what", "route"))
        params["what"], params["what_en"] = THINGS.get(what, (what, what))
        status = str(params.get("status", ""))
        params["status_vi"], params["status_en"] = STATUS_WORDS.get(status, (status, status))
        action = str(params.get("action", ""))
        params["action_vi"], params["action_en"] = ACTION_WORDS.get(action, (action, action))
        if lang == "en" and "detail_en" in params:
            params["detail"] = params["detail_en"]
        return template.format(**params)

    def to_dict(self, lang: str = "vi") -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message(lang)}}

    def __str__(self) -> str:
        return f"{self.code}: {self.message('en')}"


class InvalidValue(ValueError):
    """What a schema's own validator raises: the sentence to show, in both languages, naming the field."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def pick_lang(*candidates: str | None) -> str:
    """First supported language among explicit choices and Accept-Language-like strings."""
    for candidate in candidates:
        if not candidate:
            continue
        for part in candidate.split(","):
            tag = part.split(";")[0].strip().lower()[:2]
            if tag in LANGS:
                return tag
    return "vi"
