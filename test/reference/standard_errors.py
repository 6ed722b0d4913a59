#!/usr/bin/env python3
"""Reference standard errors of the fits (sql/clv_cdnow.sql, sql/sbg_retention.sql,
sql/bgbb_donations.sql).

Independent of src/clv.c: mpmath at 30 digits, each model's log-likelihood
written out from its paper (BG/NBD: FHL 2005 eq. 6; Pareto/NBD: Fader &
Hardie's 2005 note, eq. 19-20, with mpmath's hyp2f1; Gamma-Gamma: Fader &
Hardie 2013; sBG: Fader & Hardie 2007; BG/BB: FHS 2010 eq. 5), its Hessian in
the natural parameters by mpmath's numerical differentiation (mp.diff, at
30 digits, so without the rounding of a double-precision difference), the
covariance its inverse, the standard errors the square roots of the
diagonal.  Evaluated at crm's estimates (printed by the tests with 17
digits), so that only the Hessian is compared.

Run: python3 test/reference/standard_errors.py summary.csv spend.csv
summary.csv: (x, t_x, T, count) rows of the CDNOW calibration summary;
spend.csv: (x, mean, count) rows of its repeat buyers (see sql/clv_cdnow.sql).
retention.csv and donations.csv are read from ../shared/data.
"""
import csv
import sys

import mpmath as mp

mp.mp.dps = 30
DATA = "../shared/data/"


def standard_errors(ll, theta):
    theta = [mp.mpf(v) for v in theta]
    k = len(theta)
    h = mp.matrix(k, k)
    for i in range(k):
        for j in range(i, k):
            order = [0] * k
            order[i] += 1
            order[j] += 1
            h[i, j] = h[j, i] = -mp.diff(lambda *p: ll(p), theta, tuple(order))
    cov = h ** -1
    return [mp.sqrt(cov[i, i]) for i in range(k)], cov


def lbeta(a, b):
    return mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)


def bgnbd_ll(rows):
    def ll(p):
        r, alpha, a, b = p
        total = 0
        for x, t_x, T, n in rows:
            front = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) - lbeta(a, b)
            l = mp.exp(lbeta(a, b + x) - (r + x) * mp.log(alpha + T))
            if x > 0:
                l += mp.exp(lbeta(a + 1, b + x - 1) - (r + x) * mp.log(alpha + t_x))
            total += n * (front + mp.log(l))
        return total
    return ll


def pnbd_ll(rows):
    """Fader & Hardie's note (2005), eq. 19-20, with mpmath's own 2F1."""
    def ll(p):
        r, alpha, s, beta = p
        total = 0
        for x, t_x, T, n in rows:
            if alpha >= beta:
                F = lambda v: mp.hyp2f1(r + s + x, s + 1, r + s + x + 1, (alpha - beta) / (alpha + v)) / (alpha + v) ** (r + s + x)
            else:
                F = lambda v: mp.hyp2f1(r + s + x, r + x, r + s + x + 1, (beta - alpha) / (beta + v)) / (beta + v) ** (r + s + x)
            l = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / (r + s + x) * (F(t_x) - F(T))
            total += n * (mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta) + mp.log(l))
        return total
    return ll


def gg_ll(rows):
    def ll(p):
        p_, q, g = p
        total = 0
        for x, m, n in rows:
            px = p_ * x
            total += n * (mp.loggamma(px + q) - mp.loggamma(px) - mp.loggamma(q) + q * mp.log(g)
                          + (px - 1) * mp.log(m) + px * mp.log(x) - (px + q) * mp.log(g + m * x))
        return total
    return ll


def sbg_ll(rows):
    def ll(p):
        a, b = p
        total = 0
        for t, churned, n in rows:
            if churned:
                total += n * (lbeta(a + 1, b + t - 1) - lbeta(a, b))
            else:
                total += n * (lbeta(a, b + t) - lbeta(a, b))
        return total
    return ll


def bgbb_ll(rows):
    def ll(p):
        a, b, g, d = p
        total = 0
        for x, t_x, n, w in rows:
            l = mp.exp(lbeta(a + x, b + n - x) - lbeta(a, b) + lbeta(g, d + n) - lbeta(g, d))
            for i in range(n - t_x):
                l += mp.exp(lbeta(a + x, b + t_x - x + i) - lbeta(a, b) + lbeta(g + 1, d + t_x + i) - lbeta(g, d))
            total += w * mp.log(l)
        return total
    return ll


def show(name, names, theta, ll):
    se, cov = standard_errors(ll, theta)
    print(name, "log-likelihood", mp.nstr(ll([mp.mpf(v) for v in theta]), 15))
    for n, v, s in zip(names, theta, se):
        print("  %-6s %-22s se %s" % (n, v, mp.nstr(s, 12)))


def read(path, kinds):
    with open(path) as f:
        return [tuple(k(v) for k, v in zip(kinds, row)) for row in csv.reader(f)]


if len(sys.argv) > 2:
    rows = [(int(x), mp.mpf(t), mp.mpf(T), int(n)) for x, t, T, n in read(sys.argv[1], (str, str, str, str))]
    show("BG/NBD (CDNOW sample)", ["r", "alpha", "a", "b"],
         ["0.24259452545605212", "4.413602050783059", "0.7929219508021993", "2.4259064729118816"], bgnbd_ll(rows))
    show("Pareto/NBD (CDNOW sample)", ["r", "alpha", "s", "beta"],
         ["0.5532770482284274", "10.577683532761526", "0.6062400261454712", "11.668736321413443"], pnbd_ll(rows))
    rows = [(int(x), mp.mpf(m), int(n)) for x, m, n in read(sys.argv[2], (str, str, str))]
    show("Gamma-Gamma (CDNOW sample)", ["p", "q", "gamma"],
         ["6.249572291888551", "3.7442246661242686", "15.443520901693965"], gg_ll(rows))

with open(DATA + "retention.csv") as f:
    alive = [int(r["customers_alive"]) for r in csv.DictReader(f) if r["segment"] == "regular"]
rows = [(t, True, alive[t - 1] - alive[t]) for t in range(1, 8)] + [(7, False, alive[7])]
show("sBG (retention, years 0-7)", ["alpha", "beta"], ["0.7040772989269682", "1.182043026866851"], sbg_ll(rows))

with open(DATA + "donations.csv") as f:
    rows = [(int(r["frequency"]), int(r["recency"]), int(r["periods"]), int(r["weights"])) for r in csv.DictReader(f)]
show("BG/BB (donations)", ["alpha", "beta", "gamma", "delta"],
     ["1.2035224080275535", "0.7497163533435263", "0.6567181223926943", "2.7834415495237077"], bgbb_ll(rows))
