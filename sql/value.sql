-- crm.value_score, crm.rfm_segment, crm.lifecycle, crm.relationship,
-- crm.segment and crm.segment_strategy: hand-checked histories through every
-- function, every boundary and error, NULL inputs, the full RFM and 3 x 3
-- grids, and the rules of the satisfaction-by-volume grid.

-- error messages name dates; show them as ISO dates whatever the client uses
SET DateStyle = 'ISO, YMD';

-- Histories as crm.purchase_stats(first_purchase, last_purchase, orders,
-- purchase_days, revenue, cost, net_value, mean_order_value,
-- mean_repeat_value, trend), analysed as of 2025-12-31.
CREATE TEMP TABLE h (who text PRIMARY KEY, stats crm.purchase_stats, arrears numeric, responded boolean);
INSERT INTO h VALUES
	-- buys about monthly, last 11 days ago, flat trend
	('steady', ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0.1), 0, true),
	-- used to buy every 77 days, silent for 184 days, spend falling
	('fading', ROW('2024-01-10', '2025-06-30', 10, 8, 6000, 500, 5500, 600, 450, -0.6), 0, true),
	-- first purchase 41 days ago, 100 then 200
	('new', ROW('2025-11-20', '2025-12-15', 2, 2, 300, 20, 280, 150, 200, 0.3333333333333333), 0, false),
	-- a good customer who owes 1250.50 past due
	('in_arrears', ROW('2024-03-01', '2025-12-01', 20, 18, 24000, 1500, 22500, 1200, 1210, 0.05), 1250.50, NULL),
	-- costs 900 to serve, brings 300: 100 on 02-01, 06-01, 10-15
	('costly', ROW('2025-02-01', '2025-10-15', 3, 3, 300, 900, -600, 100, 100, -0.3333333333333333), 0, false),
	-- one order of 50,000 two years ago, nothing since
	('one_off', ROW('2023-12-20', '2023-12-20', 1, 1, 50000, 500, 49500, 50000, NULL, NULL), NULL, false),
	-- spend rising, last purchase 3 days ago
	('growing', ROW('2025-03-01', '2025-12-28', 9, 9, 4000, 300, 3700, 444.44, 475, 0.5), 0, false),
	-- buys regularly and recently, but less and less
	('shrinking', ROW('2024-06-01', '2025-12-20', 20, 15, 9000, 800, 8200, 450, 400, -0.4), 0, false),
	-- never bought; a visit cost 120
	('cost_only', ROW(NULL, NULL, 0, 0, 0, 120, -120, NULL, NULL, NULL), 0, true),
	-- never bought, nothing known
	('unknown', NULL, NULL, NULL);

--------------------------------------------------------------------------
-- value_score: R, F, M, N by hand (defaults: half life 180 days, frequency
-- half 3 days, monetary half 1000, weights 0.4, 0.2, 0.2, 0.2)
--------------------------------------------------------------------------
-- steady:     11 days:  R = 0.5^(11/180)  = 0.9585, F = 1 - 0.5^(12/3) = 0.9375,
--             M = 5200/6200 = 0.8387, N = 4800/5800 = 0.8276         -> 90.42
-- fading:     184 days: R = 0.4924, F = 1 - 0.5^(8/3) = 0.8425,
--             M = 6000/7000 = 0.8571, N = 5500/6500 = 0.8462         -> 70.61
-- new:        16 days:  R = 0.9402, F = 1 - 0.5^(2/3) = 0.3700,
--             M = 300/1300 = 0.2308, N = 280/1280 = 0.2188           -> 54.00
-- in_arrears: 30 days:  R = 0.8909, F = 0.9844, M = 0.9600, N = 0.9574 -> 93.67
-- costly:     77 days:  R = 0.7434, F = 0.5, M = 0.2308, N = 0 (net -600) -> 44.35
-- one_off:    742 days: R = 0.5^(742/180) = 0.0574, F = 1 - 0.5^(1/3) = 0.2063,
--             M = 50000/51000 = 0.9804, N = 49500/50500 = 0.9802     -> 45.63
-- growing:    3 days:   R = 0.9885, F = 0.8750, M = 0.8000, N = 0.7872 -> 88.79
-- shrinking:  11 days:  R = 0.9585, F = 0.9688, M = 0.9000, N = 0.8913 -> 93.54
-- cost_only, unknown: no purchase, no score                          -> NULL
SELECT who, round(crm.value_score(stats, '2025-12-31')::numeric, 2) AS score
  FROM h ORDER BY score DESC NULLS LAST, who;

-- Recency decays: one huge order two years ago does not rank above a
-- steady recent buyer, although it brought ten times the revenue.
SELECT round(crm.value_score(o.stats, '2025-12-31')::numeric, 2) AS one_off_50000_two_years_ago,
	   round(crm.value_score(s.stats, '2025-12-31')::numeric, 2) AS steady_5200_recent,
	   crm.value_score(o.stats, '2025-12-31') < crm.value_score(s.stats, '2025-12-31') AS steady_ranks_higher
  FROM h o, h s WHERE o.who = 'one_off' AND s.who = 'steady';
-- even a far bigger one-off order stays below: M and N saturate below 1
-- (0.4 * 0.0574 + 0.2 * 0.2063 + 0.2 * 1.0000 + 0.2 * 1.0000 -> 46.42)
SELECT round(crm.value_score(ROW('2023-12-20', '2023-12-20', 1, 1, 5e7, 0, 5e7, 5e7, NULL, NULL), '2025-12-31')::numeric, 2)
	   AS one_off_50_million;
-- the same one-off customer on the day of the order: R = 1
-- (0.4 + 0.2 * 0.2063 + 0.2 * 0.9804 + 0.2 * 0.9802 -> 83.34)
SELECT round(crm.value_score(stats, '2023-12-20')::numeric, 2) AS one_off_on_the_day FROM h WHERE who = 'one_off';

-- Parameters: recency only (weights 1,0,0,0) is R itself; a half life of 11
-- days halves steady's recency; monetary_half 5200 makes M one half.
SELECT round(crm.value_score(stats, '2025-12-31', weights => '{1,0,0,0}')::numeric, 4) AS r_only,
	   crm.value_score(stats, '2025-12-31', 11, weights => '{1,0,0,0}') AS r_at_half_life,
	   crm.value_score(stats, '2025-12-31', monetary_half => 5200, weights => '{0,0,1,0}') AS m_at_monetary_half,
	   crm.value_score(stats, '2025-12-31', frequency_half => 12, weights => '{0,1,0,0}') AS f_at_frequency_half,
	   crm.value_score(stats, '2025-12-31', weights => '{2,1,1,1}') = crm.value_score(stats, '2025-12-31') AS only_ratios_matter,
	   crm.value_score(stats, '2025-12-31', weights => '{1e308,1e308,1e308,1e308}') IS NOT NULL AS huge_weights_ok
  FROM h WHERE who = 'steady';
-- extremes stay in 0..100
-- (best: R = 1, F = 1, M and N round to 1; old_and_empty: R about 1e-77,
-- M = N = 0, F = 0.2063 -> 0.2 * 20.63 = 4.13)
SELECT crm.value_score(ROW('2025-12-31', '2025-12-31', 1000000, 1000000, 1e20, 0, 1e20, 1, 1, 0), '2025-12-31') AS best,
	   round(crm.value_score(ROW('1900-01-01', '1900-01-01', 1, 1, 0, 5, -5, 0, NULL, NULL), '2025-12-31')::numeric, 2) AS old_and_empty;

-- NULL in, NULL out (STRICT); a history without purchases has no score.
SELECT crm.value_score(NULL, '2025-12-31') AS null_stats,
	   crm.value_score(stats, NULL) AS null_as_of,
	   crm.value_score(stats, '2025-12-31', NULL) AS null_half_life,
	   crm.value_score(stats, '2025-12-31', weights => NULL) AS null_weights
  FROM h WHERE who = 'steady';
SELECT crm.value_score(ROW('2025-01-01', '2025-01-01', 1, 0, 10, 0, 10, 10, NULL, NULL), '2025-12-31') AS zero_purchase_days,
	   crm.value_score(ROW('2025-01-01', '2025-01-01', 1, 1, NULL, 0, 10, 10, NULL, NULL), '2025-12-31') AS null_revenue,
	   crm.value_score(ROW('2025-01-01', '2025-01-01', 1, 1, 10, 0, NULL, 10, NULL, NULL), '2025-12-31') AS null_net_value;

-- Errors: arguments first, then the data.
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', 0) FROM h WHERE who = 'steady'$$) AS zero_half_life;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', -30) FROM h WHERE who = 'steady'$$) AS negative_half_life;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', 'NaN') FROM h WHERE who = 'steady'$$) AS nan_half_life;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', 'Infinity') FROM h WHERE who = 'steady'$$) AS infinite_half_life;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', frequency_half => 0) FROM h WHERE who = 'steady'$$) AS zero_frequency_half;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', monetary_half => -1000) FROM h WHERE who = 'steady'$$) AS negative_monetary_half;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', monetary_half => 'Infinity') FROM h WHERE who = 'steady'$$) AS infinite_monetary_half;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{0.5,0.5}') FROM h WHERE who = 'steady'$$) AS two_weights;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{}') FROM h WHERE who = 'steady'$$) AS no_weights;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{1,1,1,1,1}') FROM h WHERE who = 'steady'$$) AS five_weights;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{{1,1},{1,1}}') FROM h WHERE who = 'steady'$$) AS two_dimensional_weights;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{0.4,NULL,0.2,0.2}') FROM h WHERE who = 'steady'$$) AS null_weight;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{0.4,-0.2,0.2,0.2}') FROM h WHERE who = 'steady'$$) AS negative_weight;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{0.4,NaN,0.2,0.2}') FROM h WHERE who = 'steady'$$) AS nan_weight;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{Infinity,1,1,1}') FROM h WHERE who = 'steady'$$) AS infinite_weight;
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', weights => '{0,0,0,0}') FROM h WHERE who = 'steady'$$) AS zero_weights;
SELECT try($$SELECT crm.value_score(stats, 'infinity') FROM h WHERE who = 'steady'$$) AS infinite_as_of;
SELECT try($$SELECT crm.value_score(stats, '2025-12-01') FROM h WHERE who = 'steady'$$) AS as_of_before_last;
-- a bad argument fails even where there is no score to compute
SELECT try($$SELECT crm.value_score(stats, '2025-12-31', 0) FROM h WHERE who = 'cost_only'$$) AS bad_argument_no_purchase;
SELECT try($$SELECT crm.value_score(ROW('2025-01-01', '2025-02-01', 2, 2, -50, 0, -50, -25, -50, 0), '2025-12-31')$$) AS negative_revenue;
SELECT try($$SELECT crm.value_score(ROW('2025-01-01', '2025-02-01', 2, 2, 'NaN', 0, 0, 0, 0, 0), '2025-12-31')$$) AS nan_revenue;
SELECT try($$SELECT crm.value_score(ROW('2025-01-01', '2025-02-01', 2, 2, 10, 0, 'Infinity', 5, 5, 0), '2025-12-31')$$) AS infinite_net_value;
SELECT try($$SELECT crm.value_score(ROW('2025-03-01', '2025-02-01', 2, 2, 10, 0, 10, 5, 5, 0), '2025-12-31')$$) AS first_after_last;
SELECT try($$SELECT crm.value_score(ROW('2025-01-01', 'infinity', 2, 2, 10, 0, 10, 5, 5, 0), '2025-12-31')$$) AS infinite_last;

--------------------------------------------------------------------------
-- rfm_segment
--------------------------------------------------------------------------

-- The R x FM grid (f = m = FM), recency 5 = most recent at the top.
SELECT r, crm.rfm_segment(r, 1, 1) AS fm1, crm.rfm_segment(r, 2, 2) AS fm2, crm.rfm_segment(r, 3, 3) AS fm3,
	   crm.rfm_segment(r, 4, 4) AS fm4, crm.rfm_segment(r, 5, 5) AS fm5
  FROM generate_series(5, 1, -1) r;

-- FM = round((f + m) / 2), halves up: (f, m) = (1, 2) is FM 2 (R 5:
-- potential loyalists, not new), (3, 4) FM 4 (champions), (2, 3) FM 3
-- (R 1: at risk, not lost), (4, 5) FM 5 (can't lose); the order of f and m
-- does not matter.
SELECT crm.rfm_segment(5, 1, 2) AS r5_fm1_5, crm.rfm_segment(5, 3, 4) AS r5_fm3_5,
	   crm.rfm_segment(1, 2, 3) AS r1_fm2_5, crm.rfm_segment(1, 4, 5) AS r1_fm4_5,
	   bool_and(crm.rfm_segment(r, f, m) = crm.rfm_segment(r, m, f)) AS symmetric_in_f_m
  FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m;

-- All 125 combinations: every one of the 11 names occurs.  By hand, the
-- (f, m) pairs per FM are 1, 5, 9, 7, 3; so e.g. champions = R 5 x FM 4-5 =
-- 7 + 3 = 10, at risk = R 2 x FM 3-5 (19) + R 1 x FM 3 (9) = 28.
SELECT crm.rfm_segment(r, f, m) AS segment, count(*) AS combinations
  FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
 GROUP BY 1 ORDER BY 2 DESC, 1;

-- The SQL pattern: quintile scores over a population with ntile(5), recency
-- ordered so that the most recent get 5.  Ten customers: c1 bought longest
-- ago, least often and least; c10 most recently, most often and most.
SELECT c, r, f, m, crm.rfm_segment(r, f, m) AS segment
  FROM (SELECT c,
			   ntile(5) OVER (ORDER BY (s).last_purchase) AS r,
			   ntile(5) OVER (ORDER BY (s).purchase_days) AS f,
			   ntile(5) OVER (ORDER BY (s).revenue) AS m
		  FROM (SELECT 'c' || i AS c,
					   ROW(date '2024-01-01', date '2024-01-01' + 60 * i, i, i, 100 * i, 0, 100 * i, 100, 100, 0)::crm.purchase_stats AS s
				  FROM generate_series(1, 10) i) p) q
 ORDER BY r DESC, c;

SELECT crm.rfm_segment(NULL, 1, 1) AS null_r, crm.rfm_segment(1, NULL, 1) AS null_f, crm.rfm_segment(1, 1, NULL) AS null_m;
SELECT try($$SELECT crm.rfm_segment(0, 3, 3)$$) AS r_zero;
SELECT try($$SELECT crm.rfm_segment(3, 6, 3)$$) AS f_six;
SELECT try($$SELECT crm.rfm_segment(3, 3, -1)$$) AS m_negative;

--------------------------------------------------------------------------
-- lifecycle (defaults: new_days 90, worthless_at 0, trend_threshold 0.2,
-- gap_factor 2)
--------------------------------------------------------------------------
-- steady:     no arrears, net 4800 > 0, first purchase 360 days ago;
--             mean gap 349 / 11 = 31.7 days, recency 11 <= 63.5;
--             trend 0.1 within +-0.2                     -> stable
-- fading:     mean gap 537 / 7 = 76.7, recency 184 > 153.4 -> declining
-- new:        first purchase 41 days ago <= 90           -> new
-- in_arrears: arrears 1250.50 > 0                        -> problem
-- costly:     net -600 <= 0                              -> worthless
-- one_off:    one purchase day, 742 days ago             -> declining
-- growing:    gap 302 / 8 = 37.8, recency 3; trend 0.5   -> growing
-- shrinking:  gap 567 / 14 = 40.5, recency 11; trend -0.4 -> declining
-- cost_only:  no purchase, net -120 <= 0                 -> worthless
-- unknown:    NULL stats                                 -> NULL
SELECT who, crm.lifecycle(stats, '2025-12-31', arrears) AS stage FROM h ORDER BY who;

-- The rules in order: arrears beat everything, worthless beats new.
SELECT crm.lifecycle(stats, '2025-12-31', 0.01) AS steady_owing_a_cent,
	   crm.lifecycle(stats, '2025-12-31', worthless_at => 5000) AS steady_below_floor,
	   crm.lifecycle(stats, '2025-12-31', NULL) AS steady_null_arrears
  FROM h WHERE who = 'steady';
SELECT crm.lifecycle(ROW('2025-12-01', '2025-12-01', 1, 1, 10, 50, -40, 10, NULL, NULL), '2025-12-31') AS new_but_worthless,
	   crm.lifecycle(stats, '2025-12-31', worthless_at => '-Infinity') AS costly_rule_off,
	   crm.lifecycle(stats, '2025-12-31', 100) AS costly_owing
  FROM h WHERE who = 'costly';
-- never bought: owing or worthless as any customer, otherwise outside the
-- lifecycle (NULL; crm.relationship says potential or responsive)
SELECT crm.lifecycle(stats, '2025-12-31', 100) AS cost_only_owing,
	   crm.lifecycle(stats, '2025-12-31', worthless_at => -1000) AS cost_only_not_worthless
  FROM h WHERE who = 'cost_only';

-- Boundaries, each on the inclusive side of its rule.
-- new: first purchase exactly new_days ago is new, one day more is not
-- (then: gap 25 days, recency 16, trend 0.33 -> growing).
SELECT crm.lifecycle(stats, '2025-12-31', new_days => 41) AS new_at_41_days,
	   crm.lifecycle(stats, '2025-12-31', new_days => 40) AS new_days_40
  FROM h WHERE who = 'new';
-- worthless: net value equal to worthless_at is worthless.
SELECT crm.lifecycle(stats, '2025-12-31', worthless_at => 4800) AS net_equals_floor,
	   crm.lifecycle(stats, '2025-12-31', worthless_at => 4799.99) AS net_above_floor
  FROM h WHERE who = 'steady';
-- recency: steady's gap is 349/11 = 31.73 days; recency 11 > gap_factor *
-- 31.73 from gap_factor 0.34 down.
SELECT crm.lifecycle(stats, '2025-12-31', gap_factor => 0.35) AS gap_factor_035,
	   crm.lifecycle(stats, '2025-12-31', gap_factor => 0.34) AS gap_factor_034
  FROM h WHERE who = 'steady';
-- recency equal to gap_factor * mean gap is not declining: two purchase
-- days 100 days apart (2025-03-06, 2025-06-14), the last 200 days ago.
SELECT crm.lifecycle(ROW('2025-03-06', '2025-06-14', 2, 2, 200, 0, 200, 100, 100, 0), '2025-12-31') AS recency_twice_the_gap,
	   crm.lifecycle(ROW('2025-03-06', '2025-06-14', 2, 2, 200, 0, 200, 100, 100, 0), '2026-01-01') AS one_day_more;
-- a year without a purchase is declining whatever the rhythm (crm.relationship
-- calls the customer lost then): two purchase days 387 days apart
-- (2023-07-01, 2024-07-22) with a rising trend; on 2025-07-22 (365 days
-- after the last) still growing, the day after declining, and on
-- 2025-12-31 (527 days, below 2 x 387) declining too.
SELECT crm.lifecycle(ROW('2023-07-01', '2024-07-22', 2, 2, 300, 0, 300, 200, 200, 0.33), '2025-07-22') AS after_365_days,
	   crm.lifecycle(ROW('2023-07-01', '2024-07-22', 2, 2, 300, 0, 300, 200, 200, 0.33), '2025-07-23') AS after_366_days,
	   crm.lifecycle(ROW('2023-07-01', '2024-07-22', 2, 2, 300, 0, 300, 200, 200, 0.33), '2025-12-31') AS after_527_days,
	   crm.relationship(ROW('2023-07-01', '2024-07-22', 2, 2, 300, 0, 300, 200, 200, 0.33), false, '2025-07-23') AS relationship_then;
-- Relationship vs transaction customers (crm.customer_type, defaults 3
-- purchase days, margin 0.2): loyal 5 days, 1000 revenue, 500 net ->
-- relationship; thin 100 net (margin 0.1) -> transaction, relationship with
-- min_margin 0.05; two days only -> transaction; gone (lost) ->
-- transaction; never bought -> NULL.
SELECT crm.customer_type(ROW('2025-01-05', '2025-12-20', 6, 5, 1000, 500, 500, 166.67, 170, 0), 'relationship') AS loyal,
	   crm.customer_type(ROW('2025-01-05', '2025-12-20', 6, 5, 1000, 900, 100, 166.67, 170, 0), 'relationship') AS thin_margin,
	   crm.customer_type(ROW('2025-01-05', '2025-12-20', 6, 5, 1000, 900, 100, 166.67, 170, 0), 'relationship', min_margin => 0.05) AS thin_margin_005,
	   crm.customer_type(ROW('2025-01-05', '2025-12-20', 2, 2, 1000, 0, 1000, 500, 500, 0), 'relationship') AS two_days,
	   crm.customer_type(ROW('2023-01-05', '2024-06-20', 6, 5, 1000, 0, 1000, 166.67, 170, 0), 'lost') AS gone,
	   crm.customer_type(ROW(NULL, NULL, 0, 0, 0, 50, -50, NULL, NULL, NULL), 'potential') AS never_bought,
	   crm.customer_type(NULL, 'potential') AS no_history;
-- the three groups of relationship customers (crm.relationship_group)
SELECT crm.relationship_group('relationship', 'declining', 'A') AS declining_a,
	   crm.relationship_group('relationship', 'problem', 'C') AS problem_c,
	   crm.relationship_group('relationship', 'stable', 'A') AS stable_a,
	   crm.relationship_group('relationship', 'growing', 'B') AS growing_b,
	   crm.relationship_group('transaction', 'stable', 'A') AS transaction_a,
	   crm.relationship_group(NULL, NULL, 'C') AS never_bought;
-- trend exactly at the threshold counts: 0.1 is growing with threshold 0.1,
-- declining at -0.1.
SELECT crm.lifecycle(stats, '2025-12-31', trend_threshold => 0.1) AS trend_at_threshold,
	   crm.lifecycle(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, -0.1), '2025-12-31',
					 trend_threshold => 0.1) AS trend_at_minus_threshold,
	   crm.lifecycle(stats, '2025-12-31', trend_threshold => 1) AS threshold_one
  FROM h WHERE who = 'steady';
-- unknown trend (several purchase days but no spend) is stable, not an error
SELECT crm.lifecycle(ROW('2025-06-01', '2025-12-01', 4, 4, 0, 0, 0, 0, 0, NULL), '2025-12-31', worthless_at => -1) AS unknown_trend;

-- NULLs: NULL arrears count as 0; any other NULL argument gives NULL.
SELECT crm.lifecycle(NULL, '2025-12-31') AS null_stats,
	   crm.lifecycle(stats, NULL) AS null_as_of,
	   crm.lifecycle(stats, '2025-12-31', 0, NULL) AS null_new_days,
	   crm.lifecycle(stats, '2025-12-31', worthless_at => NULL) AS null_worthless_at,
	   crm.lifecycle(stats, '2025-12-31', trend_threshold => NULL) AS null_trend_threshold,
	   crm.lifecycle(stats, '2025-12-31', gap_factor => NULL) AS null_gap_factor
  FROM h WHERE who = 'steady';

SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', -1) FROM h WHERE who = 'steady'$$) AS negative_arrears;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', 'NaN') FROM h WHERE who = 'steady'$$) AS nan_arrears;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', 'Infinity') FROM h WHERE who = 'steady'$$) AS infinite_arrears;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', new_days => -1) FROM h WHERE who = 'steady'$$) AS negative_new_days;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', worthless_at => 'NaN') FROM h WHERE who = 'steady'$$) AS nan_worthless_at;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', trend_threshold => 0) FROM h WHERE who = 'steady'$$) AS zero_trend_threshold;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', trend_threshold => 1.5) FROM h WHERE who = 'steady'$$) AS trend_threshold_above_1;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', trend_threshold => 'NaN') FROM h WHERE who = 'steady'$$) AS nan_trend_threshold;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', gap_factor => 0) FROM h WHERE who = 'steady'$$) AS zero_gap_factor;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-31', gap_factor => 'Infinity') FROM h WHERE who = 'steady'$$) AS infinite_gap_factor;
SELECT try($$SELECT crm.lifecycle(stats, '2025-12-19') FROM h WHERE who = 'steady'$$) AS as_of_before_last;
SELECT try($$SELECT crm.lifecycle(stats, '-infinity') FROM h WHERE who = 'steady'$$) AS infinite_as_of;
-- arguments are checked even for a customer without stats
SELECT try($$SELECT crm.lifecycle(NULL, '2025-12-31', -1)$$) AS negative_arrears_null_stats;
SELECT try($$SELECT crm.lifecycle(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 1.5), '2025-12-31')$$) AS trend_out_of_range;
SELECT try($$SELECT crm.lifecycle(ROW('2025-01-05', '2025-12-20', 14, 12, 5200, 400, 'NaN', 371.43, 380.0, 0), '2025-12-31')$$) AS nan_net_value;
SELECT try($$SELECT crm.lifecycle(ROW('2025-12-21', '2025-12-20', 14, 12, 5200, 400, 4800, 371.43, 380.0, 0), '2025-12-31')$$) AS first_after_last;

--------------------------------------------------------------------------
-- relationship (lost_after_days 365)
--------------------------------------------------------------------------
-- bought within 365 days: steady, fading (184), new, in_arrears, costly,
-- growing, shrinking -> relationship; one_off (742 days) -> lost;
-- never bought: cost_only responded -> responsive; unknown (responded
-- NULL) -> potential
SELECT who, crm.relationship(stats, responded, '2025-12-31') AS state FROM h ORDER BY who;

-- The boundary: exactly lost_after_days after the last purchase is still a
-- relationship (fading bought 2025-06-30; 2026-06-30 is 365 days later).
SELECT crm.relationship(stats, false, '2026-06-30') AS day_365,
	   crm.relationship(stats, false, '2026-07-01') AS day_366,
	   crm.relationship(stats, false, '2025-12-31', 184) AS lost_after_184,
	   crm.relationship(stats, false, '2025-12-31', 183) AS lost_after_183,
	   crm.relationship(stats, false, '2025-06-30', 0) AS same_day_zero_days
  FROM h WHERE who = 'fading';
-- Never bought: the response decides.
SELECT crm.relationship(NULL, true, '2025-12-31') AS responded,
	   crm.relationship(NULL, false, '2025-12-31') AS not_responded,
	   crm.relationship(NULL, NULL, '2025-12-31') AS response_unknown;
-- A purchase outweighs a response, whatever the response says.
SELECT crm.relationship(stats, NULL, '2025-12-31') AS bought_response_unknown FROM h WHERE who = 'steady';
-- NULL as_of or lost_after_days: NULL
SELECT crm.relationship(stats, true, NULL) AS null_as_of,
	   crm.relationship(stats, true, '2025-12-31', NULL) AS null_lost_after
  FROM h WHERE who = 'steady';

SELECT try($$SELECT crm.relationship(stats, true, '2025-12-31', -1) FROM h WHERE who = 'steady'$$) AS negative_lost_after;
SELECT try($$SELECT crm.relationship(NULL, true, '2025-12-31', -1)$$) AS negative_lost_after_null_stats;
SELECT try($$SELECT crm.relationship(stats, true, '2025-12-01') FROM h WHERE who = 'steady'$$) AS as_of_before_last;
SELECT try($$SELECT crm.relationship(stats, true, 'infinity') FROM h WHERE who = 'steady'$$) AS infinite_as_of;

--------------------------------------------------------------------------
-- segment and segment_strategy
--------------------------------------------------------------------------

-- The full 3 x 3 grid: satisfaction 9 (high), 6 (medium), 2 (low) by volume
-- 1000 (large), 200 (medium), 10 (small), cuts {5,8} and {100,500}.
SELECT s.satisfaction,
	   crm.segment(s.satisfaction, 1000, volume_cuts => '{100,500}') AS large,
	   crm.segment(s.satisfaction, 200, volume_cuts => '{100,500}') AS medium,
	   crm.segment(s.satisfaction, 10, volume_cuts => '{100,500}') AS small
  FROM (VALUES (9), (6), (2)) s(satisfaction);

-- Boundaries: a value equal to a cut belongs to the higher class.
SELECT crm.segment(8, 500, volume_cuts => '{100,500}') AS at_upper_cuts,
	   crm.segment(7.9, 499.99, volume_cuts => '{100,500}') AS just_below_upper,
	   crm.segment(5, 100, volume_cuts => '{100,500}') AS at_lower_cuts,
	   crm.segment(4.9, 99.99, volume_cuts => '{100,500}') AS just_below_lower,
	   crm.segment(9, 10, '{0,9}', '{10,10}') AS equal_cuts;

-- volume cut at the tertiles of the customers' volume, as the hint says
-- (tertiles of 15, 45, 80, 120, 300, 900: 45 + 2/3 * 35 = 68.33 and
-- 120 + 1/3 * 180 = 180; a, b medium volume, c, e small, d, f large)
SELECT v.who, v.volume, t.cuts, crm.segment(v.satisfaction, v.volume, volume_cuts => t.cuts) AS segment
  FROM (VALUES ('a', 9.5, 120.0), ('b', 9.0, 80.0), ('c', 8.5, 15.0), ('d', 6.0, 300.0), ('e', 7.0, 45.0),
			   ('f', 2.0, 900.0)) v(who, satisfaction, volume),
	   (SELECT percentile_cont(ARRAY[1/3.0, 2/3.0]) WITHIN GROUP (ORDER BY volume)::numeric[] AS cuts
		  FROM (VALUES (120.0), (80.0), (15.0), (300.0), (45.0), (900.0)) x(volume)) t
 ORDER BY v.who;

SELECT crm.segment(NULL, 100, volume_cuts => '{10,20}') AS null_satisfaction,
	   crm.segment(9, NULL, volume_cuts => '{10,20}') AS null_volume;

SELECT try($$SELECT crm.segment(9, 100)$$) AS volume_cuts_missing;
SELECT try($$SELECT crm.segment(NULL, NULL)$$) AS volume_cuts_missing_null_values;
SELECT try($$SELECT crm.segment(9, 100, NULL, '{10,20}')$$) AS satisfaction_cuts_null;
SELECT try($$SELECT crm.segment(9, 100, '{8,5}', '{10,20}')$$) AS satisfaction_cuts_descending;
SELECT try($$SELECT crm.segment(9, 100, '{5,8,9}', '{10,20}')$$) AS three_satisfaction_cuts;
SELECT try($$SELECT crm.segment(9, 100, volume_cuts => '{10}')$$) AS one_volume_cut;
SELECT try($$SELECT crm.segment(9, 100, volume_cuts => '{}')$$) AS no_volume_cuts;
SELECT try($$SELECT crm.segment(9, 100, volume_cuts => '{10,NULL}')$$) AS null_volume_cut;
SELECT try($$SELECT crm.segment(9, 100, volume_cuts => '{NaN,20}')$$) AS nan_volume_cut;
SELECT try($$SELECT crm.segment(9, 100, volume_cuts => '{{10,20}}')$$) AS two_dimensional_cuts;
SELECT try($$SELECT crm.segment('NaN', 100, volume_cuts => '{10,20}')$$) AS nan_satisfaction;
SELECT try($$SELECT crm.segment(9, 'NaN', volume_cuts => '{10,20}')$$) AS nan_volume;

-- The nine strategies
SELECT segment, satisfaction, volume, sales_strategy, service_strategy FROM crm.segment_strategies;
SELECT segment, description FROM crm.segment_strategies;
SELECT * FROM crm.segment_strategy('g');
SELECT count(*) AS rows_for_null FROM crm.segment_strategy(NULL);
SELECT try($$SELECT * FROM crm.segment_strategy('J')$$) AS unknown_segment;
SELECT try($$SELECT * FROM crm.segment_strategy('AB')$$) AS two_letters;
SELECT try($$SELECT * FROM crm.segment_strategy('')$$) AS empty_segment;

-- The rules of the satisfaction-by-volume grid, as booleans.
SELECT crm.segment(9, 1000, volume_cuts => '{100,500}') = 'A'
	   AND (SELECT sales_strategy LIKE 'one-to-one%' AND service_strategy = 'partner'
				   AND description LIKE '%most valuable%' AND description LIKE '%churn is only 1-2 \%%'
			  FROM crm.segment_strategy('A')) AS rule_a_large_high_most_valuable,
	   crm.segment(9, 200, volume_cuts => '{100,500}') = 'B'
	   AND (SELECT sales_strategy LIKE 'one-to-many%' AND service_strategy = 'partner'
				   AND description LIKE '%long-term nurturing plan%' AND description LIKE '%regular calls%'
			  FROM crm.segment_strategy('B')) AS rule_b_medium_high_nurture,
	   crm.segment(9, 10, volume_cuts => '{100,500}') = 'C'
	   AND (SELECT sales_strategy = 'through retailers' AND service_strategy = 'partner'
				   AND description LIKE '%many of them%'
			  FROM crm.segment_strategy('C')) AS rule_c_small_high_retailers,
	   crm.segment(6, 1000, volume_cuts => '{100,500}') = 'D'
	   AND (SELECT bool_and(service_strategy = 'improve' AND description LIKE '%misunderstanding%'
							AND description LIKE '%contact%often%' AND description LIKE '%complaints fast%')
			  FROM crm.segment_strategies WHERE segment IN ('D', 'E', 'F')) AS rule_d_medium_satisfaction,
	   crm.segment(2, 1000, volume_cuts => '{100,500}') = 'G'
	   AND (SELECT sales_strategy LIKE 'one-to-one%' AND service_strategy = 'correct'
				   AND description LIKE '%time bomb%' AND description LIKE '%first lost to a strong competitor%'
			  FROM crm.segment_strategy('G')) AS rule_g_time_bomb;

--------------------------------------------------------------------------
-- From orders to decisions: the aggregate feeds every function
--------------------------------------------------------------------------
-- Quarterly orders of 100, 150, 200, 250 in 2025: revenue 700 on 4 days,
-- last 60 days ago: R = 0.5^(60/180) = 0.7937, F = 1 - 0.5^(4/3) = 0.6031,
-- M = N = 700/1700 = 0.4118 -> 60.28.  Mean gap (305 - 32) / 3 = 91 days,
-- recency 60; midpoint day 168.5: earlier 250, later 450, trend 0.29
-- -> growing; bought within 365 days -> relationship.
SELECT round(crm.value_score(s, '2025-12-31')::numeric, 2) AS score,
	   crm.lifecycle(s, '2025-12-31') AS stage,
	   crm.relationship(s, false, '2025-12-31') AS state
  FROM (SELECT crm.purchase_stats(d, a) AS s
		  FROM (VALUES (date '2025-02-01', 100.00), ('2025-05-01', 150.00), ('2025-08-01', 200.00),
					   ('2025-11-01', 250.00)) o(d, a)) t;

RESET DateStyle;
