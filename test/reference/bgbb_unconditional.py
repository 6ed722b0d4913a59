#!/usr/bin/env python3
"""Reference values of crm.bgbb_expected_purchases_unconditional (sql/bgbb.sql).

mpmath at 40 digits with the closed form of Fader, Hardie & Shang (2010) for
the expected transactions of a new customer in her first n opportunities,

    E[X(n)] = a/(a+b) * d/(g-1) * (1 - G(g+d) G(1+d+n) / (G(g+d+n) G(1+d)))

(src/clv.c sums B(g, d+t)/B(g, d) over the opportunities instead, so the two
are independent), at the published donations model and at extreme ones.

Run: python3 test/reference/bgbb_unconditional.py
"""
import mpmath as mp

mp.mp.dps = 40
G = mp.gamma


def expected(p, n):
    a, b, g, d = (mp.mpf(v) for v in p)
    return a / (a + b) * d / (g - 1) * (1 - mp.exp(mp.loggamma(g + d) + mp.loggamma(1 + d + n)
                                                  - mp.loggamma(g + d + n) - mp.loggamma(1 + d)))


for p in (("1.204", "0.750", "0.657", "2.783"), ("0.5", "3", "2.5", "0.1"), ("1e-3", "1e3", "1e3", "1e-3")):
    for n in (1, 6, 11, 100, 100000):
        print("%s n=%d  E[X(n)]=%s" % (",".join(p), n, mp.nstr(expected(p, n), 20)))

# gamma = 1, where the closed form divides 0 by 0: B(1, d+t)/B(1, d) = d/(d+t),
# summed, d (psi(1+d+n) - psi(1+d))
a, b, d = mp.mpf("1.204"), mp.mpf("0.750"), mp.mpf("2.783")
for n in (6, 100):
    print("1.204,0.750,1,2.783 n=%d  E[X(n)]=%s" % (n, mp.nstr(a / (a + b) * d * (mp.digamma(1 + d + n) - mp.digamma(1 + d)), 20)))
