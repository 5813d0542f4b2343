"""Reading BSIM4 cards and instance lines (xbarsolve.devices.bsim4.card).

* SPICE numbers, strictly (and a hypothesis round trip against Python's own
  correctly rounded float parser).
* The published PTM 45 nm HP and LP cards (validation/cards/) load with
  every parameter recognised, values and line numbers as written.
* Every documented error: a clear ValueError (CardError) naming the line
  and parameter, TypeError for wrong argument types.
* Instance lines and keyword instance parameters, range checks, binned
  model sets (ngspice's selection rule, measured).
* Hypothesis fuzzing: random valid cards round-trip; random junk and
  mutated cards raise nothing but ValueError/TypeError.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from xbarsolve.devices.bsim4 import parameters as P
from xbarsolve.devices.bsim4.card import (DEFAULT_VERSION, CardError, InstanceParameters, ModelCard,
                                          logical_lines, normalise_version, parse_number, read_instance,
                                          read_instances, read_model_card, read_model_cards, select_bin)
from xbarsolve.spice import parse_model_card

CARDS = os.path.join(os.path.dirname(__file__), "..", "validation", "cards")
HP = os.path.join(CARDS, "ptm45_hp.pm")
LP = os.path.join(CARDS, "ptm45_lp.pm")
needs_ngspice = pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")


def _nmos_pairs(path):
    """(name, value text, line) of every NAME = VALUE of the file's first (NMOS) card, by plain regex."""
    out, inside = [], False
    with open(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.lower().startswith(".model"):
                if inside:
                    break
                inside = True
            if inside:
                for name, value in re.findall(r"([A-Za-z][A-Za-z0-9]*)\s*=\s*(\S+)", raw):
                    out.append((name.lower(), value, number))
    return out


# =============================================================== numbers
@pytest.mark.parametrize("text,value", [
    ("1", 1.0), ("-0.4", -0.4), ("+3", 3.0), (".5", 0.5), ("2.", 2.0), ("1e-5", 1e-5), ("2.0E+3", 2e3),
    ("10u", 10e-6), ("10U", 10e-6), ("2.5k", 2.5e3), ("1meg", 1e6), ("1MEG", 1e6), ("1M", 1e-3),
    ("3mil", 76.2e-6), ("200n", 200e-9), ("5p", 5e-12), ("7f", 7e-15), ("1g", 1e9), ("2t", 2e12),
    ("1uF", 1e-6), ("10ohm", 10.0), ("4.7kohm", 4.7e3), ("1e3k", 1e6), ("3e-1k", 300.0),
    ("1MEGohm", 1e6), ("1ma", 1e-3), ("120u", 120e-6), ("-0", 0.0), ("3e-308", 3e-308),
    ("1.7976931348623157e308", 1.7976931348623157e308),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text,message", [
    ("", "not a SPICE number"), ("abc", "not a SPICE number"), ("1..2", "not a SPICE number"),
    ("k1", "not a SPICE number"), ("1.2.3", "not a SPICE number"), ("--1", "not a SPICE number"),
    ("1e5.5", "not a SPICE number"), ("1d3", "not a SPICE number"), ("inf", "not a SPICE number"),
    ("nan", "not a SPICE number"), ("1 2", "not a SPICE number"), ("0x10", "not a SPICE number"),
    ("1e", "exponent without digits"), ("1E", "exponent without digits"), ("1e5e", "not a SPICE number"),
    ("1e400", "overflows"), ("-1e309", "overflows"), ("2e308", "overflows"), ("1e99999999999", "overflows"),
    ("1e-400", "underflows"), ("1e-310", "underflows"), ("2a", "ambiguous"), ("1amp", "ambiguous"),
])
def test_parse_number_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_number(text)


@pytest.mark.parametrize("bad", [None, b"1", 1.0, 1, ["1"]])
def test_parse_number_type_error(bad):
    with pytest.raises(TypeError, match="must be given as text"):
        parse_number(bad)


_SUFFIX_EXP = {"t": 12, "g": 9, "meg": 6, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15, "": 0}


@given(digits=st.from_regex(r"[0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20}", fullmatch=True),
       sign=st.sampled_from(["", "-", "+"]), exponent=st.integers(-290, 290),
       suffix=st.sampled_from(sorted(_SUFFIX_EXP)), case=st.booleans(),
       unit=st.sampled_from(["", "V", "ohm", "F", "Hz", "s"]), with_exponent=st.booleans())
def test_parse_number_round_trip(digits, sign, exponent, suffix, case, unit, with_exponent):
    """Any SPICE number reads as its exact decimal value rounded once (Python's float() as oracle)."""
    if not suffix and unit[:1].lower() in ("f",):
        unit = "V"  # 'F' right after the number is the femto scale factor, not a unit
    text = f"{sign}{digits}" + (f"e{exponent}" if with_exponent else "") + (suffix.upper() if case else suffix) + unit
    oracle = f"{sign}{digits}e{(exponent if with_exponent else 0) + _SUFFIX_EXP[suffix]}"
    expected = float(oracle)
    assume(expected == 0.0 or 2.3e-308 < abs(expected) < 1.7e308)
    assume(Decimal(oracle) == 0 or expected != 0.0)
    assert parse_number(text) == expected


@given(x=st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v == 0 or abs(v) > 2.3e-308))
def test_parse_number_reads_repr_exactly(x):
    assert parse_number(repr(x)) == x


# =============================================================== published cards
@pytest.mark.parametrize("path,version,code", [(HP, "4.0.0", "BSIM4v5"), (LP, "4.5.0", "BSIM4v5")])
def test_ptm_cards_load_every_parameter(path, version, code):
    card = read_model_card(path)
    assert (card.name, card.device_type, card.level, card.version, card.ngspice_code) == \
           ("nmos", "nmos", 54, version, code)
    assert card.source == path
    pairs = _nmos_pairs(path)
    assert len(pairs) > 200
    for name, text, line in pairs:
        if name in ("level", "version"):
            assert card.line_of(name) == line
            continue
        assert card.get(name) == parse_number(text), name
        assert card.line_of(name) == line, name
        assert card.given(name)
    assert len(card.parameters) == len(pairs) - 2  # all but LEVEL and VERSION
    assert card.ignored_by_ngspice() == ()
    # both cards in the file, in order
    with open(path) as fh:
        both = read_model_cards(fh.read(), source="ptm")
    assert [(c.name, c.device_type) for c in both] == [("nmos", "nmos"), ("pmos", "pmos")]
    assert read_model_card(path, name="NMOS") == card


def test_card_defaults_and_rules():
    card = read_model_card(HP)
    assert card.get("xl") == -20e-9 and card.line_of("XL") == 17
    assert card.get("dlc") == card.get("lint") == 3.75e-9     # DLC -> LINT
    assert card.get("dwc") == card.get("wint") == 5e-9 and card.get("dwj") == 0.0  # DWC -> WINT; DWJ given
    assert card.get("toxm") == 1.25e-9 and card.get("toxp") == 1e-9
    assert card.get("ud") == 1e14                              # the 4.0-4.5 code's default
    assert card.get("ua") == 6e-10 and card.get("lua") == 0.0
    assert card.get("vth0") == card.get("VTHO") == 0.46893
    assert card.get("k1") == 0.4 and card.get("nsub") == 6e16  # given / plain default
    assert card.get("agisl") == card.get("agidl") == 2e-4      # GISL -> GIDL
    assert card.get("aigs") == card.get("aigsd") == 0.02       # AIGSD overrides AIGS
    assert card.get("aigd") == 0.02 and card.get("laigs") == 0.0
    assert card.get("level") == 54.0 and card.get("version") == "4.0.0"
    bare = read_model_card(".model n nmos level=54")
    assert bare.version == DEFAULT_VERSION and bare.version_text is None and not bare.given("version")
    assert bare.get("vth0") is None and bare.get("k1") is None  # computed by the model
    assert bare.get("ud") == 0.0 and bare.get("toxp") == 3e-9 and bare.get("toxm") == 3e-9
    assert bare.get("dsub") == 0.56 and bare.get("uc") == -0.0465e-9
    assert read_model_card(".model n nmos level=54 mobmod=1").get("uc") == -0.0465
    assert read_model_card(".model n nmos level=54 mobmod=2").get("ua") == 1e-15
    oxide = read_model_card(".model n nmos level=54 toxp=1n dtox=0.3n version=4.5")
    assert oxide.get("toxe") == pytest.approx(1.3e-9, rel=1e-15) and oxide.get("toxm") == 3e-9
    assert read_model_card(".model n nmos level=54 toxp=1n dtox=0.3n").get("toxm") == \
        pytest.approx(1.3e-9, rel=1e-15)
    gisl = read_model_card(".model n nmos level=54 lagidl=1e-5 agidl=2e-3 agisl=1e-3")
    assert (gisl.get("agisl"), gisl.get("lagisl"), gisl.get("wagisl")) == (1e-3, 1e-5, 0.0)
    igs = read_model_card(".model n nmos level=54 laigsd=2e-4 aigs=1e-3")
    assert (igs.get("aigs"), igs.get("laigs"), igs.get("aigd"), igs.get("laigd")) == (1e-3, 0.0, 0.0136, 0.0)
    igs2 = read_model_card(".model n nmos level=54 laigsd=2e-4 laigs=1e-4")
    assert (igs2.get("aigs"), igs2.get("laigs"), igs2.get("laigd")) == (0.0136, 2e-4, 2e-4)
    with pytest.raises(KeyError, match="did you mean"):
        card.get("vth00")


def test_ignored_by_ngspice_lists_names_the_version_lacks():
    card = read_model_card(".model n nmos level=54 version=4.5 agisl=1e-4 lagisl=1e-6 vth0=0.4 gidlmod=1")
    assert card.ignored_by_ngspice() == ("agisl", "lagisl", "gidlmod")
    assert read_model_card(".model n nmos level=54 version=4.8 agisl=1e-4").ignored_by_ngspice() == ()


@pytest.mark.parametrize("text,version", [("4.0", "4.0.0"), ("4.5.0", "4.5.0"), ("4.80", "4.8.0"),
                                          ("4.8", "4.8.0"), ("4.6.5", "4.6.5"), ("4.65", "4.6.5"),
                                          ("'4.7'", "4.7.0"), ("4.08", "4.0.8")])
def test_versions(text, version):
    assert normalise_version(text) == version
    assert read_model_card(f".model n nmos level=54 version={text}").version == version


@pytest.mark.parametrize("text", ["4", "4.9", "3.9", "5", "04.5", "4.5abc", "4.5.x", "v4.5"])
def test_versions_ngspice_does_not_provide(text):
    with pytest.raises(CardError, match="not a BSIM4 version"):
        read_model_card(f".model n nmos level=54 version={text}")


# =============================================================== syntax
def test_comments_continuations_parentheses_case():
    text = """* library
  * indented comment

.MODEL Nch NMOS ( LEVEL = 54 , VERSION=4.5 ; comment ; more
* between continuation lines
   + VTH0 = 0.4  $ dollar comment
+ vtho2=1 // slash comment
+ LVTH0=1e-9 $a comment
+ u0=0.03 )
"""
    with pytest.raises(CardError, match=r"line 7: unknown BSIM4 parameter VTHO2 .*did you mean"):
        read_model_card(text)
    text = text.replace("vtho2=1 // slash comment", "k1=0.5 // slash comment")
    card = read_model_card(text)
    assert card.name == "Nch" and card.version == "4.5.0"
    assert dict(card.parameters) == {"vth0": 0.4, "k1": 0.5, "lvth0": 1e-9, "u0": 0.03}
    assert dict(card.lines) == {"level": 4, "version": 4, "vth0": 6, "k1": 7, "lvth0": 8, "u0": 9}


def test_dollar_in_names_and_values():
    """ngspice: '$' starts a comment only at a line start or after a blank (measured)."""
    card = read_model_card(".model n$x nmos level=54 vth0=0.3 $ comment")
    assert card.name == "n$x" and dict(card.parameters) == {"vth0": 0.3}
    with pytest.raises(CardError, match="'comment' without '='"):  # ngspice: 0.3, and warns about 'comment'
        read_model_card(".model n nmos level=54 vth0=0.3$ comment")
    with pytest.raises(CardError, match="not a SPICE number: '0.3\\$c'"):
        read_model_card(".model n nmos level=54 vth0=0.3$c")


def test_logical_lines_tokens_and_lines():
    sts = logical_lines("a b=1\n+ (c = 2,d=3)\n\n* x\nM1 d g s b n W={w}\n")
    assert [st.line for st in sts] == [1, 5]
    assert [(t.text, t.kind, t.line) for t in sts[0].tokens] == [
        ("a", "word", 1), ("b", "word", 1), ("=", "=", 1), ("1", "word", 1), ("(", "(", 2), ("c", "word", 2),
        ("=", "=", 2), ("2", "word", 2), ("d", "word", 2), ("=", "=", 2), ("3", "word", 2), (")", ")", 2)]
    assert sts[1].tokens[-1].kind == "expr"


# =============================================================== errors
@pytest.mark.parametrize("text,message,line,parameter", [
    (".model n nmos level=54 vth0=1e400", "VTH0 in .model n: '1e400' overflows", 1, "vth0"),
    (".model n nmos level=54\n+ k1=1e", "'1e' has an exponent without digits", 2, "k1"),
    (".model n nmos level=54\n+ u0=abc", "U0 in .model n: not a SPICE number: 'abc'", 2, "u0"),
    (".model n nmos level=54 vth0=0.4\n+ k1=0.5 vth0=0.5", "VTH0 given twice in .model n: line 1 and line 2",
     2, "vth0"),
    (".model n nmos level=54 vth0=0.4 vtho=0.5", r"VTH0 given twice .*\(as VTHO\)", 1, "vth0"),
    (".model n nmos level=54 lvth0=1 LVTHO=2", "LVTH0 given twice", 1, "lvth0"),
    (".model n nmos level=54 vth00=0.4", r"unknown BSIM4 parameter VTH00 .*did you mean VTH0", 1, "vth00"),
    (".model n nmos level=54 ltoxe=1", "unknown BSIM4 parameter LTOXE", 1, "ltoxe"),
    (".model n nmos level=54 temp=85", "unknown BSIM4 parameter TEMP", 1, "temp"),
    (".model p pmos level=54 vth0=-0.4", "PMOS", None, None),
    (".model n nmos level=54 pmos=1", "PMOS", 1, "pmos"),
    (".model n nmos level=49 vth0=0.4", "level=49: not a BSIM4 card", 1, "level"),
    (".model n nmos level=1 vto=0.4", "level=1: not a BSIM4 card", 1, "level"),
    (".model n nmos vth0=0.4", "gives no LEVEL", 1, "level"),
    ("M1 d g s b n W=1u L=1u", "no .model card found", None, None),
    (".model n nmos level=54 mobmod=7", r"MOBMOD = 7 is not an allowed value .*allowed: 0, 1, 2, 3, 4, 5, 6",
     1, "mobmod"),
    (".model n nmos level=54 igcmod=0.5", "IGCMOD = 0.5 is not an allowed value", 1, "igcmod"),
    (".model n nmos level=54 geomod=11", "GEOMOD = 11 is not an allowed value", 1, "geomod"),
    (".model n nmos level=54 version=4.5\n+ mobmod=3", r"MOBMOD = 3 is not an allowed value in BSIM4 4.5.0 "
     r"\(ngspice's BSIM4v5 code resets it.*allowed: 0, 1, 2\)", 2, "mobmod"),
    (".model n nmos level=54 rgeomod=2", r"RGEOMOD = 2 is not an allowed value .*allowed: 0, 1", 1, "rgeomod"),
    (".model n nmos level=54 toxe=0", "TOXE = 0 in .model n must be positive", 1, "toxe"),
    (".model n nmos level=54 vth0 0.4", "expected NAME=VALUE .*'vth0' without '='", 1, "vth0"),
    (".model n nmos level=54 vth0=", "VTH0 = has no value", 1, "vth0"),
    (".model n nmos level=54 vth0={vt}", "expressions and parameters are not supported", 1, "vth0"),
    (".model n nmos (level=54 vth0=0.4", "unbalanced '\\('", 1, None),
    (".model n nmos level=54) vth0=0.4", "unbalanced '\\)'", 1, None),
    ("+ vth0=0.4\n.model n nmos level=54", "continuation line", 1, None),
    (".model n", ".model needs a name and a type", 1, None),
    (".model n nmos level=54 version=4.9", "not a BSIM4 version", 1, "version"),
    (".model n nmos level=54\n.model n nmos level=54", "2 candidate cards", None, None),
    (".model d1 d is=1e-14", "no NMOS .model card", None, None),
])
def test_card_errors(text, message, line, parameter):
    with pytest.raises(CardError, match=message) as info:
        read_model_card(text)
    assert info.value.line == line
    assert info.value.parameter == parameter
    assert isinstance(info.value, ValueError)


def test_card_errors_name_the_source(tmp_path):
    path = tmp_path / "bad.lib"
    path.write_text("* lib\n.model n nmos level=54\n+ u0=abc\n")
    with pytest.raises(CardError, match=r"bad.lib, line 3: U0 in .model n"):
        read_model_card(path)
    with pytest.raises(CardError, match=r"^mine, line 3"):
        read_model_card(path.read_text(), source="mine")


@pytest.mark.parametrize("bad", [None, b".model n nmos level=54", 3.0, [".model"], bytearray(b"x")])
def test_wrong_argument_types(bad):
    with pytest.raises(TypeError):
        read_model_card(bad)
    with pytest.raises(TypeError):
        read_model_cards(bad)
    with pytest.raises(TypeError):
        read_instances(bad)


def test_temp_alone_and_empty_texts():
    for text in (".temp", ".temp 85", "", "\n\n", "* only a comment", "title line"):
        with pytest.raises(CardError, match="no .model card found"):
            read_model_card(text)
        assert read_model_cards(text) == ()


def test_choosing_cards():
    text = (".model a nmos level=54 vth0=0.1\n.model b nmos level=54 vth0=0.2\n.model c pmos level=54\n"
            ".model d nmos level=49\n")
    assert read_model_card(text, name="B").get("vth0") == 0.2
    with pytest.raises(CardError, match="2 candidate cards: a \\(line 1\\), b \\(line 2\\)"):
        read_model_card(text)
    with pytest.raises(CardError, match="PMOS"):
        read_model_card(text, name="c")
    with pytest.raises(CardError, match="level=49"):
        read_model_card(text, name="d")
    with pytest.raises(CardError, match="no .model card named e"):
        read_model_card(text, name="e")
    assert [c.name for c in read_model_cards(text)] == ["a", "b", "c"]  # the level-49 card is not BSIM4
    assert read_model_card(".model x nmos level=54\n.model y nmos level=1").name == "x"
    with pytest.raises(CardError, match="two .model cards named A: lines 1 and 2"):
        read_model_cards(".model a nmos level=54\n.model A nmos level=54")


def test_lib_sections():
    text = """.lib tt
.model nch nmos level=54 vth0=0.40
.endl tt
.lib ff
.model nch nmos level=54 vth0=0.35
.endl ff
"""
    cards = read_model_cards(text)
    assert [(c.name, c.section) for c in cards] == [("nch", "tt"), ("nch", "ff")]
    assert read_model_card(text, section="FF").get("vth0") == 0.35
    with pytest.raises(CardError, match="choose one with name= and section="):
        read_model_card(text)


# =============================================================== instances
def test_instance_line():
    text = "deck title\nM1 d g s b nmos W=1u L=45n\n+ nf=2 nrs=1 NRD=2 as=1p ad=2p ps=3u pd=4u sa=1u sb=2u\n" \
           "+ delvt0=0.01 mulu0=0.9 rbdb=20 geomod=1 min=1 off\n"
    inst = read_instance(text)
    assert (inst.element, inst.nodes, inst.model, inst.line) == ("M1", ("d", "g", "s", "b"), "nmos", 2)
    assert (inst.w, inst.l, inst.nf, inst.m) == (1e-6, 45e-9, 2.0, 1.0)
    assert inst.get("delvto") == 0.01 and inst.given("DELVT0") and inst.get("off") == 1.0
    assert inst.lines["nrs"] == 3 and inst.lines["rbdb"] == 4
    card = read_model_card(HP)
    assert inst.get("rbdb", card) == 20.0 and inst.get("rbsb", card) == 15.0
    assert inst.get("geomod", card) == 1.0 and inst.get("rgatemod", card) == 1.0
    bare = read_instance("M2 d g s b nmos")
    assert (bare.w, bare.l) == (5e-6, 5e-6)                     # ngspice BSIM4 defaults (measured)
    assert bare.get("as") is None and bare.get("nrs") is None   # computed by the model when not given
    with pytest.raises(ValueError, match="pass card="):
        bare.get("rbdb")


def test_instance_keywords():
    inst = InstanceParameters.from_keywords(w=2e-6, L=90e-9, NF=2, off=True, delvt0=-0.01)
    assert dict(inst.parameters) == {"w": 2e-6, "l": 90e-9, "nf": 2.0, "off": 1.0, "delvto": -0.01}
    with pytest.raises(ValueError, match="unknown BSIM4 instance parameter 'delvt00'.*did you mean delvt0"):
        InstanceParameters.from_keywords(delvt00=1e-6)
    with pytest.raises(TypeError, match="W must be a real number"):
        InstanceParameters.from_keywords(w="1u")
    with pytest.raises(ValueError, match="DELVTO given twice"):
        InstanceParameters.from_keywords(delvto=0.1, delvt0=0.2)


@pytest.mark.parametrize("line,message,parameter", [
    ("M1 d g s b n W=-1u L=1u", "W = -1e-06 must be positive", "w"),
    ("M1 d g s b n W=1u L=0", "L = 0 must be positive", "l"),
    ("M1 d g s b n W=1u L=1u nf=0", "NF = 0 must be a whole number of fingers", "nf"),
    ("M1 d g s b n W=1u L=1u nf=1.5", "NF = 1.5 must be a whole number", "nf"),
    ("M1 d g s b n W=1u L=1u m=0", "M = 0 must be positive", "m"),
    ("M1 d g s b n W=1u L=1u as=-1p", "AS = -1e-12 must not be negative", "as"),
    ("M1 d g s b n W=1u L=1u geomod=12", "GEOMOD = 12 is not an allowed value", "geomod"),
    ("M1 d g s b n W=1u L=1u ngcon=3", "NGCON = 3 is not an allowed value", "ngcon"),
    ("M1 d g s b n W=1u L=1u rbdb=0", "RBDB = 0 must be positive", "rbdb"),
    ("M1 d g s b n W=1u L=1u w=2u", "W given twice on MOSFET M1: line 1 and line 1", "w"),
    ("M1 d g s b n W=1u L=1u wdth=2u", "unknown BSIM4 instance parameter WDTH", "wdth"),
    ("M1 d g s b n W=1u L=1u temp=85", "unknown BSIM4 instance parameter TEMP", "temp"),
    ("M1 d g s b n W=1u L=1u ic=0.1,0.2,0.3", "IC .*has no meaning for a DC operating point", "ic"),
    ("M1 d g s b n W=1u L=abc", "L of MOSFET M1: not a SPICE number", "l"),
    ("M1 d g s b n 1u 2u", "unexpected '1u' after the model name", None),
    ("M1 d g s n", "needs four nodes and a model name", None),
])
def test_instance_errors(line, message, parameter):
    with pytest.raises(CardError, match=message) as info:
        read_instance(line)
    assert info.value.parameter == parameter and info.value.line == 1


def test_instance_range_against_card():
    card = read_model_card(".model n nmos level=54 lmin=40n lmax=1u wmin=100n wmax=10u")
    InstanceParameters.from_keywords(w=1e-6, l=45e-9).check_range(card)
    InstanceParameters.from_keywords(w=10e-6 + 0.5e-9, l=40e-9 - 0.5e-9).check_range(card)  # ngspice's 1 nm
    for kw, message in [({"w": 1e-6, "l": 30e-9}, "L = 3e-08 m is below LMIN = 4e-08 m of card n"),
                        ({"w": 1e-6, "l": 2e-6}, "L = 2e-06 m is above LMAX"),
                        ({"w": 50e-9, "l": 45e-9}, "W = 5e-08 m is below WMIN"),
                        ({"w": 20e-6, "l": 45e-9}, "W = 2e-05 m is above WMAX"),
                        ({"w": 0.3e-6, "l": 45e-9, "nf": 4, "wnflag": 1}, "W/NF|W = 7.5e-08 m is below")]:
        with pytest.raises(CardError, match=message) as info:
            InstanceParameters.from_keywords(**kw).check_range(card)
        assert info.value.parameter in ("w", "l")
    inst = read_instance("M1 d g s b n W=1u\n+ L=2u")
    with pytest.raises(CardError, match="line 2: L = 2e-06 m is above LMAX"):
        inst.check_range(card)
    read_model_card(".model n nmos level=54").get("lmax")  # no range given: nothing to check
    InstanceParameters.from_keywords(w=5.0, l=5.0).check_range(read_model_card(".model n nmos level=54"))


def test_select_bin_as_ngspice():
    """ngspice 39 (measured): first card in order within [min - 1 nm, max + 1 nm]; W/NF with WNFLAG = 1."""
    cards = read_model_cards(".model n.1 nmos level=54 lmin=0.1u lmax=10u wmin=1u wmax=2u vth0=0.5\n"
                             ".model n.2 nmos level=54 lmin=0.1u lmax=10u wmin=2u wmax=4u vth0=0.4\n")
    pick = lambda **kw: select_bin(cards, "n", **kw).name  # noqa: E731
    assert pick(w=2e-6, l=1e-6) == "n.1"
    assert pick(w=0.9995e-6, l=1e-6) == "n.1" and pick(w=4.0009e-6, l=1e-6) == "n.2"
    assert pick(w=4e-6, l=1e-6, nf=2) == "n.2" and pick(w=4e-6, l=1e-6, nf=2, wnflag=1) == "n.1"
    for kw in ({"w": 0.998e-6, "l": 1e-6}, {"w": 4.0011e-6, "l": 1e-6}, {"w": 1.9e-6, "l": 1e-6, "nf": 2,
                                                                         "wnflag": 1}):
        with pytest.raises(CardError, match="no card of binned model set n covers"):
            select_bin(cards, "n", **kw)
    with pytest.raises(CardError, match="is a binned model set \\(n.1, n.2\\)"):
        read_model_card(".model n.1 nmos level=54\n.model n.2 nmos level=54", name="n")
    with pytest.raises(CardError, match="gives no WMIN, WMAX"):
        select_bin(read_model_cards(".model n.1 nmos level=54 lmin=0 lmax=1"), "n", w=1e-6, l=1e-6)


@needs_ngspice
def test_live_ngspice_bin_selection_matches():
    """select_bin picks the card ngspice runs (Vth tells the bins apart)."""
    set_ = (".model n.1 nmos level=54 lmin=0.1u lmax=10u wmin=1u wmax=2u vth0=0.5\n"
            ".model n.2 nmos level=54 lmin=0.1u lmax=10u wmin=2u wmax=4u vth0=0.4\n")
    cards = read_model_cards(set_)
    for w, nf, wnflag in ((2e-6, 1, 0), (3e-6, 1, 0), (4e-6, 2, 1), (3.9e-6, 2, 0)):
        deck = (f"bins\n{set_}M1 d d 0 0 n W={w!r} L=1u nf={nf} wnflag={wnflag}\nVd d 0 1\n.control\n"
                "set numdgt=16\nop\nprint @m1[vth]\n.endc\n.end\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bins.cir")
            with open(path, "w") as fh:
                fh.write(deck)
            out = subprocess.run(["ngspice", "-b", path], capture_output=True, text=True, timeout=60).stdout
        vth = float(re.search(r"@m1\[vth\] = (\S+)", out).group(1))
        expect = select_bin(cards, "n", w=w, l=1e-6, nf=nf, wnflag=wnflag).get("vth0")
        other = 0.9 - expect
        # the chosen card's VTH0 is the one whose shift explains ngspice's Vth (0.1 V apart)
        single = (f"one\n.model n nmos level=54 vth0={expect}\nM1 d d 0 0 n W={w!r} L=1u nf={nf}\nVd d 0 1\n"
                  ".control\nset numdgt=16\nop\nprint @m1[vth]\n.endc\n.end\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "one.cir")
            with open(path, "w") as fh:
                fh.write(single)
            out1 = subprocess.run(["ngspice", "-b", path], capture_output=True, text=True, timeout=60).stdout
        assert float(re.search(r"@m1\[vth\] = (\S+)", out1).group(1)) == vth, (w, nf, wnflag, other)


# =============================================================== spice.parse_model_card uses the reader
def test_parse_model_card_shares_the_reader():
    with pytest.raises(ValueError, match="overflows"):
        parse_model_card(".model n nmos level=1 vto=1e400")
    m = parse_model_card(".model n$x nmos level=1 vto=0.3 ; c\nM1 d g s 0 n$x W=2u L=1u $ c\n")
    assert (m.vto, m.w) == (0.3, 2e-6)


# =============================================================== fuzzing
#: example counts scale with the hypothesis profile (tests/conftest.py: 100 fast, 1000 thorough)
_BASE = settings.default.max_examples
_PARAM_NAMES = sorted(n for n, p in P.MODEL_PARAMETERS.items() if p.allowed is None and n not in ("version",))
_BINNED = sorted(b for p in P.MODEL_PARAMETERS.values() for b in P.binned_names(p))
_SELECTORS = sorted(n for n, p in P.MODEL_PARAMETERS.items() if p.allowed is not None and n not in ("level", "pmos"))


def _spice_text(value: float, style: int) -> str:
    if style == 0 or value == 0.0:
        return repr(value)
    for suffix, exp in (("meg", 6), ("k", 3), ("u", -6), ("n", -9), ("p", -12), ("f", -15), ("m", -3)):
        scaled = Decimal(repr(value)) / Decimal(10) ** exp
        if style == 1 and 1 <= abs(scaled) < 1000:
            return f"{scaled}{suffix.upper() if exp % 2 else suffix}"
    return f"{Decimal(repr(value)):E}"


@st.composite
def _cards(draw):
    names = draw(st.lists(st.sampled_from(_PARAM_NAMES + _BINNED), min_size=0, max_size=25, unique=True))
    sel = draw(st.lists(st.sampled_from(_SELECTORS), max_size=4, unique=True))
    values = {n: draw(st.floats(-1e30, 1e30, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-300))
              for n in names}
    for n in ("toxe", "toxp", "toxm", "toxref", "eot", "nsd"):
        if n in values:
            values[n] = abs(values[n]) or 1.0
    if "pditsl" in values:
        values["pditsl"] = abs(values["pditsl"])
    for s in sel:
        values[s] = float(draw(st.sampled_from(P.model_parameter(s).allowed)))
    items = list(values.items())
    draw(st.randoms()).shuffle(items)
    header = (f".model {draw(st.sampled_from(['n', 'NCH', 'n$1', 'm.1']))} "
              f"{draw(st.sampled_from(['nmos', 'NMOS']))} level={draw(st.sampled_from(['54', '14', '54.0']))}")
    lines = [[header]]  # each: [first text, field, field, ...] or a comment/blank line as [text]
    comment_lines = set()
    for name, value in items:
        key = name.upper() if draw(st.booleans()) else name
        eq = draw(st.sampled_from(["=", " = ", "= ", "\t=\t"]))
        field = f"{key}{eq}{_spice_text(value, draw(st.integers(0, 2)))}"
        where = draw(st.integers(0, 3))
        if where == 0 and len(lines) - 1 not in comment_lines:
            lines[-1].append(field)
        elif where == 2:
            comment_lines.add(len(lines))
            lines.append([draw(st.sampled_from(["* comment", "", "  * indented"]))])
            lines.append(["  +" + field])
        else:
            lines.append([draw(st.sampled_from(["+ ", "+", "   + "])) + field + draw(st.sampled_from(["", ","]))])
    rendered = []
    for k, parts in enumerate(lines):
        text = " ".join(parts)
        if k not in comment_lines:
            text += draw(st.sampled_from(["", " ; c", " $ c", " // c", "\t$c"]))
        rendered.append(text)
    return "\n".join(rendered) + "\n", values


@given(_cards())
@settings(max_examples=max(20, _BASE * 3 // 5))
def test_fuzz_valid_cards_round_trip(case):
    text, values = case
    card = read_model_card(text)
    assert dict(card.parameters) == pytest.approx(values, rel=1e-15, abs=0)
    assert set(card.lines) == set(values) | {"level"}


_JUNK = st.lists(st.sampled_from(list(".+*$;/=(),{}'\"\n\t -eEkKuUmMgG0123456789abclnpsvwxz")
                                  + [".model ", "nmos ", "pmos ", "level=54 ", "version=", "vth0=", "lvth0=",
                                     "M1 d g s b n ", "+ ", "\n+", "1e", "meg", ".lib x\n", ".endl\n", "w=",
                                     "l=", "nf=", "off", "ic=", ".temp ", "level=1 ", "vto="]),
                 max_size=80).map("".join)
_ALLOWED_ERRORS = (ValueError, TypeError)


def _only_documented_errors(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except _ALLOWED_ERRORS:
        pass


@given(_JUNK)
@settings(max_examples=_BASE * 3)
def test_fuzz_junk_raises_only_documented_errors(text):
    _only_documented_errors(read_model_cards, text)
    _only_documented_errors(read_model_card, text)
    _only_documented_errors(read_instances, text)
    _only_documented_errors(parse_model_card, text)
    for token in text.split():
        _only_documented_errors(parse_number, token)


@given(st.data())
@settings(max_examples=max(30, _BASE * 3 // 2))
def test_fuzz_mutated_cards_raise_only_documented_errors(data):
    with open(HP) as fh:
        text = fh.read()
    for _ in range(data.draw(st.integers(1, 6))):
        k = data.draw(st.integers(0, len(text)))
        op = data.draw(st.integers(0, 2))
        piece = data.draw(st.sampled_from(["=", "+", "$", ";", "(", ")", "e", "\n", " ", "1e400", "x", "*",
                                           "level=49", "pmos", "{"]))
        if op == 0:
            text = text[:k] + piece + text[k:]
        elif op == 1:
            text = text[:k] + text[k + data.draw(st.integers(1, 20)):]
        else:
            text = text[:k] + piece + text[k + len(piece):]
    _only_documented_errors(read_model_cards, text)
    _only_documented_errors(read_model_card, text)
    _only_documented_errors(parse_model_card, text)


@given(st.one_of(st.none(), st.binary(max_size=20), st.integers(), st.floats(), st.lists(st.text(max_size=3)),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
@settings(max_examples=max(20, _BASE // 2))
def test_fuzz_wrong_types_are_type_errors(obj):
    for fn in (read_model_cards, read_model_card, read_instances, parse_number, parse_model_card):
        with pytest.raises(TypeError):
            fn(obj)


def test_model_card_is_frozen_and_hashable():
    card = read_model_card(HP)
    with pytest.raises((AttributeError, TypeError)):
        card.parameters["vth0"] = 1.0
    with pytest.raises(AttributeError):
        card.name = "x"
    assert isinstance(hash(card), int) and card in {card}
    assert isinstance(card, ModelCard)
