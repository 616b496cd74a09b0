# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the values of Go package-level declarations, without Go.

Hedgehog's switch profiles are Go struct literals. This module reads a Go
package the way the profiles need it: a lexer with Go's semicolon rule, a
splitter for package-level declarations (whose expressions are parsed only
when asked for, so code it does not understand elsewhere in a package costs
nothing), struct types with their JSON tags, and an evaluator for constants,
composite literals, selectors, type conversions, a few library calls and
closures whose body is one ``return``. Anything else is an error naming the
file and line, never a guess.
"""

from __future__ import annotations

import re

__all__ = ["GoError", "GoStruct", "Package", "Loader", "tokenize", "to_json"]


class GoError(Exception):
    """Go source that this reader does not understand or that is wrong, with its place."""


# -- lexer -----------------------------------------------------------------------------

KEYWORDS = frozenset((
    "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for", "func", "go",
    "goto", "if", "import", "interface", "map", "package", "range", "return", "select", "struct", "switch", "type",
    "var",
))
# Go's rule: a line ending after one of these ends the statement.
_ENDS_STATEMENT_KEYWORDS = frozenset(("break", "continue", "fallthrough", "return"))
_ENDS_STATEMENT_OPS = frozenset(("++", "--", ")", "]", "}"))

_OPERATORS = sorted((
    "<<=", ">>=", "&^=", "...", "&&", "||", "<-", "++", "--", "==", "!=", "<=", ">=", ":=", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "<<", ">>", "&^", "~", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "=", "!", "(",
    ")", "{", "}", "[", "]", ",", ";", ".", ":",
), key=len, reverse=True)

_TOKEN_RE = re.compile(r"""
    (?P<space>[ \t\r]+)
  | (?P<newline>\n)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<raw>`[^`]*`)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<rune>'(?:\\.|[^'\\\n])+')
  | (?P<number>(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)i?)
  | (?P<ident>[^\W\d]\w*)
  | (?P<op>%s)
""" % "|".join(re.escape(op) for op in _OPERATORS), re.VERBOSE | re.DOTALL)

_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


class Token:
    __slots__ = ("kind", "value", "line")

    def __init__(self, kind, value, line):
        self.kind = kind
        self.value = value
        self.line = line

    def is_op(self, *ops):
        return self.kind == "op" and self.value in ops

    def is_keyword(self, *words):
        return self.kind == "keyword" and self.value in words

    def __repr__(self):
        return "Token(%s, %r, %d)" % (self.kind, self.value, self.line)


def decode_string(body, quote, where):
    """The value of an interpreted string or rune literal's body (between the quotes)."""
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.extend(char.encode("utf-8"))
            index += 1
            continue
        code = body[index + 1:index + 2]
        if code in _SIMPLE_ESCAPES and (code != "'" or quote == "'") and (code != '"' or quote == '"'):
            out.append(_SIMPLE_ESCAPES[code])
            index += 2
        elif code in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[code]
            digits = body[index + 2:index + 2 + size]
            if len(digits) != size or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise GoError("%s: bad \\%s escape" % (where, code))
            if code == "x":
                out.append(int(digits, 16))
            else:
                out.extend(chr(int(digits, 16)).encode("utf-8"))
            index += 2 + size
        elif code and code in "01234567":
            digits = body[index + 1:index + 4]
            if not re.fullmatch(r"[0-7]{3}", digits):
                raise GoError("%s: bad octal escape" % where)
            out.append(int(digits, 8))
            index += 4
        else:
            raise GoError("%s: unknown escape \\%s" % (where, code))
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GoError("%s: string is not UTF-8" % where) from exc


def _number(text, where):
    clean = text.replace("_", "")
    if clean.endswith("i"):
        raise GoError("%s: imaginary numbers are not supported" % where)
    try:
        if clean[:2].lower() in ("0x", "0b", "0o"):
            return "int", int(clean, 0)
        if re.fullmatch(r"0[0-7]+", clean):
            return "int", int(clean, 8)
        if re.fullmatch(r"\d+", clean):
            return "int", int(clean)
        return "float", float(clean)
    except ValueError as exc:
        raise GoError("%s: bad number %r" % (where, text)) from exc


def _ends_statement(token):
    if token is None:
        return False
    if token.kind in ("ident", "string", "rune", "int", "float"):
        return True
    if token.kind == "keyword":
        return token.value in _ENDS_STATEMENT_KEYWORDS
    return token.value in _ENDS_STATEMENT_OPS


def tokenize(text, filename="<go>"):
    """Go tokens of ``text``, with the semicolons Go inserts at line ends; comments are dropped."""
    tokens = []
    line = 1
    position = 0
    last = None

    def newline():
        if _ends_statement(last):
            tokens.append(Token("op", ";", line))

    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise GoError("%s:%d: unexpected character %r" % (filename, line, text[position]))
        kind = match.lastgroup
        value = match.group(kind)
        position = match.end()
        where = "%s:%d" % (filename, line)
        if kind == "space" or kind == "line_comment":
            continue
        if kind == "newline" or (kind == "block_comment" and "\n" in value):
            newline()
            last = None
            line += value.count("\n")
            continue
        if kind == "block_comment":
            continue
        if kind == "raw":
            token = Token("string", value[1:-1].replace("\r", ""), line)
            line += value.count("\n")
        elif kind == "string":
            token = Token("string", decode_string(value[1:-1], '"', where), line)
        elif kind == "rune":
            decoded = decode_string(value[1:-1], "'", where)
            if len(decoded) != 1:
                raise GoError("%s: bad rune literal %s" % (where, value))
            token = Token("rune", ord(decoded), line)
        elif kind == "number":
            token = Token(*_number(value, where), line=line)
        elif kind == "ident":
            token = Token("keyword" if value in KEYWORDS else "ident", value, line)
        else:
            token = Token("op", value, line)
        tokens.append(token)
        last = token
    newline()
    return tokens


# -- syntax trees ----------------------------------------------------------------------
# Expressions and types are tuples whose first item names the node; every node
# keeps the line it started on as its second item, for error messages.


class Parser:
    """A recursive-descent parser over a slice of tokens (one declaration's)."""

    def __init__(self, tokens, filename):
        self.tokens = tokens
        self.filename = filename
        self.index = 0

    # token access

    def peek(self, ahead=0):
        index = self.index + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def line(self):
        token = self.peek()
        if token is not None:
            return token.line
        return self.tokens[-1].line if self.tokens else 0

    def fail(self, message):
        token = self.peek()
        found = "end of declaration" if token is None else repr(token.value)
        raise GoError("%s:%d: %s (found %s)" % (self.filename, self.line(), message, found))

    def next(self):
        token = self.peek()
        if token is None:
            self.fail("unexpected end")
        self.index += 1
        return token

    def accept_op(self, *ops):
        token = self.peek()
        if token is not None and token.is_op(*ops):
            self.index += 1
            return token
        return None

    def expect_op(self, op):
        token = self.accept_op(op)
        if token is None:
            self.fail("expected %r" % op)
        return token

    def expect_ident(self):
        token = self.peek()
        if token is None or token.kind != "ident":
            self.fail("expected a name")
        self.index += 1
        return token.value

    def at_end(self):
        return self.index >= len(self.tokens)

    def skip_balanced(self):
        """Skip one bracketed group starting at the current token."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        opener = self.next()
        if opener.kind != "op" or opener.value not in pairs:
            self.fail("expected a bracket")
        depth = 1
        while depth:
            token = self.next()
            if token.kind == "op" and token.value in pairs:
                depth += 1
            elif token.kind == "op" and token.value in (")", "]", "}"):
                depth -= 1

    # types

    def parse_type(self):
        line = self.line()
        token = self.peek()
        if token is None:
            self.fail("expected a type")
        if token.is_op("*"):
            self.next()
            return ("pointer", line, self.parse_type())
        if token.is_op("("):
            self.next()
            inner = self.parse_type()
            self.expect_op(")")
            return inner
        if token.is_op("["):
            self.next()
            if self.accept_op("]"):
                return ("slice", line, self.parse_type())
            length = None if self.accept_op("...") else self.parse_expr()
            self.expect_op("]")
            return ("array", line, length, self.parse_type())
        if token.is_keyword("map"):
            self.next()
            self.expect_op("[")
            key = self.parse_type()
            self.expect_op("]")
            return ("map", line, key, self.parse_type())
        if token.is_keyword("struct"):
            self.next()
            return ("struct", line, self.parse_struct_fields())
        if token.is_keyword("interface", "func", "chan"):
            self.next()
            return self._skip_opaque_type(token.value, line)
        if token.kind == "ident":
            self.next()
            if self.accept_op("."):
                return ("named", line, token.value, self.expect_ident())
            if self.peek() is not None and self.peek().is_op("["):
                self.skip_balanced()  # a generic type's arguments: an array length never follows a type name
            return ("named", line, None, token.value)
        self.fail("expected a type")
        return None

    def _skip_opaque_type(self, keyword, line):
        if keyword == "interface":
            self.skip_balanced()
        elif keyword == "func":
            self.skip_balanced()
            nxt = self.peek()
            if nxt is not None and nxt.is_op("("):
                self.skip_balanced()
            elif nxt is not None and (nxt.kind == "ident" or nxt.is_op("*", "[") or nxt.is_keyword("map", "struct")):
                self.parse_type()
        else:
            self.accept_op("<-")
            self.parse_type()
        return ("opaque", line, keyword)

    def parse_struct_fields(self):
        """``{ fields }`` of a struct type as [(go name or None, type, tag, embedded)]."""
        self.expect_op("{")
        fields = []
        while not self.accept_op("}"):
            if self.accept_op(";"):
                continue
            fields.extend(self._parse_field_decl())
        return fields

    def _parse_field_decl(self):
        first, second = self.peek(), self.peek(1)
        embedded = first.is_op("*") or (first.kind == "ident" and second is not None and (
            second.is_op(".", ";", "}") or second.kind == "string"))
        if embedded:
            field_type = self.parse_type()
            names = [field_type[-1] if field_type[0] == "named" else field_type[2][-1]]
        else:
            names = [self.expect_ident()]
            while self.accept_op(","):
                names.append(self.expect_ident())
            field_type = self.parse_type()
        tag = ""
        if self.peek() is not None and self.peek().kind == "string":
            tag = self.next().value
        if not self.accept_op(";") and not (self.peek() is not None and self.peek().is_op("}")):
            self.fail("expected the end of a struct field")
        return [(name, field_type, tag, embedded) for name in names]

    # expressions

    BINARY_PRECEDENCE = {
        "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
        "+": 4, "-": 4, "|": 4, "^": 4, "*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5, "&^": 5,
    }

    def parse_expr(self, min_precedence=1):
        left = self.parse_unary()
        while True:
            token = self.peek()
            if token is None or token.kind != "op" or token.value not in self.BINARY_PRECEDENCE:
                return left
            precedence = self.BINARY_PRECEDENCE[token.value]
            if precedence < min_precedence:
                return left
            self.next()
            right = self.parse_expr(precedence + 1)
            left = ("binary", token.line, token.value, left, right)

    def parse_unary(self):
        token = self.peek()
        if token is not None and token.is_op("&", "!", "-", "+", "^", "*"):
            self.next()
            return ("unary", token.line, token.value, self.parse_unary())
        return self.parse_postfix(self.parse_operand())

    def parse_operand(self):
        token = self.peek()
        if token is None:
            self.fail("expected an expression")
        line = token.line
        if token.kind in ("string", "int", "float", "rune"):
            self.next()
            return ("literal", line, token.value)
        if token.kind == "ident":
            self.next()
            return ("name", line, token.value)
        if token.is_op("("):
            self.next()
            inner = self.parse_expr()
            self.expect_op(")")
            return inner
        if token.is_keyword("func"):
            return self.parse_func_literal()
        if token.is_op("[") or token.is_keyword("map", "struct"):
            literal_type = self.parse_type()
            if not (self.peek() is not None and self.peek().is_op("{")):
                return ("type", line, literal_type)
            return ("composite", line, literal_type, self.parse_elements())
        if token.is_op("{"):
            return ("composite", line, None, self.parse_elements())
        self.fail("expected an expression")
        return None

    def parse_postfix(self, expr):
        while True:
            token = self.peek()
            if token is None:
                return expr
            if token.is_op("."):
                self.next()
                if self.accept_op("("):
                    self.fail("type assertions are not supported")
                expr = ("select", token.line, expr, self.expect_ident())
            elif token.is_op("("):
                expr = ("call", token.line, expr, self.parse_arguments())
            elif token.is_op("["):
                self.next()
                index = self.parse_expr()
                if self.accept_op(":"):
                    self.fail("slice expressions are not supported")
                self.expect_op("]")
                expr = ("index", token.line, expr, index)
            elif token.is_op("{") and self._is_type_expr(expr):
                expr = ("composite", token.line, self._as_type(expr), self.parse_elements())
            else:
                return expr

    @staticmethod
    def _is_type_expr(expr):
        return expr[0] == "name" or (expr[0] == "select" and expr[2][0] == "name") or expr[0] == "index"

    def _as_type(self, expr):
        if expr[0] == "name":
            return ("named", expr[1], None, expr[2])
        if expr[0] == "select":
            return ("named", expr[1], expr[2][2], expr[3])
        return self._as_type(expr[2])  # a generic type's arguments do not matter here

    def parse_arguments(self):
        self.expect_op("(")
        arguments = []
        while not self.accept_op(")"):
            arguments.append(self.parse_expr())
            if self.accept_op("..."):
                self.fail("variadic arguments are not supported")
            if not self.accept_op(","):
                self.expect_op(")")
                break
        return arguments

    def parse_elements(self):
        """``{ [key:] value, ... }`` of a composite literal as [(key or None, value)]."""
        self.expect_op("{")
        elements = []
        while not self.accept_op("}"):
            value = self._parse_element_value()
            key = None
            if self.accept_op(":"):
                key, value = value, self._parse_element_value()
            elements.append((key, value))
            if not self.accept_op(","):
                self.expect_op("}")
                break
        return elements

    def _parse_element_value(self):
        if self.peek() is not None and self.peek().is_op("{"):
            return ("composite", self.line(), None, self.parse_elements())
        return self.parse_expr()

    def parse_func_literal(self):
        line = self.next().line
        self.expect_op("(")
        params = []
        pending = []
        while not self.accept_op(")"):
            pending.append(self.expect_ident())
            if self.accept_op(","):
                continue
            self.parse_type()
            params.extend(pending)
            pending = []
            if not self.accept_op(","):
                self.expect_op(")")
                break
        if pending:
            self.fail("function parameters need names")
        if not self.peek().is_op("{"):
            if self.peek().is_op("("):
                self.skip_balanced()
            else:
                self.parse_type()
        self.expect_op("{")
        while self.accept_op(";"):
            pass
        if not (self.peek() is not None and self.peek().is_keyword("return")):
            self.fail("only function literals whose body is one return statement are supported")
        self.next()
        body = self.parse_expr()
        while self.accept_op(";"):
            pass
        self.expect_op("}")
        return ("func", line, params, body)


# -- package-level declarations --------------------------------------------------------


class Declaration:
    """One package-level const, var or type, parsed on first use."""

    def __init__(self, kind, name, file, tokens, type_tokens=None, iota=0):
        self.kind = kind
        self.name = name
        self.file = file
        self.tokens = tokens
        self.type_tokens = type_tokens or []
        self.iota = iota
        self._expr = self._type = None

    @property
    def line(self):
        tokens = self.tokens or self.type_tokens
        return tokens[0].line if tokens else 0

    def expr(self):
        if self._expr is None:
            parser = Parser(self.tokens, self.file.name)
            self._expr = parser.parse_expr()
            if not parser.at_end():
                parser.fail("unexpected text after the value of %s" % self.name)
        return self._expr

    def declared_type(self):
        """The type written in a const or var spec, or None."""
        if not self.type_tokens:
            return None
        if self._type is None:
            parser = Parser(self.type_tokens, self.file.name)
            self._type = parser.parse_type()
        return self._type

    def type_expr(self):
        if self._type is None:
            parser = Parser(self.tokens, self.file.name)
            self._type = parser.parse_type()
            if not parser.at_end():
                parser.fail("unexpected text after the type %s" % self.name)
        return self._type


class GoFile:
    def __init__(self, name, package, imports):
        self.name = name
        self.package = package
        self.imports = imports  # alias -> import path


def _split_top(tokens, start, stop_ops):
    """Index of the first token at bracket depth 0 from ``start`` that is one of ``stop_ops`` (or the end)."""
    depth = 0
    index = start
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "op":
            if depth == 0 and token.value in stop_ops:
                return index
            if token.value in ("(", "[", "{"):
                depth += 1
            elif token.value in (")", "]", "}"):
                depth -= 1
                if depth < 0:
                    return index
        index += 1
    return index


def _split_commas(tokens):
    parts, start = [], 0
    while start <= len(tokens):
        end = _split_top(tokens, start, (",",))
        parts.append(tokens[start:end])
        start = end + 1
    return parts


def _group_or_single(tokens, index):
    """The specs of ``const (...)`` / ``var x = ...``: (list of token lists, index after the declaration)."""
    if tokens[index].is_op("("):
        end = _split_top(tokens, index + 1, ())
        inner = tokens[index + 1:end]
        specs, start = [], 0
        while start < len(inner):
            stop = _split_top(inner, start, (";",))
            if stop > start:
                specs.append(inner[start:stop])
            start = stop + 1
        return specs, end + 1
    end = _split_top(tokens, index, (";",))
    return [tokens[index:end]], end


def _import_alias(path):
    # The package name is by convention the path's last element (a version suffix "v2" is not a name).
    parts = path.split("/")
    if re.fullmatch(r"v\d+", parts[-1]) and len(parts) > 1:
        return parts[-2]
    return parts[-1]


def _parse_imports(specs):
    imports = {}
    for spec in specs:
        if spec and spec[-1].kind == "string":
            path = spec[-1].value
            alias = spec[0].value if len(spec) == 2 else _import_alias(path)
            imports[alias] = path
    return imports


def _value_specs(kind, specs, file):
    """Declarations of one const/var group; a const without a value repeats the one before (iota)."""
    declarations = []
    previous_values, previous_type = None, []
    for iota, spec in enumerate(specs):
        names_end = 0
        names = []
        while names_end < len(spec) and spec[names_end].kind == "ident":
            names.append(spec[names_end].value)
            names_end += 1
            if names_end < len(spec) and spec[names_end].is_op(","):
                names_end += 1
            else:
                break
        equals = _split_top(spec, names_end, ("=",))
        type_tokens = spec[names_end:equals]
        if equals < len(spec):
            values = _split_commas(spec[equals + 1:])
            previous_values, previous_type = values, type_tokens
        elif kind == "const" and previous_values is not None:
            values, type_tokens = previous_values, previous_type
        else:
            values = [[] for _name in names]
        if len(values) != len(names):
            raise GoError("%s:%d: %d names but %d values" % (file.name, spec[0].line, len(names), len(values)))
        for name, value in zip(names, values):
            declarations.append(Declaration(kind, name, file, value, type_tokens, iota))
    return declarations


def _skip_func(tokens, index):
    """Index after a ``func`` declaration starting at ``index`` (the keyword)."""
    depth = 0
    index += 1
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "op" and token.value in ("(", "["):
            depth += 1
        elif token.kind == "op" and token.value in (")", "]"):
            depth -= 1
        elif token.is_keyword("struct", "interface") and depth == 0:
            index = _split_top(tokens, index + 2, ())  # a result type's braces are not the body
        elif token.is_op("{") and depth == 0:
            return _split_top(tokens, index + 1, ()) + 1
        elif token.is_op(";") and depth == 0:
            return index
        index += 1
    return index


def split_file(text, filename):
    """(GoFile, [Declaration]) of a Go source file's package-level declarations."""
    tokens = tokenize(text, filename)
    declarations = []
    file = GoFile(filename, "", {})
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.is_op(";"):
            index += 1
        elif token.is_keyword("package"):
            file.package = tokens[index + 1].value
            index += 2
        elif token.is_keyword("import"):
            specs, index = _group_or_single(tokens, index + 1)
            file.imports.update(_parse_imports(specs))
        elif token.is_keyword("const", "var"):
            specs, index = _group_or_single(tokens, index + 1)
            declarations.extend(_value_specs(token.value, specs, file))
        elif token.is_keyword("type"):
            specs, index = _group_or_single(tokens, index + 1)
            for spec in specs:
                body = spec[1:]
                if body and body[0].is_op("["):  # type parameters
                    body = body[_split_top(body, 1, ()) + 1:]
                if body and body[0].is_op("="):
                    body = body[1:]
                declarations.append(Declaration("type", spec[0].value, file, body))
        elif token.is_keyword("func"):
            index = _skip_func(tokens, index)
        else:
            raise GoError("%s:%d: unexpected %r at package level" % (filename, token.line, token.value))
    return file, declarations


# -- values ----------------------------------------------------------------------------


class GoStruct:
    """A struct value: its type (a resolved struct type) and the fields that were set."""

    __slots__ = ("type_name", "struct_type", "fields")

    def __init__(self, type_name, struct_type, fields):
        self.type_name = type_name  # (package path, name), or None for an anonymous struct
        self.struct_type = struct_type
        self.fields = fields

    def get(self, name):
        if name in self.fields:
            return self.fields[name]
        for field in self.struct_type.fields:
            if field.name == name:
                return field.type.zero()
        raise KeyError(name)

    def __repr__(self):
        return "GoStruct(%s, %r)" % (self.type_name and self.type_name[1], self.fields)


class Closure:
    """A function literal and the evaluator (package, file, names in scope) it was written in."""

    __slots__ = ("params", "body", "evaluator")

    def __init__(self, params, body, evaluator):
        self.params = params
        self.body = body
        self.evaluator = evaluator


# -- resolved types --------------------------------------------------------------------

BASIC_TYPES = frozenset((
    "bool", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
    "uintptr", "float32", "float64", "byte", "rune", "any", "error",
))


class Type:
    """A resolved type: kind is basic, pointer, slice, map, struct, external or opaque."""

    def __init__(self, kind, name=None, elem=None, key=None, fields=None, basic=None):
        self.kind = kind
        self.name = name  # (package path, name) of a named type
        self.elem = elem
        self.key = key
        self.fields = fields or []
        self.basic = basic

    def zero(self):
        if self.kind == "basic":
            if self.basic == "bool":
                return False
            if self.basic == "string":
                return ""
            if self.basic in ("any", "error"):
                return None
            return 0.0 if self.basic.startswith("float") else 0
        if self.kind == "struct":
            return GoStruct(self.name, self, {})
        return None

    def __repr__(self):
        return "Type(%s, %s)" % (self.kind, self.name)


class Field:
    __slots__ = ("name", "type", "tag", "embedded")

    def __init__(self, name, field_type, tag, embedded):
        self.name = name
        self.type = field_type
        self.tag = tag
        self.embedded = embedded

    def json_tag(self):
        """(name, omitempty, inline, skipped) from the field's ``json:"..."`` tag."""
        match = re.search(r'(?:^|\s)json:"([^"]*)"', self.tag)
        if match is None:
            return self.name, False, self.embedded, False
        parts = match.group(1).split(",")
        if parts[0] == "-" and len(parts) == 1:
            return self.name, False, False, True
        options = parts[1:]
        inline = "inline" in options or (self.embedded and not parts[0])
        return parts[0] or self.name, "omitempty" in options, inline, False


# Types of packages outside the module that the profiles use, as Kubernetes defines them.
def _external_types():
    string_map = Type("map", key=Type("basic", basic="string"), elem=Type("basic", basic="string"))
    text = Type("basic", basic="string")
    object_meta = Type("struct", name=("k8s.io/apimachinery/pkg/apis/meta/v1", "ObjectMeta"), fields=[
        Field("Name", text, 'json:"name,omitempty"', False),
        Field("GenerateName", text, 'json:"generateName,omitempty"', False),
        Field("Namespace", text, 'json:"namespace,omitempty"', False),
        Field("Labels", string_map, 'json:"labels,omitempty"', False),
        Field("Annotations", string_map, 'json:"annotations,omitempty"', False),
    ])
    type_meta = Type("struct", name=("k8s.io/apimachinery/pkg/apis/meta/v1", "TypeMeta"), fields=[
        Field("Kind", text, 'json:"kind,omitempty"', False),
        Field("APIVersion", text, 'json:"apiVersion,omitempty"', False),
    ])
    return {type_.name: type_ for type_ in (object_meta, type_meta)}


EXTERNAL_TYPES = _external_types()


# -- evaluation ------------------------------------------------------------------------


def _omit_by(evaluator, where, args, keep_when):
    if len(args) != 2:
        raise GoError("%s: expects a map and a predicate" % where)
    source, predicate = args
    if not isinstance(source, dict) or not isinstance(predicate, Closure):
        raise GoError("%s: expects a map and a function literal" % where)
    kept = {}
    for key, value in source.items():
        verdict = evaluator.call_closure(predicate, [key, value], where)
        if not isinstance(verdict, bool):
            raise GoError("%s: the predicate did not return a bool" % where)
        if verdict == keep_when:
            kept[key] = value
    return kept


def _assign(_evaluator, where, args):
    merged = {}
    for arg in args:
        if not isinstance(arg, dict):
            raise GoError("%s: lo.Assign takes maps" % where)
        merged.update(arg)
    return merged


def _clone(_evaluator, where, args):
    if len(args) != 1 or not isinstance(args[0], (dict, list)):
        raise GoError("%s: Clone takes one map or slice" % where)
    return type(args[0])(args[0])


# Library functions the profiles call, by (import path, name).
LIBRARY = {
    ("github.com/samber/lo", "OmitBy"): lambda ev, where, args: _omit_by(ev, where, args, False),
    ("github.com/samber/lo", "PickBy"): lambda ev, where, args: _omit_by(ev, where, args, True),
    ("github.com/samber/lo", "Assign"): _assign,
    ("maps", "Clone"): _clone,
    ("golang.org/x/exp/maps", "Clone"): _clone,
    ("slices", "Clone"): _clone,
}

_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}
_ARITHMETIC = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "%": lambda a, b: a % b,
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "&": lambda a, b: a & b, "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b, "&^": lambda a, b: a & ~b,
}


class Package:
    """The package-level declarations of one Go package directory."""

    def __init__(self, loader, path):
        self.loader = loader
        self.path = path  # import path
        self.name = ""
        self.declarations = {}
        self.values = {}
        self.types = {}
        self._evaluating = set()

    def add_file(self, text, filename):
        file, declarations = split_file(text, filename)
        self.name = self.name or file.package
        for declaration in declarations:
            if declaration.name == "_":
                continue
            if declaration.name in self.declarations:
                raise GoError("%s:%d: %s is declared twice in %s" % (
                    filename, declaration.line, declaration.name, self.path))
            self.declarations[declaration.name] = declaration

    def declaration(self, name, where):
        if name not in self.declarations:
            raise GoError("%s: %s is not declared in package %s" % (where, name, self.path))
        return self.declarations[name]

    def value(self, name, where):
        """The value of a package-level const or var."""
        if name in self.values:
            return self.values[name]
        declaration = self.declaration(name, where)
        if declaration.kind == "type":
            raise GoError("%s: %s is a type, not a value" % (where, name))
        if name in self._evaluating:
            raise GoError("%s: %s refers to itself" % (where, name))
        self._evaluating.add(name)
        try:
            evaluator = Evaluator(self, declaration.file, iota=declaration.iota)
            declared = declaration.declared_type()
            expected = evaluator.resolve_type(declared) if declared is not None else None
            if not declaration.tokens:
                value = expected.zero() if expected is not None else None
            else:
                value = evaluator.eval(declaration.expr(), expected)
        finally:
            self._evaluating.discard(name)
        self.values[name] = value
        return value

    def value_type(self, name, where):
        """The type of a package-level var: as declared, or its composite literal's (None when unknown)."""
        declaration = self.declaration(name, where)
        evaluator = Evaluator(self, declaration.file)
        if declaration.declared_type() is not None:
            return evaluator.resolve_type(declaration.declared_type())
        expr = declaration.expr()
        if expr[0] == "composite" and expr[2] is not None:
            return evaluator.resolve_type(expr[2])
        return None

    def named_type(self, name, where):
        key = (self.path, name)
        if key in self.types:
            return self.types[key]
        declaration = self.declaration(name, where)
        if declaration.kind != "type":
            raise GoError("%s: %s is not a type" % (where, name))
        placeholder = Type("struct", name=key)
        self.types[key] = placeholder  # recursive types resolve to this placeholder
        resolved = Evaluator(self, declaration.file).resolve_type(declaration.type_expr())
        placeholder.__dict__.update(resolved.__dict__)
        placeholder.name = key
        return placeholder


class Loader:
    """Packages of one Go module read through ``read_dir(path) -> {file name: text}``.

    Import paths under ``module`` load from the module's directories;
    anything else is external: only its types in EXTERNAL_TYPES and its
    functions in LIBRARY can be used.
    """

    def __init__(self, module, read_dir):
        self.module = module
        self.read_dir = read_dir
        self.packages = {}

    def package(self, import_path):
        if import_path in self.packages:
            return self.packages[import_path]
        if import_path != self.module and not import_path.startswith(self.module + "/"):
            return None
        directory = import_path[len(self.module):].lstrip("/")
        files = self.read_dir(directory)
        sources = dict((name, text) for name, text in files.items()
                       if name.endswith(".go") and not name.endswith("_test.go"))
        if not sources:
            raise GoError("package %s has no Go files" % import_path)
        package = Package(self, import_path)
        for name in sorted(sources):
            package.add_file(sources[name], "%s/%s" % (directory, name) if directory else name)
        self.packages[import_path] = package
        return package


class Evaluator:
    """Evaluates expressions of one file of a package (its imports name other packages)."""

    def __init__(self, package, file, scope=None, iota=0):
        self.package = package
        self.file = file
        self.scope = scope or {}
        self.iota = iota

    def where(self, node):
        return "%s:%d" % (self.file.name, node[1])

    # names

    def _imported(self, alias, where):
        if alias not in self.file.imports:
            raise GoError("%s: %s is not an imported package" % (where, alias))
        return self.file.imports[alias]

    def resolve_type(self, node):
        kind = node[0]
        where = self.where(node)
        if kind == "named":
            package_alias, name = node[2], node[3]
            if package_alias is None:
                if name in self.package.declarations:
                    return self.package.named_type(name, where)
                if name in BASIC_TYPES:
                    return Type("basic", basic=name)
                raise GoError("%s: unknown type %s" % (where, name))
            path = self._imported(package_alias, where)
            package = self.package.loader.package(path)
            if package is not None:
                return package.named_type(name, where)
            if (path, name) in EXTERNAL_TYPES:
                return EXTERNAL_TYPES[(path, name)]
            return Type("opaque", name=(path, name))
        if kind == "pointer":
            return Type("pointer", elem=self.resolve_type(node[2]))
        if kind in ("slice", "array"):
            return Type("slice", elem=self.resolve_type(node[-1]))
        if kind == "map":
            return Type("map", key=self.resolve_type(node[2]), elem=self.resolve_type(node[3]))
        if kind == "struct":
            fields = [Field(name, self.resolve_type(field_type), tag, embedded)
                      for name, field_type, tag, embedded in node[2]]
            return Type("struct", fields=fields)
        return Type("opaque")

    def _lookup(self, name, where):
        if name in self.scope:
            return self.scope[name]
        if name in self.package.declarations:
            return self.package.value(name, where)
        builtins = {"true": True, "false": False, "nil": None}
        if name in builtins:
            return builtins[name]
        if name == "iota":
            return self.iota
        raise GoError("%s: unknown name %s" % (where, name))

    def _type_of_name(self, node):
        """The type a name or package.Name expression stands for, or None if it is a value."""
        where = self.where(node)
        if node[0] == "name":
            name = node[2]
            if name in self.scope:
                return None
            declaration = self.package.declarations.get(name)
            if declaration is not None:
                return self.package.named_type(name, where) if declaration.kind == "type" else None
            return Type("basic", basic=name) if name in BASIC_TYPES else None
        if node[0] == "select" and node[2][0] == "name" and node[2][2] in self.file.imports \
                and node[2][2] not in self.scope:
            path = self.file.imports[node[2][2]]
            package = self.package.loader.package(path)
            if package is None:
                return EXTERNAL_TYPES.get((path, node[3]))
            declaration = package.declarations.get(node[3])
            if declaration is not None and declaration.kind == "type":
                return package.named_type(node[3], where)
        return None

    # expressions

    def eval(self, node, expected=None):
        method = getattr(self, "_eval_" + node[0], None)
        if method is None:
            raise GoError("%s: %s expressions are not supported" % (self.where(node), node[0]))
        return method(node, expected)

    def _eval_literal(self, node, _expected):
        return node[2]

    def _eval_name(self, node, _expected):
        return self._lookup(node[2], self.where(node))

    def _eval_select(self, node, _expected):
        where = self.where(node)
        target = node[2]
        if target[0] == "name" and target[2] in self.file.imports and target[2] not in self.scope:
            path = self.file.imports[target[2]]
            package = self.package.loader.package(path)
            if package is None:
                raise GoError("%s: %s.%s is outside the module" % (where, target[2], node[3]))
            return package.value(node[3], where)
        value = self.eval(target)
        return self.field_of(value, node[3], where)

    def field_of(self, value, name, where):
        if not isinstance(value, GoStruct):
            raise GoError("%s: .%s of a value that is not a struct" % (where, name))
        try:
            return value.get(name)
        except KeyError:
            pass
        for field in value.struct_type.fields:  # promoted through an embedded struct
            if field.embedded and field.type.kind == "struct":
                try:
                    return self.field_of(value.get(field.name), name, where)
                except GoError:
                    continue
        raise GoError("%s: %s has no field %s" % (where, value.type_name and value.type_name[1], name))

    def _eval_index(self, node, _expected):
        where = self.where(node)
        container, index = self.eval(node[2]), self.eval(node[3])
        if isinstance(container, dict):
            return container.get(index)
        if isinstance(container, list) and isinstance(index, int) and 0 <= index < len(container):
            return container[index]
        raise GoError("%s: index %r out of range" % (where, index))

    def _eval_unary(self, node, expected):
        op = node[2]
        if op == "&":
            target = expected.elem if expected is not None and expected.kind == "pointer" else None
            return self.eval(node[3], target)
        value = self.eval(node[3])
        if op == "!" and isinstance(value, bool):
            return not value
        if op == "-" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        if op == "+" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise GoError("%s: unary %s is not supported on %r" % (self.where(node), op, value))

    def _eval_binary(self, node, _expected):
        op = node[2]
        where = self.where(node)
        left = self.eval(node[3])
        if op in ("&&", "||"):
            if not isinstance(left, bool):
                raise GoError("%s: %s needs bools" % (where, op))
            if (op == "&&") != left:
                return left
            right = self.eval(node[4])
            if not isinstance(right, bool):
                raise GoError("%s: %s needs bools" % (where, op))
            return right
        right = self.eval(node[4])
        if op in _COMPARE:
            return _COMPARE[op](left, right)
        if op == "/":
            if isinstance(left, int) and isinstance(right, int):
                return int(left / right)
            return left / right
        if op in _ARITHMETIC:
            return _ARITHMETIC[op](left, right)
        raise GoError("%s: operator %s is not supported" % (where, op))

    def _eval_func(self, node, _expected):
        return Closure(node[2], node[3], self)

    def _eval_call(self, node, _expected):
        where = self.where(node)
        callee = node[2]
        conversion = self._type_of_name(callee)
        if conversion is not None:
            if len(node[3]) != 1:
                raise GoError("%s: a conversion takes one value" % where)
            return self.eval(node[3][0], conversion)
        args = [self.eval(arg) for arg in node[3]]
        if callee[0] == "select" and callee[2][0] == "name" and callee[2][2] in self.file.imports:
            key = (self.file.imports[callee[2][2]], callee[3])
            if key in LIBRARY:
                return LIBRARY[key](self, where, args)
            raise GoError("%s: calls of %s.%s are not supported" % (where, callee[2][2], callee[3]))
        if callee[0] == "name" and callee[2] == "append" and args and isinstance(args[0], (list, type(None))):
            return list(args[0] or []) + args[1:]
        function = self.eval(callee)
        if isinstance(function, Closure):
            return self.call_closure(function, args, where)
        raise GoError("%s: this call is not supported" % where)

    def call_closure(self, closure, args, where):
        if len(args) != len(closure.params):
            raise GoError("%s: the function takes %d arguments" % (where, len(closure.params)))
        outer = closure.evaluator
        scope = dict(outer.scope)
        scope.update((name, value) for name, value in zip(closure.params, args) if name != "_")
        inner = Evaluator(outer.package, outer.file, scope=scope, iota=outer.iota)
        return inner.eval(closure.body)

    def _eval_type(self, node, _expected):
        raise GoError("%s: a type is not a value" % self.where(node))

    def _eval_composite(self, node, expected):
        where = self.where(node)
        literal_type = self.resolve_type(node[2]) if node[2] is not None else expected
        if literal_type is not None and literal_type.kind == "pointer":
            literal_type = literal_type.elem  # &T{...} elided inside a composite literal
        if literal_type is None:
            raise GoError("%s: a composite literal without a type" % where)
        elements = node[3]
        if literal_type.kind == "struct":
            return self._struct_literal(literal_type, elements, where)
        if literal_type.kind == "map":
            result = {}
            for key, value in elements:
                if key is None:
                    raise GoError("%s: a map element without a key" % where)
                key_value = self.eval(key, literal_type.key)
                if key_value in result:
                    raise GoError("%s: duplicate key %r in a map literal" % (where, key_value))
                result[key_value] = self.eval(value, literal_type.elem)
            return result
        if literal_type.kind == "slice":
            if any(key is not None for key, _value in elements):
                raise GoError("%s: indexed slice literals are not supported" % where)
            return [self.eval(value, literal_type.elem) for _key, value in elements]
        raise GoError("%s: a composite literal of type %s" % (where, literal_type.name or literal_type.kind))

    def _struct_literal(self, struct_type, elements, where):
        by_name = dict((field.name, field) for field in struct_type.fields)
        fields = {}
        keyed = [key is not None for key, _value in elements]
        if any(keyed) and not all(keyed):
            raise GoError("%s: mixed keyed and positional struct fields" % where)
        if not any(keyed) and elements and len(elements) != len(struct_type.fields):
            raise GoError("%s: a positional struct literal needs every field" % where)
        for position, (key, value) in enumerate(elements):
            if key is None:
                field = struct_type.fields[position]
            else:
                if key[0] != "name" or key[2] not in by_name:
                    type_name = struct_type.name[1] if struct_type.name else "the struct"
                    field_name = key[2] if key[0] == "name" else "?"
                    raise GoError("%s: %s has no field %s" % (where, type_name, field_name))
                field = by_name[key[2]]
            if field.name in fields:
                raise GoError("%s: field %s set twice" % (where, field.name))
            fields[field.name] = self.eval(value, field.type)
        return GoStruct(struct_type.name, struct_type, fields)


# -- JSON, as Go's encoding/json writes it ---------------------------------------------


def _is_empty(value):
    # encoding/json's omitempty: false, 0, "", nil, and empty slices and maps; never a struct.
    if isinstance(value, GoStruct):
        return False
    if value is None or value is False:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    return isinstance(value, (str, list, dict)) and len(value) == 0


def to_json(value):
    """The JSON-shaped value (dicts, lists, scalars) encoding/json would write for ``value``."""
    if isinstance(value, GoStruct):
        out = {}
        for field in value.struct_type.fields:
            json_name, omitempty, inline, skipped = field.json_tag()
            if skipped or not field.name[:1].isupper():
                continue
            item = value.get(field.name)
            if inline and isinstance(item, GoStruct):
                out.update(to_json(item))
                continue
            if omitempty and _is_empty(item):
                continue
            out[json_name] = to_json(item)
        return out
    if isinstance(value, dict):
        return dict((str(key), to_json(item)) for key, item in value.items())
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, Closure):
        raise GoError("a function value cannot be written as JSON")
    return value
