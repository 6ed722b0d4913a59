-- crm 1.0 -> 1.1: what changed in the extension's SQL since the 1.0 release
-- (releases/crm--1.0.sql), for ALTER EXTENSION crm UPDATE: every change of
-- 1.1 adds objects, so this is those objects' declarations as src/ has them.
-- test/upgrade.sh checks that it gives a fresh 1.1 install's catalog,
-- object by object.
\echo Use "ALTER EXTENSION crm UPDATE TO '1.1'" to load this file. \quit

-- Lifetime value: Pareto/NBD, shifted-beta-geometric contract retention, BG/BB (src/clv.sql, src/clv.c)
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

-- Standard errors (src/clv.sql, src/clv.c): the covariance of the estimates
-- in every fitted model.  The 1.0 types get the attribute at their end,
-- where a fresh install has it too; a model stored in a table keeps its
-- rows (the new attribute reads as NULL there: no standard errors).
ALTER TYPE @extschema@.bgnbd ADD ATTRIBUTE covariance float8[];
COMMENT ON TYPE @extschema@.bgnbd IS
	'A fitted BG/NBD model (Fader, Hardie & Lee 2005): purchase rate lambda ~ Gamma(r, alpha) per time unit of the fit, dropout probability after each purchase p ~ Beta(a, b); maximized log-likelihood, total weight of the customers fitted, optimizer iterations, whether the gradient test of the optimizer was met and the covariance matrix of the parameter estimates (crm.fit_parameters)';
ALTER TYPE @extschema@.gammagamma ADD ATTRIBUTE covariance float8[];
COMMENT ON TYPE @extschema@.gammagamma IS
	'A fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005): transaction value ~ Gamma(p, nu), nu ~ Gamma(q, gamma), mean spend p gamma / (q - 1); maximized log-likelihood, repeat buyers fitted, rows skipped (x = 0 or a NULL argument), optimizer iterations, convergence and the covariance matrix of the parameter estimates (crm.fit_parameters)';

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

-- Conditional P(n purchases in t) of BG/NBD and Pareto/NBD (src/clv.sql, src/clv.c)
CREATE FUNCTION @extschema@.bgnbd_p_purchases(model @extschema@.bgnbd, t float8, n integer, x integer, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_p_purchases(@extschema@.bgnbd, float8, integer, integer, float8, float8) IS
	'P(Y(t) = n | x, t_x, T): probability that a customer with summary (x, t_x, T) makes exactly n purchases in the next t time units: P(alive) times FHL 2005 eq. 8 with r + x, alpha + T, b + x (her posterior), plus 1 - P(alive) at n = 0; in logarithms, safe for large x and T. Errors (22023): t < 0, n < 0, bad summary, model parameters not positive';

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

-- Value net of the cost to serve (src/clv.sql, src/clv.c): the cost is modelled per purchase (the
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

-- Model comparison (src/clv.sql) on one calibration summary: the three models of
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

-- Decision trees as Graphviz diagrams (src/tree.sql, src/tree_explain.c)
CREATE FUNCTION @extschema@.tree_to_dot(model @extschema@.tree, options jsonb DEFAULT '{}') RETURNS text
	AS 'MODULE_PATHNAME', 'crm_tree_to_dot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_to_dot(@extschema@.tree, jsonb) IS
	'Graphviz DOT text of the tree (render with dot -Tsvg): per node the split (the left child is the "true" edge) and where NULL goes, training rows, weighted count and share (%) of every class, predicted class; leaves filled from white to options.color by the share of the positive class; options: color ("#rrggbb"), rankdir ("TB", "LR", "BT", "RL"), edge_labels ("true/false" or "yes/no")';

-- The cumulative gain chart of a scoring (src/tree.sql)
CREATE FUNCTION @extschema@.gain_curve(source text, points integer DEFAULT 100)
RETURNS TABLE (point integer, population_share float8, gain float8, lift float8, min_score float8)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
AS $$
BEGIN
	IF source IS NULL OR points IS NULL OR points < 1 OR points > 1000 THEN
		RAISE EXCEPTION 'gain_curve: source must be given and points must be from 1 to 1000, got %',
			coalesce(points::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass a table, view or query of (score, label) rows, and 100 for percentiles, 10 for deciles.';
	END IF;
	-- crm.lift_table reads the source (the caller's names, so no pinned
	-- search_path here: everything of this function is schema-qualified)
	-- and ranks it into points groups of equal size, ties shared pro rata;
	-- point 0 is the origin of the chart.
	RETURN QUERY
	WITH l AS (SELECT * FROM @extschema@.lift_table(source, points)),
	n AS (SELECT pg_catalog.max(l.cumulative_rows)::double precision AS n FROM l)
	SELECT 0, 0::double precision, CASE WHEN pg_catalog.bool_or(l.gain IS NOT NULL) THEN 0::double precision END,
		   NULL::double precision, NULL::double precision
	  FROM l HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0
	UNION ALL
	SELECT l.grp, l.cumulative_rows OPERATOR(pg_catalog./) n.n, l.gain,
		   l.gain OPERATOR(pg_catalog./) (l.cumulative_rows OPERATOR(pg_catalog./) n.n), l.min_score
	  FROM l, n
	 ORDER BY 1;
END;
$$;
COMMENT ON FUNCTION @extschema@.gain_curve(text, integer) IS
	'Cumulative gain chart of a scoring, chart-ready (one row per point, from point 0 at the origin): source as crm.lift_table (a table or view with columns score and label, or a query of (score, label) rows); the rows are ranked by score descending into points groups of equal size (ties shared pro rata); population_share (0..1) of rows up to the point, gain (0..1) the share of all positives they hold, lift the cumulative lift gain / population_share, min_score the lowest score of the point''s group; gain and lift NULL without positives';

-- The Lorenz curve and concentration of the 80/20 split (src/grades.sql)
-- The concentration of value behind the 80/20 split, chart-ready: the
-- customers of crm.pareto_classes with a value, highest first, values below
-- 0 counted as 0 (a customer who costs more than he brings adds nothing to
-- the positive total the shares are of, as in the Pareto classes).  The
-- curve is the Lorenz curve read from the top (the concentration curve):
-- the share of value of the top p of customers, interpolated linearly
-- within a customer, so that it is exact at every customer and its area
-- gives the Gini coefficient.
-- The customers of crm.pareto_classes with a value, highest first, as both
-- the curve and the concentration read them.
CREATE FUNCTION @extschema@.value_ranking(as_of date, measure text DEFAULT 'net_value')
RETURNS TABLE (rank bigint, value numeric, above numeric, customers bigint, total numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT v.i, v.v, sum(v.v) OVER (ORDER BY v.i) - v.v, count(*) OVER (), sum(v.v) OVER ()
	  FROM (SELECT greatest(p.value, 0) AS v, row_number() OVER (ORDER BY p.value DESC) AS i
			  FROM @extschema@.pareto_classes(as_of, measure) p
			 WHERE p.value IS NOT NULL) v;
$$;
COMMENT ON FUNCTION @extschema@.value_ranking(date, text) IS
	'The ranking crm.lorenz_curve and crm.value_concentration read: the customers of crm.pareto_classes(as_of, measure) with a value, highest first (rank 1, 2, ...; equal values in any order), value below 0 counted as 0, above = the value of the customers ranked before, customers = how many, total = their positive value. Errors: those of crm.pareto_classes';

CREATE FUNCTION @extschema@.lorenz_curve(as_of date, measure text DEFAULT 'net_value', points integer DEFAULT 100)
RETURNS TABLE (point integer, customer_share float8, value_share float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF points IS NULL OR points < 1 OR points > 100000 THEN
		RAISE EXCEPTION 'lorenz_curve: points must be from 1 to 100000, got %', coalesce(points::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of steps of the customer axis, e.g. 100 for percentiles.';
	END IF;
	-- each point falls within one customer: the one ranked after the
	-- floor(customers * point / points) first
	RETURN QUERY
	SELECT g.k, g.k::float8 / points,
		   CASE WHEN r.total > 0
				THEN ((r.above + (r.customers::numeric * g.k / points - (r.rank - 1)) * r.value) / r.total)::float8 END
	  FROM @extschema@.value_ranking(as_of, measure) r, generate_series(0, points) g(k)
	 WHERE r.rank = least(floor(r.customers::numeric * g.k / points)::bigint + 1, r.customers)
	 ORDER BY g.k;
END;
$$;
COMMENT ON FUNCTION @extschema@.lorenz_curve(date, text, integer) IS
	'Lorenz curve of the 80/20 split, chart-ready (one row per point, from point 0 at the origin to points): the customers of crm.pareto_classes(as_of, measure) with a value, highest first, negative values counted as 0; customer_share = point / points of them, value_share = the share of the total positive value the top customer_share bring, interpolated linearly within a customer (exact at every customer); value_share NULL when no value is positive; no rows without customers. Errors: those of crm.pareto_classes; points outside 1..100000 (22023)';

CREATE FUNCTION @extschema@.value_concentration(as_of date, measure text DEFAULT 'net_value')
RETURNS TABLE (customers bigint, positive_value numeric, gini float8,
			   top_20_pct_value_share float8, customer_share_for_80_pct float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH r AS (
		SELECT * FROM @extschema@.value_ranking(as_of, measure)
	), t AS (
		-- one row even without customers
		SELECT count(*) AS n, sum(r.value) AS total FROM r
	)
	SELECT t.n, t.total,
		   -- G = sum over ranks i (highest first) of (n + 1 - 2i) v_i / (n * total)
		   (sum((t.n + 1 - 2 * r.rank) * r.value) / (t.n * t.total))::float8,
		   (sum(r.above + (t.n * 0.2 - (r.rank - 1)) * r.value)
				FILTER (WHERE r.rank = least(floor(t.n * 0.2)::bigint + 1, t.n)) / t.total)::float8,
		   (sum((r.rank - 1 + (0.8 * t.total - r.above) / r.value) / t.n)
				FILTER (WHERE r.above < 0.8 * t.total AND r.above + r.value >= 0.8 * t.total))::float8
	  FROM t LEFT JOIN r ON t.total > 0
	 GROUP BY t.n, t.total;
$$;
COMMENT ON FUNCTION @extschema@.value_concentration(date, text) IS
	'How concentrated value is, in one row (the numbers beside crm.lorenz_curve): customers with a value (crm.pareto_classes(as_of, measure), negative values counted as 0), their positive_value, the Gini coefficient (0: all equal, towards 1: one customer brings everything; sum over ranks i, highest first, of (n + 1 - 2i) v_i / (n * total)), the share of value the top 20 % of customers bring, and the share of customers (highest first) that bring 80 % of it, both read off the Lorenz curve (interpolated within a customer). gini and the shares NULL when no value is positive. Errors: those of crm.pareto_classes';

-- Fit checks of the lifetime-value models (src/clv_checks.sql)
-- Days of a time unit of crm.rfm_summary, written once for the checks.
CREATE FUNCTION @extschema@.time_unit_days(unit text)
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	CASE unit
		WHEN 'day' THEN RETURN 1;
		WHEN 'week' THEN RETURN 7;
		WHEN 'month' THEN RETURN 30.4375;
		WHEN 'year' THEN RETURN 365.25;
		ELSE
			RAISE EXCEPTION 'unknown time unit "%"', unit
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Use day, week, month (30.4375 days) or year (365.25 days).';
	END CASE;
END;
$$;
COMMENT ON FUNCTION @extschema@.time_unit_days(text) IS
	'Days of a time unit of crm.rfm_summary: day 1, week 7, month 30.4375, year 365.25. Error (22023): unknown unit';

-- The bound of a frequency axis, checked once for the checks.
CREATE FUNCTION @extschema@.max_frequency_checked(max_frequency integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF max_frequency < 0 OR max_frequency > 1000 THEN
		RAISE EXCEPTION 'max_frequency % is outside 0..1000', max_frequency
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the largest repeat-purchase count to show on its own, e.g. 7 (larger counts are shown with it).';
	END IF;
	RETURN max_frequency;
END;
$$;
COMMENT ON FUNCTION @extschema@.max_frequency_checked(integer) IS
	'max_frequency of crm.clv_calibration and crm.p_alive_grid, checked: error (22023) outside 0..1000';

--------------------------------------------------------------------------
-- Calibration vs holdout by frequency
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_calibration(model @extschema@.bgnbd, calibration_end date, holdout_end date,
											unit text DEFAULT 'week', max_frequency integer DEFAULT 7)
RETURNS TABLE (frequency integer, customers bigint, actual_purchases float8, expected_purchases float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT least(h.x, a.max_frequency), count(*), avg(h.holdout_purchases)::float8,
		   avg(@extschema@.bgnbd_expected_purchases(model, h.holdout_days / a.days, h.x, h.t_x, h."T"))
	  FROM (SELECT @extschema@.max_frequency_checked(max_frequency), @extschema@.time_unit_days(unit)
			OFFSET 0) a(max_frequency, days),
		   @extschema@.calibration_holdout(calibration_end, holdout_end, unit) h
	 GROUP BY 1 ORDER BY 1;
$$;

CREATE FUNCTION @extschema@.clv_calibration(model @extschema@.paretonbd, calibration_end date, holdout_end date,
											unit text DEFAULT 'week', max_frequency integer DEFAULT 7)
RETURNS TABLE (frequency integer, customers bigint, actual_purchases float8, expected_purchases float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT least(h.x, a.max_frequency), count(*), avg(h.holdout_purchases)::float8,
		   avg(@extschema@.paretonbd_expected_purchases(model, h.holdout_days / a.days, h.x, h.t_x, h."T"))
	  FROM (SELECT @extschema@.max_frequency_checked(max_frequency), @extschema@.time_unit_days(unit)
			OFFSET 0) a(max_frequency, days),
		   @extschema@.calibration_holdout(calibration_end, holdout_end, unit) h
	 GROUP BY 1 ORDER BY 1;
$$;

COMMENT ON FUNCTION @extschema@.clv_calibration(@extschema@.bgnbd, date, date, text, integer) IS
	'Calibration vs holdout by frequency (FHL 2005 figure 5, lifetimes'' plot_calibration_purchases_vs_holdout_purchases), chart-ready: the customers of crm.calibration_holdout(calibration_end, holdout_end, unit) grouped by their repeat purchases x in the calibration period (x >= max_frequency in the row of max_frequency), with the mean purchases in the holdout period, actual and expected by the BG/NBD model given each customer''s (x, t_x, T) (crm.bgnbd_expected_purchases over the holdout length). The model must be fitted on the same summary (same calibration_end and unit). Errors: those of crm.calibration_holdout; max_frequency outside 0..1000 (22023)';
COMMENT ON FUNCTION @extschema@.clv_calibration(@extschema@.paretonbd, date, date, text, integer) IS
	'crm.clv_calibration with a Pareto/NBD model (crm.paretonbd_expected_purchases)';

--------------------------------------------------------------------------
-- Tracking: repeat purchases per period, actual and expected
--------------------------------------------------------------------------

-- The periods of a tracking chart and the cohort behind each: the
-- customers whose first purchase (a purchase: an order with an amount; a
-- day: a date in the session time zone) is on or before calibration_end;
-- periods of one unit from the first of those first purchases to
-- holdout_end (the last one cut at holdout_end); their repeat purchase
-- days per period; and at each period's last day, the customers by first
-- purchase day and their age then in units (the expected repeat purchases
-- of a customer by then are the model's E[X(age)]).
CREATE FUNCTION @extschema@.clv_tracking_cohorts(calibration_end date, holdout_end date, unit text)
RETURNS TABLE (period integer, period_start date, period_end date, in_holdout boolean, actual bigint,
			   cohort_customers bigint[], cohort_ages float8[])
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	u	float8 := @extschema@.time_unit_days(unit);
BEGIN
	IF holdout_end < calibration_end THEN
		RAISE EXCEPTION 'clv_tracking: holdout_end % is before calibration_end %', holdout_end, calibration_end
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The holdout period runs from the day after calibration_end to holdout_end.';
	END IF;
	RETURN QUERY
	WITH days AS (
		SELECT o.customer_id, (o.ordered_at::date) AS day
		  FROM @extschema@.orders o
		 WHERE o.ordered_at < (holdout_end + 1)::timestamptz AND o.amount IS NOT NULL
		 GROUP BY 1, 2
	), births AS (
		SELECT d.customer_id, min(d.day) AS birth
		  FROM days d GROUP BY 1 HAVING min(d.day) <= calibration_end
	), cohorts AS (
		SELECT b.birth, count(*) AS customers FROM births b GROUP BY 1
	), origin AS (
		SELECT min(c.birth) AS first_day FROM cohorts c
	), periods AS (
		SELECT k, o.first_day + ceil((k - 1) * u)::integer AS p_start,
			   least(o.first_day + ceil(k * u)::integer - 1, holdout_end) AS p_end
		  FROM origin o, generate_series(1, ceil((holdout_end + 1 - o.first_day) / u)::integer) k
	), repeats AS (
		SELECT floor((d.day - o.first_day) / u)::integer + 1 AS k, count(*) AS n
		  FROM days d JOIN births b ON b.customer_id = d.customer_id AND d.day > b.birth, origin o
		 GROUP BY 1
	)
	SELECT p.k, p.p_start, p.p_end, p.p_start > calibration_end, coalesce(r.n, 0),
		   array_agg(c.customers ORDER BY c.birth),
		   array_agg((p.p_end - c.birth) / u ORDER BY c.birth)
	  FROM periods p
	  JOIN cohorts c ON c.birth <= p.p_end
	  LEFT JOIN repeats r ON r.k = p.k
	 GROUP BY p.k, p.p_start, p.p_end, r.n
	 ORDER BY p.k;
END;
$$;
COMMENT ON FUNCTION @extschema@.clv_tracking_cohorts(date, date, text) IS
	'The rows crm.clv_tracking draws from: periods of one unit from the first purchase day of the cohort (customers whose first purchase is on or before calibration_end) to holdout_end (the last period cut there), whether a period starts after calibration_end, the cohort''s repeat purchase days in it, and per first purchase day up to its last day the customers (cohort_customers) and their age at the end of its last day in units (cohort_ages). Days are dates in the session time zone; orders without amount are not purchases. Errors (22023): holdout_end before calibration_end, unknown unit';

CREATE FUNCTION @extschema@.clv_tracking(model @extschema@.bgnbd, calibration_end date, holdout_end date,
										 unit text DEFAULT 'week')
RETURNS TABLE (period integer, period_start date, period_end date, in_holdout boolean,
			   actual bigint, expected float8, cumulative_actual bigint, cumulative_expected float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT t.period, t.period_start, t.period_end, t.in_holdout, t.actual,
		   e.cumulative - coalesce(lag(e.cumulative) OVER w, 0), (sum(t.actual) OVER w)::bigint, e.cumulative
	  FROM @extschema@.clv_tracking_cohorts(calibration_end, holdout_end, unit) t,
		   LATERAL (SELECT sum(c.customers * @extschema@.bgnbd_expected_purchases_unconditional(model, c.age)) AS cumulative
					  FROM unnest(t.cohort_customers, t.cohort_ages) c(customers, age)) e
	WINDOW w AS (ORDER BY t.period)
	 ORDER BY t.period;
$$;

CREATE FUNCTION @extschema@.clv_tracking(model @extschema@.paretonbd, calibration_end date, holdout_end date,
										 unit text DEFAULT 'week')
RETURNS TABLE (period integer, period_start date, period_end date, in_holdout boolean,
			   actual bigint, expected float8, cumulative_actual bigint, cumulative_expected float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT t.period, t.period_start, t.period_end, t.in_holdout, t.actual,
		   e.cumulative - coalesce(lag(e.cumulative) OVER w, 0), (sum(t.actual) OVER w)::bigint, e.cumulative
	  FROM @extschema@.clv_tracking_cohorts(calibration_end, holdout_end, unit) t,
		   LATERAL (SELECT sum(c.customers * @extschema@.paretonbd_expected_purchases_unconditional(model, c.age)) AS cumulative
					  FROM unnest(t.cohort_customers, t.cohort_ages) c(customers, age)) e
	WINDOW w AS (ORDER BY t.period)
	 ORDER BY t.period;
$$;
COMMENT ON FUNCTION @extschema@.clv_tracking(@extschema@.bgnbd, date, date, text) IS
	'Tracking of repeat purchases (FHL 2005 figures 2 and 3; BTYD''s tracking plots), chart-ready: per period of one unit (week) from the first purchase of the cohort (customers whose first purchase is on or before calibration_end) to holdout_end, the cohort''s repeat purchase days in it (actual) and the BG/NBD expectation (expected: the sum over customers of crm.bgnbd_expected_purchases_unconditional at their age at the period''s last day, minus the same at the previous period), and both cumulative; in_holdout marks the periods after calibration_end. The periods and cohorts come from crm.clv_tracking_cohorts. Errors (22023): holdout_end before calibration_end, unknown unit';
COMMENT ON FUNCTION @extschema@.clv_tracking(@extschema@.paretonbd, date, date, text) IS
	'crm.clv_tracking with a Pareto/NBD model (crm.paretonbd_expected_purchases_unconditional)';

--------------------------------------------------------------------------
-- P(alive) over recency x frequency
--------------------------------------------------------------------------

-- The grid of a P(alive) matrix: (x, t_x) for x = 0..max_frequency and
-- t_x = T * i / recency_points, i = 0..recency_points; x = 0 at t_x = 0
-- only (a customer without repeat purchases has recency 0).
CREATE FUNCTION @extschema@.p_alive_cells("T" float8, max_frequency integer, recency_points integer)
RETURNS TABLE (frequency integer, recency float8)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT ("T" > 0 AND "T" < 'Infinity') THEN
		RAISE EXCEPTION 'p_alive_grid: T must be a positive finite age, got %', "T"
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the customers'' age in the model''s time unit, e.g. 39 (weeks).';
	END IF;
	IF recency_points < 1 OR recency_points > 1000 THEN
		RAISE EXCEPTION 'p_alive_grid: recency_points % is outside 1..1000', recency_points
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of recency steps from 0 to T, e.g. 20.';
	END IF;
	RETURN QUERY
	SELECT x, "T" * i / recency_points
	  FROM generate_series(0, @extschema@.max_frequency_checked(max_frequency)) x,
		   generate_series(0, recency_points) i
	 WHERE x > 0 OR i = 0
	 ORDER BY x, i;
END;
$$;
COMMENT ON FUNCTION @extschema@.p_alive_cells(float8, integer, integer) IS
	'The cells of crm.p_alive_grid: frequency 0..max_frequency by recency T * i / recency_points (i = 0..recency_points), frequency 0 at recency 0 only. Errors (22023): T not positive and finite, max_frequency outside 0..1000, recency_points outside 1..1000';

CREATE FUNCTION @extschema@.p_alive_grid(model @extschema@.bgnbd, "T" float8, max_frequency integer DEFAULT 20,
										 recency_points integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT g.frequency, g.recency, @extschema@.bgnbd_p_alive(model, g.frequency, g.recency, "T")
	  FROM @extschema@.p_alive_cells("T", max_frequency, recency_points) g;
$$;

CREATE FUNCTION @extschema@.p_alive_grid(model @extschema@.paretonbd, "T" float8, max_frequency integer DEFAULT 20,
										 recency_points integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT g.frequency, g.recency, @extschema@.paretonbd_p_alive(model, g.frequency, g.recency, "T")
	  FROM @extschema@.p_alive_cells("T", max_frequency, recency_points) g;
$$;
COMMENT ON FUNCTION @extschema@.p_alive_grid(@extschema@.bgnbd, float8, integer, integer) IS
	'P(alive) over a recency x frequency grid at age T (lifetimes'' plot_probability_alive_matrix), chart-ready for a heat map: crm.bgnbd_p_alive for every cell of crm.p_alive_cells (frequency 0..max_frequency, recency T * i / recency_points; frequency 0 at recency 0 only). Errors (22023): T not positive and finite, max_frequency outside 0..1000, recency_points outside 1..1000';
COMMENT ON FUNCTION @extschema@.p_alive_grid(@extschema@.paretonbd, float8, integer, integer) IS
	'crm.p_alive_grid with a Pareto/NBD model (crm.paretonbd_p_alive)';

-- The marketing capability self-assessment of seed 002 (src/assessment.sql)
CREATE TABLE @extschema@.assessment_questions (
	question	smallint PRIMARY KEY CHECK (question OPERATOR(pg_catalog.>=) 1 AND question OPERATOR(pg_catalog.<=) 12),
	area		text NOT NULL CHECK (area OPERATOR(pg_catalog.=) ANY (ARRAY['strategy', 'marketing', 'sales management', 'repeat marketing'])),
	area_zh		text NOT NULL,
	question_en	text NOT NULL,
	question_zh	text NOT NULL,
	guide_en	text NOT NULL,
	guide_zh	text NOT NULL,
	crm_support	text NOT NULL
);
COMMENT ON TABLE @extschema@.assessment_questions IS
	'The twelve questions of the marketing capability self-assessment (seed 002), each scored 0-10: shipped with the extension, read-only; a reference table under Citus';
COMMENT ON COLUMN @extschema@.assessment_questions.question IS 'Question number 1..12, the position of its score in crm.assessments.scores';
COMMENT ON COLUMN @extschema@.assessment_questions.area IS 'Area: strategy (1-2), marketing (3-5), sales management (6-9), repeat marketing (10-12)';
COMMENT ON COLUMN @extschema@.assessment_questions.area_zh IS 'The area as the seed names it';
COMMENT ON COLUMN @extschema@.assessment_questions.question_en IS 'The question in English';
COMMENT ON COLUMN @extschema@.assessment_questions.question_zh IS 'The question as the seed writes it';
COMMENT ON COLUMN @extschema@.assessment_questions.guide_en IS 'The seed''s hint, or its scale (e.g. monthly 10, quarterly 6, yearly 4), in English';
COMMENT ON COLUMN @extschema@.assessment_questions.guide_zh IS 'The hint or scale as the seed writes it';
COMMENT ON COLUMN @extschema@.assessment_questions.crm_support IS 'The crm objects that give a company what the question asks about';

INSERT INTO @extschema@.assessment_questions VALUES
	(1, 'strategy', '營銷策略',
	 'Does the company have a clear sales model?', '企業是否擁有清晰的營銷模式',
	 'Model: channel sales, direct sales, or both', '模式指：渠道銷售、企業直銷或二者兼存',
	 'crm.customers.channel, crm.segment_strategies'),
	(2, 'strategy', '營銷策略',
	 'Has it found the marketing focus that brings its revenue?', '是否已找出為企業帶來收入的營銷重點',
	 'Focus: market marketing, key-account sales, repeat marketing', '重點指：市場營銷、大客戶銷售和重複營銷',
	 'crm.pareto_classes, crm.value_concentration, crm.region_summary'),
	(3, 'marketing', '市場營銷',
	 'Has it a method to find its target market (customer groups)?', '有尋找目標市場（客戶群）的方法',
	 'Method: finding target customers, market positioning', '方法指：目標客戶尋找和市場定位',
	 'crm.segment, crm.tree_train, crm.tree_score'),
	(4, 'marketing', '市場營銷',
	 'Has it the means to develop channels or direct marketing?', '有發展渠道或直復營銷的手段',
	 'Means: promotions, direct mail, data mining', '手段指：市場促銷、直郵和數據挖掘等',
	 'crm.campaigns, crm.campaign_members, crm.lift_table'),
	(5, 'marketing', '市場營銷',
	 'Has it tools to quantify market results and track their effect?', '有市場業績量化和效果跟蹤的工具',
	 'Tools: reports, process management, results tracking', '工具指：報表系統、流程管理和業績跟蹤',
	 'crm.campaign_effectiveness, crm.campaign_sales_lift'),
	(6, 'sales management', '營銷管理',
	 'Has it sales territory management and a target system?', '有銷售區域管理和指標管理系統',
	 'Targets: monthly 10, quarterly 6, yearly 4', '指標：月度（10分）；季度（6分）；年度（4分）',
	 'crm.quotas, crm.allocate_quotas, crm.quota_attainment'),
	(7, 'sales management', '營銷管理',
	 'Does it get sales forecasts at every sales level in time?', '可及時獲得各銷售層面的銷售預測',
	 'In time: any time 10, monthly 6, quarterly 4', '及時指：隨時（10分）；每月（6分）；季度（4分）',
	 'crm.funnel, crm.pipeline_forecast, crm.seasonal_forecast'),
	(8, 'sales management', '營銷管理',
	 'If a salesperson leaves, does the company keep its customers'' requirement documents and contacts?', '若有銷售人員離職，企業仍可掌握客戶需求文檔信息和聯繫方式',
	 'Kept: all documents 10, contact details 6, company names 4', '信息指：全部文檔（10分）；聯繫信息（6分）；企業名稱（4分）',
	 'crm.handover, crm.transfer_owner, crm.contacts'),
	(9, 'sales management', '營銷管理',
	 'Are performance reviews and commissions and bonuses computed in time?', '及時的業績考核和傭金、獎金計算',
	 'In time: any time 10, monthly 6, quarterly 4', '及時指：隨時（10分）；每月（6分）；季度（4分）',
	 'crm.quota_attainment, crm.opportunity_owners'),
	(10, 'repeat marketing', '客戶重複營銷',
	 'Has it a customer information system whose information is shared?', '有企業客戶信息管理系統，並可信息共享',
	 'Information: the customers'' contracts, purchases and project execution', '信息指：客戶的合同、採購和項目實施過程',
	 'crm.customer_360, crm.contract_overview'),
	(11, 'repeat marketing', '客戶重複營銷',
	 'Has it reminders of customers'' new needs and stock alerts?', '有客戶新需求提示和庫存預警提示',
	 'Reminders: reflect the customers'' demand cycle and stock', '提示指：可反應客戶的需求週期及庫存量',
	 'crm.bgnbd_p_alive, crm.bgnbd_expected_purchases, crm.clv'),
	(12, 'repeat marketing', '客戶重複營銷',
	 'Has it one-to-one marketing and tracking of the response by customer grade?', '有一對一營銷和客戶等級檢查響應跟蹤',
	 'Grades: the customers of every grade can be found at any time', '等級指：隨時可找出企業各等級的客戶',
	 'crm.refresh_grades, crm.customer_grades, crm.grade_history');

-- The scoring rule, written once: the table's check and the history view
-- call it.
CREATE FUNCTION @extschema@.score_assessment(scores integer[],
											 OUT total integer, OUT band text,
											 OUT strategy integer, OUT marketing integer,
											 OUT sales_management integer, OUT repeat_marketing integer,
											 OUT weakest_area text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	areas	constant text[] := '{strategy,marketing,sales management,repeat marketing}';
	sizes	constant integer[] := '{2,3,4,3}';
	share	float8;
	lowest	float8;
BEGIN
	IF scores IS NULL OR array_ndims(scores) IS DISTINCT FROM 1 OR cardinality(scores) <> 12
	   OR array_position(scores, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'score_assessment: an assessment has 12 scores, got %', coalesce(scores::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give one score 0-10 per question of crm.assessment_questions, in question order, e.g. ''{8,7,6,5,6,10,6,10,6,8,4,6}''.';
	END IF;
	IF NOT (0 <= ALL (scores) AND 10 >= ALL (scores)) THEN
		RAISE EXCEPTION 'score_assessment: every score is 0-10, got %', scores
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Score each question from 0 (not at all) to 10 (fully); the sales management questions 6-9 use their scale of 10, 6 or 4.';
	END IF;
	strategy := scores[1] + scores[2];
	marketing := scores[3] + scores[4] + scores[5];
	sales_management := scores[6] + scores[7] + scores[8] + scores[9];
	repeat_marketing := scores[10] + scores[11] + scores[12];
	total := strategy + marketing + sales_management + repeat_marketing;
	-- the seed's bands: above 80 good, 60 to 80 room to improve, below 60
	-- a red alert
	band := CASE WHEN total > 80 THEN 'good' WHEN total >= 60 THEN 'improve' ELSE 'red alert' END;
	-- the weakest area: the lowest share of its maximum (areas have 2 to 4
	-- questions); on a tie the first in the questionnaire's order
	FOR i IN 1 .. 4 LOOP
		share := (ARRAY[strategy, marketing, sales_management, repeat_marketing])[i]::float8 / (10 * sizes[i]);
		IF lowest IS NULL OR share < lowest THEN
			lowest := share;
			weakest_area := areas[i];
		END IF;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.score_assessment(integer[]) IS
	'Scores a marketing capability self-assessment (seed 002): scores = the 12 answers 0-10 in the order of crm.assessment_questions; total of 120, band good (above 80), improve (60-80) or red alert (below 60), the sum of each area (strategy of 20, marketing of 30, sales management of 40, repeat marketing of 30) and the weakest area (lowest share of its maximum; the first on a tie). Errors (22023): not 12 scores, a NULL score, a score outside 0-10';

CREATE TABLE @extschema@.assessments (
	id			bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	assessed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	assessed_by	text NOT NULL DEFAULT CURRENT_USER,
	scores		integer[] NOT NULL,
	note		text,
	-- the scoring function validates the scores with its own errors
	CONSTRAINT assessments_scores_valid CHECK ((@extschema@.score_assessment(scores)).total IS NOT NULL),
	CONSTRAINT assessments_assessed_at_finite CHECK (pg_catalog.isfinite(assessed_at))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.assessments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.assessments_id_seq', '');
CREATE INDEX assessments_assessed_at_idx ON @extschema@.assessments (assessed_at);
COMMENT ON TABLE @extschema@.assessments IS
	'Marketing capability self-assessments taken (seed 002): inserted by crm_manager with the time and role set by the database, never updated, deleted by crm_admin; not per customer, so without row security; a reference table under Citus';
COMMENT ON COLUMN @extschema@.assessments.id IS 'Identity';
COMMENT ON COLUMN @extschema@.assessments.assessed_at IS 'When it was taken (set by the database: crm_manager cannot write it)';
COMMENT ON COLUMN @extschema@.assessments.assessed_by IS 'Role that took it (CURRENT_USER, set by the database)';
COMMENT ON COLUMN @extschema@.assessments.scores IS 'The 12 scores 0-10 in the order of crm.assessment_questions, validated by crm.score_assessment';
COMMENT ON COLUMN @extschema@.assessments.note IS 'Free text: who took part, the reason';

CREATE VIEW @extschema@.assessment_history AS
SELECT a.id, a.assessed_at, a.assessed_by, s.total, s.band, s.strategy, s.marketing, s.sales_management,
	   s.repeat_marketing, s.weakest_area,
	   s.total OPERATOR(pg_catalog.-) pg_catalog.lag(s.total) OVER (ORDER BY a.assessed_at, a.id) AS change,
	   a.note
  FROM @extschema@.assessments a,
	   LATERAL @extschema@.score_assessment(a.scores) s;
COMMENT ON VIEW @extschema@.assessment_history IS
	'Every self-assessment with its total, band, area sums and weakest area (crm.score_assessment), and the change of the total since the assessment before it';
-- views apply the querying role's row security (src/security.sql)
ALTER VIEW @extschema@.assessment_history SET (security_invoker = true);
GRANT SELECT ON @extschema@.assessment_questions, @extschema@.assessments, @extschema@.assessment_history TO crm_reader;
GRANT USAGE ON SEQUENCE @extschema@.assessments_id_seq TO crm_rep;
GRANT INSERT (scores, note) ON @extschema@.assessments TO crm_manager;
GRANT DELETE ON @extschema@.assessments TO crm_admin;

-- Every change to a customer's rows is audited: contacts, orders, service
-- costs, campaign memberships and quotes too (src/audit.sql)
CREATE OR REPLACE FUNCTION @extschema@.audit_changes()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	actor		text;
	app			text := current_setting('application_name');
	ctx			text := nullif(current_setting('crm.audit_context', true), '');
	tab			text := TG_ARGV[0];
	-- the column naming the row's customer: the row's own id for customers
	cust_col	text := CASE WHEN TG_ARGV[0] = 'customers' THEN 'id' ELSE 'customer_id' END;
	-- the row's key within its customer: id, or the campaign of a membership
	key_col		text := CASE WHEN TG_ARGV[0] = 'campaign_members' THEN 'campaign_id' ELSE 'id' END;
	keys		bigint[];
	customers	bigint[];
	changes		jsonb[];
BEGIN
	IF @extschema@.audit_skip() THEN
		RETURN NULL;
	END IF;
	actor := @extschema@.audit_actor();
	-- The rows are gathered from the transition tables first and inserted
	-- from arrays: Citus cannot read a transition table in a query on a
	-- distributed table.
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(r.id), array_agg(r.customer_id),
			   array_agg((SELECT coalesce(jsonb_object_agg(e.key, jsonb_build_array(NULL, e.value)), '{}')
						    FROM jsonb_each(r.j) e
						   WHERE e.value <> 'null'::jsonb AND e.key <> 'updated_at'))
		  INTO keys, customers, changes
		  FROM (SELECT (n.j ->> key_col)::bigint AS id,
					   (n.j ->> cust_col)::bigint AS customer_id, n.j
				  FROM (SELECT to_jsonb(t) AS j FROM new_rows t) n) r;
	ELSIF TG_OP = 'UPDATE' THEN
		SELECT array_agg(coalesce(n.id, o.id)), array_agg(coalesce(n.customer_id, o.customer_id)), array_agg(d.changed)
		  INTO keys, customers, changes
		  FROM (SELECT (t.j ->> key_col)::bigint AS id,
					   (t.j ->> cust_col)::bigint AS customer_id, t.j
				  FROM (SELECT to_jsonb(x) AS j FROM old_rows x) t) o
		  FULL JOIN (SELECT (t.j ->> key_col)::bigint AS id,
							(t.j ->> cust_col)::bigint AS customer_id, t.j
					   FROM (SELECT to_jsonb(x) AS j FROM new_rows x) t) n
			ON n.id = o.id AND (key_col = 'id' OR n.customer_id = o.customer_id)
		 CROSS JOIN LATERAL (
			SELECT jsonb_object_agg(k.key, jsonb_build_array(o.j -> k.key, n.j -> k.key)) AS changed
			  FROM (SELECT jsonb_object_keys(coalesce(n.j, o.j)) AS key) k
			 WHERE k.key <> 'updated_at'
			   AND (o.j -> k.key) IS DISTINCT FROM (n.j -> k.key)) d
		 WHERE d.changed IS NOT NULL;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(r.id), array_agg(r.customer_id),
			   array_agg((SELECT coalesce(jsonb_object_agg(e.key, jsonb_build_array(e.value, NULL)), '{}')
						    FROM jsonb_each(r.j) e
						   WHERE e.value <> 'null'::jsonb AND e.key <> 'updated_at'))
		  INTO keys, customers, changes
		  FROM (SELECT (n.j ->> key_col)::bigint AS id,
					   (n.j ->> cust_col)::bigint AS customer_id, n.j
				  FROM (SELECT to_jsonb(t) AS j FROM old_rows t) n) r;
	ELSIF TG_TABLE_NAME <> tab THEN
		-- a shard of a distributed table: the row would go to one shard of
		-- crm.audit_log, most likely on another node
		RAISE EXCEPTION 'TRUNCATE of the distributed table crm.% cannot be audited', tab
			USING ERRCODE = 'feature_not_supported',
				  HINT = format('DELETE FROM crm.%I audits every row; or run crm.undistribute() first.', tab);
	ELSE
		keys := '{NULL}';
		customers := '{0}';
		changes := '{"{}"}';
	END IF;
	IF keys IS NOT NULL THEN
		INSERT INTO @extschema@.audit_log (table_name, row_key, customer_id, operation, changed, role, application_name, context)
		SELECT tab, r.key, r.customer_id, TG_OP, r.changed, actor, app, ctx
		  FROM unnest(keys, customers, changes) AS r(key, customer_id, changed);
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON TABLE @extschema@.audit_log IS
	'Audit trail: one row per inserted, updated or deleted row of crm.customers, crm.contacts, crm.orders, crm.service_costs, crm.campaign_members, crm.opportunities, crm.quotes and crm.contracts, written by trigger in the same transaction; append-only (see crm.audit_purge)';
COMMENT ON COLUMN @extschema@.audit_log.table_name IS 'Table changed: customers, contacts, orders, service_costs, campaign_members, opportunities, quotes or contracts';
COMMENT ON COLUMN @extschema@.audit_log.row_key IS 'id of the row changed (campaign_id for campaign_members, whose key is the campaign and the customer); NULL for TRUNCATE';

CREATE TRIGGER audit_insert AFTER INSERT ON @extschema@.contacts
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('contacts');
CREATE TRIGGER audit_update AFTER UPDATE ON @extschema@.contacts
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('contacts');
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.contacts
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('contacts');
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON @extschema@.contacts
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('contacts');

CREATE TRIGGER audit_insert AFTER INSERT ON @extschema@.orders
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('orders');
CREATE TRIGGER audit_update AFTER UPDATE ON @extschema@.orders
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('orders');
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.orders
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('orders');
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON @extschema@.orders
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('orders');

CREATE TRIGGER audit_insert AFTER INSERT ON @extschema@.service_costs
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('service_costs');
CREATE TRIGGER audit_update AFTER UPDATE ON @extschema@.service_costs
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('service_costs');
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.service_costs
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('service_costs');
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON @extschema@.service_costs
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('service_costs');

CREATE TRIGGER audit_insert AFTER INSERT ON @extschema@.campaign_members
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('campaign_members');
CREATE TRIGGER audit_update AFTER UPDATE ON @extschema@.campaign_members
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('campaign_members');
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.campaign_members
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('campaign_members');
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON @extschema@.campaign_members
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('campaign_members');

CREATE TRIGGER audit_insert AFTER INSERT ON @extschema@.quotes
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('quotes');
CREATE TRIGGER audit_update AFTER UPDATE ON @extschema@.quotes
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('quotes');
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.quotes
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('quotes');
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON @extschema@.quotes
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('quotes');
COMMENT ON FUNCTION @extschema@.customer_history(bigint) IS
	'The change history of one customer from crm.audit_log, oldest first: its own row and every audited row of its (contacts, orders, costs to serve, campaign memberships, opportunities, quotes, contracts)';

-- Sales by any period, region and customer (seed 004: reports by period,
-- region or customer), from the same history as the grades, in one
-- set-based query.
CREATE FUNCTION @extschema@.sales_report(from_day date, to_day date, period text DEFAULT 'month',
										 by_customer boolean DEFAULT false, only_region text DEFAULT NULL,
										 only_customer bigint DEFAULT NULL)
RETURNS TABLE (period_start date, region text, customer_id bigint, customers bigint, orders bigint,
			   revenue numeric, cost_to_serve numeric, net_value numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF from_day IS NULL OR to_day IS NULL OR period IS NULL OR by_customer IS NULL THEN
		RAISE EXCEPTION 'sales_report: from_day, to_day, period and by_customer must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the first and last day, e.g. crm.sales_report(''2025-01-01'', ''2025-12-31''); period defaults to month.';
	END IF;
	IF NOT (isfinite(from_day) AND isfinite(to_day)) OR to_day < from_day THEN
		RAISE EXCEPTION 'sales_report: the days must be finite and from_day % not after to_day %', from_day, to_day
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the first and the last day of the report, both included.';
	END IF;
	IF period NOT IN ('day', 'week', 'month', 'quarter', 'year') THEN
		RAISE EXCEPTION 'sales_report: unknown period "%"', period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use day, week (from Monday), month, quarter or year.';
	END IF;
	RETURN QUERY
	SELECT date_trunc(sales_report.period, h.booked_at)::date, c.region,
		   CASE WHEN sales_report.by_customer THEN h.customer_id END,
		   count(DISTINCT h.customer_id) FILTER (WHERE h.kind = 'order'),
		   count(*) FILTER (WHERE h.kind = 'order'),
		   coalesce(sum(h.amount), 0), coalesce(sum(h.cost), 0),
		   coalesce(sum(h.amount), 0) - coalesce(sum(h.cost), 0)
	  FROM @extschema@.purchase_history h
	  JOIN @extschema@.customers c ON c.id = h.customer_id
	 WHERE h.kind <> 'customer'
	   AND h.booked_at >= sales_report.from_day::timestamptz
	   AND h.booked_at < (sales_report.to_day + 1)::timestamptz
	   AND (sales_report.only_region IS NULL OR c.region = sales_report.only_region)
	   AND (sales_report.only_customer IS NULL OR h.customer_id = sales_report.only_customer)
	 GROUP BY 1, 2, 3
	 ORDER BY 1, 2 NULLS LAST, 3;
END;
$$;
COMMENT ON FUNCTION @extschema@.sales_report(date, date, text, boolean, text, bigint) IS
	'Sales by period, region and (by_customer) customer from from_day to to_day, both included: per period of the given length (day, week from Monday, month, quarter, year; dates in the session time zone) and customer region (and customer when by_customer), the customers who ordered, orders, revenue, cost to serve and net value (revenue - cost), from crm.purchase_history; only_region and only_customer filter. Periods without orders or costs have no row. Errors: NULL arguments (22004), infinite days or to_day before from_day, unknown period (22023)';

-- Split credit counted: crm.won_credit and the won_credit of crm.quota_attainment (src/quotas.sql)
-- Won deals credited to their reps: the split of crm.opportunity_owners,
-- or 100 % to the deal's owner without one (seed: split credit between
-- several owners of one opportunity).
CREATE VIEW @extschema@.won_credit AS
SELECT o.customer_id, o.id AS opportunity_id, o.closed_at, COALESCE(s.owner, o.owner) AS owner,
	   COALESCE(s.share, 100::numeric) AS share, o.amount,
	   (o.amount OPERATOR(pg_catalog.*) COALESCE(s.share, 100::numeric) OPERATOR(pg_catalog.*) 0.01)::numeric(20,6) AS credited_amount
  FROM @extschema@.opportunities o
  LEFT JOIN @extschema@.opportunity_owners s
	ON s.customer_id OPERATOR(pg_catalog.=) o.customer_id AND s.opportunity_id OPERATOR(pg_catalog.=) o.id
 WHERE o.status OPERATOR(pg_catalog.=) 'won';
COMMENT ON VIEW @extschema@.won_credit IS
	'Every won opportunity per credited rep: the owners and shares (percent) of crm.opportunity_owners, or the opportunity''s owner with 100 % when it has no split; credited_amount = amount * share / 100, exact (six decimals), so a deal''s credits sum to its amount; closed_at is when it was won';

CREATE OR REPLACE VIEW @extschema@.quota_attainment AS
SELECT q.id AS quota_id, q.period_start, q.period_end,
	   CASE WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '12 months')::date THEN 'year'
			WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '6 months')::date THEN 'half'
			WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '3 months')::date THEN 'quarter'
			WHEN (q.period_end OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.=) (q.period_start OPERATOR(pg_catalog.+) interval '1 month')::date THEN 'month'
			ELSE 'other' END AS period,
	   q.owner, q.region, q.product, q.channel, q.target,
	   COALESCE(s.actual, 0) AS actual, COALESCE(s.last_year, 0) AS last_year,
	   COALESCE(s.actual, 0) OPERATOR(pg_catalog.-) q.target AS gap,
	   pg_catalog.round(100 OPERATOR(pg_catalog.*) COALESCE(s.actual, 0) OPERATOR(pg_catalog./) NULLIF(q.target, 0), 1) AS attainment_pct,
	   pg_catalog.round(100 OPERATOR(pg_catalog.*) (COALESCE(s.actual, 0) OPERATOR(pg_catalog.-) s.last_year) OPERATOR(pg_catalog./) NULLIF(s.last_year, 0), 1) AS growth_pct,
	   CASE WHEN q.product IS NULL THEN COALESCE(w.won_credit, 0) END AS won_credit
  FROM @extschema@.quotas q
  -- the sales of every target summed on the shards (orders and customers
  -- co-located, the targets a reference table) and combined per target,
  -- then joined to the targets
  LEFT JOIN (
	SELECT t.id,
		   pg_catalog.sum(o.amount) FILTER (WHERE o.ordered_at OPERATOR(pg_catalog.>=) t.period_start::timestamptz) AS actual,
		   pg_catalog.sum(o.amount) FILTER (WHERE o.ordered_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.-) interval '1 year' OPERATOR(pg_catalog.+) interval '1 day')::date::timestamptz) AS last_year
	  FROM @extschema@.quotas t
	  JOIN @extschema@.orders o
		ON ((o.ordered_at OPERATOR(pg_catalog.>=) t.period_start::timestamptz
			 AND o.ordered_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.+) 1)::timestamptz)
			OR (o.ordered_at OPERATOR(pg_catalog.>=) (t.period_start OPERATOR(pg_catalog.-) interval '1 year')::date::timestamptz
			 AND o.ordered_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.-) interval '1 year' OPERATOR(pg_catalog.+) interval '1 day')::date::timestamptz))
		   AND (t.product IS NULL OR o.product OPERATOR(pg_catalog.=) t.product)
	  JOIN @extschema@.customers c ON c.id OPERATOR(pg_catalog.=) o.customer_id
	 WHERE (t.owner IS NULL OR c.owner OPERATOR(pg_catalog.=) t.owner)
	   AND (t.region IS NULL OR c.region OPERATOR(pg_catalog.=) t.region)
	   AND (t.channel IS NULL OR c.channel OPERATOR(pg_catalog.=) t.channel)
	 GROUP BY t.id) s ON s.id OPERATOR(pg_catalog.=) q.id
  -- the credit of the deals won in the period (crm.won_credit), for the
  -- target's owner (every owner when NULL), region and channel
  LEFT JOIN (
	SELECT t.id, pg_catalog.sum(wc.credited_amount) AS won_credit
	  FROM @extschema@.quotas t
	  JOIN @extschema@.won_credit wc
		ON wc.closed_at OPERATOR(pg_catalog.>=) t.period_start::timestamptz
	   AND wc.closed_at OPERATOR(pg_catalog.<) (t.period_end OPERATOR(pg_catalog.+) 1)::timestamptz
	   AND (t.owner IS NULL OR wc.owner OPERATOR(pg_catalog.=) t.owner)
	  JOIN @extschema@.customers c ON c.id OPERATOR(pg_catalog.=) wc.customer_id
	 WHERE t.product IS NULL
	   AND (t.region IS NULL OR c.region OPERATOR(pg_catalog.=) t.region)
	   AND (t.channel IS NULL OR c.channel OPERATOR(pg_catalog.=) t.channel)
	 GROUP BY t.id) w ON w.id OPERATOR(pg_catalog.=) q.id;
COMMENT ON VIEW @extschema@.quota_attainment IS
	'Every target of crm.quotas against actual sales: period kind (year, half, quarter, month, other), the target''s owner / region / product / channel (NULL = all), actual = sales in the period, last_year = sales in the same period one year earlier, gap = actual - target, attainment_pct = 100 * actual / target, growth_pct = 100 * (actual - last_year) / last_year (NULL when the divisor is 0); sales dated in the session time zone; won_credit = the credit (crm.won_credit: split shares, 100 % to an unsplit deal''s owner) of the deals won in the period for the target''s owner (all owners when NULL), region and channel, NULL for a product target (deals carry no product)';
ALTER VIEW @extschema@.won_credit SET (security_invoker = true);
ALTER VIEW @extschema@.quota_attainment SET (security_invoker = true);
GRANT SELECT ON @extschema@.won_credit TO crm_reader;

-- The lifecycle: a year without a purchase is declining (src/value.c)
COMMENT ON FUNCTION @extschema@.lifecycle(@extschema@.purchase_stats, date, numeric, integer, numeric, float8, float8) IS
	'Lifecycle stage at as_of, the first rule that holds: problem if arrears > 0 (unpaid past-due amount; NULL counts as 0); worthless if net_value <= worthless_at; new if as_of - first_purchase <= new_days; declining if only one purchase day, or as_of - last_purchase > 365 days (the default lost_after_days of crm.relationship: a year without a purchase is declining whatever the customer''s rhythm) or > gap_factor * the customer''s mean gap between purchase days ((last - first) / (purchase_days - 1)), or trend <= -trend_threshold; growing if trend >= trend_threshold; stable otherwise (also with unknown trend). NULL for NULL stats, as_of or threshold, and for a history without purchase that is neither problem nor worthless. Errors (22023): arrears negative or not finite, new_days < 0, worthless_at NaN (''-Infinity'' turns the rule off), trend_threshold outside (0, 1], gap_factor not positive and finite, as_of before the last purchase';

-- Relationship vs transaction customers and the groups of relationship customers
-- (src/value.sql, src/grades.sql)
-- Relationship vs transaction customers (seed 001): a relationship customer
-- cares about quality and service, stays and brings a high profit; a
-- transaction customer cares only about the price, comes and goes, and
-- brings little.  From the data: still buying (relationship state
-- relationship), on at least min_purchase_days days, and keeping at least
-- min_margin of his revenue after the cost to serve.  Written once for
-- crm.refresh_grades; inlined by the planner.
CREATE FUNCTION @extschema@.customer_type(stats @extschema@.purchase_stats, relationship @extschema@.relationship_state,
										  min_purchase_days integer DEFAULT 3, min_margin numeric DEFAULT 0.2)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN (stats).purchase_days IS NULL OR (stats).purchase_days OPERATOR(pg_catalog.<) 1 THEN NULL
			WHEN relationship OPERATOR(pg_catalog.=) 'relationship'
				 AND (stats).purchase_days OPERATOR(pg_catalog.>=) min_purchase_days
				 AND (stats).revenue OPERATOR(pg_catalog.>) 0
				 AND (stats).net_value OPERATOR(pg_catalog.>=) (min_margin OPERATOR(pg_catalog.*) (stats).revenue)
			THEN 'relationship'
			ELSE 'transaction' END;
COMMENT ON FUNCTION @extschema@.customer_type(@extschema@.purchase_stats, @extschema@.relationship_state, integer, numeric) IS
	'Relationship or transaction customer (seed 001): relationship when still buying (relationship state relationship), on at least min_purchase_days purchase days (3) and keeping at least min_margin (0.2) of the revenue as net value after the cost to serve: loyal and profitable; transaction for every other buyer (one-off, gone, or thin margin: price-driven); NULL without a purchase. The defaults are the rule of crm.refresh_grades; pass others to classify differently';

-- The three groups of relationship customers (seed 001), written once.
CREATE FUNCTION @extschema@.relationship_group(customer_type text, lifecycle_stage @extschema@.lifecycle_stage,
											   pareto_class char(1))
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN customer_type IS DISTINCT FROM 'relationship' THEN NULL
			WHEN lifecycle_stage OPERATOR(pg_catalog.=) ANY (ARRAY['declining', 'problem']::@extschema@.lifecycle_stage[]) THEN 'about to be lost'
			WHEN pareto_class OPERATOR(pg_catalog.=) 'A' THEN 'most profitable'
			ELSE 'could bring more' END;
COMMENT ON FUNCTION @extschema@.relationship_group(text, @extschema@.lifecycle_stage, char) IS
	'The three groups of relationship customers (seed 001): about to be lost (lifecycle declining or problem: win them back first), most profitable (Pareto class A: keep them), could bring more (the rest: grow them); NULL for a customer who is not a relationship customer';

ALTER TABLE @extschema@.customer_grades
	ADD COLUMN customer_type text CHECK (customer_type IN ('relationship', 'transaction')),
	ADD COLUMN relationship_group text CHECK (relationship_group IN ('most profitable', 'could bring more', 'about to be lost'));
COMMENT ON COLUMN @extschema@.customer_grades.customer_type IS 'relationship or transaction customer (crm.customer_type with its defaults); NULL without a purchase';
COMMENT ON COLUMN @extschema@.customer_grades.relationship_group IS 'Group of a relationship customer (crm.relationship_group): most profitable, could bring more, about to be lost';

CREATE OR REPLACE FUNCTION @extschema@.refresh_grades(as_of date DEFAULT CURRENT_DATE)
RETURNS TABLE (customers bigint, changed bigint, unchanged bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	next_day	timestamptz;	-- orders before this time count: as_of + 1 day
	year_start	timestamptz;	-- start of the 365 days of the purchase volume
	started		timestamptz := clock_timestamp();
BEGIN
	IF as_of IS NULL THEN
		RAISE EXCEPTION 'refresh_grades: as_of must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the day to grade as of, or nothing for today: SELECT * FROM crm.refresh_grades();';
	END IF;
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'refresh_grades: as_of must be a finite day, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the day to grade as of, e.g. ''2025-12-31'', or nothing for today.';
	END IF;
	next_day := (as_of + 1)::timestamptz;
	year_start := (as_of - 364)::timestamptz;

	-- One refresh at a time: SHARE ROW EXCLUSIVE conflicts with itself and
	-- with every write to customer_grades, not with readers, and not with
	-- writes to orders or any other table.  The statement below starts
	-- after the lock is granted, so in READ COMMITTED it sees the grades a
	-- refresh before it committed, and logs only its own changes.  In
	-- REPEATABLE READ or SERIALIZABLE the transaction's snapshot is older
	-- than the lock: after waiting for another writer it could only fail
	-- later on a row that writer changed, so it fails at once, when the lock
	-- is free, and its retry (a new snapshot) goes first instead of queuing
	-- behind the next refresh again.
	IF current_setting('transaction_isolation') = 'read committed' THEN
		LOCK TABLE @extschema@.customer_grades IN SHARE ROW EXCLUSIVE MODE;
	ELSE
		BEGIN
			LOCK TABLE @extschema@.customer_grades IN SHARE ROW EXCLUSIVE MODE NOWAIT;
		EXCEPTION WHEN lock_not_available THEN
			LOCK TABLE @extschema@.customer_grades IN SHARE ROW EXCLUSIVE MODE;
			RAISE EXCEPTION 'refresh_grades: crm.customer_grades was being written while this % transaction waited, and its snapshot cannot see those grades',
				upper(current_setting('transaction_isolation'))
				USING ERRCODE = 'serialization_failure',
					  HINT = 'Retry the transaction (a new snapshot sees them); in READ COMMITTED refresh_grades waits and goes on by itself.';
		END;
	END IF;

	WITH hist AS MATERIALIZED (
		-- per customer, from the history as of as_of: pushed down whole to
		-- the shards under Citus (crm.purchase_history has an empty row for
		-- every customer, so no outer join is needed here: Citus plans a
		-- query that has a UNION ALL and an outer join through the
		-- coordinator, orders and all; MATERIALIZED keeps the outer joins
		-- below out of this query)
		SELECT c.id AS cid, c.satisfaction, c.industry, a.stats, a.arrears,
			   CASE WHEN (a.stats).purchase_days > 0 THEN a.volume12 END AS volume
		  FROM @extschema@.customers c
		  JOIN (SELECT h.customer_id AS cid,
					   @extschema@.purchase_stats(h.ordered_at, h.amount, h.cost) AS stats,
					   coalesce(sum(h.amount) FILTER (WHERE h.ordered_at >= year_start), 0) AS volume12,
					   coalesce(sum(@extschema@.overdue(h.due_date, h.unpaid, as_of)), 0) AS arrears
				  FROM @extschema@.purchase_history h
				 WHERE h.booked_at < next_day
				 GROUP BY h.customer_id) a ON a.cid = c.id
	), base AS (
		-- a campaign response, the signed amount and the grades before this
		-- refresh; and here already every grade that needs only the
		-- customer's own row, so that the purchase stats (a wide composite)
		-- are not carried through the sorts, windows and tuplestores below
		-- (to disk beyond work_mem at a million customers)
		SELECT t.cid, t.satisfaction, t.industry, t.arrears, t.volume,
			   coalesce(k.signed, 0) AS signed_amount,
			   -- (refresh_grades.as_of: customer_grades has a column as_of)
			   @extschema@.lifecycle(t.stats, refresh_grades.as_of, t.arrears) AS lifecycle_stage,
			   @extschema@.value_score(t.stats, refresh_grades.as_of) AS value_score,
			   @extschema@.relationship(t.stats, r.cid IS NOT NULL, refresh_grades.as_of) AS relationship,
			   @extschema@.customer_type(t.stats, @extschema@.relationship(t.stats, r.cid IS NOT NULL, refresh_grades.as_of))
				   AS customer_type,
			   (t.stats).revenue, (t.stats).net_value,
			   o.customer_id IS NULL AS first,
			   o.lifecycle_stage AS old_stage, o.segment AS old_segment, o.relationship AS old_relationship,
			   o.pareto_class AS old_class, o.value_score AS old_score, o.industry_grade AS old_industry_grade
		  FROM hist t
		  LEFT JOIN (SELECT DISTINCT m.customer_id AS cid
					   FROM @extschema@.campaign_members m
					  WHERE m.responded_at < next_day) r ON r.cid = t.cid
		  LEFT JOIN (SELECT k.customer_id AS cid, sum(k.amount) AS signed
					   FROM @extschema@.contracts k
					  WHERE k.signed_on <= as_of
					  GROUP BY k.customer_id) k ON k.cid = t.cid
		  LEFT JOIN @extschema@.customer_grades o ON o.customer_id = t.cid
	), cuts AS (
		-- across all customers from here on (on the coordinator under
		-- Citus): tertiles of the positive volumes; without any, every
		-- volume is 0 and small (any positive cut says so); and the total
		-- positive net value, in the same pass
		SELECT coalesce(percentile_cont(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY b.volume)
							FILTER (WHERE b.volume > 0)::numeric[],
						'{1,1}') AS v,
			   -- the total positive net value the Pareto classes are shares of
			   sum(b.net_value) FILTER (WHERE b.net_value > 0) AS total
		  FROM base b
	), graded AS (
		-- the windows, over the customers' own rows (the cuts are joined
		-- above them, so that they are not carried through the sorts)
		SELECT b.*,
			   -- for the Pareto class by net value, as crm.pareto_classes:
			   -- the value of the customers strictly above, the frame of the
			   -- groups of equal values before this one (empty, so 0, for
			   -- the highest); one window (a sort and one pass) instead of
			   -- crm.pareto_classes' upto - peers and a third for the total
			   coalesce(sum(b.net_value) OVER above, 0) AS above,
			   -- for the grade by signed amount within the industry, the same
			   coalesce(sum(b.signed_amount) OVER ind_above, 0) AS ind_above,
			   sum(b.signed_amount) FILTER (WHERE b.signed_amount > 0) OVER (PARTITION BY b.industry) AS ind_total
		  FROM base b
		WINDOW above AS (ORDER BY b.net_value DESC NULLS LAST
						 GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
			   ind_above AS (PARTITION BY b.industry ORDER BY b.signed_amount DESC
							 GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
	), diff AS (
		-- only what the writes below read: the rows of diff are kept for
		-- its three readers (to disk beyond work_mem)
		SELECT d.cid, d.first, d.old_stage, d.old_segment, d.old_relationship, d.old_class, d.old_score,
			   d.old_industry_grade, d.lifecycle_stage, d.value_score, d.segment, d.relationship,
			   d.pareto_class, d.industry_grade, d.customer_type, d.revenue, d.net_value, d.volume,
			   d.arrears, d.signed_amount,
			   @extschema@.relationship_group(d.customer_type, d.lifecycle_stage, d.pareto_class) AS relationship_group,
			   d.first
			   OR (d.lifecycle_stage, d.segment, d.relationship, d.pareto_class, d.industry_grade)
				  IS DISTINCT FROM (d.old_stage, d.old_segment, d.old_relationship, d.old_class, d.old_industry_grade) AS is_changed
		  FROM (SELECT g.*, @extschema@.segment(g.satisfaction, g.volume, '{5,8}', k.v) AS segment,
					   @extschema@.pareto_class(g.net_value, g.above, k.total, 0.80, 0.95) AS pareto_class,
					   @extschema@.pareto_class(g.signed_amount, g.ind_above, g.ind_total, 0.80, 0.95) AS industry_grade
				  FROM graded g CROSS JOIN cuts k) d
	), upsert AS (
		INSERT INTO @extschema@.customer_grades AS t
			(customer_id, as_of, lifecycle_stage, value_score, segment, relationship, pareto_class,
			 revenue, net_value, volume, arrears, graded_at, customer_type, relationship_group,
			 signed_amount, industry_grade)
		SELECT d.cid, as_of, d.lifecycle_stage, d.value_score, d.segment, d.relationship, d.pareto_class,
			   d.revenue, d.net_value, d.volume, d.arrears, now(), d.customer_type, d.relationship_group,
			   d.signed_amount, d.industry_grade
		  FROM diff d
		ON CONFLICT (customer_id) DO UPDATE
		   SET as_of = excluded.as_of, lifecycle_stage = excluded.lifecycle_stage,
			   value_score = excluded.value_score, segment = excluded.segment,
			   relationship = excluded.relationship, pareto_class = excluded.pareto_class,
			   revenue = excluded.revenue, net_value = excluded.net_value, volume = excluded.volume,
			   arrears = excluded.arrears, graded_at = excluded.graded_at,
			   customer_type = excluded.customer_type, relationship_group = excluded.relationship_group,
			   signed_amount = excluded.signed_amount, industry_grade = excluded.industry_grade
		 WHERE (t.as_of, t.lifecycle_stage, t.value_score, t.segment, t.relationship, t.pareto_class,
				t.revenue, t.net_value, t.volume, t.arrears, t.customer_type, t.relationship_group,
				t.signed_amount, t.industry_grade)
			   IS DISTINCT FROM
			   (excluded.as_of, excluded.lifecycle_stage, excluded.value_score, excluded.segment,
				excluded.relationship, excluded.pareto_class, excluded.revenue, excluded.net_value,
				excluded.volume, excluded.arrears, excluded.customer_type, excluded.relationship_group,
				excluded.signed_amount, excluded.industry_grade)
	), logged AS (
		INSERT INTO @extschema@.grade_history
			(customer_id, as_of, old_lifecycle_stage, new_lifecycle_stage, old_segment, new_segment,
			 old_relationship, new_relationship, old_pareto_class, new_pareto_class,
			 old_value_score, new_value_score, old_industry_grade, new_industry_grade, reason)
		SELECT d.cid, as_of, d.old_stage, d.lifecycle_stage, d.old_segment, d.segment,
			   d.old_relationship, d.relationship, d.old_class, d.pareto_class,
			   d.old_score, d.value_score, d.old_industry_grade, d.industry_grade,
			   CASE WHEN d.first THEN 'first grading'
					ELSE concat_ws('; ',
						CASE WHEN d.lifecycle_stage IS DISTINCT FROM d.old_stage
							 THEN format('lifecycle %s -> %s', coalesce(d.old_stage::text, 'none'), coalesce(d.lifecycle_stage::text, 'none')) END,
						CASE WHEN d.segment IS DISTINCT FROM d.old_segment
							 THEN format('segment %s -> %s', coalesce(d.old_segment, 'none'), coalesce(d.segment, 'none')) END,
						CASE WHEN d.relationship IS DISTINCT FROM d.old_relationship
							 THEN format('relationship %s -> %s', d.old_relationship, d.relationship) END,
						CASE WHEN d.pareto_class IS DISTINCT FROM d.old_class
							 THEN format('Pareto class %s -> %s', d.old_class, d.pareto_class) END,
						CASE WHEN d.industry_grade IS DISTINCT FROM d.old_industry_grade
							 THEN format('industry grade %s -> %s', coalesce(d.old_industry_grade, 'none'), d.industry_grade) END)
			   END
		  FROM diff d
		 WHERE d.is_changed
	)
	SELECT count(*), count(*) FILTER (WHERE d.is_changed), count(*) FILTER (WHERE NOT d.is_changed)
	  INTO customers, changed, unchanged
	  FROM diff d;

	IF clock_timestamp() - started > interval '5 seconds' THEN
		RAISE NOTICE 'refresh_grades: % customers graded as of %, % changed, % unchanged, % s',
			customers, as_of, changed, unchanged,
			round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
	END IF;
	RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION @extschema@.refresh_grades(date) IS
	'Grades every customer as of as_of (default today) into crm.customer_grades and returns (customers graded, changed, unchanged). In one statement: crm.purchase_stats of the orders ordered on or before as_of and the costs incurred on or before as_of; arrears = unpaid amount of orders due before as_of; lifecycle stage (crm.lifecycle with those arrears), value score (crm.value_score), segment A..I (crm.segment of crm.customers.satisfaction with cuts 5 and 8 by volume = revenue of the 365 days up to as_of, volume cuts = tertiles of the positive volumes), relationship (crm.relationship; responded = a campaign response on or before as_of), Pareto class by net value (A 80 %, B 95 %, as crm.pareto_classes), relationship or transaction customer (crm.customer_type) and the group of a relationship customer (crm.relationship_group); the amount of the contracts signed on or before as_of and the grade by it within the customer''s industry (A 80 %, B 95 %, as crm.pareto_class; no industry: graded together). Customers whose stage, segment, relationship, Pareto class or industry grade changed get a crm.grade_history row with the reason (e.g. ''lifecycle growing -> declining; segment B -> D''; ''first grading'' with old values NULL); a moving value score alone is stored, not logged. Concurrency: it locks crm.customer_grades in SHARE ROW EXCLUSIVE mode, so refreshes run one at a time and each logs only its own changes; orders and costs may be inserted meanwhile: the grading statement reads one snapshot, so every customer is graded from the same consistent state and orders committed later are picked up by the next refresh (under REPEATABLE READ or SERIALIZABLE a refresh that had to wait for another writer fails with a serialization error (40001) after the wait; retry it). It runs as the extension owner (SECURITY DEFINER), so it grades all customers whatever row security lets its caller see; EXECUTE is granted to crm_manager only. Reports a NOTICE with the counts when it took more than 5 s. Errors: NULL as_of (22004), infinite as_of (22008)';

-- Everything about one customer.  Every per-customer part (purchase
-- history, grades, open opportunities, contracts in execution) is a leg of
-- one UNION ALL grouped by customer id and joined to the customer: a filter
-- on id is pushed into each leg (an index scan per table), a scan of the
-- whole view reads each table once, and on Citus the whole query runs on the
-- shards (an outer join next to a UNION ALL would make Citus plan the union
-- through the coordinator, shipping every order).  crm.purchase_history has
-- an empty row for every customer, so the join is an inner one.
CREATE OR REPLACE VIEW @extschema@.customer_360 AS
SELECT c.id, c.name, c.kind, c.industry, c.region, c.channel, c.owner, c.confidentiality,
	   c.satisfaction, c.credit_status, c.tags,
	   (p.stats).first_purchase, (p.stats).last_purchase, (p.stats).orders, (p.stats).purchase_days,
	   (p.stats).revenue, (p.stats).cost, (p.stats).net_value, (p.stats).mean_order_value,
	   (p.stats).mean_repeat_value, (p.stats).trend,
	   p.graded_as_of, p.lifecycle_stage, p.value_score, p.segment, p.relationship, p.pareto_class,
	   (SELECT s.sales_strategy FROM @extschema@.segment_strategy(p.segment) s) AS sales_strategy,
	   (SELECT s.service_strategy FROM @extschema@.segment_strategy(p.segment) s) AS service_strategy,
	   p.open_opportunities, coalesce(p.open_opportunity_amount, 0) AS open_opportunity_amount,
	   p.executing_contracts, coalesce(p.executing_contract_amount, 0) AS executing_contract_amount,
	   coalesce(p.arrears, 0) AS arrears,
	   p.customer_type, p.relationship_group, (p.stats).net_value OPERATOR(pg_catalog.>) 0 AS profitable,
	   -- the key-account file (crm.key_account_layout) with its review and
	   -- the day each field last changed
	   pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
			'basic', c.attributes OPERATOR(pg_catalog.->) 'basic',
			'characteristics', c.attributes OPERATOR(pg_catalog.->) 'characteristics',
			'business', c.attributes OPERATOR(pg_catalog.->) 'business',
			'trading', c.attributes OPERATOR(pg_catalog.->) 'trading',
			'reviewed', c.attributes OPERATOR(pg_catalog.->) 'reviewed',
			'field_dates', c.attributes OPERATOR(pg_catalog.->) 'field_dates')) AS key_account_file
  FROM @extschema@.customers c
  JOIN (SELECT u.customer_id,
			   @extschema@.purchase_stats(u.ordered_at, u.amount, u.cost) AS stats,
			   pg_catalog.sum(@extschema@.overdue(u.due_date, u.unpaid, CURRENT_DATE)) AS arrears,
			   -- one grades row at most: max() takes its values
			   pg_catalog.max(u.graded_as_of) AS graded_as_of, pg_catalog.max(u.lifecycle_stage) AS lifecycle_stage,
			   pg_catalog.max(u.value_score) AS value_score, pg_catalog.max(u.segment) AS segment,
			   pg_catalog.max(u.relationship) AS relationship, pg_catalog.max(u.pareto_class)::char(1) AS pareto_class,
			   pg_catalog.max(u.customer_type) AS customer_type, pg_catalog.max(u.relationship_group) AS relationship_group,
			   pg_catalog.count(u.opportunity_id) AS open_opportunities,
			   pg_catalog.sum(u.opportunity_amount) AS open_opportunity_amount,
			   pg_catalog.count(u.contract_id) AS executing_contracts,
			   pg_catalog.sum(u.contract_amount) AS executing_contract_amount
		  FROM (SELECT h.customer_id, h.ordered_at, h.amount, h.cost, h.due_date, h.unpaid,
					   NULL::date AS graded_as_of, NULL::@extschema@.lifecycle_stage AS lifecycle_stage,
					   NULL::float8 AS value_score, NULL::text AS segment,
					   NULL::@extschema@.relationship_state AS relationship, NULL::char(1) AS pareto_class,
					   NULL::text AS customer_type, NULL::text AS relationship_group,
					   NULL::bigint AS opportunity_id, NULL::numeric AS opportunity_amount,
					   NULL::bigint AS contract_id, NULL::numeric AS contract_amount
				  FROM @extschema@.purchase_history h
				UNION ALL
				SELECT g.customer_id, NULL, NULL, NULL, NULL, NULL,
					   g.as_of, g.lifecycle_stage, g.value_score, g.segment, g.relationship, g.pareto_class,
					   g.customer_type, g.relationship_group, NULL, NULL, NULL, NULL
				  FROM @extschema@.customer_grades g
				UNION ALL
				SELECT o.customer_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
					   o.id, o.amount, NULL, NULL
				  FROM @extschema@.opportunities o
				 WHERE o.status OPERATOR(pg_catalog.=) 'open'
				UNION ALL
				SELECT k.customer_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
					   NULL, NULL, k.id, k.amount
				  FROM @extschema@.contracts k
				 WHERE k.status OPERATOR(pg_catalog.=) 'executing') u
		 GROUP BY u.customer_id) p ON p.customer_id OPERATOR(pg_catalog.=) c.id;
COMMENT ON VIEW @extschema@.customer_360 IS
	'One row per customer: profile (crm.customers), purchase history of all orders and costs to serve (crm.purchase_stats columns), current grades from crm.customer_grades (run crm.refresh_grades first; graded_as_of says as of when) with the segment''s sales and service strategy, open opportunities (count, amount), contracts in execution (count, amount), arrears today (unpaid amount of orders due before current_date), the customer type and relationship group of the grades, profitable (useful and profitable: net value above 0; useless and unprofitable: not; NULL without orders or costs), and the key-account file (crm.key_account_layout: its sections, review and field dates; {} without one). Fast for one customer: WHERE id = ... reads only that customer''s rows through the indexes';

-- Relationship vs transaction customers, useful vs useless (seed 001).
CREATE VIEW @extschema@.customer_type_summary AS
SELECT g.customer_type, g.relationship_group,
	   g.net_value OPERATOR(pg_catalog.>) 0 AS profitable,
	   pg_catalog.count(*) AS customers,
	   pg_catalog.sum(g.revenue) AS revenue, pg_catalog.sum(g.net_value) AS net_value,
	   pg_catalog.round(pg_catalog.count(*)::numeric
						OPERATOR(pg_catalog./) pg_catalog.sum(pg_catalog.count(*)) OVER (), 4) AS share_of_customers
  FROM @extschema@.customer_grades g
 WHERE g.customer_type IS NOT NULL
 GROUP BY 1, 2, 3
 ORDER BY 1, 2 NULLS LAST, 3 DESC;
COMMENT ON VIEW @extschema@.customer_type_summary IS
	'Graded buyers (run crm.refresh_grades first) by customer type (relationship, transaction), relationship group and profitability (useful and profitable: net value above 0; useless and unprofitable: not): customers, revenue, net value up to the grading day and the share of all graded buyers, 4 decimals';
ALTER VIEW @extschema@.customer_360 SET (security_invoker = true);
ALTER VIEW @extschema@.customer_type_summary SET (security_invoker = true);
GRANT SELECT ON @extschema@.customer_type_summary TO crm_reader;

-- Grades by industry and signed amount (src/grades.sql; refresh_grades above)
ALTER TABLE @extschema@.customer_grades
	ADD COLUMN signed_amount numeric NOT NULL DEFAULT 0 CHECK (signed_amount OPERATOR(pg_catalog.>=) 0),
	ADD COLUMN industry_grade char(1) CHECK (industry_grade IN ('A', 'B', 'C')),
	ADD CONSTRAINT customer_grades_signed_amount_finite CHECK (signed_amount OPERATOR(pg_catalog.>) '-Infinity' AND signed_amount OPERATOR(pg_catalog.<) 'Infinity');
ALTER TABLE @extschema@.grade_history
	ADD COLUMN old_industry_grade char(1),
	ADD COLUMN new_industry_grade char(1),
	DROP CONSTRAINT grade_history_change_check,
	ADD CONSTRAINT grade_history_change_check CHECK (
		(old_lifecycle_stage, old_segment, old_relationship, old_pareto_class, old_industry_grade)
		IS DISTINCT FROM (new_lifecycle_stage, new_segment, new_relationship, new_pareto_class, new_industry_grade));
COMMENT ON COLUMN @extschema@.customer_grades.signed_amount IS 'Amount of the customer''s contracts signed on or before as_of (signed_on), whatever their state since';
COMMENT ON COLUMN @extschema@.customer_grades.industry_grade IS 'Grade by signed amount within the customer''s industry (seed 004: grades by industry and signed amount): A = the fewest customers of the industry that bring 80 % of its signed amount, B up to 95 %, C the rest and customers without a signed contract (crm.pareto_class); customers without an industry are graded together';
COMMENT ON COLUMN @extschema@.grade_history.old_industry_grade IS 'Grade by signed amount within the industry before';
COMMENT ON COLUMN @extschema@.grade_history.new_industry_grade IS 'Grade by signed amount within the industry after';
COMMENT ON TABLE @extschema@.grade_history IS
	'Every change of a customer''s lifecycle stage, segment, relationship state, Pareto class or industry grade found by crm.refresh_grades, with the value scores before and after and the reason; the first grading of a customer is logged with old values NULL';


-- Pipeline management: the state of every opportunity as of a moment,
-- what changed in the pipeline and the waterfall (src/pipeline.sql)

CREATE FUNCTION @extschema@.opportunities_as_of(at timestamptz)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, pipeline text, stage text,
			   status @extschema@.opportunity_status, amount numeric, owner text, expected_close date,
			   created_at timestamptz, stage_entered_at timestamptz, last_change_at timestamptz)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF NOT isfinite(at) THEN
		RAISE EXCEPTION 'opportunities_as_of: at must be a finite point in time, got %', at
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the moment whose pipeline you want, e.g. ''2025-12-31 24:00+00''.';
	END IF;
	-- One sort of the history by opportunity: the row that gives the state
	-- first (applied rows latest first, then pending rows earliest first),
	-- the window over the whole partition for the times.  Joined on
	-- customer_id and the opportunity, as the keys are.
	RETURN QUERY
	SELECT o.id, o.customer_id, o.pipeline,
		   coalesce(h.stage, o.stage), coalesce(h.status, o.status),
		   coalesce(h.amount, o.amount), coalesce(h.owner, o.owner), coalesce(h.expected_close, o.expected_close),
		   o.created_at,
		   coalesce(h.stage_entered_at, o.created_at),
		   h.last_change_at
	  FROM @extschema@.opportunities o
	  LEFT JOIN (
			SELECT DISTINCT ON (x.customer_id, x.opportunity_id)
				   x.customer_id, x.opportunity_id,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_stage ELSE x.old_stage END AS stage,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_status ELSE x.old_status END AS status,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_amount ELSE x.old_amount END AS amount,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_owner ELSE x.old_owner END AS owner,
				   CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.new_expected_close ELSE x.old_expected_close END AS expected_close,
				   max(x.changed_at) FILTER (WHERE x.changed_at <= opportunities_as_of.at
											   AND x.old_stage IS DISTINCT FROM x.new_stage) OVER w AS stage_entered_at,
				   max(x.changed_at) FILTER (WHERE x.changed_at <= opportunities_as_of.at) OVER w AS last_change_at
			  FROM @extschema@.opportunity_history x
			WINDOW w AS (PARTITION BY x.customer_id, x.opportunity_id
						 ORDER BY x.changed_at <= opportunities_as_of.at DESC,
								  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.changed_at END DESC,
								  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.id END DESC,
								  x.changed_at, x.id
						 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
			 ORDER BY x.customer_id, x.opportunity_id,
					  x.changed_at <= opportunities_as_of.at DESC,
					  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.changed_at END DESC,
					  CASE WHEN x.changed_at <= opportunities_as_of.at THEN x.id END DESC,
					  x.changed_at, x.id) h
		ON h.customer_id = o.customer_id AND h.opportunity_id = o.id
	 WHERE o.created_at <= opportunities_as_of.at;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_as_of(timestamptz) IS
	'Every opportunity that existed at the moment at (created_at <= at) with its stage, status, amount, owner and expected close date as of then, reconstructed from crm.opportunity_history: the new values of its last history row at or before at (by changed_at, then id), else the old values of its first row, else its current values (a NULL in a history column stands for the current value: history written before version 1.1 has no close dates); the pipeline is the current one; stage_entered_at = its last stage change at or before at, else created_at; last_change_at = its last history row at or before at (NULL: none). win_probability has no history and is not given. Deleted opportunities are gone from the past too. Errors: infinite at (22008)';

--------------------------------------------------------------------------
-- What changed in the pipeline
--------------------------------------------------------------------------

-- The arguments of pipeline_changes and pipeline_waterfall, checked once:
-- each mistake its own error.
CREATE FUNCTION @extschema@.check_period(fn text, from_at timestamptz, to_at timestamptz, pipeline_name text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF from_at IS NULL OR to_at IS NULL THEN
		RAISE EXCEPTION '%: from_at and to_at must not be NULL', fn
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Give the start and the end of the period, e.g. ''2025-10-01'' and ''2025-12-31 24:00''.';
	END IF;
	IF NOT isfinite(from_at) OR NOT isfinite(to_at) THEN
		RAISE EXCEPTION '%: the period must have finite ends, got % to %', fn, from_at, to_at
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'The pipeline before the first deal is empty: give the start of the period you want.';
	END IF;
	IF from_at > to_at THEN
		RAISE EXCEPTION '%: from_at % is after to_at %', fn, from_at, to_at
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Swap the two: the changes run from from_at (excluded) to to_at (included).';
	END IF;
	IF pipeline_name IS NOT NULL THEN
		PERFORM @extschema@.known_pipeline(pipeline_name);
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_period(text, timestamptz, timestamptz, text) IS
	'Argument check of crm.pipeline_changes and crm.pipeline_waterfall (fn names the caller in the messages): NULL ends (22004), an infinite end (22008), from_at after to_at (22023), an unknown pipeline (22023, crm.known_pipeline)';

CREATE FUNCTION @extschema@.pipeline_changes(from_at timestamptz, to_at timestamptz, pipeline_name text DEFAULT NULL)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, pipeline text, changed_at timestamptz,
			   changed_by text, change text, old_stage text, new_stage text,
			   old_status @extschema@.opportunity_status, new_status @extschema@.opportunity_status,
			   old_amount numeric, new_amount numeric, old_expected_close date, new_expected_close date,
			   owner text, amount_delta numeric)
AS 'MODULE_PATHNAME', 'crm_pipeline_changes'
LANGUAGE C STABLE PARALLEL SAFE
-- its queries are schema-qualified; operators resolve in pg_catalog
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.pipeline_changes(timestamptz, timestamptz, text) IS
	'What changed in the open pipeline (status open) from from_at (excluded) to to_at (included), reconstructed from crm.opportunity_history, one row per deal, event and aspect, in this order within an event: new; amount up, amount down; pulled in, pushed out (expected_close earlier or later, reported while the deal is open before and after the event, amount_delta 0; a close-date move made in the same change as an amount change gives both rows, the amount row carrying the delta); won, lost, terminated, suspended, reopened, archived; stage forward, stage back, stage changed (a stage not in the pipeline any more); transferred. amount_delta is its effect on the open pipeline, so that the open amount of crm.opportunities_as_of(from_at) plus the sum of amount_delta equals that of crm.opportunities_as_of(to_at) exactly; old_/new_ stage, status, amount and expected close around the event (NULL old values for new), owner after it; NULL pipeline_name = all pipelines. History written before version 1.1 has no close dates (no pulled in or pushed out from it). Errors: NULL ends (22004), infinite ends (22008), from_at after to_at (22023), unknown pipeline (22023)';

CREATE FUNCTION @extschema@.pipeline_waterfall(from_at timestamptz, to_at timestamptz, pipeline_name text DEFAULT NULL)
RETURNS TABLE (step integer, change text, deals bigint, amount numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.check_period('pipeline_waterfall', from_at, to_at, pipeline_waterfall.pipeline_name);
	RETURN QUERY
	WITH kinds (step, change) AS (VALUES
			(2, 'new'), (3, 'amount up'), (4, 'amount down'), (5, 'pulled in'), (6, 'pushed out'),
			(7, 'won'), (8, 'lost'), (9, 'terminated'), (10, 'suspended'), (11, 'reopened'), (12, 'archived'),
			(13, 'stage forward'), (14, 'stage back'), (15, 'stage changed'), (16, 'transferred')),
	c AS (
		SELECT p.change, count(DISTINCT (p.customer_id, p.opportunity_id)) AS deals, sum(p.amount_delta) AS amount
		  FROM @extschema@.pipeline_changes(pipeline_waterfall.from_at, pipeline_waterfall.to_at, pipeline_waterfall.pipeline_name) p
		 GROUP BY p.change),
	ends AS (
		SELECT 1 AS step, 'open at start' AS change, count(*) AS deals, coalesce(sum(a.amount), 0) AS amount
		  FROM @extschema@.opportunities_as_of(pipeline_waterfall.from_at) a
		 WHERE a.status = 'open' AND (pipeline_waterfall.pipeline_name IS NULL OR a.pipeline = pipeline_waterfall.pipeline_name)
		UNION ALL
		SELECT 17, 'open at end', count(*), coalesce(sum(a.amount), 0)
		  FROM @extschema@.opportunities_as_of(pipeline_waterfall.to_at) a
		 WHERE a.status = 'open' AND (pipeline_waterfall.pipeline_name IS NULL OR a.pipeline = pipeline_waterfall.pipeline_name))
	SELECT k.step, k.change, coalesce(c.deals, 0), coalesce(c.amount, 0)
	  FROM kinds k LEFT JOIN c ON c.change = k.change
	UNION ALL
	SELECT e.step, e.change, e.deals, e.amount FROM ends e
	 ORDER BY 1;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_waterfall(timestamptz, timestamptz, text) IS
	'The pipeline waterfall from from_at to to_at: step 1 the open pipeline at from_at (deals, amount), steps 2..16 the sum of amount_delta and the number of deals of each change of crm.pipeline_changes (new, amount up, amount down, pulled in, pushed out, won, lost, terminated, suspended, reopened, archived, stage forward, stage back, stage changed, transferred; 0 when none; pulled in and pushed out always 0: they count the deals whose close date moved), step 17 the open pipeline at to_at, which equals step 1 plus steps 2..16; NULL pipeline_name = all pipelines. Errors as crm.pipeline_changes';

--------------------------------------------------------------------------
-- The forecast as of a past moment, and its accuracy
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.forecast_as_of(pipeline text, as_of timestamptz, horizon integer DEFAULT 3)
RETURNS TABLE (owner text, month integer, expected_revenue numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p		record;
	final	text;		-- the pipeline's final (won) stage
	n		integer;	-- its open stages
BEGIN
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'forecast_as_of: as_of must be a finite point in time, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the past moment whose forecast you want, e.g. ''2025-10-01 00:00+00''.';
	END IF;
	IF horizon < 1 OR horizon > 1200 THEN
		RAISE EXCEPTION 'forecast_as_of: horizon % is outside 1..1200 months', horizon
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the number of months after as_of to forecast, e.g. 3.';
	END IF;
	PERFORM @extschema@.known_pipeline(forecast_as_of.pipeline);
	SELECT * INTO p FROM @extschema@.pipeline_funnel(forecast_as_of.pipeline);
	IF NOT FOUND THEN
		RETURN;
	END IF;
	n := cardinality(p.stages);
	SELECT s.stage INTO final FROM @extschema@.pipeline_stages s
	 WHERE s.pipeline = forecast_as_of.pipeline AND s.is_final;
	-- crm.pipeline_forecast's rules on the deals as they were at as_of (the
	-- time in stage from their stage changes up to then); the deals' own
	-- win probabilities have no history and are not used
	RETURN QUERY
	SELECT a.owner, f.month::integer, f.expected_revenue
	  FROM (SELECT a.owner,
				   @extschema@.funnel_forecast(
					   coalesce(array_position(p.stages, a.stage), n), a.amount, p.conversion, p.stage_months, forecast_as_of.horizon,
					   CASE WHEN a.stage = final THEN p.stage_months[n]
							ELSE greatest(date_part('epoch', forecast_as_of.as_of - a.stage_entered_at) / (86400 * 30.4375), 0)
					   END,
					   CASE WHEN a.stage = final THEN 1::float8 END) AS months
			  FROM @extschema@.opportunities_as_of(forecast_as_of.as_of) a
			 WHERE a.pipeline = forecast_as_of.pipeline AND a.status = 'open'
			   AND (a.stage = ANY (p.stages) OR a.stage = final)
			 GROUP BY a.owner) a,
		   LATERAL unnest(a.months) WITH ORDINALITY AS f(expected_revenue, month)
	 ORDER BY a.owner, f.month;
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_as_of(text, timestamptz, integer) IS
	'What crm.pipeline_forecast would have said at the past moment as_of, per rep: the expected revenue of the pipeline''s deals open at as_of (crm.opportunities_as_of) per owner as of then and month 1..horizon after as_of (months of 30.4375 days), with the time each had spent in its stage by then; the pipeline''s current stage rates and durations (they have no history); the deals'' own win probabilities are not used (no history either); a deal open at the final stage closes in month 1 with probability 1. No rows without open deals or without open stages. Errors: unknown pipeline (22023), horizon outside 1..1200 (22023), infinite as_of (22008); those of crm.funnel_forecast when a stage lacks its rate or duration';

CREATE FUNCTION @extschema@.forecast_accuracy(pipeline text, from_date date, to_date date, period text DEFAULT 'month')
RETURNS TABLE (period_start date, owner text, forecast numeric, won numeric, error numeric, abs_pct_error numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	months	integer;
BEGIN
	months := CASE period WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 END;
	IF months IS NULL THEN
		RAISE EXCEPTION 'forecast_accuracy: unknown period %', quote_literal(period)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The period is ''month'' (the forecast''s month 1) or ''quarter'' (its months 1 to 3).';
	END IF;
	IF NOT isfinite(from_date) OR NOT isfinite(to_date) OR from_date > to_date THEN
		RAISE EXCEPTION 'forecast_accuracy: from_date % and to_date % are not a period', from_date, to_date
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give two finite dates, the first not after the second: every period that starts from from_date up to to_date is measured.';
	END IF;
	PERFORM @extschema@.known_pipeline(forecast_accuracy.pipeline);
	-- periods start on the first day of a month or quarter in the session's
	-- time zone; each is measured on (start, end]
	RETURN QUERY
	WITH periods AS (
		SELECT ps::date AS period_start, ps AS starts, ps + months * interval '1 month' AS ends
		  FROM generate_series(date_trunc(forecast_accuracy.period, forecast_accuracy.from_date::timestamptz),
							   forecast_accuracy.to_date::timestamptz, months * interval '1 month') ps),
	f AS (
		SELECT pr.period_start, x.owner, sum(x.expected_revenue) AS forecast
		  FROM periods pr
		 CROSS JOIN LATERAL @extschema@.forecast_as_of(forecast_accuracy.pipeline, pr.starts, months) x
		 GROUP BY pr.period_start, x.owner),
	w AS (
		SELECT pr.period_start, c.owner, sum(c.new_amount) AS won
		  FROM periods pr
		 CROSS JOIN LATERAL @extschema@.pipeline_changes(pr.starts, pr.ends, forecast_accuracy.pipeline) c
		 WHERE c.change = 'won'
		 GROUP BY pr.period_start, c.owner),
	r AS (
		SELECT coalesce(f.period_start, w.period_start) AS period_start, coalesce(f.owner, w.owner) AS owner,
			   coalesce(f.forecast, 0.00) AS forecast, coalesce(w.won, 0.00) AS won
		  FROM f FULL JOIN w ON w.period_start = f.period_start AND w.owner = f.owner)
	SELECT g.period_start, g.owner, g.forecast, g.won, g.forecast - g.won,
		   round(abs(g.forecast - g.won) / NULLIF(g.won, 0), 4)
	  FROM (SELECT pr.period_start, r.owner, coalesce(sum(r.forecast), 0.00) AS forecast, coalesce(sum(r.won), 0.00) AS won,
				   grouping(r.owner) AS total
			  FROM periods pr LEFT JOIN r ON r.period_start = pr.period_start
			 GROUP BY GROUPING SETS ((pr.period_start, r.owner), (pr.period_start))) g
	 WHERE (g.owner IS NOT NULL AND (g.forecast <> 0 OR g.won <> 0)) OR g.total = 1
	 ORDER BY g.period_start, g.owner NULLS LAST;
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_accuracy(text, date, date, text) IS
	'Forecast accuracy of a pipeline per period and rep: for every month (period ''month'') or quarter (''quarter'') starting from from_date up to to_date (first days in the session time zone), forecast = what crm.forecast_as_of said at the period''s start for its months 1..1 or 1..3, per owner as of then; won = the amounts won in the period (start excluded, end included; crm.pipeline_changes), per owner at the win; error = forecast - won (positive: over-forecast; its sum over periods over the sum won is the bias); abs_pct_error = |error| / won (NULL when nothing was won), to 4 places. A row per period and owner with a forecast or a win other than 0, and a total row per period with owner NULL (every period has one). Errors: unknown period (22023), from_date after to_date or infinite (22023), unknown pipeline (22023)';

--------------------------------------------------------------------------
-- Pipeline hygiene
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.pipeline_issues(as_of timestamptz DEFAULT pg_catalog.now(), idle_days integer DEFAULT 30,
											amount_factor float8 DEFAULT 3, probability_gap float8 DEFAULT 0.3)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, name text, owner text, pipeline text, stage text,
			   amount numeric, issue text, detail text)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'pipeline_issues: as_of must be a finite point in time, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the moment the ages are measured from, e.g. now() (the default).';
	END IF;
	IF idle_days < 1 THEN
		RAISE EXCEPTION 'pipeline_issues: idle_days must be at least 1, got %', idle_days
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A deal without a change for idle_days days (30 by default) is reported as without activity.';
	END IF;
	IF NOT amount_factor > 1 OR amount_factor IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'pipeline_issues: amount_factor must be a finite number above 1, got %', amount_factor
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'An amount above amount_factor times or below 1/amount_factor of its stage''s median is reported; 3 by default.';
	END IF;
	IF NOT (probability_gap > 0 AND probability_gap < 1) THEN
		RAISE EXCEPTION 'pipeline_issues: probability_gap must be between 0 and 1 (both excluded), got %', probability_gap
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'An own win probability further than probability_gap from its stage''s is reported; 0.3 by default.';
	END IF;
	RETURN QUERY
	WITH o AS (
		SELECT o.id, o.customer_id, o.name, o.owner, o.pipeline, o.stage, o.amount, o.expected_close,
			   o.win_probability, o.created_at, s.position
		  FROM @extschema@.opportunities o
		  JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = o.stage
		 WHERE o.status = 'open'),
	-- per deal: its last change and the forward moves that skipped a stage
	h AS (
		SELECT x.customer_id, x.opportunity_id, max(x.changed_at) AS last_change,
			   string_agg(format('%s -> %s on %s', x.old_stage, x.new_stage, to_char(x.changed_at, 'YYYY-MM-DD')), '; '
						  ORDER BY x.changed_at, x.id) FILTER (WHERE sn.position > so.position + 1) AS skips
		  FROM @extschema@.opportunity_history x
		  JOIN o ON o.customer_id = x.customer_id AND o.id = x.opportunity_id
		  LEFT JOIN @extschema@.pipeline_stages so ON so.pipeline = o.pipeline AND so.stage = x.old_stage
		  LEFT JOIN @extschema@.pipeline_stages sn ON sn.pipeline = o.pipeline AND sn.stage = x.new_stage
		 GROUP BY x.customer_id, x.opportunity_id),
	-- per open stage: the median amount of its open deals (3 at least)
	m AS (
		SELECT o.pipeline, o.stage, count(*) AS deals,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY o.amount::float8) AS median
		  FROM o GROUP BY o.pipeline, o.stage HAVING count(*) >= 3),
	-- per pipeline: the stages' win probabilities (crm.win_probability; the
	-- final stage 1), when every open stage has its rate
	f AS (
		SELECT s.pipeline, pf.stages, pf.conversion
		  FROM (SELECT DISTINCT x.pipeline FROM @extschema@.pipeline_stages x) s
		 CROSS JOIN LATERAL @extschema@.pipeline_funnel(s.pipeline) pf
		 WHERE array_position(pf.conversion, NULL) IS NULL)
	SELECT o.id, o.customer_id, o.name, o.owner, o.pipeline, o.stage, o.amount, i.issue, i.detail
	  FROM o
	  LEFT JOIN h ON h.customer_id = o.customer_id AND h.opportunity_id = o.id
	  LEFT JOIN m ON m.pipeline = o.pipeline AND m.stage = o.stage
	  LEFT JOIN f ON f.pipeline = o.pipeline
	 CROSS JOIN LATERAL (SELECT greatest(o.created_at, h.last_change) AS last_activity,
								CASE WHEN array_position(f.stages, o.stage) IS NOT NULL
									 THEN @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion)
									 WHEN f.pipeline IS NOT NULL THEN 1::float8 END AS stage_probability) a
	 CROSS JOIN LATERAL (VALUES
			('past close date',
			 format('expected close %s, %s days before as_of', to_char(o.expected_close, 'YYYY-MM-DD'), as_of::date - o.expected_close),
			 o.expected_close < as_of::date),
			('no activity',
			 format('last change %s, %s days before as_of', to_char(a.last_activity, 'YYYY-MM-DD'),
					floor(date_part('epoch', as_of - a.last_activity) / 86400)),
			 a.last_activity < as_of - idle_days * interval '1 day'),
			('skipped stages', h.skips, h.skips IS NOT NULL),
			('amount far from stage',
			 format('amount %s is %s x the median %s of the %s open deals in %s', o.amount,
					round((o.amount::float8 / nullif(m.median, 0))::numeric, 2), round(m.median::numeric, 2), m.deals, o.stage),
			 o.amount::float8 > amount_factor * m.median OR o.amount::float8 < m.median / amount_factor),
			('probability far from stage',
			 format('own win probability %s, the stage''s %s', o.win_probability, round(a.stage_probability::numeric, 2)),
			 abs(o.win_probability - a.stage_probability) > probability_gap))
			AS i(issue, detail, found)
	 WHERE i.found
	 ORDER BY o.owner, o.id, i.issue;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_issues(timestamptz, integer, float8, float8) IS
	'Pipeline hygiene: one row per open deal (status open) and issue, with a readable detail: past close date (expected_close before as_of''s date), no activity (no history row and no creation for more than idle_days days before as_of; default 30), skipped stages (a recorded forward move past at least one stage of the pipeline), amount far from stage (above amount_factor times or below 1/amount_factor of the median amount of the open deals in its stage, when it has 3 at least; default 3), probability far from stage (own win_probability further than probability_gap from the stage''s funnel win probability, crm.win_probability; default 0.3). Current state of the deals; as_of (default now()) is the moment ages are measured from. Ordered by owner and deal. Errors: infinite as_of (22008), idle_days < 1, amount_factor not above 1 or infinite, probability_gap outside (0, 1) (22023)';

CREATE VIEW @extschema@.pipeline_hygiene AS
SELECT i.opportunity_id, i.customer_id, i.name, i.owner, i.pipeline, i.stage, i.amount, i.issue, i.detail
  FROM @extschema@.pipeline_issues() i;
-- with the querying role's rights, like every view of crm (security.sql)
ALTER VIEW @extschema@.pipeline_hygiene SET (security_invoker = true);
COMMENT ON VIEW @extschema@.pipeline_hygiene IS
	'crm.pipeline_issues() with its default thresholds as of now: open deals past their expected close date, without a change for 30 days, that skipped stages, with an amount more than 3 times off their stage''s median or an own win probability more than 0.3 off their stage''s';

-- Deal scoring by naive Bayes (src/deal_score.sql, src/deal_score.c)

CREATE TYPE @extschema@.nb_model AS (
	won			float8,
	lost		float8,
	alpha		float8,
	features	text[],
	won_counts	float8[],
	lost_counts	float8[]
);
COMMENT ON TYPE @extschema@.nb_model IS
	'A naive Bayes deal-scoring model made by crm.nb_train: the numbers of won and lost training deals, the smoothing alpha (1, Laplace), and every feature "field=value" seen (sorted) with how often it came with a won and with a lost deal';

CREATE FUNCTION @extschema@.nb_train_trans(internal, text[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_nb_train_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_final(internal) RETURNS @extschema@.nb_model
	AS 'MODULE_PATHNAME', 'crm_nb_train_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_train_trans(internal, text[], boolean) IS
	'Transition function of crm.nb_train: counts the deal and each of its features under its outcome';
COMMENT ON FUNCTION @extschema@.nb_train_combine(internal, internal) IS
	'Combine function of crm.nb_train: adds two states'' counts (parallel query)';
COMMENT ON FUNCTION @extschema@.nb_train_serialize(internal) IS
	'Serialize function of crm.nb_train: version 1, won and lost deals, then each feature with its two counts';
COMMENT ON FUNCTION @extschema@.nb_train_deserialize(bytea, internal) IS
	'Deserialize function of crm.nb_train; checks every length and count (22P03 otherwise)';
COMMENT ON FUNCTION @extschema@.nb_train_final(internal) IS
	'Final function of crm.nb_train: the crm.nb_model, features sorted; NULL without a deal with an outcome';

-- SSPACE: a few hundred distinct features of about 300 bytes each
CREATE AGGREGATE @extschema@.nb_train(features text[], won boolean) (
	SFUNC = @extschema@.nb_train_trans,
	STYPE = internal,
	SSPACE = 65536,
	COMBINEFUNC = @extschema@.nb_train_combine,
	SERIALFUNC = @extschema@.nb_train_serialize,
	DESERIALFUNC = @extschema@.nb_train_deserialize,
	FINALFUNC = @extschema@.nb_train_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.nb_train(text[], boolean) IS
	'Trains a naive Bayes deal-scoring model (crm.nb_model) on closed deals: features are "field=value" texts (NULL elements skipped), won the outcome; rows with NULL features or outcome are skipped; no such row: NULL. Merging states adds counts, so training runs in parallel and in any split. Errors: a feature without "field=" (22023), a feature of 256 bytes or more (54000), a multi-dimensional array (22023)';

CREATE FUNCTION @extschema@.nb_score(model @extschema@.nb_model, features text[])
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_nb_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_score(@extschema@.nb_model, text[]) IS
	'Probability 0..1 that a deal with these features is won, by the naive Bayes model: 1 / (1 + exp(-log odds)), log odds = log((won + alpha) / (lost + alpha)) + the sum over its features of log(P(f | won) / P(f | lost)), P(f | class) = (n(f, class) + alpha) / (n(field, class) + alpha (values of the field + 1)); features of fields the model never saw add nothing, NULL elements are skipped. Errors: an invalid model (22023), a feature without "field=" (22023), one of 256 bytes or more (54000)';

CREATE FUNCTION @extschema@.nb_factors(model @extschema@.nb_model, features text[], direction text DEFAULT 'up', top integer DEFAULT 3)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_nb_factors'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_factors(@extschema@.nb_model, text[], text, integer) IS
	'The reasons of crm.nb_score: the top features of the deal that raise its odds most (direction ''up'') or lower them most (''down''), strongest first, as text "field=value (odds xF)" joined by ", ", F = P(f | won) / P(f | lost); factors within 0.5 % of 1 are no reason; NULL when none. Errors: direction other than up or down, top outside 1..100, and those of crm.nb_score (22023)';

CREATE FUNCTION @extschema@.nb_bin(field text, value float8, cuts float8[])
RETURNS text
AS 'MODULE_PATHNAME', 'crm_nb_bin'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_bin(text, float8, float8[]) IS
	'A number as a feature for crm.nb_train: field=<c1 below the first cut, field=ci-cj between two cuts (ci included), field=>=cn from the last (NaN: from the last), the bounds written as float8 text; NULL for a NULL argument (skipped by crm.nb_train) and for empty cuts. Errors: cuts not in ascending order or NaN (22023), with a NULL (22004), multi-dimensional (22023)';

CREATE FUNCTION @extschema@.nb_merge(a @extschema@.nb_model, b @extschema@.nb_model)
RETURNS @extschema@.nb_model
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
		(SELECT ROW((a).won OPERATOR(pg_catalog.+) (b).won, (a).lost OPERATOR(pg_catalog.+) (b).lost, (a).alpha,
					COALESCE(pg_catalog.array_agg(m.f ORDER BY m.f COLLATE "C"), '{}'),
					COALESCE(pg_catalog.array_agg(m.w ORDER BY m.f COLLATE "C"), '{}'),
					COALESCE(pg_catalog.array_agg(m.l ORDER BY m.f COLLATE "C"), '{}'))::@extschema@.nb_model
		   FROM (SELECT COALESCE(x.f, y.f) AS f,
						COALESCE(x.w, 0) OPERATOR(pg_catalog.+) COALESCE(y.w, 0) AS w,
						COALESCE(x.l, 0) OPERATOR(pg_catalog.+) COALESCE(y.l, 0) AS l
				   FROM ROWS FROM (pg_catalog.unnest((a).features), pg_catalog.unnest((a).won_counts), pg_catalog.unnest((a).lost_counts)) AS x(f, w, l)
				   FULL JOIN ROWS FROM (pg_catalog.unnest((b).features), pg_catalog.unnest((b).won_counts), pg_catalog.unnest((b).lost_counts)) AS y(f, w, l)
					 ON x.f OPERATOR(pg_catalog.=) y.f) m)
	END;
END;
COMMENT ON FUNCTION @extschema@.nb_merge(@extschema@.nb_model, @extschema@.nb_model) IS
	'Two naive Bayes models trained on separate deals merged into the model of all of them (their counts added; a''s alpha): crm.nb_merge(crm.nb_train on A, crm.nb_train on B) = crm.nb_train on A and B. NULL is the model of no deal';

-- The training rows for scoring deals by stage: each closed deal once per
-- open stage it was in before it closed, with the outcome.
CREATE FUNCTION @extschema@.deal_snapshots(pipeline text)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, stage text, entered_at timestamptz,
			   closed_at timestamptz, won boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.known_pipeline(deal_snapshots.pipeline);
	RETURN QUERY
	WITH o AS (
		SELECT o.id, o.customer_id, o.stage, o.status, o.created_at, o.closed_at
		  FROM @extschema@.opportunities o WHERE o.pipeline = deal_snapshots.pipeline),
	-- how each deal closed: its first change to won, lost or terminated,
	-- else its status and closed_at (closed without history)
	closing AS (
		SELECT DISTINCT ON (h.customer_id, h.opportunity_id) h.customer_id, h.opportunity_id,
			   h.changed_at AS closed_at, h.new_status = 'won' AS won
		  FROM @extschema@.opportunity_history h
		  JOIN o ON o.customer_id = h.customer_id AND o.id = h.opportunity_id
		 WHERE h.new_status IN ('won', 'lost', 'terminated') AND h.old_status IS DISTINCT FROM h.new_status
		 ORDER BY h.customer_id, h.opportunity_id, h.changed_at, h.id),
	outcome AS (
		SELECT o.customer_id, o.id, coalesce(c.closed_at, o.closed_at) AS closed_at,
			   coalesce(c.won, o.status = 'won') AS won
		  FROM o LEFT JOIN closing c ON c.customer_id = o.customer_id AND c.opportunity_id = o.id
		 WHERE c.opportunity_id IS NOT NULL OR o.status IN ('won', 'lost', 'terminated')),
	-- every stay in a stage: the first from created_at, then one per stage change
	moves AS (
		SELECT h.customer_id, h.opportunity_id, h.id, h.changed_at, h.old_stage, h.new_stage,
			   row_number() OVER (PARTITION BY h.customer_id, h.opportunity_id ORDER BY h.changed_at, h.id) AS n
		  FROM @extschema@.opportunity_history h
		  JOIN outcome x ON x.customer_id = h.customer_id AND x.id = h.opportunity_id
		 WHERE h.old_stage IS DISTINCT FROM h.new_stage),
	visits AS (
		SELECT o.customer_id, o.id, coalesce(m.old_stage, o.stage) AS stage, o.created_at AS entered_at
		  FROM o JOIN outcome x ON x.customer_id = o.customer_id AND x.id = o.id
		  LEFT JOIN moves m ON m.customer_id = o.customer_id AND m.opportunity_id = o.id AND m.n = 1
		UNION ALL
		SELECT m.customer_id, m.opportunity_id, m.new_stage, m.changed_at FROM moves m)
	SELECT v.id, v.customer_id, v.stage, v.entered_at, x.closed_at, x.won
	  FROM visits v
	  JOIN outcome x ON x.customer_id = v.customer_id AND x.id = v.id
	  JOIN @extschema@.pipeline_stages s ON s.pipeline = deal_snapshots.pipeline AND s.stage = v.stage AND NOT s.is_final
	 WHERE v.entered_at < x.closed_at
	 ORDER BY v.id, v.entered_at;
END;
$$;
COMMENT ON FUNCTION @extschema@.deal_snapshots(text) IS
	'Training rows for crm.nb_train: every closed deal of the pipeline once per open stage it was in before it closed (the first stage from created_at, then each stage change of crm.opportunity_history), with when it entered the stage, when it closed (its first change to won, lost or terminated; for a deal closed without such history, its status and closed_at) and whether it was won. Stages are matched by name in the pipeline; the final stage is left out (reached on winning). Errors: unknown pipeline (22023)';

-- Forecast categories on opportunities, kept in their history
-- (src/schema.sql, src/states.sql); the demo's forecast adjustment and the
-- table's place on Citus are at the end
CREATE TYPE @extschema@.forecast_category AS ENUM ('omitted', 'pipeline', 'best_case', 'commit', 'closed');
COMMENT ON TYPE @extschema@.forecast_category IS
	'Forecast category of a deal, from least to most certain: omitted (left out of the forecast), pipeline, best_case, commit, closed (won)';

ALTER TABLE @extschema@.opportunities ADD COLUMN forecast_category @extschema@.forecast_category;
COMMENT ON COLUMN @extschema@.opportunities.forecast_category IS 'The rep''s forecast category of the deal; NULL = the default from its status and win probability (crm.default_forecast_category); a won deal is closed and a lost, terminated, suspended or archived one omitted whatever is set';
ALTER TABLE @extschema@.opportunity_history
	ADD COLUMN old_forecast_category @extschema@.forecast_category,
	ADD COLUMN new_forecast_category @extschema@.forecast_category;
COMMENT ON COLUMN @extschema@.opportunity_history.old_forecast_category IS 'Forecast category set on the deal before the change (NULL: the default)';
COMMENT ON COLUMN @extschema@.opportunity_history.new_forecast_category IS 'Forecast category set on the deal after the change (NULL: the default)';
-- the expected close date of each change (pulled in, pushed out: crm.pipeline_changes)
ALTER TABLE @extschema@.opportunity_history
	ADD COLUMN old_expected_close date,
	ADD COLUMN new_expected_close date,
	ADD CONSTRAINT opportunity_history_old_expected_close_finite CHECK (pg_catalog.isfinite(old_expected_close)),
	ADD CONSTRAINT opportunity_history_new_expected_close_finite CHECK (pg_catalog.isfinite(new_expected_close));
COMMENT ON COLUMN @extschema@.opportunity_history.old_expected_close IS 'Expected closing date before the change (NULL: not recorded, as in rows written before version 1.1)';
COMMENT ON COLUMN @extschema@.opportunity_history.new_expected_close IS 'Expected closing date after the change (a pull-in when earlier, a push-out when later)';
COMMENT ON TABLE @extschema@.opportunity_history IS
	'Every stage, status, amount, owner, forecast category and expected close date change of an opportunity, written by trigger. The opportunity''s first stage starts at its created_at';

CREATE OR REPLACE FUNCTION @extschema@.opportunities_history()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.status, NEW.amount, NEW.owner, NEW.cost, NEW.forecast_category, NEW.expected_close)
	   IS NOT DISTINCT FROM (OLD.status, OLD.amount, OLD.owner, OLD.cost, OLD.forecast_category, OLD.expected_close)
	   AND @extschema@.stage_renamed(OLD.pipeline, OLD.stage) THEN
		RETURN NULL;
	END IF;
	INSERT INTO @extschema@.opportunity_history
		(customer_id, opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
		 old_amount, new_amount, old_owner, new_owner, cost, old_forecast_category, new_forecast_category,
		 old_expected_close, new_expected_close)
	VALUES
		(NEW.customer_id, NEW.id, NEW.updated_at, OLD.stage, NEW.stage, OLD.status, NEW.status,
		 OLD.amount, NEW.amount, OLD.owner, NEW.owner, greatest(NEW.cost - OLD.cost, 0),
		 OLD.forecast_category, NEW.forecast_category, OLD.expected_close, NEW.expected_close);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_history() IS
	'Trigger (SECURITY DEFINER: no role but the extension owner writes history): writes a crm.opportunity_history row for a change of stage, status, amount, owner, cost, forecast category or expected close date';

DROP TRIGGER opportunities_history ON @extschema@.opportunities;
CREATE TRIGGER opportunities_history
	AFTER UPDATE ON @extschema@.opportunities
	FOR EACH ROW
	WHEN (OLD.stage IS DISTINCT FROM NEW.stage
		  OR OLD.status IS DISTINCT FROM NEW.status
		  OR OLD.amount IS DISTINCT FROM NEW.amount
		  OR OLD.owner IS DISTINCT FROM NEW.owner
		  OR OLD.cost IS DISTINCT FROM NEW.cost
		  OR OLD.forecast_category IS DISTINCT FROM NEW.forecast_category
		  OR OLD.expected_close IS DISTINCT FROM NEW.expected_close)
	EXECUTE FUNCTION @extschema@.opportunities_history();

-- The forecast roll-up with manager adjustments (src/forecast.sql)

CREATE TABLE @extschema@.forecast_adjustments (
	id				bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	pipeline		text NOT NULL,
	period			text NOT NULL CHECK (period IN ('month', 'quarter')),
	period_start	date NOT NULL,
	level			text NOT NULL CHECK (level IN ('rep', 'team', 'all')),
	name			text,
	category		@extschema@.forecast_category NOT NULL CHECK (category IN ('pipeline', 'best_case', 'commit')),
	from_amount		numeric(14,2) NOT NULL,
	amount			numeric(14,2) NOT NULL CHECK (amount OPERATOR(pg_catalog.>=) 0),
	note			text,
	adjusted_by		text NOT NULL DEFAULT CURRENT_USER,
	adjusted_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT forecast_adjustments_name_check CHECK ((level OPERATOR(pg_catalog.=) 'all') OPERATOR(pg_catalog.=) (name IS NULL)),
	-- finite values only: NaN and infinity are not amounts, rates or times
	CONSTRAINT forecast_adjustments_from_amount_finite CHECK (from_amount OPERATOR(pg_catalog.>) '-Infinity' AND from_amount OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT forecast_adjustments_amount_finite CHECK (amount OPERATOR(pg_catalog.>) '-Infinity' AND amount OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT forecast_adjustments_period_start_finite CHECK (pg_catalog.isfinite(period_start)),
	CONSTRAINT forecast_adjustments_adjusted_at_finite CHECK (pg_catalog.isfinite(adjusted_at))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.forecast_adjustments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.forecast_adjustments_id_seq', '');
CREATE INDEX forecast_adjustments_period_idx ON @extschema@.forecast_adjustments (pipeline, period, period_start);

COMMENT ON TABLE @extschema@.forecast_adjustments IS
	'Manager adjustments of the forecast roll-up (crm.adjust_forecast): who set which figure of which pipeline, period, level and category, when, from what to what; append-only, the latest adjustment of a figure counts (crm.forecast_rollup)';
COMMENT ON COLUMN @extschema@.forecast_adjustments.id IS 'Adjustment identifier, increasing with time';
COMMENT ON COLUMN @extschema@.forecast_adjustments.pipeline IS 'Pipeline of the forecast';
COMMENT ON COLUMN @extschema@.forecast_adjustments.period IS 'month or quarter';
COMMENT ON COLUMN @extschema@.forecast_adjustments.period_start IS 'First day of the month or quarter';
COMMENT ON COLUMN @extschema@.forecast_adjustments.level IS 'rep, team or all';
COMMENT ON COLUMN @extschema@.forecast_adjustments.name IS 'The rep or the team (a role name); NULL for all';
COMMENT ON COLUMN @extschema@.forecast_adjustments.category IS 'The category adjusted: pipeline, best_case or commit (closed is what was won)';
COMMENT ON COLUMN @extschema@.forecast_adjustments.from_amount IS 'The roll-up''s figure when it was adjusted (the latest adjustment''s amount, if any, else the computed sum)';
COMMENT ON COLUMN @extschema@.forecast_adjustments.amount IS 'The figure the manager set, >= 0';
COMMENT ON COLUMN @extschema@.forecast_adjustments.note IS 'Why, in the manager''s words';
COMMENT ON COLUMN @extschema@.forecast_adjustments.adjusted_by IS 'Role that made the adjustment';
COMMENT ON COLUMN @extschema@.forecast_adjustments.adjusted_at IS 'When the adjustment was made (transaction time)';

CREATE FUNCTION @extschema@.default_forecast_category(status @extschema@.opportunity_status, win_probability float8)
RETURNS @extschema@.forecast_category
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
	WHEN status OPERATOR(pg_catalog.=) 'won' THEN 'closed'
	WHEN status OPERATOR(pg_catalog.<>) 'open' THEN 'omitted'
	WHEN win_probability OPERATOR(pg_catalog.>=) 0.9 THEN 'commit'
	WHEN win_probability OPERATOR(pg_catalog.>=) 0.5 THEN 'best_case'
	ELSE 'pipeline' END::@extschema@.forecast_category;
COMMENT ON FUNCTION @extschema@.default_forecast_category(@extschema@.opportunity_status, float8) IS
	'The forecast category of a deal not set by its rep: closed when won; omitted when lost, terminated, suspended or archived; when open, commit from a win probability of 0.9, best_case from 0.5, pipeline below or without one';

-- The deals of a pipeline's period with their category: open deals
-- expected to close in the period, deals won or lost in it.
CREATE FUNCTION @extschema@.forecast_rollup(pipeline text, period_start date, period text DEFAULT 'month')
RETURNS TABLE (level text, name text, category @extschema@.forecast_category, deals bigint, amount numeric,
			   adjusted_amount numeric, adjusted_by text, adjusted_at timestamptz)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	period_end	date;
BEGIN
	PERFORM @extschema@.check_forecast_period('forecast_rollup', pipeline, period_start, period);
	period_end := period_start + CASE period WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END;
	RETURN QUERY
	WITH f AS (
		SELECT pf.stages, pf.conversion FROM @extschema@.pipeline_funnel(forecast_rollup.pipeline) pf
		 WHERE array_position(pf.conversion, NULL) IS NULL),
	d AS (
		SELECT o.owner, o.amount,
			   CASE WHEN o.status = 'won' THEN 'closed'::@extschema@.forecast_category
					WHEN o.status <> 'open' THEN 'omitted'
					ELSE coalesce(o.forecast_category, @extschema@.default_forecast_category(o.status,
						 coalesce(o.win_probability,
								  CASE WHEN array_position(f.stages, o.stage) IS NOT NULL
									   THEN @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion)
									   WHEN s.is_final THEN 1 END)))
			   END AS category
		  FROM @extschema@.opportunities o
		  JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = o.stage
		  LEFT JOIN f ON true
		 WHERE o.pipeline = forecast_rollup.pipeline
		   AND CASE WHEN o.status IN ('open', 'suspended')
					THEN o.expected_close >= forecast_rollup.period_start AND o.expected_close < period_end
					ELSE o.closed_at >= forecast_rollup.period_start AND o.closed_at < period_end END),
	-- the rep's teams: the roles its role is a direct member of
	teams AS (
		SELECT u.rolname::text AS owner, g.rolname::text AS team
		  FROM pg_auth_members m
		  JOIN pg_roles u ON u.oid = m.member
		  JOIN pg_roles g ON g.oid = m.roleid
		 WHERE g.rolname !~ '^(crm_|pg_)'),
	sums AS (
		SELECT 'rep' AS level, d.owner AS name, d.category, count(*) AS deals, sum(d.amount) AS amount
		  FROM d GROUP BY d.owner, d.category
		UNION ALL
		SELECT 'team', t.team, d.category, count(*), sum(d.amount)
		  FROM d JOIN teams t ON t.owner = d.owner GROUP BY t.team, d.category
		UNION ALL
		SELECT 'all', NULL, d.category, count(*), sum(d.amount)
		  FROM d GROUP BY d.category),
	adj AS (
		SELECT DISTINCT ON (a.level, a.name, a.category) a.level, a.name, a.category, a.amount, a.adjusted_by, a.adjusted_at
		  FROM @extschema@.forecast_adjustments a
		 WHERE a.pipeline = forecast_rollup.pipeline AND a.period = forecast_rollup.period
		   AND a.period_start = forecast_rollup.period_start
		 ORDER BY a.level, a.name, a.category, a.adjusted_at DESC, a.id DESC)
	SELECT coalesce(s.level, a.level), coalesce(s.name, a.name), coalesce(s.category, a.category),
		   coalesce(s.deals, 0), coalesce(s.amount, 0.00), coalesce(a.amount, s.amount, 0.00), a.adjusted_by, a.adjusted_at
	  FROM sums s
	  FULL JOIN adj a ON a.level = s.level AND coalesce(a.name, '') = coalesce(s.name, '') AND a.category = s.category
	 ORDER BY CASE coalesce(s.level, a.level) WHEN 'rep' THEN 1 WHEN 'team' THEN 2 ELSE 3 END,
			  coalesce(s.name, a.name), coalesce(s.category, a.category) DESC;
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_rollup(text, date, text) IS
	'The forecast of a pipeline for the month or quarter starting period_start, by level (rep: the deal''s owner; team: each role the owner''s role is a direct member of, other than crm_* and pg_*; all: name NULL) and forecast category: deals and amount of the open and suspended deals expected to close in the period and of the deals closed in it (closed_at), each in its category (set by the rep, else crm.default_forecast_category with its own win probability or its stage''s; won = closed, lost, terminated, suspended, archived = omitted); adjusted_amount = the latest manager adjustment (crm.forecast_adjustments) of that figure, else amount, with who and when. Rows with deals or an adjustment; rep, team, all, then by name and category from closed down. Errors as crm.adjust_forecast for the pipeline and period';

-- The checks of a pipeline and period, shared by the roll-up and the
-- adjustments.
CREATE FUNCTION @extschema@.check_forecast_period(fn text, pipeline text, period_start date, period text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.known_pipeline(pipeline);
	IF period IS NULL OR period NOT IN ('month', 'quarter') THEN
		RAISE EXCEPTION '%: unknown period %', fn, coalesce(quote_literal(period), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The period is ''month'' or ''quarter''.';
	END IF;
	IF period_start IS NULL OR NOT isfinite(period_start)
	   OR period_start <> date_trunc(period, period_start::timestamp)::date THEN
		RAISE EXCEPTION '%: % is not the first day of a %', fn, coalesce(to_char(period_start, 'YYYY-MM-DD'), 'NULL'), period
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('Give the first day of the %s, e.g. %s.', period,
								coalesce(to_char(date_trunc(period, period_start::timestamp), 'YYYY-MM-DD'), '2026-01-01'));
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_forecast_period(text, text, date, text) IS
	'Argument check of crm.forecast_rollup and crm.adjust_forecast (fn names the caller): unknown pipeline (22023, crm.known_pipeline), period other than month or quarter (22023), period_start not the first day of one (22023)';

CREATE FUNCTION @extschema@.adjust_forecast(pipeline text, period_start date, period text, level text, name text,
											category @extschema@.forecast_category, amount numeric, note text DEFAULT NULL)
RETURNS @extschema@.forecast_adjustments
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		@extschema@.forecast_adjustments;
	figure	numeric;
BEGIN
	PERFORM @extschema@.check_forecast_period('adjust_forecast', pipeline, period_start, period);
	IF level IS NULL OR level NOT IN ('rep', 'team', 'all') THEN
		RAISE EXCEPTION 'adjust_forecast: unknown level %', coalesce(quote_literal(level), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The level is ''rep'' (name a rep), ''team'' (name a team role) or ''all'' (name NULL).';
	END IF;
	IF (level = 'all') <> (name IS NULL) THEN
		RAISE EXCEPTION 'adjust_forecast: level % %', level,
						CASE WHEN name IS NULL THEN 'needs a name' ELSE 'takes no name' END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the rep or the team for levels rep and team; pass NULL for all.';
	END IF;
	IF category IS NULL OR category NOT IN ('pipeline', 'best_case', 'commit') THEN
		RAISE EXCEPTION 'adjust_forecast: category % cannot be adjusted', coalesce(category::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Adjust pipeline, best_case or commit; closed is what was won and omitted is left out.';
	END IF;
	IF amount IS NULL OR amount < 0 OR amount = 'NaN' OR amount >= 1e12 THEN
		RAISE EXCEPTION 'adjust_forecast: amount must be a number from 0 to below 10^12, got %', coalesce(amount::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the figure the forecast should show, e.g. 250000.';
	END IF;
	SELECT x.adjusted_amount INTO figure
	  FROM @extschema@.forecast_rollup(adjust_forecast.pipeline, adjust_forecast.period_start, adjust_forecast.period) x
	 WHERE x.level = adjust_forecast.level AND x.name IS NOT DISTINCT FROM adjust_forecast.name
	   AND x.category = adjust_forecast.category;
	INSERT INTO @extschema@.forecast_adjustments (pipeline, period, period_start, level, name, category, from_amount, amount, note)
	VALUES (adjust_forecast.pipeline, adjust_forecast.period, adjust_forecast.period_start, adjust_forecast.level,
			adjust_forecast.name, adjust_forecast.category, coalesce(figure, 0), round(adjust_forecast.amount, 2), note)
	RETURNING * INTO r;
	RETURN r;
END;
$$;
COMMENT ON FUNCTION @extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text) IS
	'A manager''s adjustment of one figure of crm.forecast_rollup: records in crm.forecast_adjustments who (current role), when, from what (the roll-up''s figure now, adjusted or computed) to what (amount, rounded to cents) and why (note); returns the row. crm_manager and up. Errors (22023): unknown pipeline, period other than month or quarter, period_start not its first day, level other than rep, team or all, a name for all or none for rep or team, category other than pipeline, best_case or commit, amount NULL, negative or from 10^12; 42501 without the privilege';

-- Contract retention for the shifted-beta-geometric model (crm.sbg_fit):
-- a customer's signed contracts chained into spells of continuous cover
-- (a contract starting at most grace_days days after the cover so far
-- ended renews it), each spell as (periods, churned) at as_of.  The windows and
-- the grouping are per customer, so that Citus pushes the query down to
-- the shards whole.
CREATE FUNCTION @extschema@.contract_retention(as_of date, period_days integer DEFAULT 365, grace_days integer DEFAULT 30)
RETURNS TABLE (customer_id bigint, spell integer, first_contract_id bigint, started_on date, covered_until date,
			   contracts bigint, periods integer, churned boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF period_days < 1 OR period_days > 36525 THEN
		RAISE EXCEPTION 'contract_retention: period_days % is outside 1..36525', period_days
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('period_days = %s', period_days),
				  HINT = 'Give the length of a renewal period in days, e.g. 365 for yearly contracts.';
	END IF;
	IF grace_days < 0 OR grace_days > 36525 THEN
		RAISE EXCEPTION 'contract_retention: grace_days % is outside 0..36525', grace_days
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('grace_days = %s', grace_days),
				  HINT = 'Give the days a renewal may start after the cover ended, e.g. 30 (0: no gap allowed).';
	END IF;
	RETURN QUERY
	WITH signed AS (
		SELECT ct.customer_id, ct.id, ct.starts_on, ct.ends_on,
			   max(ct.ends_on) OVER (PARTITION BY ct.customer_id ORDER BY ct.starts_on, ct.id
									 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_before
		  FROM @extschema@.contracts ct
		 WHERE ct.status NOT IN ('draft', 'submitted')
		   AND ct.signed_on <= as_of AND ct.starts_on IS NOT NULL AND ct.ends_on IS NOT NULL
	), spells AS (
		SELECT s.customer_id, s.id, s.starts_on, s.ends_on,
			   (count(*) FILTER (WHERE s.covered_before IS NULL OR s.starts_on > s.covered_before + 1 + grace_days)
					OVER (PARTITION BY s.customer_id ORDER BY s.starts_on, s.id))::integer AS spell
		  FROM signed s
	), grouped AS (
		SELECT s.customer_id, s.spell, (array_agg(s.id ORDER BY s.starts_on, s.id))[1] AS first_contract_id,
			   min(s.starts_on) AS started_on, max(s.ends_on) AS covered_until, count(*) AS contracts
		  FROM spells s
		 GROUP BY s.customer_id, s.spell
	)
	SELECT g.customer_id, g.spell, g.first_contract_id, g.started_on, g.covered_until, g.contracts,
		   CASE WHEN g.covered_until + grace_days < as_of
				THEN greatest(1, ceil((g.covered_until - g.started_on + 1 - grace_days)::numeric / period_days))::integer
				ELSE ((least(g.covered_until, as_of) - g.started_on + 1) / period_days)::integer END,
		   g.covered_until + grace_days < as_of
	  FROM grouped g
	 WHERE g.started_on <= as_of;
END;
$$;
COMMENT ON FUNCTION @extschema@.contract_retention(date, integer, integer) IS
	'Contract renewals at as_of as crm.sbg_fit rows: a customer''s signed contracts (status approved and later, signed_on <= as_of, both dates set) in order of starts_on chained into spells of continuous cover, a contract starting at most grace_days days after the day the cover so far (the latest ends_on) ended renewing the spell (grace_days 0: the next day), else starting a new one; per spell started by as_of: the customer, spell number, first contract, first day, last day covered, contracts, churned (the cover ended more than grace_days before as_of) and periods of period_days: for a churned spell the period it ended in, max(1, ceil((days covered - grace_days) / period_days)), else the whole periods covered by as_of, floor((min(last day covered, as_of) - first day + 1) / period_days). Fit: crm.sbg_fit(periods, churned). Errors (22023): period_days or grace_days outside 1..36525 and 0..36525';

-- what src/roles.sql grants on the new tables, views and functions
GRANT SELECT ON @extschema@.pipeline_hygiene, @extschema@.forecast_adjustments TO crm_reader;
GRANT USAGE ON SEQUENCE @extschema@.forecast_adjustments_id_seq TO crm_rep;
GRANT INSERT ON @extschema@.forecast_adjustments TO crm_manager;
REVOKE EXECUTE ON FUNCTION
	@extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.adjust_forecast(text, date, text, text, text, @extschema@.forecast_category, numeric, text)
	TO crm_manager;

--------------------------------------------------------------------------
-- Approvals (seed 002): approval points on pipeline stages, reactivation
-- approved by a manager, the quote state machine with its approver, an
-- approver for approved campaigns, a summary for terminated deals, only
-- archived deals deleted (their history kept in the audit log).  Rows
-- written before are kept as they are: the new rules apply to new rows
-- and changes.
--------------------------------------------------------------------------

ALTER TABLE @extschema@.pipeline_stages
	ADD COLUMN approval_role text CHECK (pg_catalog.btrim(approval_role) OPERATOR(pg_catalog.<>) '');
COMMENT ON COLUMN @extschema@.pipeline_stages.approval_role IS 'Approval point: entering this stage needs an approved crm.opportunity_approvals row decided by a member of this role (e.g. crm_manager); NULL = no approval';
COMMENT ON COLUMN @extschema@.opportunities.closing_summary IS 'Summary written when the deal is won, lost or terminated (required then: a CHECK for won and lost, trigger opportunities_before for a deal terminated or entered terminated since crm 1.1)';
COMMENT ON COLUMN @extschema@.campaigns.approved_by IS 'Role that approved the campaign: set to the approving role by the status change to approved when not named; required of a campaign entered approved, active or completed (trigger campaigns_before)';

CREATE TABLE @extschema@.opportunity_approvals (
	id				bigint GENERATED BY DEFAULT AS IDENTITY,
	customer_id		bigint NOT NULL,
	opportunity_id	bigint NOT NULL,
	move			text NOT NULL CHECK (pg_catalog.btrim(move) OPERATOR(pg_catalog.<>) ''),
	requested_by	text NOT NULL DEFAULT CURRENT_USER,
	requested_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	decision		text CHECK (decision IN ('approved', 'rejected')),
	decided_by		text,
	decided_at		timestamptz,
	used_at			timestamptz,
	note			text,
	PRIMARY KEY (customer_id, id),
	FOREIGN KEY (customer_id, opportunity_id) REFERENCES @extschema@.opportunities (customer_id, id) ON DELETE CASCADE,
	CONSTRAINT opportunity_approvals_decided_check
		CHECK ((decision IS NULL) OPERATOR(pg_catalog.=) (decided_by IS NULL) AND (decision IS NULL) OPERATOR(pg_catalog.=) (decided_at IS NULL)),
	CONSTRAINT opportunity_approvals_used_check CHECK (used_at IS NULL OR decision OPERATOR(pg_catalog.=) 'approved'),
	-- finite values only: NaN and infinity are not amounts, rates or times
	CONSTRAINT opportunity_approvals_requested_at_finite CHECK (pg_catalog.isfinite(requested_at)),
	CONSTRAINT opportunity_approvals_decided_at_finite CHECK (pg_catalog.isfinite(decided_at)),
	CONSTRAINT opportunity_approvals_used_at_finite CHECK (pg_catalog.isfinite(used_at))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunity_approvals', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunity_approvals_id_seq', '');
CREATE INDEX opportunity_approvals_opportunity_idx ON @extschema@.opportunity_approvals (opportunity_id, move) WHERE used_at IS NULL;

COMMENT ON TABLE @extschema@.opportunity_approvals IS
	'Approval points of opportunities: a rep asks to enter a stage that has an approval_role, or to reactivate a suspended deal; a member of that role (crm_manager for a reactivation), not the requester, approves or rejects; the approved move is made once (used_at)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.id IS 'Approval request identifier';
COMMENT ON COLUMN @extschema@.opportunity_approvals.customer_id IS 'Customer of the opportunity (the distribution column under Citus); filled in from the opportunity when left out (single node only)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.opportunity_id IS 'Opportunity the approval is for';
COMMENT ON COLUMN @extschema@.opportunity_approvals.move IS 'What is to be approved: the stage to enter (one with an approval_role), or reactivation (suspended to open)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.requested_by IS 'Role that asked (set by the database)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.requested_at IS 'When it was asked (set by the database)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.decision IS 'approved or rejected; NULL while pending; decided once';
COMMENT ON COLUMN @extschema@.opportunity_approvals.decided_by IS 'Role that decided (set by the database with the decision)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.decided_at IS 'When it was decided (set by the database with the decision)';
COMMENT ON COLUMN @extschema@.opportunity_approvals.used_at IS 'When the approved move was made (set by the opportunity''s trigger); an approval is used once';
COMMENT ON COLUMN @extschema@.opportunity_approvals.note IS 'Free text: the reason asked, or the decider''s remark';

INSERT INTO @extschema@.status_transitions (object, from_status, allowed) VALUES
	('quote',       'draft',       '{submitted}'),
	('quote',       'submitted',   '{draft,approved,rejected}'),
	('quote',       'approved',    '{}'),
	('quote',       'rejected',    '{}');
COMMENT ON TABLE @extschema@.status_transitions IS
	'The state machines of opportunities, quotes, campaigns and contracts: for each status the statuses it may move to (empty = final). Part of the extension, not user data';
COMMENT ON COLUMN @extschema@.status_transitions.object IS 'opportunity, quote, campaign or contract';
COMMENT ON FUNCTION @extschema@.check_status_transition(text, bigint, text, text) IS
	'Returns nothing when object (opportunity, quote, campaign, contract) may move from old_status to new_status; raises SQLSTATE 55000 naming both states and the allowed ones otherwise; an unknown object or old_status is error 22023 listing the known ones';

CREATE FUNCTION @extschema@.use_approval(customer_id bigint, opportunity_id bigint, move text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	approver text;
	approval bigint;
BEGIN
	SELECT a.id, a.decided_by INTO approval, approver
	  FROM @extschema@.opportunity_approvals a
	 WHERE a.customer_id = use_approval.customer_id AND a.opportunity_id = use_approval.opportunity_id
	   AND a.move = use_approval.move AND a.decision = 'approved' AND a.used_at IS NULL
	 ORDER BY a.decided_at, a.id
	 LIMIT 1
	   FOR UPDATE;
	IF approval IS NULL THEN
		RAISE EXCEPTION 'opportunity % needs an approval for %', opportunity_id,
			CASE WHEN move = 'reactivation' THEN 'its reactivation' ELSE format('stage "%s"', move) END
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Ask with INSERT INTO crm.opportunity_approvals (opportunity_id, move) VALUES (%s, %L); once a member of %s approves it, make the move again.',
								opportunity_id, move,
								CASE WHEN move = 'reactivation' THEN 'crm_manager'
									 ELSE coalesce((SELECT s.approval_role FROM @extschema@.opportunities o
													  JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = move
													 WHERE o.customer_id = use_approval.customer_id AND o.id = use_approval.opportunity_id),
												   'the approval role') END);
	END IF;
	UPDATE @extschema@.opportunity_approvals a SET used_at = now()
	 WHERE a.customer_id = use_approval.customer_id AND a.id = approval;
	RETURN approver;
END;
$$;
COMMENT ON FUNCTION @extschema@.use_approval(bigint, bigint, text) IS
	'Marks the oldest approved, unused crm.opportunity_approvals row of the move (a stage, or reactivation) used and returns its approver; raises 55000 with the way to ask when there is none. Called by the opportunity trigger (SECURITY DEFINER: reps cannot write approvals)';

CREATE FUNCTION @extschema@.opportunity_approvals_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	approver_role text;
BEGIN
	SELECT CASE WHEN NEW.move = 'reactivation' THEN 'crm_manager' ELSE s.approval_role END INTO approver_role
	  FROM @extschema@.opportunities o
	  LEFT JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = NEW.move
	 WHERE o.customer_id = NEW.customer_id AND o.id = NEW.opportunity_id;
	IF TG_OP = 'INSERT' THEN
		IF NEW.decision IS NULL THEN
			IF approver_role IS NULL THEN
				RAISE EXCEPTION 'opportunity %: "%" needs no approval', NEW.opportunity_id, NEW.move
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'move is reactivation or a stage of the deal''s pipeline that has an approval_role (crm.pipeline_stages).';
			END IF;
			NEW.requested_by := current_user;
			NEW.requested_at := now();
			NEW.used_at := NULL;
		END IF;
		RETURN NEW;
	END IF;
	IF (NEW.customer_id, NEW.opportunity_id, NEW.move, NEW.requested_by, NEW.requested_at)
	   IS DISTINCT FROM (OLD.customer_id, OLD.opportunity_id, OLD.move, OLD.requested_by, OLD.requested_at) THEN
		RAISE EXCEPTION 'approval request % cannot change what it asks for', OLD.id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Ask again with a new row of crm.opportunity_approvals.';
	END IF;
	IF NEW.decision IS DISTINCT FROM OLD.decision THEN
		IF OLD.decision IS NOT NULL THEN
			RAISE EXCEPTION 'approval request % was already % by %', OLD.id, OLD.decision, OLD.decided_by
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'A decision is final: ask again with a new row of crm.opportunity_approvals.';
		END IF;
		IF NOT pg_has_role(current_user, approver_role, 'MEMBER') THEN
			RAISE EXCEPTION 'role % cannot decide approval request %: % approves "%"', current_user, OLD.id, approver_role, OLD.move
				USING ERRCODE = 'insufficient_privilege',
					  HINT = format('Ask a member of %s.', approver_role);
		END IF;
		IF current_user = OLD.requested_by THEN
			RAISE EXCEPTION 'role % cannot decide its own approval request %', current_user, OLD.id
				USING ERRCODE = 'insufficient_privilege',
					  HINT = format('Another member of %s decides it.', approver_role);
		END IF;
		NEW.decided_by := current_user;
		NEW.decided_at := now();
	ELSE
		NEW.decided_by := OLD.decided_by;
		NEW.decided_at := OLD.decided_at;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunity_approvals_before() IS
	'Trigger: checks that a new crm.opportunity_approvals request names a move that needs approval and stamps requester and time; a decision is made once, by a member of the approving role other than the requester, and stamped';

CREATE FUNCTION @extschema@.require_summary(opportunity_id bigint, closing_summary text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF btrim(coalesce(closing_summary, '')) = '' THEN
		RAISE EXCEPTION 'opportunity % cannot be terminated without a closing summary', opportunity_id
			USING ERRCODE = 'check_violation',
				  HINT = 'Set closing_summary (why the deal was terminated) in the same statement.';
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_summary(bigint, text) IS
	'Raises 23514 when the closing summary of an opportunity being terminated is missing or blank; called by the trigger opportunities_before';

CREATE OR REPLACE FUNCTION @extschema@.opportunities_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
			RAISE EXCEPTION 'the customer of opportunity % cannot change', OLD.id
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'Enter the deal again at the other customer, or merge the two customers with crm.merge_customers().';
		END IF;
		PERFORM @extschema@.check_status_transition('opportunity', OLD.id, OLD.status::text, NEW.status::text);
		IF NEW.stage IS DISTINCT FROM OLD.stage AND OLD.status <> 'open'
		   AND NOT @extschema@.stage_renamed(OLD.pipeline, OLD.stage) THEN
			RAISE EXCEPTION 'opportunity % is %: its stage cannot change', OLD.id, OLD.status
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = CASE WHEN OLD.status = 'suspended'
								  THEN 'Reactivate the opportunity (status open) before moving it to another stage.'
								  ELSE 'A closed opportunity keeps the stage it closed in; enter a new opportunity for new business.' END;
		END IF;
		-- approval points: entering a stage that has an approval role, and
		-- reactivating a suspended deal
		IF NEW.stage IS DISTINCT FROM OLD.stage
		   AND NOT @extschema@.stage_renamed(OLD.pipeline, OLD.stage)
		   AND EXISTS (SELECT FROM @extschema@.pipeline_stages s
						WHERE s.pipeline = NEW.pipeline AND s.stage = NEW.stage AND s.approval_role IS NOT NULL) THEN
			PERFORM @extschema@.use_approval(NEW.customer_id, NEW.id, NEW.stage);
		END IF;
		IF OLD.status = 'suspended' AND NEW.status = 'open' THEN
			PERFORM @extschema@.use_approval(NEW.customer_id, NEW.id, 'reactivation');
		END IF;
		NEW.updated_at := now();
		IF NEW.status = 'terminated' AND OLD.status <> 'terminated' THEN
			PERFORM @extschema@.require_summary(NEW.id, NEW.closing_summary);
		END IF;
		IF NEW.status IN ('open', 'suspended') THEN
			NEW.closed_at := NULL;
		ELSIF OLD.status IN ('open', 'suspended') THEN
			NEW.closed_at := now();
		END IF;
	ELSE
		IF NEW.status = 'terminated' THEN
			PERFORM @extschema@.require_summary(NEW.id, NEW.closing_summary);
		END IF;
		IF NEW.status NOT IN ('open', 'suspended') AND NEW.closed_at IS NULL THEN
			NEW.closed_at := now();
		END IF;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_before() IS
	'Trigger: checks status moves and stage changes of crm.opportunities, their approvals (crm.use_approval), the summary of a terminated deal (crm.require_summary) and that its customer stays, sets updated_at and closed_at';

CREATE FUNCTION @extschema@.quotes_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.check_status_transition('quote', OLD.id, OLD.status::text, NEW.status::text);
	IF (NEW.customer_id, NEW.opportunity_id, NEW.version, NEW.amount, NEW.discount_pct, NEW.valid_until, NEW.created_at)
	   IS DISTINCT FROM (OLD.customer_id, OLD.opportunity_id, OLD.version, OLD.amount, OLD.discount_pct, OLD.valid_until, OLD.created_at)
	   AND OLD.status <> 'draft' THEN
		RAISE EXCEPTION 'quote % is %: its terms cannot change', OLD.id, OLD.status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = CASE WHEN OLD.status = 'submitted' THEN 'Move it back to draft first, or write a new version.'
							  ELSE 'Write a new version of the quote.' END;
	END IF;
	IF NEW.status = 'approved' AND OLD.status <> 'approved' THEN
		IF NOT pg_has_role(current_user, 'crm_manager', 'MEMBER') THEN
			RAISE EXCEPTION 'role % cannot approve quote %', current_user, OLD.id
				USING ERRCODE = 'insufficient_privilege',
					  HINT = 'A member of crm_manager approves quotes.';
		END IF;
		NEW.approved_by := current_user;
		NEW.approved_at := now();
	ELSE
		NEW.approved_by := OLD.approved_by;
		NEW.approved_at := OLD.approved_at;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.quotes_before() IS
	'Trigger: checks status moves of crm.quotes (draft -> submitted -> approved or rejected; submitted -> draft), keeps the terms of a quote that is no longer a draft, lets a member of crm_manager approve and stamps approved_by and approved_at';

CREATE TRIGGER quotes_before
	BEFORE UPDATE ON @extschema@.quotes
	FOR EACH ROW EXECUTE FUNCTION @extschema@.quotes_before();

CREATE TRIGGER opportunity_approvals_customer
	BEFORE INSERT ON @extschema@.opportunity_approvals
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('opportunity');
CREATE TRIGGER opportunity_approvals_stamp
	BEFORE INSERT OR UPDATE ON @extschema@.opportunity_approvals
	FOR EACH ROW EXECUTE FUNCTION @extschema@.opportunity_approvals_before();
COMMENT ON FUNCTION @extschema@.parent_customer() IS
	'Trigger: fills in customer_id of a new row of crm.opportunity_owners, crm.opportunity_history, crm.quotes, crm.opportunity_approvals, crm.contract_versions or crm.contract_history from its opportunity or contract when it was left out';

DROP TRIGGER opportunities_detach ON @extschema@.opportunities;
DROP FUNCTION @extschema@.opportunities_detach();
CREATE FUNCTION @extschema@.opportunities_delete()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF OLD.status <> 'archived' AND pg_trigger_depth() = 1 THEN
		RAISE EXCEPTION 'opportunity % is %: only archived opportunities can be deleted', OLD.id, OLD.status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = CASE WHEN OLD.status IN ('open', 'suspended')
							  THEN 'Close it (won, lost or terminated, with a closing summary), archive it, then delete it.'
							  ELSE 'Archive it first (status archived), then delete it.' END;
	END IF;
	UPDATE @extschema@.contracts k SET opportunity_id = NULL
	 WHERE k.customer_id = OLD.customer_id AND k.opportunity_id = OLD.id;
	RETURN OLD;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_delete() IS
	'Trigger: refuses to delete an opportunity that is not archived (55000) unless its customer is deleted; before an opportunity is deleted, its contracts lose their opportunity_id';

CREATE TRIGGER opportunities_delete
	BEFORE DELETE ON @extschema@.opportunities
	FOR EACH ROW EXECUTE FUNCTION @extschema@.opportunities_delete();

CREATE OR REPLACE FUNCTION @extschema@.campaigns_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.status IN ('approved', 'active', 'completed') AND NEW.approved_by IS NULL THEN
			RAISE EXCEPTION 'campaign % is % but names no approver', NEW.name, NEW.status
				USING ERRCODE = 'check_violation',
					  HINT = 'Set approved_by, or enter the campaign as planned or submitted and approve it with an UPDATE of its status.';
		END IF;
		RETURN NEW;
	END IF;
	PERFORM @extschema@.check_status_transition('campaign', OLD.id, OLD.status::text, NEW.status::text);
	-- the approver: the role named, or the role approving
	IF NEW.status = 'approved' AND OLD.status <> 'approved' AND NEW.approved_by IS NULL THEN
		NEW.approved_by := current_user;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.campaigns_before() IS
	'Trigger: checks status moves of crm.campaigns; a campaign approved without approved_by is approved by the role making the change; a campaign entered approved, active or completed must name its approver (23514)';

DROP TRIGGER campaigns_before ON @extschema@.campaigns;
CREATE TRIGGER campaigns_before
	BEFORE INSERT OR UPDATE OF status ON @extschema@.campaigns
	FOR EACH ROW EXECUTE FUNCTION @extschema@.campaigns_before();

CREATE TRIGGER audit_insert AFTER INSERT ON @extschema@.opportunity_approvals
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('opportunity_approvals');
CREATE TRIGGER audit_update AFTER UPDATE ON @extschema@.opportunity_approvals
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('opportunity_approvals');
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.opportunity_approvals
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('opportunity_approvals');
CREATE TRIGGER audit_truncate AFTER TRUNCATE ON @extschema@.opportunity_approvals
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('opportunity_approvals');
-- the history of a deal is deleted with it (a purge of archived deals, or
-- the deletion of its customer): the audit log keeps it
CREATE TRIGGER audit_delete AFTER DELETE ON @extschema@.opportunity_history
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.audit_changes('opportunity_history');
COMMENT ON TABLE @extschema@.audit_log IS
	'Audit trail: one row per inserted, updated or deleted row of crm.customers, crm.contacts, crm.orders, crm.service_costs, crm.campaign_members, crm.opportunities, crm.quotes, crm.opportunity_approvals and crm.contracts, and per deleted row of crm.opportunity_history, written by trigger in the same transaction; append-only (see crm.audit_purge)';
COMMENT ON COLUMN @extschema@.audit_log.table_name IS 'Table changed: customers, contacts, orders, service_costs, campaign_members, opportunities, quotes, opportunity_approvals, contracts, or opportunity_history (deleted rows only)';

CREATE OR REPLACE FUNCTION @extschema@.row_security_policies()
RETURNS TABLE (table_name text, kind text, visible text, insertable text, updatable text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH kinds (t, k) AS (VALUES
		('customers', 'customer'),
		('contacts', 'customer data'), ('orders', 'customer data'), ('service_costs', 'customer data'),
		('campaign_members', 'customer data'), ('contracts', 'customer data'),
		('opportunities', 'opportunity'),
		('opportunity_owners', 'opportunity data'), ('quotes', 'opportunity data'),
		('opportunity_approvals', 'opportunity data'),
		('opportunity_history', 'history'), ('contract_versions', 'history'), ('contract_history', 'history'),
		('customer_grades', 'history'), ('grade_history', 'history'), ('audit_log', 'history'),
		('campaigns', 'campaigns'),
		('models', 'models')
	), e AS (
		SELECT kinds.t, kinds.k,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) %I.customer_id)', kinds.t) AS cust_visible,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) %I.customer_id AND @extschema@.can_edit(c.owner))', kinds.t) AS cust_editable,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.customer_id OPERATOR(pg_catalog.=) %1$I.customer_id AND o.id OPERATOR(pg_catalog.=) %1$I.opportunity_id)', kinds.t) AS opp_visible,
			   pg_catalog.format('EXISTS (SELECT FROM @extschema@.opportunities o WHERE o.customer_id OPERATOR(pg_catalog.=) %1$I.customer_id AND o.id OPERATOR(pg_catalog.=) %1$I.opportunity_id AND (o.owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) o.customer_id AND @extschema@.can_edit(c.owner))))', kinds.t) AS opp_editable
		  FROM kinds
	)
	SELECT e.t, e.k, v.visible, v.insertable, coalesce(v.updatable, v.insertable)
	  FROM e, LATERAL (SELECT
		CASE e.k
			WHEN 'customer' THEN '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR confidentiality OPERATOR(pg_catalog.<=) (SELECT @extschema@.clearance()) OR (SELECT @extschema@.is_manager()))'
			WHEN 'customer data' THEN e.cust_visible
			WHEN 'opportunity' THEN '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR ' OPERATOR(pg_catalog.||) e.cust_visible OPERATOR(pg_catalog.||) ')'
			WHEN 'opportunity data' THEN e.opp_visible
			WHEN 'history' THEN CASE e.t
				WHEN 'opportunity_history' THEN e.opp_visible
				WHEN 'audit_log' THEN '((SELECT @extschema@.is_manager()) OR ' OPERATOR(pg_catalog.||) e.cust_visible OPERATOR(pg_catalog.||) ')'
				ELSE e.cust_visible END
			WHEN 'campaigns' THEN 'true'
			WHEN 'models' THEN '(shared OR trained_by OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'
		END AS visible,
		CASE e.k
			WHEN 'customer' THEN '(owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'
			WHEN 'customer data' THEN e.cust_editable
			-- a new deal: at a customer one may edit, or one's own deal at a customer one sees
			WHEN 'opportunity' THEN 'EXISTS (SELECT FROM @extschema@.customers c WHERE c.id OPERATOR(pg_catalog.=) opportunities.customer_id AND (@extschema@.can_edit(c.owner) OR opportunities.owner OPERATOR(pg_catalog.=) CURRENT_USER::text))'
			WHEN 'opportunity data' THEN e.opp_editable
			WHEN 'history' THEN 'false'
			WHEN 'campaigns' THEN '(SELECT @extschema@.is_manager())'
			WHEN 'models' THEN '(trained_by OPERATOR(pg_catalog.=) CURRENT_USER::text OR (SELECT @extschema@.is_manager()))'
		END AS insertable,
		-- a changed deal: one's own (at any customer: its customer cannot
		-- change, trigger opportunities_before), or at a customer one may edit
		CASE e.k
			WHEN 'opportunity' THEN '(opportunities.owner OPERATOR(pg_catalog.=) CURRENT_USER::text OR ' OPERATOR(pg_catalog.||) e.cust_editable OPERATOR(pg_catalog.||) ')'
		END AS updatable) v
	 ORDER BY e.t;
END;
COMMENT ON FUNCTION @extschema@.row_security_policies() IS
	'The tables crm.enable_row_security() protects, each with its kind (who may write it) and the SQL conditions for seeing a row (USING), inserting one and updating one (WITH CHECK)';

CREATE OR REPLACE FUNCTION @extschema@.merge_customers(keep bigint, drop bigint)
RETURNS TABLE (table_name text, rows_moved bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		@extschema@.customers;
	d		@extschema@.customers;
	n		bigint;
	tab		text;
	cols	text;
	vals	text;
	tables	text[] := '{contacts,orders,service_costs,campaign_members,opportunities,opportunity_owners,opportunity_history,quotes,opportunity_approvals,contracts,contract_versions,contract_history,grade_history}';
BEGIN
	IF keep IS NULL OR drop IS NULL THEN
		RAISE EXCEPTION 'keep and drop must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the id of the customer to keep and of its duplicate to merge into it.';
	END IF;
	IF keep = drop THEN
		RAISE EXCEPTION 'cannot merge customer % into itself', keep
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'keep and drop must be two different customers.';
	END IF;
	-- lock both, the lower id first so that two merges cannot deadlock (one
	-- customer per statement: a single shard under Citus)
	PERFORM FROM @extschema@.customers c WHERE c.id = least(keep, drop) FOR UPDATE;
	PERFORM FROM @extschema@.customers c WHERE c.id = greatest(keep, drop) FOR UPDATE;
	SELECT * INTO k FROM @extschema@.customers c WHERE c.id = keep;
	SELECT * INTO d FROM @extschema@.customers c WHERE c.id = drop;
	IF k.id IS NULL OR d.id IS NULL THEN
		RAISE EXCEPTION 'customer % does not exist', CASE WHEN k.id IS NULL THEN keep ELSE drop END
			USING ERRCODE = 'no_data_found',
				  HINT = 'Both customers must exist: find them with crm.find_duplicates().';
	END IF;
	PERFORM @extschema@.set_audit_context(format('merge_customers(keep => %s, drop => %s)', keep, drop));

	-- Every table of per-customer rows but the customer's own grades and
	-- audit trail, parents before children: the rows are copied to keep with
	-- their ids (customer_id is part of every key, and under Citus it cannot
	-- change in place: it says which shard holds the row), and deleting drop
	-- below removes the originals through the foreign keys' ON DELETE CASCADE.
	IF EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
				WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
				  AND a.attname = 'customer_id' AND NOT a.attisdropped
				  AND c.relname <> ALL (tables || '{customer_grades,audit_log}'::text[])) THEN
		RAISE EXCEPTION 'merge_customers does not know every table of customer rows'
			USING ERRCODE = 'internal_error',
				  HINT = 'Add the new table to the list in merge_customers (duplicates.sql).';
	END IF;
	FOREACH tab IN ARRAY tables LOOP
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
			   string_agg(CASE WHEN a.attname = 'customer_id' THEN '$1' ELSE 'r.' || quote_ident(a.attname) END, ', ' ORDER BY a.attnum)
		  INTO cols, vals
		  FROM pg_attribute a
		 WHERE a.attrelid = format('@extschema@.%I', tab)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
		EXECUTE format('INSERT INTO @extschema@.%I AS t (%s) SELECT %s FROM @extschema@.%I r WHERE r.customer_id = $2%s',
					   tab, cols, vals, tab,
					   CASE WHEN tab = 'campaign_members' THEN ' ON CONFLICT (campaign_id, customer_id) DO NOTHING' ELSE '' END)
			USING keep, drop;
		GET DIAGNOSTICS n = ROW_COUNT;
		table_name := tab;
		rows_moved := n;
		RETURN NEXT;
	END LOOP;

	-- The kept customer gets the union of tags, the dropped one's attributes
	-- where it has none of its own, and its contact data where missing; its
	-- attribute merged_from lists the ids merged into it (so its own audit
	-- history shows the merge).
	UPDATE @extschema@.customers c
	   SET tags = ARRAY(SELECT DISTINCT t FROM unnest(k.tags || d.tags) t ORDER BY t),
		   attributes = d.attributes || k.attributes
						|| jsonb_build_object('merged_from', coalesce(k.attributes -> 'merged_from', '[]') || to_jsonb(drop)),
		   industry = coalesce(k.industry, d.industry),
		   region = coalesce(k.region, d.region),
		   channel = coalesce(k.channel, d.channel),
		   phone = coalesce(k.phone, d.phone),
		   email = coalesce(k.email, d.email),
		   address = coalesce(k.address, d.address),
		   owner = coalesce(k.owner, d.owner),
		   confidentiality = greatest(k.confidentiality, d.confidentiality),
		   created_at = least(k.created_at, d.created_at)
	 WHERE c.id = keep;
	-- its grade is out of date: crm.refresh_grades computes it again
	DELETE FROM @extschema@.customer_grades g WHERE g.customer_id = keep;
	DELETE FROM @extschema@.customers c WHERE c.id = drop;
	PERFORM @extschema@.set_audit_context('');
	table_name := 'customers';
	rows_moved := 1;
	RETURN NEXT;
END;
$$;
COMMENT ON FUNCTION @extschema@.merge_customers(bigint, bigint) IS
	'Merges customer drop into keep: moves every dependent row (contacts, orders, costs, campaign memberships, opportunities, contracts, grade history, ...), fills keep''s missing fields from drop, appends drop to keep''s attributes.merged_from, deletes drop; returns the rows moved per table. The audit log records each change with context merge_customers(keep => .., drop => ..)';

GRANT SELECT ON @extschema@.opportunity_approvals TO crm_reader;
GRANT USAGE ON SEQUENCE @extschema@.opportunity_approvals_id_seq TO crm_rep;
GRANT INSERT (customer_id, opportunity_id, move, note) ON @extschema@.opportunity_approvals TO crm_rep;
GRANT UPDATE (decision, note) ON @extschema@.opportunity_approvals TO crm_manager;


--------------------------------------------------------------------------
-- Quotas (seed 002): short-term targets from the forecast, adjustments per
-- product, region, channel or rep; allocate_quotas writes through the same
-- internal function
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.write_quotas(fn text, starts date[], step interval, period_targets numeric[],
										 dimension text, basis text, as_of date, note text)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys text[];
	key_weights numeric[];
	key_targets numeric[];
	i integer;
	j integer;
BEGIN
	IF dimension IS NOT NULL THEN
		SELECT array_agg(s.key ORDER BY s.key), array_agg(s.sales ORDER BY s.key)
		  INTO keys, key_weights
		  FROM @extschema@.sales_share(dimension, basis, as_of) s;
		IF keys IS NULL THEN
			RAISE EXCEPTION '%: no % has sales in the % window ending %', fn, dimension, basis, as_of
				USING ERRCODE = 'no_data_found',
					  HINT = 'Choose another basis or as_of, or allocate without a dimension.';
		END IF;
	ELSE
		keys := ARRAY[NULL::text];
		key_weights := ARRAY[1::numeric];
	END IF;
	FOR i IN 1 .. cardinality(starts) LOOP
		key_targets := @extschema@.allocate(period_targets[i], key_weights, 2);
		FOR j IN 1 .. cardinality(keys) LOOP
			RETURN QUERY
			INSERT INTO @extschema@.quotas AS q (period_start, period_end, owner, region, product, channel, target, note)
			VALUES (starts[i], (starts[i] + step)::date - 1,
					CASE WHEN dimension = 'owner' THEN keys[j] END,
					CASE WHEN dimension = 'region' THEN keys[j] END,
					CASE WHEN dimension = 'product' THEN keys[j] END,
					CASE WHEN dimension = 'channel' THEN keys[j] END,
					key_targets[j], note)
			ON CONFLICT ON CONSTRAINT quotas_one_target
			DO UPDATE SET target = EXCLUDED.target, note = EXCLUDED.note
			RETURNING q.*;
		END LOOP;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.write_quotas(text, date[], interval, numeric[], text, text, date, text) IS
	'Internal (crm.allocate_quotas, crm.forecast_quotas): writes each period''s target into crm.quotas, split exactly by the dimension''s sales shares (crm.sales_share) when dimension is given, replacing a target of the same period and combination; returns the rows written';

CREATE OR REPLACE FUNCTION @extschema@.allocate_quotas(year integer, annual_target numeric, period text DEFAULT 'month',
											dimension text DEFAULT NULL, basis text DEFAULT 'ytd',
											as_of date DEFAULT NULL, adjust_pct numeric DEFAULT 0)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	step interval;
	target numeric;
	starts date[];
	bounds timestamptz[];
	period_targets numeric[];
	period_weights numeric[];
	note text;
BEGIN
	IF year IS NULL OR year NOT BETWEEN 1901 AND 9998 THEN
		RAISE EXCEPTION 'allocate_quotas: year must be between 1901 and 9998, got %', coalesce(year::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the calendar year the targets are for.';
	END IF;
	IF annual_target IS NULL OR annual_target < 0 OR annual_target IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'allocate_quotas: annual_target must be a finite number >= 0, got %', coalesce(annual_target::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the target revenue of the whole year.';
	END IF;
	IF adjust_pct IS NULL OR adjust_pct <= -100 OR adjust_pct IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'allocate_quotas: adjust_pct must be a finite number above -100, got %', coalesce(adjust_pct::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the adjustment in percent: 5 for +5 %, -10 for -10 %, 0 for none.';
	END IF;
	step := CASE period WHEN 'year' THEN interval '12 months' WHEN 'half' THEN interval '6 months'
						WHEN 'quarter' THEN interval '3 months' WHEN 'month' THEN interval '1 month' END;
	IF step IS NULL THEN
		RAISE EXCEPTION 'allocate_quotas: period must be year, half, quarter or month, got %', coalesce(quote_literal(period), 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The annual target is split into periods of this length.';
	END IF;
	as_of := coalesce(as_of, make_date(year - 1, 12, 31));
	target := round(annual_target * (1 + adjust_pct / 100), 2);

	-- periods of the year, weighted by last year's sales in the same period:
	-- the periods one year back are contiguous, bounds[i] to bounds[i + 1]
	-- (midnight in the session's time zone, computed here), and the orders
	-- of last year are summed per period by one aggregate that the shards
	-- compute in part
	SELECT array_agg(p.start::date ORDER BY p.start),
		   array_agg((p.start - interval '1 year')::date::timestamptz ORDER BY p.start)
			 || make_date(year, 1, 1)::timestamptz
	  INTO starts, bounds
	  FROM generate_series(make_date(year, 1, 1), make_date(year, 12, 1), step) AS p(start);
	SELECT array_agg(coalesce(w.sales, 0) ORDER BY g.n)
	  INTO period_weights
	  FROM generate_subscripts(starts, 1) AS g(n)
	  LEFT JOIN (SELECT width_bucket(o.ordered_at, bounds) AS n, sum(o.amount) AS sales
				   FROM @extschema@.orders o
				  WHERE o.ordered_at >= bounds[1] AND o.ordered_at < bounds[cardinality(bounds)]
				  GROUP BY 1) w ON w.n = g.n;
	IF (SELECT sum(w) FROM unnest(period_weights) w) = 0 THEN
		period_weights := array_fill(1::numeric, ARRAY[cardinality(starts)]);
	END IF;
	period_targets := @extschema@.allocate(target, period_weights, 2);

	note := format('allocate_quotas: %s of %s adjusted %s %%, %s by last year''s sales%s',
				   period, annual_target, adjust_pct,
				   CASE WHEN dimension IS NULL THEN 'all' ELSE 'by ' || dimension END,
				   CASE WHEN dimension IS NULL THEN '' ELSE format(', %s shares as of %s', basis, as_of) END);
	RETURN QUERY
	SELECT * FROM @extschema@.write_quotas('allocate_quotas', starts, step, period_targets, dimension, basis, as_of, note);
END;
$$;
COMMENT ON FUNCTION @extschema@.allocate_quotas(integer, numeric, text, text, text, date, numeric) IS
	'Writes targets for year into crm.quotas and returns the rows written: annual_target * (1 + adjust_pct / 100), rounded to cents, is split exactly (crm.allocate) into periods (year, half, quarter or month) by last year''s sales in the same periods (evenly when last year had none), and each period''s target, when dimension is given, exactly into products, regions, channels or owners by their share of sales in the basis window (mtd, qtd, ytd: crm.sales_share) ending at as_of (default: the last day of the year before). An existing target for the same period and combination is replaced. Errors: bad year, target, adjust_pct, period, dimension or basis (22023), no sales to share by (P0002)';

CREATE FUNCTION @extschema@.forecast_quotas(from_month date, months integer DEFAULT 3,
											method text DEFAULT 'seasonal_naive', dimension text DEFAULT NULL,
											basis text DEFAULT 'ytd', adjust_pct numeric DEFAULT 0)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	first_month date;
	forecast float8[];
	period_targets numeric[];
	starts date[];
	note text;
BEGIN
	IF from_month IS NULL OR NOT isfinite(from_month) OR from_month <> date_trunc('month', from_month)::date THEN
		RAISE EXCEPTION 'forecast_quotas: from_month must be the first day of a month, got %', coalesce(from_month::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'For example date ''2026-01-01'': the targets start that month.';
	END IF;
	IF months IS NULL OR months NOT BETWEEN 1 AND 24 THEN
		RAISE EXCEPTION 'forecast_quotas: months must be between 1 and 24, got %', coalesce(months::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Short-term targets: the next 1 to 24 months; crm.allocate_quotas splits a year.';
	END IF;
	IF adjust_pct IS NULL OR adjust_pct <= -100 OR adjust_pct IN ('Infinity', 'NaN') THEN
		RAISE EXCEPTION 'forecast_quotas: adjust_pct must be a finite number above -100, got %', coalesce(adjust_pct::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give the adjustment in percent: 5 for +5 %, -10 for -10 %, 0 for none.';
	END IF;
	-- the series ends with the month before from_month (a 0 row makes it
	-- end there even without sales in that month)
	SELECT min(o.ordered_at::date) INTO first_month
	  FROM @extschema@.orders o WHERE o.ordered_at < from_month::timestamptz;
	IF first_month IS NULL THEN
		RAISE EXCEPTION 'forecast_quotas: no sales before %', from_month
			USING ERRCODE = 'no_data_found', HINT = 'The forecast needs the monthly sales before from_month.';
	END IF;
	-- (monthly sums in numeric first: exact, whatever order the rows come in)
	SELECT @extschema@.seasonal_forecast(m.month, m.sales::float8, months, method) INTO forecast
	  FROM (SELECT date_trunc('month', o.ordered_at::date)::date AS month, sum(o.amount) AS sales
			  FROM @extschema@.orders o WHERE o.ordered_at < from_month::timestamptz
			 GROUP BY 1
			UNION ALL
			SELECT (from_month - interval '1 month')::date, 0) m;
	SELECT array_agg(round(greatest(f, 0)::numeric * (1 + adjust_pct / 100), 2) ORDER BY n),
		   array_agg((from_month + (n - 1) * interval '1 month')::date ORDER BY n)
	  INTO period_targets, starts
	  FROM unnest(forecast) WITH ORDINALITY AS x(f, n);
	note := format('forecast_quotas: %s forecast of the sales before %s, adjusted %s %%, %s%s',
				   method, from_month, adjust_pct,
				   CASE WHEN dimension IS NULL THEN 'all' ELSE 'by ' || dimension END,
				   CASE WHEN dimension IS NULL THEN '' ELSE format(', %s shares as of %s', basis, from_month - 1) END);
	RETURN QUERY
	SELECT * FROM @extschema@.write_quotas('forecast_quotas', starts, interval '1 month', period_targets,
										   dimension, basis, from_month - 1, note);
END;
$$;
COMMENT ON FUNCTION @extschema@.forecast_quotas(date, integer, text, text, text, numeric) IS
	'Writes monthly targets for the months months from from_month on into crm.quotas and returns the rows written: the crm.seasonal_forecast (method naive, seasonal_naive, moving_average or holt_winters) of total monthly sales before from_month, negative forecasts as 0, times (1 + adjust_pct / 100), rounded to cents, split exactly by the dimension''s sales shares in the basis window ending the day before from_month (as crm.allocate_quotas). An existing target for the same month and combination is replaced. Errors: bad from_month, months, adjust_pct, method, dimension or basis, too short a series (22023), no sales before from_month (P0002)';

CREATE FUNCTION @extschema@.dimension_quotas(from_day date, to_day date, dimension text)
RETURNS TABLE (id bigint, period_start date, period_end date, key text, target numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT q.id, q.period_start, q.period_end,
		   CASE dimension WHEN 'product' THEN q.product WHEN 'region' THEN q.region
						  WHEN 'channel' THEN q.channel ELSE q.owner END, q.target
	  FROM @extschema@.quotas q
	 WHERE q.period_start BETWEEN from_day AND to_day
	   AND num_nonnulls(q.product, q.region, q.channel, q.owner) = 1
	   AND CASE dimension WHEN 'product' THEN q.product WHEN 'region' THEN q.region
						  WHEN 'channel' THEN q.channel ELSE q.owner END IS NOT NULL
$$;
COMMENT ON FUNCTION @extschema@.dimension_quotas(date, date, text) IS
	'Internal (crm.adjust_quotas): the targets of one dimension (product, region, channel or owner) in crm.quotas, the rows with that column set and the others NULL, of the periods starting from from_day to to_day, with the key';

CREATE FUNCTION @extschema@.adjust_quotas(from_day date, to_day date, dimension text, adjust_pct jsonb,
										  keep_total boolean DEFAULT false)
RETURNS SETOF @extschema@.quotas
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	unknown text;
	bad text;
	noted text := format('adjust_quotas by %s on %s: %s%s', current_user, current_date,
						 adjust_pct::text, CASE WHEN keep_total THEN ', total kept' ELSE '' END);
	ids bigint[];
	targets numeric[];
BEGIN
	IF from_day IS NULL OR to_day IS NULL OR NOT isfinite(from_day) OR NOT isfinite(to_day) OR to_day < from_day THEN
		RAISE EXCEPTION 'adjust_quotas: the periods from % to % are not a range of days', coalesce(from_day::text, 'NULL'), coalesce(to_day::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give finite dates, from_day not after to_day: the targets of the periods starting between them are adjusted.';
	END IF;
	IF dimension IS NULL OR dimension NOT IN ('product', 'region', 'channel', 'owner') THEN
		RAISE EXCEPTION 'adjust_quotas: dimension must be product, region, channel or owner, got %', coalesce(quote_literal(dimension), 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The targets of one dimension (as crm.allocate_quotas writes them) are adjusted.';
	END IF;
	IF adjust_pct IS NULL OR jsonb_typeof(adjust_pct) <> 'object' OR adjust_pct = '{}' THEN
		RAISE EXCEPTION 'adjust_quotas: adjust_pct must be a JSON object of keys and percents, got %', coalesce(adjust_pct::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ''{"North": 10, "South": -5}'': North +10 %, South -5 %.';
	END IF;
	SELECT string_agg(format('%s: %s', e.key, e.value), ', ' ORDER BY e.key) INTO bad
	  FROM jsonb_each(adjust_pct) e
	 WHERE jsonb_typeof(e.value) <> 'number' OR (e.value::text)::numeric <= -100;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'adjust_quotas: each adjustment must be a number above -100 (percent), got %', bad
			USING ERRCODE = 'invalid_parameter_value', HINT = '5 for +5 %, -10 for -10 %.';
	END IF;
	SELECT string_agg(quote_literal(e.key), ', ' ORDER BY e.key) INTO unknown
	  FROM jsonb_object_keys(adjust_pct) e(key)
	 WHERE NOT EXISTS (SELECT FROM @extschema@.dimension_quotas(from_day, to_day, dimension) d WHERE d.key = e.key);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'adjust_quotas: no target of % % starts between % and %', dimension, unknown, from_day, to_day
			USING ERRCODE = 'no_data_found',
				  HINT = 'Write the targets first (crm.allocate_quotas or crm.forecast_quotas with this dimension), or name keys that have targets.';
	END IF;
	-- the new targets first, then one UPDATE per quota: under Citus crm.quotas
	-- is a reference table, and an UPDATE of it cannot read it again
	SELECT array_agg(t.id), array_agg(t.target) INTO ids, targets
	  FROM (SELECT array_agg(d.id ORDER BY d.key) AS ids,
				   CASE WHEN keep_total
						THEN @extschema@.allocate(sum(d.target), array_agg(d.target * (1 + coalesce((adjust_pct ->> d.key)::numeric, 0) / 100) ORDER BY d.key), 2)
						ELSE array_agg(round(d.target * (1 + coalesce((adjust_pct ->> d.key)::numeric, 0) / 100), 2) ORDER BY d.key) END AS targets
			  FROM @extschema@.dimension_quotas(from_day, to_day, dimension) d
			 GROUP BY d.period_start, d.period_end) p,
		   unnest(p.ids, p.targets) AS t(id, target);
	FOR i IN 1 .. coalesce(cardinality(ids), 0) LOOP
		RETURN QUERY
		UPDATE @extschema@.quotas q
		   SET target = targets[i],
			   note = CASE WHEN q.note IS NULL THEN noted ELSE q.note || '; ' || noted END
		 WHERE q.id = ids[i] AND q.target IS DISTINCT FROM targets[i]
		RETURNING q.*;
	END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.adjust_quotas(date, date, text, jsonb, boolean) IS
	'Adjusts the targets in crm.quotas of one dimension (product, region, channel or owner; the rows with that column set and the other three NULL) of the periods starting from from_day to to_day: each key named in adjust_pct (a JSON object, e.g. {"North": 10, "South": -5}) moves by its percent; with keep_total each period''s total stays and is split again exactly (crm.allocate) by the targets weighted with (1 + percent / 100), so the other keys move the other way. Appends who, when and what to the note; returns the rows changed. Errors: bad dates, dimension or adjustments (22023), a key without targets in the range (P0002)';

REVOKE EXECUTE ON FUNCTION
	@extschema@.write_quotas(text, date[], interval, numeric[], text, text, date, text),
	@extschema@.forecast_quotas(date, integer, text, text, text, numeric),
	@extschema@.adjust_quotas(date, date, text, jsonb, boolean)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.write_quotas(text, date[], interval, numeric[], text, text, date, text),
	@extschema@.forecast_quotas(date, integer, text, text, text, numeric),
	@extschema@.adjust_quotas(date, date, text, jsonb, boolean)
	TO crm_admin;


--------------------------------------------------------------------------
-- The churn risk of new customers (seed 002)
--------------------------------------------------------------------------

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


--------------------------------------------------------------------------
-- The key-account file (seed 003): validated, dated field by field,
-- reviewed; what key accounts have in common and the future ones
-- (src/key_accounts.sql).  Files written before are not checked until
-- they change.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.key_account_layout()
RETURNS TABLE (section text, field text, kind text, required boolean, description text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	VALUES
		('basic', 'legal_representative', 'text', true, 'Legal representative'),
		('basic', 'founded', 'year', true, 'Year the company was founded'),
		('basic', 'trading_since', 'date', false, 'Day the company started trading with us (default: its first order)'),
		('basic', 'legal_form', 'text', true, 'Legal form: limited company, joint-stock company, ...'),
		('basic', 'assets', 'amount', false, 'Total assets, >= 0'),
		('characteristics', 'size', 'small|medium|large', true, 'Size'),
		('characteristics', 'service_area', 'text', false, 'Area it serves'),
		('characteristics', 'employees', 'count', false, 'Employees, >= 0'),
		('characteristics', 'sales_capacity', 'amount', false, 'Sales capacity per year, >= 0'),
		('characteristics', 'growth_potential', 'low|medium|high', true, 'Growth potential'),
		('business', 'cooperation', 'new|occasional|regular|strategic', true, 'Cooperation with us'),
		('business', 'main_competitor', 'text', false, 'The competitor it also buys from'),
		('business', 'competitor_relations', 'text', false, 'Its relations with competitors'),
		('trading', 'trade_terms', 'text', true, 'Trade terms, e.g. net 30'),
		('trading', 'credit_incidents', 'count', false, 'Credit incidents so far, >= 0'),
		('trading', 'problems', 'text list', false, 'Problems in the trade, a JSON array of texts'),
		('trading', 'strengths', 'text list', false, 'Strengths of the relationship, a JSON array of texts');
END;
COMMENT ON FUNCTION @extschema@.key_account_layout() IS
	'The layout of the key-account file in crm.customers.attributes: its sections (basic, characteristics, business, trading), their fields, the kind of each (text, year 1800..2100, date YYYY-MM-DD, amount >= 0, count: an integer >= 0, text list: an array of texts, or one of the values listed), whether a key account''s file needs it, and what it holds';

CREATE FUNCTION @extschema@.is_date(value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN value OPERATOR(pg_catalog.~) '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
			THEN pg_catalog.substr(value, 9, 2)::integer OPERATOR(pg_catalog.<=)
				 pg_catalog.date_part('day', pg_catalog.make_date(pg_catalog.substr(value, 1, 4)::integer, pg_catalog.substr(value, 6, 2)::integer, 1)
											 OPERATOR(pg_catalog.+) interval '1 month -1 day')
			ELSE false END;
COMMENT ON FUNCTION @extschema@.is_date(text) IS
	'True when value is a date written YYYY-MM-DD (the key-account file''s dates); NULL for NULL';

-- What is wrong with the file in attributes, one message per fault; empty
-- when it follows the layout (or there is no file).
CREATE FUNCTION @extschema@.key_account_file_errors(attributes jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (PL/pgSQL, not SQL: its plan is kept from one call to the next)
	RETURN (SELECT coalesce(array_agg(e.message ORDER BY e.message), '{}')
	  FROM (
		-- a section that is not an object
		SELECT format('%s must be a JSON object, got %s', s.section, jsonb_typeof(attributes -> s.section)) AS message
		  FROM (SELECT DISTINCT l.section FROM @extschema@.key_account_layout() l) s
		 WHERE jsonb_typeof(attributes -> s.section) NOT IN ('object', 'null')
		UNION ALL
		-- a field the layout does not have
		SELECT format('%s.%s is not a field of the key-account file', f.section, f.field)
		  FROM (SELECT DISTINCT l.section FROM @extschema@.key_account_layout() l) s,
			   LATERAL (SELECT s.section, k AS field FROM jsonb_object_keys(
							CASE WHEN jsonb_typeof(attributes -> s.section) = 'object' THEN attributes -> s.section ELSE '{}' END) k) f
		 WHERE NOT EXISTS (SELECT FROM @extschema@.key_account_layout() l WHERE l.section = f.section AND l.field = f.field)
		UNION ALL
		-- a value of the wrong kind
		SELECT format('%s.%s must be %s, got %s', l.section, l.field,
					  CASE l.kind WHEN 'year' THEN 'a year between 1800 and 2100' WHEN 'date' THEN 'a date YYYY-MM-DD'
								  WHEN 'amount' THEN 'a number >= 0' WHEN 'count' THEN 'an integer >= 0'
								  WHEN 'text list' THEN 'an array of texts' WHEN 'text' THEN 'a text'
								  ELSE 'one of ' || replace(l.kind, '|', ', ') END,
					  v)
		  FROM @extschema@.key_account_layout() l,
			   LATERAL (SELECT attributes -> l.section -> l.field AS v) x
		 WHERE jsonb_typeof(attributes -> l.section) = 'object' AND v IS NOT NULL AND v <> 'null'
		   AND NOT CASE l.kind
				WHEN 'text' THEN jsonb_typeof(v) = 'string'
				WHEN 'year' THEN jsonb_typeof(v) = 'number' AND (v::text)::numeric BETWEEN 1800 AND 2100
								 AND (v::text)::numeric % 1 = 0
				WHEN 'date' THEN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^\d{4}-\d{2}-\d{2}$'
								 AND @extschema@.is_date(v #>> '{}')
				WHEN 'amount' THEN jsonb_typeof(v) = 'number' AND (v::text)::numeric >= 0
				WHEN 'count' THEN jsonb_typeof(v) = 'number' AND (v::text)::numeric >= 0 AND (v::text)::numeric % 1 = 0
				WHEN 'text list' THEN jsonb_typeof(v) = 'array'
									  AND NOT EXISTS (SELECT FROM jsonb_array_elements(v) a WHERE jsonb_typeof(a) <> 'string')
				ELSE jsonb_typeof(v) = 'string' AND (v #>> '{}') = ANY (string_to_array(l.kind, '|'))
			END) e);
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_file_errors(jsonb) IS
	'The faults of the key-account file in a customer''s attributes against crm.key_account_layout(): a section that is not an object, a field the layout lacks, a value of the wrong kind; one message each, sorted; empty when the file is right or absent';


-- The fields of a file, as "section.field" with their values.
CREATE FUNCTION @extschema@.key_account_fields(attributes jsonb)
RETURNS TABLE (field text, value jsonb)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT l.section || '.' || l.field, attributes -> l.section -> l.field
	  FROM @extschema@.key_account_layout() l
	 WHERE jsonb_typeof(attributes -> l.section -> l.field) NOT IN ('null');
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_fields(jsonb) IS
	'The fields present in the key-account file of attributes, as section.field and value';

-- Trigger: a file that does not follow the layout is refused; each field
-- is dated with the day it last changed or the file was last reviewed
-- (attributes.field_dates, kept by the database: a date written there by
-- hand is replaced, but for a row inserted with its dates, as pg_restore
-- does).
CREATE FUNCTION @extschema@.customers_key_account()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	faults text[];
	dates jsonb;
BEGIN
	-- a superuser's bulk load (crm.audit = off, pg_restore: crm.audit_skip)
	-- is taken as it is, like the audit; so is a change that leaves the file
	IF @extschema@.audit_skip()
	   OR (TG_OP = 'UPDATE'
		   AND (NEW.attributes -> 'basic', NEW.attributes -> 'characteristics', NEW.attributes -> 'business',
				NEW.attributes -> 'trading', NEW.attributes -> 'reviewed', NEW.attributes -> 'field_dates')
			   IS NOT DISTINCT FROM
			   (OLD.attributes -> 'basic', OLD.attributes -> 'characteristics', OLD.attributes -> 'business',
				OLD.attributes -> 'trading', OLD.attributes -> 'reviewed', OLD.attributes -> 'field_dates')) THEN
		RETURN NEW;
	END IF;
	faults := @extschema@.key_account_file_errors(NEW.attributes);
	IF cardinality(faults) > 0 THEN
		RAISE EXCEPTION 'the key-account file of customer % is not valid: %', coalesce(NEW.name, NEW.id::text), array_to_string(faults, '; ')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'SELECT * FROM crm.key_account_layout() lists the sections, fields and kinds.';
	END IF;
	SELECT jsonb_object_agg(f.field,
			CASE WHEN TG_OP = 'INSERT' AND @extschema@.is_date(NEW.attributes -> 'field_dates' ->> f.field)
					  THEN NEW.attributes -> 'field_dates' -> f.field
				 WHEN TG_OP = 'UPDATE' AND f.value IS NOT DISTINCT FROM OLD.attributes #> string_to_array(f.field, '.')
					  AND NEW.attributes -> 'reviewed' IS NOT DISTINCT FROM OLD.attributes -> 'reviewed'
					  AND @extschema@.is_date(OLD.attributes -> 'field_dates' ->> f.field)
					  THEN OLD.attributes -> 'field_dates' -> f.field
				 ELSE to_jsonb(to_char(current_date, 'YYYY-MM-DD')) END)
	  INTO dates
	  FROM @extschema@.key_account_fields(NEW.attributes) f;
	NEW.attributes := CASE WHEN dates IS NULL THEN NEW.attributes - 'field_dates'
						   ELSE jsonb_set(NEW.attributes, '{field_dates}', dates) END;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.customers_key_account() IS
	'Trigger: refuses a key-account file in crm.customers.attributes that does not follow crm.key_account_layout() (22023, the faults listed) and keeps attributes.field_dates, the day each field last changed or the file was reviewed (attributes.reviewed changed); a superuser''s bulk load that is not audited (crm.audit_skip(): crm.audit = off, pg_restore) is taken as it is';

CREATE TRIGGER customers_key_account
	BEFORE INSERT OR UPDATE OF attributes ON @extschema@.customers
	FOR EACH ROW
	WHEN (NEW.attributes ?| '{basic,characteristics,business,trading,field_dates,reviewed}'::text[])
	EXECUTE FUNCTION @extschema@.customers_key_account();

-- The key accounts (Pareto class A as graded, or confidentiality 3) and
-- every customer with a file: how current the file is, what is missing,
-- and the sales results computed from the orders.
CREATE FUNCTION @extschema@.key_account_review(as_of date DEFAULT CURRENT_DATE, stale_after_days integer DEFAULT 365)
RETURNS TABLE (customer_id bigint, name text, owner text, pareto_class char(1), trading_since date,
			   reviewed_on date, reviewed_by text, stale_fields text[], missing_fields text[],
			   revenue_12m numeric, revenue_prior_12m numeric, growth_pct numeric, problems jsonb, strengths jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'key_account_review: as_of must be a finite date, got %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the day the files are judged on.';
	END IF;
	IF stale_after_days IS NULL OR stale_after_days < 1 THEN
		RAISE EXCEPTION 'key_account_review: stale_after_days must be 1 or more, got %', coalesce(stale_after_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A field not changed or confirmed for that many days is stale, e.g. 365.';
	END IF;
	-- (the parameters named in full: customer_grades has a column as_of)
	RETURN QUERY
	SELECT c.id, c.name, c.owner, g.pareto_class,
		   coalesce((c.attributes #>> '{basic,trading_since}')::date, s.first_order),
		   (c.attributes #>> '{reviewed,on}')::date, c.attributes #>> '{reviewed,by}',
		   ARRAY(SELECT f.field FROM @extschema@.key_account_fields(c.attributes) f
				  WHERE (c.attributes -> 'field_dates' ->> f.field)::date < key_account_review.as_of - key_account_review.stale_after_days
				  ORDER BY f.field),
		   ARRAY(SELECT l.section || '.' || l.field FROM @extschema@.key_account_layout() l
				  WHERE c.kind = 'company' AND l.required AND jsonb_typeof(c.attributes -> l.section -> l.field) IS NULL
				  ORDER BY 1),
		   coalesce(s.last_12m, 0), coalesce(s.prior_12m, 0),
		   round(100 * (s.last_12m - s.prior_12m) / nullif(s.prior_12m, 0), 1),
		   c.attributes #> '{trading,problems}', c.attributes #> '{trading,strengths}'
	  FROM @extschema@.customers c
	  LEFT JOIN @extschema@.customer_grades g ON g.customer_id = c.id
	  LEFT JOIN (SELECT o.customer_id, min(o.ordered_at)::date AS first_order,
						sum(o.amount) FILTER (WHERE o.ordered_at >= (key_account_review.as_of - 364)::timestamptz) AS last_12m,
						sum(o.amount) FILTER (WHERE o.ordered_at < (key_account_review.as_of - 364)::timestamptz) AS prior_12m
				   FROM @extschema@.orders o
				  WHERE o.ordered_at < (key_account_review.as_of + 1)::timestamptz AND o.ordered_at >= (key_account_review.as_of - 729)::timestamptz
				  GROUP BY o.customer_id) s ON s.customer_id = c.id
	 WHERE g.pareto_class = 'A' OR c.confidentiality = 3
		OR c.attributes ?| '{basic,characteristics,business,trading}'::text[]
	 ORDER BY g.pareto_class NULLS LAST, c.id;
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_review(date, integer) IS
	'Every key account (Pareto class A in crm.customer_grades, or confidentiality 3) and every customer with a key-account file: trading since (the file''s, else the first order), the last review, the fields not changed or confirmed for more than stale_after_days days before as_of (stale), the required fields missing (of a company), revenue in the 365 days to as_of and the 365 before with the growth in percent, and the problems and strengths of the file. Errors: as_of not finite (22008), stale_after_days below 1 (22023)';

-- A review of a file by its owner: every field is confirmed as of today,
-- the fields named in remove_fields are dropped (stale data removed), and
-- who reviewed and when is recorded in attributes.reviewed.
CREATE FUNCTION @extschema@.review_key_account(customer_id bigint, remove_fields text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	unknown text;
	result jsonb;
BEGIN
	SELECT string_agg(r, ', ') INTO unknown
	  FROM unnest(coalesce(remove_fields, '{}')) r
	 WHERE NOT EXISTS (SELECT FROM @extschema@.key_account_layout() l WHERE l.section || '.' || l.field = r);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'review_key_account: % not a field of the key-account file', unknown
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Name fields as section.field, e.g. business.main_competitor: see crm.key_account_layout().';
	END IF;
	-- (the trigger dates every field with today: the file was reviewed)
	UPDATE @extschema@.customers c
	   SET attributes = (SELECT jsonb_set(c.attributes - 'reviewed', '{reviewed}',
										  jsonb_build_object('on', to_char(current_date, 'YYYY-MM-DD'), 'by', current_user))
							    || coalesce(jsonb_object_agg(s.section, s.fields), '{}')
						  FROM (SELECT l.section, (c.attributes -> l.section) - array_agg(l.field) AS fields
								  FROM @extschema@.key_account_layout() l
								 WHERE l.section || '.' || l.field = ANY (coalesce(remove_fields, '{}'))
								   AND jsonb_typeof(c.attributes -> l.section) = 'object'
								 GROUP BY l.section) s)
	 WHERE c.id = review_key_account.customer_id
	RETURNING c.attributes INTO result;
	IF result IS NULL THEN
		RAISE EXCEPTION 'review_key_account: customer % does not exist or may not be changed by %', customer_id, current_user
			USING ERRCODE = 'no_data_found', HINT = 'The customer''s owner or a manager reviews its file.';
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION @extschema@.review_key_account(bigint, text[]) IS
	'Reviews the key-account file of a customer: drops the fields named in remove_fields (section.field: stale data removed), confirms the others as of today (attributes.field_dates) and records attributes.reviewed = {on, by}; returns the new attributes. Errors: an unknown field (22023), no such customer or not allowed to change it (P0002)';

-- What the key accounts have in common (seed 003: key accounts beside the
-- 80/20 ranking) and who may become one: a decision tree of the extension
-- (crm.tree_train) on the companies' file and profile, Pareto class A as of
-- as_of against the rest.
CREATE FUNCTION @extschema@.key_account_features(as_of date)
RETURNS TABLE (customer_id bigint, pareto_class char(1), industry text, region text, channel text, size text,
			   growth_potential text, cooperation text, employees float8, founded float8, satisfaction float8,
			   key_account text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (PL/pgSQL: Citus cannot plan a SQL function's parameter in a join)
	RETURN QUERY
	SELECT c.id, p.class, c.industry, c.region, c.channel,
		   c.attributes #>> '{characteristics,size}', c.attributes #>> '{characteristics,growth_potential}',
		   c.attributes #>> '{business,cooperation}',
		   (c.attributes #>> '{characteristics,employees}')::float8, (c.attributes #>> '{basic,founded}')::float8,
		   c.satisfaction::float8,
		   CASE WHEN p.class = 'A' THEN 'key account' ELSE 'other' END
	  FROM @extschema@.customers c
	  LEFT JOIN @extschema@.pareto_classes(key_account_features.as_of) p ON p.customer_id = c.id
	 WHERE c.kind = 'company';
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_features(date) IS
	'Internal (crm.key_account_profile, crm.future_key_accounts): every company with its Pareto class as of as_of (crm.pareto_classes; NULL without purchases), the profile a tree learns from (industry, region, channel; size, growth potential, cooperation, employees and year founded from the key-account file; satisfaction) and key_account = ''key account'' for class A, else ''other''';

-- The size of a tree that explains segments (crm.key_account_tree,
-- crm.market_segments): small enough to read as rules.
CREATE FUNCTION @extschema@.check_tree_size(fn text, max_depth integer, min_samples_leaf integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF max_depth IS NULL OR max_depth NOT BETWEEN 1 AND 10 OR min_samples_leaf IS NULL OR min_samples_leaf < 1 THEN
		RAISE EXCEPTION '%: max_depth must be 1..10 and min_samples_leaf 1 or more, got % and %', fn,
			coalesce(max_depth::text, 'NULL'), coalesce(min_samples_leaf::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Small trees read best: max_depth 3, min_samples_leaf 20.';
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_tree_size(text, integer, integer) IS
	'Internal (crm.key_account_tree, crm.market_segments): raises 22023, prefixed with fn, unless max_depth is 1..10 and min_samples_leaf 1 or more';

CREATE FUNCTION @extschema@.key_account_tree(as_of date, max_depth integer, min_samples_leaf integer)
RETURNS @extschema@.tree
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.check_tree_size('key account tree', max_depth, min_samples_leaf);
	IF NOT EXISTS (SELECT FROM @extschema@.key_account_features(as_of) f WHERE f.pareto_class = 'A') THEN
		RAISE EXCEPTION 'no company is a key account (Pareto class A) as of %', as_of
			USING ERRCODE = 'no_data_found', HINT = 'The tree needs companies with purchases up to as_of.';
	END IF;
	RETURN @extschema@.tree_train(
		format('SELECT industry, region, channel, size, growth_potential, cooperation, employees, founded, satisfaction, key_account FROM @extschema@.key_account_features(%L)', as_of),
		'key_account',
		jsonb_build_object('max_depth', max_depth, 'min_samples_leaf', min_samples_leaf, 'positive', 'key account'));
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_tree(date, integer, integer) IS
	'Internal: the decision tree (crm.tree_train) of key account (Pareto class A as of as_of) against the other companies over crm.key_account_features. Errors: bad max_depth or min_samples_leaf (22023), no key account (P0002)';

CREATE FUNCTION @extschema@.key_account_profile(as_of date, max_depth integer DEFAULT 3, min_samples_leaf integer DEFAULT 20)
RETURNS TABLE (rule text, companies bigint, key_accounts bigint, share_key_accounts float8)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT r.rule, r.samples, round(r.probability * r.samples)::bigint, r.probability
	  FROM @extschema@.tree_rules(@extschema@.key_account_tree(as_of, max_depth, min_samples_leaf)) r
	 ORDER BY r.probability DESC, r.samples DESC, r.rule
$$;
COMMENT ON FUNCTION @extschema@.key_account_profile(date, integer, integer) IS
	'What the key accounts have in common: the leaves of a decision tree of key account (Pareto class A as of as_of) against the other companies, each as a rule over the profile (crm.key_account_features) with its companies, key accounts among them and their share, the most key-account-like first';

CREATE FUNCTION @extschema@.future_key_accounts(as_of date, min_probability float8 DEFAULT 0.5,
												max_depth integer DEFAULT 3, min_samples_leaf integer DEFAULT 20)
RETURNS TABLE (customer_id bigint, name text, owner text, pareto_class char(1), probability float8, rule text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	model @extschema@.tree;
BEGIN
	IF min_probability IS NULL OR NOT min_probability BETWEEN 0 AND 1 THEN
		RAISE EXCEPTION 'future_key_accounts: min_probability must be between 0 and 1, got %', coalesce(min_probability::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The share of key accounts among companies like it, e.g. 0.5.';
	END IF;
	model := @extschema@.key_account_tree(as_of, max_depth, min_samples_leaf);
	RETURN QUERY
	SELECT s.customer_id, c.name, c.owner, s.pareto_class, s.probability, r.rule
	  FROM (SELECT f.customer_id, f.pareto_class,
				   @extschema@.tree_score(model, f) AS probability, @extschema@.tree_leaf(model, f) AS leaf
			  FROM @extschema@.key_account_features(as_of) f
			 WHERE f.pareto_class IS DISTINCT FROM 'A') s
	  JOIN @extschema@.customers c ON c.id = s.customer_id
	  JOIN @extschema@.tree_rules(model) r ON r.leaf = s.leaf
	 WHERE s.probability >= min_probability
	 ORDER BY s.probability DESC, s.customer_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.future_key_accounts(date, float8, integer, integer) IS
	'Likely future key accounts: the companies not in Pareto class A as of as_of whose profile the key-account tree (as crm.key_account_profile) puts among key accounts with probability >= min_probability, with the rule of their leaf, most likely first. Errors: min_probability outside 0..1 (22023), those of the tree';

COMMENT ON TABLE @extschema@.customers IS
	'Customers (companies and persons). The key-account file (basic data, characteristics, business status, trading status) lives in attributes, validated against crm.key_account_layout() and dated field by field (trigger customers_key_account)';
COMMENT ON COLUMN @extschema@.customers.attributes IS 'Free attributes as a JSON object: the key-account file under "basic", "characteristics", "business", "trading" (crm.key_account_layout(), validated by trigger), with "reviewed" and the database''s "field_dates"; a person''s profile: age, gender, occupation, income, marital_status, purchase_motive, information_source, ... (crm.market_segments)';


-- the trend of crm.purchase_stats: halves by purchase days (issue 14)
COMMENT ON TYPE @extschema@.purchase_stats IS
	'A customer''s purchase history: first and last purchase day, orders, distinct purchase days, revenue, cost to serve, net value = revenue - cost, mean order value, mean value of the repeat purchase days (all days after the first), and trend in [-1, 1] = (spend of the later half of the purchase days - spend of the earlier half; an odd middle day counts half to each) / total spend';

--------------------------------------------------------------------------
-- Market segmentation (seed 000): src/market_segments.sql
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.market_profiles(as_of date)
RETURNS TABLE (customer_id bigint, age float8, income float8, occupation text, purchase_motive text,
			   information_source text, region text, status text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT c.id, (c.attributes ->> 'age')::float8, (c.attributes ->> 'income')::float8, c.attributes ->> 'occupation',
		   c.attributes ->> 'purchase_motive', c.attributes ->> 'information_source', c.region,
		   CASE WHEN EXISTS (SELECT FROM @extschema@.orders o
							  WHERE o.customer_id = c.id AND o.ordered_at < (market_profiles.as_of + 1)::timestamptz)
				THEN 'customer' ELSE 'prospect' END
	  FROM @extschema@.customers c
	 WHERE c.kind = 'person' AND c.created_at < (market_profiles.as_of + 1)::timestamptz;
END;
$$;
COMMENT ON FUNCTION @extschema@.market_profiles(date) IS
	'Internal (crm.market_segments): every person entered up to as_of with the profile of the seed''s market segmentation (age, income, occupation, purchase_motive and information_source from attributes; region) and status = customer (bought up to as_of) or prospect';

CREATE FUNCTION @extschema@.market_segments(as_of date, min_probability float8 DEFAULT 0.5,
											max_depth integer DEFAULT 3, min_samples_leaf integer DEFAULT 20)
RETURNS TABLE (customer_id bigint, segment text, probability float8, rule text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	model @extschema@.tree;
	has_customers boolean;
	has_prospects boolean;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'market_segments: as_of must be a finite date, got %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the day the market is segmented on.';
	END IF;
	IF min_probability IS NULL OR NOT min_probability BETWEEN 0 AND 1 THEN
		RAISE EXCEPTION 'market_segments: min_probability must be between 0 and 1, got %', coalesce(min_probability::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A prospect is winnable when at least this share of people like it are customers, e.g. 0.5.';
	END IF;
	PERFORM @extschema@.check_tree_size('market_segments', max_depth, min_samples_leaf);
	-- (one pass over the profiles for both)
	SELECT coalesce(bool_or(p.status = 'customer'), false), coalesce(bool_or(p.status = 'prospect'), false)
	  INTO has_customers, has_prospects
	  FROM @extschema@.market_profiles(as_of) p;
	IF NOT (has_customers AND has_prospects) THEN
		RAISE EXCEPTION 'market_segments: the persons entered up to % are not both customers and prospects', as_of
			USING ERRCODE = 'no_data_found', HINT = 'The segmentation learns from people who bought and people who did not.';
	END IF;
	model := @extschema@.tree_train(
		format('SELECT age, income, occupation, purchase_motive, information_source, region, status FROM @extschema@.market_profiles(%L)', as_of),
		'status',
		jsonb_build_object('max_depth', max_depth, 'min_samples_leaf', min_samples_leaf, 'positive', 'customer'));
	RETURN QUERY
	SELECT s.customer_id,
		   CASE WHEN s.status = 'customer' THEN 'existing customer'
				WHEN s.probability >= min_probability THEN 'winnable prospect'
				ELSE 'not pursued now' END,
		   s.probability, r.rule
	  FROM (SELECT p.customer_id, p.status, @extschema@.tree_score(model, p) AS probability, @extschema@.tree_leaf(model, p) AS leaf
			  FROM @extschema@.market_profiles(as_of) p) s
	  JOIN @extschema@.tree_rules(model) r ON r.leaf = s.leaf
	 ORDER BY s.customer_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.market_segments(date, float8, integer, integer) IS
	'Market segmentation of the persons entered up to as_of (seed 000): existing customer (bought up to as_of), winnable prospect (never bought, but at least min_probability of the people with its profile are customers) or not pursued now, by a decision tree (crm.tree_train) of customer against prospect over age, income, occupation, purchase motive, information source and region (crm.market_profiles); each row with that probability and the rule of its leaf. Errors: as_of not finite (22008), bad min_probability, max_depth or min_samples_leaf (22023), no customers or no prospects (P0002)';


-- find_duplicates reads the customers once, into memory (on Citus each later
-- step read them back through an intermediate result)
CREATE OR REPLACE FUNCTION @extschema@.find_duplicates(threshold float8 DEFAULT 0.9)
RETURNS TABLE (customer_id bigint, duplicate_of bigint, score float8, reasons text[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids		bigint[];
	kinds	@extschema@.customer_kind[];
	regions	text[];
	nnames	text[];
	nphones	text[];
	nemails	text[];
BEGIN
	IF threshold IS NULL OR threshold <= 0 OR threshold > 1 OR threshold = 'NaN'::float8 THEN
		RAISE EXCEPTION 'threshold must be in (0, 1], got %', coalesce(threshold::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Scores are similarities of normalized names (1 - edit distance / length); 0.9 finds typos, 1 only exact matches.';
	END IF;
	-- The keys of every customer, in one read of crm.customers (on Citus
	-- computed on the shards); every later step compares across customers
	-- and reads them several times, from memory here rather than from the
	-- table (on Citus each step would otherwise read them back through an
	-- intermediate result: 3.5x slower)
	SELECT array_agg(c.id), array_agg(c.kind), array_agg(coalesce(c.region, '')),
		   array_agg(@extschema@.normalize_name(c.name)), array_agg(@extschema@.normalize_phone(c.phone)),
		   array_agg(lower(btrim(c.email)))
	  INTO ids, kinds, regions, nnames, nphones, nemails
	  FROM @extschema@.customers c;
	RETURN QUERY
	WITH k AS MATERIALIZED (
		SELECT * FROM unnest(ids, kinds, regions, nnames, nphones, nemails) AS u(id, kind, region, nname, nphone, nemail)),
	names AS MATERIALIZED (
		SELECT k.region, k.nname, min(k.id) AS id
		  FROM k
		 WHERE k.kind = 'company' AND k.nname <> ''
		 GROUP BY k.region, k.nname),
	pairs AS (
		SELECT k.id, min(k.id) OVER (PARTITION BY k.nphone) AS dup, 1.0::float8 AS score, 'same phone' AS reason
		  FROM k WHERE k.nphone IS NOT NULL
		UNION ALL
		SELECT k.id, min(k.id) OVER (PARTITION BY k.nemail), 1.0, 'same email'
		  FROM k WHERE k.nemail IS NOT NULL AND k.nemail <> ''
		UNION ALL
		SELECT k.id, min(k.id) OVER (PARTITION BY k.region, k.nname), 1.0, 'same name in region'
		  FROM k WHERE k.kind = 'company' AND k.nname <> ''
		UNION ALL
		SELECT greatest(w.id, w.next_id), least(w.id, w.next_id),
			   @extschema@.name_similarity(w.nname, w.next_name, false), 'similar name in region'
		  FROM (SELECT n.id, n.nname, v.next_id, v.next_name
				  FROM (SELECT n.id, n.nname,
							   lead(n.id, 1) OVER w AS i1, lead(n.nname, 1) OVER w AS n1,
							   lead(n.id, 2) OVER w AS i2, lead(n.nname, 2) OVER w AS n2,
							   lead(n.id, 3) OVER w AS i3, lead(n.nname, 3) OVER w AS n3,
							   lead(n.id, 4) OVER w AS i4, lead(n.nname, 4) OVER w AS n4
						  FROM names n
						WINDOW w AS (PARTITION BY n.region ORDER BY n.nname COLLATE "C")) n
				 CROSS JOIN LATERAL (VALUES (n.i1, n.n1), (n.i2, n.n2), (n.i3, n.n3), (n.i4, n.n4)) v(next_id, next_name)
				UNION
				SELECT n.id, n.nname, v.next_id, v.next_name
				  FROM (SELECT n.id, n.nname,
							   lead(n.id, 1) OVER w AS i1, lead(n.nname, 1) OVER w AS n1,
							   lead(n.id, 2) OVER w AS i2, lead(n.nname, 2) OVER w AS n2,
							   lead(n.id, 3) OVER w AS i3, lead(n.nname, 3) OVER w AS n3,
							   lead(n.id, 4) OVER w AS i4, lead(n.nname, 4) OVER w AS n4
						  FROM names n
						WINDOW w AS (PARTITION BY n.region ORDER BY reverse(n.nname) COLLATE "C")) n
				 CROSS JOIN LATERAL (VALUES (n.i1, n.n1), (n.i2, n.n2), (n.i3, n.n3), (n.i4, n.n4)) v(next_id, next_name)
			   ) w
		 WHERE w.next_id IS NOT NULL)
	SELECT p.id, p.dup, max(p.score), array_agg(DISTINCT p.reason ORDER BY p.reason)
	  FROM pairs p
	 WHERE p.id <> p.dup AND p.score >= threshold
	 GROUP BY p.id, p.dup
	 ORDER BY p.dup, p.id;
END;
$$;
COMMENT ON FUNCTION @extschema@.find_duplicates(float8) IS
	'Likely duplicate customers: each row says customer_id is probably the same as duplicate_of (the smaller id), with a score in [threshold, 1] and the reasons (same phone, same email, same name in region, similar name in region). Blocking keys and sorted neighbourhood: no all-pairs comparison. Memory: the normalized keys of every customer (about 100 bytes a customer: 100 MB at 1,000,000)';


-- crm.distribute() and crm.undistribute() without Citus' notice for each
-- table (copying, the local data to truncate, which distribute() does)
ALTER FUNCTION @extschema@.distribute() SET client_min_messages = warning;
ALTER FUNCTION @extschema@.undistribute() SET client_min_messages = warning;

-- The self-assessments and the forecast adjustments: their place on Citus
-- (reference tables) and in the demo (src/distribute.sql, src/demo.sql)
CREATE OR REPLACE FUNCTION @extschema@.distribution()
RETURNS TABLE (table_name text, kind text, distribution_column text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.table_name, t.kind, t.distribution_column
	  FROM (VALUES
		(1, 'status_transitions', 'reference', NULL),
		(2, 'pipeline_stages', 'reference', NULL),
		(3, 'campaigns', 'reference', NULL),
		(4, 'quotas', 'reference', NULL),
		(5, 'models', 'reference', NULL),
		(6, 'row_security_state', 'reference', NULL),
		(7, 'assessment_questions', 'reference', NULL),
		(8, 'assessments', 'reference', NULL),
		(9, 'forecast_adjustments', 'reference', NULL),
		(10, 'customers', 'distributed', 'id'),
		(11, 'contacts', 'distributed', 'customer_id'),
		(12, 'orders', 'distributed', 'customer_id'),
		(13, 'service_costs', 'distributed', 'customer_id'),
		(14, 'campaign_members', 'distributed', 'customer_id'),
		(15, 'opportunities', 'distributed', 'customer_id'),
		(16, 'opportunity_owners', 'distributed', 'customer_id'),
		(17, 'opportunity_history', 'distributed', 'customer_id'),
		(18, 'quotes', 'distributed', 'customer_id'),
		(19, 'opportunity_approvals', 'distributed', 'customer_id'),
		(20, 'contracts', 'distributed', 'customer_id'),
		(21, 'contract_versions', 'distributed', 'customer_id'),
		(22, 'contract_history', 'distributed', 'customer_id'),
		(23, 'customer_grades', 'distributed', 'customer_id'),
		(24, 'grade_history', 'distributed', 'customer_id'),
		(25, 'audit_log', 'distributed', 'customer_id'))
		AS t(n, table_name, kind, distribution_column)
	 ORDER BY t.n;
END;


CREATE OR REPLACE FUNCTION @extschema@.generate_demo_data(customers integer, seed integer DEFAULT 42)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- demo rows are not audited when a superuser generates them (audit.sql):
-- the audit triggers would double the generation time
SET crm.audit = 'off'
AS $$
DECLARE
	s			bigint := seed;
	since		constant timestamptz := '2022-01-01 00:00:00+00';
	until		constant timestamptz := '2026-01-01 00:00:00+00';
	as_of		constant date := '2025-12-31';
	chunk		constant integer := 50000;
	ncamp		integer;
	lo			bigint;
	hi			bigint;
	n_orders	bigint := 0;
	rows_done	bigint;
	started		timestamptz := clock_timestamp();
	last_report timestamptz := clock_timestamp();
	regions		constant text[] := '{North,East,South,West,Central}';
	n			bigint;
BEGIN
	IF customers IS NULL OR customers < 1 OR customers > 10000000 THEN
		RAISE EXCEPTION 'customers must be between 1 and 10000000, got %', coalesce(customers::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Ask for e.g. 1000 customers for a quick look or 1000000 for benchmarks (about 10 orders each).';
	END IF;
	IF seed IS NULL THEN
		RAISE EXCEPTION 'seed must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass any integer; the same seed always gives the same data.';
	END IF;
	-- On a distributed crm (crm.distribute() on an empty database): the
	-- reference tables are written in the same transaction as (and after reading) the shards of
	-- the tables that refer to them, which Citus allows over one connection
	-- per node only.  The audit triggers fire on the workers, which the SET
	-- clause above does not reach: a SET LOCAL does (crm.set_local()).
	IF @extschema@.is_distributed() THEN
		PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
		PERFORM @extschema@.set_local('crm.audit', 'off');
	END IF;

	SELECT count(*) INTO n FROM (SELECT 1 FROM @extschema@.customers LIMIT 1) c;
	IF n > 0 THEN
		RAISE EXCEPTION 'crm.customers is not empty: demo data is generated only into empty CRM tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Use a fresh database, or remove the existing data first with TRUNCATE crm.customers, crm.campaigns, crm.quotas, crm.forecast_adjustments CASCADE.';
	END IF;

	-- Campaigns: one per 5,000 customers, at least 10, spread over the
	-- years and half a year ahead.
	ncamp := greatest(10, customers / 5000);
	INSERT INTO @extschema@.campaigns
		(id, name, method, region, budget, actual_cost, planned_start, planned_end,
		 started_on, ended_on, status, approved_by, description, created_at)
	SELECT k, format('%s %s %s', coalesce(region, 'National'), method, to_char(start_day, 'YYYY-MM')),
		   method, region, budget,
		   CASE WHEN status = 'completed' THEN round(budget * (0.7 + 0.5 * @extschema@.demo_uniform(s, 107, k))::numeric, 2) END,
		   start_day, start_day + days,
		   CASE WHEN status IN ('active', 'completed') THEN start_day END,
		   CASE WHEN status = 'completed' THEN start_day + days END,
		   status,
		   CASE WHEN status IN ('approved', 'active', 'completed') THEN 'marketing_director' END,
		   format('%s campaign for %s customers', method, coalesce(region, 'all')),
		   (start_day - 30)::timestamp AT TIME ZONE 'UTC'
	  FROM (SELECT k, method, region, budget, start_day, days,
				   (CASE WHEN start_day + days < as_of
						 THEN CASE WHEN @extschema@.demo_uniform(s, 108, k) < 0.92 THEN 'completed' ELSE 'cancelled' END
						 WHEN start_day <= as_of THEN 'active'
						 ELSE @extschema@.demo_pick(s, 108, k, '{planned,submitted,approved}')
					END)::@extschema@.campaign_status AS status
			  FROM (SELECT k,
						   @extschema@.demo_pick(s, 101, k, '{email,phone,event,seminar,direct mail,online ad,trade show}') AS method,
						   CASE WHEN @extschema@.demo_uniform(s, 102, k) >= 0.2 THEN @extschema@.demo_pick(s, 103, k, regions) END AS region,
						   round((5000 + 195000 * @extschema@.demo_uniform(s, 104, k) ^ 2)::numeric, -2) AS budget,
						   date '2022-01-01' + floor(1640 * @extschema@.demo_uniform(s, 105, k))::integer AS start_day,
						   7 + floor(60 * @extschema@.demo_uniform(s, 106, k))::integer AS days
					  FROM generate_series(1, ncamp) k) c) c;

	-- Each chunk's opportunities and their simulated walk through the pipeline.
	CREATE TEMP TABLE demo_opportunity_walk (
		id bigint, customer_id bigint, owner text, campaign_id bigint, product text, amount numeric,
		created timestamptz, t1 timestamptz, t2 timestamptz, t3 timestamptz,
		p1 boolean, p2 boolean, p3 boolean,
		stage text,				-- stage at as_of
		entered timestamptz,	-- when it entered that stage
		closed timestamptz,		-- when it was won, lost or terminated
		outcome text,			-- won, lost, terminated or NULL while open
		archived timestamptz,	-- when it was archived
		status @extschema@.opportunity_status) ON COMMIT DROP;

	lo := 1;
	WHILE lo <= customers LOOP
		hi := least(lo + chunk - 1, customers);

		-- Customers: 35 % companies (small, medium, large), 65 % persons.
		INSERT INTO @extschema@.customers
			(id, name, kind, industry, region, channel, phone, email, address, owner,
			 confidentiality, satisfaction, credit_status, tags, attributes, created_at, updated_at)
		SELECT i,
			   CASE WHEN company AND chinese THEN
						@extschema@.demo_pick(s, 10, i, '{上海,北京,广州,深圳,杭州,南京,成都,武汉,天津,苏州}')
						|| @extschema@.demo_pick(s, 11, i, '{华信,东方,长城,金桥,宏达,新世纪,恒通,天成,瑞丰,中联,永安,正大}')
						|| @extschema@.demo_pick(s, 12, i, '{贸易,物流,食品,电子,纺织,机械,软件,医药,零售,能源}')
						|| @extschema@.demo_pick(s, 13, i, '{有限公司,股份有限公司,集团有限公司,有限责任公司}')
					WHEN company THEN
						@extschema@.demo_pick(s, 11, i, '{Acme,Apex,Blue River,Golden Gate,Harbor,Northwind,Summit,Silverline,Redwood,Brightstar,Pioneer,Evergreen,Lakeside,Crescent,Ironbridge,Sunrise}')
						|| ' ' || @extschema@.demo_pick(s, 12, i, '{Trading,Logistics,Foods,Electronics,Textiles,Machinery,Software,Pharma,Retail,Energy}')
						|| ' ' || @extschema@.demo_pick(s, 13, i, '{"Co., Ltd.",Inc.,Ltd.,GmbH,Group,LLC}')
					WHEN chinese THEN
						@extschema@.demo_pick(s, 11, i, '{王,李,张,刘,陈,杨,黄,赵,吴,周,徐,孙}')
						|| @extschema@.demo_pick(s, 12, i, '{伟,芳,娜,敏,静,丽,强,磊,军,洋,勇,艳,杰,涛,明,华}')
					ELSE first_name || ' ' || last_name
			   END,
			   CASE WHEN company THEN 'company' ELSE 'person' END::@extschema@.customer_kind,
			   industry, region,
			   CASE WHEN company THEN @extschema@.demo_pick(s, 14, i, '{direct,partner}')
					ELSE @extschema@.demo_pick(s, 14, i, '{online,online,retail}') END,
			   format('+86-%s-%s', 10 + floor(90 * @extschema@.demo_uniform(s, 15, i)), lpad(i::text, 8, '0')),
			   CASE WHEN company THEN format('info%s@example.com', i)
					WHEN chinese THEN format('user%s@example.cn', i)
					ELSE format('%s.%s%s@example.com', lower(first_name), lower(last_name), i) END,
			   format('%s %s Road, %s', 1 + floor(999 * @extschema@.demo_uniform(s, 16, i)),
					  @extschema@.demo_pick(s, 17, i, '{Park,Station,River,Hill,Market,Garden,Lake,Bridge}'), region),
			   CASE WHEN company THEN format('rep_%s', lpad((8 * (array_position(regions, region) - 1)
								+ 1 + floor(8 * @extschema@.demo_uniform(s, 18, i)))::text, 2, '0')) END,
			   CASE size WHEN 'large' THEN 3 WHEN 'medium' THEN 2 WHEN 'small' THEN 1 ELSE 0 END,
			   satisfaction,
			   CASE WHEN late AND @extschema@.demo_uniform(s, 19, i) < 0.1 THEN 'blocked'
					WHEN late AND @extschema@.demo_uniform(s, 19, i) < 0.5 THEN 'hold'
					WHEN late THEN 'watch'
					ELSE 'good' END::@extschema@.credit_status,
			   CASE WHEN company THEN ARRAY['industry:' || industry, 'size:' || size]
					ELSE ARRAY['gender:' || gender, 'age:' || (age / 10 * 10) || '-' || (age / 10 * 10 + 9)] END,
			   CASE WHEN company THEN jsonb_build_object(
						'basic', jsonb_build_object(
							'legal_representative', last_name || ' ' || first_name,
							'founded', 1980 + floor(40 * @extschema@.demo_uniform(s, 20, i)),
							'legal_form', @extschema@.demo_pick(s, 21, i, '{limited company,joint-stock company,partnership,sole proprietorship}'),
							'assets', round((CASE size WHEN 'large' THEN 5e8 WHEN 'medium' THEN 5e7 ELSE 5e6 END
											 * (0.2 + @extschema@.demo_uniform(s, 22, i)))::numeric, -5)),
						'characteristics', jsonb_build_object(
							'size', size,
							'service_area', region,
							'employees', CASE size WHEN 'large' THEN 1000 WHEN 'medium' THEN 100 ELSE 10 END
										 * (1 + floor(9 * @extschema@.demo_uniform(s, 23, i))),
							'growth_potential', @extschema@.demo_pick(s, 24, i, '{low,medium,high}')),
						'business', jsonb_build_object(
							'cooperation', @extschema@.demo_pick(s, 25, i, '{new,occasional,regular,strategic}'),
							'main_competitor', @extschema@.demo_pick(s, 26, i, '{Globex,Initech,Umbrella,Hooli,none}')),
						'trading', jsonb_build_object(
							'trade_terms', 'net 30',
							'credit_incidents', CASE WHEN late THEN 1 + floor(3 * @extschema@.demo_uniform(s, 27, i)) ELSE 0 END),
						-- the file was written when the customer was entered
						'field_dates', (SELECT jsonb_object_agg(f, to_char(created, 'YYYY-MM-DD'))
										  FROM unnest('{basic.legal_representative,basic.founded,basic.legal_form,basic.assets,characteristics.size,characteristics.service_area,characteristics.employees,characteristics.growth_potential,business.cooperation,business.main_competitor,trading.trade_terms,trading.credit_incidents}'::text[]) f))
					ELSE jsonb_build_object(
						'age', age, 'gender', gender, 'occupation', occupation, 'income', income,
						'marital_status', @extschema@.demo_pick(s, 28, i, '{single,married,married,divorced,widowed}'),
						'monthly_bill', monthly_bill,
						-- the decision-tree use case of the seed: who already uses the offer
						'uses_offer', @extschema@.demo_uniform(s, 29, i) <
							least(0.95, 0.03 + CASE WHEN age BETWEEN 20 AND 30 THEN 0.35 ELSE 0 END
										  + CASE WHEN occupation IN ('sales', 'self-employed') THEN 0.3 ELSE 0 END
										  + CASE WHEN monthly_bill BETWEEN 150 AND 200 THEN 0.2 ELSE 0 END
										  + CASE WHEN income BETWEEN 3000 AND 5000 THEN 0.1 ELSE 0 END),
						-- market segmentation (seed 000): why they buy and how
						-- they heard of us; the prospects who never buy (stream
						-- 52, as the orders below) came more often from ads and
						-- look for the lowest price
						'purchase_motive', CASE WHEN @extschema@.demo_uniform(s, 52, i) < 0.08
												THEN @extschema@.demo_pick(s, 122, i, '{price,price,price,quality,brand}')
												ELSE @extschema@.demo_pick(s, 122, i, '{price,quality,quality,service,brand,convenience}') END,
						'information_source', CASE WHEN @extschema@.demo_uniform(s, 52, i) < 0.08
												   THEN @extschema@.demo_pick(s, 123, i, '{online ad,online ad,trade show,referral}')
												   ELSE @extschema@.demo_pick(s, 123, i, '{referral,referral,campaign,retail,online ad,event}') END)
			   END,
			   created, created
		  FROM (SELECT i, company, chinese, industry, region, size, late, first_name, last_name, gender, age, occupation,
					   round((CASE occupation WHEN 'manager' THEN 9000 WHEN 'doctor' THEN 12000 WHEN 'engineer' THEN 8000
											 WHEN 'student' THEN 1500 WHEN 'retired' THEN 3000 ELSE 4500 END
							 * exp(0.4 * @extschema@.demo_normal(s, 30, i)))::numeric, -2) AS income,
					   round((30 + 370 * @extschema@.demo_uniform(s, 31, i) ^ 1.5)::numeric, 0) AS monthly_bill,
					   round(greatest(0, least(10, 7.2 + 1.8 * @extschema@.demo_normal(s, 32, i)))::numeric, 1) AS satisfaction,
					   since + (1461 * @extschema@.demo_uniform(s, 2, i)) * interval '1 day' AS created
				  FROM (SELECT i,
							   @extschema@.demo_uniform(s, 1, i) < 0.35 AS company,
							   @extschema@.demo_uniform(s, 3, i) < 0.4 AS chinese,
							   @extschema@.demo_pick(s, 4, i, '{manufacturing,retail,finance,telecom,healthcare,education,logistics,energy,software,hospitality}') AS industry,
							   @extschema@.demo_pick(s, 5, i, regions) AS region,
							   CASE WHEN @extschema@.demo_uniform(s, 1, i) >= 0.35 THEN NULL
									WHEN @extschema@.demo_uniform(s, 6, i) < 0.05 THEN 'large'
									WHEN @extschema@.demo_uniform(s, 6, i) < 0.25 THEN 'medium'
									ELSE 'small' END AS size,
							   @extschema@.demo_uniform(s, 7, i) < CASE WHEN @extschema@.demo_uniform(s, 1, i) < 0.35 THEN 0.08 ELSE 0.02 END AS late,
							   @extschema@.demo_pick(s, 8, i, '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,David,Elizabeth,William,Barbara,Richard,Susan,Joseph,Jessica,Thomas,Sarah,Carlos,Maria,Ahmed,Fatima,Hans,Anna,Kenji,Yuki,Pierre,Sophie,Ivan,Olga}') AS first_name,
							   @extschema@.demo_pick(s, 9, i, '{Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Wilson,Anderson,Taylor,Moore,Jackson,Martin,Lee,Thompson,White,Harris,Clark,Lewis,Walker,Young,Allen,King,Wright,Scott}') AS last_name,
							   @extschema@.demo_pick(s, 33, i, '{f,m}') AS gender,
							   18 + floor(57 * @extschema@.demo_uniform(s, 34, i))::integer AS age,
							   @extschema@.demo_pick(s, 35, i, '{sales,engineer,teacher,worker,manager,student,retired,doctor,civil servant,self-employed}') AS occupation
						  FROM generate_series(lo, hi) i) g) g;

		-- Contacts at companies: a decision maker and up to three people below.
		INSERT INTO @extschema@.contacts (id, customer_id, name, title, decision_role, phone, email, reports_to)
		SELECT 4 * (c.id - 1) + j, c.id,
			   @extschema@.demo_pick(s, 40 + j, c.id, '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,Wei,Fang,Min,Jing,Lei,Yang}')
			   || ' ' || @extschema@.demo_pick(s, 44 + j, c.id, '{Smith,Johnson,Brown,Garcia,Miller,Wang,Li,Zhang,Liu,Chen}'),
			   (ARRAY['CEO', 'Purchasing Director', 'IT Manager', 'Buyer'])[j],
			   (ARRAY['decision maker', 'influencer', 'evaluator', 'user'])[j],
			   format('+86-%s-%s', 20 + j, lpad(c.id::text, 8, '0')),
			   format('contact%s.%s@example.com', j, c.id),
			   CASE WHEN j > 1 THEN 4 * (c.id - 1) + j - 1 END
		  FROM @extschema@.customers c,
			   generate_series(1, 4) j
		 WHERE c.id BETWEEN lo AND hi
		   AND c.kind = 'company'
		   AND j <= 1 + floor(4 * @extschema@.demo_uniform(s, 40, c.id))
		 ORDER BY c.id, j;

		-- Orders: 8 % of customers are prospects who never bought.  Business
		-- customers buy on 30-day terms; invoices not yet due are open, and
		-- customers with a bad credit status owe their recent invoices.
		INSERT INTO @extschema@.orders (customer_id, ordered_at, amount, quantity, product, amount_paid, due_date)
		SELECT c.id, o.ordered_at, o.amount::numeric(14,2), o.quantity, o.product,
			   CASE WHEN d.due IS NULL THEN o.amount::numeric(14,2)
					WHEN d.due >= as_of THEN 0
					WHEN c.credit_status <> 'good' AND d.due >= as_of - 120
						THEN round((o.amount * floor(2 * @extschema@.demo_uniform(s, 50, c.id * 1000 + o.n)) / 2)::numeric, 2)
					ELSE o.amount::numeric(14,2) END,
			   d.due
		  FROM @extschema@.customers c
		 CROSS JOIN LATERAL @extschema@.demo_orders(
				s, c.id,
				c.created_at + (7 * @extschema@.demo_uniform(s, 51, c.id)) * interval '1 day',
				until,
				CASE c.attributes #>> '{characteristics,size}'
					WHEN 'large' THEN 25 WHEN 'medium' THEN 10 WHEN 'small' THEN 4 ELSE 1 END,
				CASE WHEN c.satisfaction >= 8 THEN 0.6 WHEN c.satisfaction >= 5 THEN 1 ELSE 2.5 END) o
		 CROSS JOIN LATERAL (SELECT CASE WHEN c.kind = 'company'
										 THEN (o.ordered_at AT TIME ZONE 'UTC')::date + 30 END AS due) d
		 WHERE c.id BETWEEN lo AND hi
		   AND @extschema@.demo_uniform(s, 52, c.id) >= 0.08
		 ORDER BY c.id, o.n;
		GET DIAGNOSTICS rows_done = ROW_COUNT;
		n_orders := n_orders + rows_done;

		-- Costs to serve buyers while they buy (until 30 days after their
		-- last order): visits for business customers (more for larger ones),
		-- support and discounts for everyone.
		-- (Gathered first and inserted in a fixed order: on Citus the ids are
		-- then drawn on the coordinator, in the same order as on one node.)
		INSERT INTO @extschema@.service_costs (customer_id, incurred_on, kind, amount, note)
		WITH costs AS MATERIALIZED (
		SELECT c.id AS customer_id, j AS cost_no,
			   (c.created_at AT TIME ZONE 'UTC')::date
				 + floor((least(as_of, (b.last_order AT TIME ZONE 'UTC')::date + 30) - (c.created_at AT TIME ZONE 'UTC')::date)
						 * @extschema@.demo_uniform(s, 61, 64 * c.id + j))::integer AS incurred_on,
			   k.kind::@extschema@.service_cost_kind AS kind,
			   round((CASE WHEN k.kind = 'visit' AND c.attributes #>> '{characteristics,size}' = 'small'
							   THEN 30 + 120 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN k.kind = 'visit' THEN 100 + 500 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN c.kind = 'person' THEN 5 + 45 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN k.kind = 'support' THEN 20 + 180 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   ELSE 10 + 490 * @extschema@.demo_uniform(s, 62, 64 * c.id + j) END)::numeric, 2) AS amount,
			   CASE k.kind WHEN 'visit' THEN 'on-site visit' WHEN 'support' THEN 'support ticket' ELSE 'price discount' END AS note
		  FROM @extschema@.customers c
		 CROSS JOIN LATERAL (SELECT max(o.ordered_at) AS last_order FROM @extschema@.orders o
							  WHERE o.customer_id = c.id) b
		 CROSS JOIN LATERAL generate_series(1, CASE c.attributes #>> '{characteristics,size}'
												WHEN 'large' THEN 20 WHEN 'medium' THEN 8 WHEN 'small' THEN 3 ELSE 2 END) j
		 CROSS JOIN LATERAL (SELECT (CASE WHEN c.kind = 'company'
										  THEN @extschema@.demo_pick(s, 63, 64 * c.id + j, '{visit,visit,visit,support,discount}')
										  ELSE @extschema@.demo_pick(s, 63, 64 * c.id + j, '{support,support,discount}')
									 END) AS kind) k	-- text: a cast to the enum here is not immutable, which Citus refuses in a subquery without FROM
		 WHERE c.id BETWEEN lo AND hi
		   AND b.last_order IS NOT NULL
		   AND @extschema@.demo_uniform(s, 60, 64 * c.id + j) < 0.5)
		SELECT customer_id, incurred_on, kind, amount, note FROM costs ORDER BY customer_id, cost_no;

		-- Campaign members: up to two invitations per customer, to campaigns
		-- that ran after the customer was known.
		INSERT INTO @extschema@.campaign_members (campaign_id, customer_id, invited_at, attended, responded_at)
		SELECT m.id, c.id, m.invited, m.attended,
			   CASE WHEN @extschema@.demo_uniform(s, 73, 4 * c.id + j) < m.respond_rate
					THEN m.invited + (14 * @extschema@.demo_uniform(s, 74, 4 * c.id + j)) * interval '1 day' END
		  FROM @extschema@.customers c
		 CROSS JOIN generate_series(1, 2) j
		 CROSS JOIN LATERAL (
				SELECT k.id,
					   (k.started_on::timestamp AT TIME ZONE 'UTC')
						 + (greatest(k.ended_on - k.started_on, 1) * @extschema@.demo_uniform(s, 72, 4 * c.id + j)) * interval '1 day' AS invited,
					   @extschema@.demo_uniform(s, 75, 4 * c.id + j) < CASE WHEN k.method IN ('event', 'seminar', 'trade show') THEN 0.4 ELSE 0.25 END AS attended,
					   CASE WHEN k.method IN ('event', 'seminar', 'trade show') THEN 0.2
							WHEN k.method = 'phone' THEN 0.12 ELSE 0.05 END AS respond_rate
				  FROM @extschema@.campaigns k
				 WHERE k.id = 1 + floor(ncamp * @extschema@.demo_uniform(s, 71, 4 * c.id + j))::integer
				   AND k.started_on IS NOT NULL
				   AND k.started_on > (c.created_at AT TIME ZONE 'UTC')::date) m
		 WHERE c.id BETWEEN lo AND hi
		   AND j <= floor(3 * @extschema@.demo_uniform(s, 70, c.id))
		ON CONFLICT DO NOTHING;

		-- Opportunities of business customers, walked through the seed's
		-- pipeline: potential (mean 2 months, 50 % go on) -> bid (1 month,
		-- 80 %) -> negotiation (1 month, 90 % won) -> contract. The product
		-- tells something of the outcome, as in a real pipeline (deals that
		-- extend work the customer knows, services and support, close more
		-- often than new software and hardware): it is drawn from one mix for
		-- the deals whose coins say they go all the way and another for the
		-- rest, so each stage keeps the seed's rate and a scorer has a field
		-- with signal beside the stage (docs/deal_scoring.md).
		TRUNCATE pg_temp.demo_opportunity_walk;
		INSERT INTO pg_temp.demo_opportunity_walk
		SELECT w.*, x.stage, x.entered, x.closed, y.outcome, y.archived,
			   CASE WHEN y.archived IS NOT NULL THEN 'archived'
					WHEN y.outcome IS NOT NULL THEN y.outcome
					WHEN @extschema@.demo_uniform(s, 96, w.id) < 0.06 THEN 'suspended'
					ELSE 'open' END::@extschema@.opportunity_status
		  FROM (SELECT o.id, o.customer_id, o.owner, o.campaign_id,
					   CASE WHEN o.p1 AND o.p2 AND o.p3
							THEN CASE WHEN o.u < 0.12 THEN 'software' WHEN o.u < 0.24 THEN 'hardware'
									  WHEN o.u < 0.50 THEN 'services' WHEN o.u < 0.80 THEN 'support' ELSE 'training' END
							ELSE CASE WHEN o.u < 0.26 THEN 'software' WHEN o.u < 0.52 THEN 'hardware'
									  WHEN o.u < 0.70 THEN 'services' WHEN o.u < 0.82 THEN 'support' ELSE 'training' END
					   END AS product,
					   o.amount, o.created,
					   o.created + o.d1 * interval '1 day' AS t1,
					   o.created + (o.d1 + o.d2) * interval '1 day' AS t2,
					   o.created + (o.d1 + o.d2 + o.d3) * interval '1 day' AS t3,
					   o.p1, o.p2, o.p3
				  FROM (SELECT 3 * (c.id - 1) + j AS id, c.id AS customer_id, c.owner,
							   @extschema@.demo_uniform(s, 80, 3 * (c.id - 1) + j) AS u,
							   @extschema@.demo_uniform(s, 84, 3 * (c.id - 1) + j) < 0.5 AS p1,
							   @extschema@.demo_uniform(s, 85, 3 * (c.id - 1) + j) < 0.8 AS p2,
							   @extschema@.demo_uniform(s, 86, 3 * (c.id - 1) + j) < 0.9 AS p3,
							   round((CASE c.attributes #>> '{characteristics,size}' WHEN 'large' THEN 200000 WHEN 'medium' THEN 40000 ELSE 8000 END
									  * exp(0.8 * @extschema@.demo_normal(s, 82, 3 * (c.id - 1) + j)))::numeric, -2) AS amount,
							   CASE WHEN r.campaign_id IS NOT NULL AND j = 1 THEN r.campaign_id END AS campaign_id,
							   CASE WHEN r.campaign_id IS NOT NULL AND j = 1
									THEN r.responded_at + (30 * @extschema@.demo_uniform(s, 83, 3 * (c.id - 1) + j)) * interval '1 day'
									ELSE c.created_at + ((until - c.created_at) * @extschema@.demo_uniform(s, 83, 3 * (c.id - 1) + j))
							   END AS created,
							   -60.875 * ln(1 - @extschema@.demo_uniform(s, 87, 3 * (c.id - 1) + j)) AS d1,
							   -30.4375 * ln(1 - @extschema@.demo_uniform(s, 88, 3 * (c.id - 1) + j)) AS d2,
							   -30.4375 * ln(1 - @extschema@.demo_uniform(s, 89, 3 * (c.id - 1) + j)) AS d3
						  FROM @extschema@.customers c
						 -- a response to a campaign leads to the first opportunity
						 -- in 60 % of cases, within 30 days
						 LEFT JOIN LATERAL (
								SELECT m.campaign_id, m.responded_at
								  FROM @extschema@.campaign_members m
								 WHERE m.customer_id = c.id AND m.responded_at < until - interval '30 days'
								   AND @extschema@.demo_uniform(s, 90, c.id) < 0.6
								 ORDER BY m.responded_at LIMIT 1) r ON true
						 CROSS JOIN generate_series(1, 3) j
						 WHERE c.id BETWEEN lo AND hi
						   AND c.kind = 'company'
						   AND j <= greatest(floor(4 * @extschema@.demo_uniform(s, 81, c.id) ^ 2),
											 CASE WHEN r.campaign_id IS NOT NULL THEN 1 ELSE 0 END)) o) w
		 CROSS JOIN LATERAL (
				SELECT CASE WHEN w.t1 > until OR NOT w.p1 THEN 'potential'
							WHEN w.t2 > until OR NOT w.p2 THEN 'bid'
							WHEN w.t3 > until OR NOT w.p3 THEN 'negotiation'
							ELSE 'contract' END AS stage,
					   CASE WHEN w.t1 > until OR NOT w.p1 THEN w.created
							WHEN w.t2 > until OR NOT w.p2 THEN w.t1
							WHEN w.t3 > until OR NOT w.p3 THEN w.t2
							ELSE w.t3 END AS entered,
					   CASE WHEN w.t1 > until THEN NULL WHEN NOT w.p1 THEN w.t1
							WHEN w.t2 > until THEN NULL WHEN NOT w.p2 THEN w.t2
							WHEN w.t3 > until THEN NULL ELSE w.t3 END AS closed) x
		 CROSS JOIN LATERAL (
				SELECT z.outcome,
					   CASE WHEN x.closed < until - interval '545 days' AND @extschema@.demo_uniform(s, 97, w.id) < 0.7
							THEN x.closed + interval '180 days' END AS archived
				  FROM (SELECT CASE WHEN x.closed IS NULL THEN NULL
									WHEN x.stage = 'contract' THEN 'won'
									WHEN @extschema@.demo_uniform(s, 98, w.id) < 0.75 THEN 'lost'
									ELSE 'terminated' END AS outcome) z) y;

		INSERT INTO @extschema@.opportunities
			(id, customer_id, campaign_id, name, pipeline, stage, status, amount, expected_close,
			 win_probability, owner, cost, competitor, closing_summary, created_at, updated_at, closed_at)
		SELECT w.id, w.customer_id, w.campaign_id, format('%s project %s', initcap(w.product), w.id),
			   'project', w.stage, w.status, w.amount,
			   coalesce(w.closed, w.created + interval '121.75 days')::date,
			   CASE WHEN w.status = 'open' AND @extschema@.demo_uniform(s, 92, w.id) < 0.15
					THEN round(@extschema@.demo_uniform(s, 93, w.id)::numeric, 2) END,
			   w.owner,
			   round((extract(epoch FROM coalesce(w.closed, until) - w.created) / 86400 / 7 * 2 * 60)::numeric, 2),
			   CASE WHEN w.outcome = 'lost' AND @extschema@.demo_uniform(s, 94, w.id) < 0.6
					THEN @extschema@.demo_pick(s, 95, w.id, '{Globex,Initech,Umbrella,Hooli}') END,
			   CASE w.outcome WHEN 'won' THEN 'Won: signed after negotiation'
							  WHEN 'lost' THEN format('Lost at the %s stage', w.stage)
							  WHEN 'terminated' THEN format('Terminated at the %s stage: the customer dropped the project', w.stage) END,
			   w.created, coalesce(w.archived, w.closed, w.entered),
			   CASE WHEN w.outcome IS NOT NULL THEN w.closed END
		  FROM pg_temp.demo_opportunity_walk w
		 ORDER BY w.id;

		-- Their history: each stage move (with the cost of the stage left:
		-- two visits a week at 60 each), the closing, suspension, archiving.
		-- The expected close date: 121.75 days after creation (the closing
		-- date once closed, set with the closing); on entering bid, 40 % of
		-- the deals move it there from a first guess up to 21 days later
		-- (pulled in) or 39 days earlier (pushed out).
		INSERT INTO @extschema@.opportunity_history
			(customer_id, opportunity_id, changed_at, changed_by, old_stage, new_stage, old_status, new_status,
			 old_amount, new_amount, old_owner, new_owner, cost, old_expected_close, new_expected_close)
		SELECT w.customer_id, w.id, h.at, w.owner, h.old_stage, h.new_stage, h.old_status::@extschema@.opportunity_status,
			   h.new_status::@extschema@.opportunity_status, w.amount, w.amount, w.owner, w.owner,
			   round((extract(epoch FROM h.at - h.since) / 86400 / 7 * 2 * 60)::numeric, 2),
			   h.old_close, h.new_close
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (SELECT (w.created + interval '121.75 days')::date AS planned,
									coalesce(w.closed, w.created + interval '121.75 days')::date AS final) d
		 CROSS JOIN LATERAL (VALUES
				(1, w.t1, w.created, 'potential', 'bid', 'open', 'open', w.p1 AND w.t1 <= until,
				 CASE WHEN @extschema@.demo_uniform(s, 120, w.id) < 0.4
					  THEN d.planned - round((@extschema@.demo_uniform(s, 121, w.id) - 0.35) * 60)::integer
					  ELSE d.planned END, d.planned),
				(2, w.t2, w.t1, 'bid', 'negotiation', 'open', 'open', w.p1 AND w.p2 AND w.t2 <= until, d.planned, d.planned),
				(3, w.t3, w.t2, 'negotiation', 'contract', 'open', 'won', w.outcome = 'won', d.planned, d.final),
				(4, w.closed, w.entered, w.stage, w.stage, 'open', w.outcome, w.outcome IN ('lost', 'terminated'), d.planned, d.final),
				(5, w.entered + (until - w.entered) * @extschema@.demo_uniform(s, 99, w.id), w.entered,
				 w.stage, w.stage, 'open', 'suspended', w.status = 'suspended', d.planned, d.planned),
				(6, w.archived, w.archived, w.stage, w.stage, w.outcome, 'archived', w.status = 'archived', d.final, d.final))
				AS h(step, at, since, old_stage, new_stage, old_status, new_status, happened, old_close, new_close)
		 WHERE h.happened
		 ORDER BY w.id, h.step;

		-- Quotes: one on entering bid, a revised one on entering negotiation.
		INSERT INTO @extschema@.quotes (customer_id, opportunity_id, version, amount, discount_pct, valid_until, status, approved_by, approved_at, created_at)
		SELECT w.customer_id, w.id, q.version, round(w.amount * q.factor, 2), q.discount, (q.at AT TIME ZONE 'UTC')::date + 30,
			   q.status::@extschema@.quote_status,
			   CASE WHEN q.status = 'approved' THEN 'sales_manager' END,
			   CASE WHEN q.status = 'approved' THEN q.at + interval '2 days' END,
			   q.at
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(1, w.t1, 1.05, 0, CASE WHEN w.p2 AND w.t2 <= until THEN 'rejected' ELSE 'approved' END, w.p1 AND w.t1 <= until),
				(2, w.t2, 1.00, 5, 'approved', w.p1 AND w.p2 AND w.t2 <= until))
				AS q(version, at, factor, discount, status, happened)
		 WHERE q.happened
		 ORDER BY w.id, q.version;

		-- Split credit on a tenth of the won deals: 60 % owner, 40 % a colleague.
		INSERT INTO @extschema@.opportunity_owners (customer_id, opportunity_id, owner, share)
		SELECT w.customer_id, w.id, x.owner, x.share
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(w.owner, 60.00),
				(format('rep_%s', lpad((substr(w.owner, 5)::integer % 40 + 1)::text, 2, '0')), 40.00)) AS x(owner, share)
		 WHERE w.stage = 'contract' AND @extschema@.demo_uniform(s, 100, w.id) < 0.1;

		-- Contracts for won deals, in every state of their lifecycle by age.
		INSERT INTO @extschema@.contracts
			(id, customer_id, opportunity_id, campaign_id, title, amount, signed_on, starts_on, ends_on, terms,
			 percent_complete, status, version, created_at, updated_at)
		SELECT w.id, w.customer_id, w.id, w.campaign_id, format('%s contract %s', initcap(w.product), w.id),
			   round(w.amount * (0.9 + 0.1 * @extschema@.demo_uniform(s, 110, w.id))::numeric, 2),
			   CASE WHEN x.status NOT IN ('draft', 'submitted') THEN x.won END,
			   x.starts, x.ends,
			   CASE WHEN x.amended THEN 'Standard terms, amended' ELSE 'Standard terms' END,
			   CASE WHEN x.status IN ('completed', 'closed') THEN 100
					WHEN x.status IN ('executing', 'interrupted')
						THEN least(99, greatest(0, round(100.0 * (as_of - x.starts) / (x.ends - x.starts))))
					ELSE 0 END,
			   x.status, CASE WHEN x.amended THEN 2 ELSE 1 END, w.t3, w.t3
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (
				SELECT y.*,
					   (CASE WHEN as_of - y.won < 10 THEN 'draft'
							 WHEN as_of - y.won < 20 THEN 'submitted'
							 WHEN as_of < y.starts THEN 'approved'
							 WHEN as_of <= y.ends AND @extschema@.demo_uniform(s, 111, w.id) < 0.08 THEN 'interrupted'
							 WHEN as_of <= y.ends THEN 'executing'
							 WHEN as_of <= y.ends + 90 THEN 'completed'
							 ELSE 'closed' END)::@extschema@.contract_status AS status,
					   as_of > y.starts + 30 AND @extschema@.demo_uniform(s, 112, w.id) < 0.1 AS amended
				  FROM (SELECT (w.t3 AT TIME ZONE 'UTC')::date AS won,
							   (w.t3 AT TIME ZONE 'UTC')::date + 30 AS starts,
							   (w.t3 AT TIME ZONE 'UTC')::date + 30
								 + (ARRAY[180, 365, 730])[1 + floor(3 * @extschema@.demo_uniform(s, 113, w.id))::integer] AS ends) y) x
		 WHERE w.stage = 'contract'
		 ORDER BY w.id;

		INSERT INTO @extschema@.contract_versions
			(customer_id, contract_id, version, amount, starts_on, ends_on, terms, valid_from, replaced_at, replaced_by)
		SELECT k.customer_id, k.id, 1, round(k.amount / 1.05, 2), k.starts_on, k.ends_on, 'Standard terms',
			   k.created_at, (k.starts_on + 30)::timestamp AT TIME ZONE 'UTC', 'sales_manager'
		  FROM @extschema@.contracts k
		 WHERE k.id BETWEEN 3 * (lo - 1) + 1 AND 3 * hi
		   AND k.version = 2;

		INSERT INTO @extschema@.contract_history
			(customer_id, contract_id, changed_at, changed_by, old_status, new_status, old_percent, new_percent)
		SELECT k.customer_id, k.id, (h.at::timestamp AT TIME ZONE 'UTC'), 'sales_manager',
			   h.old_status::@extschema@.contract_status, h.new_status::@extschema@.contract_status,
			   h.old_percent, h.new_percent
		  FROM @extschema@.contracts k
		 CROSS JOIN LATERAL (VALUES
				(1, (k.created_at AT TIME ZONE 'UTC')::date + 10, 'draft', 'submitted', 0, 0, k.status >= 'submitted'),
				(2, (k.created_at AT TIME ZONE 'UTC')::date + 20, 'submitted', 'approved', 0, 0, k.status >= 'approved'),
				(3, k.starts_on, 'approved', 'executing', 0, 0, k.status >= 'executing'),
				(4, as_of - 3, 'executing', 'interrupted', k.percent_complete, k.percent_complete, k.status = 'interrupted'),
				(5, k.ends_on, 'executing', 'completed', 0, 100, k.status >= 'completed'),
				(6, k.ends_on + 90, 'completed', 'closed', 100, 100, k.status = 'closed'))
				AS h(step, at, old_status, new_status, old_percent, new_percent, happened)
		 WHERE k.id BETWEEN 3 * (lo - 1) + 1 AND 3 * hi
		   AND h.happened
		 ORDER BY k.id, h.step;

		IF clock_timestamp() - last_report >= interval '5 seconds' THEN
			RAISE NOTICE 'generate_demo_data: % of % customers done, % orders, % s',
				hi, customers, n_orders, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
			last_report := clock_timestamp();
		END IF;
		lo := hi + 1;
	END LOOP;

	-- Quotas: each year's target by region and by rep is the previous
	-- year's sales plus 10 %.
	-- (Sums per year, region and owner first: Citus runs no GROUPING SETS
	-- over distributed tables; numeric sums are exact either way.)
	INSERT INTO @extschema@.quotas (period_start, period_end, region, owner, target, note)
	WITH t AS MATERIALIZED (
		SELECT extract(year FROM o.ordered_at AT TIME ZONE 'UTC')::integer AS y, c.region, c.owner, sum(o.amount) AS amount
		  FROM @extschema@.orders o JOIN @extschema@.customers c ON c.id = o.customer_id
		 GROUP BY 1, 2, 3)
	SELECT make_date(y + 1, 1, 1), make_date(y + 1, 12, 31), region, owner,
		   round(sum(amount) * 1.10, -2), 'previous year''s sales + 10 %'
	  FROM t
	 GROUP BY GROUPING SETS ((y, region), (y, owner))
	HAVING (GROUPING(owner) = 0) = (owner IS NOT NULL)
	 ORDER BY 1, 3 NULLS FIRST, 4 NULLS FIRST;	-- ids in the same order wherever the orders are

	-- Self-assessments (seed 002), one at the end of each year, the
	-- company improving as it takes the tools up: 48 (red alert), 67 and 78
	-- (improve), 97 (good); kept when some were taken already.
	IF NOT EXISTS (SELECT FROM @extschema@.assessments) THEN
		INSERT INTO @extschema@.assessments (assessed_at, assessed_by, scores, note) VALUES
			('2022-12-15 10:00+00', 'demo', '{6,4,3,3,2,4,4,4,4,5,4,5}', 'before crm'),
			('2023-12-15 10:00+00', 'demo', '{7,6,6,5,5,4,4,6,6,7,5,6}', 'campaigns and grades in crm'),
			('2024-12-15 10:00+00', 'demo', '{8,7,7,6,6,10,6,6,4,8,4,6}', 'monthly quotas'),
			('2025-12-15 10:00+00', 'demo', '{8,8,8,7,8,10,10,10,6,9,5,8}', 'forecasts at any time');
	END IF;

	-- A manager's adjustment of the forecast roll-up of the first quarter
	-- of 2026 (crm.forecast_rollup): the commit of all reps, 10 % held
	-- back; from_amount as the roll-up computes it (the open deals expected
	-- to close in the quarter whose default category is commit).
	INSERT INTO @extschema@.forecast_adjustments
		(pipeline, period, period_start, level, name, category, from_amount, amount, note, adjusted_by, adjusted_at)
	SELECT 'project', 'quarter', '2026-01-01', 'all', NULL, 'commit', x.total, round(x.total * 0.9, -2),
		   '10 % held back: deals slip in January', 'demo_manager', '2026-01-02 09:00+00'
	  FROM (SELECT coalesce(sum(o.amount), 0) AS total
			  FROM @extschema@.opportunities o, @extschema@.pipeline_funnel('project') f
			 WHERE o.pipeline = 'project' AND o.status = 'open' AND o.forecast_category IS NULL
			   AND o.expected_close >= '2026-01-01' AND o.expected_close < '2026-04-01'
			   AND @extschema@.default_forecast_category(o.status, coalesce(o.win_probability,
					   CASE WHEN array_position(f.stages, o.stage) IS NULL THEN 1
							ELSE @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion) END)) = 'commit') x;

	-- Identity sequences continue after the generated keys.
	PERFORM setval(pg_get_serial_sequence(t, 'id'), m, m IS NOT NULL)
	  FROM (VALUES ('@extschema@.customers', (SELECT max(id) FROM @extschema@.customers)),
				   ('@extschema@.contacts', (SELECT max(id) FROM @extschema@.contacts)),
				   ('@extschema@.campaigns', (SELECT max(id) FROM @extschema@.campaigns)),
				   ('@extschema@.opportunities', (SELECT max(id) FROM @extschema@.opportunities)),
				   ('@extschema@.contracts', (SELECT max(id) FROM @extschema@.contracts))) AS v(t, m);

	-- (On Citus, the workers' autovacuum analyzes the shards: an ANALYZE of
	-- the distributed tables here would need connections that the local
	-- writes above already hold.)
	IF NOT @extschema@.is_distributed() THEN
		ANALYZE @extschema@.customers, @extschema@.contacts, @extschema@.orders, @extschema@.service_costs,
				@extschema@.campaigns, @extschema@.campaign_members, @extschema@.opportunities,
				@extschema@.opportunity_owners, @extschema@.opportunity_history, @extschema@.quotes,
				@extschema@.contracts, @extschema@.contract_versions, @extschema@.contract_history,
				@extschema@.quotas, @extschema@.assessments, @extschema@.forecast_adjustments;
	END IF;

	IF clock_timestamp() - started >= interval '5 seconds' THEN
		RAISE NOTICE 'generate_demo_data: done, % customers, % orders, % s',
			customers, n_orders, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
	END IF;

	RETURN QUERY
	SELECT v.t, v.n FROM (VALUES
		('customers', (SELECT count(*) FROM @extschema@.customers)),
		('contacts', (SELECT count(*) FROM @extschema@.contacts)),
		('orders', n_orders),
		('service_costs', (SELECT count(*) FROM @extschema@.service_costs)),
		('campaigns', (SELECT count(*) FROM @extschema@.campaigns)),
		('campaign_members', (SELECT count(*) FROM @extschema@.campaign_members)),
		('opportunities', (SELECT count(*) FROM @extschema@.opportunities)),
		('opportunity_owners', (SELECT count(*) FROM @extschema@.opportunity_owners)),
		('opportunity_history', (SELECT count(*) FROM @extschema@.opportunity_history)),
		('quotes', (SELECT count(*) FROM @extschema@.quotes)),
		('contracts', (SELECT count(*) FROM @extschema@.contracts)),
		('contract_versions', (SELECT count(*) FROM @extschema@.contract_versions)),
		('contract_history', (SELECT count(*) FROM @extschema@.contract_history)),
		('quotas', (SELECT count(*) FROM @extschema@.quotas)),
		('assessments', (SELECT count(*) FROM @extschema@.assessments)),
		('forecast_adjustments', (SELECT count(*) FROM @extschema@.forecast_adjustments))) AS v(t, n);
END;
$$;
