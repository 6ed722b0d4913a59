-- BG/NBD and Gamma-Gamma lifetime value (src/clv.c, src/clv.sql).
--
-- Reference values below were computed from the closed forms of Fader,
-- Hardie & Lee (2005) with mpmath at 40 digits (python3):
--   E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) * (1 - ((alpha+T)/(alpha+T+t))^(r+x)
--                          * hyp2f1(r+x, b+x, a+b+x-1, t/(alpha+T+t)))
--                         / (1 + [x>0] a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))      (eq. 10)
--   P(alive) = 1 / (1 + [x>0] a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))                (eq. 11)
--   E[X(t)]  = (a+b-1)/(a-1) * (1 - (alpha/(alpha+t))^r * hyp2f1(r, b, a+b-1, t/(alpha+t)))   (eq. 9)
--   P(X(t)=n) = B(a,b+n)/B(a,b) * G(r+n)/(G(r) n!) * (alpha/(alpha+t))^r * (t/(alpha+t))^n
--             + [n>0] B(a+1,b+n-1)/B(a,b) * (1 - (alpha/(alpha+t))^r
--                        * sum_{j<n} G(r+j)/(G(r) j!) (t/(alpha+t))^j)                     (eq. 8)
-- with the published CDNOW model r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.

CREATE TEMP TABLE m AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS bg,
	   ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma AS gg;

-- conditional expectation (eq. 10)
SELECT t, x, t_x, "T", round(e::numeric, 12) AS expected, abs(e - ref) < 1e-12 AS matches_reference
  FROM m, LATERAL (VALUES
	(39::float8, 2, 30.43::float8, 38.86::float8, 1.226028174767144463),
	(39, 0, 0, 38.86, 0.195098052011262637),
	(10, 7, 35, 38, 1.372355297840054437),
	(1, 1, 1, 2, 0.133783182649613607),
	(52, 200, 999, 1000, 10.11376914356862564)) v(t, x, t_x, "T", ref),
	   LATERAL (SELECT crm.bgnbd_expected_purchases(bg, t, x, t_x, "T") AS e) p;
-- x = 200 long silent (t_x = 10, T = 1000): dead for sure; the reference is 2.1e-367, below float8
SELECT crm.bgnbd_expected_purchases(bg, 5, 200, 10, 1000) AS expected, crm.bgnbd_p_alive(bg, 200, 10, 1000) AS p_alive FROM m;

-- P(alive) (eq. 11): 0.72657857008067291, 0.16284474600537330; x = 0 is alive
SELECT round(crm.bgnbd_p_alive(bg, 2, 30.43, 38.86)::numeric, 12) AS p1,
	   abs(crm.bgnbd_p_alive(bg, 2, 30.43, 38.86) - 0.72657857008067291) < 1e-14 AS ok1,
	   round(crm.bgnbd_p_alive(bg, 7, 20, 38)::numeric, 12) AS p2,
	   abs(crm.bgnbd_p_alive(bg, 7, 20, 38) - 0.16284474600537330) < 1e-14 AS ok2,
	   crm.bgnbd_p_alive(bg, 0, 0, 38) AS p_x0,
	   crm.bgnbd_p_alive(bg, 3, 20, 20) AS p_t_x_eq_T
  FROM m;
-- t_x = T: P(alive) = 1 / (1 + a / (b + 2)) = 1 / (1 + 0.793 / 4.426)
SELECT abs(crm.bgnbd_p_alive(bg, 3, 20, 20) - 1 / (1 + 0.793 / 4.426)) < 1e-15 AS t_x_eq_T_closed_form FROM m;

-- E[X(t)] (eq. 9): 1.19672319332081687 (t = 39), 1.86051905794276856 (t = 78), 0.02706504632509239 (t = 0.5)
SELECT t, round(crm.bgnbd_expected_purchases_unconditional(bg, t)::numeric, 12) AS expected,
	   abs(crm.bgnbd_expected_purchases_unconditional(bg, t) - ref) < 1e-12 AS matches_reference
  FROM m, (VALUES (39::float8, 1.19672319332081687), (78, 1.86051905794276856), (0.5, 0.02706504632509239), (0, 0)) v(t, ref);
-- E[X(t)] is E[Y(t) | x = 0, t_x = 0, T = 0]: a customer just acquired
SELECT crm.bgnbd_expected_purchases_unconditional(bg, 39) = crm.bgnbd_expected_purchases(bg, 39, 0, 0, 0) AS same FROM m;

-- P(X(t) = n) (eq. 8): 0.57378635209600940 (n = 0), 0.19939528083591145 (n = 1), 0.01796549386657904 (n = 5)
SELECT n, round(crm.bgnbd_p_purchases(bg, 39, n)::numeric, 12) AS p,
	   abs(crm.bgnbd_p_purchases(bg, 39, n) - ref) < 1e-13 AS matches_reference
  FROM m, (VALUES (0, 0.57378635209600940), (1, 0.19939528083591145), (5, 0.01796549386657904)) v(n, ref);
-- the probabilities sum to 1 and their mean is E[X(t)]
SELECT abs(total - 1) < 1e-12 AS sums_to_1, abs(mean - crm.bgnbd_expected_purchases_unconditional(bg, 39)) < 1e-10 AS mean_is_expectation
  FROM m, (SELECT sum(crm.bgnbd_p_purchases(bg, 39, n)) AS total, sum(n * crm.bgnbd_p_purchases(bg, 39, n)) AS mean
			 FROM m, generate_series(0, 2000) n) s;
SELECT crm.bgnbd_p_purchases(bg, 0, 0) AS p0_at_t0, crm.bgnbd_p_purchases(bg, 0, 3) AS p3_at_t0 FROM m;

-- a = 1 makes FHL's (a+b+x-1)/(a-1) factor 0/0; the series have no such
-- division: a = 1 lies between a = 1 -+ 1e-6 (mpmath: 0.69528418480469674 and 0.69528318741035503)
SELECT round(crm.bgnbd_expected_purchases(ROW(0.5, 3, 0.999999, 2, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 1, 2, 5)::numeric, 12) AS a_below,
	   round(crm.bgnbd_expected_purchases(ROW(0.5, 3, 1, 2, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 1, 2, 5)::numeric, 12) AS a_1,
	   round(crm.bgnbd_expected_purchases(ROW(0.5, 3, 1.000001, 2, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 1, 2, 5)::numeric, 12) AS a_above;
-- a + b = 1 with x = 0 makes 2F1's third parameter 0 (mpmath, b = 0.4 + 1e-12: 1.20903931012470822)
SELECT round(crm.bgnbd_expected_purchases_unconditional(ROW(0.5, 3, 0.6, 0.4, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 20)::numeric, 10) AS a_plus_b_1;

-- Extreme inputs stay finite: every combination of parameters 1e-6, 1, 1e6
-- and summaries x = 0, x = 200, t_x = T, T = 1000, with horizons inside the
-- domain of the series (t / (alpha + T) <= 100: the unconditional horizon is min(52, 100 alpha))
SELECT count(*) AS combinations,
	   count(*) FILTER (WHERE e >= 0 AND e < 'infinity') AS expected_finite,
	   count(*) FILTER (WHERE pa >= 0 AND pa <= 1) AS p_alive_in_0_1,
	   count(*) FILTER (WHERE u >= 0 AND u < 'infinity') AS unconditional_finite,
	   count(*) FILTER (WHERE pn >= 0 AND pn <= 1) AS p_purchases_in_0_1
  FROM (VALUES (1e-6::float8), (1), (1e6)) r(r), (VALUES (1e-6::float8), (1), (1e6)) al(al),
	   (VALUES (1e-6::float8), (1), (1e6)) a(a), (VALUES (1e-6::float8), (1), (1e6)) b(b),
	   (VALUES (0, 0::float8, 1000::float8), (200, 999, 1000), (200, 1000, 1000), (3, 5, 5)) s(x, t_x, "T"),
	   LATERAL (SELECT ROW(r, al, a, b, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS model) mm,
	   LATERAL (SELECT crm.bgnbd_expected_purchases(model, 52, x, t_x, "T") AS e,
					   crm.bgnbd_p_alive(model, x, t_x, "T") AS pa,
					   crm.bgnbd_expected_purchases_unconditional(model, least(52, 100 * al)) AS u,
					   crm.bgnbd_p_purchases(model, 52, 200) AS pn) p;
-- a long horizon and a large history
SELECT round(crm.bgnbd_expected_purchases(bg, 5200, 200, 999, 1000)::numeric, 6) AS ten_years,
	   round(crm.bgnbd_expected_purchases_unconditional(bg, 5200)::numeric, 6) AS unconditional_ten_years,
	   crm.bgnbd_p_purchases(bg, 1000, 2000000) < 1e-6 AS far_tail_small
  FROM m;

-- Gamma-Gamma expected spend: p (gamma + x m) / (p x + q - 1)
--   x = 3, m = 40: 6.25 * (15.44 + 120) / (18.75 + 2.74) = 39.41302931596091
--   x = 0 or m NULL: the population mean 6.25 * 15.44 / 2.74 = 35.21897810218978
SELECT round(crm.gammagamma_expected_spend(gg, 3, 40)::numeric, 10) AS x3,
	   abs(crm.gammagamma_expected_spend(gg, 3, 40) - 6.25 * (15.44 + 120) / (18.75 + 2.74)) < 1e-12 AS x3_ok,
	   round(crm.gammagamma_expected_spend(gg, 0, NULL)::numeric, 10) AS x0,
	   crm.gammagamma_expected_spend(gg, 0, NULL) = crm.gammagamma_expected_spend(gg, 0, 99) AS x0_ignores_mean,
	   crm.gammagamma_expected_spend(gg, NULL, 40) IS NULL AS null_x,
	   crm.gammagamma_expected_spend(NULL, 3, 40) IS NULL AS null_model
  FROM m;

-- CLV: sum over months m of spend * (E(m u) - E((m-1) u)) / (1 + d)^m,
-- u = 4.348125 weeks; by hand for 3 months from the functions above
SELECT round(crm.clv(bg, gg, 2, 30.43, 38.86, 40, 3, 0.01)::numeric, 10) AS clv_3_months,
	   abs(crm.clv(bg, gg, 2, 30.43, 38.86, 40, 3, 0.01) -
		   crm.gammagamma_expected_spend(gg, 2, 40) *
		   (crm.bgnbd_expected_purchases(bg, 4.348125, 2, 30.43, 38.86) / 1.01
			+ (crm.bgnbd_expected_purchases(bg, 2 * 4.348125, 2, 30.43, 38.86) - crm.bgnbd_expected_purchases(bg, 4.348125, 2, 30.43, 38.86)) / 1.01 ^ 2
			+ (crm.bgnbd_expected_purchases(bg, 3 * 4.348125, 2, 30.43, 38.86) - crm.bgnbd_expected_purchases(bg, 2 * 4.348125, 2, 30.43, 38.86)) / 1.01 ^ 3)) < 1e-10 AS by_hand,
	   -- undiscounted, it is spend * E[purchases in 12 months]
	   abs(crm.clv(bg, gg, 2, 30.43, 38.86, 40, 12, 0) -
		   crm.gammagamma_expected_spend(gg, 2, 40) * crm.bgnbd_expected_purchases(bg, 12 * 4.348125, 2, 30.43, 38.86)) < 1e-10 AS undiscounted,
	   crm.clv(bg, gg, 2, 30.43, 38.86, 40, 0, 0.01) AS zero_months,
	   round(crm.clv(bg, gg, 0, 0, 38.86, NULL, 12, 0.01)::numeric, 6) AS one_time_buyer,
	   crm.clv(bg, gg, 2, 30.43, NULL, 40, 12, 0.01) IS NULL AS null_T
  FROM m;

-- Errors
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, -1, 2, 30, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 'infinity', 2, 30, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, -1, 0, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 2, 40, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 2, -1, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 0, 5, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 2, 5, 'NaN')$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, 2, 5, 38)$$);
SELECT try($$SELECT crm.bgnbd_p_alive(ROW(0.243, NULL, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 2, 5, 38)$$);
SELECT try($$SELECT crm.bgnbd_expected_purchases_unconditional(ROW(0.243, 4.414, 'infinity', 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10)$$);
SELECT try($$SELECT crm.bgnbd_p_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 10, -1)$$);
-- outside the domain of the series: t / (alpha + T) = 10^9
SELECT try($$SELECT crm.bgnbd_expected_purchases(ROW(0.243, 1e-6, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 1000, 0, 0, 0)$$);
SELECT try($$SELECT crm.gammagamma_expected_spend(ROW(6.25, 0.5, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma, 0, NULL)$$);
SELECT try($$SELECT crm.gammagamma_expected_spend(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma, 2, 0)$$);
SELECT try($$SELECT crm.gammagamma_expected_spend(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma, -2, 10)$$);
SELECT try($$SELECT crm.clv(m.bg, m.gg, 2, 30, 38, 40, -1, 0.01) FROM m$$);
SELECT try($$SELECT crm.clv(m.bg, m.gg, 2, 30, 38, 40, 12, -0.01) FROM m$$);
SELECT try($$SELECT crm.clv(m.bg, m.gg, 2, 30, 38, 40, 12, 0.01, 0) FROM m$$);
SELECT try($$SELECT crm.clv(m.bg, m.gg, 2, 40, 38, 40, 12, 0.01) FROM m$$);

-- Fits: errors name the offending values
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T") FROM (VALUES (-1, 0::float8, 5::float8)) v(x, t_x, "T")$$);
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T") FROM (VALUES (2, 6::float8, 5::float8)) v(x, t_x, "T")$$);
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T") FROM (VALUES (0, 1::float8, 5::float8)) v(x, t_x, "T")$$);
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T") FROM (VALUES (1, 1::float8, 'infinity'::float8)) v(x, t_x, "T")$$);
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T", w) FROM (VALUES (1, 1::float8, 5::float8, 0::float8)) v(x, t_x, "T", w)$$);
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T", 1, p) FROM (VALUES (1, 1::float8, 5::float8, -1::float8)) v(x, t_x, "T", p)$$);
SELECT try($$SELECT crm.bgnbd_fit(x, t_x, "T", 1, p) FROM (VALUES (1, 1::float8, 5::float8, 0.1::float8), (2, 1, 5, 0.2)) v(x, t_x, "T", p)$$);
SELECT try($$SELECT crm.gammagamma_fit(x, m) FROM (VALUES (2, 0::float8)) v(x, m)$$);
SELECT try($$SELECT crm.gammagamma_fit(x, m) FROM (VALUES (-2, 10::float8)) v(x, m)$$);
SELECT try($$SELECT crm.gammagamma_fit(x, m, NULL) FROM (VALUES (2, 10::float8)) v(x, m)$$);
SELECT try($$SELECT crm.bgnbd_fit_final('{1,0,5,0,1,1,1}')$$);
SELECT try($$SELECT crm.bgnbd_fit_final('{2,0,0,0}')$$);

-- Empty input: NULL; rows with NULLs are left out; Gamma-Gamma counts what it skips
SELECT crm.bgnbd_fit(x, t_x, "T") IS NULL AS empty FROM (VALUES (1, 1::float8, 5::float8)) v(x, t_x, "T") WHERE false;
SELECT crm.bgnbd_fit(x, t_x, "T") IS NULL AS only_nulls FROM (VALUES (NULL::integer, 1::float8, 5::float8)) v(x, t_x, "T");
SELECT (crm.gammagamma_fit(x, m)).* FROM (VALUES (0, NULL::float8), (0, NULL), (NULL, 10)) v(x, m);

-- Fits on simulated customers: 20,000 customers drawn from the BG/NBD
-- story with r = 1, alpha = 5 (exponential rates, mean 0.2 per week),
-- a = 1, b = 3 (p = 1 - u^(1/3)), T = 20 .. 52 weeks, and a mean spend with a
-- customer factor and noise shrinking with x, as the Gamma-Gamma model
-- expects (random() after setseed gives the same numbers on every platform)
SELECT setseed(0.25);
CREATE TABLE clv_fit_data AS
WITH RECURSIVE c AS (
	SELECT i, (20 + i % 33)::float8 AS "T", -ln(1 - random()) / 5 AS lam, 1 - (1 - random()) ^ (1 / 3.0) AS p
	  FROM generate_series(1, 20000) i),
ev(i, n, t, alive) AS (
	SELECT i, 0, 0::float8, true FROM c
	UNION ALL
	SELECT e.i, e.n + 1, e.t + g.gap, random() >= c.p
	  FROM ev e JOIN c ON c.i = e.i, LATERAL (SELECT -ln(1 - random()) / c.lam AS gap) g
	 WHERE e.alive AND e.t + g.gap <= c."T")
SELECT i AS id, max(n) AS x, round(max(t)::numeric, 2)::float8 AS t_x, "T"
  FROM ev JOIN c USING (i) GROUP BY i, "T";
ALTER TABLE clv_fit_data ADD COLUMN m float8;
UPDATE clv_fit_data SET m = round((30 * exp(0.5 * (random() - 0.5) * 3.4) * exp((random() - 0.5) * 2.0 / sqrt(x)))::numeric, 2)
 WHERE x > 0;
ANALYZE clv_fit_data;
SELECT count(*) AS customers, sum(x) AS sum_x, count(*) FILTER (WHERE x > 0) AS repeat_buyers FROM clv_fit_data;
CREATE TEMP TABLE serial AS
SELECT (SELECT crm.bgnbd_fit(x, t_x, "T") FROM clv_fit_data) AS bg,
	   (SELECT crm.gammagamma_fit(x, m) FROM clv_fit_data) AS gg,
	   (SELECT crm.bgnbd_fit(x, t_x, "T", 1, 0.01) FROM clv_fit_data) AS bg_penalized;
-- near the simulated r = 1, alpha = 5, a = 1, b = 3
SELECT round((bg).r::numeric, 4) AS r, round((bg).alpha::numeric, 4) AS alpha, round((bg).a::numeric, 4) AS a,
	   round((bg).b::numeric, 4) AS b, round((bg).log_likelihood::numeric, 2) AS ll, (bg).customers, (bg).converged
  FROM serial;
SELECT round((gg).p::numeric, 4) AS p, round((gg).q::numeric, 4) AS q, round((gg).gamma::numeric, 4) AS gamma,
	   round((gg).log_likelihood::numeric, 2) AS ll, (gg).customers, (gg).skipped, (gg).converged
  FROM serial;
SELECT round((bg_penalized).r::numeric, 4) AS r, round((bg_penalized).alpha::numeric, 4) AS alpha,
	   round((bg_penalized).a::numeric, 4) AS a, round((bg_penalized).b::numeric, 4) AS b,
	   round((bg_penalized).log_likelihood::numeric, 2) AS ll, (bg_penalized).converged
  FROM serial;
-- Customers who are all still buying at T (t_x = T) show no dropout: the
-- likelihood rises towards a -> 0 or b -> infinity, and converged says so
SELECT (f).a < 1e-5 OR (f).b > 1e5 AS runs_off, (f).converged
  FROM (SELECT crm.bgnbd_fit(x, CASE WHEN x = 0 THEN 0 ELSE "T" END, "T") AS f FROM clv_fit_data) s;
-- the penalty shrinks the parameters
SELECT (bg_penalized).converged,
	   (bg_penalized).r ^ 2 + (bg_penalized).alpha ^ 2 + (bg_penalized).a ^ 2 + (bg_penalized).b ^ 2
	   < (bg).r ^ 2 + (bg).alpha ^ 2 + (bg).a ^ 2 + (bg).b ^ 2 AS shrunk,
	   (bg_penalized).log_likelihood < (bg).log_likelihood AS lower_likelihood
  FROM serial;
-- weights: each distinct summary once with its count gives the same fit
SELECT (SELECT crm.bgnbd_fit(x, t_x, "T", n) FROM (SELECT x, t_x, "T", count(*)::float8 AS n FROM clv_fit_data GROUP BY 1, 2, 3) g)
	   = bg AS weighted_equals_rows
  FROM serial;

-- combine in any split: states of two halves, combined either way round
CREATE AGGREGATE pg_temp.bgnbd_state(integer, float8, float8) (SFUNC = crm.bgnbd_fit_trans, STYPE = float8[]);
CREATE AGGREGATE pg_temp.gg_state(integer, float8) (SFUNC = crm.gammagamma_fit_trans, STYPE = float8[]);
WITH h AS (SELECT id % 3 = 0 AS part, pg_temp.bgnbd_state(x, t_x, "T") AS s, pg_temp.gg_state(x, m) AS g
			 FROM clv_fit_data GROUP BY 1),
	 l AS (SELECT s, g FROM h WHERE part), r AS (SELECT s, g FROM h WHERE NOT part)
SELECT crm.bgnbd_fit_final(crm.bgnbd_fit_combine(l.s, r.s)) = bg AS bgnbd_left_right,
	   crm.bgnbd_fit_final(crm.bgnbd_fit_combine(r.s, l.s)) = bg AS bgnbd_right_left,
	   crm.gammagamma_fit_final(crm.gammagamma_fit_combine(l.g, r.g)) = gg AS gg_left_right,
	   crm.gammagamma_fit_final(crm.gammagamma_fit_combine(r.g, l.g)) = gg AS gg_right_left
  FROM l, r, serial;
-- the state is an ordinary float8[] wherever it leaves the aggregate: a
-- header (format 1, penalty, records, reserved) and 4 values per row (rows
-- are merged only in the final function, or past a million of them), no
-- spare room; array functions read it as such
SELECT array_length(s, 1) = 4 + 4 * (SELECT count(*) FROM clv_fit_data) AS length_header_plus_records,
	   s[1:3] = ARRAY[1, 0, (SELECT count(*) FROM clv_fit_data)]::float8[] AS header
  FROM (SELECT pg_temp.bgnbd_state(x, t_x, "T") AS s FROM clv_fit_data) q;
-- called outside an aggregate, the transition function leaves its input alone
SELECT s AS before, crm.bgnbd_fit_trans(s, 3, 2, 5) AS appended, s AS after
  FROM (SELECT crm.bgnbd_fit_trans(NULL, 1, 1, 5) AS s) q;
-- a UNION ALL of two halves fits like the whole
SELECT (SELECT crm.bgnbd_fit(x, t_x, "T") FROM (SELECT * FROM clv_fit_data WHERE id <= 7000
												 UNION ALL SELECT * FROM clv_fit_data WHERE id > 7000) u) = bg AS union_all
  FROM serial;

-- Parallel query: forced parallel plan, same result as serial
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT crm.bgnbd_fit(x, t_x, "T") FROM clv_fit_data;
SELECT (SELECT crm.bgnbd_fit(x, t_x, "T") FROM clv_fit_data) = bg AS bgnbd_parallel_equals_serial,
	   (SELECT crm.gammagamma_fit(x, m) FROM clv_fit_data) = gg AS gammagamma_parallel_equals_serial,
	   (SELECT crm.bgnbd_fit(x, t_x, "T", 1, 0.01) FROM clv_fit_data) = bg_penalized AS penalized_parallel_equals_serial
  FROM serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE clv_fit_data;

-- calibration_holdout on CRM orders: customer 1 buys twice on day 1 (one
-- purchase day), on days 8 and 15; customer 2 once before and twice after
-- the cut-off; customer 3 only after it (left out)
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
VALUES (900001, 'clv one'), (900002, 'clv two'), (900003, 'clv three');
INSERT INTO crm.orders (customer_id, ordered_at, amount)
VALUES (900001, '2025-01-01 09:00', 10), (900001, '2025-01-01 15:00', 5), (900001, '2025-01-08 10:00', 20),
	   (900001, '2025-01-15 10:00', 40), (900001, '2025-02-10 10:00', 7),
	   (900002, '2025-01-29 10:00', 50), (900002, '2025-02-02 10:00', 60), (900002, '2025-02-02 11:00', 1),
	   (900002, '2025-02-28 23:00', 5), (900002, '2025-03-01 00:30', 5),
	   (900003, '2025-02-05 10:00', 30);
SELECT * FROM crm.calibration_holdout('2025-01-31', '2025-02-28') WHERE customer_id >= 900001;
SELECT customer_id, x, t_x, "T" FROM crm.calibration_holdout('2025-01-31', '2025-02-28', 'day') WHERE customer_id >= 900001;
SELECT try($$SELECT * FROM crm.calibration_holdout('2025-01-31', '2025-01-30')$$);
SELECT try($$SELECT * FROM crm.calibration_holdout('2025-01-31', '2025-02-28', 'fortnight')$$);
DELETE FROM crm.orders WHERE customer_id >= 900001;
DELETE FROM crm.customers WHERE id >= 900001;

-- The parameters of a model are read once per call site and kept while the
-- next row brings the same model: another model on the next row is read
-- again (rows 1 and 3 the same, 2 another, 4 the same parameters as 1 with
-- a covariance long enough to be stored compressed), and a bad model after
-- good ones still fails with its own error
CREATE TEMP TABLE clv_cache_models (i integer, m crm.bgnbd, g crm.gammagamma);
INSERT INTO clv_cache_models VALUES
	(1, ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL), ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)),
	(2, ROW(0.5, 3, 1.5, 2, NULL, NULL, NULL, NULL, NULL), ROW(3, 2, 10, NULL, NULL, NULL, NULL, NULL, NULL)),
	(3, ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL), ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)),
	(4, ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, array_fill(0::float8, ARRAY[4000])), ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL));
SELECT i, pg_column_compression(m) AS stored, round(crm.bgnbd_p_alive(m, 2, 30.43, 38.86)::numeric, 12) AS p_alive,
	   round(crm.bgnbd_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 12) AS expected,
	   round(crm.clv(m, g, 2, 30.43, 38.86, 35, 12, 0.01)::numeric, 9) AS clv,
	   round(crm.gammagamma_expected_spend(g, 2, 35)::numeric, 9) AS spend
  FROM clv_cache_models ORDER BY i;
SELECT round(crm.bgnbd_p_alive(ROW(0.5, 3, 1.5, 2, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 2, 30.43, 38.86)::numeric, 12) AS p_alive_of_2;
INSERT INTO clv_cache_models VALUES
	(5, ROW(0.243, -4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL), ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL));
SELECT try($$SELECT i, crm.bgnbd_p_alive(m, 2, 30.43, 38.86) FROM clv_cache_models ORDER BY i$$);
SELECT try($$SELECT crm.bgnbd_p_alive(ROW(0.243, -4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 2, 30.43, 38.86)$$);
DROP TABLE clv_cache_models;

-- The 2F1 series are also kept per call site (pred_cache_slot, at most
-- 65,536 results: BG/NBD's and MBG/NBD's bracket by (x, T, t), Pareto/NBD's
-- ln F by (x, v)): each summary repeated three times in another order, with
-- more distinct keys (70,000 T) than the table holds, gives the values of
-- one call per summary, bit for bit
CREATE TEMP TABLE clv_memo AS
SELECT i, 1 + i % 40 AS x, (1 + i % 40) * 0.5 + (i % 997) * 0.001 AS t_x, 40 + i * 1e-4 AS "T"
  FROM generate_series(1, 70000) i;
CREATE TEMP TABLE clv_memo_once AS
SELECT i, crm.bgnbd_expected_purchases(bg, 39, x, t_x, "T") AS bg,
	   crm.mbgnbd_expected_purchases(ROW(0.525, 6.183, 0.891, 1.614, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 39, x, t_x, "T") AS mbg,
	   crm.paretonbd_p_alive(ROW(0.553, 10.58, 0.606, 11.67, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, x, t_x, "T") AS pa,
	   crm.paretonbd_expected_purchases(ROW(0.553, 10.58, 0.606, 11.67, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 39, x, t_x, "T") AS pe
  FROM clv_memo, m;
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE r.bg = o.bg AND r.mbg = o.mbg AND r.pa = o.pa AND r.pe = o.pe) AS same_bits
  FROM (SELECT k, i, crm.bgnbd_expected_purchases(bg, 39, x, t_x, "T") AS bg,
			   crm.mbgnbd_expected_purchases(ROW(0.525, 6.183, 0.891, 1.614, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, 39, x, t_x, "T") AS mbg,
			   crm.paretonbd_p_alive(ROW(0.553, 10.58, 0.606, 11.67, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, x, t_x, "T") AS pa,
			   crm.paretonbd_expected_purchases(ROW(0.553, 10.58, 0.606, 11.67, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, 39, x, t_x, "T") AS pe
		  FROM (SELECT k, clv_memo.* FROM generate_series(1, 3) k, clv_memo ORDER BY (i * 7919 + k * 104729) % 70001, k) s, m) r
  JOIN clv_memo_once o USING (i);
DROP TABLE clv_memo, clv_memo_once;

-- Summaries in whole days (crm.rfm_summary's t_x and T) are kept in a grid
-- by index instead (pred_grid: x below 128, t_x and T below 4096 days, in
-- days or, from the first summary that is whole days only in weeks, months
-- or years, in that unit; the call site's first horizon t; ln(b + x - 1)
-- and the like by x or T alone): summaries in days, weeks and months inside
-- and outside it, T a little off whole days, a second horizon on the (x, T)
-- of the first, and T = -0, twice each in one call site, give the values of
-- calls that keep nothing (two copies of each model, other bytes and the
-- same parameters, alternate, so every row reads its model again and finds
-- grid and table empty), bit for bit
CREATE TEMP TABLE clv_grid AS
SELECT i, x, CASE WHEN x = 0 THEN 0 ELSE (i * 37) % (n + 1) END / u AS t_x,
	   n / u + CASE WHEN i > 9300 THEN 1e-9 ELSE 0 END AS "T",
	   CASE WHEN i % 6000 > 5000 THEN 20 ELSE 39 END::float8 AS t
  FROM (SELECT i, (i * 7) % 150 AS x, (i * 13) % 4200 AS n,
			   CASE WHEN i <= 6000 THEN 1 WHEN i <= 9000 THEN 7 ELSE 30.4375 END::float8 AS u
		  FROM generate_series(1, 9500) i) s
UNION ALL SELECT 9501, 0, 0, '-0', 39;
CREATE TEMP TABLE clv_grid_models AS
SELECT k, ROW(0.243, 4.414, 0.793, 2.426, k, NULL, NULL, NULL, NULL)::crm.bgnbd AS bg,
	   ROW(0.525, 6.183, 0.891, 1.614, k, NULL, NULL, NULL, NULL)::crm.mbgnbd AS mbg,
	   ROW(0.553, 10.58, 0.606, 11.67, k, NULL, NULL, NULL, NULL)::crm.paretonbd AS pnbd
  FROM generate_series(0, 1) k;
CREATE TEMP TABLE clv_grid_fresh AS
SELECT i, crm.bgnbd_p_alive(bg, x, t_x, "T") AS bpa, crm.bgnbd_expected_purchases(bg, t, x, t_x, "T") AS bep,
	   crm.mbgnbd_p_alive(mbg, x, t_x, "T") AS mpa, crm.mbgnbd_expected_purchases(mbg, t, x, t_x, "T") AS mep,
	   crm.paretonbd_p_alive(pnbd, x, t_x, "T") AS ppa, crm.paretonbd_expected_purchases(pnbd, t, x, t_x, "T") AS pep
  FROM (SELECT * FROM clv_grid ORDER BY i) g JOIN clv_grid_models ON k = i % 2;
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE float8send(r.bpa) = float8send(o.bpa) AND float8send(r.bep) = float8send(o.bep) AND
							  float8send(r.mpa) = float8send(o.mpa) AND float8send(r.mep) = float8send(o.mep) AND
							  float8send(r.ppa) = float8send(o.ppa) AND float8send(r.pep) = float8send(o.pep)) AS same_bits
  FROM (SELECT i, crm.bgnbd_p_alive(bg, x, t_x, "T") AS bpa, crm.bgnbd_expected_purchases(bg, t, x, t_x, "T") AS bep,
			   crm.mbgnbd_p_alive(mbg, x, t_x, "T") AS mpa, crm.mbgnbd_expected_purchases(mbg, t, x, t_x, "T") AS mep,
			   crm.paretonbd_p_alive(pnbd, x, t_x, "T") AS ppa, crm.paretonbd_expected_purchases(pnbd, t, x, t_x, "T") AS pep
		  FROM (SELECT g.* FROM generate_series(1, 2) k, clv_grid g ORDER BY (i * 7919 + k * 104729) % 9511, k) s,
			   (SELECT * FROM clv_grid_models WHERE k = 0) mm) r
  JOIN clv_grid_fresh o USING (i);
DROP TABLE clv_grid, clv_grid_models, clv_grid_fresh;
