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
       clv_scipy.py --model M --query Q --crm C
                                       (M: bgnbd, the default; paretonbd,
                                       mbgnbd on (x, t_x, T); bgbb on (x, t_x,
                                       n); sbg on (periods, churned 0/1))
Prints: customers, seconds to export, to load into numpy and to fit, the
fitted parameters and the log-likelihood.

The other models, each as its Python peer computes it:
- Pareto/NBD: lifetimes' ParetoNBDFitter log-likelihood (Fader, Hardie &
  Lee 2005, "A note on deriving the Pareto/NBD model", eq. 22 with the
  2F1 of scipy.special.hyp2f1, logsumexp of the two terms), one row per
  customer; lifetimes minimizes it with Nelder-Mead without a gradient,
  here scipy's BFGS with finite differences (fewer evaluations: the
  baseline is the faster of the two);
- MBG/NBD: lifetimes' ModifiedBetaGeoFitter likelihood (Batislam et al.
  2007) with its analytic gradient (lifetimes differentiates it with
  autograd), BFGS, one row per customer;
- BG/BB: lifetimes' BetaGeoBetaBinomFitter likelihood (Fader, Hardie &
  Shang 2010 eq. 5: a loop over the n - t_x extra terms, each vectorized,
  combined with logaddexp) on the summaries made unique with their counts
  as weights (lifetimes takes weights; the np.unique is timed as fit),
  BFGS with finite differences;
- sBG: PyMC-Marketing's shifted-beta-geometric likelihood per contract
  (betaln of the churned and the surviving terms), BFGS with finite
  differences.
"""
import io
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, digamma, betaln, hyp2f1, logsumexp


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


def mbgnbd_negative_log_likelihood(u, x, t_x, T):
    r, alpha, a, b = np.exp(u)
    n = len(x)
    la = np.log(alpha + T)
    lt = np.log(alpha + t_x)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    A3 = -(r + x) * la
    A4 = np.log(a) - np.log(b + x) - (r + x) * lt
    m = np.maximum(A3, A4)
    e3 = np.exp(A3 - m)
    e4 = np.exp(A4 - m)
    ll = A1 + A2 + m + np.log(e3 + e4)
    w4 = e4 / (e3 + e4)
    gr = digamma(r + x) - digamma(r) + np.log(alpha) - (1 - w4) * la - w4 * lt
    galpha = r / alpha - (r + x) * ((1 - w4) / (alpha + T) + w4 / (alpha + t_x))
    ga = digamma(a + b) - digamma(a + b + x + 1) + w4 / a
    gb = digamma(a + b) + digamma(b + x + 1) - digamma(b) - digamma(a + b + x + 1) - w4 / (b + x)
    grad = np.array([gr.sum() * r, galpha.sum() * alpha, ga.sum() * a, gb.sum() * b])
    return -ll.sum() / n, -grad / n


def paretonbd_negative_log_likelihood(u, x, t_x, T):
    r, alpha, s, beta = np.exp(u)
    # lifetimes' ParetoNBDFitter._log_A_0 and _conditional_log_likelihood
    if alpha < beta:
        lo, hi, t = alpha, beta, r + x
    else:
        lo, hi, t = beta, alpha, s + 1
    rsx = r + s + x
    p1 = hyp2f1(rsx, t, rsx + 1.0, (hi - lo) / (hi + t_x))
    q1 = hi + t_x
    p2 = hyp2f1(rsx, t, rsx + 1.0, (hi - lo) / (hi + T))
    q2 = hi + T
    with np.errstate(divide="ignore", invalid="ignore"):
        sign = np.ones(len(x))
        log_A0 = logsumexp([np.log(p1) + rsx * np.log(q2), np.log(p2) + rsx * np.log(q1)], axis=0,
                           b=[sign, -sign]) - rsx * np.log(q1 * q2)
        A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        A2 = np.logaddexp(-(r + x) * np.log(alpha + T) - s * np.log(beta + T), np.log(s) + log_A0 - np.log(rsx))
    ll = A1 + A2
    return -ll.sum() / len(x)


def bgbb_negative_log_likelihood(u, x, t_x, n, w):
    a, b, g, d = np.exp(u)
    # lifetimes' BetaGeoBetaBinomFitter._loglikelihood
    beta_ab = betaln(a, b)
    beta_gd = betaln(g, d)
    ll = betaln(a + x, b + n - x) - beta_ab + betaln(g, d + n) - beta_gd
    recency_T = n - t_x - 1
    for j in np.arange(recency_T.max() + 1):
        ix = recency_T >= j
        ll[ix] = np.logaddexp(ll[ix], betaln(a + x[ix], b + t_x[ix] - x[ix] + j) - beta_ab
                              + betaln(g + 1, d + t_x[ix] + j) - beta_gd)
    return -(w * ll).sum() / w.sum()


def sbg_negative_log_likelihood(u, periods, churned):
    a, b = np.exp(u)
    ll = np.where(churned > 0, betaln(a + 1, b + periods - 1), betaln(a, b + periods)) - betaln(a, b)
    return -ll.sum() / len(periods)


def fit(model, data):
    """the fitted parameters (natural scale), log-likelihood and the scipy result"""
    if model == "bgbb":
        patterns, counts = np.unique(data, axis=0, return_counts=True)
        x, t_x, n = patterns[:, 0], patterns[:, 1], patterns[:, 2]
        w = counts.astype(np.float64)
        res = minimize(bgbb_negative_log_likelihood, np.zeros(4), args=(x, t_x, n, w), method="BFGS")
        return np.exp(res.x), -res.fun * w.sum(), res
    if model == "sbg":
        res = minimize(sbg_negative_log_likelihood, np.zeros(2), args=(data[:, 0], data[:, 1]), method="BFGS")
        return np.exp(res.x), -res.fun * len(data), res
    x, t_x, T = data[:, 0], data[:, 1], data[:, 2]
    if model == "paretonbd":
        res = minimize(paretonbd_negative_log_likelihood, np.zeros(4), args=(x, t_x, T), method="BFGS")
    elif model == "mbgnbd":
        res = minimize(mbgnbd_negative_log_likelihood, np.zeros(4), args=(x, t_x, T), jac=True, method="BFGS")
    else:
        # scipy's default gradient tolerance (1e-5): the parameters agree with
        # crm's (tolerance 1e-8) to 4 decimals; asking scipy for 1e-8 ends in
        # "precision loss" after 3 times the evaluations
        res = minimize(negative_log_likelihood, np.zeros(4), args=(x, t_x, T), jac=True, method="BFGS")
    return np.exp(res.x), -res.fun * len(x), res


NAMES = {"bgnbd": "r alpha a b", "paretonbd": "r alpha s beta", "mbgnbd": "r alpha a b",
         "bgbb": "alpha beta gamma delta", "sbg": "alpha beta"}


def psql(command):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", command],
                          check=True, capture_output=True, text=True).stdout


def main():
    args = sys.argv[1:]
    model = "bgnbd"
    if args[0] == "--model":
        model, args = args[1], args[2:]
    started = time.perf_counter()
    if args[0] == "--query":
        source = io.StringIO(psql("COPY (%s) TO STDOUT CSV" % args[1]))
    else:
        source = args[0]
    exported = time.perf_counter()
    data = np.loadtxt(source, delimiter=",", dtype=np.float64, ndmin=2)
    loaded = time.perf_counter()
    params, ll, res = fit(model, data)
    fitted = time.perf_counter()
    print("%s: customers=%d export_s=%.3f load_s=%.3f fit_s=%.3f %s ll=%.1f iterations=%d success=%s"
          % (model, len(data), exported - started, loaded - exported, fitted - loaded,
             " ".join("%s=%.4f" % (k, v) for k, v in zip(NAMES[model].split(), params)),
             ll, res.nit, res.success))
    if len(args) > 3 and args[2] == "--crm":
        crm_ms = float(psql("SELECT bench.time_ms($q$%s$q$, 0, 3)" % args[3]))
        python_ms = (fitted - started) * 1000
        print("%s: crm fit in the database %.1f ms; python export + load + fit %.1f ms (fit alone %.1f ms); "
              "crm / python = %.3f (fit alone: %.3f)"
              % (model, crm_ms, python_ms, (fitted - loaded) * 1000, crm_ms / python_ms, crm_ms / ((fitted - loaded) * 1000)))


if __name__ == "__main__":
    main()
