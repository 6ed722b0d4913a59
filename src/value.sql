/*
 * value.sql: customer value score, RFM segments, lifecycle, relationship,
 * 3 x 3 segments (C in value.c).
 *
 * All of them read a crm.purchase_stats value (or plain numbers) and an
 * as_of day; none reads a table, so all are IMMUTABLE and PARALLEL SAFE and
 * work on any history, e.g. crm.customer_purchase_stats:
 *
 *   SELECT customer_id, crm.value_score(stats, '2025-12-31'),
 *          crm.lifecycle(stats, '2025-12-31')
 *     FROM crm.customer_purchase_stats;
 *
 * Conventions: arguments are checked before the data, so a wrong threshold
 * fails on every row; NULL data give NULL; wrong data or arguments fail with
 * SQLSTATE 22023 and a hint; as_of before the last purchase is an error
 * (compute the stats from the orders up to as_of).
 *
 * RFM quintile scores over a population come from ntile(5), recency ordered
 * so that the most recent customers get 5 (ntile splits ties arbitrarily
 * between neighbouring quintiles):
 *
 *   SELECT customer_id,
 *          crm.rfm_segment(ntile(5) OVER (ORDER BY (stats).last_purchase),
 *                          ntile(5) OVER (ORDER BY (stats).purchase_days),
 *                          ntile(5) OVER (ORDER BY (stats).revenue)) AS segment
 *     FROM crm.customer_purchase_stats
 *    WHERE (stats).purchase_days > 0;
 *
 * The R x FM grid of crm.rfm_segment, FM = round((f + m) / 2) with halves
 * rounded up (numeric round()):
 *
 * | R \ FM | 1              | 2                   | 3                   | 4          | 5          |
 * |--------|----------------|---------------------|---------------------|------------|------------|
 * | 5      | new            | potential loyalists | potential loyalists | champions  | champions  |
 * | 4      | promising      | potential loyalists | potential loyalists | loyal      | loyal      |
 * | 3      | about to sleep | about to sleep      | need attention      | loyal      | loyal      |
 * | 2      | hibernating    | hibernating         | at risk             | at risk    | at risk    |
 * | 1      | lost           | lost                | at risk             | can't lose | can't lose |
 */

CREATE FUNCTION @extschema@.value_score(stats @extschema@.purchase_stats, as_of date,
										half_life_days float8 DEFAULT 180,
										frequency_half float8 DEFAULT 3,
										monetary_half float8 DEFAULT 1000,
										weights float8[] DEFAULT '{0.4,0.2,0.2,0.2}')
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_value_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.value_score(@extschema@.purchase_stats, date, float8, float8, float8, float8[]) IS
	'Customer value score 0..100 at as_of: 100 * (w1 R + w2 F + w3 M + w4 N) / (w1 + w2 + w3 + w4) with recency R = 0.5^((as_of - last_purchase) / half_life_days), frequency F = 1 - 0.5^(purchase_days / frequency_half), monetary M = revenue / (revenue + monetary_half), net value N = max(0, net_value) / (max(0, net_value) + monetary_half); recency decays, so one huge order long ago does not keep a customer on top. Weights: exactly 4 finite non-negative numbers, not all zero, only their ratios matter. NULL when the stats have no purchase (last_purchase, purchase_days, revenue or net_value NULL, or purchase_days 0). Errors (22023): half lives and monetary_half not positive and finite, bad weights, as_of before the last purchase, negative or non-finite revenue';

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_rfm_segment'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer) IS
	'Named RFM segment of quintile scores r, f, m in 1..5 (5 = most recent, most frequent, most spent; score them with ntile(5) OVER (ORDER BY ...)), on the R x FM grid with FM = round((f + m) / 2), halves up. R 5: FM 1 new, FM 2-3 potential loyalists, FM 4-5 champions; R 4: FM 1 promising, FM 2-3 potential loyalists, FM 4-5 loyal; R 3: FM 1-2 about to sleep, FM 3 need attention, FM 4-5 loyal; R 2: FM 1-2 hibernating, FM 3-5 at risk; R 1: FM 1-2 lost, FM 3 at risk, FM 4-5 can''t lose. Scores outside 1..5: error 22023';

CREATE TYPE @extschema@.lifecycle_stage AS ENUM
	('new', 'growing', 'stable', 'declining', 'problem', 'worthless');
COMMENT ON TYPE @extschema@.lifecycle_stage IS
	'Customer lifecycle stage (crm.lifecycle): new = first purchase recently; growing = spend rising; stable = main, loyal revenue; declining = spend or frequency falling, heading to churn; problem = owes past-due money; worthless = net value at or below a floor (costs more than it brings)';

CREATE FUNCTION @extschema@.lifecycle(stats @extschema@.purchase_stats, as_of date,
									  arrears numeric DEFAULT 0,
									  new_days integer DEFAULT 90,
									  worthless_at numeric DEFAULT 0,
									  trend_threshold float8 DEFAULT 0.2,
									  gap_factor float8 DEFAULT 2)
RETURNS @extschema@.lifecycle_stage
AS 'MODULE_PATHNAME', 'crm_lifecycle'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.lifecycle(@extschema@.purchase_stats, date, numeric, integer, numeric, float8, float8) IS
	'Lifecycle stage at as_of, the first rule that holds: problem if arrears > 0 (unpaid past-due amount; NULL counts as 0); worthless if net_value <= worthless_at; new if as_of - first_purchase <= new_days; declining if only one purchase day, or as_of - last_purchase > 365 days (the default lost_after_days of crm.relationship: a year without a purchase is declining whatever the customer''s rhythm) or > gap_factor * the customer''s mean gap between purchase days ((last - first) / (purchase_days - 1)), or trend <= -trend_threshold; growing if trend >= trend_threshold; stable otherwise (also with unknown trend). NULL for NULL stats, as_of or threshold, and for a history without purchase that is neither problem nor worthless. Errors (22023): arrears negative or not finite, new_days < 0, worthless_at NaN (''-Infinity'' turns the rule off), trend_threshold outside (0, 1], gap_factor not positive and finite, as_of before the last purchase';

CREATE TYPE @extschema@.relationship_state AS ENUM
	('potential', 'responsive', 'relationship', 'lost');
COMMENT ON TYPE @extschema@.relationship_state IS
	'Relationship state by marketing process (crm.relationship): potential = a marketing target, no response yet; responsive = reacted to a campaign or contacted us; relationship = bought recently; lost = bought, but not for a long time';

CREATE FUNCTION @extschema@.relationship(stats @extschema@.purchase_stats, responded boolean, as_of date,
										 lost_after_days integer DEFAULT 365)
RETURNS @extschema@.relationship_state
AS 'MODULE_PATHNAME', 'crm_relationship'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.relationship(@extschema@.purchase_stats, boolean, date, integer) IS
	'Relationship state at as_of: bought (stats has a last purchase) within lost_after_days -> relationship; bought longer ago -> lost; never bought (stats NULL, e.g. from a LEFT JOIN, or without purchase) and responded to a campaign -> responsive; otherwise potential (responded NULL counts as no response). NULL for NULL as_of or lost_after_days. Errors (22023): lost_after_days < 0, as_of before the last purchase';

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

CREATE FUNCTION @extschema@.segment(satisfaction numeric, volume numeric,
									satisfaction_cuts numeric[] DEFAULT '{5,8}',
									volume_cuts numeric[] DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_segment'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment(numeric, numeric, numeric[], numeric[]) IS
	'Satisfaction-by-volume segment ''A''..''I'': satisfaction high if >= satisfaction_cuts[2], medium if >= satisfaction_cuts[1], else low; volume large if >= volume_cuts[2], medium if >= volume_cuts[1], else small. Rows high / medium / low satisfaction, columns large / medium / small volume: A B C / D E F / G H I (A = large volume + high satisfaction, G = large volume + low satisfaction). volume_cuts is required, e.g. the tertiles percentile_cont(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY volume)::numeric[]; cuts are 2 non-NULL numbers in ascending order (equal cuts leave the middle class empty). NULL satisfaction or volume -> NULL. Errors (22023): missing or bad cuts, NaN values. Strategies: crm.segment_strategy';

CREATE FUNCTION @extschema@.segment_strategy(segment text)
RETURNS TABLE (segment text, satisfaction text, volume text, sales_strategy text,
			   service_strategy text, description text)
AS 'MODULE_PATHNAME', 'crm_segment_strategy'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION @extschema@.segment_strategy(text) IS
	'The strategy of segment ''A''..''I'' (either case; anything else: error 22023): its satisfaction and volume class, sales strategy by volume (large: one-to-one account manager, medium: one-to-many regional sales rep, small: through retailers), service strategy by satisfaction (high: partner, medium: improve, low: correct) and what to do';

CREATE VIEW @extschema@.segment_strategies AS
SELECT s.segment, s.satisfaction, s.volume, s.sales_strategy, s.service_strategy, s.description
  FROM pg_catalog.unnest('{A,B,C,D,E,F,G,H,I}'::text[]) AS c(segment)
 CROSS JOIN LATERAL @extschema@.segment_strategy(c.segment) AS s
 ORDER BY s.segment;
COMMENT ON VIEW @extschema@.segment_strategies IS
	'The nine satisfaction-by-volume segments A..I of crm.segment with their sales and service strategies (crm.segment_strategy for each); part of the extension, not user data';
