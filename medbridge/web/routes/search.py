"""Search page, search JSON API and similar-articles JSON.

The page's form values arrive as text and are read here: an empty box is no filter, a value that cannot be
a year or a sort order is ignored with a note on the page (never a raw 422), and every link and form on the
page carries all active filters, so changing the sort or the years keeps the facets clicked before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from medbridge.search import Filters, QuerySyntaxError, SearchOptions, search, similar_articles
from medbridge.search.engine import fetch_command
from medbridge.web.deps import ServicesDep
from medbridge.i18n import few_results_notice, is_genre_type, syntax_error_text
from medbridge.web.i18n import strings_for, ui_lang
from medbridge.web.routes.translations import title_translations_for
from medbridge.web.templating import render

router = APIRouter()

FILTER_PARAMS = ("year_from", "year_to", "type", "journal", "language", "has_abstract")
SORTS = ("relevance", "date", "cited_by")
BOOLEAN = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def page_strings(request: Request):
    return strings_for(request, "search")


@dataclass(slots=True)
class SearchForm:
    """What a request asked for, read leniently: ``ignored`` lists (key, values) of each value dropped."""

    options: SearchOptions
    ignored: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def read_form(
    *, limit: int, offset: int, sort: str, year_from: str, year_to: str,
    types: list[str], journals: list[str], languages: list[str], has_abstract: str,
) -> SearchForm:
    ignored: list[tuple[str, dict[str, str]]] = []

    def year(name: str, value: str) -> int | None:
        value = value.strip()
        if not value:
            return None
        if value.isdigit() and 1000 <= int(value) <= 9999:
            return int(value)
        ignored.append(("ignored_year", {"value": value}))
        return None

    start, end = year("year_from", year_from), year("year_to", year_to)
    if start is not None and end is not None and start > end:
        start, end = end, start
        ignored.append(("swapped_years", {"start": str(start), "end": str(end)}))
    if sort not in SORTS:
        if sort.strip():
            ignored.append(("ignored_value", {"name": "sort", "value": sort}))
        sort = "relevance"
    abstract = BOOLEAN.get(has_abstract.strip().lower()) if has_abstract.strip() else None
    if has_abstract.strip() and abstract is None:
        ignored.append(("ignored_value", {"name": "has_abstract", "value": has_abstract}))
    clean = lambda values: tuple(v.strip() for v in values if v.strip())  # noqa: E731
    filters = Filters(start, end, clean(types), clean(journals), clean(languages), abstract)
    return SearchForm(SearchOptions(limit=limit, offset=offset, sort=sort, filters=filters), ignored)  # type: ignore[arg-type]


def _page_number(raw: str) -> int:
    return int(raw) if raw.strip().isdigit() and int(raw) >= 1 else 1


def publication_type_facets(buckets: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Study types first (by count); genre types (Journal Article, the Research Support family) apart."""
    return [b for b in buckets if not is_genre_type(b[0])], [b for b in buckets if is_genre_type(b[0])]


@router.get("/search")
def search_page(
    request: Request,
    services: ServicesDep,
    q: str = "",
    page: str = "1",
    sort: str = "relevance",
    year_from: str = "",
    year_to: str = "",
    type: Annotated[list[str], Query()] = [],
    journal: Annotated[list[str], Query()] = [],
    language: Annotated[list[str], Query()] = [],
    has_abstract: str = "",
):
    s = page_strings(request)
    lang = ui_lang(request)
    number = _page_number(page)
    size = services.settings.search.page_size
    form = read_form(limit=size, offset=(number - 1) * size, sort=sort, year_from=year_from, year_to=year_to,
                     types=type, journals=journal, languages=language, has_abstract=has_abstract)
    filters = form.options.filters
    # Every value the page keeps across its links and forms (empty and ignored ones dropped).
    params = [("q", q)] if q else []
    params += [("type", v) for v in filters.publication_types] + [("journal", v) for v in filters.journals]
    params += [("language", v) for v in filters.languages]
    if filters.has_abstract is not None:
        params.append(("has_abstract", "true" if filters.has_abstract else "false"))
    years = [(k, v) for k, v in (("year_from", filters.year_from), ("year_to", filters.year_to)) if v is not None]
    sorted_by = [("sort", form.options.sort)] if form.options.sort != "relevance" else []
    context: dict = {
        "q": q, "sort": form.options.sort, "s": s, "result": None, "error": None,
        "year_from": filters.year_from, "year_to": filters.year_to,
        "notes": [s(key, **{k: s(v) if k == "name" else v for k, v in values.items()}) for key, values in form.ignored],
        "kept": [p for p in params if p[0] != "q"],
        "fetch_for": fetch_command,
    }
    if q.strip():
        try:
            result = search(services.search_engine, q, form.options, title_translations=title_translations_for(request))
        except QuerySyntaxError as exc:
            context["error"] = exc
            context["error_text"] = syntax_error_text(lang, exc)
        else:
            current = params + years + sorted_by
            main_types, genre_types = publication_type_facets(result.facets.get("pt", []))
            context.update(
                result=result,
                page=number,
                pages=max(1, math.ceil(result.total / size)),
                notice=few_results_notice(s, result),
                main_types=main_types,
                genre_types=genre_types,
                facet_url=lambda name, value: "/search?" + urlencode([*(p for p in current if p != (name, value)), (name, value)]),
                active=lambda name, value: (name, value) in current,
                year_url=lambda year: "/search?" + urlencode(
                    [p for p in current if p[0] not in ("year_from", "year_to")] + [("year_from", year), ("year_to", year)]
                ),
                page_url=lambda n: "/search?" + urlencode([*current, ("page", n)]),
                clear_url="/search?" + urlencode([(k, v) for k, v in current if k not in FILTER_PARAMS]),
                has_filters=any(k in FILTER_PARAMS for k, _ in current),
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
    year_from: str = "",
    year_to: str = "",
    type: Annotated[list[str], Query()] = [],
    journal: Annotated[list[str], Query()] = [],
    language: Annotated[list[str], Query()] = [],
    has_abstract: str = "",
):
    """Empty values are no filter; a value that cannot be read is a 400 naming it (not silently dropped)."""
    form = read_form(limit=limit, offset=offset, sort=sort, year_from=year_from, year_to=year_to,
                     types=type, journals=journal, languages=language, has_abstract=has_abstract)
    invalid = [values for key, values in form.ignored if key != "swapped_years"]
    if invalid:
        return JSONResponse({"error": "invalid search parameters", "invalid": invalid}, status_code=400)
    try:
        return search(services.search_engine, q, form.options, title_translations=title_translations_for(request)).to_dict()
    except QuerySyntaxError as exc:
        return JSONResponse({"error": str(exc), "position": exc.position, "reason": exc.reason}, status_code=400)


@router.get("/api/records/{pmid}/similar")
def similar_api(pmid: int, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"pmid": pmid, "similar": [a.to_dict() for a in similar_articles(services.search_engine, pmid, limit)]}
