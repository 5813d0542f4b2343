"""Terminal currents of a BSIM4 device whose channel carries no current, from xbarsolve's junction and
parasitic-resistance models alone (the validation side of ``validation/bsim4_junction``).

With the channel off (V_GS, V_GD <= −3 V) or at V_DS' = 0 by symmetry (identical source and
drain sides at V_D = V_S), and every gate and body current of the channel model switched off
(IGCMOD = IGBMOD = 0, ALPHA0 = ALPHA1 = 0, AGIDL = 0), the only DC currents of a BSIM4 device are
its two junction diodes, flowing through the series resistances (s–s', d–d') and the substrate
network (b–b', b'–sb, b'–db, b–sb, b–db).  This module solves that small network by Newton's
method (analytic Jacobian from the models' exact derivatives) and returns the currents into the
four terminals, to be compared with ngspice's.
"""
from __future__ import annotations

import numpy as np

from xbarsolve.devices.bsim4.junction import junction_current
from xbarsolve.devices.bsim4.parasitics import series_resistance

TERMINALS = ("d", "g", "s", "b")


class Network:
    """The junction/resistance network of one device (see the module docstring).

    ``diodes``: :class:`~xbarsolve.devices.bsim4.junction.JunctionDiodes`; ``parasitics``:
    :class:`~xbarsolve.devices.bsim4.parasitics.ParasiticNetwork`; ``gmin`` in S.
    """

    def __init__(self, diodes, parasitics, gmin: float):
        self.diodes, self.net, self.gmin = diodes, parasitics, float(gmin)
        internal = []
        rds1 = parasitics.rdsmod == 1
        self.has_sp = rds1 or parasitics.source_resistance > 0.0
        self.has_dp = rds1 or parasitics.drain_resistance > 0.0
        if self.has_sp:
            internal.append("s'")
        if self.has_dp:
            internal.append("d'")
        if parasitics.body_conductances is not None:
            internal += ["b'", "sb", "db"]
        self.internal = internal
        self.index = {n: k for k, n in enumerate(internal)}

    def _node(self, name: str) -> str:
        """The node a name stands for when it has no internal node of its own."""
        if name in self.index:
            return name
        return {"s'": "s", "d'": "d", "b'": "b", "sb": "b", "db": "b"}.get(name, name)

    def _residual(self, x, ext):
        v = dict(ext)
        for n, k in self.index.items():
            v[n] = x[k]
        for n in ("s'", "d'", "b'", "sb", "db"):
            v.setdefault(n, v[self._node(n)])
        n_int = len(self.internal)
        f = np.zeros(n_int)
        jac = np.zeros((n_int, n_int))
        currents = {t: 0.0 for t in TERMINALS}

        def add(node, value, derivs):
            """Current ``value`` leaving ``node`` (internal or terminal), d/d(node voltage) ``derivs``."""
            node = self._node(node)
            if node in self.index:
                r = self.index[node]
                f[r] += value
                for m, dv in derivs.items():
                    m = self._node(m)
                    if m in self.index:
                        jac[r, self.index[m]] += dv
            else:
                currents[node] += value   # leaving a terminal node into the device = into the terminal

        def conductance(a, b, g):
            i = g * (v[a] - v[b])
            add(a, i, {a: g, b: -g})
            add(b, -i, {a: -g, b: g})

        # junctions: current from the body side (sb/db) into s'/d'
        for body, diff, p in (("sb", "s'", self.diodes.source), ("db", "d'", self.diodes.drain)):
            i, g = junction_current(v[body] - v[diff], p, self.gmin)
            add(body, i, {body: g, diff: -g})
            add(diff, -i, {body: -g, diff: g})
        # series resistances
        net = self.net
        for ext_n, int_n, r0, p in (("s", "s'", net.source_resistance, net.source_series),
                                    ("d", "d'", net.drain_resistance, net.drain_series)):
            if self._node(int_n) == ext_n:
                continue
            if p is None:
                conductance(int_n, ext_n, 1.0 / r0)
                continue
            r, dr_dvg, dr_dvb = series_resistance(v["g"] - v[int_n], v["b'"] - v[int_n], p)
            dv = v[int_n] - v[ext_n]
            i = dv / r
            di_dint = 1.0 / r - dv / (r * r) * (-dr_dvg - dr_dvb)
            di_dext = -1.0 / r
            di_db = -dv / (r * r) * dr_dvb
            add(int_n, i, {int_n: di_dint, ext_n: di_dext, "b'": di_db})
            add(ext_n, -i, {int_n: -di_dint, ext_n: -di_dext, "b'": -di_db})
        # substrate network
        if net.body_conductances is not None:
            for (a, b), g in zip((("b", "b'"), ("b'", "sb"), ("b'", "db"), ("b", "sb"), ("b", "db")),
                                 net.body_conductances):
                conductance(a, b, g)
        return f, jac, currents, v

    def solve(self, vd: float, vg: float, vs: float, vb: float, *, tol: float = 1e-15, max_iter: int = 200):
        """(currents into d, g, s, b in A, internal node voltages {name: V}) at the given terminal voltages."""
        ext = {"d": vd, "g": vg, "s": vs, "b": vb}
        x = np.array([{"s'": vs, "d'": vd}.get(n, vb) for n in self.internal], dtype=float)
        for _ in range(max_iter):
            f, jac, currents, v = self._residual(x, ext)
            if not self.internal:
                break
            step = np.linalg.solve(jac, -f)
            # limit each step to 0.1 V so that the exponentials cannot run away
            scale = min(1.0, 0.1 / max(np.max(np.abs(step)), 1e-300))
            x = x + scale * step
            if np.max(np.abs(step)) < tol * max(1.0, np.max(np.abs(x))):
                break
        else:
            raise RuntimeError(f"network Newton did not converge at {ext}")
        f, jac, currents, v = self._residual(x, ext)
        return np.array([currents[t] for t in TERMINALS]), {n: v[n] for n in self.internal}
