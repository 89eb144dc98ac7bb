"""Question sets and summary key-point sets, read as ``docs/eval-format.md`` defines them.

JSONL (one object per line) or YAML with the same fields. Text matching follows the
format: NFKC, all whitespace removed, case folded, then substring (``contains``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


def contains(haystack: str, needle: str) -> bool:
    return norm(needle) in norm(haystack)


_BARE_NUMBER_RE = re.compile(r"[\d.,]+")


def matches(answer: str, alternative: str) -> bool:
    """Does ``answer`` state ``alternative``? Text is a normalised substring match; a bare number
    ("7", "181") must stand as a whole number, so "7" is not found in "3月17日" or "1700"."""
    alt = norm(alternative)
    if not alt:
        return False
    if not _BARE_NUMBER_RE.fullmatch(alt):
        return alt in norm(answer)
    text = unicodedata.normalize("NFKC", answer or "").casefold()
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,830 -> 1830
    alt = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", alt)
    return bool(re.search(rf"(?<![\d.]){re.escape(alt)}(?!\d|\.\d)", text))


@dataclass
class Question:
    id: str
    question: str
    answerable: bool = True
    answers: list[list[str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    type: str | None = None
    doc: str | None = None
    split: str | None = None  # "split" field, else the file's name (article.test.jsonl -> article.test)
    near_miss: str | None = None  # for an unanswerable twin: year | subject | measure | place
    twin_of: str | None = None  # the id of the answerable question it was made from


def _read_records(path: Path) -> list[dict]:
    if not path.exists():
        raise InputError(f"{path}: no such question file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or []
        if isinstance(data, dict):
            data = data.get("questions") or data.get("items") or [data]
        return list(data)
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
    return records


def load_questions(path: Path) -> list[Question]:
    out, seen = [], set()
    for n, rec in enumerate(_read_records(Path(path)), 1):
        if not isinstance(rec, dict) or "id" not in rec or "question" not in rec:
            raise InputError(f"{path}: item {n} needs at least 'id' and 'question'")
        qid = str(rec["id"])
        if qid in seen:
            raise InputError(f"{path}: duplicate id {qid!r}")
        seen.add(qid)
        answers = [[a] if isinstance(a, str) else [str(x) for x in a] for a in rec.get("answers") or []]
        out.append(
            Question(
                id=qid,
                question=str(rec["question"]),
                answerable=bool(rec.get("answerable", True)),
                answers=answers,
                evidence=[str(e) for e in rec.get("evidence") or []],
                type=rec.get("type"),
                doc=rec.get("doc"),
                split=str(rec.get("split") or Path(path).name.split(".jsonl")[0].split(".yaml")[0].split(".yml")[0]),
                near_miss=rec.get("near_miss"),
                twin_of=rec.get("twin_of"),
            )
        )
    if not out:
        raise InputError(f"{path}: holds no questions")
    return out


def load_question_sets(paths: list[Path]) -> list[Question]:
    """Several question files as one run; ids must be unique across them."""
    out: list[Question] = []
    seen: set[str] = set()
    for path in paths:
        for q in load_questions(path):
            if q.id in seen:
                raise InputError(f"{path}: id {q.id!r} is also in an earlier file")
            seen.add(q.id)
            out.append(q)
    return out


def load_keypoints(path: Path) -> list[dict]:
    rows = []
    for n, rec in enumerate(_read_records(Path(path)), 1):
        if not isinstance(rec, dict) or "section" not in rec or "keypoints" not in rec:
            raise InputError(f"{path}: item {n} needs 'section' and 'keypoints'")
        groups = [[k] if isinstance(k, str) else [str(x) for x in k] for k in rec["keypoints"]]
        rows.append({"id": str(rec.get("id", n)), "section": str(rec["section"]), "keypoints": groups})
    if not rows:
        raise InputError(f"{path}: holds no key points")
    return rows
