-- clv.sql: BG/NBD, Pareto/NBD, BG/BB and Gamma-Gamma lifetime value, and
-- sBG contract retention (C in clv.c).
--
-- Models: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the
-- easy way") for the number of purchases, Gamma-Gamma (Fader, Hardie & Lee
-- 2005, "RFM and CLV") for their value.  Both are fitted by aggregates over
-- customer summaries (x, t_x, T, monetary) of crm.rfm_summary:
--
--   WITH s AS (SELECT (crm.rfm_summary(crm.purchase_stats(ordered_at, amount), '2025-12-31', 'week')).*
--                FROM crm.orders GROUP BY customer_id)
--   SELECT (crm.bgnbd_fit(frequency, recency, age)).*,
--          (SELECT crm.gammagamma_fit(frequency, monetary::float8) FROM s)
--     FROM s;
--
-- The time unit of a model is the unit of its t_x and T (the calibration
-- summary above: weeks); horizons t of the predictions are in that unit.
-- crm.clv converts months to model units with weeks_per_month (4.348125 =
-- 30.4375 / 7 for a model in weeks; 30.4375 for one in days).
--
-- The fit aggregates keep their state in a float8[] (a header and the
-- distinct summaries with their weights), not internal: they run under
-- parallel query and Citus splits them into worker partials and a
-- coordinator combine.  Their cost grows with the number of distinct
-- summaries, so summaries in whole days (or weeks = days / 7) merge well.
--
-- Orders pattern: the calibration summary at a cut-off uses only the orders
-- up to it (rfm_summary refuses an as_of before the last purchase):
--
--   SELECT customer_id, crm.rfm_summary(crm.purchase_stats(ordered_at, amount), d, 'week')
--     FROM crm.orders WHERE ordered_at < (d + 1)::timestamptz GROUP BY customer_id;
--
-- (ordered_at < (d + 1)::timestamptz is ordered_at::date <= d in the session
-- time zone, and can use an index on ordered_at.)  crm.calibration_holdout
-- does this and counts the holdout purchases too.

CREATE TYPE @extschema@.bgnbd AS (
	r				float8,
	alpha			float8,
	a				float8,
	b				float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean,
	covariance		float8[]
);
COMMENT ON TYPE @extschema@.bgnbd IS
	'A fitted BG/NBD model (Fader, Hardie & Lee 2005): purchase rate lambda ~ Gamma(r, alpha) per time unit of the fit, dropout probability after each purchase p ~ Beta(a, b); maximized log-likelihood, total weight of the customers fitted, optimizer iterations, whether the gradient test of the optimizer was met and the covariance matrix of the parameter estimates (crm.fit_parameters)';

CREATE TYPE @extschema@.gammagamma AS (
	p				float8,
	q				float8,
	gamma			float8,
	log_likelihood	float8,
	customers		float8,
	skipped			float8,
	iterations		integer,
	converged		boolean,
	covariance		float8[]
);
COMMENT ON TYPE @extschema@.gammagamma IS
	'A fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005): transaction value ~ Gamma(p, nu), nu ~ Gamma(q, gamma), mean spend p gamma / (q - 1); maximized log-likelihood, repeat buyers fitted, rows skipped (x = 0 or a NULL argument), optimizer iterations, convergence and the covariance matrix of the parameter estimates (crm.fit_parameters)';

-- BG/NBD fit.  The transition function is not strict: it starts the state
-- itself and leaves out rows with a NULL argument.
CREATE FUNCTION @extschema@.bgnbd_fit_trans(float8[], integer, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_trans(float8[], integer, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_trans(float8[], integer, float8, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgnbd_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_final(float8[])
RETURNS @extschema@.bgnbd AS 'MODULE_PATHNAME', 'crm_bgnbd_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(float8[], integer, float8, float8) IS
	'Transition function of crm.bgnbd_fit(x, t_x, T): appends the summary to the float8[] state (header: format 1, penalty, records, 0; records: x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(float8[], integer, float8, float8, float8) IS
	'Transition function of crm.bgnbd_fit(x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(float8[], integer, float8, float8, float8, float8) IS
	'Transition function of crm.bgnbd_fit(x, t_x, T, weight, penalty)';
COMMENT ON FUNCTION @extschema@.bgnbd_fit_combine(float8[], float8[]) IS
	'Support function of crm.bgnbd_fit: the union of two states, identical summaries merged';
COMMENT ON FUNCTION @extschema@.bgnbd_fit_final(float8[]) IS
	'Support function of crm.bgnbd_fit: the maximum-likelihood crm.bgnbd of a state';

-- SSPACE: 32 bytes per distinct summary; 256 to start with.
CREATE AGGREGATE @extschema@.bgnbd_fit(x integer, t_x float8, "T" float8) (
	SFUNC = @extschema@.bgnbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgnbd_fit_final,
	COMBINEFUNC = @extschema@.bgnbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.bgnbd_fit(x integer, t_x float8, "T" float8, weight float8) (
	SFUNC = @extschema@.bgnbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgnbd_fit_final,
	COMBINEFUNC = @extschema@.bgnbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.bgnbd_fit(x integer, t_x float8, "T" float8, weight float8, penalty float8) (
	SFUNC = @extschema@.bgnbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgnbd_fit_final,
	COMBINEFUNC = @extschema@.bgnbd_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.bgnbd_fit(integer, float8, float8) IS
	'Maximum-likelihood BG/NBD model of customer summaries (x repeat purchases, t_x first to last purchase, T first purchase to end of calibration, one time unit) as crm.bgnbd; BFGS on log-parameters, converged when the largest gradient component of the per-customer objective is below 1e-8; rows with NULLs are left out; no rows: NULL. Errors (22023): x < 0, t_x outside [0, T], t_x <> 0 with x = 0, non-finite values';
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(integer, float8, float8, float8) IS
	'BG/NBD fit of weighted summaries (weight > 0: e.g. the count of customers sharing a summary)';
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(integer, float8, float8, float8, float8) IS
	'BG/NBD fit with an L2 penalty (the same on every row, >= 0): maximizes log-likelihood / total weight - penalty * (r^2 + alpha^2 + a^2 + b^2), as lifetimes'' penalizer_coef; log_likelihood reports the unpenalized value';

CREATE FUNCTION @extschema@.bgnbd_expected_purchases(model @extschema@.bgnbd, t float8, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_expected_purchases(@extschema@.bgnbd, float8, integer, float8, float8) IS
	'Expected purchases in the next t time units (of the model) of a customer with summary (x, t_x, T): FHL 2005 eq. 10, with 2F1 summed as a convergent series; domain t / (alpha + T) up to about 1e5 (beyond: error 22003). Errors (22023): t < 0, bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.bgnbd_p_alive(model @extschema@.bgnbd, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_p_alive(@extschema@.bgnbd, integer, float8, float8) IS
	'Probability that a customer with summary (x, t_x, T) is still alive at T: 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)), FHL 2005 eq. 11';

CREATE FUNCTION @extschema@.bgnbd_expected_purchases_unconditional(model @extschema@.bgnbd, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_purchases_unconditional'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_expected_purchases_unconditional(@extschema@.bgnbd, float8) IS
	'E[X(t)]: expected repeat purchases in the first t time units after a customer''s first purchase, FHL 2005 eq. 9';

CREATE FUNCTION @extschema@.bgnbd_p_purchases(model @extschema@.bgnbd, t float8, n integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_p_purchases(@extschema@.bgnbd, float8, integer) IS
	'P(X(t) = n): probability of exactly n repeat purchases in the first t time units after the first purchase, FHL 2005 eq. 8 (the tail of the negative binomial as a regularized incomplete beta)';

CREATE FUNCTION @extschema@.bgnbd_p_purchases(model @extschema@.bgnbd, t float8, n integer, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_p_purchases(@extschema@.bgnbd, float8, integer, integer, float8, float8) IS
	'P(Y(t) = n | x, t_x, T): probability that a customer with summary (x, t_x, T) makes exactly n purchases in the next t time units: P(alive) times FHL 2005 eq. 8 with r + x, alpha + T, b + x (her posterior), plus 1 - P(alive) at n = 0; in logarithms, safe for large x and T. Errors (22023): t < 0, n < 0, bad summary, model parameters not positive';

-- Pareto/NBD (Schmittlein, Morrison & Colombo 1987): the same summaries,
-- state records and argument order as bgnbd_fit (state format 3)
CREATE TYPE @extschema@.paretonbd AS (
	r				float8,
	alpha			float8,
	s				float8,
	beta			float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean,
	covariance		float8[]
);
COMMENT ON TYPE @extschema@.paretonbd IS
	'A fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchase rate lambda ~ Gamma(r, alpha) and dropout rate mu ~ Gamma(s, beta) per time unit of the fit; maximized log-likelihood, total weight of the customers fitted, optimizer iterations, whether the gradient test of the optimizer was met and the covariance matrix of the parameter estimates (crm.fit_parameters)';

CREATE FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_paretonbd_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.paretonbd_fit_final(float8[])
RETURNS @extschema@.paretonbd AS 'MODULE_PATHNAME', 'crm_paretonbd_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8) IS
	'Transition function of crm.paretonbd_fit(x, t_x, T): appends the summary to the float8[] state (header: format 3, penalty, records, 0; records: x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8) IS
	'Transition function of crm.paretonbd_fit(x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_trans(float8[], integer, float8, float8, float8, float8) IS
	'Transition function of crm.paretonbd_fit(x, t_x, T, weight, penalty)';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_combine(float8[], float8[]) IS
	'Support function of crm.paretonbd_fit: the union of two states, identical summaries merged';
COMMENT ON FUNCTION @extschema@.paretonbd_fit_final(float8[]) IS
	'Support function of crm.paretonbd_fit: the maximum-likelihood crm.paretonbd of a state';

CREATE AGGREGATE @extschema@.paretonbd_fit(x integer, t_x float8, "T" float8) (
	SFUNC = @extschema@.paretonbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.paretonbd_fit_final,
	COMBINEFUNC = @extschema@.paretonbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.paretonbd_fit(x integer, t_x float8, "T" float8, weight float8) (
	SFUNC = @extschema@.paretonbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.paretonbd_fit_final,
	COMBINEFUNC = @extschema@.paretonbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.paretonbd_fit(x integer, t_x float8, "T" float8, weight float8, penalty float8) (
	SFUNC = @extschema@.paretonbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.paretonbd_fit_final,
	COMBINEFUNC = @extschema@.paretonbd_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.paretonbd_fit(integer, float8, float8) IS
	'Maximum-likelihood Pareto/NBD model of customer summaries (x repeat purchases, t_x first to last purchase, T first purchase to end of calibration, one time unit) as crm.paretonbd; log-space likelihood (Fader & Hardie''s note, 2F1 series chosen by alpha vs beta), BFGS on log-parameters with the analytic gradient (the series differentiated term by term); rows with NULLs are left out; no rows: NULL. Errors (22023): x < 0, t_x outside [0, T], t_x <> 0 with x = 0, non-finite values';
COMMENT ON AGGREGATE @extschema@.paretonbd_fit(integer, float8, float8, float8) IS
	'Pareto/NBD fit of weighted summaries (weight > 0: e.g. the count of customers sharing a summary)';
COMMENT ON AGGREGATE @extschema@.paretonbd_fit(integer, float8, float8, float8, float8) IS
	'Pareto/NBD fit with an L2 penalty (the same on every row, >= 0): maximizes log-likelihood / total weight - penalty * (r^2 + alpha^2 + s^2 + beta^2); log_likelihood reports the unpenalized value';

CREATE FUNCTION @extschema@.paretonbd_p_alive(model @extschema@.paretonbd, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_p_alive(@extschema@.paretonbd, integer, float8, float8) IS
	'Probability that a customer with summary (x, t_x, T) is still alive at T under the Pareto/NBD model (Fader & Hardie''s note, eq. 18), computed in log space. Errors (22023): bad summary, model parameters not positive; (22003): the 2F1 series does not converge (|alpha - beta| / (max(alpha, beta) + t_x) within about 1e-6 of 1)';

CREATE FUNCTION @extschema@.paretonbd_expected_purchases(model @extschema@.paretonbd, t float8, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_expected_purchases(@extschema@.paretonbd, float8, integer, float8, float8) IS
	'Expected purchases in the next t time units (of the model) of a customer with summary (x, t_x, T): P(alive) (r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T) / (beta + T + t))^(s - 1)] (Fader & Hardie''s note, eq. 22; its limit at s = 1). Errors (22023): t < 0, bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.paretonbd_expected_purchases_unconditional(model @extschema@.paretonbd, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_expected_purchases_unconditional'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_expected_purchases_unconditional(@extschema@.paretonbd, float8) IS
	'E[X(t)]: expected repeat purchases in the first t time units after a customer''s first purchase under the Pareto/NBD model, r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)] (its limit at s = 1)';

CREATE FUNCTION @extschema@.paretonbd_p_purchases(model @extschema@.paretonbd, t float8, n integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_p_purchases(@extschema@.paretonbd, float8, integer) IS
	'P(X(t) = n): probability of exactly n repeat purchases in the first t time units after a customer''s first purchase under the Pareto/NBD model: NB(n; r, alpha/(alpha+t)) (beta/(beta+t))^s + integral over the death time tau in (0, t) of s beta^s/(beta+tau)^(s+1) NB(n; r, alpha/(alpha+tau)), by Gauss-Legendre quadrature of a positive integrand. Errors (22023): t < 0, n < 0, model parameters not positive; (22003): (r + n + s + 1) ln(1 + t/alpha) above 200000 (horizon too long for n)';
CREATE FUNCTION @extschema@.paretonbd_p_purchases(model @extschema@.paretonbd, t float8, n integer, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_paretonbd_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.paretonbd_p_purchases(@extschema@.paretonbd, float8, integer, integer, float8, float8) IS
	'P(Y(t) = n | x, t_x, T): probability that a customer with summary (x, t_x, T) makes exactly n purchases in the next t time units under the Pareto/NBD model: P(alive) times P(X(t) = n) with r + x, alpha + T, beta + T (her posterior), plus 1 - P(alive) at n = 0; safe for large x and T. Errors (22023): t < 0, n < 0, bad summary, model parameters not positive; (22003): (r + x + n + s + 1) ln(1 + t/(alpha + T)) above 200000, or P(alive) out of the 2F1 series'' reach';

-- MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with a dropout
-- chance at the first purchase too; the same summaries, state records and
-- argument order as bgnbd_fit (state format 6)
CREATE TYPE @extschema@.mbgnbd AS (
	r				float8,
	alpha			float8,
	a				float8,
	b				float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean,
	covariance		float8[]
);
COMMENT ON TYPE @extschema@.mbgnbd IS
	'A fitted MBG/NBD model (Batislam, Denizel & Filiztekin 2007): purchase rate lambda ~ Gamma(r, alpha) per time unit of the fit, dropout probability at the first purchase and after each repeat purchase p ~ Beta(a, b); maximized log-likelihood, total weight of the customers fitted, optimizer iterations, whether the gradient test of the optimizer was met and the covariance matrix of the parameter estimates (crm.fit_parameters)';

CREATE FUNCTION @extschema@.mbgnbd_fit_trans(float8[], integer, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_mbgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.mbgnbd_fit_trans(float8[], integer, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_mbgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.mbgnbd_fit_trans(float8[], integer, float8, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_mbgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.mbgnbd_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_mbgnbd_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.mbgnbd_fit_final(float8[])
RETURNS @extschema@.mbgnbd AS 'MODULE_PATHNAME', 'crm_mbgnbd_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(float8[], integer, float8, float8) IS
	'Transition function of crm.mbgnbd_fit(x, t_x, T): appends the summary to the float8[] state (header: format 6, penalty, records, 0; records: x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(float8[], integer, float8, float8, float8) IS
	'Transition function of crm.mbgnbd_fit(x, t_x, T, weight)';
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(float8[], integer, float8, float8, float8, float8) IS
	'Transition function of crm.mbgnbd_fit(x, t_x, T, weight, penalty)';
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_combine(float8[], float8[]) IS
	'Support function of crm.mbgnbd_fit: the union of two states, identical summaries merged';
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_final(float8[]) IS
	'Support function of crm.mbgnbd_fit: the maximum-likelihood crm.mbgnbd of a state';

CREATE AGGREGATE @extschema@.mbgnbd_fit(x integer, t_x float8, "T" float8) (
	SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.mbgnbd_fit_final,
	COMBINEFUNC = @extschema@.mbgnbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.mbgnbd_fit(x integer, t_x float8, "T" float8, weight float8) (
	SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.mbgnbd_fit_final,
	COMBINEFUNC = @extschema@.mbgnbd_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.mbgnbd_fit(x integer, t_x float8, "T" float8, weight float8, penalty float8) (
	SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.mbgnbd_fit_final,
	COMBINEFUNC = @extschema@.mbgnbd_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(integer, float8, float8) IS
	'Maximum-likelihood MBG/NBD model of customer summaries (x repeat purchases, t_x first to last purchase, T first purchase to end of calibration, one time unit) as crm.mbgnbd; log-space likelihood (lifetimes'' ModifiedBetaGeoFitter), BFGS on log-parameters with the analytic gradient; rows with NULLs are left out; no rows: NULL. Errors (22023): x < 0, t_x outside [0, T], t_x <> 0 with x = 0, non-finite values';
COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(integer, float8, float8, float8) IS
	'MBG/NBD fit of weighted summaries (weight > 0: e.g. the count of customers sharing a summary)';
COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(integer, float8, float8, float8, float8) IS
	'MBG/NBD fit with an L2 penalty (the same on every row, >= 0): maximizes log-likelihood / total weight - penalty * (r^2 + alpha^2 + a^2 + b^2); log_likelihood reports the unpenalized value';

CREATE FUNCTION @extschema@.mbgnbd_p_alive(model @extschema@.mbgnbd, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_mbgnbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_p_alive(@extschema@.mbgnbd, integer, float8, float8) IS
	'Probability that a customer with summary (x, t_x, T) is still alive at T under the MBG/NBD model: 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)), below 1 at x = 0 too. Errors (22023): bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.mbgnbd_expected_purchases(model @extschema@.mbgnbd, t float8, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_mbgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_expected_purchases(@extschema@.mbgnbd, float8, integer, float8, float8) IS
	'Expected purchases in the next t time units (of the model) of a customer with summary (x, t_x, T) under the MBG/NBD model: P(alive) (a + b + x)/(a - 1) [1 - ((alpha + T)/(alpha + T + t))^(r + x) 2F1(r + x, b + x + 1; a + b + x; t/(alpha + T + t))], with 2F1 summed as for BG/NBD (no division by a - 1 below a = 2); domain t / (alpha + T) up to about 1e5 (beyond: error 22003). Errors (22023): t < 0, bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.mbgnbd_expected_purchases_unconditional(model @extschema@.mbgnbd, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_mbgnbd_expected_purchases_unconditional'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_expected_purchases_unconditional(@extschema@.mbgnbd, float8) IS
	'E[X(t)]: expected repeat purchases in the first t time units after a customer''s first purchase under the MBG/NBD model, b/(a - 1) [1 - (alpha/(alpha + t))^r 2F1(r, b + 1; a + b; t/(alpha + t))]';

-- Shifted-beta-geometric (sBG) contract retention (Fader & Hardie 2007):
-- a fit over contracts (periods, churned [, weight]), state format 4
CREATE TYPE @extschema@.sbg AS (
	alpha			float8,
	beta			float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean,
	covariance		float8[]
);
COMMENT ON TYPE @extschema@.sbg IS
	'A fitted shifted-beta-geometric contract retention model (Fader & Hardie 2007): each customer churns at the end of a period with probability theta ~ Beta(alpha, beta); maximized log-likelihood, total weight of the contracts fitted, optimizer iterations, whether the gradient test of the optimizer was met and the covariance matrix of the parameter estimates (crm.fit_parameters)';

CREATE FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_sbg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_sbg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.sbg_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_sbg_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sbg_fit_final(float8[])
RETURNS @extschema@.sbg AS 'MODULE_PATHNAME', 'crm_sbg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean) IS
	'Transition function of crm.sbg_fit(periods, churned): appends the contract to the float8[] state (header: format 4, 0, records, 0; records: periods, churned 0 or 1, weight)';
COMMENT ON FUNCTION @extschema@.sbg_fit_trans(float8[], integer, boolean, float8) IS
	'Transition function of crm.sbg_fit(periods, churned, weight)';
COMMENT ON FUNCTION @extschema@.sbg_fit_combine(float8[], float8[]) IS
	'Support function of crm.sbg_fit: the union of two states, identical records merged';
COMMENT ON FUNCTION @extschema@.sbg_fit_final(float8[]) IS
	'Support function of crm.sbg_fit: the maximum-likelihood crm.sbg of a state';

-- SSPACE: 24 bytes per distinct (periods, churned); 256 to start with.
CREATE AGGREGATE @extschema@.sbg_fit(periods integer, churned boolean) (
	SFUNC = @extschema@.sbg_fit_trans, STYPE = float8[], SSPACE = 6176,
	FINALFUNC = @extschema@.sbg_fit_final,
	COMBINEFUNC = @extschema@.sbg_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.sbg_fit(periods integer, churned boolean, weight float8) (
	SFUNC = @extschema@.sbg_fit_trans, STYPE = float8[], SSPACE = 6176,
	FINALFUNC = @extschema@.sbg_fit_final,
	COMBINEFUNC = @extschema@.sbg_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.sbg_fit(integer, boolean) IS
	'Maximum-likelihood shifted-beta-geometric retention model of contracts as crm.sbg: periods = the period the contract ended in when churned (>= 1), else the periods it has completed (>= 0); likelihood B(alpha+1, beta+periods-1)/B(alpha, beta) for a churned contract, B(alpha, beta+periods)/B(alpha, beta) for a running one; BFGS on log-parameters with the analytic gradient; converged is false when no contract churned or none lasted a period (no maximum); rows with NULLs are left out; no rows: NULL. Errors (22023): periods below 1 (churned) or 0 (running)';
COMMENT ON AGGREGATE @extschema@.sbg_fit(integer, boolean, float8) IS
	'sBG fit of weighted contracts (weight > 0: e.g. the count of contracts sharing periods and churned)';

CREATE FUNCTION @extschema@.sbg_survival(model @extschema@.sbg, t integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_sbg_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sbg_survival(@extschema@.sbg, integer) IS
	'Share of a cohort still under contract after t periods: S(t) = B(alpha, beta + t) / B(alpha, beta) (Fader & Hardie 2007); S(0) = 1. Errors (22023): t < 0, model parameters not positive';

CREATE FUNCTION @extschema@.sbg_retention_rate(model @extschema@.sbg, t integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_sbg_retention_rate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sbg_retention_rate(@extschema@.sbg, integer) IS
	'Retention rate of period t, S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1) (Fader & Hardie 2007): rises with t as the cohort keeps its loyal customers. Errors (22023): t < 1, model parameters not positive';

CREATE FUNCTION @extschema@.sbg_derl(model @extschema@.sbg, discount float8, periods_survived integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_sbg_derl'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sbg_derl(@extschema@.sbg, float8, integer) IS
	'Discounted expected residual lifetime, in payments, of a customer who has renewed periods_survived times, at her next renewal decision: sum over k >= 0 of S(n + k + 1) / S(n) / (1 + discount)^k = (beta + n) / (alpha + beta + n) 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + discount)) (Fader & Hardie 2010, eq. 6 with n renewals); multiply by the margin per period for a residual value. Errors (22023): discount not positive and finite, periods_survived < 0, model parameters not positive; (22003): discount below about 1e-6';

-- BG/BB for discrete opportunities (Fader, Hardie & Shang 2010), state format 5
CREATE TYPE @extschema@.bgbb AS (
	alpha			float8,
	beta			float8,
	gamma			float8,
	delta			float8,
	log_likelihood	float8,
	customers		float8,
	iterations		integer,
	converged		boolean,
	covariance		float8[]
);
COMMENT ON TYPE @extschema@.bgbb IS
	'A fitted BG/BB model (Fader, Hardie & Shang 2010): at each opportunity a living customer transacts with probability p ~ Beta(alpha, beta) and then dies with probability theta ~ Beta(gamma, delta); maximized log-likelihood, total weight of the customers fitted, optimizer iterations, whether the gradient test of the optimizer was met and the covariance matrix of the parameter estimates (crm.fit_parameters)';

CREATE FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgbb_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgbb_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_bgbb_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgbb_fit_final(float8[])
RETURNS @extschema@.bgbb AS 'MODULE_PATHNAME', 'crm_bgbb_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer) IS
	'Transition function of crm.bgbb_fit(x, t_x, n): appends the summary to the float8[] state (header: format 5, 0, records, 0; records: x, t_x, n, weight)';
COMMENT ON FUNCTION @extschema@.bgbb_fit_trans(float8[], integer, integer, integer, float8) IS
	'Transition function of crm.bgbb_fit(x, t_x, n, weight)';
COMMENT ON FUNCTION @extschema@.bgbb_fit_combine(float8[], float8[]) IS
	'Support function of crm.bgbb_fit: the union of two states, identical summaries merged';
COMMENT ON FUNCTION @extschema@.bgbb_fit_final(float8[]) IS
	'Support function of crm.bgbb_fit: the maximum-likelihood crm.bgbb of a state';

CREATE AGGREGATE @extschema@.bgbb_fit(x integer, t_x integer, n integer) (
	SFUNC = @extschema@.bgbb_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgbb_fit_final,
	COMBINEFUNC = @extschema@.bgbb_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.bgbb_fit(x integer, t_x integer, n integer, weight float8) (
	SFUNC = @extschema@.bgbb_fit_trans, STYPE = float8[], SSPACE = 8224,
	FINALFUNC = @extschema@.bgbb_fit_final,
	COMBINEFUNC = @extschema@.bgbb_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.bgbb_fit(integer, integer, integer) IS
	'Maximum-likelihood BG/BB model of discrete-opportunity summaries (x opportunities with a transaction, the last at opportunity t_x, of n observed) as crm.bgbb; log-space likelihood (FHS 2010 eq. 5), BFGS on log-parameters with the analytic gradient; rows with NULLs are left out; no rows: NULL. Errors (22023): not 0 <= x <= t_x <= n <= 100000, t_x <> 0 with x = 0';
COMMENT ON AGGREGATE @extschema@.bgbb_fit(integer, integer, integer, float8) IS
	'BG/BB fit of weighted summaries (weight > 0: e.g. the count of customers sharing a summary)';

CREATE FUNCTION @extschema@.bgbb_p_alive(model @extschema@.bgbb, x integer, t_x integer, n integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgbb_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgbb_p_alive(@extschema@.bgbb, integer, integer, integer) IS
	'Probability that a customer with summary (x, t_x, n) is alive at opportunity n + 1 (FHS 2010 eq. 11). Errors (22023): bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.bgbb_expected_purchases(model @extschema@.bgbb, periods integer, x integer, t_x integer, n integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgbb_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgbb_expected_purchases(@extschema@.bgbb, integer, integer, integer, integer) IS
	'Expected transactions in the next periods opportunities (n + 1 .. n + periods) of a customer with summary (x, t_x, n): FHS 2010 eq. 13 as a sum over the opportunities (no division by gamma - 1). Errors (22023): periods outside 0 .. 100000, bad summary, model parameters not positive';

CREATE FUNCTION @extschema@.bgbb_expected_purchases_unconditional(model @extschema@.bgbb, periods integer)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgbb_expected_purchases_unconditional'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgbb_expected_purchases_unconditional(@extschema@.bgbb, integer) IS
	'E[X(n)]: expected transactions of a new customer in her first periods opportunities under the BG/BB model, alpha/(alpha + beta) delta/(gamma - 1) [1 - G(gamma + delta) G(1 + delta + n) / (G(gamma + delta + n) G(1 + delta))] (FHS 2010, the mean of X(n)) as the sum over the opportunities of alpha/(alpha + beta) B(gamma, delta + t)/B(gamma, delta) (no division by gamma - 1); equal to crm.bgbb_expected_purchases at x = t_x = n = 0. Errors (22023): periods outside 0 .. 100000, model parameters not positive';

-- Gamma-Gamma fit
CREATE FUNCTION @extschema@.gammagamma_fit_trans(float8[], integer, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_gammagamma_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.gammagamma_fit_trans(float8[], integer, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_gammagamma_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.gammagamma_fit_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_gammagamma_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gammagamma_fit_final(float8[])
RETURNS @extschema@.gammagamma AS 'MODULE_PATHNAME', 'crm_gammagamma_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.gammagamma_fit_trans(float8[], integer, float8) IS
	'Transition function of crm.gammagamma_fit(x, mean_amount): appends the repeat buyer to the float8[] state (header: format 2, penalty, records, rows skipped; records: x, mean, weight)';
COMMENT ON FUNCTION @extschema@.gammagamma_fit_trans(float8[], integer, float8, float8) IS
	'Transition function of crm.gammagamma_fit(x, mean_amount, penalty)';
COMMENT ON FUNCTION @extschema@.gammagamma_fit_combine(float8[], float8[]) IS
	'Support function of crm.gammagamma_fit: the union of two states, identical records merged, skipped rows added';
COMMENT ON FUNCTION @extschema@.gammagamma_fit_final(float8[]) IS
	'Support function of crm.gammagamma_fit: the maximum-likelihood crm.gammagamma of a state';

CREATE AGGREGATE @extschema@.gammagamma_fit(x integer, mean_amount float8) (
	SFUNC = @extschema@.gammagamma_fit_trans, STYPE = float8[], SSPACE = 6176,
	FINALFUNC = @extschema@.gammagamma_fit_final,
	COMBINEFUNC = @extschema@.gammagamma_fit_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.gammagamma_fit(x integer, mean_amount float8, penalty float8) (
	SFUNC = @extschema@.gammagamma_fit_trans, STYPE = float8[], SSPACE = 6176,
	FINALFUNC = @extschema@.gammagamma_fit_final,
	COMBINEFUNC = @extschema@.gammagamma_fit_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.gammagamma_fit(integer, float8) IS
	'Maximum-likelihood Gamma-Gamma spend model of repeat buyers (x repeat purchases, mean_amount = mean value of the repeat purchase days, rfm_summary''s monetary) as crm.gammagamma; rows with x = 0 or a NULL are skipped and counted in skipped; only skipped rows: parameters NULL; no rows: NULL. Errors (22023): x < 0, mean_amount <= 0 or not finite with x > 0';
COMMENT ON AGGREGATE @extschema@.gammagamma_fit(integer, float8, float8) IS
	'Gamma-Gamma fit with an L2 penalty (the same on every row, >= 0): maximizes log-likelihood / repeat buyers - penalty * (p^2 + q^2 + gamma^2); log_likelihood reports the unpenalized value';

CREATE FUNCTION @extschema@.gammagamma_expected_spend(model @extschema@.gammagamma, x integer, mean_amount float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_gammagamma_expected_spend'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gammagamma_expected_spend(@extschema@.gammagamma, integer, float8) IS
	'Expected mean transaction value of a customer with x repeat purchases of mean mean_amount: p (gamma + x mean_amount) / (p x + q - 1) (FHL 2005, "RFM and CLV"); x = 0 or mean_amount NULL gives the population mean p gamma / (q - 1). Not strict in mean_amount only (NULL model or x: NULL). Errors (22023): p x + q <= 1 (infinite mean), mean_amount <= 0 with x > 0';

CREATE FUNCTION @extschema@.clv(model @extschema@.bgnbd, spend @extschema@.gammagamma,
								x integer, t_x float8, "T" float8, mean_amount float8,
								months integer, monthly_discount float8,
								weeks_per_month float8 DEFAULT 4.348125)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_clv'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.bgnbd, @extschema@.gammagamma, integer, float8, float8, float8, integer, float8, float8) IS
	'Discounted expected value of a customer over the next months: sum over m = 1..months of expected spend * (E[purchases by month m] - E[purchases by month m - 1]) / (1 + monthly_discount)^m, BG/NBD conditional expectation with months converted to model time units by weeks_per_month (4.348125 = 30.4375 / 7 for a model in weeks); mean_amount NULL (no repeat purchase) uses the population mean spend; other NULLs give NULL';

-- Uncertainty.  Every fit stores the covariance matrix of its estimates
-- (the inverse of the observed information: the Hessian of minus the
-- log-likelihood, plus the penalty, at the optimum, by central differences
-- in the log-parameters of the fit's analytic gradient, or of the value
-- where the gradient is a difference itself); crm.fit_parameters shows
-- each parameter with its standard error and a 95 % interval, and
-- crm.clv_interval carries both models' covariances to a customer's value.
CREATE FUNCTION @extschema@.fit_parameters(model @extschema@.bgnbd)
RETURNS TABLE (parameter text, estimate float8, std_error float8, lower95 float8, upper95 float8)
AS 'MODULE_PATHNAME', 'crm_fit_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
CREATE FUNCTION @extschema@.fit_parameters(model @extschema@.gammagamma)
RETURNS TABLE (parameter text, estimate float8, std_error float8, lower95 float8, upper95 float8)
AS 'MODULE_PATHNAME', 'crm_fit_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
CREATE FUNCTION @extschema@.fit_parameters(model @extschema@.mbgnbd)
RETURNS TABLE (parameter text, estimate float8, std_error float8, lower95 float8, upper95 float8)
AS 'MODULE_PATHNAME', 'crm_fit_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
CREATE FUNCTION @extschema@.fit_parameters(model @extschema@.paretonbd)
RETURNS TABLE (parameter text, estimate float8, std_error float8, lower95 float8, upper95 float8)
AS 'MODULE_PATHNAME', 'crm_fit_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
CREATE FUNCTION @extschema@.fit_parameters(model @extschema@.sbg)
RETURNS TABLE (parameter text, estimate float8, std_error float8, lower95 float8, upper95 float8)
AS 'MODULE_PATHNAME', 'crm_fit_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
CREATE FUNCTION @extschema@.fit_parameters(model @extschema@.bgbb)
RETURNS TABLE (parameter text, estimate float8, std_error float8, lower95 float8, upper95 float8)
AS 'MODULE_PATHNAME', 'crm_fit_parameters' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION @extschema@.fit_parameters(@extschema@.bgnbd) IS
	'The parameters of a fitted BG/NBD model (r, alpha, a, b), one row each: estimate, standard error (square root of the diagonal of the model''s covariance: inverse observed information at the optimum) and 95 % Wald interval on the log scale, estimate * exp(+-1.96 std_error / estimate); std_error and interval NULL when covariance is NULL (a model made by hand). Errors (22023): covariance not a 4 x 4 finite matrix with non-negative variances';
COMMENT ON FUNCTION @extschema@.fit_parameters(@extschema@.gammagamma) IS
	'The parameters of a fitted Gamma-Gamma model (p, q, gamma) with standard errors and 95 % log-scale Wald intervals, as for crm.bgnbd';
COMMENT ON FUNCTION @extschema@.fit_parameters(@extschema@.mbgnbd) IS
	'The parameters of a fitted MBG/NBD model (r, alpha, a, b) with standard errors and 95 % log-scale Wald intervals, as for crm.bgnbd';
COMMENT ON FUNCTION @extschema@.fit_parameters(@extschema@.paretonbd) IS
	'The parameters of a fitted Pareto/NBD model (r, alpha, s, beta) with standard errors and 95 % log-scale Wald intervals, as for crm.bgnbd';
COMMENT ON FUNCTION @extschema@.fit_parameters(@extschema@.sbg) IS
	'The parameters of a fitted sBG model (alpha, beta) with standard errors and 95 % log-scale Wald intervals, as for crm.bgnbd';
COMMENT ON FUNCTION @extschema@.fit_parameters(@extschema@.bgbb) IS
	'The parameters of a fitted BG/BB model (alpha, beta, gamma, delta) with standard errors and 95 % log-scale Wald intervals, as for crm.bgnbd';

CREATE FUNCTION @extschema@.clv_interval(model @extschema@.bgnbd, spend @extschema@.gammagamma,
										 x integer, t_x float8, "T" float8, mean_amount float8,
										 months integer, monthly_discount float8,
										 weeks_per_month float8 DEFAULT 4.348125,
										 OUT clv float8, OUT std_error float8, OUT lower95 float8, OUT upper95 float8)
RETURNS record AS 'MODULE_PATHNAME', 'crm_clv_interval'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_interval(@extschema@.bgnbd, @extschema@.gammagamma, integer, float8, float8, float8, integer, float8, float8) IS
	'crm.clv with the uncertainty of the two fitted models: its delta-method standard error (gradient of the clv in the 7 parameters, by central differences in the BG/NBD log-parameters and analytic in the Gamma-Gamma ones, with each model''s covariance; the two fits taken as independent) and a 95 % Wald interval on the log scale, clv * exp(+-1.96 std_error / clv). Arguments and NULLs as crm.clv. Errors (22023): a model whose covariance is NULL, and those of crm.clv';

-- Value net of the cost to serve: the cost is modelled per purchase (the
-- cost of serving a customer's purchases: visits, discounts, support grow
-- with her activity), the customer's own rate from crm.service_costs.
CREATE FUNCTION @extschema@.clv_net(model @extschema@.bgnbd, spend @extschema@.gammagamma,
									x integer, t_x float8, "T" float8, mean_amount float8,
									cost_per_purchase float8, months integer, monthly_discount float8,
									weeks_per_month float8 DEFAULT 4.348125)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_clv_net'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv_net(@extschema@.bgnbd, @extschema@.gammagamma, integer, float8, float8, float8, float8, integer, float8, float8) IS
	'Discounted expected value of a customer over the next months net of the cost to serve, modelled per purchase: sum over m = 1..months of (expected spend - cost_per_purchase) * (E[purchases by month m] - E[purchases by month m - 1]) / (1 + monthly_discount)^m, i.e. crm.clv * (1 - cost_per_purchase / expected spend); negative when serving a purchase costs more than it brings. cost_per_purchase from crm.service_cost_per_purchase; NULL cost gives NULL, other arguments as crm.clv. Errors (22023): cost_per_purchase negative or not finite, and those of crm.clv';

CREATE FUNCTION @extschema@.service_cost_per_purchase(calibration_end date)
RETURNS TABLE (customer_id bigint, purchase_days integer, service_cost numeric, cost_per_purchase float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	-- plpgsql, not a SQL function body: Citus plans no query with the
	-- parameters of a SQL function; here they are values
	RETURN QUERY
	SELECT p.customer_id, p.days::integer, coalesce(c.cost, 0), (coalesce(c.cost, 0) / p.days)::float8
	  FROM (SELECT o.customer_id, count(DISTINCT (o.ordered_at)::date) AS days
			  FROM @extschema@.orders o
			 WHERE o.ordered_at < (service_cost_per_purchase.calibration_end + 1)::timestamptz
			   AND o.amount IS NOT NULL
			 GROUP BY o.customer_id) p
	  LEFT JOIN (SELECT s.customer_id, sum(s.amount) AS cost
				   FROM @extschema@.service_costs s
				  WHERE s.incurred_on <= service_cost_per_purchase.calibration_end
				  GROUP BY s.customer_id) c ON c.customer_id = p.customer_id
	 ORDER BY p.customer_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.service_cost_per_purchase(date) IS
	'Every customer with a purchase on or before calibration_end, by customer_id: her purchase days up to calibration_end (distinct dates of orders with an amount, in the session time zone, as crm.rfm_summary counts them), her service costs (crm.service_costs) incurred up to calibration_end, and their ratio, the cost to serve per purchase that crm.clv_net subtracts from the expected spend of each future purchase';

-- Calibration and holdout summaries of every customer from crm.orders.
-- STABLE: purchase days are dates of ordered_at in the session time zone;
-- ordered_at < (d + 1)::timestamptz is ordered_at::date <= d there, and can
-- use an index on ordered_at.
CREATE FUNCTION @extschema@.calibration_holdout(calibration_end date, holdout_end date, unit text DEFAULT 'week')
RETURNS TABLE (customer_id bigint, x integer, t_x float8, "T" float8, monetary numeric,
			   holdout_purchases integer, holdout_days float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF holdout_end < calibration_end THEN
		RAISE EXCEPTION 'calibration_holdout: holdout_end % is before calibration_end %', holdout_end, calibration_end
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The holdout period runs from the day after calibration_end to holdout_end.';
	END IF;
	RETURN QUERY
	SELECT c.customer_id, (c.s).frequency, (c.s).recency, (c.s).age, (c.s).monetary,
		   coalesce(h.n, 0)::integer,
		   (holdout_end - calibration_end)::float8
	  FROM (SELECT o.customer_id,
				   @extschema@.rfm_summary(@extschema@.purchase_stats(o.ordered_at, o.amount), calibration_end, unit) AS s
			  FROM @extschema@.orders o
			 WHERE o.ordered_at < (calibration_end + 1)::timestamptz
			   AND o.amount IS NOT NULL
			 GROUP BY o.customer_id) c
	  LEFT JOIN (SELECT o.customer_id, count(DISTINCT o.ordered_at::date) AS n
				   FROM @extschema@.orders o
				  WHERE o.ordered_at >= (calibration_end + 1)::timestamptz
					AND o.ordered_at < (holdout_end + 1)::timestamptz
					AND o.amount IS NOT NULL
				  GROUP BY o.customer_id) h ON h.customer_id = c.customer_id
	 WHERE (c.s).frequency IS NOT NULL
	 ORDER BY c.customer_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.calibration_holdout(date, date, text) IS
	'Every customer whose first purchase is on or before calibration_end, by customer_id: the rfm_summary (x, t_x, T in unit, monetary) of the orders up to calibration_end, the distinct purchase days in the holdout (calibration_end, holdout_end], and the holdout length in days (divide by 7 for t in weeks). Days are dates in the session time zone; orders without amount are not purchases. Errors (22023): holdout_end before calibration_end, unknown unit';

-- The churn risk of new customers (seed 002: "new: unstable, churn risk
-- must be predicted").  BG/NBD gives every customer without a repeat
-- purchase P(alive) = 1 (it lets customers drop out only after a
-- purchase), so the risk is the probability of no purchase in the next
-- horizon given the history: the conditional P(Y(t) = 0 | x, t_x, T) of a
-- BG/NBD fitted in weeks on every customer's summary as of as_of; for x = 0
-- it is ((alpha + T) / (alpha + T + t))^r, rising the longer a new customer
-- has not come back.
CREATE FUNCTION @extschema@.new_customer_churn(as_of date, horizon_days integer DEFAULT 90, new_days integer DEFAULT 90)
RETURNS TABLE (customer_id bigint, first_purchase date, repeat_purchases integer, days_since_first integer,
			   churn_risk float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m @extschema@.bgnbd;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'new_customer_churn: as_of must be a finite date, got %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the day the risk is judged on.';
	END IF;
	IF horizon_days IS NULL OR horizon_days NOT BETWEEN 1 AND 3650 THEN
		RAISE EXCEPTION 'new_customer_churn: horizon_days must be between 1 and 3650, got %', coalesce(horizon_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The risk is that of no purchase in the next horizon_days days, e.g. 90.';
	END IF;
	IF new_days IS NULL OR new_days < 0 THEN
		RAISE EXCEPTION 'new_customer_churn: new_days must be 0 or more, got %', coalesce(new_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A customer is new for new_days days after the first purchase, as in crm.lifecycle (90).';
	END IF;
	m := (SELECT @extschema@.bgnbd_fit(s.x, s.t_x, s."T") FROM @extschema@.calibration_holdout(as_of, as_of, 'week') s);
	IF m IS NULL OR NOT m.converged THEN
		RAISE EXCEPTION 'new_customer_churn: no BG/NBD model could be fitted on the purchases up to %', as_of
			USING ERRCODE = 'data_exception',
				  HINT = 'The model needs customers with and without repeat purchases before as_of.';
	END IF;
	RETURN QUERY
	SELECT s.customer_id, as_of - round(s."T" * 7)::integer, s.x, round(s."T" * 7)::integer,
		   @extschema@.bgnbd_p_purchases(m, horizon_days / 7.0, 0, s.x, s.t_x, s."T")
	  FROM @extschema@.calibration_holdout(as_of, as_of, 'week') s
	 WHERE round(s."T" * 7) <= new_days
	 ORDER BY 5 DESC, 1;
END;
$$;
COMMENT ON FUNCTION @extschema@.new_customer_churn(date, integer, integer) IS
	'The customers whose first purchase is at most new_days days before as_of (lifecycle new), each with churn_risk = the probability of no purchase in the next horizon_days days given the history, P(Y(t) = 0 | x, t_x, T) of crm.bgnbd_p_purchases under a BG/NBD fitted in weeks on every customer''s summary as of as_of (for a customer without a repeat purchase ((alpha + T) / (alpha + T + t))^r); riskiest first. Errors: as_of not finite (22008), bad horizon_days or new_days (22023), no model (22000)';

-- Model comparison on one calibration summary: the three models of
-- purchases over (x, t_x, T) fitted side by side, with their fit (AIC,
-- BIC) and their forecast of the holdout purchases, and the one to use.
CREATE FUNCTION @extschema@.compare_models(calibration_end date, holdout_end date, unit text DEFAULT 'week')
RETURNS TABLE (model text, parameters integer, customers float8, log_likelihood float8, aic float8, bic float8,
			   converged boolean, holdout_actual float8, holdout_expected float8, holdout_error float8,
			   holdout_rmse float8, chosen boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	unit_days float8;
BEGIN
	unit_days := CASE unit WHEN 'day' THEN 1 WHEN 'week' THEN 7 WHEN 'month' THEN 30.4375 WHEN 'year' THEN 365.25 END;
	IF unit_days IS NULL THEN
		RAISE EXCEPTION 'compare_models: unknown unit "%"', unit
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use day, week, month or year, the units of crm.rfm_summary.';
	END IF;
	RETURN QUERY
	WITH s AS (SELECT h.x, h.t_x, h."T", h.holdout_purchases::float8 AS actual, h.holdout_days / unit_days AS t
				 FROM @extschema@.calibration_holdout(calibration_end, holdout_end, unit) h),
		 f AS (SELECT @extschema@.bgnbd_fit(s.x, s.t_x, s."T") AS bg, @extschema@.mbgnbd_fit(s.x, s.t_x, s."T") AS mb,
					  @extschema@.paretonbd_fit(s.x, s.t_x, s."T") AS pn
				 FROM s),
		 fits AS (SELECT 'bgnbd' AS model, (f.bg).log_likelihood AS ll, (f.bg).customers AS n, (f.bg).converged AS ok FROM f
				  UNION ALL
				  SELECT 'mbgnbd', (f.mb).log_likelihood, (f.mb).customers, (f.mb).converged FROM f
				  UNION ALL
				  SELECT 'paretonbd', (f.pn).log_likelihood, (f.pn).customers, (f.pn).converged FROM f),
		 e AS (SELECT sum(s.actual) AS actual,
					  sum(@extschema@.bgnbd_expected_purchases(f.bg, s.t, s.x, s.t_x, s."T")) AS bg,
					  sum(@extschema@.mbgnbd_expected_purchases(f.mb, s.t, s.x, s.t_x, s."T")) AS mb,
					  sum(@extschema@.paretonbd_expected_purchases(f.pn, s.t, s.x, s.t_x, s."T")) AS pn,
					  sqrt(avg((@extschema@.bgnbd_expected_purchases(f.bg, s.t, s.x, s.t_x, s."T") - s.actual) ^ 2)) AS bg_rmse,
					  sqrt(avg((@extschema@.mbgnbd_expected_purchases(f.mb, s.t, s.x, s.t_x, s."T") - s.actual) ^ 2)) AS mb_rmse,
					  sqrt(avg((@extschema@.paretonbd_expected_purchases(f.pn, s.t, s.x, s.t_x, s."T") - s.actual) ^ 2)) AS pn_rmse,
					  max(s.t) AS horizon
				 FROM s, f),
		 r AS (SELECT fits.model, 4 AS k, fits.n, fits.ll, fits.ok, e.actual,
					  CASE fits.model WHEN 'bgnbd' THEN e.bg WHEN 'mbgnbd' THEN e.mb ELSE e.pn END AS expected,
					  CASE fits.model WHEN 'bgnbd' THEN e.bg_rmse WHEN 'mbgnbd' THEN e.mb_rmse ELSE e.pn_rmse END AS rmse,
					  e.horizon
				 FROM fits, e
				WHERE fits.ll IS NOT NULL)
	SELECT r.model, r.k, r.n, r.ll, 2 * r.k - 2 * r.ll, r.k * ln(r.n) - 2 * r.ll, r.ok,
		   r.actual, r.expected,
		   CASE WHEN r.actual > 0 THEN r.expected / r.actual - 1 END,
		   r.rmse,
		   -- the smallest holdout error per customer (squared: the predictions
		   -- are means, which squared error rewards; absolute error would
		   -- reward forecasting the median, 0 for most customers); without a
		   -- holdout the smallest BIC
		   r.model = first_value(r.model) OVER (ORDER BY CASE WHEN r.horizon > 0 THEN r.rmse END NULLS LAST,
														   r.k * ln(r.n) - 2 * r.ll, r.model)
	  FROM r
	 ORDER BY r.model;
END;
$$;
COMMENT ON FUNCTION @extschema@.compare_models(date, date, text) IS
	'BG/NBD, MBG/NBD and Pareto/NBD fitted on the calibration summaries of crm.calibration_holdout(calibration_end, holdout_end, unit), one row each by model name: parameters k, customers n, maximized log-likelihood LL, AIC = 2k - 2 LL, BIC = k ln n - 2 LL, converged, the holdout purchase days actual and expected in total (holdout length converted to unit) with the relative error of the total, the root mean squared error per customer (holdout_rmse), and chosen: the model with the smallest holdout_rmse (the smallest BIC when holdout_end = calibration_end). Errors (22023): unknown unit, holdout_end before calibration_end';
