#!/usr/bin/env python3
"""Reference values for the BG/BB functions (sql/bgbb.sql).

mpmath at 40 digits with Fader, Hardie & Shang (2010) as published: the
likelihood eq. 5, P(alive at n+1) eq. 11 and the closed form eq. 13 of the
expected transactions in the next m opportunities,

    E = B(a+x+1, b+n-x)/B(a, b) * delta/(gamma-1) * G(gamma+delta)/G(1+delta)
        * (G(1+delta+n)/G(gamma+delta+n) - G(1+delta+n+m)/G(gamma+delta+n+m)) / L

(src/clv.c sums the m opportunities instead, so the two are independent).

Run: python3 test/reference/bgbb.py
"""
import mpmath as mp

mp.mp.dps = 40
B = mp.beta


def lik(p, x, tx, n):
    a, b, g, d = p
    L = B(a + x, b + n - x) / B(a, b) * B(g, d + n) / B(g, d)
    for i in range(n - tx):
        L += B(a + x, b + tx - x + i) / B(a, b) * B(g + 1, d + tx + i) / B(g, d)
    return L


def p_alive(p, x, tx, n):
    a, b, g, d = p
    return B(a + x, b + n - x) / B(a, b) * B(g, d + n + 1) / B(g, d) / lik(p, x, tx, n)


def expected(p, m, x, tx, n):
    a, b, g, d = p
    G = mp.gamma
    return (B(a + x + 1, b + n - x) / B(a, b) * d / (g - 1) * G(g + d) / G(1 + d)
            * (G(1 + d + n) / G(g + d + n) - G(1 + d + n + m) / G(g + d + n + m)) / lik(p, x, tx, n))


P = tuple(mp.mpf(v) for v in ("1.204", "0.750", "0.657", "2.783"))
print("model alpha, beta, gamma, delta =", P)
for x, tx, n in ((0, 0, 6), (1, 1, 6), (3, 6, 6), (3, 4, 6), (6, 6, 6), (2, 30, 200), (150, 190, 200)):
    print("x=%d t_x=%d n=%d  p_alive=%s  E[next 5]=%s  E[next 100]=%s" % (
        x, tx, n, mp.nstr(p_alive(P, x, tx, n), 20), mp.nstr(expected(P, 5, x, tx, n), 20),
        mp.nstr(expected(P, 100, x, tx, n), 20)))
