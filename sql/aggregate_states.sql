-- Every population-level aggregate's state survives being split, shipped
-- and combined: the input cut into 1, 2, 3 or 7 parts in two different
-- ways, a partial state per part (the transition function alone, as a
-- Citus worker or a parallel worker computes it), each state sent through
-- its text form (float8[] out and in, as Citus ships a non-internal state),
-- then combined in ascending and in descending part order and finished.
-- The result must equal the aggregate over all rows.  (SCALE-OUT.md; the
-- internal state of crm.purchase_stats travels through its serialize and
-- deserialize functions, covered under forced parallel plans in
-- sql/purchase_stats.sql.)

SELECT setseed(0.125);
CREATE TABLE state_rows AS
SELECT i,
	   x, CASE WHEN x = 0 THEN 0 ELSE round((random() * T)::numeric, 1)::float8 END AS t_x, T,
	   CASE WHEN x > 0 THEN round((5 + random() * 200)::numeric, 2)::float8 END AS mean_amount,
	   1 + (i % 3) AS stage, round((1000 + random() * 99000)::numeric, 2) AS amount,
	   CASE WHEN i % 4 = 0 THEN round((random() * 2)::numeric, 2)::float8 END AS months_in_stage,
	   (date '2022-01-01' + ((i % 36) || ' months')::interval)::date AS month,
	   round((100 + 10 * (i % 12) + random() * 20)::numeric, 2)::float8 AS sales
  FROM (SELECT i, floor(-ln(1 - random()) * 3)::integer AS x, round((10 + random() * 40)::numeric, 1)::float8 AS T
		  FROM generate_series(1, 3000) i) g;

-- partial states: the transition functions alone
CREATE AGGREGATE pg_temp.bgnbd_partial(integer, float8, float8, float8, float8) (SFUNC = crm.bgnbd_fit_trans, STYPE = float8[]);
CREATE AGGREGATE pg_temp.gg_partial(integer, float8) (SFUNC = crm.gammagamma_fit_trans, STYPE = float8[]);
CREATE AGGREGATE pg_temp.funnel_partial(integer, numeric, float8[], float8[], integer, float8) (
	SFUNC = crm.funnel_forecast_trans, STYPE = float8[]);
CREATE AGGREGATE pg_temp.seasonal_partial(date, float8, integer, text, integer) (
	SFUNC = crm.seasonal_forecast_trans, STYPE = float8[]);
-- combining partial states in a given order: the combine functions folded
CREATE AGGREGATE pg_temp.bgnbd_merge(float8[]) (SFUNC = crm.bgnbd_fit_combine, STYPE = float8[]);
CREATE AGGREGATE pg_temp.gg_merge(float8[]) (SFUNC = crm.gammagamma_fit_combine, STYPE = float8[]);
CREATE AGGREGATE pg_temp.funnel_merge(float8[]) (SFUNC = crm.funnel_forecast_combine, STYPE = float8[]);
CREATE AGGREGATE pg_temp.seasonal_merge(float8[]) (SFUNC = crm.seasonal_forecast_combine, STYPE = float8[]);

-- (random summaries show little dropout: the BG/NBD fit takes a penalty to converge)
CREATE TEMP TABLE whole AS
SELECT crm.bgnbd_fit(x, t_x, T, 1, 0.01) AS bg,
	   crm.gammagamma_fit(x, mean_amount) AS gg,
	   crm.funnel_forecast(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 4, months_in_stage) AS ff,
	   crm.seasonal_forecast(month, sales, 6, 'holt_winters', 12) AS sf
  FROM state_rows;
SELECT (bg).converged AS bgnbd_converged, (gg).converged AS gammagamma_converged, ff AS funnel, cardinality(sf) AS seasonal_months
  FROM whole;

-- parts: i % k (interleaved) and i * k / 3001 (contiguous ranges)
CREATE TEMP TABLE partials AS
SELECT k, way, part,
	   pg_temp.bgnbd_partial(x, t_x, T, 1, 0.01)::text AS bg,
	   pg_temp.gg_partial(x, mean_amount)::text AS gg,
	   pg_temp.funnel_partial(stage, amount, '{0.5,0.8,0.9}', '{2,1,1}', 4, months_in_stage)::text AS ff,
	   pg_temp.seasonal_partial(month, sales, 6, 'holt_winters', 12)::text AS sf
  FROM (VALUES (1), (2), (3), (7)) kk(k), (VALUES ('interleaved'), ('ranges')) w(way), state_rows,
	   LATERAL (SELECT CASE way WHEN 'interleaved' THEN i % k ELSE i * k / 3001 END AS part) p
 GROUP BY k, way, part;
SELECT k, way, count(*) AS parts FROM partials GROUP BY k, way ORDER BY k, way;

-- combined in both orders from their text form, finished, compared
CREATE TEMP TABLE combined AS
SELECT k, way, ord,
	   crm.bgnbd_fit_final(CASE ord WHEN 'ascending' THEN pg_temp.bgnbd_merge(bg::float8[] ORDER BY part)
								   ELSE pg_temp.bgnbd_merge(bg::float8[] ORDER BY part DESC) END) AS bg,
	   crm.gammagamma_fit_final(CASE ord WHEN 'ascending' THEN pg_temp.gg_merge(gg::float8[] ORDER BY part)
										 ELSE pg_temp.gg_merge(gg::float8[] ORDER BY part DESC) END) AS gg,
	   crm.funnel_forecast_final(CASE ord WHEN 'ascending' THEN pg_temp.funnel_merge(ff::float8[] ORDER BY part)
										  ELSE pg_temp.funnel_merge(ff::float8[] ORDER BY part DESC) END) AS ff,
	   crm.seasonal_forecast_final(CASE ord WHEN 'ascending' THEN pg_temp.seasonal_merge(sf::float8[] ORDER BY part)
											ELSE pg_temp.seasonal_merge(sf::float8[] ORDER BY part DESC) END) AS sf
  FROM partials, (VALUES ('ascending'), ('descending')) o(ord)
 GROUP BY k, way, ord;
-- BG/NBD and Gamma-Gamma merge identical summaries by sorting, and the
-- funnel rounds compensated sums to cents: equal to the last bit.  The
-- seasonal forecast adds float8 month totals in a different order, so it
-- agrees to 1e-9 of its value.
SELECT count(*) AS splits,
	   count(*) FILTER (WHERE c.bg = w.bg) AS bgnbd_equal,
	   count(*) FILTER (WHERE c.gg = w.gg) AS gammagamma_equal,
	   count(*) FILTER (WHERE c.ff = w.ff) AS funnel_equal,
	   count(*) FILTER (WHERE (SELECT bool_and(abs(a - b) <= 1e-9 * abs(b))
								 FROM unnest(c.sf, w.sf) u(a, b))) AS seasonal_equal
  FROM combined c, whole w;

DROP TABLE state_rows;

-- A state made by hand that is not a one-dimensional float8[] without NULLs
-- is refused by every support function, never read out of bounds
SELECT try($$SELECT crm.bgnbd_fit_final('{{1,0},{0,0}}')$$);
SELECT try($$SELECT crm.gammagamma_fit_combine('{2,0,0,0}', '{2,0,NULL,0}')$$);
SELECT try($$SELECT crm.funnel_forecast_final('{}')$$);
SELECT try($$SELECT crm.seasonal_forecast_final('{{1}}')$$);
