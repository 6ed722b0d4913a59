#!/usr/bin/env python3
"""Reference values for the MBG/NBD predictions (sql/mbgnbd.sql).

Independent of src/clv.c: mpmath at 40 digits and lifetimes'
ModifiedBetaGeoFitter formulas with mpmath's own hyp2f1 (crm sums 2F1 by
its transformed series):

  P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
  E[Y(t) | x, t_x, T] = P(alive) (a+b+x)/(a-1)
                        [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
  E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]

Run: python3 test/reference/mbgnbd.py
"""
import mpmath as mp

mp.mp.dps = 40


def p_alive(p, x, t_x, T):
    r, alpha, a, b = (mp.mpf(v) for v in p)
    return 1 / (1 + a / (b + x) * ((alpha + mp.mpf(T)) / (alpha + mp.mpf(t_x))) ** (r + x))


def expected(p, t, x, t_x, T):
    r, alpha, a, b = (mp.mpf(v) for v in p)
    t, T = mp.mpf(t), mp.mpf(T)
    z = t / (alpha + T + t)
    return p_alive(p, x, t_x, T) * (a + b + x) / (a - 1) * \
        (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * mp.hyp2f1(r + x, b + x + 1, a + b + x, z))


def unconditional(p, t):
    r, alpha, a, b = (mp.mpf(v) for v in p)
    t = mp.mpf(t)
    return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * mp.hyp2f1(r, b + 1, a + b, t / (alpha + t)))


for p in (("0.525", "6.183", "0.891", "1.614"), ("0.8", "5", "2.5", "4")):
    print("model r, alpha, a, b =", p)
    for x, t_x, T in ((0, 0, 38.86), (2, 30.43, 38.86), (7, 35, 38), (7, 20, 38), (200, 999, 1000), (50, 10, 1000)):
        print("  x=%d t_x=%g T=%g  p_alive=%s  E[Y(39)]=%s" % (x, t_x, T, mp.nstr(p_alive(p, x, t_x, T), 20),
                                                              mp.nstr(expected(p, 39, x, t_x, T), 20)))
    for t in (39, 78, 0.5):
        print("  E[X(%g)] = %s" % (t, mp.nstr(unconditional(p, t), 20)))
