/*
 * grades.sql: Pareto key accounts (80/20), automatic grading of every
 * customer with its history, and the views reporting tools read.
 *
 * - crm.pareto_classes(as_of, measure, a_share, b_share): A / B / C by the
 *   cumulative share of value, in one set-based query.  The same pattern
 *   works on any table (see the function's comment):
 *
 *     SELECT id, value,
 *            CASE WHEN value > 0 AND sum(value) OVER upto - sum(value) OVER peers
 *                      < 0.80 * sum(value) FILTER (WHERE value > 0) OVER () THEN 'A'
 *                 WHEN value > 0 AND sum(value) OVER upto - sum(value) OVER peers
 *                      < 0.95 * sum(value) FILTER (WHERE value > 0) OVER () THEN 'B'
 *                 ELSE 'C' END AS class
 *       FROM t
 *     WINDOW upto AS (ORDER BY value DESC NULLS LAST),
 *            peers AS (upto RANGE BETWEEN CURRENT ROW AND CURRENT ROW);
 *
 *   upto - peers is the value of the customers strictly above the current
 *   one: the default frame runs to the last row with the same value (its
 *   peers), the peers frame is that group of equal values.  A customer is
 *   A while the customers above him do not yet bring a_share: so A is the
 *   fewest customers that together reach a_share (the one who crosses the
 *   line is in), and equal values always share a class.  (The same with
 *   the frame "... AND CURRENT ROW EXCLUDE GROUP" reads shorter but is
 *   quadratic: PostgreSQL re-aggregates a frame with EXCLUDE for each row,
 *   12 s for 20,000 customers instead of milliseconds.)
 *
 * - crm.refresh_grades(as_of): lifecycle stage, value score, segment A..I,
 *   relationship state and Pareto class of every customer, written to
 *   crm.customer_grades in one statement (data-modifying CTEs); a change of
 *   stage, segment, relationship or Pareto class is logged in
 *   crm.grade_history with a reason ("grades go up or down automatically").
 *   A moving value score, revenue or volume alone is stored, not logged.
 *
 * - Views: crm.customer_360 (one customer, everything), and the summaries
 *   crm.lifecycle_summary, crm.segment_matrix, crm.region_summary, which
 *   read crm.customer_grades (run crm.refresh_grades first).
 *
 * Money comes from crm.orders (ordered before as_of + 1 day, i.e. on or
 * before as_of in the session time zone, as crm.purchase_stats counts days)
 * and crm.service_costs (incurred on or before as_of).  The purchase volume
 * of the segments and of measure 'revenue_12m' is the revenue of the 365
 * days as_of - 364 .. as_of.
 */

--------------------------------------------------------------------------
-- Pareto classes (80/20)
--------------------------------------------------------------------------

-- The Pareto rule, written once (crm.pareto_classes, crm.refresh_grades):
-- the class of a value given the value of the customers strictly above it
-- and the total positive value.  Inlined by the planner (a single
-- expression, not strict; the RETURN body is parsed once, at CREATE).
CREATE FUNCTION @extschema@.pareto_class(value numeric, above numeric, total numeric,
										 a_share numeric, b_share numeric)
RETURNS char(1)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (CASE WHEN value OPERATOR(pg_catalog.>) 0 AND above OPERATOR(pg_catalog.<) (a_share OPERATOR(pg_catalog.*) total) THEN 'A'
			 WHEN value OPERATOR(pg_catalog.>) 0 AND above OPERATOR(pg_catalog.<) (b_share OPERATOR(pg_catalog.*) total) THEN 'B'
			 ELSE 'C' END)::char(1);
COMMENT ON FUNCTION @extschema@.pareto_class(numeric, numeric, numeric, numeric, numeric) IS
	'Pareto class of a value: A when it is positive and the values strictly above it (above) bring less than a_share of the total positive value (total), B when they bring less than b_share, else C';

CREATE FUNCTION @extschema@.pareto_classes(as_of date, measure text DEFAULT 'net_value',
										   a_share numeric DEFAULT 0.80, b_share numeric DEFAULT 0.95)
RETURNS TABLE (customer_id bigint, value numeric, rank bigint, cumulative_share numeric, class char(1))
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	next_day	timestamptz;	-- orders before this time count: as_of + 1 day
	year_start	timestamptz;	-- start of the 365 days of revenue_12m
BEGIN
	IF as_of IS NULL OR measure IS NULL OR a_share IS NULL OR b_share IS NULL THEN
		RAISE EXCEPTION 'pareto_classes: as_of, measure, a_share and b_share must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a day, e.g. crm.pareto_classes(''2025-12-31''); the other arguments have defaults (net_value, 0.80, 0.95).';
	END IF;
	IF NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'pareto_classes: as_of must be a finite day, got %', as_of
			USING ERRCODE = 'datetime_field_overflow',
				  HINT = 'Pass the day to analyse as of, e.g. ''2025-12-31''.';
	END IF;
	IF measure NOT IN ('net_value', 'revenue', 'revenue_12m') THEN
		RAISE EXCEPTION 'pareto_classes: unknown measure "%"', measure
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use net_value (revenue - cost to serve), revenue (all purchases up to as_of) or revenue_12m (purchases of the 365 days up to as_of).';
	END IF;
	IF NOT (a_share > 0 AND a_share < b_share AND b_share <= 1) THEN
		RAISE EXCEPTION 'pareto_classes: shares must satisfy 0 < a_share < b_share <= 1, got a_share % and b_share %', a_share, b_share
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'a_share is the share of the value class A brings (e.g. 0.80), b_share the share of A and B together (e.g. 0.95).';
	END IF;
	next_day := (as_of + 1)::timestamptz;
	year_start := (as_of - 364)::timestamptz;

	RETURN QUERY
	WITH v AS (
		-- per customer (pushed down whole to the shards under Citus), every
		-- customer (crm.purchase_history has an empty row for each): a
		-- customer with any order or cost has a value (0 when nothing
		-- counts for the measure); one with neither has NULL
		SELECT h.customer_id AS cid,
			   CASE WHEN count(h.amount) + count(h.cost) > 0 THEN
					CASE measure
						 WHEN 'net_value' THEN coalesce(sum(h.amount), 0) - coalesce(sum(h.cost), 0)
						 WHEN 'revenue' THEN coalesce(sum(h.amount), 0)
						 ELSE coalesce(sum(h.amount) FILTER (WHERE h.ordered_at >= year_start), 0)
					END
			   END AS val
		  FROM @extschema@.purchase_history h
		 WHERE h.booked_at < next_day
		 GROUP BY h.customer_id
	), w AS (
		-- across all customers (on the coordinator under Citus)
		SELECT v.cid, v.val,
			   rank() OVER (ORDER BY v.val DESC NULLS LAST) AS rnk,
			   sum(v.val) FILTER (WHERE v.val > 0) OVER () AS total,
			   sum(v.val) OVER upto AS running,
			   sum(v.val) OVER upto - sum(v.val) OVER peers AS above
		  FROM v
		WINDOW upto AS (ORDER BY v.val DESC NULLS LAST),
			   peers AS (upto RANGE BETWEEN CURRENT ROW AND CURRENT ROW)
	)
	SELECT w.cid, w.val,
		   CASE WHEN w.val IS NOT NULL THEN w.rnk END,
		   CASE WHEN w.val > 0 THEN trim_scale(w.running / w.total) END,
		   @extschema@.pareto_class(w.val, w.above, w.total, a_share, b_share)
	  FROM w
	 ORDER BY w.rnk, w.cid;
END;
$$;
COMMENT ON FUNCTION @extschema@.pareto_classes(date, text, numeric, numeric) IS
	'80/20 classes of every customer as of as_of, in one set-based query over crm.orders (ordered on or before as_of) and crm.service_costs (incurred on or before as_of). measure: net_value (revenue - cost to serve), revenue, or revenue_12m (revenue of the 365 days up to as_of). Customers ranked by value, highest first: class A = the fewest top customers that together bring a_share of the total positive value, B = the next ones up to b_share, C = the rest. A customer is A when the customers strictly above him bring less than a_share (B: less than b_share), so equal values always share a class and the customer who crosses the line is in. value NULL = no order and no cost up to as_of (a customer with either has a value for every measure, 0 when nothing counts); NULL or non-positive value: class C, cumulative_share NULL (rank NULL when value is NULL). cumulative_share = value of this customer and all above him (his equals included) / total positive value. Errors: NULL argument (22004), infinite as_of (22008), unknown measure or shares not 0 < a_share < b_share <= 1 (22023). The same pattern on any table t(id, value): SELECT id, value, CASE WHEN value > 0 AND sum(value) OVER upto - sum(value) OVER peers < 0.80 * sum(value) FILTER (WHERE value > 0) OVER () THEN ''A'' WHEN value > 0 AND sum(value) OVER upto - sum(value) OVER peers < 0.95 * sum(value) FILTER (WHERE value > 0) OVER () THEN ''B'' ELSE ''C'' END AS class FROM t WINDOW upto AS (ORDER BY value DESC NULLS LAST), peers AS (upto RANGE BETWEEN CURRENT ROW AND CURRENT ROW)';

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

--------------------------------------------------------------------------
-- Grades and their history
--------------------------------------------------------------------------

CREATE TABLE @extschema@.customer_grades (
	customer_id		bigint PRIMARY KEY REFERENCES @extschema@.customers ON DELETE CASCADE,
	as_of			date NOT NULL,
	lifecycle_stage	@extschema@.lifecycle_stage,
	value_score		float8 CHECK (value_score BETWEEN 0 AND 100),
	segment			text CHECK (segment IN ('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I')),
	relationship	@extschema@.relationship_state NOT NULL,
	pareto_class	char(1) NOT NULL CHECK (pareto_class IN ('A', 'B', 'C')),
	revenue			numeric CHECK (revenue OPERATOR(pg_catalog.>=) 0),
	net_value		numeric,
	volume			numeric CHECK (volume OPERATOR(pg_catalog.>=) 0),
	arrears			numeric NOT NULL DEFAULT 0 CHECK (arrears OPERATOR(pg_catalog.>=) 0),
	graded_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	customer_type	text CHECK (customer_type IN ('relationship', 'transaction')),
	relationship_group text CHECK (relationship_group IN ('most profitable', 'could bring more', 'about to be lost')),
	signed_amount	numeric NOT NULL DEFAULT 0 CHECK (signed_amount OPERATOR(pg_catalog.>=) 0),
	industry_grade	char(1) CHECK (industry_grade IN ('A', 'B', 'C')),
	-- finite values only: NaN and infinity are not amounts, scores or times
	CONSTRAINT customer_grades_value_score_finite CHECK (value_score OPERATOR(pg_catalog.>) '-Infinity' AND value_score OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT customer_grades_revenue_finite CHECK (revenue OPERATOR(pg_catalog.>) '-Infinity' AND revenue OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT customer_grades_net_value_finite CHECK (net_value OPERATOR(pg_catalog.>) '-Infinity' AND net_value OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT customer_grades_volume_finite CHECK (volume OPERATOR(pg_catalog.>) '-Infinity' AND volume OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT customer_grades_signed_amount_finite CHECK (signed_amount OPERATOR(pg_catalog.>) '-Infinity' AND signed_amount OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT customer_grades_arrears_finite CHECK (arrears OPERATOR(pg_catalog.>) '-Infinity' AND arrears OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT customer_grades_as_of_finite CHECK (pg_catalog.isfinite(as_of)),
	CONSTRAINT customer_grades_graded_at_finite CHECK (pg_catalog.isfinite(graded_at))
);

COMMENT ON TABLE @extschema@.customer_grades IS
	'Current grades of every customer, written by crm.refresh_grades(as_of): lifecycle stage, value score, satisfaction-by-volume segment, relationship state, Pareto class, and the money they were computed from. Changes of stage, segment, relationship or class are logged in crm.grade_history';
COMMENT ON COLUMN @extschema@.customer_grades.customer_id IS 'Customer graded';
COMMENT ON COLUMN @extschema@.customer_grades.as_of IS 'Day the grades were computed as of (orders on or before it, costs incurred on or before it)';
COMMENT ON COLUMN @extschema@.customer_grades.lifecycle_stage IS 'crm.lifecycle(stats, as_of, arrears): new, growing, stable, declining, problem, worthless; NULL for a customer without purchase who neither owes nor costs';
COMMENT ON COLUMN @extschema@.customer_grades.value_score IS 'crm.value_score(stats, as_of), 0..100; NULL without purchase';
COMMENT ON COLUMN @extschema@.customer_grades.segment IS 'crm.segment A..I of satisfaction (cuts 5 and 8) by volume (cuts: tertiles of the positive volumes of all customers); NULL when satisfaction is unknown or the customer never bought';
COMMENT ON COLUMN @extschema@.customer_grades.relationship IS 'crm.relationship(stats, responded to a campaign on or before as_of, as_of): potential, responsive, relationship, lost';
COMMENT ON COLUMN @extschema@.customer_grades.pareto_class IS 'Pareto class by net value (crm.pareto_classes(as_of)): A = the fewest customers that bring 80 % of the positive net value, B = up to 95 %, C = the rest';
COMMENT ON COLUMN @extschema@.customer_grades.revenue IS 'Revenue up to as_of; NULL when the customer has neither orders nor costs';
COMMENT ON COLUMN @extschema@.customer_grades.net_value IS 'Revenue - cost to serve up to as_of; NULL when the customer has neither orders nor costs';
COMMENT ON COLUMN @extschema@.customer_grades.volume IS 'Purchase volume of the segment: revenue of the 365 days as_of - 364 .. as_of; NULL when the customer never bought';
COMMENT ON COLUMN @extschema@.customer_grades.arrears IS 'Unpaid amount (amount - amount_paid) of orders due before as_of';
COMMENT ON COLUMN @extschema@.customer_grades.graded_at IS 'When this row was last written; a refresh that computes the same as_of and the same values leaves the row as it is';
COMMENT ON COLUMN @extschema@.customer_grades.customer_type IS 'relationship or transaction customer (crm.customer_type with its defaults); NULL without a purchase';
COMMENT ON COLUMN @extschema@.customer_grades.relationship_group IS 'Group of a relationship customer (crm.relationship_group): most profitable, could bring more, about to be lost';
COMMENT ON COLUMN @extschema@.customer_grades.signed_amount IS 'Amount of the customer''s contracts signed on or before as_of (signed_on), whatever their state since';
COMMENT ON COLUMN @extschema@.customer_grades.industry_grade IS 'Grade by signed amount within the customer''s industry (seed 004: grades by industry and signed amount): A = the fewest customers of the industry that bring 80 % of its signed amount, B up to 95 %, C the rest and customers without a signed contract (crm.pareto_class); customers without an industry are graded together';

CREATE TABLE @extschema@.grade_history (
	id					bigint GENERATED BY DEFAULT AS IDENTITY,
	customer_id			bigint NOT NULL REFERENCES @extschema@.customers ON DELETE CASCADE,
	changed_at			timestamptz NOT NULL DEFAULT pg_catalog.now(),
	as_of				date NOT NULL,
	old_lifecycle_stage	@extschema@.lifecycle_stage,
	new_lifecycle_stage	@extschema@.lifecycle_stage,
	old_segment			text,
	new_segment			text,
	old_relationship	@extschema@.relationship_state,
	new_relationship	@extschema@.relationship_state,
	old_pareto_class	char(1),
	new_pareto_class	char(1),
	old_value_score		float8,
	new_value_score		float8,
	reason				text NOT NULL CHECK (pg_catalog.btrim(reason) OPERATOR(pg_catalog.<>) ''),
	old_industry_grade	char(1),
	new_industry_grade	char(1),
	PRIMARY KEY (customer_id, id),
	CONSTRAINT grade_history_change_check CHECK (
		(old_lifecycle_stage, old_segment, old_relationship, old_pareto_class, old_industry_grade)
		IS DISTINCT FROM (new_lifecycle_stage, new_segment, new_relationship, new_pareto_class, new_industry_grade)),
	-- finite values only: NaN and infinity are not amounts, scores or times
	CONSTRAINT grade_history_old_value_score_finite CHECK (old_value_score OPERATOR(pg_catalog.>) '-Infinity' AND old_value_score OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT grade_history_new_value_score_finite CHECK (new_value_score OPERATOR(pg_catalog.>) '-Infinity' AND new_value_score OPERATOR(pg_catalog.<) 'Infinity'),
	CONSTRAINT grade_history_changed_at_finite CHECK (pg_catalog.isfinite(changed_at)),
	CONSTRAINT grade_history_as_of_finite CHECK (pg_catalog.isfinite(as_of))
);
CREATE INDEX grade_history_customer_idx ON @extschema@.grade_history (customer_id, changed_at);

COMMENT ON TABLE @extschema@.grade_history IS
	'Every change of a customer''s lifecycle stage, segment, relationship state, Pareto class or industry grade found by crm.refresh_grades, with the value scores before and after and the reason; the first grading of a customer is logged with old values NULL';
COMMENT ON COLUMN @extschema@.grade_history.id IS 'History entry identifier, increasing with time';
COMMENT ON COLUMN @extschema@.grade_history.customer_id IS 'Customer whose grades changed';
COMMENT ON COLUMN @extschema@.grade_history.changed_at IS 'When the refresh that found the change ran (transaction time)';
COMMENT ON COLUMN @extschema@.grade_history.as_of IS 'Day the new grades were computed as of';
COMMENT ON COLUMN @extschema@.grade_history.old_lifecycle_stage IS 'Lifecycle stage before';
COMMENT ON COLUMN @extschema@.grade_history.new_lifecycle_stage IS 'Lifecycle stage after';
COMMENT ON COLUMN @extschema@.grade_history.old_segment IS 'Segment A..I before';
COMMENT ON COLUMN @extschema@.grade_history.new_segment IS 'Segment A..I after';
COMMENT ON COLUMN @extschema@.grade_history.old_relationship IS 'Relationship state before';
COMMENT ON COLUMN @extschema@.grade_history.new_relationship IS 'Relationship state after';
COMMENT ON COLUMN @extschema@.grade_history.old_pareto_class IS 'Pareto class before';
COMMENT ON COLUMN @extschema@.grade_history.new_pareto_class IS 'Pareto class after';
COMMENT ON COLUMN @extschema@.grade_history.old_industry_grade IS 'Grade by signed amount within the industry before';
COMMENT ON COLUMN @extschema@.grade_history.new_industry_grade IS 'Grade by signed amount within the industry after';
COMMENT ON COLUMN @extschema@.grade_history.old_value_score IS 'Value score before';
COMMENT ON COLUMN @extschema@.grade_history.new_value_score IS 'Value score after';
COMMENT ON COLUMN @extschema@.grade_history.reason IS 'What changed, e.g. ''lifecycle growing -> declining; segment B -> D''; ''first grading'' for a customer graded for the first time';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_grades', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade_history', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.grade_history_id_seq', '');

--------------------------------------------------------------------------
-- Grading
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.refresh_grades(as_of date DEFAULT CURRENT_DATE)
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

--------------------------------------------------------------------------
-- Views for reporting tools
--------------------------------------------------------------------------

-- Everything about one customer.  Every per-customer part (purchase
-- history, grades, open opportunities, contracts in execution) is a leg of
-- one UNION ALL grouped by customer id and joined to the customer: a filter
-- on id is pushed into each leg (an index scan per table), a scan of the
-- whole view reads each table once, and on Citus the whole query runs on the
-- shards (an outer join next to a UNION ALL would make Citus plan the union
-- through the coordinator, shipping every order).  crm.purchase_history has
-- an empty row for every customer, so the join is an inner one.
CREATE VIEW @extschema@.customer_360 AS
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

CREATE VIEW @extschema@.lifecycle_summary AS
SELECT st.stage AS lifecycle_stage,
	   pg_catalog.count(g.customer_id) AS customers,
	   coalesce(pg_catalog.sum(g.revenue), 0) AS revenue,
	   coalesce(pg_catalog.sum(g.net_value), 0) AS net_value,
	   pg_catalog.round(pg_catalog.count(g.customer_id)::numeric
						OPERATOR(pg_catalog./) NULLIF(pg_catalog.sum(pg_catalog.count(g.customer_id)) OVER (), 0), 4)
		   AS share_of_customers
  FROM pg_catalog.unnest(pg_catalog.enum_range(NULL::@extschema@.lifecycle_stage)) AS st(stage)
  FULL JOIN @extschema@.customer_grades g ON g.lifecycle_stage OPERATOR(pg_catalog.=) st.stage
 GROUP BY st.stage
 ORDER BY st.stage NULLS LAST;
COMMENT ON VIEW @extschema@.lifecycle_summary IS
	'Customers per lifecycle stage from crm.customer_grades (run crm.refresh_grades first): every stage, then a row with stage NULL for graded customers without a stage (never bought); revenue and net value up to the grading day; share_of_customers = fraction of all graded customers, 4 decimals';

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

CREATE VIEW @extschema@.segment_matrix AS
SELECT s.satisfaction,
	   pg_catalog.string_agg(DISTINCT s.segment, ' ' ORDER BY s.segment) AS segments,
	   pg_catalog.count(g.customer_id) FILTER (WHERE s.volume OPERATOR(pg_catalog.=) 'large') AS large,
	   pg_catalog.count(g.customer_id) FILTER (WHERE s.volume OPERATOR(pg_catalog.=) 'medium') AS medium,
	   pg_catalog.count(g.customer_id) FILTER (WHERE s.volume OPERATOR(pg_catalog.=) 'small') AS small
  FROM @extschema@.segment_strategies s
  LEFT JOIN @extschema@.customer_grades g ON g.segment OPERATOR(pg_catalog.=) s.segment
 GROUP BY s.satisfaction
 ORDER BY pg_catalog.min(s.segment);
COMMENT ON VIEW @extschema@.segment_matrix IS
	'The 3 x 3 satisfaction-by-volume matrix of crm.customer_grades (run crm.refresh_grades first): rows satisfaction high, medium, low; columns large, medium, small volume holding the number of customers; segments names the cells, A B C / D E F / G H I (A = large volume + high satisfaction, G = large volume + low satisfaction). Customers without a segment are not counted';

CREATE VIEW @extschema@.region_summary AS
SELECT c.region,
	   pg_catalog.count(*) AS customers,
	   coalesce(pg_catalog.sum(g.revenue), 0) AS revenue,
	   coalesce(pg_catalog.sum(g.net_value), 0) AS net_value,
	   pg_catalog.count(*) FILTER (WHERE g.pareto_class OPERATOR(pg_catalog.=) 'A') AS key_accounts
  FROM @extschema@.customer_grades g
  JOIN @extschema@.customers c ON c.id OPERATOR(pg_catalog.=) g.customer_id
 GROUP BY c.region
 ORDER BY c.region NULLS LAST;
COMMENT ON VIEW @extschema@.region_summary IS
	'Per region of crm.customers (NULL region last): graded customers, revenue and net value up to the grading day, and key accounts = customers in Pareto class A, from crm.customer_grades (run crm.refresh_grades first)';

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
