#!/usr/bin/env python3
"""Reference values of the conditional P(n purchases in t) (sql/clv_p_purchases.sql).

mpmath at 40 digits, independent of src/clv.c:

Pareto/NBD: P(Y(t) = n | x, t_x, T) = P(alive) [NB(n; R, A/(A+t)) (B/(B+t))^s
  + int_0^t s B^s (B+tau)^-(s+1) NB(n; R, A/(A+tau)) dtau] + [n = 0] (1 - P(alive)),
  R = r+x, A = alpha+T, B = beta+T, the integral by mpmath's quadrature (tanh-sinh,
  split at the peak of the integrand) rather than crm's Gauss-Legendre panels, and
  P(alive) from test/reference/paretonbd.py (the dropout term by quadrature).

BG/NBD: P(alive) (FHL 2005 eq. 11) times FHL 2005 eq. 8 with r+x, alpha+T,
  b+x, plus [n = 0] (1 - P(alive)), with mpmath's betainc for the tail of the
  negative binomial.

Both are also checked in the test by identities that do not depend on the
derivation: the probabilities over n sum to 1 and their mean is the
conditional expectation of bgnbd/paretonbd_expected_purchases.

Run: python3 test/reference/p_purchases.py
"""
import os
import sys

import mpmath as mp

sys.path.insert(0, os.path.dirname(__file__))
import paretonbd  # noqa: E402  (prints its own reference values first)

mp.mp.dps = 40


def nb(n, R, A, tau):
    return mp.exp(mp.loggamma(R + n) - mp.loggamma(R) - mp.loggamma(n + 1)) * (A / (A + tau)) ** R * (tau / (A + tau)) ** n


def pnbd_p(p, t, n, x, t_x, T):
    r, alpha, s, beta = (mp.mpf(v) for v in p)
    t, t_x, T = mp.mpf(t), mp.mpf(t_x), mp.mpf(T)
    R, A, B = r + x, alpha + T, beta + T
    alive = paretonbd.p_alive(p, x, t_x, T) if T > 0 else mp.mpf(1)
    peak = min(max(n * A / R, 0), t)
    pts = sorted(set([mp.mpf(0), peak, t]))
    integral = mp.quad(lambda u: s * B ** s * (B + u) ** -(s + 1) * nb(n, R, A, u), pts)
    p_alive_n = nb(n, R, A, t) * (B / (B + t)) ** s + integral
    return alive * p_alive_n + (1 - alive if n == 0 else 0)


def bgnbd_p(p, t, n, x, t_x, T):
    r, alpha, a, b = (mp.mpf(v) for v in p)
    t, t_x, T = mp.mpf(t), mp.mpf(t_x), mp.mpf(T)
    if x == 0:
        alive = mp.mpf(1)
    else:
        alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    R, A, B = r + x, alpha + T, b + x
    lb = lambda u, v: mp.loggamma(u) + mp.loggamma(v) - mp.loggamma(u + v)
    q = t / (A + t)
    pr = mp.exp(lb(a, B + n) - lb(a, B)) * nb(n, R, A, t)
    if n > 0:
        pr += mp.exp(lb(a + 1, B + n - 1) - lb(a, B)) * mp.betainc(n, R, 0, q, regularized=True)
    return alive * pr + (1 - alive if n == 0 else 0)


PN = ("0.5534", "10.5802", "0.6061", "11.6562")
BG = ("0.243", "4.414", "0.793", "2.426")
print("Pareto/NBD", PN)
for t, n, x, t_x, T in ((39, 0, 2, 30.43, 38.86), (39, 1, 2, 30.43, 38.86), (39, 3, 2, 30.43, 38.86),
                        (39, 0, 0, 0, 0), (39, 2, 0, 0, 0), (39, 8, 200, 999, 1000), (39, 0, 200, 999, 1000),
                        (39, 1, 50, 10, 1000), (1, 0, 7, 35, 38), (1000, 30, 7, 35, 38)):
    print("  P(Y(%s) = %d | %d, %s, %s) = %s" % (t, n, x, t_x, T, mp.nstr(pnbd_p(PN, t, n, x, t_x, T), 20)))
print("BG/NBD", BG)
for t, n, x, t_x, T in ((39, 0, 2, 30.43, 38.86), (39, 1, 2, 30.43, 38.86), (39, 3, 2, 30.43, 38.86),
                        (39, 2, 0, 0, 0), (39, 8, 200, 999, 1000), (39, 0, 200, 500, 1000),
                        (1000, 30, 7, 35, 38)):
    print("  P(Y(%s) = %d | %d, %s, %s) = %s" % (t, n, x, t_x, T, mp.nstr(bgnbd_p(BG, t, n, x, t_x, T), 20)))
