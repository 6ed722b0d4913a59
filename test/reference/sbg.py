#!/usr/bin/env python3
"""Reference values for the sBG functions (sql/sbg.sql).

Independent of src/clv.c: mpmath at 40 digits, the survival function as the
product of the retention rates S(t) = prod_{i=1..t} (beta+i-1)/(alpha+beta+i-1),
and DERL as the plain sum over the future periods,
sum_{k>=0} S(n+k+1)/S(n) / (1+d)^k, added up term by term (mpmath.nsum),
not through the hypergeometric function.

Run: python3 test/reference/sbg.py
"""
import mpmath as mp

mp.mp.dps = 40


def survival(a, b, t):
    s = mp.mpf(1)
    for i in range(1, t + 1):
        s *= (b + i - 1) / (a + b + i - 1)
    return s


def derl(a, b, d, n):
    a, b, d = mp.mpf(a), mp.mpf(b), mp.mpf(d)
    # S(n+k+1)/S(n) = prod_{i=n+1..n+k+1} (b+i-1)/(a+b+i-1), as a ratio of gamma functions
    term = lambda k: mp.exp(mp.loggamma(b + n + k + 1) - mp.loggamma(b + n) - mp.loggamma(a + b + n + k + 1)
                            + mp.loggamma(a + b + n)) / (1 + d) ** k
    return mp.nsum(term, [0, mp.inf])


A, B = mp.mpf("0.704"), mp.mpf("1.182")
print("model alpha, beta =", A, B)
for t in (1, 7, 8, 12, 100):
    print("S(%d) = %s" % (t, mp.nstr(survival(A, B, t), 20)))
for d, n in ((0.1, 0), (0.1, 4), (0.1, 100), (0.01, 0)):
    print("DERL(d=%g, n=%d) = %s" % (d, n, mp.nstr(derl(A, B, d, n), 20)))
