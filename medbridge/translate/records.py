"""Which texts of a PubMed record get translated, in one place, so the corpus job and the article page
produce and look up the same cache entries."""

from __future__ import annotations

import html

from medbridge.corpus.models import Record


def record_texts(record: Record, abstracts: bool = True) -> list[str]:
    """The title and (with ``abstracts``) each abstract section, as safe HTML fragments with inline markup;
    translate them with ``markup=True``."""
    texts = []
    if record.title_markup or record.title:
        texts.append(record.title_markup or html.escape(record.title, quote=False))
    if abstracts:
        texts.extend(s.markup or html.escape(s.text, quote=False) for s in record.abstract)
    return texts
