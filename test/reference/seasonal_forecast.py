#!/usr/bin/env python3
"""Reference values for crm.seasonal_forecast (sql/quotas.sql, test/quotas.sql).

Plain Python, no libraries, the formulas written out as in src/quotas.c:
additive Holt-Winters (Hyndman & Athanasopoulos, FPP 3rd ed., 8.3)

    l_t = alpha (y_t - s_{t-m}) + (1 - alpha)(l_{t-1} + b_{t-1})
    b_t = beta (l_t - l_{t-1}) + (1 - beta) b_{t-1}
    s_t = gamma (y_t - l_{t-1} - b_{t-1}) + (1 - gamma) s_{t-m}
    yhat_{n+h} = l_n + h b_n + s_{n - m + 1 + (h - 1) mod m}

initialised on the first two seasons: l_m = mean(y_1..y_m),
b_m = sum(y_{m+i} - y_i, i = 1..m) / m^2, s_i = y_i - l_m (i = 1..m),
updated for t = m+1..n.  Run: python3 test/reference/seasonal_forecast.py
"""

# 30 months from 2023-01: trend + a yearly pattern + an irregular part
PATTERN = [-20, -15, 5, 10, 15, 30, 25, 20, 0, -10, -25, -35]
IRREGULAR = [3, -2, 0, 4, -1, -3, 2, 1, -4, 0, 2]  # period 11: not in step with the season
SERIES = [1000 + 5 * t + PATTERN[t % 12] + IRREGULAR[t % 11] for t in range(30)]


def holt_winters(y, m, alpha, beta, gamma, horizon):
    n = len(y)
    level = sum(y[:m]) / m
    trend = sum(y[m + i] - y[i] for i in range(m)) / (m * m)
    season = [y[i] - level for i in range(m)]
    for t in range(m, n):
        prev = level
        level = alpha * (y[t] - season[t - m]) + (1 - alpha) * (prev + trend)
        season.append(gamma * (y[t] - prev - trend) + (1 - gamma) * season[t - m])
        trend = beta * (level - prev) + (1 - beta) * trend
    return [level + h * trend + season[n - m + (h - 1) % m] for h in range(1, horizon + 1)]


def seasonal_naive(y, m, horizon):
    n = len(y)
    return [y[n - m + (h - 1) % m] for h in range(1, horizon + 1)]


def moving_average(y, k, horizon):
    return [sum(y[-k:]) / k] * horizon


if __name__ == "__main__":
    print("series", SERIES)
    print("naive", [SERIES[-1]] * 3)
    print("seasonal_naive m=12", seasonal_naive(SERIES, 12, 3))
    print("moving_average k=3", moving_average(SERIES, 3, 3))
    print("moving_average k=6", moving_average(SERIES, 6, 3))
    for hw in holt_winters(SERIES, 12, 0.3, 0.1, 0.1, 6):
        print("holt_winters m=12 a=0.3 b=0.1 g=0.1 %.6f" % hw)
    for hw in holt_winters(SERIES, 4, 0.5, 0.2, 0.3, 4):
        print("holt_winters m=4 a=0.5 b=0.2 g=0.3 %.6f" % hw)
