"""PubMed query syntax → a small typed tree.

Grammar (PubMed's, restricted to what the index can answer)::

    query   := or_expr
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= not_expr (["AND"] not_expr)*        # juxtaposition is an implicit AND
    not_expr:= atom ("NOT" atom)*                  # PubMed's NOT is binary: A NOT B = A AND NOT B
    atom    := "(" or_expr ")" | term
    term    := (WORD+ | "quoted phrase") ["[" tag "]"]

Untagged words are separate terms joined by AND; words followed by a tag form one term
(``alzheimer disease[mh]``), as PubMed reads them. Errors carry the 0-based position of the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from medbridge.errors import MedbridgeError

# Canonical tag → the spellings PubMed accepts for it.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "ti": ("ti", "title"),
    "ab": ("ab", "abstract"),
    "tiab": ("tiab", "title/abstract"),
    "au": ("au", "author", "auth"),
    "mh": ("mh", "mesh", "mesh terms", "mesh term", "mh:noexp"),
    "majr": ("majr", "mesh major topic", "majr:noexp"),
    "pt": ("pt", "publication type", "ptyp"),
    "dp": ("dp", "pdat", "publication date", "date - publication"),
    "la": ("la", "language", "lang"),
    "ta": ("ta", "journal", "jour"),
    "pmid": ("pmid", "uid", "pubmed id"),
    "all": ("all", "all fields"),
}
_TAG_LOOKUP = {alias: tag for tag, aliases in FIELD_ALIASES.items() for alias in aliases}
Field = Literal["ti", "ab", "tiab", "au", "mh", "majr", "pt", "dp", "la", "ta", "pmid", "all"]
MIN_TRUNCATION_STEM = 3  # shorter stems would expand to a large part of the vocabulary


class QuerySyntaxError(MedbridgeError):
    """A malformed PubMed-style query; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, query: str, position: int):
        self.query = query
        self.position = position
        self.reason = message
        super().__init__(f"query syntax error at position {position + 1}: {message}")

    def pointer(self) -> str:
        """Two lines: the query and a caret under the problem (for terminals and pages)."""
        return f"{self.query}\n{' ' * self.position}^"


@dataclass(frozen=True, slots=True)
class Term:
    text: str                   # words as typed, without quotes, tag or trailing '*'
    field: Field = "all"
    phrase: bool = False        # quoted: the words must be adjacent
    prefix: bool = False        # truncated: the last word is a prefix (neuro*)
    position: int = 0


@dataclass(frozen=True, slots=True)
class YearRange:
    start: int
    end: int
    position: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``include`` AND NOT ``exclude``."""

    include: "Node"
    exclude: "Node"


Node = Term | YearRange | And | Or | Not

# --- tokens -------------------------------------------------------------------------------------
TokenKind = Literal["word", "phrase", "tag", "lparen", "rparen", "and", "or", "not"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    text: str
    position: int


_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not"}
_WORD = re.compile(r'[^\s()\[\]"]+')
# Signals that the user typed PubMed syntax rather than a question: a field tag, an upper-case operator or
# truncation (a trailing '*'). Quotes and parentheses alone are not: questions carry them too ("Does (S)-ketamine …?").
_SYNTAX_HINT = re.compile(r'\[[A-Za-z][A-Za-z /:-]*\]|\b(?:AND|OR|NOT)\b|\w\*(?!\w)')  # CYP2D6*4 is an allele


def looks_like_pubmed_syntax(query: str) -> bool:
    return bool(_SYNTAX_HINT.search(query))


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("lparen", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError('this quote is never closed', query, i)
            text = query[i + 1 : end].strip()
            if not text:
                raise QuerySyntaxError("empty quoted phrase", query, i)
            tokens.append(_Token("phrase", text, i))
            i = end + 1
        elif ch == "[":
            end = query.find("]", i + 1)
            if end < 0:
                raise QuerySyntaxError("this field tag is never closed with ']'", query, i)
            tokens.append(_Token("tag", query[i + 1 : end].strip(), i))
            i = end + 1
        elif ch == "]":
            raise QuerySyntaxError("']' without a matching '['", query, i)
        else:
            match = _WORD.match(query, i)
            assert match is not None  # every other character starts a word
            word = match.group()
            tokens.append(_Token(_OPERATORS.get(word, "word"), word, i))  # type: ignore[arg-type]
            i = match.end()
    return tokens


# --- parser -------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _tokenize(query)
        self.i = 0

    def error(self, message: str, position: int | None = None) -> QuerySyntaxError:
        if position is None:
            position = self.tokens[self.i].position if self.i < len(self.tokens) else len(self.query)
        return QuerySyntaxError(message, self.query, position)

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("the query is empty", 0)
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            if token.kind == "rparen":
                raise self.error("')' without a matching '('")
            raise self.error(f"unexpected {token.text!r}")
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.i += 1
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while (token := self.peek()) is not None and token.kind in ("and", "word", "phrase", "lparen"):
            if token.kind == "and":
                self.i += 1
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else And(tuple(children))

    def not_expr(self) -> Node:
        node = self.atom()
        while (token := self.peek()) is not None and token.kind == "not":
            self.i += 1
            node = Not(node, self.atom())
        return node

    def atom(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.error("the query ends where a term was expected")
        if token.kind in ("and", "or", "not"):
            raise self.error(f"{token.text} needs a term on each side")
        if token.kind == "rparen":
            raise self.error("')' where a term was expected")
        if token.kind == "tag":
            raise self.error(f"field tag [{token.text}] must follow a term")
        if token.kind == "lparen":
            self.i += 1
            if (inner := self.peek()) is not None and inner.kind == "rparen":
                raise self.error("empty parentheses")
            node = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise self.error("this '(' is never closed", token.position)
            self.i += 1
            if (after := self.peek()) is not None and after.kind == "tag":
                raise self.error("a field tag applies to a term, not to a parenthesised group", after.position)
            return node
        return self.term()

    def term(self) -> Node:
        first = self.tokens[self.i]
        if first.kind == "phrase":
            self.i += 1
            words, phrase = first.text, True
        else:
            # Consecutive bare words: one term if a tag follows, else separate terms (implicit AND).
            j = self.i
            while j < len(self.tokens) and self.tokens[j].kind == "word":
                j += 1
            group_start = self._tagged_group_start(j) if j < len(self.tokens) and self.tokens[j].kind == "tag" else j
            if group_start == self.i:
                words = " ".join(t.text for t in self.tokens[self.i : j])
                self.i = j
            else:
                words = first.text
                self.i += 1
            phrase = False
        field: Field = "all"
        if (tag := self.peek()) is not None and tag.kind == "tag":
            self.i += 1
            canonical = _TAG_LOOKUP.get(tag.text.lower())
            if canonical is None:
                known = ", ".join(f"[{t}]" for t in FIELD_ALIASES)
                raise self.error(f"unknown field tag [{tag.text}] (known: {known})", tag.position)
            field = canonical  # type: ignore[assignment]
        if field == "dp":
            return self.year_range(words, first.position)
        return self.make_term(words, field, phrase, first.position)

    def _tagged_group_start(self, tag_index: int) -> int:
        """First word the tag at ``tag_index`` applies to: a date tag takes one word, and a truncated
        word ends a term, so ``neuro* 2015:2020[dp]`` and ``tau* csf[tiab]`` stay two terms."""
        if _TAG_LOOKUP.get(self.tokens[tag_index].text.lower()) == "dp":
            return tag_index - 1
        start = tag_index - 1
        while start > self.i and not self.tokens[start - 1].text.endswith("*"):
            start -= 1
        return start

    def make_term(self, words: str, field: Field, phrase: bool, position: int) -> Term:
        prefix = words.endswith("*")
        stem = words.rstrip("*")
        if "*" in stem:
            raise self.error("'*' truncation is only allowed at the end of a term", position + words.index("*") + (1 if phrase else 0))
        if prefix and len(stem.split()[-1] if stem.split() else "") < MIN_TRUNCATION_STEM:
            raise self.error(f"truncation needs at least {MIN_TRUNCATION_STEM} characters before '*'", position)
        if field == "pmid" and not stem.isdigit():
            raise self.error(f"[pmid] needs a number, got {stem!r}", position)
        return Term(stem, field, phrase, prefix, position)

    def year_range(self, words: str, position: int) -> YearRange:
        match = re.fullmatch(r"(\d{4})(?:/\d{1,2}(?:/\d{1,2})?)?(?::(\d{4})(?:/\d{1,2}(?:/\d{1,2})?)?)?", words)
        if match is None:
            raise self.error(f"[dp] needs a year or a range like 2015:2020, got {words!r}", position)
        start = int(match.group(1))
        end = int(match.group(2) or start)
        if start > end:
            raise self.error(f"date range {start}:{end} ends before it starts", position)
        return YearRange(start, end, position)


def parse_pubmed(query: str) -> Node:
    """Parse PubMed syntax; raise QuerySyntaxError naming the position of the first problem."""
    return _Parser(query).parse()


def to_pubmed(node: Node) -> str:
    """The canonical PubMed-style string for a tree ("searched for: …")."""
    if isinstance(node, Term):
        text = node.text + ("*" if node.prefix else "")
        if node.phrase or (" " in node.text and node.field in ("all", "ti", "ab", "tiab")):
            text = f'"{text}"'
        return text if node.field == "all" else f"{text}[{node.field}]"
    if isinstance(node, YearRange):
        return f"{node.start}[dp]" if node.start == node.end else f"{node.start}:{node.end}[dp]"
    if isinstance(node, Not):
        return f"{_grouped(node.include)} NOT {_grouped(node.exclude)}"
    op = " AND " if isinstance(node, And) else " OR "
    return op.join(_grouped(c) for c in node.children)


def _grouped(node: Node) -> str:
    return f"({to_pubmed(node)})" if isinstance(node, (And, Or, Not)) else to_pubmed(node)


def iter_terms(node: Node):
    """Every Term in the tree (highlighting, interpretation display); excluded branches left out."""
    if isinstance(node, Term):
        yield node
    elif isinstance(node, Not):
        yield from iter_terms(node.include)
    elif isinstance(node, (And, Or)):
        for child in node.children:
            yield from iter_terms(child)
