"""The web pages: the shopper's chat at /, the staff console at /console and the analytics at
/analytics; plain HTML, CSS and JavaScript files served as they are (no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).parent / "web"

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    # The pages change with the code; a browser must not keep an old one.
    return FileResponse(WEB / name, headers={"Cache-Control": "no-cache"})


@router.get("/")
def chat_page() -> FileResponse:
    return _page("chat.html")


@router.get("/console")
def console_page() -> FileResponse:
    return _page("console.html")


@router.get("/analytics")
def analytics_page() -> FileResponse:
    return _page("analytics.html")


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=WEB), name="static")
