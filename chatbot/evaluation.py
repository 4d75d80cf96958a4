"""Scoring the bot on a YAML set of questions (``manage.py chatbot_eval``).

Each example: ``{text, guide: slug | null, asks: requirements|cost|duration|office|online|none}``.
An answer is right when the guide matches and the reply carries the asked fact
as the guide API states it (all requirements, the cost text, the duration
text, the office name, or the online yes/no).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import yaml

from chatbot import selectors
from search.analysis import fold as strip_accents


@dataclass
class Outcome:
    text: str
    expected_guide: str | None
    asks: str
    got_guide: str | None
    engine: str
    intent: str
    ok: bool
    reason: str = ""
    options: list[str] = field(default_factory=list)  # slugs of a clarifying question

    @property
    def clarified_right(self) -> bool:
        """Answered with a clarifying question whose options include the right guide."""
        return bool(self.expected_guide) and self.expected_guide in self.options

    @property
    def right_or_clarified(self) -> bool:
        return self.ok or self.clarified_right

    @property
    def out_of_scope_answered(self) -> bool:
        """An out-of-scope question (no guide expected) answered with a guide or offered guides."""
        return not self.expected_guide and bool(self.got_guide or self.options)


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def accuracy(self, items: list[Outcome] | None = None) -> float:
        items = self.outcomes if items is None else items
        return sum(o.ok for o in items) / len(items) if items else 0.0

    def share(self, predicate, items: list[Outcome] | None = None) -> float:
        items = self.outcomes if items is None else items
        return sum(bool(predicate(o)) for o in items) / len(items) if items else 0.0

    def summary(self) -> dict:
        """The figures the issue asks for."""
        scope = [o for o in self.outcomes if not o.expected_guide]
        return {
            "n": len(self.outcomes),
            "accuracy": self.accuracy(),
            "right_or_clarified": self.share(lambda o: o.right_or_clarified),
            "clarified": self.share(lambda o: o.options),
            "clarified_right": self.share(lambda o: o.clarified_right),
            "out_of_scope": len(scope),
            "out_of_scope_answered": sum(o.out_of_scope_answered for o in scope),
        }

    def by(self, attribute: str) -> dict[str, tuple[float, int]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[getattr(outcome, attribute)].append(outcome)
        return {key: (self.accuracy(items), len(items)) for key, items in sorted(groups.items())}


def load_examples(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return list(data.get("examples") or [])


def load_language(path: str) -> str:
    """The language a set's questions are asked in (its ``language:`` key; "" for the portal's default)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return str(data.get("language") or "")


def _fold(text: str) -> str:
    return " ".join(strip_accents(text).split())


def fact_present(*, guide: dict, asks: str, reply: str) -> tuple[bool, str]:
    body = _fold(reply)
    if asks == "requirements":
        missing = [r["text"] for r in guide.get("requirements", []) if _fold(r["text"]) not in body]
        return not missing, f"faltan requisitos: {missing[:2]}" if missing else ""
    if asks == "cost":
        text = (guide.get("cost") or {}).get("text") or ""
        return _fold(text) in body, "sin el costo"
    if asks == "duration":
        text = (guide.get("duration") or {}).get("text") or ""
        return _fold(text) in body, "sin el plazo"
    if asks == "office":
        name = (guide.get("office") or {}).get("name") or ""
        return bool(name) and _fold(name) in body, "sin la oficina"
    if asks == "online":
        online = guide.get("online") or {}
        first = body.split(",")[0].split()
        if online.get("available"):
            spanish = ("si" in first or body.startswith("si")) and "en linea" in body
            english = body.lower().startswith("yes") and "online" in body
            return spanish or english, "no dice que se puede en línea"
        return body.startswith("no") or " no " in f" {body} ", "no dice que no se puede en línea"
    return True, ""


def judge(example: dict, answer: dict) -> Outcome:
    expected = example.get("guide")
    asks = example.get("asks") or "none"
    got = (answer.get("guide") or {}).get("slug")
    reply = "\n".join(r.get("text", "") for r in answer.get("replies", []))
    outcome = Outcome(
        text=example["text"],
        expected_guide=expected,
        asks=asks,
        got_guide=got,
        engine=answer.get("engine", ""),
        intent=answer.get("intent", ""),
        ok=False,
        options=[o.get("slug") for o in answer.get("options") or [] if isinstance(o, dict)],
    )
    if outcome.options:
        outcome.reason = f"preguntó entre {outcome.options} (esperada {expected!r})"
        return outcome
    if got != expected:
        outcome.reason = f"guía {got!r} en vez de {expected!r}"
        return outcome
    if expected and asks != "none":
        facts = selectors.guide_facts(slug=expected)
        if facts is None:
            outcome.reason = "la guía no existe"
            return outcome
        ok, reason = fact_present(guide=facts, asks=asks, reply=reply)
        outcome.ok, outcome.reason = ok, ("" if ok else reason)
        return outcome
    outcome.ok = True
    return outcome
