"""Transistor cards: a SPICE model card file → the xbarsolve transistor model neat's cell uses.

:func:`load_transistor` reads the NMOS card of a file (e.g. the published PTM 45 nm HP or LP
card, ``validation/cards/``) as written, with :func:`xbarsolve.spice.parse_model_card`: into
:class:`xbarsolve.devices.Bsim4NMOS` for BSIM4 cards (levels 54/14) -- exact to ngspice's
BSIM4 with the same card -- or :class:`xbarsolve.devices.Level1NMOS` for level-1 cards, at
the given channel width and length.
A card xbarsolve cannot reproduce exactly (a model selector whose DC branch is not
implemented, an unknown parameter) is a :class:`CardError` naming the reason: neat never
falls back to an approximate transistor silently.

The rest of neat takes the transistor *model object*: the cell's cache keys include the
model's card values and source hash, and a run records the card file's hash
(:func:`card_sha256`).
"""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from xbarsolve.devices.bsim4.card import read_model_card
from xbarsolve.spice import parse_model_card

from . import checks

__all__ = ["load_transistor", "with_width", "card_model_name", "card_sha256", "resolve_card", "CardError", "DEFAULT_LENGTH",
           "PUBLISHED_CARDS", "BUILTIN"]

#: Drawn channel length (m) of the selector transistor: the PTM cards' 45 nm node.
DEFAULT_LENGTH = 45e-9
#: The published PTM 45 nm NMOS cards committed with the project (validation/cards/README.md), by name.
PUBLISHED_CARDS = {name: Path(__file__).resolve().parent.parent / "validation" / "cards" / f"{name}.pm"
                   for name in ("ptm45_hp", "ptm45_lp")}
#: The ``card`` value that selects the built-in BsimLikeNMOS 45 nm HP core instead of a card file.
BUILTIN = "builtin"


def resolve_card(card: str) -> Path:
    """The file of ``card``: a published card's name (:data:`PUBLISHED_CARDS`) or a path."""
    if card in PUBLISHED_CARDS:
        path = PUBLISHED_CARDS[card]
        if not path.is_file():
            raise CardError(f"the published card {card} is not at {path}: neat runs from a checkout of the "
                            "project (pip install -e .), or give --card a card file")
        return path
    return Path(card)


class CardError(ValueError):
    """A card file that cannot be read into a transistor model (the message names the file)."""


def _read(path) -> str:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise CardError(f"cannot read the transistor card {path}: {e}") from e


def card_model_name(path) -> str:
    """The name of the one NMOS ``.model`` card in file ``path`` (:class:`CardError` otherwise)."""
    path = resolve_card(str(path))
    text = _read(path)
    try:
        return read_model_card(text, source=str(path)).name
    except ValueError as e:
        raise CardError(f"{path}: {e}") from None


def card_sha256(path) -> str:
    """Hash of a card file's bytes (recorded with a run: a changed card is a changed configuration)."""
    return hashlib.sha256(resolve_card(str(path)).read_bytes()).hexdigest()[:16]


def load_transistor(path, width: float, length: float = DEFAULT_LENGTH) -> tuple:
    """``(model, "exact")``: the NMOS card in file ``path`` (or a published card's name) at drawn
    width ``width`` and length ``length`` (m), 27 °C.  :class:`CardError` if the file cannot be read, holds no single NMOS
    card, or asks for something xbarsolve does not reproduce exactly (the message says what)."""
    width = checks.positive("transistor width", width, unit="m")
    length = checks.positive("transistor length", length, unit="m")
    path = resolve_card(str(path))
    text = _read(path)
    try:
        return parse_model_card(text, w=width, l=length), "exact"
    except ValueError as e:
        raise CardError(f"{path}: {e}") from None


def with_width(transistor, width: float):
    """``transistor`` with channel width ``width`` (m): a BSIM4 card's instance W, or the ``w`` field of
    the level-1 and BSIM-like models."""
    if hasattr(transistor, "with_instance"):
        return transistor.with_instance(w=width)
    return dataclasses.replace(transistor, w=width)
