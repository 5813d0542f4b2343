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
# NDEP = 3.01248e22·(GAMMA1·Coxe)² cm^-3 when a card gives GAMMA1 instead of NDEP (Note-2): ngspice's
# constant, 1/(2·q·εsi) rounded to six digits (black-box: the NDEP that reproduces ngspice's currents
# for GAMMA1 = 0.9 is 3.0124800e22·(GAMMA1·Coxe)² at every bias; the unrounded 3.0124607e22 is off)
NDEP_PER_GAMMA_COXE_SQUARED = 3.01248e22
# VBX = −|Φs − 7.7348e-4·NDEP·XT²| (V; NDEP in cm^-3, XT in m) when the card gives neither VBX nor
# K1, K2 (Note-3): q·1e6/(2·εsi) rounded to five digits, and a positive result negated (black-box:
# the VBX behind ngspice's K1, K2 (Note-5) is this to 1e-9 for XT = 1e-8 ... 3e-8 m, VBM = −2, −3 V)
VBX_PER_NDEP_XT_SQUARED = 7.7348e-4
# γ = 5.753e-12·sqrt(N)/Coxe (√V; N in cm^-3, Coxe in F/m²) for GAMMA1 from NDEP and GAMMA2 from NSUB
# when the card gives neither K1 nor K2 (Note-1): ngspice's constant, sqrt(2·q·εsi·1e6) = 5.7615e-12
# rounded (badly) to four digits (black-box: the γ1, γ2 behind ngspice's K1, K2 are 5.7530000e-12·sqrt(N)/Coxe
# for NSUB = 3e17 and 1e18)
GAMMA_COXE_PER_SQRT_DOPING = 5.753e-12
