"""Medical terminology: the reviewed zh↔en glossary, MeSH 2024 and a CC-CEDICT fallback.

    from medbridge.terms import Terminology
    t = Terminology.from_files()          # Services.terminology builds it once and passes it on
    t.lookup_zh("阿茲海默症")[0].en      # "Alzheimer disease"
"""

from medbridge.terms.base import GlossaryEntry, MeshDescriptor
from medbridge.terms.glossary import GlossaryFormatError, load_user_glossary
from medbridge.terms.terminology import Terminology

__all__ = [
    "GlossaryEntry",
    "GlossaryFormatError",
    "MeshDescriptor",
    "Terminology",
    "load_user_glossary",
]
