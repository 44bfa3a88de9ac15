"""PubMed/MEDLINE XML → typed records (models, pubmed parser) → store (ingest); citation export."""
