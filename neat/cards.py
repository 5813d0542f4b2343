"""Transistor cards: a SPICE model card file → the xbarsolve transistor model neat's cell uses.

:func:`load_transistor` reads a card file (e.g. the published PTM 45 nm HP or LP
NMOS card) at a given channel width:

1. **exact** -- through :func:`xbarsolve.spice.parse_model_card`, once it reads
   the card (issue 12 teaches it full BSIM4 cards);
2. **core** -- until then, :class:`xbarsolve.devices.bsim.BsimLikeNMOS` with the
   card's values for every parameter BsimLikeNMOS models (VTH0, TOXE, U0,
   VSAT, RDSW, ETA0, NFACTOR, ...); parameters the card leaves out take their
   BSIM4 default (XL = XW = 0, ADOS = BDOS = 1); everything BsimLikeNMOS does not
   model (gate tunnelling, GIDL, capacitances, temperature coefficients, ...) is
   ignored, with a warning that says so.  For the PTM 45 nm HP card this is
   exactly ``BsimLikeNMOS()`` (its defaults are that card's core).

The rest of neat takes the transistor *model object*, so nothing else changes
when step 1 starts to succeed: the cell's cache keys include the model's card
values and source hash, and the provenance (``"exact"`` or ``"core"``) is
recorded in a run's results.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import warnings
from pathlib import Path

from xbarsolve.devices import NMOSModel
from xbarsolve.devices.bsim import BsimLikeNMOS
from xbarsolve.spice import parse_model_card, parse_spice_number

from . import checks

__all__ = ["load_transistor", "card_parameters", "card_sha256", "CardError", "BSIM4_DEFAULTS"]

#: BSIM4 defaults of the BsimLikeNMOS fields a card may leave out (BSIM4 manual, parameter tables).
BSIM4_DEFAULTS = {"xl": 0.0, "xw": 0.0, "ados": 1.0, "bdos": 1.0}
_NOT_CARD_FIELDS = {f.name for f in dataclasses.fields(NMOSModel)} | {"w", "l"}


class CardError(ValueError):
    """A card file that cannot be read into a transistor model (the message names the file)."""


def _logical_lines(text: str) -> list:
    out = []
    for raw in text.splitlines():
        if raw.lstrip().startswith("*"):
            continue
        line = re.split(r"[;$]", raw, maxsplit=1)[0].rstrip()
        if not line.strip():
            continue
        if line.lstrip().startswith("+"):
            if out:
                out[-1] += " " + line.lstrip()[1:]
            continue
        out.append(line.strip())
    return out


def card_parameters(text: str) -> tuple:
    """``(model name, {parameter (lower case): value})`` of the file's one NMOS ``.model`` card."""
    cards = []
    for line in _logical_lines(text):
        m = re.match(r"(?i)^\.model\s+(\S+)\s+(\S+)(.*)$", line)
        if m and m.group(2).lower() == "nmos":
            cards.append((m.group(1), m.group(3)))
    if len(cards) != 1:
        raise ValueError(f"expected exactly one NMOS .model card, found {len(cards)}")
    name, body = cards[0]
    params = {}
    for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^\s=()]+)", body):
        params[key.lower()] = parse_spice_number(value)
    return name, params


def card_sha256(path) -> str:
    """Hash of a card file's bytes (recorded with a run: a changed card is a changed configuration)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _core_model(params: dict, width: float) -> tuple:
    fields = [f.name for f in dataclasses.fields(BsimLikeNMOS) if f.init and f.name not in _NOT_CARD_FIELDS]
    kwargs, missing = {}, []
    for name in fields:
        if name in params:
            kwargs[name] = params[name]
        elif name in BSIM4_DEFAULTS:
            kwargs[name] = BSIM4_DEFAULTS[name]
        else:
            missing.append(name.upper())
    if missing:
        raise ValueError(f"the card lacks BSIM4 parameter(s) {', '.join(missing)} that BsimLikeNMOS needs")
    ignored = sorted(k.upper() for k in params if k not in kwargs and k not in ("level", "version"))
    return BsimLikeNMOS(w=width, **kwargs), ignored


def load_transistor(path, width: float) -> tuple:
    """``(model, provenance)`` for the NMOS card in file ``path`` at channel width ``width`` (m).

    ``provenance`` is ``"exact"`` (read by :func:`xbarsolve.spice.parse_model_card`) or ``"core"``
    (BsimLikeNMOS with the card's core parameters; see the module docstring).  :class:`CardError`
    if the file cannot be read or holds no usable NMOS card.
    """
    width = checks.positive("transistor width", width, unit="m")
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise CardError(f"cannot read the transistor card {path}: {e}") from e
    try:
        name, params = card_parameters(text)
    except ValueError as e:
        raise CardError(f"{path}: {e}") from None
    try:
        return parse_model_card(text, name=name, w=width), "exact"
    except (ValueError, TypeError) as exact_error:
        level = params.get("level", 1.0)
        if level not in (14.0, 54.0):
            raise CardError(f"{path}: card {name} (level={level:g}) cannot be read: {exact_error}") from None
        try:
            model, ignored = _core_model(params, width)
        except (ValueError, TypeError) as e:
            raise CardError(f"{path}: {e}") from None
        warnings.warn(f"xbarsolve.spice.parse_model_card cannot read {path} yet ({str(exact_error)[:160]}); "
                      f"using BsimLikeNMOS with the card's core parameters; {len(ignored)} parameters of effects "
                      f"BsimLikeNMOS does not model are ignored", UserWarning, stacklevel=2)
        return model, "core"
