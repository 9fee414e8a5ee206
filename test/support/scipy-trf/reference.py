"""
scipy's bounded TRF from given guesses, as impedance.py's circuit_fit runs it: the reference numbers
test/unit/eis/fit-guesses.test.ts and bench/eis/fit-guesses.ts compare cellrig's fits against.

Written apart from src/eis: its own circuit parser and element closed forms (numpy), and scipy's own
least_squares called exactly as scipy.optimize.curve_fit calls it when given bounds (method 'trf',
'2-point' Jacobian, ftol = xtol = gtol = 1e-8, max_nfev None), on the stacked residuals
(Z_fit - Z) / sigma with sigma = |Z| for modulus weighting (impedance.py's weight_by_modulus) and 1 for
unit weighting. Bounds as impedance.py's default: 0 to infinity, a CPE's exponent at most 1.
least_squares is called directly rather than through curve_fit so that a run stopped by its evaluation
limit is recorded (status 0) instead of raising.

  node dist/bench/eis/fit-guesses.js --requests requests.json 1000 12   # the spectra and the guesses
  python3 test/support/scipy-trf/reference.py requests.json test/unit/eis/fixtures/scipy-trf-guesses.json
"""
import json
import re
import sys
import time

import numpy as np
import scipy
from scipy.optimize import least_squares


def element(name, params, omega):
    kind = re.match(r"[A-Za-z]+", name).group(0)
    jw = 1j * omega
    if kind == "R":
        return np.full(omega.shape, params[0], dtype=complex)
    if kind == "C":
        return 1 / (jw * params[0])
    if kind == "L":
        return jw * params[0]
    if kind == "CPE":
        return 1 / (params[0] * jw ** params[1])
    if kind == "Wo":
        s = np.sqrt(jw * params[1])
        return params[0] / (s * np.tanh(s))
    raise ValueError(f"element {name} not known to the reference")


N_PARAMS = {"R": 1, "C": 1, "L": 1, "CPE": 2, "Wo": 2}
EXPONENT = {("CPE", 1)}


def parse(text):
    """The circuit as a tree: ('s', [...]) series, ('p', [...]) parallel, ('e', name)."""
    pos = 0

    def series():
        nonlocal pos
        parts = [term()]
        while pos < len(text) and text[pos] == "-":
            pos += 1
            parts.append(term())
        return ("s", parts) if len(parts) > 1 else parts[0]

    def term():
        nonlocal pos
        if text.startswith("p(", pos):
            pos += 2
            parts = [series()]
            while text[pos] == ",":
                pos += 1
                parts.append(series())
            assert text[pos] == ")", text
            pos += 1
            return ("p", parts)
        m = re.compile(r"[A-Za-z]+\d+").match(text, pos)
        assert m, text
        pos = m.end()
        return ("e", m.group(0))

    tree = series()
    assert pos == len(text), text
    return tree


def elements(tree):
    if tree[0] == "e":
        return [tree[1]]
    return [e for part in tree[1] for e in elements(part)]


def impedance(tree, params, omega, at=0):
    """Z of the tree and the index of the next parameter."""
    if tree[0] == "e":
        kind = re.match(r"[A-Za-z]+", tree[1]).group(0)
        n = N_PARAMS[kind]
        return element(tree[1], params[at : at + n], omega), at + n
    zs = []
    for part in tree[1]:
        z, at = impedance(part, params, omega, at)
        zs.append(z)
    if tree[0] == "s":
        return sum(zs), at
    return 1 / sum(1 / z for z in zs), at


def bounds_of(tree):
    upper = []
    for name in elements(tree):
        kind = re.match(r"[A-Za-z]+", name).group(0)
        upper += [1.0 if (kind, k) in EXPONENT else np.inf for k in range(N_PARAMS[kind])]
    return [0.0] * len(upper), upper


def main(requests_path, out_path):
    with open(requests_path) as f:
        req = json.load(f)
    prepared = []
    for c in req["cases"]:
        tree = parse(c["circuit"])
        omega = 2 * np.pi * np.asarray(c["fHz"])
        z = np.asarray(c["reOhm"]) + 1j * np.asarray(c["imOhm"])
        sigma = np.abs(z) if c["weighting"] == "modulus" else np.ones(len(z))
        prepared.append((tree, omega, z, sigma, bounds_of(tree)))
    runs = []
    t0 = time.time()
    for g in req["guesses"]:
        tree, omega, z, sigma, bounds = prepared[g["case"]]

        def residuals(x):
            zf, _ = impedance(tree, x, omega)
            return np.concatenate([(zf.real - z.real) / sigma, (zf.imag - z.imag) / sigma])

        try:
            res = least_squares(residuals, np.asarray(g["guess"]), jac="2-point", bounds=bounds, method="trf")
            runs.append(
                {
                    "case": g["case"],
                    "guess": g["guess"],
                    "cost": float(res.cost),
                    "status": int(res.status),
                    "nfev": int(res.nfev),
                }
            )
        except Exception as err:  # a guess scipy cannot start from (residuals not finite there)
            runs.append({"case": g["case"], "guess": g["guess"], "cost": None, "error": str(err)})
    out = {
        "generator": "test/support/scipy-trf/reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "seconds": round(time.time() - t0, 1),
        "cases": [{k: c[k] for k in ("file", "circuit", "weighting", "dropInductive")} for c in req["cases"]],
        "runs": runs,
    }
    with open(out_path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
