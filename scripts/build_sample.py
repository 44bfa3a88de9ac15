"""Build the sample corpus shipped in the product from the real Alzheimer efetch files in ../shared.

Keeps each PMID once (the last occurrence, as ingestion would) and writes the original
<PubmedArticle> elements unchanged into one PubmedArticleSet, gzip-compressed.
Usage: python scripts/build_sample.py [SOURCE_DIR] [OUT]
"""

import gzip
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data/pubmed/alzheimer"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "medbridge/corpus/data/sample_alzheimer.xml.gz"

articles: dict[str, bytes] = {}
for path in sorted(source.glob("*.xml.gz")):
    for _, elem in etree.iterparse(gzip.open(path), tag="PubmedArticle"):
        articles[elem.findtext("MedlineCitation/PMID")] = etree.tostring(elem, encoding="utf-8")
        elem.clear()

out.parent.mkdir(parents=True, exist_ok=True)
with gzip.open(out, "wb", compresslevel=9) as handle:
    handle.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
    for pmid in sorted(articles, key=int):
        handle.write(articles[pmid] + b"\n")
    handle.write(b"</PubmedArticleSet>\n")
print(f"{len(articles)} records -> {out} ({out.stat().st_size / 1e6:.1f} MB)")
