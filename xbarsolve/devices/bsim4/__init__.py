"""BSIM4 (levels 14 and 54): published model cards, loaded as written, solved as ngspice does.

>>> from xbarsolve.devices import Bsim4NMOS
>>> fet = Bsim4NMOS.from_card("validation/cards/ptm45_hp.pm", w=1e-6, l=45e-9)  # doctest: +SKIP

The package follows a card from text to currents, one module per stage:

* :mod:`.parameters` -- the catalog of every BSIM4.8 model and instance parameter (names,
  aliases, units, defaults and their rules, binnability, DC relevance);
* :mod:`.card` -- SPICE text to typed records (:class:`~.card.ModelCard`,
  :class:`~.card.InstanceParameters`), strictly checked;
* :mod:`.binning` -- effective dimensions and binned parameters at one instance size;
* :mod:`.setup` -- size-, temperature- and version-dependent constants of the intrinsic device
  (layout :mod:`.layout`);
* :mod:`.channel`, :mod:`.leakage`, :mod:`.intrinsic` -- the bias-dependent currents of the
  intrinsic device: drain current, gate tunnelling, GIDL/GISL, impact ionisation (dual numbers);
* :mod:`.diffusions`, :mod:`.junction`, :mod:`.parasitics` -- source/drain diffusions, junction
  diodes, series, gate-electrode and substrate resistances;
* :mod:`.element` -- the transistor as a solver element: the sub-circuit with its internal nodes
  solved inside, condensed to its two terminals;
* :mod:`.model` -- :class:`Bsim4NMOS`, the public class.
"""
from .model import IMPLEMENTED_SELECTORS, IMPLEMENTED_VERSIONS, Bsim4NMOS, UnsupportedModelError

__all__ = ["Bsim4NMOS", "UnsupportedModelError", "IMPLEMENTED_SELECTORS", "IMPLEMENTED_VERSIONS"]
