"""Search page, search JSON API and similar-articles JSON."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from medbridge.search import Filters, QuerySyntaxError, SearchOptions, search, similar_articles
from medbridge.web.deps import ServicesDep
from medbridge.web.i18n import strings_for
from medbridge.web.routes.translations import title_translations_for
from medbridge.web.templating import render

router = APIRouter()

# Strings of this page (the shared table in web/i18n.py holds the navigation's).
STRINGS: dict[str, dict[str, str]] = {
    "searched_for": {"zh": "实际检索式", "en": "Searched for"},
    "concepts": {"zh": "识别的概念", "en": "Concepts"},
    "results": {"zh": "共 {total} 条结果，显示第 {first}–{last} 条", "en": "{first}–{last} of {total} results"},
    "no_results": {"zh": "没有找到结果。试试更少或更宽泛的词。", "en": "No results. Try fewer or broader terms."},
    "sort_relevance": {"zh": "按相关性", "en": "Best match"},
    "sort_date": {"zh": "按日期", "en": "Most recent"},
    "sort_cited_by": {"zh": "按被引次数", "en": "Most cited"},
    "cited_by": {"zh": "被引 {n} 次", "en": "cited by {n}"},
    "year": {"zh": "年份", "en": "Year"},
    "pt": {"zh": "文献类型", "en": "Article type"},
    "journal": {"zh": "期刊", "en": "Journal"},
    "la": {"zh": "语种", "en": "Language"},
    "has_abstract": {"zh": "摘要", "en": "Abstract"},
    "with_abstract": {"zh": "有摘要", "en": "Has abstract"},
    "without_abstract": {"zh": "无摘要", "en": "No abstract"},
    "filters": {"zh": "筛选", "en": "Filters"},
    "clear_filters": {"zh": "清除筛选", "en": "Clear filters"},
    "previous": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "syntax_error": {"zh": "检索式有误", "en": "Query syntax error"},
    "apply": {"zh": "应用", "en": "Apply"},
    "similar": {"zh": "相似文献", "en": "Similar articles"},
    "shared_mesh": {"zh": "共同主题词", "en": "Shared MeSH"},
    "shared_refs": {"zh": "共同参考文献", "en": "shared references"},
}
FILTER_PARAMS = ("year_from", "year_to", "type", "journal", "language", "has_abstract")


def page_strings(request: Request):
    return strings_for(request, STRINGS)


def _options(
    *, limit: int, offset: int, sort: str, year_from: int | None, year_to: int | None,
    types: list[str], journals: list[str], languages: list[str], has_abstract: bool | None,
) -> SearchOptions:
    return SearchOptions(
        limit=limit,
        offset=offset,
        sort=sort,  # type: ignore[arg-type]  # validated by the engine
        filters=Filters(year_from, year_to, tuple(types), tuple(journals), tuple(languages), has_abstract),
    )


@router.get("/search")
def search_page(
    request: Request,
    services: ServicesDep,
    q: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    sort: str = "relevance",
    year_from: int | None = None,
    year_to: int | None = None,
    type: Annotated[list[str], Query()] = [],
    journal: Annotated[list[str], Query()] = [],
    language: Annotated[list[str], Query()] = [],
    has_abstract: bool | None = None,
):
    s = page_strings(request)
    context: dict = {"q": q, "sort": sort, "s": s, "result": None, "error": None, "year_from": year_from, "year_to": year_to}
    if q.strip():
        size = services.settings.search.page_size
        options = _options(limit=size, offset=(page - 1) * size, sort=sort, year_from=year_from, year_to=year_to,
                           types=type, journals=journal, languages=language, has_abstract=has_abstract)
        try:
            result = search(services.search_engine, q, options, title_translations=title_translations_for(request))
        except QuerySyntaxError as exc:
            context["error"] = exc
        else:
            params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "lang")]
            context.update(
                result=result,
                page=page,
                pages=max(1, math.ceil(result.total / size)),
                facet_url=lambda name, value: "/search?" + urlencode([*(p for p in params if p != (name, value)), (name, value)]),
                active=lambda name, value: (name, value) in params,
                year_url=lambda year: "/search?" + urlencode(
                    [p for p in params if p[0] not in ("year_from", "year_to")] + [("year_from", year), ("year_to", year)]
                ),
                page_url=lambda number: "/search?" + urlencode([*params, ("page", number)]),
                clear_url="/search?" + urlencode([(k, v) for k, v in params if k not in FILTER_PARAMS]),
                has_filters=any(k in FILTER_PARAMS for k, _ in params),
            )
    return render(request, "search/search.html", context, status_code=400 if context["error"] else 200)


@router.get("/api/search")
def search_api(
    request: Request,
    services: ServicesDep,
    q: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: str = "relevance",
    year_from: int | None = None,
    year_to: int | None = None,
    type: Annotated[list[str], Query()] = [],
    journal: Annotated[list[str], Query()] = [],
    language: Annotated[list[str], Query()] = [],
    has_abstract: bool | None = None,
):
    options = _options(limit=limit, offset=offset, sort=sort, year_from=year_from, year_to=year_to,
                       types=type, journals=journal, languages=language, has_abstract=has_abstract)
    try:
        return search(services.search_engine, q, options, title_translations=title_translations_for(request)).to_dict()
    except QuerySyntaxError as exc:
        return JSONResponse({"error": str(exc), "position": exc.position, "reason": exc.reason}, status_code=400)


@router.get("/api/records/{pmid}/similar")
def similar_api(pmid: int, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"pmid": pmid, "similar": [a.to_dict() for a in similar_articles(services.search_engine, pmid, limit)]}
