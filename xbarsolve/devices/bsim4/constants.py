"""Physical constants exactly as BSIM4 uses them, so that a card gives the same device as in SPICE."""
KBOQ = 8.617087e-5        # Boltzmann constant over q (V/K)
EPS0 = 8.85418e-12        # vacuum permittivity (F/m)
EPSSI = 1.03594e-10       # silicon permittivity (F/m), 11.7·ε0
Q_ELECTRON = 1.60219e-19  # elementary charge (C)
EXP_THRESHOLD = 34.0      # BSIM4 clamps exp() arguments at ±34 in several places ...
MIN_EXP = 1.713908431e-15  # ... replacing exp(−x), x > 34, by exp(−34)
MAX_EXP = 5.834617425e14   # ... and exp(x), x > 34, by exp(34)
