"""Extract the parameter names of the BSIM4.8.0 manual's Appendix A ("Complete Parameter List").

The manual is not part of the repository; its text (``pdftotext -layout`` of
BSIM480_Manual.pdf) is.  This script reads sections A.1 ... A.17 of that text
and writes ``appendix_a_names.json``: every parameter name the tables list,
with the section it appears in.  tests/test_bsim4_parameters.py checks that
:mod:`xbarsolve.devices.bsim4.parameters` knows every one of them, and re-runs
this extraction when the manual's text is at hand (``BSIM4_MANUAL_TEXT``).

How a name is recognised: a table row starts at column 0 with the name in
capitals (digits allowed; ``SAref``/``SBref`` are the manual's spelling), and
rows that give a source and a drain name together list both before the
description (``JSS JSD``, ``XTSS, XTSD``).  Two misprints of the manual are
read as what the rows describe; both are listed in ``MISPRINTS`` and recorded
in the output.

Usage::

    python validation/bsim4_card/appendix_names.py /work/notes/bsim480.txt
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "appendix_a_names.json")

_NAME = re.compile(r"[A-Z][A-Z0-9]+(?:ref)?")
_SECTION = re.compile(r"^A\.(\d+)\s+\S")
_NOT_NAMES = {"NA"}

# (name as printed, occurrence) -> names the row describes, and why
MISPRINTS = {
    ("EPSRSUB", 2): (["EPSRGATE"], "second EPSRSUB row of A.3 describes the gate's dielectric "
                                   "constant, i.e. EPSRGATE"),
    ("PB", 1): (["PBS", "PBD"], "the row's default column reads PBS=1.0V PBD=PBS"),
    ("XTIDJunction", 1): (["XTID"], "XTID printed without a space before the description"),
}


def _row_names(line: str) -> list:
    """Names listed at the start of a table row (before the description), as printed."""
    head = re.split(r"\s{3,}", line, maxsplit=1)[0].split("(")[0]  # "LEVEL (SPICE3 ...", "NGCON(Also ..."
    names = []
    for k, token in enumerate(re.split(r"[\s,(]+", head)):
        if not token:
            continue
        if token == "XTIDJunction" or (_NAME.fullmatch(token) and token not in _NOT_NAMES):
            names.append(token)
        else:
            break  # description starts
    return names


def extract(text: str) -> dict:
    """{name: {"section": "A.n", "as_printed": str}} of Appendix A's tables (sections A.1 to A.17)."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if re.match(r"^A\.1\s+BSIM4", ln))
    stop = next(i for i, ln in enumerate(lines) if i > start and re.match(r"^A\.18\s", ln))
    found, seen, section = {}, {}, None
    for line in lines[start:stop]:
        m = _SECTION.match(line)
        if m:
            section = f"A.{m.group(1)}"
            continue
        if not line or line[0].isspace() or not line[0].isupper():
            continue
        for printed in _row_names(line):
            seen[printed] = seen.get(printed, 0) + 1
            names, _why = MISPRINTS.get((printed, seen[printed]), ([printed], None))
            for name in names:
                found.setdefault(name, {"section": section, "as_printed": printed})
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manual_text", help="pdftotext -layout output of BSIM480_Manual.pdf")
    ap.add_argument("--output", default=OUTPUT)
    args = ap.parse_args(argv)
    with open(args.manual_text, encoding="utf-8") as fh:
        names = extract(fh.read())
    doc = {"source": "BSIM4v4.8.0 Manual (UC Berkeley, 2013), Appendix A, sections A.1-A.17",
           "misprints": {f"{k[0]} (occurrence {k[1]})": {"read_as": v[0], "why": v[1]}
                         for k, v in MISPRINTS.items()},
           "names": dict(sorted(names.items()))}
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    print(f"{len(names)} names -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
