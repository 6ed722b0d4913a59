/*
 * purchase_stats.sql: the purchase history of a customer in one aggregate
 * (C in purchase_stats.c), and its Fader-Hardie-Lee summary for lifetime
 * value models.
 */

CREATE TYPE @extschema@.purchase_stats AS (
	first_purchase		date,
	last_purchase		date,
	orders				bigint,
	purchase_days		integer,
	revenue				numeric,
	cost				numeric,
	net_value			numeric,
	mean_order_value	numeric,
	mean_repeat_value	numeric,
	trend				float8
);
COMMENT ON TYPE @extschema@.purchase_stats IS
	'A customer''s purchase history: first and last purchase day, orders, distinct purchase days, revenue, cost to serve, net value = revenue - cost, mean order value, mean value of the repeat purchase days (all days after the first), and trend in [-1, 1] = (spend of the later half of the purchase days - spend of the earlier half; an odd middle day counts half to each) / total spend';

-- One transition function serves every signature: it looks at its argument
-- types once per call site.  The timestamptz forms are STABLE because the
-- purchase day of a timestamptz is its date in the session time zone, as
-- ordered_at::date would give.
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, date, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, date, numeric, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, date, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, date, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, numeric, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_trans' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.purchase_stats_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_purchase_stats_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_stats_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_stats_final(internal)
RETURNS @extschema@.purchase_stats AS 'MODULE_PATHNAME', 'crm_purchase_stats_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, date, numeric) IS 'Transition function of crm.purchase_stats(date, numeric)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, date, numeric, numeric) IS 'Transition function of crm.purchase_stats(date, numeric, numeric)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, date, float8) IS 'Transition function of crm.purchase_stats(date, float8)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, date, float8, float8) IS 'Transition function of crm.purchase_stats(date, float8, float8)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, numeric) IS 'Transition function of crm.purchase_stats(timestamptz, numeric)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, numeric, numeric) IS 'Transition function of crm.purchase_stats(timestamptz, numeric, numeric)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, float8) IS 'Transition function of crm.purchase_stats(timestamptz, float8)';
COMMENT ON FUNCTION @extschema@.purchase_stats_trans(internal, timestamptz, float8, float8) IS 'Transition function of crm.purchase_stats(timestamptz, float8, float8)';
COMMENT ON FUNCTION @extschema@.purchase_stats_combine(internal, internal) IS 'Support function of crm.purchase_stats: merges two partial states';
COMMENT ON FUNCTION @extschema@.purchase_stats_serialize(internal) IS 'Support function of crm.purchase_stats: the state as versioned, architecture-independent bytes';
COMMENT ON FUNCTION @extschema@.purchase_stats_deserialize(bytea, internal) IS 'Support function of crm.purchase_stats: a state from its bytes, lengths checked';
COMMENT ON FUNCTION @extschema@.purchase_stats_final(internal) IS 'Support function of crm.purchase_stats: the crm.purchase_stats composite; NULL for no rows';

-- SSPACE: the state is one 256-byte chunk for up to 11 purchase days, 512
-- for up to 27 (measured on the demo data: about 520 bytes per customer
-- with the hash table's own overhead).
-- The final function sorts and merges the purchase days in place: the state
-- keeps its value, so it may still be shared and read again (READ_ONLY).
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at date, amount numeric) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at date, amount numeric, cost numeric) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at date, amount float8) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at date, amount float8, cost float8) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at timestamptz, amount numeric) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at timestamptz, amount numeric, cost numeric) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at timestamptz, amount float8) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_stats(ordered_at timestamptz, amount float8, cost float8) (
	SFUNC = @extschema@.purchase_stats_trans, STYPE = internal, SSPACE = 512,
	FINALFUNC = @extschema@.purchase_stats_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.purchase_stats_combine,
	SERIALFUNC = @extschema@.purchase_stats_serialize, DESERIALFUNC = @extschema@.purchase_stats_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.purchase_stats(date, numeric) IS
	'Purchase history of a group of orders as crm.purchase_stats: days, orders, distinct purchase days, revenue (exact), mean order and repeat-day values, trend; NULL amounts are skipped';
COMMENT ON AGGREGATE @extschema@.purchase_stats(date, numeric, numeric) IS
	'Purchase history with cost to serve: a row with amount NULL adds only its cost; net_value = revenue - cost';
COMMENT ON AGGREGATE @extschema@.purchase_stats(date, float8) IS
	'Purchase history of float8 amounts (summed exactly at 0.0001)';
COMMENT ON AGGREGATE @extschema@.purchase_stats(date, float8, float8) IS
	'Purchase history of float8 amounts with cost to serve';
COMMENT ON AGGREGATE @extschema@.purchase_stats(timestamptz, numeric) IS
	'Purchase history; purchase days are dates in the session time zone';
COMMENT ON AGGREGATE @extschema@.purchase_stats(timestamptz, numeric, numeric) IS
	'Purchase history with cost to serve; purchase days are dates in the session time zone';
COMMENT ON AGGREGATE @extschema@.purchase_stats(timestamptz, float8) IS
	'Purchase history of float8 amounts; purchase days are dates in the session time zone';
COMMENT ON AGGREGATE @extschema@.purchase_stats(timestamptz, float8, float8) IS
	'Purchase history of float8 amounts with cost to serve; purchase days are dates in the session time zone';

CREATE TYPE @extschema@.rfm_summary AS (
	frequency	integer,
	recency		float8,
	age			float8,
	monetary	numeric
);
COMMENT ON TYPE @extschema@.rfm_summary IS
	'Customer summary of Fader, Hardie & Lee (2005): frequency x = repeat purchase days, recency t_x = first to last purchase day, age T = first purchase day to as_of (in the chosen unit), monetary = mean value of the repeat purchase days';

CREATE FUNCTION @extschema@.rfm_summary(stats @extschema@.purchase_stats, as_of date, unit text DEFAULT 'week')
RETURNS @extschema@.rfm_summary
AS 'MODULE_PATHNAME', 'crm_rfm_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary(@extschema@.purchase_stats, date, text) IS
	'(x, t_x, T, monetary) of a purchase history at as_of in unit day, week (7 days), month (30.4375 days) or year (365.25 days); NULL without purchases; error when as_of is before the last purchase';

-- A customer's purchase history, written once: every order (its amount,
-- what is unpaid and when it was due), every cost to serve, and one empty
-- row per customer (kind 'customer'), so that a query grouped by customer
-- sees every customer without an outer join (Citus 13.2 pushes such a
-- query down whole to the shards, but plans a UNION ALL on the inner side
-- of an outer join through the coordinator).  The history as of a day d
-- is WHERE booked_at < (d + 1)::timestamptz: the orders ordered on or
-- before d, the costs incurred on or before d (dates in the session time
-- zone, as crm.purchase_stats counts days), and the empty rows
-- (booked_at -infinity).  A filter on kind is decided when the query is
-- planned: WHERE kind <> 'customer' leaves the empty rows out unread.
-- A view, not a set-returning SQL function: Citus 13.2 expands views
-- itself, but it does not inline a set-returning SQL function and cannot
-- run one with parameters over distributed tables.
CREATE VIEW @extschema@.purchase_history AS
SELECT o.customer_id, 'order'::text AS kind, o.ordered_at AS booked_at, o.ordered_at, o.amount,
	   NULL::numeric AS cost, o.due_date, o.amount OPERATOR(pg_catalog.-) o.amount_paid AS unpaid
  FROM @extschema@.orders o
UNION ALL
SELECT s.customer_id, 'cost'::text, s.incurred_on::timestamptz, NULL::timestamptz, NULL::numeric,
	   s.amount, NULL::date, NULL::numeric
  FROM @extschema@.service_costs s
UNION ALL
SELECT c.id, 'customer'::text, '-infinity'::timestamptz, NULL::timestamptz, NULL::numeric,
	   NULL::numeric, NULL::date, NULL::numeric
  FROM @extschema@.customers c;
COMMENT ON VIEW @extschema@.purchase_history IS
	'Every customer''s purchase history, the source of crm.customer_purchase_stats, crm.customer_360, crm.pareto_classes and crm.refresh_grades: one row per order (kind order: ordered_at, amount; due_date and unpaid = amount - amount_paid for crm.overdue), per cost to serve (kind cost: cost) and per customer (kind customer: an empty row, so that grouping by customer_id gives every customer). booked_at: ordered_at, the start of the day incurred_on in the session time zone, or -infinity for the empty row; the history as of day d is WHERE booked_at < (d + 1)::timestamptz';

-- The overdue rule, written once: the unpaid amount of an order due before
-- the day (crm.customer_360 today, crm.refresh_grades as of its day).
-- Inlined by the planner (a single expression, not strict; the RETURN body
-- is parsed once, at CREATE).
CREATE FUNCTION @extschema@.overdue(due_date date, unpaid numeric, as_of date)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN due_date OPERATOR(pg_catalog.<) as_of AND unpaid OPERATOR(pg_catalog.>) 0 THEN unpaid END;
COMMENT ON FUNCTION @extschema@.overdue(date, numeric, date) IS
	'Arrears of one order as of a day: its unpaid amount when it was due before as_of and is not paid in full, else NULL; sum it per customer (crm.purchase_history has due_date and unpaid)';

-- Every customer's history from the CRM tables, costs to serve included.
CREATE VIEW @extschema@.customer_purchase_stats AS
SELECT h.customer_id, @extschema@.purchase_stats(h.ordered_at, h.amount, h.cost) AS stats
  FROM @extschema@.purchase_history h
 WHERE h.kind OPERATOR(pg_catalog.<>) 'customer'
 GROUP BY h.customer_id;
COMMENT ON VIEW @extschema@.customer_purchase_stats IS
	'crm.purchase_stats of every customer with orders or costs to serve: orders and service_costs in one pass';
