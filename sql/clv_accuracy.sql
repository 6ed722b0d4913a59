-- BG/NBD and MBG/NBD expected purchases at extreme parameters (src/clv.c,
-- bgnbd_alive_expectation and beta_mean_expectation).
--
-- With r + x large the closed form 1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(...)
-- is 1 minus nearly 1, and its series (the Euler series alternates with terms
-- far above its sum) lost every digit: crm 1.0 returned the values in the
-- comments below ("was").  The expectation is now taken by quadrature over
-- the posterior dropout probability where the series' own error estimate is
-- above 1e-13 of its result.
--
-- Reference values: test/reference/clv_accuracy.py (mpmath 1.3, 50 digits,
-- the closed forms with mpmath's hyp2f1, where the cancellation is harmless).
-- crm's values are printed to 10 significant digits; matches: relative error
-- below 1e-13.
SELECT kind, r, alpha, a, b, t, x, t_x, "T", to_char(e, '9.999999999EEEE') AS expected,
	   abs(e / ref - 1) < 1e-13 AS matches_reference
  FROM (VALUES
	-- was 1.8e+238
	('bgnbd', 1000::float8, 40::float8, 0.8::float8, 2.4::float8, 380::float8, 0, 0::float8, 38::float8, 42.314293518446996305::float8),
	-- was 4.6e+205
	('bgnbd', 1e4, 4000, 0.8, 100, 380, 0, 0, 38, 299.05887097431021488),
	-- was 5.8e+184
	('bgnbd', 1e4, 400, 1.5, 100, 38, 0, 0, 38, 136.43009587804530856),
	-- was 1.4e+216
	('bgnbd', 1000, 40, 1.5, 2.4, 380, 10, 37, 38, 0.000407746113703415811),
	-- was 0
	('bgnbd', 1e4, 40, 0.8, 2.4, 380, 1000, 37.9, 38, 5.7076987369863954953),
	-- was 2.706477570138484 (6e-12 off, in P(alive): a difference of logarithms times r + x)
	('bgnbd', 1e4, 4000, 50, 100, 380, 100, 37.5, 38, 2.706477570154832314),
	-- was 2.9e+101
	('mbgnbd', 1000, 400, 0.8, 2.4, 380, 0, 0, 38, 3.9729038923487921179e-38),
	-- was 0.6669363469607784 (7e-12 off)
	('mbgnbd', 1e4, 40000, 0.8, 100, 380, 0, 0, 38, 0.6669363469651678244),
	-- was 0
	('mbgnbd', 1000, 40, 1.5, 2.4, 380, 10, 37, 38, 0.00047688923459740459355),
	-- was 0
	('mbgnbd', 1e4, 40, 0.8, 2.4, 380, 1000, 37.9, 38, 5.7170592303276850786),
	-- was 3.974766168444511 (8e-13 off)
	('mbgnbd', 1e4, 40000, 50, 100, 380, 100, 37.5, 38, 3.9747661684412372416)
	) v(kind, r, alpha, a, b, t, x, t_x, "T", ref),
	   LATERAL (SELECT CASE kind
			   WHEN 'bgnbd' THEN crm.bgnbd_expected_purchases(ROW(r, alpha, a, b, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, t, x, t_x, "T")
			   ELSE crm.mbgnbd_expected_purchases(ROW(r, alpha, a, b, NULL, NULL, NULL, NULL, NULL)::crm.mbgnbd, t, x, t_x, "T")
			   END AS e) p;

-- The quadrature and the series agree where both are accurate: over a grid
-- of r up to 1e4, x up to 1000 and t up to 10 T, each result lies between 0
-- and its bound E[1/p] = (a+b+x-1)/(a-1) (a > 1) or n s = (r+x) t/(alpha+T),
-- the expectation of a customer who never drops out, and grows with t.
SELECT count(*) AS combinations,
	   count(*) FILTER (WHERE e1 >= 0 AND e1 <= (r + x) * t / (alpha + "T") * (1 + 1e-12)) AS below_never_dropping,
	   count(*) FILTER (WHERE a <= 1 OR e1 <= (a + b + x - 1) / (a - 1) * (1 + 1e-12)) AS below_mean_lifetime,
	   count(*) FILTER (WHERE e2 >= e1) AS grows_with_t
  FROM (VALUES (0.24::float8), (10), (1000), (1e4)) r(r), (VALUES (4.4::float8), (400)) al(alpha),
	   (VALUES (0.8::float8), (3), (50)) a(a), (VALUES (2.4::float8), (100)) b(b),
	   (VALUES (0), (5), (100), (1000)) s(x), (VALUES (3.8::float8), (38), (380)) h(t),
	   (VALUES (38::float8)) tt("T"),
	   LATERAL (SELECT ROW(r, alpha, a, b, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS model) mm,
	   LATERAL (SELECT crm.bgnbd_expected_purchases(model, t, x, CASE WHEN x = 0 THEN 0 ELSE "T" END, "T") AS e1,
					   crm.bgnbd_expected_purchases(model, t * 1.5, x, CASE WHEN x = 0 THEN 0 ELSE "T" END, "T") AS e2) p;
