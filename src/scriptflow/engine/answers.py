"""Checking answers against a fact's declaration, and showing values (masked when sensitive).

Every check raises :class:`~scriptflow.errors.AnswerError` naming the fact, the answer
and what is allowed; it never changes anything, so the session can simply ask again.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ..errors import AnswerError
from ..format.model import Fact
from ..format.schema import did_you_mean
from .tracker import Value

MASK = "••••"
_YES = frozenset({"yes", "true", "y"})
_NO = frozenset({"no", "false", "n"})
_INT_RE = re.compile(r"[-+]?[0-9]+")


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def display(value: object) -> str:
    """A value as people read it: booleans as yes/no, 4.0 as 4."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def mask(value: object) -> str:
    """A sensitive value hidden: ``••••5678`` for long values (the last four shown, as on
    a bank card), ``••••`` for short ones, so a four-character value is never shown whole."""
    text = display(value)
    return MASK + text[-4:] if len(text) >= 8 else MASK


def shown(fact: Fact | None, value: object) -> str:
    """``value`` for people: masked when the fact is sensitive."""
    if fact is not None and fact.sensitive:
        return mask(value)
    return display(value)


def logged(fact: Fact | None, value: Value) -> Value:
    """``value`` as it goes into the transcript: itself, or masked when sensitive."""
    if fact is not None and fact.sensitive:
        return mask(value)
    return value


def allowed(fact: Fact) -> str:
    """What an answer to ``fact`` may be, in words."""
    kind = fact.type
    if kind == "choice":
        return "one of " + ", ".join(repr(o) for o in fact.options)
    if kind == "boolean":
        return "yes or no"
    if kind == "number":
        what = "a whole number" if fact.integer else "a number"
        if fact.minimum is not None and fact.maximum is not None:
            return f"{what} from {display(fact.minimum)} to {display(fact.maximum)}"
        if fact.minimum is not None:
            return f"{what} of at least {display(fact.minimum)}"
        if fact.maximum is not None:
            return f"{what} of at most {display(fact.maximum)}"
        return what
    parts = ["text"]
    if fact.pattern:
        parts.append(f"matching {fact.pattern}")
    if fact.max_length is not None:
        parts.append(f"of at most {fact.max_length} characters")
    return " ".join(parts)


def _fail(fact: Fact, answer: object, problem: str, hint: str = "") -> AnswerError:
    said = mask(answer) if fact.sensitive else repr(answer)
    what = allowed(fact)
    message = f"{said} is not a valid answer for {fact.key!r}: {problem}; expected {what}"
    if hint:
        message += f" ({hint})"
    return AnswerError(message, fact=fact.key, answer=answer, allowed=what)


def yes_no(answer: object) -> bool | None:
    """True/False for a boolean-like answer (True, 'yes', 'no', 'true', …), else None."""
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str):
        word = answer.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None


def check(fact: Fact, answer: object) -> Value:
    """The answer as the tracker keeps it, or :class:`AnswerError`."""
    kind = fact.type
    if kind == "choice":
        return _choice(fact, answer)
    if kind == "boolean":
        value = yes_no(answer)
        if value is None:
            raise _fail(fact, answer, "not a yes/no answer")
        return value
    if kind == "number":
        return _number(fact, answer)
    return _text(fact, answer)


def _choice(fact: Fact, answer: object) -> str:
    if isinstance(answer, int) and not isinstance(answer, bool):
        answer = str(answer)  # options: ["1", "2"] written unquoted in an answers file
    if isinstance(answer, str):
        text = answer.strip()
        if text in fact.options:
            return text
        slips = [o for o in fact.options if o.casefold() == text.casefold()]
        hint = f"did you mean {slips[0]!r}?" if slips else did_you_mean(text, fact.options)
        raise _fail(fact, answer, "not one of the options", hint)
    raise _fail(fact, answer, f"an option is text, not {type(answer).__name__}")


def _number(fact: Fact, answer: object) -> int | float:
    number: int | float
    if isinstance(answer, bool):
        raise _fail(fact, answer, "a yes/no answer is not a number")
    if isinstance(answer, (int, float)):
        number = answer
    elif isinstance(answer, str):
        text = answer.strip()
        try:
            number = int(text) if _INT_RE.fullmatch(text) else float(text)
        except ValueError:
            raise _fail(fact, answer, "not a number") from None
    else:
        raise _fail(fact, answer, f"a {type(answer).__name__} is not a number")
    if isinstance(number, float):
        if not math.isfinite(number):
            raise _fail(fact, answer, "not a finite number")
        if fact.integer:
            if not number.is_integer():
                raise _fail(fact, answer, "not a whole number")
            number = int(number)
    if fact.minimum is not None and number < fact.minimum:
        raise _fail(fact, answer, f"less than {display(fact.minimum)}")
    if fact.maximum is not None and number > fact.maximum:
        raise _fail(fact, answer, f"more than {display(fact.maximum)}")
    return number


def _text(fact: Fact, answer: object) -> str:
    if not isinstance(answer, str):
        hint = "quote it" if isinstance(answer, (int, float)) else ""
        raise _fail(fact, answer, f"a {type(answer).__name__} is not text", hint)
    text = answer.strip()
    if not text:
        raise _fail(fact, answer, "the answer is empty")
    if fact.max_length is not None and len(text) > fact.max_length:
        raise _fail(fact, answer, f"longer than {fact.max_length} characters")
    # search, not fullmatch: authors anchor their patterns (^…$) where they mean to;
    # lint (SF101) has already rejected patterns that do not compile
    if fact.pattern and _pattern(fact.pattern).search(text) is None:
        raise _fail(fact, answer, "it does not match the pattern")
    return text

