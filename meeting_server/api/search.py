"""REST for the search across everything a person may read: `GET /api/search` (docs/search.md, docs/api.md)."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from ..auth import Identity
from ..errors import AppError
from ..inputs import whole_number
from ..search.indexer import Indexer
from ..views import search as search_views
from ..vocabulary import SEARCH_KINDS, SEARCH_QUERY_MAX
from .common import SERVICES, json_response
from .reads import _need, view

INDEXER = web.AppKey("search_indexer", Indexer)


def _day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise AppError(
            "invalid_input", detail=f"{name} phải là ngày YYYY-MM-DD", detail_en=f"{name} must be a YYYY-MM-DD date"
        ) from None


def filters_of(request: web.Request) -> tuple[str, search_views.Filters, int]:
    query = request.query.get("q", "").strip()
    if not query or len(query) > SEARCH_QUERY_MAX or not search_views.has_words(query):
        raise AppError(
            "invalid_input",
            detail=f"từ khóa tìm kiếm cần 1-{SEARCH_QUERY_MAX} ký tự, có chữ hoặc số",
            detail_en=f"the search text needs 1-{SEARCH_QUERY_MAX} characters, with letters or digits",
        )
    kinds = tuple(k for k in request.query.get("kind", "").split(",") if k)
    unknown = [k for k in kinds if k not in SEARCH_KINDS]
    if unknown:
        raise AppError(
            "invalid_input",
            detail=f"loại không có: {', '.join(unknown)} (có: {', '.join(SEARCH_KINDS)})",
            detail_en=f"no such kind: {', '.join(unknown)} (kinds: {', '.join(SEARCH_KINDS)})",
        )
    since, until = _day(request.query.get("from"), "from"), _day(request.query.get("to"), "to")
    if since and until and until < since:
        raise AppError("invalid_input", detail="'to' trước 'from'", detail_en="'to' is before 'from'")
    page = whole_number(request.query.get("page"), "page", 1)
    if page < 1 or page > 500:
        raise AppError("invalid_input", detail="page từ 1 đến 500", detail_en="page is 1 to 500")
    filters = search_views.filters(
        kinds, request.query.get("meeting") or None, request.query.get("unit") or None, since, until
    )
    return query, filters, page


@view("GET", "/api/search")
async def search(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Hits across papers (every version's pages), agendas, the record and comments, only what the person may
    read, best first, 20 a page: `{query, total, more, page, page_size, hits: [...]}` (`more`: past the count's cap)."""
    actor = _need(identity).actor
    query, filters, page = filters_of(request)
    found = await search_views.search(request.app[SERVICES], actor, query, filters, page)
    return json_response(
        {
            "query": query,
            "total": found.total,
            "more": found.more,
            "page": page,
            "page_size": search_views.PAGE_SIZE,
            "hits": found.hits,
        }
    )
