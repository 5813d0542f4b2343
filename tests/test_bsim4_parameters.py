"""The BSIM4 parameter catalog (xbarsolve.devices.bsim4.parameters) against its two sources.

* The BSIM4.8.0 manual's Appendix A: every name its tables list (extracted
  by validation/bsim4_card/appendix_names.py into appendix_a_names.json) is
  in the catalog.  With ``BSIM4_MANUAL_TEXT`` pointing at the manual's text,
  the extraction is re-run and must reproduce the committed list.
* ngspice 39, measured black-box (validation/bsim4_card/ngspice_names.py
  into ngspice_names.json): the names each of its four BSIM4 codes accepts,
  the binned names, and its default values.  A live test re-measures when
  ngspice is installed.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys

import pytest

from xbarsolve.devices.bsim4 import parameters as P

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "..", "validation", "bsim4_card")
sys.path.insert(0, DATA)

with open(os.path.join(DATA, "appendix_a_names.json"), encoding="utf-8") as _fh:
    APPENDIX = json.load(_fh)
with open(os.path.join(DATA, "ngspice_names.json"), encoding="utf-8") as _fh:
    NGSPICE = json.load(_fh)

needs_ngspice = pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")

#: ngspice instance inputs the catalog leaves out on purpose: IC is an initial-condition vector
#: for transient analyses with UIC (no meaning for a DC operating point); the card reader refuses it.
NOT_CATALOGUED_INSTANCE = {"ic"}
#: names ngspice lists like binned coefficients of KU0/KVTH0, but which are the stress model's own
#: length/width/cross terms (manual A.14): catalogued as parameters in their own right.
STRESS_TERMS = {f"{c}{b}" for c in "lwp" for b in ("ku0", "kvth0")}


def _known(name: str) -> bool:
    return P.lookup(name) is not None or P.lookup_instance(name) is not None


# =============================================================== the manual
def test_appendix_list_is_substantial():
    """The extracted list is the appendix's, not an empty or truncated file."""
    names = APPENDIX["names"]
    assert len(names) > 400
    for name in ("VTH0", "VTHO", "TOXE", "AIGBACC", "RBPBX0", "SAref", "WWLC", "LMIN", "WMAX", "XTID",
                 "JSD", "EPSRGATE", "PBS", "PBD", "SCA", "MIN", "NF", "LEVEL"):
        assert name in names, name
    assert "PB" not in names and "SPICE3" not in names


@pytest.mark.parametrize("name", sorted(APPENDIX["names"]))
def test_catalog_covers_manual_appendix(name):
    assert _known(name), f"{name} (manual {APPENDIX['names'][name]['section']}) is not in the catalog"


def test_appendix_extraction_reproduces_committed_list():
    """Re-extract from the manual's text when it is at hand (BSIM4_MANUAL_TEXT)."""
    path = os.environ.get("BSIM4_MANUAL_TEXT")
    if not path or not os.path.exists(path):
        pytest.skip("BSIM4_MANUAL_TEXT does not point at the manual's text")
    import appendix_names
    with open(path, encoding="utf-8") as fh:
        assert appendix_names.extract(fh.read()) == APPENDIX["names"]


# =============================================================== ngspice's names
CODES = list(NGSPICE["code_versions"])


@pytest.mark.parametrize("code", CODES)
def test_catalog_covers_every_name_ngspice_lists(code):
    listed = NGSPICE["devhelp"][code]
    missing = [n for n in listed["model"] if P.lookup(n) is None]
    missing += [n for n in listed["instance"] if P.lookup_instance(n) is None
                and n not in NOT_CATALOGUED_INSTANCE]
    assert not missing


@pytest.mark.parametrize("code", CODES)
def test_names_known_to_each_ngspice_code(code):
    """``Parameter.known_to`` says exactly which names each code accepts (warnings measured)."""
    version = NGSPICE["code_versions"][code]
    refused = set(NGSPICE["unrecognized_model_names"][code])
    listed = set(NGSPICE["devhelp"][code]["model"])
    wrong = []
    for p in P.MODEL_PARAMETERS.values():
        if p.name in ("level", "version", "nmos", "pmos"):
            continue
        for name in (p.name, *p.aliases, *P.binned_names(p)):
            known = p.known_to(version)
            if known == (name in refused) or known != (name in listed):
                wrong.append(name)
    refused_instance = set(NGSPICE["unknown_instance_names"][code])
    for p in P.INSTANCE_PARAMETERS.values():
        for name in (p.name, *p.aliases):
            if p.known_to(version) == (name in refused_instance):
                wrong.append(name)
    assert not wrong


def test_binnable_flags_match_ngspice():
    newest = set(NGSPICE["devhelp"]["BSIM4"]["model"])
    binned_in_ngspice = {n[1:] for n in newest if n[0] in "lwp" and n[1:] in newest
                         and all(c + n[1:] in newest for c in "lwp") and n not in STRESS_TERMS}
    binned_in_ngspice -= {"ku0", "kvth0"}
    catalog = {p.name for p in P.MODEL_PARAMETERS.values() if p.binnable}
    catalog |= {a for p in P.MODEL_PARAMETERS.values() if p.binnable for a in p.aliases}
    assert catalog == binned_in_ngspice


# =============================================================== ngspice's defaults
#: printed in other units than a card's: kelvin for TNOM/TEMPEOT, micrometres for LEFFEOT/WEFFEOT
#: printed before ngspice's set-up computes them (the value it runs with is the catalog's, measured)
SHOWMOD_INTERMEDIATE = {("BSIM4v5", "vfb")}
SHOWMOD_UNITS = {"tnom": lambda v: v + 273.15, "tempeot": lambda v: v + 273.15,
                 "leffeot": lambda v: v * 1e6, "weffeot": lambda v: v * 1e6}


class _BareCard:
    """Just enough of a card for default rules: nothing given."""

    def __init__(self, version):
        self.version = version

    def given(self, name):
        return False

    def get(self, name):
        return _expected_default(P.model_parameter(name), self.version)


def _expected_default(p, version):
    d = p.default
    if isinstance(d, float):
        return d
    if isinstance(d, P.ByMobmod):
        return d.value(0)
    if isinstance(d, P.ByVersion):
        return d.value(version)
    if isinstance(d, P.SharedSourceDrain):
        return d.value
    if isinstance(d, P.SameAs):
        return _expected_default(P.model_parameter(d.source), version)
    if isinstance(d, P.Computed) and d.resolve is not None:
        return d.resolve(_BareCard(version))
    return None  # computed by the model: ngspice prints an intermediate value


@pytest.mark.parametrize("code", CODES)
def test_defaults_match_ngspice(code):
    version = {"4.5": "4.5.0", "4.6.5": "4.6.5", "4.7": "4.7.0", "4.8": "4.8.0"}[NGSPICE["code_versions"][code]]
    printed = NGSPICE["showmod_defaults"][code]
    checked, wrong = 0, []
    for name, text in printed.items():
        found = P.lookup(name)
        assert found is not None, name
        p, prefix = found
        if prefix:
            expected = 0.0
        else:
            expected = _expected_default(p, version)
            if expected is None:
                continue
            expected = SHOWMOD_UNITS.get(p.name, lambda v: v)(expected)
        if p.name == "version" or (code, p.name) in SHOWMOD_INTERMEDIATE:
            continue
        value = float(text)
        checked += 1
        if not math.isclose(value, expected, rel_tol=5e-6, abs_tol=0.0):
            wrong.append((name, value, expected))
    assert not wrong
    assert checked > 0.9 * len(printed)


# =============================================================== instance defaults
@pytest.mark.parametrize("code", CODES)
def test_instance_defaults_match_ngspice(code):
    """What ``show`` prints for an instance that gives nothing, with a bare card and with a card that
    sets the inherited parameters."""
    from xbarsolve.devices.bsim4.card import InstanceParameters, read_model_card
    bare = InstanceParameters.from_keywords()
    version = NGSPICE["code_versions"][code]
    for card_text, printed in ((f".model n1 nmos level=54 version={version}", NGSPICE["instance_defaults"][code]),
                               (f".model n1 nmos level=54 version={version} {NGSPICE['instance_from_card']['card']}",
                                NGSPICE["instance_from_card"]["values"][code])):
        card = read_model_card(card_text)
        checked = 0
        for name, text in printed.items():
            if name in ("ic",):
                continue
            ours = bare.get(name, card)
            if ours is None:  # computed by the model when not given: see test_instance_default_effects
                assert name in ("as", "ad", "ps", "pd", "nrs", "nrd", "sca", "scb", "scc"), name
                continue
            assert ours == pytest.approx(float(text), rel=5e-6), (name, ours, text)
            checked += 1
        assert checked >= 25


def test_instance_default_effects():
    """Instance defaults where they matter (measured drain and junction currents)."""
    eff = NGSPICE["instance_default_effects"]
    nrs = eff["nrs_nrd"]  # PTM HP card, RSH = 5 ohm/sq: NRS not given is NRS = 0, not the printed 1
    assert nrs["unset"] == nrs["zero"] and nrs["unset"]["id"] != nrs["one"]["id"]
    area = eff["as_ad_ps_pd"]  # not given is computed from the layout, not 0
    assert area["unset"]["ibs"] != area["zero"]["ibs"]
    size = eff["w_l"]  # BSIM4's own 5 um, not .options defw/defl = 100 um
    assert size["unset"] == size["5um"] and size["unset"]["id"] != size["100um"]["id"]
    rgeo = eff["rgeomod"]  # the card's RGEOMOD = 2 acts as instance RGEOMOD = 1
    assert rgeo["card_two"] == rgeo["one"] and rgeo["unset"]["id"] != rgeo["one"]["id"]
    assert P.instance_parameter("w").default == P.instance_parameter("l").default == 5e-6
    for name in ("nrs", "nrd", "as", "ad", "ps", "pd"):
        assert isinstance(P.instance_parameter(name).default, P.Computed)


@pytest.mark.parametrize("code", CODES)
def test_selector_values_match_ngspice(code):
    """Where ngspice checks a selector (it resets values its code lacks), the catalog allows exactly the
    values it keeps; where it checks nothing, the catalog is stricter (the manual's values)."""
    version = {"4.5": "4.5.0", "4.6.5": "4.6.5", "4.7": "4.7.0", "4.8": "4.8.0"}[NGSPICE["code_versions"][code]]
    for name, kept in NGSPICE["selector_values_kept"][code].items():
        p = P.model_parameter(name)
        allowed = set(map(float, p.allowed_for(version)))
        if not kept:
            assert name not in NGSPICE["showmod_defaults"][code]  # a code whose showmod omits it
            continue
        tried = {float(k) for k in range(-1, int(max(p.allowed)) + 2)}
        kept = {v for v in kept if v.is_integer()}  # 0.5 is read as an integer by every code
        if kept == tried:
            assert allowed < kept, name  # ngspice does not check this selector on the card
            continue
        if (code, name) == ("BSIM4", "tnoimod"):
            assert kept == allowed - {3.0}  # the 4.8 manual's TNOIMOD = 3, which ngspice 39 resets
            continue
        assert kept == allowed, (name, sorted(kept), sorted(allowed))


# =============================================================== the table itself
def test_catalog_size_and_categories():
    assert len(P.MODEL_PARAMETERS) == 414 and len(P.INSTANCE_PARAMETERS) == 35
    for p in (*P.MODEL_PARAMETERS.values(), *P.INSTANCE_PARAMETERS.values()):
        assert p.dc in P.DC_CATEGORIES
        assert p.description
        if p.allowed is not None:
            assert all(float(v).is_integer() for v in p.allowed)
            if isinstance(p.default, float):
                assert p.default in p.allowed, p.name
    assert P.DC_EFFECT < set(P.DC_CATEGORIES)
    assert P.model_parameter("capmod").affects_dc is False
    assert P.model_parameter("igcmod").affects_dc is True


def test_lookup_and_binned_names():
    assert P.lookup("VTH0") == (P.model_parameter("vth0"), "")
    assert P.lookup("vtho") == (P.model_parameter("vth0"), "")
    assert P.lookup("LVTHO") == (P.model_parameter("vth0"), "l")
    assert P.lookup("pu0") == (P.model_parameter("u0"), "p")
    assert P.lookup("lint") == (P.model_parameter("lint"), "")       # LINT, not L-INT
    assert P.lookup("lku0") == (P.model_parameter("lku0"), "")       # the stress term
    assert P.lookup("ltoxe") is None                                  # TOXE is not binnable
    assert P.lookup("foo") is None and P.lookup("l") is None
    assert P.binned_names(P.model_parameter("k1")) == ("lk1", "wk1", "pk1")
    assert P.binned_names(P.model_parameter("toxe")) == ()
    assert P.lookup_instance("DELVT0") is P.instance_parameter("delvto")
    assert "vth0" in P.suggest("vth00") and "lvth0" in P.suggest("lvth00")


def test_default_rules():
    assert P.model_parameter("ua").default.value(2) == 1e-15
    assert P.model_parameter("ua").default.value(0) == 1e-9
    assert P.model_parameter("ud").default.value("4.5.0") == 1e14
    assert P.model_parameter("ud").default.value("4.8.0") == 0.0
    assert P.model_parameter("fgidl").default.value("4.7.0") == 0.0
    assert P.model_parameter("fgidl").default.value("4.8.2") == 1.0
    assert P.model_parameter("dlc").default == P.SameAs("lint")
    assert P.model_parameter("agisl").default == P.SameAs("agidl", binned=True)


def test_disagreements_are_listed():
    found = {(name, what) for name, what, *_ in P.disagreements()}
    for item in [("ud", "default"), ("vtl", "default"), ("uc1", "default"), ("dlcig", "binnable"),
                 ("tvoff", "binnable"), ("aigsd", "model name"), ("nrs", "default"),
                 ("mulu0", "instance name")]:
        assert item in found, item


def test_ngspice_code_of_versions():
    assert P.ngspice_code("4.0.0") == "BSIM4v5" and P.ngspice_code("4.5.0") == "BSIM4v5"
    assert P.ngspice_code("4.6.5") == "BSIM4v6" and P.ngspice_code("4.7.0") == "BSIM4v7"
    assert P.ngspice_code("4.8.2") == "BSIM4"
    with pytest.raises(ValueError, match="4.9"):
        P.ngspice_code("4.9.0")
    assert P.model_parameter("agisl").known_to("4.6.5") and not P.model_parameter("agisl").known_to("4.5.0")


# =============================================================== live ngspice
@needs_ngspice
def test_live_ngspice_names_and_defaults():
    """ngspice run now gives the committed measurements (names, binned names, defaults)."""
    import ngspice_names
    doc = ngspice_names.measure()
    assert {k: v for k, v in doc.items() if k != "ngspice"} == \
           {k: v for k, v in NGSPICE.items() if k != "ngspice"}
