"""PubMed/MEDLINE XML → typed records."""

from medbridge.corpus.models import DeletedCitation, Record

__all__ = ["Record", "DeletedCitation"]
