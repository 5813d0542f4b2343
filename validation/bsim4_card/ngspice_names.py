"""Which BSIM4 parameter names ngspice accepts, and its defaults, measured black-box.

Written to ``ngspice_names.json``.  Three measurements, for each of
ngspice's four BSIM4 codes (cards of version 4.5 run BSIM4v5, 4.6.5
BSIM4v6, 4.7 BSIM4v7, 4.8 BSIM4):

1. ``devhelp -csv <code>``: the model and instance parameter names the code
   lists (input parameters only).
2. Warnings: one card giving every model parameter of the catalog
   (:mod:`xbarsolve.devices.bsim4.parameters`) and every binned name of the
   binnable ones, each set to 1 -- ngspice prints ``unrecognized parameter
   (NAME) - ignored`` for each name the code does not know.  Instance names
   one at a time on an ``M`` line: an unknown one is an error.
3. Defaults: ``showmod`` of a card that gives nothing but LEVEL and VERSION
   prints every model parameter's value after ngspice's set-up (6
   significant digits; names cut to 11 characters, mapped back here);
   ``show`` of an instance that gives nothing prints the instance values,
   for a bare card and for a card that sets the shared model/instance
   parameters (RBDB, XGW, NGCON, GEOMOD, RGATEMOD, RBODYMOD, RGEOMOD, ...).
4. Selector values: one card per selector and value (-1 ... max + 1, and
   0.5); ``showmod`` shows whether the code keeps the value or resets it
   (ngspice warns "has been set to its default value").
5. Instance defaults where they matter (drain current of the PTM 45 nm HP
   card, whose RSH = 5 ohm/sq, or of a bare card): an instance that does
   not give NRS/NRD, AS/AD/PS/PD, W/L or RGEOMOD against instances that
   give the candidate values.

tests/test_bsim4_parameters.py compares the catalog with this file (names,
binnability, the version each name appears in); ``--check`` re-measures and
compares with the committed file instead of writing it.

Usage::

    python validation/bsim4_card/ngspice_names.py            # (re)write ngspice_names.json
    python validation/bsim4_card/ngspice_names.py --check    # exit 1 if ngspice differs from the file
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))

from xbarsolve.devices.bsim4.parameters import (INSTANCE_PARAMETERS, MODEL_PARAMETERS,  # noqa: E402
                                                 binned_names)

OUTPUT = os.path.join(HERE, "ngspice_names.json")
#: a card version for each ngspice code
CODE_VERSIONS = {"BSIM4v5": "4.5", "BSIM4v6": "4.6.5", "BSIM4v7": "4.7", "BSIM4": "4.8"}
#: handled by the SPICE front end, or would change the device type
_NOT_ON_THE_LINE = {"level", "version", "nmos", "pmos"}
_CODE_OF = {v: k for k, v in CODE_VERSIONS.items()}


def _ngspice(deck: str, *, stdin: str | None = None) -> str:
    exe = shutil.which("ngspice")
    if exe is None:
        raise RuntimeError("ngspice is not on the PATH")
    with tempfile.TemporaryDirectory() as tmp:
        if stdin is not None:
            proc = subprocess.run([exe, "-p"], input=stdin, capture_output=True, text=True, cwd=tmp,
                                  timeout=120)
        else:
            path = os.path.join(tmp, "deck.cir")
            with open(path, "w") as fh:
                fh.write(deck)
            proc = subprocess.run([exe, "-b", path], capture_output=True, text=True, cwd=tmp,
                                  timeout=120)
    return proc.stdout + proc.stderr


def ngspice_version() -> str:
    out = _ngspice("", stdin="version -s\nquit\n")
    m = re.search(r"ngspice-\S+", out)
    return m.group(0) if m else "unknown"


def devhelp(code: str) -> dict:
    """{"model": [...], "instance": [...]}: input parameter names ``devhelp -csv`` lists for ``code``."""
    out = _ngspice("", stdin=f"devhelp -csv {code}\nquit\n")
    lists, current = {"model": [], "instance": []}, None
    for line in out.splitlines():
        if line.startswith("Model Parameters"):
            current = "model"
        elif line.startswith("Instance Parameters"):
            current = "instance"
        elif current:
            fields = [f.strip() for f in line.split(",")]
            if len(fields) >= 3 and fields[0].isdigit() and fields[2] in ("in", "inout"):
                lists[current].append(fields[1])
    return lists


def unrecognized_model_names(version: str, names: list) -> list:
    """Names among ``names`` that ngspice reports as unrecognized on a card of ``version``."""
    chunks = [names[i:i + 8] for i in range(0, len(names), 8)]
    card = [f".model n1 nmos level=54 version={version}"]
    card += ["+ " + " ".join(f"{n}=1" for n in chunk) for chunk in chunks]
    deck = "\n".join(["names", *card, "M1 d g 0 0 n1 W=1u L=1u", "Vd d 0 1", "Vg g 0 1", ".end", ""])
    out = _ngspice(deck)
    return sorted(set(re.findall(r"unrecognized parameter \((\S+)\)", out)))


def unknown_instance_names(version: str, names: list) -> list:
    """Names among ``names`` that an ``M`` line using a card of ``version`` refuses."""
    unknown = []
    for name in names:
        value = "" if name == "off" else "=1"
        deck = "\n".join(["names", f".model n1 nmos level=54 version={version}",
                          f"M1 d g 0 0 n1 W=1u L=1u {name}{value}", "Vd d 0 1", "Vg g 0 1", ".end", ""])
        if re.search(r"unknown parameter \(" + re.escape(name) + r"\)", _ngspice(deck)):
            unknown.append(name)
    return unknown


def showmod_defaults(version: str) -> dict:
    """{name: printed value} of every model parameter of a bare card of ``version`` (``showmod``)."""
    deck = "\n".join(["defaults", f".model n1 nmos level=54 version={version}", "M1 d g 0 0 n1 W=1u L=1u",
                      "Vd d 0 1", "Vg g 0 1", ".control", "op", "showmod m1 : all", ".endc", ".end", ""])
    out = _ngspice(deck)
    printed, on = {}, False
    for line in out.splitlines():
        if "models (" in line:
            on = True
        elif on:
            m = re.match(r"^\s*(\S+)\s+(\S+)\s*$", line)
            if m and m.group(1) != "model":
                printed[m.group(1)] = m.group(2)
    names = set(devhelp(_CODE_OF[version])["model"])
    by_cut = {}
    for name in names:
        by_cut.setdefault(name[:11], []).append(name)
    return {by_cut[cut][0]: value for cut, value in sorted(printed.items())
            if cut in by_cut and len(by_cut[cut]) == 1}


#: card values of the parameters an instance inherits (distinct from the defaults)
SHARED_CARD = ("rbdb=20 rbsb=21 rbpb=22 rbps=23 rbpd=24 xgw=1e-7 ngcon=2 geomod=3 rgatemod=1 rbodymod=1 "
               "trnqsmod=1 acnqsmod=1 rgeomod=1")


def show_instance(version: str, card_extra: str = "") -> dict:
    """{name: printed value} of ``show m1 : all`` for an instance that gives nothing."""
    deck = "\n".join(["defaults", f".model n1 nmos level=54 version={version} {card_extra}", "M1 d g 0 0 n1",
                      "Vd d 0 1", "Vg g 0 1", ".control", "op", "show m1 : all", ".endc", ".end", ""])
    out = _ngspice(deck)
    names = set(devhelp(_CODE_OF[version])["instance"])
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\S+)\s+(\S+)\s*$", out, re.M)
            if m.group(1) in names}


def terminal_currents(card: str, instance: str) -> dict:
    """ngspice's drain current (A, into the drain) and junction currents ``ibs``, ``ibd`` at Vd = 0.5 V,
    Vg = 1 V, source and body at 0 V."""
    deck = "\n".join(["effect", card, f"M1 d g 0 0 n1 {instance}", "Vd d 0 0.5", "Vg g 0 1",
                      ".options gmin=1e-20", ".control", "set numdgt=17", "op", "print i(vd) @m1[ibs] @m1[ibd]",
                      ".endc", ".end", ""])
    out = _ngspice(deck)
    values = {}
    for key, pattern in (("id", r"i\(vd\) = (\S+)"), ("ibs", r"@m1\[ibs\] = (\S+)"),
                         ("ibd", r"@m1\[ibd\] = (\S+)")):
        m = re.search(pattern, out)
        if m is None:
            raise RuntimeError(f"ngspice gave no {key} for {instance!r}")
        values[key] = float(m.group(1))
    values["id"] = -values["id"]
    return values


def ptm_hp_nmos() -> str:
    with open(os.path.join(HERE, "..", "cards", "ptm45_hp.pm")) as fh:
        text = fh.read()
    m = re.search(r"(?ims)^\s*\.model\s+nmos\s.*?(?=^\s*\.model|\Z)", text)
    return re.sub(r"(?i)\.model\s+nmos\s+nmos", ".model n1 nmos", m.group(0)).rstrip()


#: (name, card, {label: instance text}): which labels give the same current is the finding
EFFECT_CASES = [
    ("nrs_nrd", "ptm", {"unset": "W=1u L=45n", "zero": "W=1u L=45n nrs=0 nrd=0",
                        "one": "W=1u L=45n nrs=1 nrd=1"}),
    ("as_ad_ps_pd", "ptm", {"unset": "W=1u L=45n", "zero": "W=1u L=45n as=0 ad=0 ps=0 pd=0"}),
    ("w_l", "bare", {"unset": "", "5um": "W=5u L=5u", "100um": "W=100u L=100u"}),
    ("rgeomod", "resistive", {"unset": "W=2u L=1u nf=2", "one": "W=2u L=1u nf=2 rgeomod=1",
                              "card_two": "W=2u L=1u nf=2 CARD:rgeomod=2"}),
]


def measure_effects() -> dict:
    cards = {"ptm": ptm_hp_nmos(), "bare": ".model n1 nmos level=54",
             "resistive": ".model n1 nmos level=54 rsh=100 dmcg=1e-7 dmci=2e-7 dmdg=3e-7"}
    out = {}
    for name, card_key, instances in EFFECT_CASES:
        out[name] = {}
        for label, inst in instances.items():
            card = cards[card_key]
            if "CARD:" in inst:
                inst, extra = inst.split("CARD:")
                card = card + "\n+ " + extra
            out[name][label] = terminal_currents(card, inst.strip())
    return out


#: selectors whose values ngspice checks are measured; LEVEL/VERSION/NMOS/PMOS are the front end's
_SELECTORS = [n for n, p in MODEL_PARAMETERS.items()
              if p.allowed is not None and n not in ("level", "version", "nmos", "pmos")]


def selector_values(version: str) -> dict:
    """{selector: [values the code keeps]} among -1 ... max(allowed) + 1 and 0.5 (``showmod``)."""
    known = set(devhelp(_CODE_OF[version])["model"])
    trials = [(sel, v) for sel in _SELECTORS if sel in known
              for v in [-1.0, 0.5] + [float(k) for k in range(0, int(max(MODEL_PARAMETERS[sel].allowed)) + 2)]]
    lines = ["selectors"]
    for k, (sel, v) in enumerate(trials):
        lines.append(f".model c{k} nmos level=54 version={version} {sel}={v!r}")
        lines.append(f"M{k} d g 0 0 c{k} W=1u L=1u")
    lines += ["Vd d 0 1", "Vg g 0 1", ".control", "op"]
    lines += [f"showmod m{k} : {sel}" for k, (sel, _v) in enumerate(trials)]
    lines += [".endc", ".end", ""]
    out = _ngspice("\n".join(lines))
    shown = re.findall(r"^\s*model\s+(c\d+)\s*\n\s*\S+\s+(\S+)", out, re.M)
    kept = {sel: [] for sel, _v in trials}
    for model, value in shown:
        sel, v = trials[int(model[1:])]
        try:
            if float(value) == v:
                kept[sel].append(v)
        except ValueError:
            pass
    return kept


def measure() -> dict:
    model_names = [n for n in MODEL_PARAMETERS if n not in _NOT_ON_THE_LINE]
    model_names += [a for p in MODEL_PARAMETERS.values() for a in p.aliases]
    binned = [b for p in MODEL_PARAMETERS.values() for b in binned_names(p)]
    instance_names = list(INSTANCE_PARAMETERS) + [a for p in INSTANCE_PARAMETERS.values() for a in p.aliases]
    doc = {"ngspice": ngspice_version(), "code_versions": CODE_VERSIONS, "devhelp": {},
           "unrecognized_model_names": {}, "unknown_instance_names": {}, "showmod_defaults": {},
           "instance_defaults": {}, "instance_from_card": {"card": SHARED_CARD, "values": {}}}
    for code, version in CODE_VERSIONS.items():
        doc["devhelp"][code] = devhelp(code)
        doc["unrecognized_model_names"][code] = unrecognized_model_names(version, model_names + binned)
        doc["unknown_instance_names"][code] = unknown_instance_names(version, instance_names)
        doc["showmod_defaults"][code] = showmod_defaults(version)
        doc["instance_defaults"][code] = show_instance(version)
        doc.setdefault("selector_values_kept", {})[code] = selector_values(version)
        doc["instance_from_card"]["values"][code] = show_instance(version, SHARED_CARD)
    doc["instance_default_effects"] = measure_effects()
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = ap.parse_args(argv)
    doc = measure()
    if args.check:
        with open(OUTPUT, encoding="utf-8") as fh:
            committed = json.load(fh)
        same = {k: v for k, v in committed.items() if k != "ngspice"} == \
               {k: v for k, v in doc.items() if k != "ngspice"}
        print("ngspice agrees with ngspice_names.json" if same else "ngspice DIFFERS from ngspice_names.json")
        return 0 if same else 1
    with open(OUTPUT, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    for code in CODE_VERSIONS:
        print(f"{code}: devhelp {len(doc['devhelp'][code]['model'])} model / "
              f"{len(doc['devhelp'][code]['instance'])} instance names; catalog names it does not know: "
              f"{len(doc['unrecognized_model_names'][code])} model, "
              f"{len(doc['unknown_instance_names'][code])} instance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
