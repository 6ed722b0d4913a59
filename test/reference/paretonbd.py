#!/usr/bin/env python3
"""Reference values for the Pareto/NBD functions (sql/clv.sql, sql/clv_cdnow.sql).

Independent of src/clv.c: mpmath at 40 digits, and the likelihood's integral
term by numerical quadrature instead of the hypergeometric function:

    L = G(r+x) alpha^r / G(r) [ (alpha+T)^-(r+x) (beta/(beta+T))^s
                                + int_{t_x}^{T} s beta^s (beta+tau)^-(s+1) (alpha+tau)^-(r+x) dtau ]

(the customer buys x times at rate lambda and dies at tau between t_x and
T, or is alive at T), P(alive) = first term / both, and Fader & Hardie's
conditional expectation E[Y(t) | x, t_x, T] = P(alive) (r+x)(beta+T) /
((alpha+T)(s-1)) (1 - ((beta+T)/(beta+T+t))^(s-1)), E[X(t)] = r beta /
(alpha (s-1)) (1 - (beta/(beta+t))^(s-1)).

Run: python3 test/reference/paretonbd.py [summary.csv]
With a CSV of (x, t_x, T, count) rows (the CDNOW calibration summary, see
sql/clv_cdnow.sql) it also prints the log-likelihood at the published
estimates and at crm's.
"""
import csv
import sys

import mpmath as mp

mp.mp.dps = 40


def terms(p, x, t_x, T):
    r, alpha, s, beta = (mp.mpf(v) for v in p)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    front = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha)
    alive = mp.exp(front) * (alpha + T) ** -(r + x) * (beta / (beta + T)) ** s
    dead = mp.exp(front) * integral(r, alpha, s, beta, x, t_x, T) if T > t_x else mp.mpf(0)
    return alive, dead


def integral(r, alpha, s, beta, x, t_x, T):
    """The dropout term, by quadrature on a geometric grid of alpha + tau: the
    integrand falls like (alpha + tau)^-(r+x), by about e^-1 per piece (one
    piece over [t_x, T] is off by 4 % at x = 50)."""
    ratio = (alpha + T) / (alpha + t_x)
    pieces = int(min(max(8, mp.ceil((r + x) * mp.log(ratio))), 2000))
    grid = [(alpha + t_x) * ratio ** (mp.mpf(k) / pieces) - alpha for k in range(pieces + 1)]
    grid[0], grid[-1] = t_x, T
    return mp.quad(lambda u: s * beta ** s * (beta + u) ** -(s + 1) * (alpha + u) ** -(r + x), grid)


def p_alive(p, x, t_x, T):
    alive, dead = terms(p, x, t_x, T)
    return alive / (alive + dead)


def expected(p, t, x, t_x, T):
    r, alpha, s, beta = (mp.mpf(v) for v in p)
    t, T = mp.mpf(t), mp.mpf(T)
    return p_alive(p, x, t_x, T) * (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * \
        (1 - ((beta + T) / (beta + T + t)) ** (s - 1))


def unconditional(p, t):
    r, alpha, s, beta = (mp.mpf(v) for v in p)
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


PUBLISHED = (0.5534, 10.5802, 0.6061, 11.6562)
CASES = [(2, 30.43, 38.86), (0, 0, 38.86), (7, 35, 38), (7, 20, 38), (1, 1, 2),
         (200, 999, 1000), (200, 500, 1000), (50, 10, 1000)]

print("model r, alpha, s, beta =", PUBLISHED)
for x, t_x, T in CASES:
    print("x=%d t_x=%g T=%g  p_alive=%s  E[Y(39)]=%s" % (x, t_x, T, mp.nstr(p_alive(PUBLISHED, x, t_x, T), 20),
                                                        mp.nstr(expected(PUBLISHED, 39, x, t_x, T), 20)))
for t in (39, 78, 0.5):
    print("E[X(%g)] = %s" % (t, mp.nstr(unconditional(PUBLISHED, t), 20)))

if len(sys.argv) > 1:
    rows = [tuple(map(float, row)) for row in csv.reader(open(sys.argv[1]))]
    for name, p in (("published", PUBLISHED), ("crm", tuple(map(float, sys.argv[2:6])) if len(sys.argv) > 5 else None)):
        if p is None:
            continue
        ll = sum(w * mp.log(sum(terms(p, x, t_x, T))) for x, t_x, T, w in rows)
        print("log-likelihood at %s %s: %s" % (name, p, mp.nstr(ll, 15)))
