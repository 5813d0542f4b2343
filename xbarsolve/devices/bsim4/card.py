"""Reading SPICE text into BSIM4 records: ``.model`` cards and MOSFET instances.

Public functions
----------------
* :func:`read_model_cards` -- every BSIM4 (level 14/54) MOSFET card of a text;
* :func:`read_model_card` -- the one NMOS card of a text or file (or the one named);
* :func:`select_bin` -- the card of a binned model set (``nch.1``, ``nch.2``, ...) that
  ngspice would pick for an instance size;
* :func:`read_instances`, :func:`read_instance` -- ``M`` lines as :class:`InstanceParameters`;
  :meth:`InstanceParameters.from_keywords` builds one from Python keywords;
* :func:`parse_number` -- one SPICE number, strictly;
* :func:`logical_lines` -- SPICE text to statements (comments dropped, ``+`` lines joined),
  with the physical line of every token.

SPICE syntax as ngspice 39 reads it (measured)
----------------------------------------------
* Names and keywords are case-insensitive.  Fields are separated by blanks,
  commas, ``=`` and parentheses.
* A line whose first non-blank character is ``*`` is a comment; ``;`` and
  ``//`` start an end-of-line comment anywhere, ``$`` only at the start of
  a line or after a blank (``.model n$x`` names the model ``n$x``).
* A line whose first non-blank character is ``+`` continues the statement
  before it, also across blank and comment lines.
* Numbers: ``1``, ``-0.4``, ``.5``, ``2.``, ``1e-5``, ``2.5k``, ``1meg``,
  ``3mil``, ``10u``, ``1uF``, ``10ohm``: a scale factor (T G MEG K MIL M U N
  P F; ``M`` is milli) and then unit letters, which are ignored.

Strictness (where ngspice is lenient, this reader refuses)
---------------------------------------------------------
ngspice reads ``1e`` as 1, ``1e400`` as inf, ``1.5.3`` as 1.5, ``2a`` as 2
(HSPICE: 2e-18), a repeated parameter as its last value, an unknown
parameter as a warning, and ignores LMIN...WMAX on a single card.  Here
each of these is a :class:`CardError` (a ValueError) naming the line and
the parameter, as are a PMOS card where an NMOS one is needed, a non-BSIM4
level, a selector value outside the catalog's allowed values, a missing
``.model``, ``NAME VALUE`` without ``=``, expressions (``{...}``, quotes)
and non-positive or out-of-range W, L.  Wrong argument types are TypeErrors.
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
from decimal import Context, Decimal
from types import MappingProxyType

from . import parameters as catalog
from .parameters import (ByMobmod, ByVersion, Computed, Parameter, SameAs, SharedSourceDrain)

__all__ = ["CardError", "Token", "Statement", "ModelCard", "InstanceParameters", "parse_number",
           "logical_lines", "read_model_cards", "read_model_card", "select_bin", "read_instances",
           "read_instance", "normalise_version", "DEFAULT_VERSION", "BIN_TOLERANCE"]

#: BSIM4 version ngspice 39 runs when a card gives none (its newest code reports 4.8.2).
DEFAULT_VERSION = "4.8.2"
#: ngspice's tolerance when it compares W and L with a bin's LMIN...WMAX (measured: 1 nm).
BIN_TOLERANCE = 1e-9


class CardError(ValueError):
    """A SPICE text that cannot be read as asked; says where (source, line) and what (parameter)."""

    def __init__(self, message: str, *, line: int | None = None, parameter: str | None = None,
                 source: str | None = None):
        where = []
        if source:
            where.append(str(source))
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
        self.line, self.parameter, self.source = line, parameter, source


# ============================================================================= numbers
_SCALE = {"t": "1e12", "g": "1e9", "meg": "1e6", "k": "1e3", "mil": "25.4e-6", "m": "1e-3",
          "u": "1e-6", "n": "1e-9", "p": "1e-12", "f": "1e-15"}
_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:(e)([+-]?\d+))?((?:meg|mil|[tgkmunpf])?)([a-z]*)",
                     re.IGNORECASE)


def parse_number(text: str, *, what: str = "value") -> float:
    """A SPICE number (``10u``, ``2.5k``, ``1meg``, ``3mil``, ``1e-5``, ``1uF``) as a float.

    Scale factors (case-insensitive): T G MEG K MIL M U N P F (``M`` is
    milli, ``MEG`` mega); letters after the number or scale factor are unit
    letters and are ignored, as in SPICE.  The value is the decimal number
    rounded once to the nearest float (``120u`` is exactly the float
    ``120e-6``).  ``what`` names the value in error messages.

    Raises ValueError for anything else, and where SPICE programs differ or
    would silently lose the value: ``1e`` (an exponent without digits),
    ``1e400`` (overflow), ``1e-400`` (underflow to 0), ``2a`` (``a`` is atto
    in HSPICE but an ignored unit letter in ngspice), ``1.5.3``, ``1d3``,
    ``inf``, ``nan``.  TypeError if ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"{what}: a SPICE number must be given as text (str), got {type(text).__name__}")
    s = text.strip()
    m = _NUMBER.fullmatch(s)
    if m is None:
        raise ValueError(f"{what}: not a SPICE number: {text!r}")
    mantissa, e, exponent, scale, unit = m.groups()
    if unit[:1].lower() == "e" and not scale:
        raise ValueError(f"{what}: {text!r} has an exponent without digits" if not e else
                         f"{what}: not a SPICE number: {text!r}")
    if unit[:1].lower() == "a" and not scale:
        raise ValueError(f"{what}: {text!r} is ambiguous: 'a' is atto (1e-18) in HSPICE but an ignored "
                         "unit letter in ngspice (which reads it as "
                         f"{mantissa}{'e' + exponent if e else ''}); write the exponent instead")
    digits = Decimal(mantissa)
    power = int(exponent or 0)
    if digits != 0 and abs(power) > 1000:  # far outside any float: decide without arithmetic
        raise ValueError(f"{what}: {text!r} {'overflows' if power > 0 else 'underflows'} a float")
    context = Context(prec=len(mantissa) + 40)
    value = context.multiply(digits.scaleb(power, context), Decimal(_SCALE[scale.lower()])) if scale \
        else digits.scaleb(power, context)
    result = float(value)
    if math.isinf(result):
        raise ValueError(f"{what}: {text!r} overflows a float (largest about 1.8e308)")
    if value != 0 and abs(result) < 2.2250738585072014e-308:
        raise ValueError(f"{what}: {text!r} underflows a float (smallest normal about 2.2e-308)")
    return result


# ============================================================================= tokens and statements
@dataclasses.dataclass(frozen=True)
class Token:
    """One field of a statement: its text, kind ("word", "=", "(", ")", "expr") and physical line."""
    text: str
    kind: str
    line: int


@dataclasses.dataclass(frozen=True)
class Statement:
    """A logical line: its tokens (continuations joined) and the physical line it starts on."""
    tokens: tuple
    line: int

    @property
    def keyword(self) -> str:
        return self.tokens[0].text.lower() if self.tokens else ""


_TOKEN = re.compile(r"\{[^}]*\}?|'[^']*'?|\"[^\"]*\"?|[=()]|[^\s=(),]+")


def _strip_comment(line: str) -> str:
    """The part of a physical line before its end-of-line comment (``;``, ``//``, blank+``$``)."""
    cut = len(line)
    for marker in (";", "//"):
        k = line.find(marker)
        if k >= 0:
            cut = min(cut, k)
    for m in re.finditer(r"\$", line):
        k = m.start()
        if k == 0 or line[k - 1].isspace():
            cut = min(cut, k)
            break
    return line[:cut]


def _tokens(text: str, line: int) -> list:
    out = []
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        kind = t if t in "=()" else ("expr" if t[0] in "{'\"" else "word")
        out.append(Token(t, kind, line))
    return out


def logical_lines(text: str, *, source: str | None = None) -> list:
    """SPICE text -> list of :class:`Statement` (comments dropped, ``+`` continuations joined).

    Physical lines are numbered from 1; each token keeps its own line, so a
    parameter on a continuation line is reported where it is written.
    Raises CardError for a continuation line with nothing before it.
    """
    if not isinstance(text, str):
        raise TypeError(f"SPICE text must be a str, got {type(text).__name__}")
    statements = []  # list of [tokens, line]
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.lstrip()
        if not stripped or stripped.startswith("*"):
            continue
        body = _strip_comment(raw)
        lead = body.lstrip()
        if lead.startswith("+"):
            if not statements:
                raise CardError("continuation line ('+') with no statement before it to continue",
                                line=number, source=source)
            statements[-1][0].extend(_tokens(lead[1:], number))
            continue
        toks = _tokens(body, number)
        if toks:
            statements.append([toks, number])
    return [Statement(tuple(t), n) for t, n in statements]


# ============================================================================= versions
_VERSION = re.compile(r"4\.([0-8])(?:\.(\d+)|(\d+))?")


def normalise_version(text: str, *, source: str | None = None, line: int | None = None) -> str:
    """A card's VERSION text -> "4.M.P" (``4.0`` -> 4.0.0, ``4.80`` -> 4.8.0, ``4.6.5`` -> 4.6.5).

    Accepts what ngspice 39 runs: 4.0 to 4.8 (its codes match the version by
    prefix), optionally quoted.  Anything else is a CardError.
    """
    raw = text.strip().strip("'\"")
    m = _VERSION.fullmatch(raw)
    if m is None:
        raise CardError(f"VERSION = {text} is not a BSIM4 version ngspice 39 provides "
                        "(4.0 ... 4.8, e.g. 4.5, 4.6.5, 4.80)", line=line, parameter="version",
                        source=source)
    minor, patch_dotted, patch_digits = m.groups()
    return f"4.{minor}.{int(patch_dotted or patch_digits or 0)}"


# ============================================================================= model cards
@dataclasses.dataclass(frozen=True, eq=True)
class ModelCard:
    """One BSIM4 ``.model`` card as written.

    Attributes
    ----------
    name : the model name as written (SPICE compares names case-insensitively).
    device_type : "nmos" or "pmos".
    level : 14 or 54.
    version_text : VERSION as written (quotes removed), or None when not given.
    version : normalised "4.M.P"; :data:`DEFAULT_VERSION` when not given.
    parameters : {canonical lower-case name: value} of every parameter the card
        gives, binned names included (``lvth0``), LEVEL and VERSION excluded;
        values in the card's units (see the catalog), as floats.
    lines : {canonical name: physical line} where each was given (LEVEL and
        VERSION included).
    source : the file it was read from, or the label passed as ``source``.
    section : the ``.lib`` section the card is in, or None.
    line : the line of the ``.model`` statement.
    """
    name: str
    device_type: str
    level: int
    version_text: str | None
    version: str
    parameters: MappingProxyType
    lines: MappingProxyType
    source: str | None = None
    section: str | None = None
    line: int | None = None

    # ------------------------------------------------------------------ queries
    @staticmethod
    def _canonical(name: str) -> tuple:
        """name -> (canonical key, Parameter, prefix); KeyError with suggestions if unknown."""
        low = str(name).lower()
        if low in ("level", "version"):
            return low, catalog.model_parameter(low), ""
        found = catalog.lookup(low)
        if found is None:
            hint = catalog.suggest(low)
            raise KeyError(f"{name!r} is not a BSIM4 model parameter"
                           + (f" (did you mean {', '.join(h.upper() for h in hint)}?)" if hint else ""))
        p, prefix = found
        return prefix + p.name, p, prefix

    def given(self, name: str) -> bool:
        """Whether the card gives parameter ``name`` (any case, alias, or binned name)."""
        key, _p, _prefix = self._canonical(name)
        if key == "version":
            return self.version_text is not None
        return key in self.lines

    def get(self, name: str):
        """The value of ``name``: as given, else its default (rules resolved), else None.

        Binned coefficients (``lvth0``) default to 0 unless a rule says
        otherwise (``lagisl`` follows ``lagidl``).  None means the model
        computes the value (e.g. VTH0, K1, VFB: :class:`~.parameters.Computed`).
        ``get("level")`` is the level, ``get("version")`` the normalised version.
        """
        key, p, prefix = self._canonical(name)
        if key == "level":
            return float(self.level)
        if key == "version":
            return self.version
        if key in self.parameters and not isinstance(p.default, SharedSourceDrain):
            return self.parameters[key]
        return self._default(p, prefix)

    def _default(self, p: Parameter, prefix: str):
        d = p.default
        if isinstance(d, SharedSourceDrain):
            return self._shared_source_drain(p, d, prefix)
        if prefix:
            if isinstance(d, SameAs) and d.binned:
                return self.get(prefix + d.source)
            return 0.0
        if isinstance(d, float) or d is None:
            return d
        if isinstance(d, SameAs):
            return self.get(d.source)
        if isinstance(d, ByMobmod):
            return d.value(int(self.get("mobmod")))
        if isinstance(d, ByVersion):
            return d.value(self.version)
        if isinstance(d, Computed):
            return d.resolve(self) if d.resolve is not None else None
        raise TypeError(f"unknown default rule {d!r} of {p.name}")  # pragma: no cover

    def _shared_source_drain(self, p: Parameter, d: SharedSourceDrain, prefix: str) -> float:
        """AIGS/AIGD (B.., C..) versus AIGSD, as ngspice 39 resolves them (measured)."""
        own = prefix + p.name
        if not prefix:
            if d.joint in self.parameters:
                return self.parameters[d.joint]
            return self.parameters.get(own, d.value)
        if p.name in self.parameters or d.partner in self.parameters:
            return self.parameters.get(own, 0.0)
        return self.parameters.get(prefix + d.joint, 0.0)

    def line_of(self, name: str) -> int | None:
        """The physical line where ``name`` is given (None if not given)."""
        return self.lines.get(self._canonical(name)[0])

    @property
    def ngspice_code(self) -> str:
        """The ngspice 39 BSIM4 code that runs this card ("BSIM4v5" for 4.0-4.5, ...)."""
        return catalog.ngspice_code(self.version)

    def ignored_by_ngspice(self) -> tuple:
        """Given parameters that ngspice's code for this card's version does not know.

        ngspice warns "unrecognized parameter - ignored" for each and runs
        without it (e.g. AGISL on a 4.5 card: GISL then uses the GIDL
        parameters).  Names in canonical form, in card order.
        """
        out = []
        for key in self.parameters:
            p, _prefix = catalog.lookup(key)
            if not p.known_to(self.version):
                out.append(key)
        return tuple(out)

    def __hash__(self) -> int:
        return hash((self.name, self.device_type, self.level, self.version, self.source, self.section,
                     tuple(self.parameters.items())))

    def __repr__(self) -> str:
        return (f"ModelCard({self.name!r}, {self.device_type}, level={self.level}, version={self.version}, "
                f"{len(self.parameters)} parameters, source={self.source!r})")


def _model_statement_header(st: Statement, source):
    """(name, type) of a ``.model`` statement; CardError if incomplete."""
    if len(st.tokens) < 3 or st.tokens[1].kind != "word" or st.tokens[2].kind != "word":
        raise CardError(".model needs a name and a type (.model NAME nmos level=54 ...)", line=st.line,
                        source=source)
    return st.tokens[1].text, st.tokens[2].text.lower()


def _pairs(tokens, *, source, context: str) -> list:
    """NAME = VALUE token pairs -> [(name Token, value Token)]; CardError on anything else."""
    depth, out, k = 0, [], 0
    while k < len(tokens):
        t = tokens[k]
        if t.kind == "(":
            depth += 1
            k += 1
            continue
        if t.kind == ")":
            depth -= 1
            if depth < 0:
                raise CardError(f"unbalanced ')' in {context}", line=t.line, source=source)
            k += 1
            continue
        if t.kind != "word":
            raise CardError(f"expected NAME=VALUE in {context}, got {t.text!r}", line=t.line, source=source)
        if k + 1 >= len(tokens) or tokens[k + 1].kind != "=":
            raise CardError(f"expected NAME=VALUE in {context}, got {t.text!r} without '='", line=t.line,
                            parameter=t.text.lower(), source=source)
        if k + 2 >= len(tokens):
            raise CardError(f"{t.text.upper()} = has no value in {context}", line=t.line,
                            parameter=t.text.lower(), source=source)
        value = tokens[k + 2]
        quoted_version = t.text.lower() == "version" and value.text[:1] in "'\"" and len(value.text) > 1 \
            and value.text[-1] == value.text[0]
        if value.kind == "expr" and not quoted_version:
            raise CardError(f"{t.text.upper()} = {value.text}: expressions and parameters are not "
                            "supported; give a number", line=value.line, parameter=t.text.lower(),
                            source=source)
        if value.kind not in ("word", "expr"):
            raise CardError(f"{t.text.upper()} = has no value in {context}", line=t.line,
                            parameter=t.text.lower(), source=source)
        out.append((t, value))
        k += 3
    if depth != 0:
        raise CardError(f"unbalanced '(' in {context}", line=tokens[-1].line if tokens else None,
                        source=source)
    return out


def _check_selector(p: Parameter, value: float, version: str, *, line, source, context: str) -> None:
    allowed = p.allowed_for(version)
    if value not in allowed:
        listed = ", ".join(f"{a:g}" for a in allowed)
        newer = "" if value not in p.allowed else (
            f" in BSIM4 {version} (ngspice's {catalog.ngspice_code(version)} code resets it with a warning; "
            "newer versions have it)")
        raise CardError(f"{p.name.upper()} = {value:g} is not an allowed value{newer} in {context} "
                        f"(allowed: {listed})", line=line, parameter=p.name, source=source)


#: model parameters the manual declares fatal when not positive (checked on the card's values)
_POSITIVE = ("toxe", "toxp", "toxm", "toxref", "eot", "nsd")
#: model parameters the manual declares fatal when negative
_NON_NEGATIVE = ("pditsl",)


def _model_card(st: Statement, *, source, section) -> ModelCard:
    name, mtype = _model_statement_header(st, source)
    context = f".model {name}"
    pairs = _pairs(list(st.tokens[3:]), source=source, context=context)
    params, lines = {}, {}
    level, version_text = None, None
    # the level first: a card of another model has other parameter names
    level_pairs = [(k, v) for k, v in pairs if k.text.lower() == "level"]
    if not level_pairs:
        raise CardError(f"{context} {mtype} gives no LEVEL: ngspice then reads it as a level-1 MOSFET; "
                        "a BSIM4 card needs level=54 (or 14)", line=st.line, parameter="level",
                        source=source)
    key_tok, value_tok = level_pairs[0]
    try:
        level = parse_number(value_tok.text, what=f"LEVEL in {context}")
    except ValueError as exc:
        raise CardError(str(exc), line=value_tok.line, parameter="level", source=source) from None
    if level not in (14.0, 54.0):
        raise CardError(f"{context} has level={level:g}: not a BSIM4 card (BSIM4 is level 54 or 14)",
                        line=key_tok.line, parameter="level", source=source)
    for key_tok, value_tok in pairs:
        raw = key_tok.text.lower()
        if raw == "version":
            canonical = "version"
        elif raw == "level":
            canonical = "level"
        else:
            found = catalog.lookup(raw)
            if found is None:
                hint = catalog.suggest(raw)
                raise CardError(f"unknown BSIM4 parameter {key_tok.text.upper()} in {context}"
                                + (f" (did you mean {', '.join(h.upper() for h in hint)}?)" if hint else ""),
                                line=key_tok.line, parameter=raw, source=source)
            p, prefix = found
            canonical = prefix + p.name
        if canonical in lines:
            first = lines[canonical]
            raise CardError(f"{canonical.upper()} given twice in {context}: line {first} and line "
                            f"{key_tok.line}" + (f" (as {key_tok.text.upper()})" if raw != canonical else ""),
                            line=key_tok.line, parameter=canonical, source=source)
        lines[canonical] = key_tok.line
        if canonical == "version":
            version_text = value_tok.text.strip("'\"")
            normalise_version(value_tok.text, source=source, line=value_tok.line)
            continue
        try:
            value = parse_number(value_tok.text, what=f"{canonical.upper()} in {context}")
        except ValueError as exc:
            raise CardError(str(exc), line=value_tok.line, parameter=canonical, source=source) from None
        if canonical == "level":
            continue
        params[canonical] = value
    version = normalise_version(version_text, source=source) if version_text is not None else DEFAULT_VERSION
    for key, value in params.items():
        p, prefix = catalog.lookup(key)
        if not prefix and p.allowed is not None:
            _check_selector(p, value, version, line=lines[key], source=source, context=context)
    for key in _POSITIVE:
        if key in params and not params[key] > 0.0:
            raise CardError(f"{key.upper()} = {params[key]:g} in {context} must be positive",
                            line=lines[key], parameter=key, source=source)
    for key in _NON_NEGATIVE:
        if key in params and params[key] < 0.0:
            raise CardError(f"{key.upper()} = {params[key]:g} in {context} must not be negative",
                            line=lines[key], parameter=key, source=source)
    if "pmos" in params or mtype == "pmos":
        device_type = "pmos"
    else:
        device_type = "nmos"
    return ModelCard(name=name, device_type=device_type, level=int(level), version_text=version_text,
                     version=version, parameters=MappingProxyType(params), lines=MappingProxyType(lines),
                     source=source, section=section, line=st.line)


@dataclasses.dataclass(frozen=True)
class _ModelStatement:
    """A ``.model`` statement before it is read as BSIM4 (for choosing and for error messages)."""
    statement: Statement
    name: str
    mtype: str
    level: str | None   # as written
    section: str | None


def _scan_models(statements, source) -> list:
    """Every ``.model`` statement with its name, type, level text and ``.lib`` section."""
    found, section = [], None
    for st in statements:
        kw = st.keyword
        if kw == ".lib" and len(st.tokens) == 2:
            section = st.tokens[1].text
            continue
        if kw in (".endl",):
            section = None
            continue
        if kw != ".model":
            continue
        name, mtype = _model_statement_header(st, source)
        level = None
        toks = st.tokens
        for k in range(3, len(toks) - 2):
            if toks[k].kind == "word" and toks[k].text.lower() == "level" and toks[k + 1].kind == "=":
                level = toks[k + 2].text
                break
        found.append(_ModelStatement(st, name, mtype, level, section))
    return found


def _is_bsim4_mos(ms: _ModelStatement) -> bool:
    if ms.mtype not in ("nmos", "pmos") or ms.level is None:
        return False
    try:
        return parse_number(ms.level) in (14.0, 54.0)
    except ValueError:
        return True  # let the reader report the bad level


def _read_text(text_or_path, source):
    """(text, source label) from a str of SPICE text, a path (str or PathLike) to a file."""
    if isinstance(text_or_path, os.PathLike):
        path = os.fspath(text_or_path)
        with open(path, encoding="utf-8") as fh:
            return fh.read(), source or str(path)
    if isinstance(text_or_path, str):
        looks_like_path = "\n" not in text_or_path and "=" not in text_or_path and text_or_path.strip()
        if looks_like_path and len(text_or_path) < 4096 and os.path.isfile(text_or_path):
            with open(text_or_path, encoding="utf-8") as fh:
                return fh.read(), source or text_or_path
        return text_or_path, source
    raise TypeError("expected SPICE text (str) or a path (str or os.PathLike) to a card file, got "
                    f"{type(text_or_path).__name__}"
                    + (" (decode bytes first, e.g. data.decode('utf-8'))" if isinstance(text_or_path, (bytes, bytearray)) else ""))


def format_model_card(header: str, items) -> str:
    """A ``.model`` card as SPICE text: ``header`` (``.model NAME nmos``) followed by the
    ``(name, value text)`` pairs of ``items``, wrapped at 78 columns with ``+`` continuations."""
    lines, line = [], header
    for key, value in items:
        item = f" {key}={value}"
        if len(line) + len(item) > 78:
            lines.append(line)
            line = "+"
        line += item
    lines.append(line)
    return "\n".join(lines) + "\n"


def read_model_cards(text, *, source: str | None = None) -> tuple:
    """Every BSIM4 MOSFET card (NMOS and PMOS, level 54 or 14) in SPICE text, in order.

    ``text`` is SPICE text (a card, a library, a netlist); ``source`` labels
    it in error messages and in :attr:`ModelCard.source`.  Other ``.model``
    cards (diodes, other MOSFET levels) are skipped.  Two BSIM4 cards of the
    same name in the same ``.lib`` section are an error.  Raises CardError
    (a ValueError) for any card that cannot be read as written, TypeError
    if ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"read_model_cards needs SPICE text (str), got {type(text).__name__}")
    statements = logical_lines(text, source=source)
    cards, seen = [], {}
    for ms in _scan_models(statements, source):
        if not _is_bsim4_mos(ms):
            continue
        card = _model_card(ms.statement, source=source, section=ms.section)
        key = (card.name.lower(), (card.section or "").lower())
        if key in seen:
            raise CardError(f"two .model cards named {card.name}"
                            + (f" in .lib section {card.section}" if card.section else "")
                            + f": lines {seen[key]} and {card.line}", line=card.line, source=source)
        seen[key] = card.line
        cards.append(card)
    return tuple(cards)


def read_model_card(text_or_path, name: str | None = None, *, section: str | None = None,
                    source: str | None = None) -> ModelCard:
    """The one BSIM4 NMOS card of a text or file, or the card called ``name``.

    ``text_or_path``: SPICE text, or the path of a file holding it (a
    ``str`` path is recognised when such a file exists).  ``name`` picks a
    card by name (case-insensitive); without it the text must hold exactly
    one NMOS card.  ``section`` picks a ``.lib`` section when cards repeat
    in several.  Raises CardError (ValueError) when there is no ``.model``,
    no NMOS card, several candidates, the card is PMOS, not BSIM4, or
    unreadable; TypeError for other argument types; OSError when the file
    cannot be read.
    """
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str (the model name), got {type(name).__name__}")
    text, source = _read_text(text_or_path, source)
    statements = logical_lines(text, source=source)
    models = _scan_models(statements, source)
    if section is not None:
        models = [m for m in models if (m.section or "").lower() == section.lower()]
    if not models:
        raise CardError("no .model card found" + (f" in .lib section {section}" if section else "")
                        + (" (if this was meant as a file path: no such file)"
                           if "\n" not in text and len(text) < 4096 and not text.lstrip().startswith(".")
                           else ""), source=source)
    if name is not None:
        chosen = [m for m in models if m.name.lower() == name.lower()]
        if not chosen:
            bins = [m.name for m in models if m.name.lower().startswith(name.lower() + ".")]
            if bins:
                raise CardError(f"{name} is a binned model set ({', '.join(bins)}): read the cards with "
                                "read_model_cards and choose one with select_bin(cards, name, w=, l=)",
                                source=source)
            raise CardError(f"no .model card named {name} (cards: {', '.join(m.name for m in models)})",
                            source=source)
    else:
        nmos = [m for m in models if m.mtype == "nmos"]
        chosen = [m for m in nmos if _is_bsim4_mos(m)] or nmos
        if not chosen:
            kinds = ", ".join(f"{m.name} ({m.mtype})" for m in models)
            if any(m.mtype == "pmos" for m in models):
                raise CardError(f"only PMOS cards found ({kinds}): xbarsolve's BSIM4 models NMOS "
                                "transistors", source=source)
            raise CardError(f"no NMOS .model card found (cards: {kinds})", source=source)
    if len(chosen) > 1:
        where = ", ".join(f"{m.name} (line {m.statement.line}"
                          + (f", .lib {m.section}" if m.section else "") + ")" for m in chosen)
        raise CardError(f"{len(chosen)} candidate cards: {where}; choose one with name="
                        + (" and section=" if len({m.section for m in chosen}) > 1 else ""), source=source)
    ms = chosen[0]
    if ms.mtype == "pmos":
        raise CardError(f".model {ms.name} is a PMOS card: xbarsolve's BSIM4 models NMOS transistors",
                        line=ms.statement.line, source=source)
    if ms.mtype != "nmos":
        raise CardError(f".model {ms.name} has type {ms.mtype!r}, not an NMOS MOSFET card",
                        line=ms.statement.line, source=source)
    card = _model_card(ms.statement, source=source, section=ms.section)
    if card.device_type == "pmos":
        raise CardError(f".model {ms.name} sets PMOS=1: xbarsolve's BSIM4 models NMOS transistors",
                        line=card.lines.get("pmos"), parameter="pmos", source=source)
    return card


def select_bin(cards, name: str, *, w: float, l: float, nf: float = 1.0, wnflag: int = 0) -> ModelCard:
    """The card of binned model set ``name`` (cards ``name.1``, ``name.2``, ...) for an instance size.

    As ngspice 39 selects (measured): the first card, in order, whose
    LMIN - 1 nm <= L <= LMAX + 1 nm and WMIN - 1 nm <= W' <= WMAX + 1 nm,
    with W' = W, or W / NF when ``wnflag`` = 1; every card of the set must
    give all four range parameters (ngspice ignores the set otherwise).
    ``w``, ``l`` in metres.  CardError when no card fits.
    """
    members = [c for c in cards if c.name.lower().startswith(name.lower() + ".")]
    if not members:
        raise CardError(f"no binned model set {name} ({name}.1, {name}.2, ...) among the cards")
    width = float(w) / float(nf) if wnflag else float(w)
    for card in members:
        missing = [k for k in ("lmin", "lmax", "wmin", "wmax") if not card.given(k)]
        if missing:
            raise CardError(f"binned card {card.name} gives no {', '.join(m.upper() for m in missing)}: "
                            "ngspice cannot select it", line=card.line, source=card.source)
    for card in members:
        if (card.get("lmin") - BIN_TOLERANCE <= l <= card.get("lmax") + BIN_TOLERANCE and
                card.get("wmin") - BIN_TOLERANCE <= width <= card.get("wmax") + BIN_TOLERANCE):
            return card
    raise CardError(f"no card of binned model set {name} covers L = {l:g} m, "
                    f"W{'/NF' if wnflag else ''} = {width:g} m "
                    f"(bins: {', '.join(c.name for c in members)})")


# ============================================================================= instances
@dataclasses.dataclass(frozen=True)
class InstanceParameters:
    """A BSIM4 MOSFET instance: the parameters an ``M`` line (or the caller) gives.

    Attributes
    ----------
    parameters : {canonical lower-case name: value} of the given parameters
        (OFF as 1.0); SI units (m, m^2, ohm, V).
    element : the element name (``M1``) when read from a line, else None.
    nodes : (drain, gate, source, bulk) node names when read from a line.
    model : the model name the line uses, or None.
    line : the physical line of the ``M`` statement, or None.
    lines : {canonical name: physical line} for parameters read from text.
    source : label of the text it was read from.

    ``given(name)`` says whether a parameter was given; ``get(name, card)``
    gives its value or default (model-level defaults such as RBDB come from
    ``card``).  Attributes ``w``, ``l``, ``nf``, ``m`` give the values used
    (ngspice's BSIM4 defaults W = L = 5 um when not given, measured).
    """
    parameters: MappingProxyType
    element: str | None = None
    nodes: tuple | None = None
    model: str | None = None
    line: int | None = None
    lines: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    source: str | None = None

    def __hash__(self) -> int:
        return hash((self.element, self.model, self.line, self.source, tuple(self.parameters.items())))

    def __post_init__(self):
        for key, value in self.parameters.items():
            _check_instance_value(catalog.instance_parameter(key), value, line=self.lines.get(key),
                                  source=self.source)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_keywords(cls, **kwargs) -> "InstanceParameters":
        """Instance parameters from Python keywords (``w=1e-6, l=45e-9, nf=2, nrs=1``), SI units.

        Names are case-insensitive and may be aliases (``delvt0``); ``off`` is
        a bool.  Values must be real numbers.  Raises ValueError for an
        unknown name (with suggestions) or an invalid value, TypeError for a
        non-numeric value.
        """
        params = {}
        for raw, value in kwargs.items():
            p = catalog.lookup_instance(raw)
            if p is None:
                hint = catalog.suggest(raw, instance=True)
                raise ValueError(f"unknown BSIM4 instance parameter {raw!r}"
                                 + (f" (did you mean {', '.join(hint)}?)" if hint else ""))
            if p.name in params:
                raise ValueError(f"instance parameter {p.name.upper()} given twice (as {raw})")
            if isinstance(value, bool):
                if p.name != "off":
                    raise TypeError(f"instance parameter {p.name.upper()} must be a number, got a bool")
                value = float(value)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"instance parameter {p.name.upper()} must be a real number, got "
                                f"{type(value).__name__}") from None
            if isinstance(value, complex):  # pragma: no cover - float() refuses complex already
                raise TypeError(f"instance parameter {p.name.upper()} must be real")
            params[p.name] = number
        return cls(parameters=MappingProxyType(params))

    # ------------------------------------------------------------------ queries
    def given(self, name: str) -> bool:
        p = catalog.lookup_instance(name)
        if p is None:
            raise KeyError(f"{name!r} is not a BSIM4 instance parameter")
        return p.name in self.parameters

    def get(self, name: str, card: ModelCard | None = None):
        """Value of instance parameter ``name``: given, else its default.

        Defaults that are the card's value (RBDB, GEOMOD, XGW, NGCON, ...)
        or follow from it (RGEOMOD) need ``card``; computed ones (AS, AD, PS,
        PD, NRS, NRD, SCA, SCB, SCC) are None when not given -- the model
        computes them.
        """
        p = catalog.lookup_instance(name)
        if p is None:
            raise KeyError(f"{name!r} is not a BSIM4 instance parameter")
        if p.name in self.parameters:
            return self.parameters[p.name]
        d = p.default
        if isinstance(d, SameAs):
            if card is None:
                raise ValueError(f"the default of instance parameter {p.name.upper()} is the card's "
                                 f"{d.source.upper()}: pass card=")
            return card.get(d.source)
        if isinstance(d, Computed):
            if d.resolve is None:
                return None
            if card is None:
                raise ValueError(f"the default of instance parameter {p.name.upper()} depends on the "
                                 "card: pass card=")
            return d.resolve(card)
        return d

    @property
    def w(self) -> float:
        """Drawn width, m (all fingers)."""
        return self.get("w")

    @property
    def l(self) -> float:  # noqa: E743 - SPICE's name
        """Drawn length, m."""
        return self.get("l")

    @property
    def nf(self) -> float:
        return self.get("nf")

    @property
    def m(self) -> float:
        return self.get("m")

    def check_range(self, card: ModelCard) -> None:
        """ValueError if W or L lies outside the card's WMIN...WMAX / LMIN...LMAX (when given).

        The comparison is ngspice's bin selection's (measured): within 1 nm,
        W compared as W/NF when WNFLAG = 1.  ngspice itself does not check a
        single card's range; a card extracted for other sizes is refused here.
        """
        width = self.w / self.nf if self.get("wnflag") else self.w
        for key, value, lo, hi in (("l", self.l, "lmin", "lmax"), ("w", width, "wmin", "wmax")):
            low, high = card.get(lo), card.get(hi)
            if card.given(lo) and value < low - BIN_TOLERANCE:
                raise CardError(f"{key.upper()} = {value:g} m is below {lo.upper()} = {low:g} m of card "
                                f"{card.name}", line=self.lines.get(key, self.line), parameter=key,
                                source=self.source or card.source)
            if card.given(hi) and value > high + BIN_TOLERANCE:
                raise CardError(f"{key.upper()} = {value:g} m is above {hi.upper()} = {high:g} m of card "
                                f"{card.name}", line=self.lines.get(key, self.line), parameter=key,
                                source=self.source or card.source)


def _check_instance_value(p: Parameter, value: float, *, line=None, source=None) -> None:
    """Refuse instance values the model cannot use (ValueError naming the parameter)."""
    def bad(msg):
        raise CardError(f"instance parameter {p.name.upper()} = {value:g} {msg}", line=line,
                        parameter=p.name, source=source)
    if not math.isfinite(value):
        bad("is not finite")
    if p.name in ("w", "l", "m") and not value > 0.0:
        bad("must be positive")
    if p.name == "nf" and (value < 1.0 or not float(value).is_integer()):
        bad("must be a whole number of fingers >= 1")
    if p.name in ("as", "ad", "ps", "pd", "nrs", "nrd", "sa", "sb", "sd", "sc", "sca", "scb", "scc") \
            and value < 0.0:
        bad("must not be negative")
    if p.name in ("rbdb", "rbsb", "rbpb", "rbps", "rbpd") and not value > 0.0:
        bad("must be positive")
    if p.allowed is not None and value not in p.allowed:
        bad(f"is not an allowed value (allowed: {', '.join(f'{a:g}' for a in p.allowed)})")


def _instance_from_statement(st: Statement, *, source) -> InstanceParameters:
    toks = st.tokens
    element = toks[0].text
    words = []
    k = 1
    while k < len(toks) and toks[k].kind == "word" and (k + 1 >= len(toks) or toks[k + 1].kind != "="):
        words.append(toks[k])
        k += 1
    flags = words[5:]  # after the four nodes and the model: only OFF
    if len(words) < 5:
        raise CardError(f"MOSFET {element} needs four nodes and a model name (M1 d g s b model ...)",
                        line=st.line, source=source)
    nodes = tuple(w.text for w in words[:4])
    model = words[4].text
    params, lines = {}, {}
    for flag in flags:
        if flag.text.lower() != "off":
            raise CardError(f"MOSFET {element}: unexpected {flag.text!r} after the model name (expected "
                            "NAME=VALUE or OFF)", line=flag.line, source=source)
        if "off" in params:
            raise CardError(f"MOSFET {element}: OFF given twice", line=flag.line, parameter="off",
                            source=source)
        params["off"], lines["off"] = 1.0, flag.line
    rest = list(toks[k:])
    # OFF may also follow the parameters
    while rest and rest[-1].kind == "word" and rest[-1].text.lower() == "off" and \
            (len(rest) < 2 or rest[-2].kind != "="):
        if "off" in params:
            raise CardError(f"MOSFET {element}: OFF given twice", line=rest[-1].line, parameter="off",
                            source=source)
        params["off"], lines["off"] = 1.0, rest[-1].line
        rest.pop()
    for j, t in enumerate(rest[:-1]):
        if t.kind == "word" and t.text.lower() == "ic" and rest[j + 1].kind == "=":
            raise CardError(f"MOSFET {element}: IC (initial conditions for a transient with UIC) has no "
                            "meaning for a DC operating point; remove it", line=t.line, parameter="ic",
                            source=source)
    for key_tok, value_tok in _pairs(rest, source=source, context=f"MOSFET {element}"):
        raw = key_tok.text.lower()
        p = catalog.lookup_instance(raw)
        if p is None:
            hint = catalog.suggest(raw, instance=True)
            raise CardError(f"unknown BSIM4 instance parameter {key_tok.text.upper()} on MOSFET {element}"
                            + (f" (did you mean {', '.join(h.upper() for h in hint)}?)" if hint else ""),
                            line=key_tok.line, parameter=raw, source=source)
        if p.name in params:
            raise CardError(f"{p.name.upper()} given twice on MOSFET {element}: line {lines[p.name]} and "
                            f"line {key_tok.line}", line=key_tok.line, parameter=p.name, source=source)
        try:
            value = parse_number(value_tok.text, what=f"{p.name.upper()} of MOSFET {element}")
        except ValueError as exc:
            raise CardError(str(exc), line=value_tok.line, parameter=p.name, source=source) from None
        params[p.name], lines[p.name] = value, key_tok.line
    return InstanceParameters(parameters=MappingProxyType(params), element=element, nodes=nodes,
                              model=model, line=st.line, lines=MappingProxyType(lines), source=source)


def read_instances(text, *, model: str | None = None, source: str | None = None) -> tuple:
    """Every MOSFET (``M``) line of SPICE text as :class:`InstanceParameters`, in order.

    ``model`` keeps only the lines using that model (case-insensitive; a
    binned set's base name matches its members' lines).  Raises CardError
    for unreadable lines, TypeError if ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"read_instances needs SPICE text (str), got {type(text).__name__}")
    out = []
    statements = logical_lines(text, source=source)
    title_line = next((n for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()), None)
    for st in statements:
        if not st.keyword.startswith("m") or st.tokens[0].kind != "word":
            continue
        try:
            inst = _instance_from_statement(st, source=source)
        except CardError:
            if st.line == title_line and len(statements) > 1:
                continue  # SPICE: the first line of a netlist is its title
            raise
        if model is None or inst.model.lower() == model.lower():
            out.append(inst)
    return tuple(out)


def read_instance(text, *, model: str | None = None, element: str | None = None,
                  source: str | None = None) -> InstanceParameters:
    """The one MOSFET line of ``text`` (or the one using ``model`` / called ``element``).

    ``text`` may be a single line (``M1 d g s b nch W=1u L=45n``).  Raises
    CardError when there is none or more than one candidate.
    """
    found = read_instances(text, model=model, source=source)
    if element is not None:
        found = tuple(i for i in found if i.element.lower() == element.lower())
    if not found:
        raise CardError("no MOSFET instance line (M...)"
                        + (f" using model {model}" if model else "")
                        + (f" named {element}" if element else ""), source=source)
    if len(found) > 1:
        raise CardError(f"{len(found)} MOSFET lines ({', '.join(i.element for i in found)}); choose one "
                        "with element= or model=", source=source)
    return found[0]
