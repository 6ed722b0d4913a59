#!/usr/bin/python3
"""BG/NBD fit outside the database: the baseline of bench/clv.sql.

What a user without crm does: export the customer summaries, fit the
BG/NBD model in Python.  The model code of the `lifetimes` package
(BetaGeoFitter) is not installable here (no PyPI), so this is the same
computation with the libraries it builds on: the log-likelihood of Fader,
Hardie & Lee (2005) eq. 6 vectorized over all customers in numpy, with its
analytic gradient, on log-parameters, minimized by scipy's BFGS from
(1, 1, 1, 1) as lifetimes starts.  On CDNOW's calibration sample it gives
the published r = 0.2426, alpha = 4.4136, a = 0.7929, b = 2.4259.  Like lifetimes, it fits one row per
customer (no merging of identical summaries).

Usage: clv_scipy.py SUMMARY.csv        (columns x,t_x,T, no header)
       clv_scipy.py --query 'SELECT x, t_x, T FROM ...'
                                       (exported with COPY TO STDOUT; the
                                       connection from PGHOST, PGPORT, ...)
       clv_scipy.py --query Q --crm 'SELECT crm.bgnbd_fit(...) FROM ...'
                                       (also times crm's fit on the same data
                                       with bench.time_ms, serial, median of 3,
                                       and prints the ratios)
Prints: customers, seconds to export, to load into numpy and to fit, the
fitted r, alpha, a, b and the log-likelihood.
"""
import io
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, digamma


def negative_log_likelihood(u, x, t_x, T):
    r, alpha, a, b = np.exp(u)
    n = len(x)
    la = np.log(alpha + T)
    lt = np.log(alpha + t_x)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * la
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * lt, -np.inf)
    m = np.maximum(A3, A4)
    e3 = np.exp(A3 - m)
    e4 = np.exp(A4 - m)
    ll = A1 + A2 + m + np.log(e3 + e4)
    w4 = e4 / (e3 + e4)
    # gradient in (r, alpha, a, b), then in log-parameters
    gr = digamma(r + x) - digamma(r) + np.log(alpha) - (1 - w4) * la - w4 * lt
    galpha = r / alpha - (r + x) * ((1 - w4) / (alpha + T) + w4 / (alpha + t_x))
    ga = digamma(a + b) - digamma(a + b + x) + w4 / a
    with np.errstate(divide="ignore", invalid="ignore"):
        gb = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - np.where(x > 0, w4 / (b + x - 1), 0)
    grad = np.array([gr.sum() * r, galpha.sum() * alpha, ga.sum() * a, gb.sum() * b])
    return -ll.sum() / n, -grad / n


def psql(command):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", command],
                          check=True, capture_output=True, text=True).stdout


def main():
    started = time.perf_counter()
    if sys.argv[1] == "--query":
        source = io.StringIO(psql("COPY (%s) TO STDOUT CSV" % sys.argv[2]))
    else:
        source = sys.argv[1]
    exported = time.perf_counter()
    data = np.loadtxt(source, delimiter=",", dtype=np.float64, ndmin=2)
    x, t_x, T = data[:, 0], data[:, 1], data[:, 2]
    loaded = time.perf_counter()
    # scipy's default gradient tolerance (1e-5): the parameters agree with
    # crm's (tolerance 1e-8) to 4 decimals; asking scipy for 1e-8 ends in
    # "precision loss" after 3 times the evaluations
    res = minimize(negative_log_likelihood, np.zeros(4), args=(x, t_x, T), jac=True, method="BFGS")
    fitted = time.perf_counter()
    r, alpha, a, b = np.exp(res.x)
    print("customers=%d export_s=%.3f load_s=%.3f fit_s=%.3f r=%.4f alpha=%.4f a=%.4f b=%.4f ll=%.1f iterations=%d success=%s"
          % (len(x), exported - started, loaded - exported, fitted - loaded, r, alpha, a, b,
             -res.fun * len(x), res.nit, res.success))
    if len(sys.argv) > 4 and sys.argv[3] == "--crm":
        crm_ms = float(psql("SELECT bench.time_ms($q$%s$q$, 0, 3)" % sys.argv[4]))
        python_ms = (fitted - started) * 1000
        print("crm fit in the database %.1f ms; python export + load + fit %.1f ms (fit alone %.1f ms); "
              "crm / python = %.3f (fit alone: %.3f)"
              % (crm_ms, python_ms, (fitted - loaded) * 1000, crm_ms / python_ms, crm_ms / ((fitted - loaded) * 1000)))


if __name__ == "__main__":
    main()
