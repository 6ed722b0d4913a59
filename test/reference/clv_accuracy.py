#!/usr/bin/env python3
"""Reference values of the expected purchases at extreme parameters (sql/clv_accuracy.sql).

mpmath 1.3 at 50 digits, the closed forms with mpmath's hyp2f1 (exact
arithmetic makes their cancellation harmless), independent of src/clv.c:

BG/NBD (Fader, Hardie & Lee 2005, eq. 10):
  E = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
      / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
MBG/NBD (Batislam et al. 2007; lifetimes' ModifiedBetaGeoFitter):
  E = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
      / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))

With grid=1 it also prints the largest relative error of crm's values
(read from stdin as lines "kind r alpha a b t x t_x T value") against
these, by r.

Run: python3 test/reference/clv_accuracy.py
"""
import sys

import mpmath as mp

mp.mp.dps = 50


def bracket(r, alpha, a, b, x, T, t, shift):
    r, alpha, a, b, x, T, t = map(mp.mpf, (r, alpha, a, b, x, T, t))
    b = b + shift
    c = a + b + x - 1
    return c / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                          * mp.hyp2f1(r + x, b + x, c, t / (alpha + T + t), maxterms=10**7))


def expected(kind, r, alpha, a, b, t, x, t_x, T):
    r, alpha, a, b, t, x, t_x, T = map(mp.mpf, (r, alpha, a, b, t, x, t_x, T))
    if kind == 'bgnbd':
        alive = 1 if x == 0 else 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        return alive * bracket(r, alpha, a, b, x, T, t, 0)
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    return alive * bracket(r, alpha, a, b, x, T, t, 1)


CASES = [
    ('bgnbd', 1000, 40, 0.8, 2.4, 380, 0, 0, 38),
    ('bgnbd', 1e4, 4000, 0.8, 100, 380, 0, 0, 38),
    ('bgnbd', 1e4, 400, 1.5, 100, 38, 0, 0, 38),
    ('bgnbd', 1000, 40, 1.5, 2.4, 380, 10, 37, 38),
    ('bgnbd', 1e4, 40, 0.8, 2.4, 380, 1000, 37.9, 38),
    ('bgnbd', 1e4, 4000, 50, 100, 380, 100, 37.5, 38),
    ('mbgnbd', 1000, 400, 0.8, 2.4, 380, 0, 0, 38),
    ('mbgnbd', 1e4, 40000, 0.8, 100, 380, 0, 0, 38),
    ('mbgnbd', 1000, 40, 1.5, 2.4, 380, 10, 37, 38),
    ('mbgnbd', 1e4, 40, 0.8, 2.4, 380, 1000, 37.9, 38),
    ('mbgnbd', 1e4, 40000, 50, 100, 380, 100, 37.5, 38),
]

if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'grid=1':
        worst = {}
        for line in sys.stdin:
            f = line.split()
            kind, vals, value = f[0], [float(v) for v in f[1:9]], float(f[9])
            ref = expected(kind, *vals)
            if ref < mp.mpf('1e-290'):
                continue  # below float8
            rel = float(abs(value - ref) / ref)
            key = (kind, vals[0])
            worst[key] = max(worst.get(key, 0.0), rel)
        for key in sorted(worst):
            print(key, '%.1e' % worst[key])
    else:
        for c in CASES:
            print(c, mp.nstr(expected(*c), 20))
