"""medbridge — a bilingual (Chinese/English) biomedical literature workbench."""

__version__ = "0.1.0"
