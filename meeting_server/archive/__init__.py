"""The archive (issue 12): an archived meeting's dossier (hồ sơ cuộc họp), built off the request path, signed with
the organisation's key, and checked years later without the server (docs/archive.md)."""
