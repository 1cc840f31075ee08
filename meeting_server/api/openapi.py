"""OpenAPI 3.1 generated from the route table and the actions' schemas."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .. import __version__
from ..actions import REGISTRY
from .routes import ROUTES

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": (route.action or f"{route.method.lower()}{route.path}").replace("/", "_"),
            "responses": {
                str(route.status): {"description": "OK", "content": {route.content_type: {"schema": {}}}},
                "default": {
                    "description": "Error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        params = re.findall(r"{(\w+)}", route.path)
        if params:
            operation["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in params
            ]
        if route.action:
            schema = REGISTRY[route.action].schema.model_json_schema()
            for name in params:
                schema.get("properties", {}).pop(name, None)
                if name in schema.get("required", []):
                    schema["required"].remove(name)
            operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
            operation["x-action"] = route.action
        if route.auth not in ("none", "link"):
            operation["security"] = [{"session": []}] + ([{"deviceToken": []}] if route.auth == "any" else [])
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Meeting server",
            "version": __version__,
            "description": "Hệ thống họp trực tuyến và phòng họp không giấy. See docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "ms_session"},
                "deviceToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }
