"""Shared pytest configuration: hypothesis settings profiles.

Profiles (choose with the environment variable ``XBARSOLVE_PROFILE``):

* ``fast`` (default, CI): 100 examples per property test, derandomized so CI runs
  are reproducible (the whole of tests/test_properties.py stays well under 90 s
  on a 2-core machine);
* ``thorough``: 1,000 examples per property test, random seeds -- with the twelve
  generated-circuit tests of tests/test_properties.py that is 12,000 random
  circuits (about 22,000 solves); tests/test_hard_cases.py's fuzz runs a fifth.

``XBARSOLVE_MAX_EXAMPLES`` overrides the count of either profile.

No profile has a deadline: the first example of a run pays for numba
compilation, and tests must never assert on time.
"""
from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))  # `import strategies` works with or without tests/__init__.py

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fast", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, derandomize=False, **_COMMON)

_profile = os.environ.get("XBARSOLVE_PROFILE", "fast")
if _profile not in ("fast", "thorough"):
    raise ValueError(f"XBARSOLVE_PROFILE must be 'fast' or 'thorough', got {_profile!r}")
if os.environ.get("XBARSOLVE_MAX_EXAMPLES"):
    settings.register_profile(f"{_profile}-n", settings.get_profile(_profile),
                              max_examples=int(os.environ["XBARSOLVE_MAX_EXAMPLES"]))
    _profile = f"{_profile}-n"
settings.load_profile(_profile)


def pytest_report_header(config):
    return f"hypothesis profile: {_profile} (max_examples={settings.default.max_examples})"
