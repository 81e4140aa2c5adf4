"""The XPath that XLSForm authors write (`relevant`, `constraint`, `calculation`), read by a
tokenizer and a recursive-descent parser into a small tree (`parse`). Paths, unknown syntax,
too long or too deep input are an ExpressionError naming what is wrong, never a crash."""

from __future__ import annotations

import re
from dataclasses import dataclass

from survey.questionnaire.conditions import MAX_DEPTH

# Parentheses and function calls nest at most this deep (the parser recurses once per level);
# the whole tree, and the condition written from it, at most MAX_DEPTH, as the platform allows.
MAX_NESTING = 25
MAX_NUMBER_LENGTH = 15
QUOTED = 40


class ExpressionError(ValueError):
    """An expression that cannot be carried over; the message says why."""


# -- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<ref>\$\{\s*(?P<refname>[^}]*?)\s*\})
    |(?P<number>\d+(?:\.\d*)?|\.\d+)
    |(?P<string>['‘’][^'‘’]*['‘’]|["“”][^"“”]*["“”])
    |(?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\||//|/|\.\.|\.|\[|\]|@)
    |(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # ref | number | string | op | name | end
    text: str


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {quote(text[position:])}")
        position = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "ref":
            found.append(_Token("ref", match.group("refname")))
        elif kind == "string":
            found.append(_Token("string", match.group()[1:-1]))
        else:
            found.append(_Token(str(kind), match.group()))
    found.append(_Token("end", ""))
    return found


def quote(text: str) -> str:
    return repr(text if len(text) <= QUOTED else text[:QUOTED] + "…")


# -- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    text: str


@dataclass(frozen=True)
class String:
    value: str


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Negative:
    operand: Node


Node = Number | String | Ref | Call | Binary | Negative


def depth(root: Node) -> int:
    """How deep the tree goes (counted without recursion: a long chain of `+` is deep)."""
    deepest = 0
    pending: list[tuple[Node, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        children: tuple[Node, ...] = ()
        if isinstance(node, Binary):
            children = (node.left, node.right)
        elif isinstance(node, Call):
            children = node.args
        elif isinstance(node, Negative):
            children = (node.operand,)
        pending.extend((child, depth + 1) for child in children)
    return deepest


# XPath's binary operators from the loosest to the tightest.
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("or",),
    ("and",),
    ("=", "!="),
    ("<", "<=", ">", ">="),
    ("+", "-"),
    ("*", "div", "mod"),
)
_WORD_OPERATORS = {"or", "and", "div", "mod"}


class _Parser:
    def __init__(self, tokens: list[_Token], own: str | None):
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.own = own

    @property
    def token(self) -> _Token:
        return self.tokens[self.position]

    def advance(self) -> _Token:
        token = self.token
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        if self.token.kind == "op" and self.token.text == text:
            self.advance()
            return
        found = self.token.text or "the end"
        raise ExpressionError(f"expected {text!r} but found {found!r}")

    def expression_only(self) -> Node:
        tree = self.expression()
        if self.token.kind != "end":
            raise ExpressionError(f"unexpected {self.token.text!r}")
        return tree

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(
                f"the expression is nested too deeply (over {MAX_NESTING} levels of "
                "parentheses and functions)"
            )
        tree = self.binary(0)
        self.depth -= 1
        return tree

    def operator(self, level: int) -> str | None:
        token = self.token
        if token.kind == "op" and token.text in _LEVELS[level]:
            return token.text
        if token.kind == "name" and token.text in _WORD_OPERATORS and token.text in _LEVELS[level]:
            return token.text
        return None

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.operator(level)) is not None:
            self.advance()
            left = Binary(op, left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        negations = 0
        while self.token.kind == "op" and self.token.text == "-":
            self.advance()
            negations += 1
        operand = self.primary()
        if self.token.kind == "op" and self.token.text in ("|", "/", "//", "["):
            raise ExpressionError(f"paths and node sets ({self.token.text!r}) are not supported")
        return Negative(operand) if negations % 2 else operand

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            digits = token.text.replace(".", "").lstrip("0")
            if len(digits) > MAX_NUMBER_LENGTH:
                raise ExpressionError(f"the number {quote(token.text)} is too long")
            return Number(token.text)
        if token.kind == "string":
            return String(token.text)
        if token.kind == "ref":
            if not token.text:
                raise ExpressionError("${} names no question")
            return Ref(token.text)
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == ".":
            if self.own is None:
                raise ExpressionError("'.' (this question) only means something in a constraint")
            return Ref(self.own)
        if token.kind == "name" and self.token.kind == "op" and self.token.text == "(":
            return self.call(token.text)
        if token.kind == "end":
            raise ExpressionError("the expression ends too early")
        if token.kind == "name":
            raise ExpressionError(
                f"{token.text!r} is a path, which is not supported; name questions as ${{name}}"
            )
        if token.kind == "op" and token.text in ("..", "/", "//", "@", "[", "|"):
            raise ExpressionError(f"paths ({token.text!r}) are not supported")
        raise ExpressionError(f"{token.text!r} is not supported here")

    def call(self, name: str) -> Node:
        self.expect("(")
        args: list[Node] = []
        if not (self.token.kind == "op" and self.token.text == ")"):
            args.append(self.expression())
            while self.token.kind == "op" and self.token.text == ",":
                self.advance()
                args.append(self.expression())
        self.expect(")")
        return Call(name, tuple(args))


def parse(text: str, own: str | None) -> Node:
    """The tree of one expression; `own` is the XLSForm name `.` stands for (a constraint's
    question; None: `.` is not allowed). Raises ExpressionError."""
    return _Parser(_tokens(text), own).expression_only()
