"""BSIM4 (levels 14 and 54): published model cards, loaded as written.

The package follows a card from text to currents:

* :mod:`.parameters` -- the catalog of every BSIM4.8 model and instance
  parameter (BSIM4.8.0 manual, Appendix A, and what ngspice 39 accepts):
  names, aliases, units, defaults and default rules, binnability, and how
  each one matters for DC currents;
* :mod:`.card` -- SPICE text to typed records: :class:`~.card.ModelCard`
  (a ``.model`` card) and :class:`~.card.InstanceParameters` (an ``M`` line
  or keyword instance parameters), strictly checked;
* :mod:`.binning` -- the size-dependent part: effective lengths and widths
  (Leff, Weff, Weffcj, Leffcv, Weffcv) and every binnable parameter at one
  instance size.

The device physics (threshold, mobility, channel current, tunnelling, GIDL,
impact ionisation, junctions, parasitic resistances, temperature) lives in
the package's other modules.
"""
