/*
 * test/clv.sql: pgTAP checks of the lifetime-value models (src/clv.c,
 * src/clv.sql): BG/NBD and Gamma-Gamma fits, predictions, CLV and the
 * calibration/holdout summary.
 *
 * Run with: pg_prove -d DBNAME test/clv.sql, in a database where
 * CREATE EXTENSION pgtap and CREATE EXTENSION crm have been run.
 *
 * Pins down the catalog entries (signatures, return types, volatility,
 * strictness, parallel safety, aggregate support functions and state types)
 * and checks the behaviour a report relies on; the hand-checked values and
 * every error message are in the pg_regress tests sql/clv.sql and
 * sql/clv_cdnow.sql.  Everything runs in one transaction that is rolled back.
 */
BEGIN;

SELECT plan(57);

--------------------------------------------------------------------------
-- Types
--------------------------------------------------------------------------

SELECT has_type('crm', 'bgnbd', 'type crm.bgnbd');
SELECT has_type('crm', 'gammagamma', 'type crm.gammagamma');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
			 FROM pg_catalog.pg_attribute WHERE attrelid = 'crm.bgnbd'::regclass AND attnum > 0),
	'r double precision, alpha double precision, a double precision, b double precision, log_likelihood double precision, customers double precision, iterations integer, converged boolean, covariance double precision[]',
	'crm.bgnbd: columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
			 FROM pg_catalog.pg_attribute WHERE attrelid = 'crm.gammagamma'::regclass AND attnum > 0),
	'p double precision, q double precision, gamma double precision, log_likelihood double precision, customers double precision, skipped double precision, iterations integer, converged boolean, covariance double precision[]',
	'crm.gammagamma: columns');

--------------------------------------------------------------------------
-- Signatures and return types
--------------------------------------------------------------------------

SELECT has_function('crm', 'bgnbd_fit', ARRAY['integer', 'double precision', 'double precision']);
SELECT has_function('crm', 'bgnbd_fit', ARRAY['integer', 'double precision', 'double precision', 'double precision']);
SELECT has_function('crm', 'bgnbd_fit', ARRAY['integer', 'double precision', 'double precision', 'double precision', 'double precision']);
SELECT has_function('crm', 'gammagamma_fit', ARRAY['integer', 'double precision']);
SELECT has_function('crm', 'gammagamma_fit', ARRAY['integer', 'double precision', 'double precision']);
SELECT function_returns('crm', 'bgnbd_expected_purchases',
	ARRAY['crm.bgnbd', 'double precision', 'integer', 'double precision', 'double precision'], 'double precision');
SELECT function_returns('crm', 'bgnbd_p_alive', ARRAY['crm.bgnbd', 'integer', 'double precision', 'double precision'], 'double precision');
SELECT function_returns('crm', 'bgnbd_expected_purchases_unconditional', ARRAY['crm.bgnbd', 'double precision'], 'double precision');
SELECT function_returns('crm', 'bgnbd_p_purchases', ARRAY['crm.bgnbd', 'double precision', 'integer'], 'double precision');
SELECT function_returns('crm', 'gammagamma_expected_spend', ARRAY['crm.gammagamma', 'integer', 'double precision'], 'double precision');
SELECT function_returns('crm', 'clv',
	ARRAY['crm.bgnbd', 'crm.gammagamma', 'integer', 'double precision', 'double precision', 'double precision', 'integer', 'double precision', 'double precision'],
	'double precision');
SELECT function_returns('crm', 'calibration_holdout', ARRAY['date', 'date', 'text'], 'setof record');

SELECT is(pg_catalog.pg_get_function_arguments('crm.clv(crm.bgnbd, crm.gammagamma, integer, float8, float8, float8, integer, float8, float8)'::regprocedure),
	'model crm.bgnbd, spend crm.gammagamma, x integer, t_x double precision, "T" double precision, mean_amount double precision, months integer, monthly_discount double precision, weeks_per_month double precision DEFAULT 4.348125',
	'clv: arguments and default');
SELECT is(pg_catalog.pg_get_function_arguments('crm.bgnbd_expected_purchases(crm.bgnbd, float8, integer, float8, float8)'::regprocedure),
	'model crm.bgnbd, t double precision, x integer, t_x double precision, "T" double precision',
	'bgnbd_expected_purchases: arguments');
SELECT is(pg_catalog.pg_get_function_result('crm.calibration_holdout(date, date, text)'::regprocedure),
	'TABLE(customer_id bigint, x integer, t_x double precision, "T" double precision, monetary numeric, holdout_purchases integer, holdout_days double precision)',
	'calibration_holdout: result columns');
SELECT is(pg_catalog.pg_get_function_arguments('crm.calibration_holdout(date, date, text)'::regprocedure),
	'calibration_end date, holdout_end date, unit text DEFAULT ''week''::text',
	'calibration_holdout: arguments and default');

--------------------------------------------------------------------------
-- Volatility, strictness, parallel safety, language
--------------------------------------------------------------------------

-- The predictions are C, IMMUTABLE, STRICT and PARALLEL SAFE;
-- gammagamma_expected_spend and clv are not strict because a NULL
-- mean_amount (no repeat purchase) means the population mean spend.
SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", p.provolatile::text, p.proisstrict, p.proparallel::text, l.lanname::text COLLATE "default"
		FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	   WHERE p.pronamespace = 'crm'::regnamespace AND p.prokind = 'f'
		 AND p.proname IN ('bgnbd_expected_purchases', 'bgnbd_p_alive', 'bgnbd_expected_purchases_unconditional',
						   'bgnbd_p_purchases', 'gammagamma_expected_spend', 'clv', 'calibration_holdout')
	   ORDER BY 1$$,
	$$VALUES ('bgnbd_expected_purchases', 'i', true, 's', 'c'),
			 ('bgnbd_expected_purchases_unconditional', 'i', true, 's', 'c'),
			 ('bgnbd_p_alive', 'i', true, 's', 'c'),
			 ('bgnbd_p_purchases', 'i', true, 's', 'c'),
			 ('bgnbd_p_purchases', 'i', true, 's', 'c'),
			 ('calibration_holdout', 's', true, 's', 'plpgsql'),
			 ('clv', 'i', false, 's', 'c'),
			 ('gammagamma_expected_spend', 'i', false, 's', 'c')$$,
	'predictions: volatility, strictness, parallel safety, language');

-- every support function is C, IMMUTABLE and PARALLEL SAFE
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc
			WHERE pronamespace = 'crm'::regnamespace
			  AND proname IN ('bgnbd_fit_trans', 'bgnbd_fit_combine', 'bgnbd_fit_final',
							  'gammagamma_fit_trans', 'gammagamma_fit_combine', 'gammagamma_fit_final')
			  AND provolatile = 'i' AND proparallel = 's' AND prolang = (SELECT oid FROM pg_catalog.pg_language WHERE lanname = 'c')),
	9, 'support functions: 9, all C, IMMUTABLE, PARALLEL SAFE');

--------------------------------------------------------------------------
-- Aggregates: state type float8[] (not internal, for Citus), combine
-- function, parallel safe, final function
--------------------------------------------------------------------------

SELECT results_eq(
	$$SELECT a.aggfnoid::regprocedure::text COLLATE "default", format_type(a.aggtranstype, NULL) COLLATE "default",
			 a.aggcombinefn::regproc::text COLLATE "default", a.aggfinalfn::regproc::text COLLATE "default",
			 a.aggserialfn = 0, p.proparallel::text COLLATE "default", a.aggkind::text COLLATE "default"
		FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
	   WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('bgnbd_fit', 'gammagamma_fit')
	   ORDER BY 1$$,
	$$VALUES ('crm.bgnbd_fit(integer,double precision,double precision)', 'double precision[]', 'crm.bgnbd_fit_combine', 'crm.bgnbd_fit_final', true, 's', 'n'),
			 ('crm.bgnbd_fit(integer,double precision,double precision,double precision)', 'double precision[]', 'crm.bgnbd_fit_combine', 'crm.bgnbd_fit_final', true, 's', 'n'),
			 ('crm.bgnbd_fit(integer,double precision,double precision,double precision,double precision)', 'double precision[]', 'crm.bgnbd_fit_combine', 'crm.bgnbd_fit_final', true, 's', 'n'),
			 ('crm.gammagamma_fit(integer,double precision)', 'double precision[]', 'crm.gammagamma_fit_combine', 'crm.gammagamma_fit_final', true, 's', 'n'),
			 ('crm.gammagamma_fit(integer,double precision,double precision)', 'double precision[]', 'crm.gammagamma_fit_combine', 'crm.gammagamma_fit_final', true, 's', 'n')$$,
	'fit aggregates: float8[] state, combine and final functions, no serialization needed, parallel safe');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('bgnbd_fit', 'gammagamma_fit')
			  AND a.aggtranstype = 'internal'::regtype),
	0, 'no fit aggregate has an internal state');
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc
			WHERE pronamespace = 'crm'::regnamespace AND proname IN ('bgnbd_fit_combine', 'gammagamma_fit_combine', 'bgnbd_fit_final', 'gammagamma_fit_final')
			  AND proisstrict),
	4, 'combine and final functions are strict');
SELECT ok((SELECT bool_and(obj_description(p.oid, 'pg_proc') IS NOT NULL) FROM pg_catalog.pg_proc p
			WHERE p.pronamespace = 'crm'::regnamespace
			  AND p.proname IN ('bgnbd_fit', 'gammagamma_fit', 'bgnbd_fit_trans', 'bgnbd_fit_combine', 'bgnbd_fit_final',
								'gammagamma_fit_trans', 'gammagamma_fit_combine', 'gammagamma_fit_final',
								'bgnbd_expected_purchases', 'bgnbd_p_alive', 'bgnbd_expected_purchases_unconditional',
								'bgnbd_p_purchases', 'gammagamma_expected_spend', 'clv', 'calibration_holdout')),
	'every function and aggregate has a comment');

--------------------------------------------------------------------------
-- Behaviour
--------------------------------------------------------------------------

CREATE TEMP TABLE tap_m AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS bg,
	   ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma AS gg;

-- reference values from the closed forms (mpmath, see sql/clv.sql)
SELECT ok((SELECT abs(crm.bgnbd_expected_purchases(bg, 39, 2, 30.43, 38.86) - 1.226028174767144463) < 1e-12 FROM tap_m),
	'expected purchases: FHL 2005 eq. 10');
SELECT ok((SELECT abs(crm.bgnbd_p_alive(bg, 2, 30.43, 38.86) - 0.72657857008067291) < 1e-14 FROM tap_m),
	'P(alive): FHL 2005 eq. 11');
SELECT ok((SELECT abs(crm.bgnbd_expected_purchases_unconditional(bg, 39) - 1.19672319332081687) < 1e-12 FROM tap_m),
	'E[X(t)]: FHL 2005 eq. 9');
SELECT ok((SELECT abs(crm.bgnbd_p_purchases(bg, 39, 1) - 0.19939528083591145) < 1e-13 FROM tap_m),
	'P(X(t) = n): FHL 2005 eq. 8');
SELECT ok((SELECT abs(crm.gammagamma_expected_spend(gg, 3, 40) - 6.25 * (15.44 + 120) / (18.75 + 2.74)) < 1e-12 FROM tap_m),
	'expected spend: p (gamma + x m) / (p x + q - 1)');
SELECT ok((SELECT crm.bgnbd_p_alive(bg, 0, 0, 38) = 1 FROM tap_m), 'a customer without repeat purchases is alive');
SELECT ok((SELECT crm.bgnbd_expected_purchases(bg, 52, 200, 1000, 1000) < 'infinity'
			  AND crm.bgnbd_expected_purchases(bg, 52, 200, 10, 1000) >= 0 FROM tap_m),
	'x = 200, T = 1000: finite');
SELECT ok((SELECT crm.clv(bg, gg, 0, 0, 38.86, NULL, 12, 0.01) > 0 FROM tap_m),
	'clv of a one-time buyer uses the population mean spend');
SELECT ok((SELECT crm.clv(bg, gg, 2, 30.43, 38.86, 40, 24, 0.01) > crm.clv(bg, gg, 2, 30.43, 38.86, 40, 12, 0.01) FROM tap_m),
	'clv grows with the horizon');
SELECT ok((SELECT crm.clv(bg, gg, 2, 30.43, 38.86, 40, 12, 0.02) < crm.clv(bg, gg, 2, 30.43, 38.86, 40, 12, 0.01) FROM tap_m),
	'clv falls with the discount rate');
SELECT is((SELECT crm.bgnbd_expected_purchases(NULL::crm.bgnbd, 39, 2, 30, 38)), NULL::float8, 'strict: NULL model gives NULL');

-- fits: empty input is NULL, identical summaries merge, any split combines
SELECT is((SELECT crm.bgnbd_fit(1, 1::float8, 2::float8) FROM pg_catalog.generate_series(1, 0)), NULL::crm.bgnbd,
	'bgnbd_fit: no rows, NULL');
SELECT is((SELECT crm.gammagamma_fit(1, 10::float8) FROM pg_catalog.generate_series(1, 0)), NULL::crm.gammagamma,
	'gammagamma_fit: no rows, NULL');

CREATE TEMP TABLE tap_data AS
SELECT i, (i * 13 % 23) / 3 AS x, (20 + i % 33)::float8 AS "T" FROM pg_catalog.generate_series(1, 3000) i;
CREATE TEMP TABLE tap_summary AS
SELECT i, x, CASE WHEN x = 0 THEN 0 ELSE "T" * (0.3 + (i * 7 % 10) / 15.0) END AS t_x, "T",
	   CASE WHEN x > 0 THEN 10 + (i * 7919 % 400) / 10.0 END AS m
  FROM tap_data;
SELECT ok((SELECT (f).customers = 3000 AND (f).iterations > 0
			 FROM (SELECT crm.bgnbd_fit(x, t_x, "T") AS f FROM tap_summary) s),
	'bgnbd_fit: counts the customers and its iterations');
SELECT is((SELECT crm.bgnbd_fit(x, t_x, "T", n) FROM (SELECT x, t_x, "T", count(*)::float8 AS n FROM tap_summary GROUP BY 1, 2, 3) g),
		  (SELECT crm.bgnbd_fit(x, t_x, "T") FROM tap_summary),
	'bgnbd_fit: weighted distinct summaries fit like the rows');
SELECT is((SELECT crm.bgnbd_fit(x, t_x, "T") FROM (SELECT * FROM tap_summary WHERE i % 2 = 0 UNION ALL SELECT * FROM tap_summary WHERE i % 2 = 1) u),
		  (SELECT crm.bgnbd_fit(x, t_x, "T") FROM tap_summary),
	'bgnbd_fit: row order does not matter');
SELECT is((SELECT (f).customers + (f).skipped FROM (SELECT crm.gammagamma_fit(x, m) AS f FROM tap_summary) s),
		  3000::float8,
	'gammagamma_fit: every row is fitted or counted as skipped');
SELECT is((SELECT crm.bgnbd_fit_final(crm.bgnbd_fit_combine(
				crm.bgnbd_fit_trans(crm.bgnbd_fit_trans(NULL, 1, 2, 10), 0, 0, 8),
				crm.bgnbd_fit_trans(NULL, 3, 5, 9)))),
		  (SELECT crm.bgnbd_fit(x, t_x, "T") FROM (VALUES (1, 2::float8, 10::float8), (0, 0, 8), (3, 5, 9)) v(x, t_x, "T")),
	'bgnbd_fit: support functions called by hand agree with the aggregate');

SELECT throws_ok($$SELECT crm.bgnbd_fit(2, 6::float8, 5::float8)$$, '22023',
	'need 0 <= t_x <= T', 'bgnbd_fit: t_x > T is an error');
SELECT throws_ok($$SELECT crm.gammagamma_fit(2, 0::float8)$$, '22023', NULL, 'gammagamma_fit: zero spend of a repeat buyer is an error');
SELECT throws_ok($$SELECT crm.bgnbd_p_purchases(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, 39, -1)$$,
	'22023', NULL, 'bgnbd_p_purchases: negative n is an error');
SELECT throws_ok($$SELECT * FROM crm.calibration_holdout('2025-01-31', '2025-01-01')$$, '22023', NULL,
	'calibration_holdout: holdout before calibration is an error');


--------------------------------------------------------------------------
-- Pareto/NBD, sBG and BG/BB: types, predictions' attributes, aggregates' states
--------------------------------------------------------------------------

SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
			 FROM pg_catalog.pg_attribute WHERE attrelid = 'crm.paretonbd'::regclass AND attnum > 0),
	'r double precision, alpha double precision, s double precision, beta double precision, log_likelihood double precision, customers double precision, iterations integer, converged boolean, covariance double precision[]',
	'crm.paretonbd: columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
			 FROM pg_catalog.pg_attribute WHERE attrelid = 'crm.sbg'::regclass AND attnum > 0),
	'alpha double precision, beta double precision, log_likelihood double precision, customers double precision, iterations integer, converged boolean, covariance double precision[]',
	'crm.sbg: columns');
-- predictions: C, IMMUTABLE, STRICT, PARALLEL SAFE
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_proc
			WHERE pronamespace = 'crm'::regnamespace
			  AND proname IN ('paretonbd_p_alive', 'paretonbd_expected_purchases', 'paretonbd_expected_purchases_unconditional',
							  'paretonbd_p_purchases', 'mbgnbd_p_alive', 'mbgnbd_expected_purchases', 'mbgnbd_expected_purchases_unconditional',
							  'sbg_survival', 'sbg_retention_rate', 'sbg_derl', 'bgbb_p_alive', 'bgbb_expected_purchases',
							  'bgbb_expected_purchases_unconditional')
			  AND provolatile = 'i' AND proisstrict AND proparallel = 's'
			  AND prolang = (SELECT oid FROM pg_catalog.pg_language WHERE lanname = 'c')),
	14, 'Pareto/NBD, MBG/NBD, sBG and BG/BB predictions: 14, all C, IMMUTABLE, STRICT, PARALLEL SAFE');
-- aggregates: float8[] state with a combine function, no serialization, parallel safe
SELECT is((SELECT count(*)::integer FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('paretonbd_fit', 'mbgnbd_fit', 'sbg_fit', 'bgbb_fit')
			  AND a.aggtranstype = 'float8[]'::regtype AND a.aggcombinefn <> 0 AND a.aggserialfn = 0
			  AND p.proparallel = 's'),
	10, 'paretonbd_fit (3 overloads), mbgnbd_fit (3), sbg_fit (2) and bgbb_fit (2): float8[] state, combine, PARALLEL SAFE');

--------------------------------------------------------------------------
-- Standard errors: fit_parameters (one overload per model type) and clv_interval
--------------------------------------------------------------------------

SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
			 FROM pg_catalog.pg_attribute WHERE attrelid = 'crm.mbgnbd'::regclass AND attnum > 0),
	'r double precision, alpha double precision, a double precision, b double precision, log_likelihood double precision, customers double precision, iterations integer, converged boolean, covariance double precision[]',
	'crm.mbgnbd: columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
			 FROM pg_catalog.pg_attribute WHERE attrelid = 'crm.bgbb'::regclass AND attnum > 0),
	'alpha double precision, beta double precision, gamma double precision, delta double precision, log_likelihood double precision, customers double precision, iterations integer, converged boolean, covariance double precision[]',
	'crm.bgbb: columns');
SELECT is((SELECT string_agg(p.oid::regprocedure::text || ' ' || pg_catalog.pg_get_function_result(p.oid), '; ' ORDER BY p.oid::regprocedure::text)
			 FROM pg_catalog.pg_proc p
			WHERE p.pronamespace = 'crm'::regnamespace AND p.proname = 'fit_parameters'
			  AND p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's' AND p.proretset),
	'crm.fit_parameters(crm.bgbb) TABLE(parameter text, estimate double precision, std_error double precision, lower95 double precision, upper95 double precision); '
	'crm.fit_parameters(crm.bgnbd) TABLE(parameter text, estimate double precision, std_error double precision, lower95 double precision, upper95 double precision); '
	'crm.fit_parameters(crm.gammagamma) TABLE(parameter text, estimate double precision, std_error double precision, lower95 double precision, upper95 double precision); '
	'crm.fit_parameters(crm.mbgnbd) TABLE(parameter text, estimate double precision, std_error double precision, lower95 double precision, upper95 double precision); '
	'crm.fit_parameters(crm.paretonbd) TABLE(parameter text, estimate double precision, std_error double precision, lower95 double precision, upper95 double precision); '
	'crm.fit_parameters(crm.sbg) TABLE(parameter text, estimate double precision, std_error double precision, lower95 double precision, upper95 double precision)',
	'fit_parameters: one IMMUTABLE STRICT PARALLEL SAFE overload per model type');
SELECT is(pg_catalog.pg_get_function_arguments('crm.clv_interval(crm.bgnbd, crm.gammagamma, integer, float8, float8, float8, integer, float8, float8)'::regprocedure),
	'model crm.bgnbd, spend crm.gammagamma, x integer, t_x double precision, "T" double precision, mean_amount double precision, months integer, monthly_discount double precision, weeks_per_month double precision DEFAULT 4.348125, OUT clv double precision, OUT std_error double precision, OUT lower95 double precision, OUT upper95 double precision',
	'clv_interval: the arguments of clv, and the interval');
SELECT is((SELECT count(*)::integer FROM crm.fit_parameters(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd)
			WHERE std_error IS NULL AND estimate IS NOT NULL),
	4, 'fit_parameters: a model made by hand has estimates without standard errors');

SELECT * FROM finish();
ROLLBACK;
