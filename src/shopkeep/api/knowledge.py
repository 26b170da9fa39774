"""`GET /api/knowledge/search`: the shop's own answers (its policy settings and the passages of
the merchant's documents and FAQ) for other agents and the merchant's own pages. Read-only and
public, like the catalog: the knowledge base holds nothing about any customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from shopkeep.mcp.schemas import KnowledgeResults
from shopkeep.store import Store

router = APIRouter(prefix="/api", tags=["knowledge"])


@router.get(
    "/knowledge/search",
    response_model=KnowledgeResults,
    summary="Search the shop's policies and FAQ",
)
def search_knowledge(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500, description="the question")],
    lang: Annotated[
        str | None,
        Query(pattern="^[a-z]{2}$", description="prefer passages in this language (en, zh, ko)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> KnowledgeResults:
    """The store's policy (what it enforces) and the passages that best answer `q`, best first;
    no passages when nothing in the shop's documents answers it."""
    store: Store = request.app.state.store
    return KnowledgeResults(
        policy=store.ctx.policy, passages=store.knowledge.search(q, lang=lang, limit=limit)
    )
