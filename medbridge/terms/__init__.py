"""Medical terminology: the reviewed zh↔en glossary, MeSH 2024 and a CC-CEDICT fallback.

    from medbridge.terms import get_terminology
    t = get_terminology()
    t.lookup_zh("阿茲海默症")[0].en      # "Alzheimer disease"
"""

from medbridge.terms.base import GlossaryEntry, MeshDescriptor
from medbridge.terms.glossary import GlossaryFormatError, load_user_glossary
from medbridge.terms.terminology import Terminology, get_terminology

__all__ = [
    "GlossaryEntry",
    "GlossaryFormatError",
    "MeshDescriptor",
    "Terminology",
    "get_terminology",
    "load_user_glossary",
]
