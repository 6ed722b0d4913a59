-- crm.pareto_classes, crm.refresh_grades, crm.customer_grades,
-- crm.grade_history and the reporting views (src/grades.sql), on crafted
-- customers whose grades are computed by hand below, analysed as of
-- 2025-12-31.  Orders are placed at noon in the session time zone, so each
-- falls on the day written.

SET DateStyle = 'ISO, YMD';

--------------------------------------------------------------------------
-- Pareto classes
--------------------------------------------------------------------------

-- Eight customers; net value = orders - costs up to 2025-12-31:
--   9001  500   orders 300 + 200 in 2025
--   9002  200   one order 2025-06-01
--   9003  200   one order 2024-03-01 (a tie with 9002; outside the last 365 days)
--   9004   60   one order 2025-09-01
--   9005   40   order 90 - cost 50
--   9006    0   order 100 - cost 100 (not positive)
--   9007  -50   a cost of 50 and no order
--   9008  NULL  nothing at all
-- Later than 2025-12-31 and not counted: an order of 9008 on 2026-01-01 and
-- a cost of 9001 on 2026-01-01.
INSERT INTO crm.customers (id, name) VALUES
	(9001, 'P1'), (9002, 'P2'), (9003, 'P3'), (9004, 'P4'),
	(9005, 'P5'), (9006, 'P6'), (9007, 'P7'), (9008, 'P8');
INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES
	(9001, '2025-02-01 12:00', 300), (9001, '2025-11-01 12:00', 200),
	(9002, '2025-06-01 12:00', 200),
	(9003, '2024-03-01 12:00', 200),
	(9004, '2025-09-01 12:00', 60),
	(9005, '2025-12-31 12:00', 90),
	(9006, '2025-04-01 12:00', 100),
	(9008, '2026-01-01 00:00', 1000);
INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES
	(9005, '2025-03-01', 'visit', 50),
	(9006, '2025-05-01', 'support', 100),
	(9007, '2025-07-01', 'visit', 50),
	(9001, '2026-01-01', 'visit', 999);

-- Total positive net value 500 + 200 + 200 + 60 + 40 = 1000; A below 800,
-- B below 950, by the value of the customers strictly above:
--   9001        above    0 -> A, cumulative 500 / 1000 = 0.5
--   9002, 9003  above  500 -> A (both: equal values share a class),
--               cumulative (500 + 200 + 200) / 1000 = 0.9, rank 2 both
--   9004        above  900 -> B (not below 800, below 950), cumulative 0.96, rank 4
--   9005        above  960 -> C, cumulative 1
--   9006, 9007  not positive -> C, cumulative NULL
--   9008        no value -> C, rank NULL
SELECT * FROM crm.pareto_classes('2025-12-31');

-- A = the fewest customers that bring a_share: with a_share 0.5, 9001 alone
-- brings exactly 0.5 and is A; 9002 and 9003 have 500 above them, not below
-- 500, so B.  With a_share 0.6 the tie 9002 / 9003 enters A together,
-- although one of them would reach 0.7.  b_share 0.96: 9004 is above 900 < 960,
-- B; 9005 above 960, not below 960, C.
SELECT p.customer_id, p.class AS a_50, q.class AS a_60, r.class AS b_96
  FROM crm.pareto_classes('2025-12-31', 'net_value', 0.5, 0.95) p
  JOIN crm.pareto_classes('2025-12-31', 'net_value', 0.6, 0.95) q USING (customer_id)
  JOIN crm.pareto_classes('2025-12-31', 'net_value', 0.8, 0.96) r USING (customer_id)
 ORDER BY p.customer_id;

-- revenue: costs do not count, so 9006 brings 100 and 9005 90; 9007 has
-- a cost but no order: revenue 0.  Total 500 + 200 + 200 + 100 + 90 + 60 =
-- 1150, A below 920, B below 1092.5:
--   9001 above 0 A; 9002, 9003 above 500 A; 9006 above 900 A;
--   9005 above 1000 B; 9004 above 1090 B; 9007 0 C; 9008 NULL C
SELECT customer_id, value, rank, cumulative_share, class
  FROM crm.pareto_classes('2025-12-31', 'revenue') ORDER BY rank, customer_id;

-- revenue_12m: the 365 days 2025-01-01 .. 2025-12-31; 9003 bought in 2024
-- and 9007 never: 0; 9008's order of 2026-01-01 does not count: NULL.
-- Total 500 + 200 + 100 + 90 + 60 = 950, A below 760, B below 902.5:
--   9001 above 0 A, 9002 above 500 A, 9006 above 700 A, 9005 above 800 B,
--   9004 above 890 B; 9003, 9007 (0) and 9008 (NULL) C
SELECT customer_id, value, rank, cumulative_share, class
  FROM crm.pareto_classes('2025-12-31', 'revenue_12m') ORDER BY rank, customer_id;

-- as of 2026-01-01 the later order and cost count: 9001 500 - 999 = -499,
-- 9008 1000, now the largest value: A (above it 0 < 0.8 x 1500)
SELECT customer_id, value, class FROM crm.pareto_classes('2026-01-01') WHERE customer_id IN (9001, 9008) ORDER BY 1;

-- Errors.
SELECT try($$SELECT * FROM crm.pareto_classes(NULL)$$) AS null_as_of;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', NULL)$$) AS null_measure;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'net_value', NULL)$$) AS null_a_share;
SELECT try($$SELECT * FROM crm.pareto_classes('infinity')$$) AS infinite_as_of;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'profit')$$) AS unknown_measure;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'net_value', 0, 0.95)$$) AS zero_a_share;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'net_value', 0.95, 0.95)$$) AS a_equals_b;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'net_value', 0.9, 0.8)$$) AS a_above_b;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'net_value', 0.8, 1.01)$$) AS b_above_one;
SELECT try($$SELECT * FROM crm.pareto_classes('2025-12-31', 'net_value', 0.8, 1)$$) AS b_one_is_fine;

-- The Lorenz curve and the concentration of the same values: the seven
-- customers with a value, highest first, negatives as 0:
--   500, 200, 200, 60, 40, 0, 0 (n = 7, total 1000); cumulative 500, 700,
--   900, 960, 1000, 1000, 1000.
-- 7 points: exactly those shares.  4 points, customer share k/4 = 7k/4
-- customers: k = 1: 1.75 -> (500 + 0.75 * 200) / 1000 = 0.65; k = 2: 3.5 ->
-- (900 + 0.5 * 60) / 1000 = 0.93; k = 3: 5.25 -> 1; k = 4: 1.
SELECT point, round(customer_share::numeric, 4) AS customer_share, value_share
  FROM crm.lorenz_curve('2025-12-31', 'net_value', 7);
SELECT * FROM crm.lorenz_curve('2025-12-31', points => 4);
-- Gini = sum over i of (n + 1 - 2i) v_i / (n total) = (6 x 500 + 4 x 200 +
-- 2 x 200 + 0 x 60 - 2 x 40) / 7000 = 4120 / 7000 = 0.588571...; the
-- ascending form sum (2i - n - 1) x_i / (n total) of numpy-style references
-- (e.g. the mean absolute difference / (2 x mean) over all pairs:
-- 24720 / 49 / (2 x 1000 / 7) = 0.588571) gives the same.  Top 20 %: 1.4
-- customers: (500 + 0.4 x 200) / 1000 = 0.58.  80 % = 800 is reached within
-- the third customer (700 before, 900 after): (2 + 100 / 200) / 7 = 0.357143.
SELECT customers, positive_value, round(gini::numeric, 6) AS gini,
	   round(top_20_pct_value_share::numeric, 6) AS top_20_pct_value_share,
	   round(customer_share_for_80_pct::numeric, 6) AS customer_share_for_80_pct
  FROM crm.value_concentration('2025-12-31');
-- the pairwise form, computed here from the same values
SELECT round((sum(abs(a.v - b.v)) / (2 * count(*) * avg(a.v)))::numeric, 6) AS gini_pairwise
  FROM (SELECT greatest(value, 0) AS v FROM crm.pareto_classes('2025-12-31') WHERE value IS NOT NULL) a,
	   (SELECT greatest(value, 0) AS v FROM crm.pareto_classes('2025-12-31') WHERE value IS NOT NULL) b;
-- nobody before 2024: no curve, no concentration
SELECT count(*) AS points FROM crm.lorenz_curve('2023-12-31');
SELECT * FROM crm.value_concentration('2023-12-31');
-- as of 2024-12-31 only 9003 has a value (200): Gini 0, the top 20 % (0.2
-- of him) bring 0.2, 80 % takes 0.8 of him
SELECT * FROM crm.value_concentration('2024-12-31');
SELECT try($$SELECT * FROM crm.lorenz_curve('2025-12-31', 'net_value', 0)$$) AS zero_points;
SELECT try($$SELECT * FROM crm.lorenz_curve('2025-12-31', 'net_value', NULL)$$) AS null_points;
SELECT try($$SELECT * FROM crm.lorenz_curve('2025-12-31', 'profit')$$) AS unknown_measure;
SELECT try($$SELECT * FROM crm.value_concentration('2025-12-31', 'profit')$$) AS unknown_measure;

-- Sales by period (crm.sales_report) of the same customers in 2025, by
-- quarter; costs counted on their day:
--   Q1: order 9001 300 (02-01), cost 9005 50 (03-01): 1 customer, 1 order, 300 - 50 = 250
--   Q2: orders 9006 100 (04-01), 9002 200 (06-01), cost 9006 100 (05-01): 2, 2, 300 - 100 = 200
--   Q3: order 9004 60 (09-01), cost 9007 50 (07-01): 1, 1, 60 - 50 = 10
--   Q4: orders 9001 200 (11-01), 9005 90 (12-31): 2, 2, 290
-- (9008's order and 9001's cost of 2026-01-01 are after the last day.)
SELECT * FROM crm.sales_report('2025-01-01', '2025-12-31', 'quarter');
-- one customer by year, by customer: 9001 ordered 300 + 200 in 2025
SELECT * FROM crm.sales_report('2024-01-01', '2025-12-31', 'year', true, only_customer => 9001);
-- a region filter: these customers have none, so no rows
SELECT count(*) AS rows_in_north FROM crm.sales_report('2025-01-01', '2025-12-31', only_region => 'North');
SELECT try($$SELECT * FROM crm.sales_report('2025-01-01', '2025-12-31', 'fortnight')$$) AS unknown_period;
SELECT try($$SELECT * FROM crm.sales_report('2025-12-31', '2025-01-01')$$) AS reversed_days;
SELECT try($$SELECT * FROM crm.sales_report(NULL, '2025-01-01')$$) AS null_day;

-- pareto_classes leaves these customers; the grading below has its own.
SET client_min_messages = warning;
TRUNCATE crm.customers CASCADE;
RESET client_min_messages;

--------------------------------------------------------------------------
-- Grading: crm.refresh_grades
--------------------------------------------------------------------------

-- Nine customers, graded as of 2025-12-31 (the last 365 days are
-- 2025-01-01 .. 2025-12-31; satisfaction high >= 8, medium >= 5):
--   9101 Steady   sat 9  1000 on 02-01, 04-01, 06-01, 08-01, 10-01, 12-01 of
--                        2025, all paid; a visit cost 500.  Net 5500, volume
--                        6000.  Purchase-day halves 3000 / 3000: trend 0;
--                        last purchase 30 days ago, mean gap 60.6 -> stable
--   9102 Growing  sat 6  200 on 2025-06-01 and 09-01, 800 on 12-01: trend
--                        ((800 + 100) - (200 + 100)) / 1200 = 0.5 (the middle
--                        day half each) -> growing; net and volume 1200
--   9103 Fading   sat 3  3000, 3000, 2000 in 2024 (01-10, 04-10, 07-10),
--                        1000 on 2025-03-01: silent 305 days > 2 x mean gap
--                        416 / 3 = 138.7 -> declining; net 9000, volume 1000
--   9104 Owing    sat 8  2000 on 2025-01-10 (paid), 2000 on 2025-10-01 due
--                        10-31, 500 paid: arrears 1500 -> problem; net and volume 4000
--   9105 New      -      300 on 2025-12-01, 30 days ago -> new; no satisfaction, no segment
--   9106 Costly   sat 5  100 on 2025-05-01, support cost 400: net -300 -> worthless
--   9107 Prospect sat 7  never bought, responded to a campaign -> responsive
--   9108 Cold     -      never bought, invited, no response -> potential
--   9109 Gone     sat 9  5000 on 2024-06-01 only: one purchase day ->
--                        declining; 578 days ago > 365 -> lost; volume 0
-- Volume cuts = tertiles of the positive volumes 100, 300, 1000, 1200,
-- 4000, 6000 (percentile_cont): 300 + 2/3 x 700 = 766.67 and 1200 + 1/3 x
-- 2800 = 2133.33.  Segments (rows high / medium / low satisfaction, columns
-- large / medium / small volume): 9101 A, 9102 E, 9103 H, 9104 A, 9106 F,
-- 9109 C (volume 0 is small); 9105 (no satisfaction), 9107 and 9108 (never
-- bought): none.
-- Pareto by net value: positive total 9000 + 5500 + 5000 + 4000 + 1200 +
-- 300 = 25000, A below 20000, B below 23750: 9103 (above 0), 9101 (9000),
-- 9109 (14500), 9104 (19500) A; 9102 (23500) B; 9105 (24700) C; the rest C.
-- Value score of 9101: R = 0.5^(30/180) = 0.8909, F = 1 - 0.5^(6/3) = 0.75,
-- M = 6000/7000 = 0.8571, N = 5500/6500 = 0.8462:
-- 100 x (0.4 x 0.8909 + 0.2 x (0.75 + 0.8571 + 0.8462)) = 84.70.
INSERT INTO crm.customers (id, name, satisfaction, region) VALUES
	(9101, 'Steady', 9, 'East'), (9102, 'Growing', 6, 'East'), (9103, 'Fading', 3, 'North'),
	(9104, 'Owing', 8, 'North'), (9105, 'New', NULL, NULL), (9106, 'Costly', 5, 'North'),
	(9107, 'Prospect', 7, 'East'), (9108, 'Cold', NULL, NULL), (9109, 'Gone', 9, 'East');
INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid, due_date)
SELECT 9101, d + time '12:00', 1000, 1000, d + 30
  FROM unnest('{2025-02-01,2025-04-01,2025-06-01,2025-08-01,2025-10-01,2025-12-01}'::date[]) d;
INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid, due_date) VALUES
	(9102, '2025-06-01 12:00', 200, 0, NULL), (9102, '2025-09-01 12:00', 200, 0, NULL),
	(9102, '2025-12-01 12:00', 800, 0, NULL),
	(9103, '2024-01-10 12:00', 3000, 3000, NULL), (9103, '2024-04-10 12:00', 3000, 3000, NULL),
	(9103, '2024-07-10 12:00', 2000, 2000, NULL), (9103, '2025-03-01 12:00', 1000, 1000, NULL),
	(9104, '2025-01-10 12:00', 2000, 2000, '2025-02-09'), (9104, '2025-10-01 12:00', 2000, 500, '2025-10-31'),
	(9105, '2025-12-01 12:00', 300, 300, NULL),
	(9106, '2025-05-01 12:00', 100, 100, NULL),
	(9109, '2024-06-01 12:00', 5000, 5000, NULL);
INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES
	(9101, '2025-06-15', 'visit', 500), (9106, '2025-06-01', 'support', 400);
INSERT INTO crm.campaigns (id, name, method) VALUES (9100, 'Autumn mailing', 'email');
INSERT INTO crm.campaign_members (campaign_id, customer_id, invited_at, responded_at) VALUES
	(9100, 9107, '2025-11-01 12:00', '2025-11-15 12:00'),
	(9100, 9108, '2025-11-01 12:00', NULL);

-- First grading: every customer is new to the table, so all nine are logged.
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT customer_id, as_of, lifecycle_stage, round(value_score::numeric, 2) AS score, segment,
	   relationship, pareto_class, revenue, net_value, volume, arrears
  FROM crm.customer_grades ORDER BY customer_id;
SELECT customer_id, as_of, old_lifecycle_stage, new_lifecycle_stage, old_segment, new_segment,
	   old_relationship, new_relationship, old_pareto_class, new_pareto_class,
	   old_value_score, round(new_value_score::numeric, 2) AS new_score, reason
  FROM crm.grade_history ORDER BY changed_at, customer_id;
-- Relationship vs transaction customers and their groups (crm.customer_type:
-- still buying, 3+ purchase days, margin 0.2 or more), by hand:
--   9101 6 days, 5500 of 6000 -> relationship, stable, A: most profitable
--   9102 3 days, 1200 of 1200 -> relationship, growing, B: could bring more
--   9103 4 days, 9000 of 9000, last 305 days ago -> relationship, declining:
--        about to be lost
--   9104 (2 days), 9105 (1), 9106 (1, net -300), 9109 (lost) -> transaction
--   9107, 9108 never bought -> none
-- profitable (customer_360): net value above 0; 9106 is not; 9107 and 9108
-- have no history (NULL).
SELECT g.customer_id, g.customer_type, g.relationship_group, c.profitable
  FROM crm.customer_grades g JOIN crm.customer_360 c ON c.id = g.customer_id ORDER BY 1;
SELECT * FROM crm.customer_type_summary;
-- the Pareto class is the one crm.pareto_classes gives
SELECT count(*) AS classes_differ
  FROM crm.customer_grades g JOIN crm.pareto_classes('2025-12-31') p ON p.customer_id = g.customer_id
 WHERE p.class <> g.pareto_class OR p.value IS DISTINCT FROM g.net_value;

-- Run again on the same data: nothing changes, nothing is logged, and the
-- rows are not even rewritten (graded_at stays).
CREATE TEMP TABLE before AS SELECT customer_id, graded_at FROM crm.customer_grades;
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT count(*) AS history_rows FROM crm.grade_history;
SELECT count(*) AS rows_rewritten FROM crm.customer_grades g JOIN before b USING (customer_id)
 WHERE g.graded_at <> b.graded_at;

-- A moving value score alone is stored, not logged: 9101 buys 10 more on
-- 2025-12-30.  Recency 1 day, 7 purchase days, revenue and volume 6010;
-- trend ((1000 + 1000 + 10 + 500) - (3000 + 500)) / 6010 = -0.165, still
-- stable; the cuts and classes do not move (the
-- largest volume is above the upper cut either way).
INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid) VALUES (9101, '2025-12-30 12:00', 10, 10);
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT g.customer_id, round(h.new_value_score::numeric, 2) AS logged_score, round(g.value_score::numeric, 2) AS stored_score,
	   g.revenue, g.volume, g.lifecycle_stage, g.segment, g.pareto_class
  FROM crm.customer_grades g JOIN crm.grade_history h USING (customer_id)
 WHERE g.customer_id = 9101;
SELECT count(*) AS history_rows FROM crm.grade_history;

-- A new order moves a customer: 9106 buys 500 on 2025-12-20.  Net 600 - 400
-- = 200 > 0, no longer worthless; purchase-day halves 100 / 500: trend
-- 0.67 -> growing.  Volume 600 is small against the new cuts
-- 600 + 2/3 x 400 = 866.67 and 2133.33 (segment stays F); Pareto total
-- 25210: 9104 above 19510 < 20168 A, 9102 above 23510 < 23949.5 B, 9106 C.
-- Exactly one history row.
INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid) VALUES (9106, '2025-12-20 12:00', 500, 500);
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT customer_id, old_lifecycle_stage, new_lifecycle_stage, reason
  FROM crm.grade_history WHERE reason <> 'first grading' ORDER BY changed_at, customer_id;

-- Arrears and satisfaction: 9101 stops paying its order of 2025-10-01 (due
-- 10-31): arrears 1000 -> problem; 9104's satisfaction drops from 8 to 4:
-- high -> low at large volume, segment A -> G (the time bomb).
UPDATE crm.orders SET amount_paid = 0 WHERE customer_id = 9101 AND ordered_at = '2025-10-01 12:00';
UPDATE crm.customers SET satisfaction = 4 WHERE id = 9104;
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT customer_id, old_lifecycle_stage, new_lifecycle_stage, old_segment, new_segment, reason
  FROM crm.grade_history WHERE reason <> 'first grading' ORDER BY changed_at, customer_id;
SELECT customer_id, lifecycle_stage, segment, arrears FROM crm.customer_grades WHERE customer_id IN (9101, 9104) ORDER BY 1;

-- Two customers come (back) at once, several grades each: 9107 (the
-- prospect) buys 700 on 2025-12-20, 9109 (gone) buys 5000 on 2025-12-28.
-- Positive volumes 300, 600, 700, 1000, 1200, 4000, 5000, 6010: cuts 700 +
-- 1/3 x 300 = 800 and 1200 + 2/3 x 2800 = 3066.67.
--   9107: first purchase 11 days ago -> new; 700 small, satisfaction 7
--         medium -> F; responsive -> relationship; net 700: Pareto total
--         30910, A below 24728, B below 29364.5, above 9107 are 29710 -> C
--   9109: halves 5000 / 5000, trend 0, recency 3 days -> stable; 5000
--         large, satisfaction 9 -> A; lost -> relationship; net 10000, first
--         in the ranking, A as before
-- Everyone else keeps stage, segment, relationship and class (9103 1000 and
-- 9102 1200 medium, 9104 4000 and 9101 6010 large; 9104 above 24510 A,
-- 9102 above 28510 B).
INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid) VALUES
	(9107, '2025-12-20 12:00', 700, 700), (9109, '2025-12-28 12:00', 5000, 5000);
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT customer_id, old_lifecycle_stage, new_lifecycle_stage, old_segment, new_segment,
	   old_relationship, new_relationship, old_pareto_class, new_pareto_class,
	   round(old_value_score::numeric, 2) AS old_score, round(new_value_score::numeric, 2) AS new_score, reason
  FROM crm.grade_history WHERE reason <> 'first grading' ORDER BY changed_at, customer_id;

-- A refresh that is rolled back leaves nothing: 9101's satisfaction drops
-- to 1 (segment A -> G), the refresh logs it and holds the SHARE ROW
-- EXCLUSIVE lock on crm.customer_grades until the end of the transaction.
SELECT count(*) AS history_rows FROM crm.grade_history;
BEGIN;
UPDATE crm.customers SET satisfaction = 1 WHERE id = 9101;
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT reason FROM crm.grade_history WHERE customer_id = 9101 ORDER BY id DESC LIMIT 1;
SELECT mode, granted FROM pg_locks
 WHERE locktype = 'relation' AND relation = 'crm.customer_grades'::regclass
   AND pid = pg_backend_pid() AND mode = 'ShareRowExclusiveLock';
ROLLBACK;
SELECT count(*) AS history_rows FROM crm.grade_history;
SELECT customer_id, segment FROM crm.customer_grades WHERE customer_id = 9101;

-- The default as_of is today.
BEGIN;
SELECT customers FROM crm.refresh_grades();
SELECT bool_and(as_of = current_date) AS graded_today FROM crm.customer_grades;
ROLLBACK;

-- Errors.
SELECT try($$SELECT * FROM crm.refresh_grades(NULL)$$) AS null_as_of;
SELECT try($$SELECT * FROM crm.refresh_grades('-infinity')$$) AS infinite_as_of;
-- the tables guard themselves
SELECT try($$UPDATE crm.customer_grades SET pareto_class = 'D' WHERE customer_id = 9101$$) AS class_d;
SELECT try($$UPDATE crm.customer_grades SET segment = 'J' WHERE customer_id = 9101$$) AS segment_j;
SELECT try($$UPDATE crm.customer_grades SET value_score = 101 WHERE customer_id = 9101$$) AS score_101;
SELECT try($$INSERT INTO crm.customer_grades (customer_id, as_of, relationship, pareto_class) VALUES (1, '2025-12-31', 'potential', 'C')$$) AS unknown_customer;
SELECT try($$INSERT INTO crm.grade_history (customer_id, as_of, new_relationship, old_relationship, reason) VALUES (9101, '2025-12-31', 'lost', 'lost', 'nothing')$$) AS no_change;
SELECT try($$INSERT INTO crm.grade_history (customer_id, as_of, new_relationship, reason) VALUES (9101, '2025-12-31', 'lost', ' ')$$) AS blank_reason;

--------------------------------------------------------------------------
-- Views
--------------------------------------------------------------------------

-- 9101 has two open opportunities and a lost one, a contract in execution
-- and a closed one.
INSERT INTO crm.opportunities (customer_id, name, stage, amount, owner) VALUES
	(9101, 'Upgrade', 'bid', 5000, 'rep_01'), (9101, 'Second site', 'potential', 2500, 'rep_01');
INSERT INTO crm.opportunities (customer_id, name, stage, status, amount, owner, closing_summary) VALUES
	(9101, 'Old deal', 'negotiation', 'lost', 9000, 'rep_01', 'price');
INSERT INTO crm.contracts (customer_id, title, amount, signed_on, status, percent_complete) VALUES
	(9101, 'Rollout', 20000, '2025-09-01', 'executing', 40),
	(9101, 'Pilot', 3000, '2025-03-01', 'closed', 100);

-- One customer: profile, purchase history of all orders and costs (the
-- order of 2025-12-30 included), grades, strategy of segment A, 2 open
-- opportunities for 7500, 1 contract in execution for 20000, and today's
-- arrears: the unpaid 1000 due 2025-10-31.
-- (value_score rounded: its last digits depend on the platform's pow())
\x on
SELECT id, name, kind, industry, region, channel, owner, confidentiality, satisfaction, credit_status, tags,
	   first_purchase, last_purchase, orders, purchase_days, revenue, cost, net_value, mean_order_value,
	   mean_repeat_value, trend, graded_as_of, lifecycle_stage, round(value_score::numeric, 2) AS value_score,
	   segment, relationship, pareto_class, sales_strategy, service_strategy, open_opportunities,
	   open_opportunity_amount, executing_contracts, executing_contract_amount, arrears
  FROM crm.customer_360 WHERE id = 9101;
\x off
-- A filter on id reaches every table through its index: nothing is
-- aggregated for the other customers.  (These tables are tiny, so the plan
-- is checked with sequential scans off: an index condition on the customer
-- in each of the six tables proves the filter was pushed down; test/grades.sql
-- checks the real plan on demo data.)  Every part is one leg of a single
-- UNION ALL, so one aggregate groups the customer's rows.
CREATE FUNCTION pg_temp.plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		RETURN NEXT line;
	END LOOP;
END;
$$;
SET enable_seqscan = off;
SELECT count(*) FILTER (WHERE l ~ 'Index Cond: \((customer_)?id = 9101\)') AS index_lookups_of_9101,
	   count(*) FILTER (WHERE l ~ 'Seq Scan|HashAggregate|Hash Join') AS full_scans_or_hashes,
	   count(*) FILTER (WHERE l ~ 'GroupAggregate') AS per_customer_aggregates
  FROM pg_temp.plan('SELECT * FROM crm.customer_360 WHERE id = 9101') l;
RESET enable_seqscan;
-- every customer has one row; never-graded ones have no grades
INSERT INTO crm.customers (id, name) VALUES (9110, 'Not graded yet');
SELECT id, name, orders, revenue, lifecycle_stage, relationship, pareto_class, open_opportunities, arrears
  FROM crm.customer_360 WHERE id >= 9100 ORDER BY id;

-- Summaries of crm.customer_grades (9110 is not graded).
--   lifecycle: new 9105 9107, growing 9102 9106, stable 9109, declining
--   9103, problem 9101 9104, worthless none; no stage: 9108
SELECT * FROM crm.lifecycle_summary;
--   segments: A 9101 9109, G 9104, E 9102, H 9103, F 9106 9107
SELECT * FROM crm.segment_matrix;
--   regions: East 9101 9102 9107 9109, North 9103 9104 9106, none 9105 9108;
--   key accounts (A): 9109 9103 9101 East / North / East, 9104 North
SELECT * FROM crm.region_summary;

-- The satisfaction-by-volume grid: A is large volume + high satisfaction, G is large
-- volume + low satisfaction: the first cell of the high and low rows, and
-- the customers there are the ones with those grades.
SELECT m.satisfaction, split_part(m.segments, ' ', 1) AS large_volume_segment, m.large,
	   (SELECT string_agg(g.customer_id::text, ', ' ORDER BY g.customer_id) FROM crm.customer_grades g
		 WHERE g.segment = split_part(m.segments, ' ', 1)) AS customers
  FROM crm.segment_matrix m;
SELECT (SELECT split_part(segments, ' ', 1) FROM crm.segment_matrix WHERE satisfaction = 'high') = 'A'
	   AND (SELECT split_part(segments, ' ', 1) FROM crm.segment_matrix WHERE satisfaction = 'low') = 'G'
	   AS a_and_g_where_mission_puts_them;

-- Grades by industry and signed amount (seed 004): 9101, 9102, 9103 in
-- retail, 9104 and 9106 in energy; contracts signed on or before
-- 2025-12-31 count, whatever their state since (a draft or a contract
-- signed in 2026 does not):
--   retail: 9101 8000 + the 20000 and 3000 above = 31000, 9102 1500,
--           9103 500 (total 33000, A below 26400, B below 31350): 9101
--           above 0 -> A; 9102 above 31000 -> B; 9103 above 32500 -> C
--   energy: 9104 10000 -> A; 9106 only a 2026 contract -> 0 -> C
--   no industry (9105, 9107, 9109): nothing signed -> C
-- The refresh logs every industry grade that moved from C (the grade
-- without contracts) with its reason.
UPDATE crm.customers SET industry = 'retail' WHERE id IN (9101, 9102, 9103);
UPDATE crm.customers SET industry = 'energy' WHERE id IN (9104, 9106);
INSERT INTO crm.contracts (customer_id, title, amount, status, signed_on) VALUES
	(9101, 'Retail frame', 8000, 'executing', '2025-03-01'),
	(9102, 'Retail small', 1500, 'approved', '2025-06-01'),
	(9103, 'Retail tiny', 500, 'executing', '2025-07-01'),
	(9104, 'Energy supply', 10000, 'executing', '2025-02-01'),
	(9106, 'Energy next year', 3000, 'approved', '2026-02-01');
INSERT INTO crm.contracts (customer_id, title, amount) VALUES (9102, 'Retail draft', 99999);
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT customer_id, signed_amount, industry_grade FROM crm.customer_grades ORDER BY customer_id;
SELECT customer_id, old_industry_grade, new_industry_grade, reason
  FROM crm.grade_history WHERE new_industry_grade IS DISTINCT FROM old_industry_grade AND old_industry_grade IS NOT NULL
 ORDER BY customer_id;

-- Deleting a customer deletes its grades and their history.
DELETE FROM crm.customers WHERE id = 9108;
SELECT (SELECT count(*) FROM crm.customer_grades WHERE customer_id = 9108) AS grades,
	   (SELECT count(*) FROM crm.grade_history WHERE customer_id = 9108) AS history;

SET client_min_messages = warning;
TRUNCATE crm.customers, crm.campaigns CASCADE;
RESET client_min_messages;

-- No customers: nothing to grade.  A customer who bought only long ago has
-- volume 0 and no positive volume to cut by: small, so satisfaction 9 -> C.
SELECT * FROM crm.refresh_grades('2025-12-31');
INSERT INTO crm.customers (id, name, satisfaction) VALUES (9201, 'Old times', 9);
INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (9201, '2023-05-01 12:00', 100);
SELECT * FROM crm.refresh_grades('2025-12-31');
SELECT customer_id, lifecycle_stage, segment, relationship, pareto_class, volume FROM crm.customer_grades;

SET client_min_messages = warning;
TRUNCATE crm.customers CASCADE;
RESET client_min_messages;
