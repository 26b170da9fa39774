"""The merchant's knowledge base: their own documents and FAQ entries, in any of their languages,
kept in the shop's database and searched with that database's own full-text engine (SQLite's
FTS5, PostgreSQL's full-text search), so no search server runs beside the shop.

Files: Markdown or plain text (`shipping.en.md`: the language from the name, else from the
text; the first `# ` line is the title; each `## ` section is one passage) and FAQ files in YAML
(`faq.zh.yaml`: a list of `question` / `answer` entries, each one passage). What the index holds
is the same on both databases: English words stemmed (Snowball), Chinese and Korean as character
bigrams, the usual way to search text written without spaces between words.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import snowballstemmer
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from shopkeep.store.context import StoreContext
from shopkeep.store.db import FULL_TEXT_INDEX
from shopkeep.store.errors import ImportFailed
from shopkeep.store.models import KnowledgeDocument, KnowledgePassage
from shopkeep.store.views import View

KnowledgeKind = Literal["document", "faq"]

KINDS: dict[str, KnowledgeKind] = {
    ".md": "document",
    ".markdown": "document",
    ".txt": "document",
    ".yaml": "faq",
    ".yml": "faq",
}
MAX_FILE_BYTES = 2_000_000
"""A help page or FAQ is kilobytes; a file larger than this is not one."""
MAX_PASSAGE_CHARS = 1_200
"""A section longer than this is split at paragraphs, so a passage shown alone stays readable."""
CANDIDATES = 200
"""Passages the database's index hands over for ranking, best first by its own ranking."""


# --- reading files --------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    source: str
    kind: KnowledgeKind
    title: str
    lang: str
    digest: str
    sections: tuple[Section, ...]


def read_file(path: Path, source: str | None = None) -> ParsedDocument:
    """One file read and checked. Raises `ImportFailed` naming the file (and line or entry)."""
    name = source or path.name
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(KINDS))
        raise ImportFailed(name, "(file)", f"is not a knowledge file (expected one of {known})")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportFailed(name, "(file)", f"cannot be read: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ImportFailed(
            name, "(file)", f"is {size:,} bytes; a knowledge file may be {MAX_FILE_BYTES:,} at most"
        )
    data = path.read_bytes()
    return parse(name, kind, data)


def parse(source: str, kind: KnowledgeKind, data: bytes) -> ParsedDocument:
    if b"\x00" in data:
        raise ImportFailed(source, "(file)", "is binary, not text")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(
            source,
            "(file)",
            f"is not UTF-8 text (byte {error.start}); save it as UTF-8 and import it again",
        ) from None
    if not content.strip():
        raise ImportFailed(source, "(file)", "is empty")
    digest = hashlib.sha256(data).hexdigest()
    named = _language_in_name(source)
    if kind == "faq":
        sections = _faq_entries(source, content)
        title = "FAQ"
    else:
        title, sections = _markdown_sections(source, content)
    lang = named or detect_language(" ".join(s.heading + " " + s.text for s in sections))
    return ParsedDocument(source, kind, title, lang, digest, tuple(sections))


_LANG_IN_NAME = re.compile(r"\.([a-z]{2}(?:-[A-Za-z]{2,4})?)\.[a-z]+$")


def _language_in_name(source: str) -> str | None:
    match = _LANG_IN_NAME.search(Path(source).name)
    return match.group(1).split("-")[0] if match else None


def detect_language(content: str) -> str:
    """en, zh or ko by the script most of the letters are in."""
    hangul = len(re.findall(r"[\uac00-\ud7a3]", content))
    han = len(re.findall(r"[\u4e00-\u9fff]", content))
    if hangul and hangul >= han:
        return "ko"
    return "zh" if han else "en"


def _markdown_sections(source: str, content: str) -> tuple[str, list[Section]]:
    title = ""
    heading = ""
    sections: list[Section] = []
    lines: list[str] = []

    def close() -> None:
        body = _plain("\n".join(lines))
        for part in _split_long(body):
            sections.append(Section(heading or title, part))
        lines.clear()

    for line in content.splitlines():
        if re.match(r"^#\s+\S", line) and not title:
            title = _plain(line.lstrip("#").strip())
            continue
        if re.match(r"^#{2,6}\s+\S", line):
            close()
            heading = _plain(line.lstrip("#").strip())
            continue
        lines.append(line)
    close()
    title = title or Path(source).name.split(".")[0].replace("-", " ").replace("_", " ").title()
    if not sections:
        raise ImportFailed(source, "(file)", "has a title but no text")
    return title[:255], sections


def _faq_entries(source: str, content: str) -> list[Section]:
    try:
        loaded = yaml.safe_load(content)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(error, "problem", None) or "is not valid YAML"
        raise ImportFailed(source, where, f"is not valid YAML: {problem}") from None
    if isinstance(loaded, dict) and "entries" in loaded:
        loaded = loaded["entries"]
    if not isinstance(loaded, list) or not loaded:
        raise ImportFailed(source, "(file)", "must be a list of question / answer entries")
    sections = []
    for number, entry in enumerate(loaded, start=1):
        if not isinstance(entry, dict):
            raise ImportFailed(source, f"entry {number}", "is not a question / answer entry")
        for key in ("question", "answer"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ImportFailed(source, f"entry {number}.{key}", "is missing or empty")
        sections.append(Section(_plain(entry["question"])[:255], _plain(entry["answer"])))
    return sections


def _plain(markdown: str) -> str:
    """Markdown as the text a customer reads: no emphasis marks, links as their text."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"<[^>]{1,200}>", "", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _split_long(body: str) -> list[str]:
    if not body:
        return []
    if len(body) <= MAX_PASSAGE_CHARS:
        return [body]
    parts: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        if parts and len(parts[-1]) + len(paragraph) + 2 <= MAX_PASSAGE_CHARS:
            parts[-1] += "\n\n" + paragraph
        else:
            parts.append(paragraph)
    return parts


# --- terms: what the index holds, the same on every database ----------------------------------


@dataclass(frozen=True)
class _Words:
    english: frozenset[str]
    chinese_function: frozenset[str]
    korean_function: frozenset[str]
    chinese_stop: frozenset[str]
    meta: frozenset[str]
    payment_kinds: dict[str, tuple[str, ...]]
    synonyms: tuple[tuple[re.Pattern[str], str], ...]


@lru_cache(maxsize=1)
def _words() -> _Words:
    listed = resources.files("shopkeep.store").joinpath("knowledge_words.yaml").read_text()
    data = yaml.safe_load(listed)
    return _Words(
        english=frozenset(data["english"].split()),
        chinese_function=frozenset("".join(data["chinese_function_characters"])),
        korean_function=frozenset(str(w) for w in data["korean_function_words"]),
        chinese_stop=frozenset(data["chinese_stop_words"].split()),
        meta=frozenset(data["meta_terms"]),
        payment_kinds={
            kind: tuple(w.casefold() for w in names)
            for kind, names in data["payment_kinds"].items()
        },
        synonyms=tuple(
            (re.compile(rf"(?<!\w){re.escape(name)}(?!\w)"), meant)
            for name, meant in data["synonyms"].items()
        ),
    )


_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[a-z0-9]+|[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+|[\uac00-\ud7a3]+")
_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def terms(content: str) -> list[str]:
    """The words of `content` as the index sees them: Latin words lower-cased and stemmed (the
    common ones left out); Korean words as their syllable bigrams; Chinese and Japanese runs as
    their bigrams and their characters (a one-character word such as 退 is findable)."""
    normal = unicodedata.normalize("NFKC", content).casefold()
    out: list[str] = []
    stop = _words().english
    for run in _WORD.findall(normal):
        if _HANGUL.match(run):
            out.extend(_bigrams(run))
        elif _HAN.match(run):
            out.extend(_bigrams(run) if len(run) > 1 else [])
            out.extend(run)
        elif run not in stop and (len(run) > 1 or run.isdigit()):
            out.append(_STEMMER.stemWord(run))
    return out


Unit = tuple[str, ...]
"""One word of a question as index terms, all of which a passage must hold to cover it: an
English word's stem, a Korean word's first syllable bigram, a Chinese word's bigrams."""


def question_units(question: str) -> list[Unit]:
    """What a question is about, word by word, each once: its content words (English stemmed);
    the stem of each Korean word (its first two syllables: particles and endings follow it); and
    its Chinese words as jieba segments them, grammar words (的, 吗, 可以...) left out, so that
    two characters across a word boundary ("机有" in 耳机有保修吗) are never looked up."""
    words = _words()
    for name, meant in words.synonyms:
        question = name.sub(meant, question)
    normal = unicodedata.normalize("NFKC", question).casefold()
    out: list[Unit] = []
    for found in _WORD.finditer(normal):
        run = found.group()
        if _HANGUL.match(run):
            before = normal[found.start() - 1] if found.start() else " "
            if before.isascii() and before.isalnum() and len(run) <= 2:
                continue  # "weekend에도": the particle of an English word
            if len(run) > 1 and not {run, run[:2]} & words.korean_function:
                out.append((run[:2],))
        elif _HAN.match(run):
            for word in _segment(run):
                if word in words.chinese_stop or (
                    len(word) == 1 and word in words.chinese_function
                ):
                    continue
                out.append(tuple(_bigrams(word)) if len(word) > 1 else (word,))
        elif run not in words.english and (len(run) > 1 or run.isdigit()):
            out.append((_STEMMER.stemWord(run),))
    return [u for u in dict.fromkeys(out) if not set(u) & words.meta]


def _spelled(unit: Unit) -> str:
    """The word a unit stands for: its bigrams joined back ("耳机", "保修"), or its one term."""
    return unit[0] + "".join(term[-1] for term in unit[1:])


def _segment(run: str) -> list[str]:
    import jieba

    return [w for w in jieba.cut(run) if w.strip()]


def warm_up() -> None:
    """Load the Chinese segmenter's dictionary (about a second) before a customer waits on it."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


# --- what the store hands out -------------------------------------------------------------------


class KnowledgeDocumentView(View):
    source: str
    kind: KnowledgeKind
    title: str
    lang: str
    passages: int


class KnowledgeHit(View):
    """A passage found for a question, with how much of the question it covers (0–1, each word
    weighed by how rare it is in the knowledge base)."""

    source: str
    title: str
    heading: str
    text: str
    lang: str
    score: float
    matched: list[str]
    contradicts_policy: bool = False
    """The passage states a rule the store's policy sets otherwise (another return window): the
    policy is what the store enforces, so the passage is not to be given as the answer."""


class ImportReport(View):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    warnings: list[str]


@dataclass(frozen=True)
class _Candidate:
    passage: KnowledgePassage
    document: KnowledgeDocument
    counts: Counter[str]


class Knowledge:
    """The knowledge base of the shop: import, list, search."""

    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    # --- import ---

    def replace(
        self, documents: Sequence[ParsedDocument], *, dry_run: bool = False
    ) -> ImportReport:
        """Make the knowledge base hold exactly `documents`: new ones added, changed ones
        replaced, unchanged ones kept, the rest removed; all in one transaction. With `dry_run`,
        only says what would happen."""
        sources = [d.source for d in documents]
        repeated = sorted({s for s in sources if sources.count(s) > 1})
        if repeated:
            raise ImportFailed(repeated[0], "(file)", "is given twice")
        warnings = [w for d in documents for w in self.conflicts(d)]
        with self.ctx.db.transaction() as session:
            existing = {d.source: d for d in session.scalars(select(KnowledgeDocument))}
            added = [d.source for d in documents if d.source not in existing]
            updated = [
                d.source
                for d in documents
                if d.source in existing and existing[d.source].digest != d.digest
            ]
            unchanged = [
                d.source
                for d in documents
                if d.source in existing and existing[d.source].digest == d.digest
            ]
            removed = sorted(set(existing) - set(sources))
            report = ImportReport(
                added=added,
                updated=updated,
                unchanged=unchanged,
                removed=removed,
                warnings=warnings,
            )
            if dry_run:
                return report
            for source in [*removed, *updated]:
                self._unindex(session, existing[source])
                session.delete(existing[source])
            session.flush()
            now = self.ctx.clock()
            for parsed in documents:
                if parsed.source in unchanged:
                    continue
                row = KnowledgeDocument(
                    source=parsed.source,
                    kind=parsed.kind,
                    title=parsed.title,
                    lang=parsed.lang,
                    digest=parsed.digest,
                    imported_at=now,
                )
                row.passages = [
                    KnowledgePassage(
                        position=i,
                        heading=s.heading,
                        text=s.text,
                        # the heading twice: a passage whose heading names the question is
                        # more about it than one that mentions it in passing
                        terms=" ".join(
                            terms(f"{parsed.title}\n{s.heading}\n{s.heading}\n{s.text}")
                        ),
                    )
                    for i, s in enumerate(parsed.sections)
                ]
                session.add(row)
                session.flush()
                self._index(session, row.passages)
        return report

    def conflicts(self, document: ParsedDocument) -> list[str]:
        """Where a document states a rule the store's policy sets otherwise (the policy is what
        the assistant says, and what the store enforces)."""
        days = self.ctx.policy.return_window_days
        out = []
        for section in document.sections:
            for said in self._other_windows(f"{section.heading}\n{section.text}"):
                rule = "no limit" if days is None else f"{days} days"
                out.append(
                    f"{document.source} § {section.heading}: says returns within {said} "
                    f"days; the store's policy is {rule} (the policy is what the assistant "
                    "says and the store enforces)"
                )
        return out

    def contradicts_policy(self, content: str) -> bool:
        """Whether a passage states a rule the policy sets otherwise: another return window, a
        kind of payment the store does not take, a shipping amount it does not charge."""
        policy = self.ctx.policy
        if self._other_windows(content):
            return True
        folded = content.casefold()
        words = _words().payment_kinds
        refused = [k for k in words if k not in policy.payment_kinds]
        if any(w in folded for k in refused for w in words[k]):
            return True
        if _SHIPPING_WORDS.search(content):
            charged = {
                policy.shipping_fee_minor,
                policy.free_shipping_threshold_minor,
                policy.local_delivery_fee_minor,
            }
            amounts = (round(float(a.replace(",", "")) * 100) for a in _AMOUNT.findall(content))
            return any(amount not in charged for amount in amounts)
        return False

    def _other_windows(self, content: str) -> list[int]:
        """The return windows `content` states that are not the policy's."""
        days = self.ctx.policy.return_window_days
        return [said for said in _return_windows(content) if days is None or said != days]

    def _index(self, session: Session, passages: Iterable[KnowledgePassage]) -> None:
        rows = [{"id": p.id, "terms": p.terms} for p in passages]
        if not rows:
            return
        value = ":terms" if _sqlite(session) else "to_tsvector('simple', :terms)"
        session.execute(
            text(f"INSERT INTO {FULL_TEXT_INDEX} (rowid, terms) VALUES (:id, {value})"), rows
        )

    def _unindex(self, session: Session, document: KnowledgeDocument) -> None:
        ids = [{"id": p.id} for p in document.passages]
        if ids:
            session.execute(text(f"DELETE FROM {FULL_TEXT_INDEX} WHERE rowid = :id"), ids)

    # --- reading ---

    def documents(self) -> list[KnowledgeDocumentView]:
        with self.ctx.db.reading() as session:
            rows = session.scalars(select(KnowledgeDocument).order_by(KnowledgeDocument.source))
            return [
                KnowledgeDocumentView(
                    source=d.source,
                    kind=d.kind,
                    title=d.title,
                    lang=d.lang,
                    passages=len(d.passages),
                )
                for d in rows
            ]

    def search(self, query: str, *, lang: str | None = None, limit: int = 3) -> list[KnowledgeHit]:
        """The passages that best answer `query`, best first; in `lang` first when given (the
        others after them). Each word of the query counts by how rare it is in the knowledge
        base, so "do you ship to Jeju?" is about Jeju more than about shipping."""
        units = question_units(query)
        wanted = list(dict.fromkeys(t for u in units for t in u))
        if not wanted:
            return []
        with self.ctx.db.reading() as session:
            ids = self._matching(session, wanted)
            if not ids:
                return []
            rows = session.execute(
                select(KnowledgePassage, KnowledgeDocument)
                .join(KnowledgeDocument)
                .where(KnowledgePassage.id.in_(ids))
            ).all()
            total = session.scalar(select(func.count()).select_from(KnowledgePassage)) or 1
        candidates = [_Candidate(p, d, Counter(p.terms.split())) for p, d in rows]
        frequency = Counter(t for c in candidates for t in set(c.counts) if t in wanted)
        idf = {t: math.log(1 + total / (1 + frequency[t])) for t in wanted}
        # A word weighs what its rarest term does; a word the documents never use weighs as much
        # as the rarest one they do, so a question about something they don't cover ("student
        # discount") is not taken for one they do.
        known = [max(idf[t] for t in u) for u in units if all(frequency[t] for t in u)]
        ceiling = max(known, default=max(idf.values()))
        weight = {
            u: max(idf[t] for t in u) if all(frequency[t] for t in u) else ceiling for u in units
        }
        whole = sum(weight.values())
        average = sum(c.counts.total() for c in candidates) / len(candidates)
        ranked = []
        for c in candidates:
            matched = [u for u in units if all(c.counts[t] for t in u)]
            coverage = round(sum(weight[u] for u in matched) / whole, 4)
            # Okapi BM25 (k1 1.2, b 0.75) among passages that cover the question as well: a
            # passage about the question beats one that mentions it in passing.
            size = c.counts.total() / average
            bm25 = sum(
                idf[t] * c.counts[t] * 2.2 / (c.counts[t] + 1.2 * (0.25 + 0.75 * size))
                for u in matched
                for t in u
            )
            other_language = lang is not None and c.document.lang != lang
            ranked.append(((other_language, -coverage, -bm25, c.passage.id), c, matched, coverage))
        ranked.sort(key=lambda entry: entry[0])
        return [
            KnowledgeHit(
                source=c.document.source,
                title=c.document.title,
                heading=c.passage.heading,
                text=c.passage.text,
                lang=c.document.lang,
                score=coverage,
                matched=[_spelled(u) for u in matched],
                contradicts_policy=self.contradicts_policy(
                    f"{c.passage.heading}\n{c.passage.text}"
                ),
            )
            for _, c, matched, coverage in ranked[:limit]
        ]

    def _matching(self, session: Session, wanted: list[str]) -> list[int]:
        """Passages holding any of the terms, by the database's own full-text index."""
        if _sqlite(session):
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in wanted)
            sql = (
                f"SELECT rowid FROM {FULL_TEXT_INDEX} WHERE {FULL_TEXT_INDEX} MATCH :q "
                "ORDER BY bm25(knowledge_fts) LIMIT :n"
            )
            return list(session.scalars(text(sql), {"q": match, "n": CANDIDATES}))
        query = " | ".join("'" + t.replace("'", "''").replace("\\", "") + "'" for t in wanted)
        sql = (
            f"SELECT rowid FROM {FULL_TEXT_INDEX} WHERE terms @@ to_tsquery('simple', :q) "
            "ORDER BY ts_rank(terms, to_tsquery('simple', :q)) DESC LIMIT :n"
        )
        return list(session.scalars(text(sql), {"q": query, "n": CANDIDATES}))


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_RETURN_WORDS = re.compile(r"return|exchange|退货|退换|换货|반품|교환", re.I)
_DAYS = re.compile(r"(\d{1,3})[\s-]*(?:business\s+|calendar\s+)?(?:days?\b|天|日|일)", re.I)


_SHIPPING_WORDS = re.compile(r"shipping|运费|邮费|包邮|배송비|무료\s*배송", re.I)
_AMOUNT = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)")


def _return_windows(content: str) -> list[int]:
    """The return windows a text states: a number of days in a sentence about returns (and not
    about refunds reaching a card: "within 30 days of delivery", not "3–5 business days")."""
    found: list[int] = []
    for sentence in re.split(r"(?<=[.!?。！？])\s*|\n", content):
        if not _RETURN_WORDS.search(sentence) or re.search(
            r"business\s+days|工作日|영업일", sentence, re.I
        ):
            continue
        if not re.search(r"\bwithin\b|内|이내|안에", sentence, re.I):
            continue
        found.extend(int(m.group(1)) for m in _DAYS.finditer(sentence))
    return found


def demo_documents() -> list[ParsedDocument]:
    """The demo store's knowledge base, shipped with shopkeep (three languages)."""
    folder = resources.files("shopkeep.store").joinpath("demo_knowledge")
    out = []
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        kind = KINDS.get(Path(item.name).suffix.lower())
        if kind is not None:
            out.append(parse(item.name, kind, item.read_bytes()))
    return out
