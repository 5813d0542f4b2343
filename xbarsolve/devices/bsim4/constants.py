"""Physical constants exactly as BSIM4 uses them, so that a card gives the same device as in SPICE."""
KBOQ = 8.617087e-5        # Boltzmann constant over q (V/K)
EPS0 = 8.85418e-12        # vacuum permittivity (F/m)
EPSSI = 1.03594e-10       # silicon permittivity (F/m), 11.7·ε0
Q_ELECTRON = 1.60219e-19  # elementary charge (C)
# ngspice's own elementary charge (CODATA 2014), which its BSIM4 codes use in the poly-gate
# depletion term (black-box: the depletion factor q·εsi·NGATE/Coxe² fits ngspice's currents
# only with it -- 1.60219e-19 is off by 8.35e-6 at every bias and NGATE)
Q_NGSPICE = 1.6021766208e-19
EXP_THRESHOLD = 34.0      # BSIM4 clamps exp() arguments at ±34 in several places ...
MIN_EXP = 1.713908431e-15  # ... replacing exp(−x), x > 34, by exp(−34)
MAX_EXP = 5.834617425e14   # ... and exp(x), x > 34, by exp(34)
