"""The REST route table: one line per path, naming the action (a change) or view (a read) behind it.

The OpenAPI document and the docs test are generated from this table, so a route cannot exist undocumented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    action: str | None = None  # name in actions.REGISTRY
    auth: str = "signed_in"  # "none" | "signed_in" | "any" (session or device token) | "link" (a signed link:
    # no session is looked up at all, api/app.py identity_middleware; domain/pagelinks.py)
    status: int = 200
    content_type: str = "application/json"
    upload: bool = False  # a multipart paper upload: MS_PAPER_MAX_MB, MS_UPLOAD_TIMEOUT_SECONDS (api/hardening.py)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/health", "Liveness and database check.", auth="none"),
    Route("GET", "/api/openapi.json", "This API as OpenAPI 3.1.", auth="none"),
    Route("POST", "/api/auth/login", "Sign in; sets the session cookie and returns the CSRF token.", auth="none"),
    Route("POST", "/api/auth/logout", "Sign out; ends the session and its live sockets."),
    Route("GET", "/api/auth/session", "The signed-in user and the CSRF token."),
    Route("PATCH", "/api/me", "Change my interface language.", action="me.update"),
    Route("GET", "/api/units", "All units (flat; parent_id gives the tree)."),
    Route("POST", "/api/units", "Create a unit.", action="unit.create", status=201),
    Route("GET", "/api/units/official-provinces", "The official list's provinces, each with its number of communes."),
    Route(
        "POST",
        "/api/units/import",
        "Import a province's communes, wards and special zones from the official list.",
        action="unit.import_official",
    ),
    Route("PATCH", "/api/units/{unit_id}", "Edit a unit.", action="unit.update"),
    Route("DELETE", "/api/units/{unit_id}", "Delete an empty unit.", action="unit.delete"),
    Route("GET", "/api/sites", "All sites (meeting rooms)."),
    Route("POST", "/api/sites", "Create a site.", action="site.create", status=201),
    Route("PATCH", "/api/sites/{site_id}", "Edit a site.", action="site.update"),
    Route("POST", "/api/sites/{site_id}/token", "Issue a new device token.", action="site.issue_token"),
    Route("DELETE", "/api/sites/{site_id}/token", "Revoke the device token.", action="site.revoke_token"),
    Route("GET", "/api/users", "Users (admins, chairs and secretaries)."),
    Route("POST", "/api/users", "Create a user.", action="user.create", status=201),
    Route("PATCH", "/api/users/{user_id}", "Edit a user.", action="user.update"),
    Route("GET", "/api/audit", "The security audit log (admins)."),
    Route("GET", "/api/meetings", "Meetings I may see.", auth="any"),
    Route("POST", "/api/meetings", "Create a draft meeting.", action="meeting.create", status=201),
    Route("GET", "/api/meetings/{meeting_id}", "One meeting's snapshot.", auth="any"),
    Route("PATCH", "/api/meetings/{meeting_id}", "Edit a meeting.", action="meeting.update"),
    Route("POST", "/api/meetings/{meeting_id}/schedule", "Schedule a draft.", action="meeting.schedule"),
    Route("POST", "/api/meetings/{meeting_id}/unschedule", "Back to draft.", action="meeting.unschedule"),
    Route("POST", "/api/meetings/{meeting_id}/start", "Open the meeting.", action="meeting.start"),
    Route("POST", "/api/meetings/{meeting_id}/end", "End the meeting.", action="meeting.end"),
    Route("POST", "/api/meetings/{meeting_id}/archive", "Archive the meeting.", action="meeting.archive"),
    Route("POST", "/api/meetings/{meeting_id}/cancel", "Cancel the meeting.", action="meeting.cancel"),
    Route("POST", "/api/meetings/{meeting_id}/agenda", "Add an agenda item.", action="agenda.add_item", status=201),
    Route("PATCH", "/api/meetings/{meeting_id}/agenda/{item_id}", "Edit an agenda item.", action="agenda.update_item"),
    Route(
        "DELETE", "/api/meetings/{meeting_id}/agenda/{item_id}", "Remove an agenda item.", action="agenda.remove_item"
    ),
    Route("PUT", "/api/meetings/{meeting_id}/agenda/order", "Reorder the agenda.", action="agenda.reorder"),
    Route(
        "POST", "/api/meetings/{meeting_id}/agenda/current", "Set the current agenda item.", action="agenda.set_current"
    ),
    Route("GET", "/api/meetings/{meeting_id}/events", "Events after a sequence number, or a snapshot.", auth="any"),
    Route("GET", "/api/meetings/{meeting_id}/participants", "Invited people and sites.", auth="any"),
    Route("GET", "/api/meetings/{meeting_id}/attendance", "Attendance: membership, entries and quorum.", auth="any"),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/attendance.pdf",
        "The attendance list as a PDF.",
        content_type="application/pdf",
    ),
    Route("GET", "/api/meetings/{meeting_id}/attendance.csv", "The attendance list as CSV.", content_type="text/csv"),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/attendance/check-in",
        "Check oneself in (or leave early).",
        action="attendance.check_in",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/attendance",
        "Record anyone's attendance (the desk).",
        action="attendance.record",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/attendance/site",
        "Record a person in one's own site.",
        action="attendance.record_at_site",
    ),
    # the check-in codes (mã điểm danh, domain/checkin.py): the QR a hall shows, the door sheet, the scanned page
    Route("GET", "/api/checkin", "What a scanned check-in code opens: the meeting, the hall, my entry."),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/attendance/check-in-code",
        "Check oneself in with a hall's scanned code.",
        action="attendance.check_in_with_code",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/checkin/qr.svg",
        "A hall's check-in QR code (SVG), for its TV.",
        auth="any",
        content_type="image/svg+xml",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/checkin/qr.png",
        "A hall's check-in QR code (PNG).",
        auth="any",
        content_type="image/png",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/checkin/sheet.pdf",
        "A hall's printable check-in sheet for the door (PDF).",
        content_type="application/pdf",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/checkin/key",
        "Renew the check-in key: every code before stops working.",
        action="attendance.renew_checkin_key",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/invitation.pdf",
        "The invitation (giấy mời) as PDF.",
        auth="any",
        content_type="application/pdf",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/invitation.ics",
        "The meeting as an iCalendar file.",
        auth="any",
        content_type="text/calendar",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/main-site",
        "Choose the main site.",
        action="conference.set_main_site",
    ),
    Route("POST", "/api/meetings/{meeting_id}/conference/mute", "Mute a participant.", action="conference.mute"),
    Route("POST", "/api/meetings/{meeting_id}/conference/unmute", "Unmute a participant.", action="conference.unmute"),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/mute-sites",
        "Mute every site but the main one.",
        action="conference.mute_sites",
    ),
    Route(
        "POST", "/api/meetings/{meeting_id}/conference/lock", "Lock the meeting to new sites.", action="conference.lock"
    ),
    Route("POST", "/api/meetings/{meeting_id}/conference/unlock", "Unlock the meeting.", action="conference.unlock"),
    Route("POST", "/api/meetings/{meeting_id}/conference/remove", "Remove a participant.", action="conference.remove"),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/readmit",
        "Let a removed participant back.",
        action="conference.readmit",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/recording/start",
        "Start recording.",
        action="conference.start_recording",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/recording/stop",
        "Stop recording.",
        action="conference.stop_recording",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/roll-call",
        "Start a roll call.",
        action="conference.start_roll_call",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/roll-call/close",
        "Close the roll call.",
        action="conference.close_roll_call",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/conference/roll-call/answer",
        "Answer the roll call.",
        action="conference.answer_roll_call",
        auth="any",
    ),
    Route("GET", "/api/meetings/{meeting_id}/recordings", "The meeting's recordings (organisers)."),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/recordings/{recording_id}/{name}",
        "Download one recorded file.",
        content_type="video/webm",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers",
        "The meeting's papers I may read, and what is presented.",
        auth="any",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/papers",
        "Upload a paper (multipart form: file, title, item_id, access, user_ids, unit_ids, publish).",
        status=201,
        upload=True,
    ),
    Route("GET", "/api/meetings/{meeting_id}/papers/{paper_id}", "One paper.", auth="any"),
    Route(
        "PATCH",
        "/api/meetings/{meeting_id}/papers/{paper_id}",
        "Rename, move or change who may read a paper.",
        action="paper.update",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions",
        "Upload a new version (multipart: file).",
        status=201,
        upload=True,
    ),
    Route(
        "POST",
        "/api/verify",
        "Verify a signed PDF (multipart: file): each signature's signer, time, validity and later changes.",
        upload=True,
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/papers/{paper_id}/publish",
        "Publish a paper to its readers.",
        action="paper.publish",
    ),
    Route(
        "POST", "/api/meetings/{meeting_id}/papers/{paper_id}/withdraw", "Withdraw a paper.", action="paper.withdraw"
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/papers/{paper_id}/present",
        "Show a page to everyone following.",
        action="paper.present",
    ),
    Route("POST", "/api/meetings/{meeting_id}/presentation/stop", "Stop presenting.", action="paper.stop_presenting"),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/papers/{paper_id}/open",
        "Record that I opened a paper.",
        action="paper.open",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/pages/{page}",
        "A page image (WebP, ?w= width); restricted papers watermarked for the viewer.",
        auth="any",
        content_type="image/webp",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/thumbs/{page}",
        "A page thumbnail (WebP).",
        auth="any",
        content_type="image/webp",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/pages/{page}/signed",
        "A page image (WebP, ?w=) of an open paper from its signed link (?f=&e=&s=, from the paper's page_links).",
        auth="link",
        content_type="image/webp",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/thumbs/{page}/signed",
        "A page thumbnail (WebP) of an open paper from its signed link (?f=&e=&s=).",
        auth="link",
        content_type="image/webp",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/text",
        "The text layer: words with their boxes, per page.",
        auth="any",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/search",
        "Search a paper (?q=; diacritics-insensitive).",
        auth="any",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/file",
        "The original PDF (not for restricted papers).",
        content_type="application/pdf",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/export",
        "My annotated copy: the paper with my ink, highlights and notes as PDF annotations.",
        content_type="application/pdf",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/annotations",
        "My annotations and the shared layer (?version=).",
    ),
    Route(
        "PUT",
        "/api/meetings/{meeting_id}/annotations/{id}",
        "Save an annotation (client-made id).",
        action="annotation.save",
    ),
    Route("DELETE", "/api/meetings/{meeting_id}/annotations/{id}", "Delete my annotation.", action="annotation.delete"),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/comments",
        "Comments on a draft (all for the chair and secretary, my own for others).",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/papers/{paper_id}/comments",
        "Comment on a draft.",
        action="comment.add",
        status=201,
    ),
    Route(
        "PATCH",
        "/api/meetings/{meeting_id}/comments/{comment_id}",
        "Accept or answer a comment.",
        action="comment.update",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/papers/{paper_id}/comments/export",
        "The comments as PDF or CSV (?format=pdf|csv).",
        content_type="application/pdf",
    ),
    Route("GET", "/api/meetings/{meeting_id}/paper-receipts", "Who has opened which paper (organisers)."),
    # votes (biểu quyết) and proxies (ủy quyền): actions/votes.py
    Route(
        "GET",
        "/api/meetings/{meeting_id}/votes",
        "The meeting's votes, turnout and results, and its proxies.",
        auth="any",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/votes",
        "Prepare a vote on an agenda item.",
        action="vote.prepare",
        status=201,
    ),
    Route("PATCH", "/api/meetings/{meeting_id}/votes/{vote_id}", "Edit a draft vote.", action="vote.edit"),
    Route("POST", "/api/meetings/{meeting_id}/votes/{vote_id}/open", "Open the vote.", action="vote.open"),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/votes/{vote_id}/close",
        "Close the vote; the result goes to every screen.",
        action="vote.close",
    ),
    Route("POST", "/api/meetings/{meeting_id}/votes/{vote_id}/cancel", "Cancel the vote.", action="vote.cancel"),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/votes/{vote_id}/ballots",
        "Cast a ballot (for oneself or as a proxy).",
        action="vote.cast_ballot",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/votes/{vote_id}/hall-tally",
        "Enter a hall's show of hands.",
        action="vote.enter_hall_tally",
    ),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/votes/{vote_id}/result",
        "A closed vote's result sheet as PDF or CSV (?format=pdf|csv).",
        content_type="application/pdf",
    ),
    Route("POST", "/api/meetings/{meeting_id}/proxies", "Authorise a proxy.", action="proxy.authorise", status=201),
    Route(
        "POST", "/api/meetings/{meeting_id}/proxies/{proxy_id}/withdraw", "Withdraw a proxy.", action="proxy.withdraw"
    ),
    # the floor (đăng ký phát biểu): actions/floor.py
    Route(
        "POST",
        "/api/meetings/{meeting_id}/floor/requests",
        "Ask to speak on an agenda item.",
        action="floor.request",
        status=201,
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/floor/site-requests",
        "Ask to speak for a hall (its room PC or operator).",
        action="floor.request_site",
        auth="any",
        status=201,
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/floor/queue",
        "Put anyone in the queue (the chair's side).",
        action="floor.add",
        status=201,
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/floor/requests/{request_id}/withdraw",
        "Withdraw one's own request.",
        action="floor.withdraw",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/floor/site-requests/{request_id}/withdraw",
        "Withdraw a hall's request.",
        action="floor.withdraw_site",
        auth="any",
    ),
    Route(
        "DELETE",
        "/api/meetings/{meeting_id}/floor/requests/{request_id}",
        "Take any request off the queue (the chair's side).",
        action="floor.remove",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/floor/requests/{request_id}/give",
        "Give the floor: the speaker's site becomes the main site and is unmuted.",
        action="floor.give",
    ),
    Route("POST", "/api/meetings/{meeting_id}/floor/extend", "Give the speaker more minutes.", action="floor.extend"),
    Route("POST", "/api/meetings/{meeting_id}/floor/end", "End the speech.", action="floor.end"),
    Route("PUT", "/api/meetings/{meeting_id}/floor/minutes", "The minutes per speaker.", action="floor.set_minutes"),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/speeches",
        "Every speech and the speaking time per person, site and item (?format=json|csv).",
        auth="any",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/my-proxy",
        "Authorise another present member for the meeting or one vote (my own ủy quyền).",
        action="proxy.authorise_own",
        status=201,
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/my-proxy/{proxy_id}/withdraw",
        "Withdraw an authorisation I gave.",
        action="proxy.withdraw_own",
    ),
    # answers to the invitation (trả lời giấy mời): actions/answers.py
    Route("GET", "/api/meetings/{meeting_id}/answer", "My answer, whom I stand in for, my unit's colleagues."),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/answer",
        "Answer my invitation: attending (where), absent (why) or a stand-in.",
        action="invitation.answer",
    ),
    Route("GET", "/api/meetings/{meeting_id}/answers", "Every invitee's answer and the counts (organisers)."),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/answers",
        "Record an invitee's answer on their behalf (organisers).",
        action="invitation.answer_for",
    ),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/remind",
        "Remind the invitees without an answer, or the chosen ones.",
        action="invitation.remind",
    ),
    Route("GET", "/api/media/config", "ICE servers (STUN, short-lived TURN credentials) and media limits.", auth="any"),
    # invitations' mail and notices (actions/mail.py, api/mail.py)
    Route("GET", "/api/meetings/{meeting_id}/mail", "The invitations' mail status per invitee (organisers)."),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/mail/{mail_id}/resend",
        "Send a failed invitation mail again.",
        action="mail.resend",
    ),
    Route("GET", "/api/notices", "My in-app notices (invitations, changes, cancellations, reminders)."),
    Route("POST", "/api/notices/read", "Mark my notices read (ids, or all).", action="notice.read"),
    # the record (issue 11): biên bản and thông báo kết luận, their texts, lifecycle and the register
    # the archive (issue 12): archived meetings, their dossiers (api/archive.py, docs/archive.md)
    Route(
        "GET", "/api/archive", "Archived meetings I may see (?year=, ?unit_id=, ?kind=), with their dossiers' state."
    ),
    Route("GET", "/api/meetings/{meeting_id}/dossier", "An archived meeting's dossier: building, ready or failed."),
    Route(
        "GET",
        "/api/meetings/{meeting_id}/dossier.zip",
        "The archived meeting's signed dossier (hồ sơ cuộc họp) as a zip.",
        content_type="application/zip",
    ),
    Route("GET", "/api/meetings/{meeting_id}/record", "A meeting's record: its documents and the log's facts."),
    Route(
        "POST",
        "/api/meetings/{meeting_id}/record",
        "Create a draft biên bản or thông báo kết luận.",
        action="record.create",
        status=201,
    ),
    Route(
        "GET",
        "/api/signatures/awaiting",
        "The documents whose waiting signature slot is mine (Văn bản chờ bạn ký).",
    ),
    Route("GET", "/api/record/{document_id}", "One record document: status, number, texts, comments, slots."),
    Route(
        "PUT",
        "/api/record/{document_id}/texts/{part}/{field}",
        "Save one text from its base revision (X-Command-Id: the change id).",
        action="record.text.save",
    ),
    Route(
        "PUT",
        "/api/record/{document_id}/recipients",
        "Edit a draft's Nơi nhận (null: the defaults).",
        action="record.recipients.save",
    ),
    Route("POST", "/api/record/{document_id}/submit", "Send a draft to the chair.", action="record.submit"),
    Route("POST", "/api/record/{document_id}/return", "Return a document in review to draft.", action="record.return"),
    Route("POST", "/api/record/{document_id}/approve", "Approve: number it and freeze it.", action="record.approve"),
    Route("POST", "/api/record/{document_id}/correct", "Start a correction (a new version).", action="record.correct"),
    Route("POST", "/api/record/{document_id}/comments", "Comment on a part.", action="record.comment", status=201),
    Route(
        "GET",
        "/api/record/{document_id}/pdf",
        "The document as PDF (a draft: DỰ THẢO).",
        content_type="application/pdf",
    ),
    Route(
        "GET",
        "/api/record/{document_id}/docx",
        "The document as an editable .docx.",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    # the signing phase (docs/signing.md): one-time links for `meeting-sign`, a PKCS#12 file, the seal
    Route(
        "POST",
        "/api/record/{document_id}/sign-request",
        "The waiting slot's person asks for a one-time signing link (meeting-sign).",
        status=201,
    ),
    Route("GET", "/api/signing/{request_id}", "What a signing link signs (?t=token; the agent).", auth="none"),
    Route(
        "GET",
        "/api/signing/{request_id}/pdf",
        "The PDF a signing link signs (?t=token).",
        auth="none",
        content_type="application/pdf",
    ),
    Route(
        "POST",
        "/api/signing/{request_id}/prepare",
        "Send the certificate; get what the token signs (?t=token).",
        auth="none",
    ),
    Route(
        "POST",
        "/api/signing/{request_id}/finish",
        "Send the signature; it is embedded, verified and recorded (?t=token).",
        auth="none",
    ),
    Route(
        "POST",
        "/api/record/{document_id}/sign-pkcs12",
        "Sign the waiting slot with a PKCS#12 file (multipart file, password; never kept).",
    ),
    Route("POST", "/api/record/{document_id}/seal", "Apply the organisation's seal (Đóng dấu)."),
    # signature and seal images (docs/signing.md "Images"): the body of a PUT is the PNG or JPEG itself
    Route("GET", "/api/me/signature-image", "My signature image (PNG).", content_type="image/png"),
    Route("PUT", "/api/me/signature-image", "Set or replace my signature image (body: PNG or JPEG, 1 MB at most)."),
    Route("DELETE", "/api/me/signature-image", "Delete my signature image.", action="me.signature_image.delete"),
    Route("GET", "/api/units/{unit_id}/seal-image", "A unit's seal image (PNG; admins).", content_type="image/png"),
    Route("PUT", "/api/units/{unit_id}/seal-image", "Set or replace a unit's seal image (body: PNG or JPEG)."),
    Route("DELETE", "/api/units/{unit_id}/seal-image", "Delete a unit's seal image.", action="unit.seal_image.delete"),
    Route("GET", "/api/register", "The register of documents (sổ đăng ký văn bản)."),
    Route("GET", "/api/register.csv", "The register as CSV (UTF-8 with BOM).", content_type="text/csv"),
    # search (issue 12): everything the person may read (docs/search.md)
    Route("GET", "/api/search", "Search papers, agendas, the record and comments the person may read."),
)
