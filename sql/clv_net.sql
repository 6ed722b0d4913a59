-- Value net of the cost to serve (crm.service_cost_per_purchase,
-- crm.clv_net).  The cost is modelled per purchase: each expected purchase
-- brings the expected spend and costs the customer's service costs per
-- purchase day so far, so clv_net = clv * (1 - cost_per_purchase / spend).
--
-- Crafted customers, calibration to 2025-01-31:
--   1: purchase days 01-01 (two orders), 01-08, 01-15 (3 days); costs 10 + 20
--      (a visit and a discount) before the cut-off and 500 after it
--      (not counted): 30 / 3 = 10 per purchase;
--   2: one purchase day, support costs 90 and 60: 150 per purchase;
--   3: one purchase day, no costs: 0;
--   4: a cost but no order: left out.
INSERT INTO crm.customers (id, name) OVERRIDING SYSTEM VALUE
VALUES (910001, 'net one'), (910002, 'net two'), (910003, 'net three'), (910004, 'net four');
INSERT INTO crm.orders (customer_id, ordered_at, amount)
VALUES (910001, '2025-01-01 09:00', 10), (910001, '2025-01-01 15:00', 5), (910001, '2025-01-08 10:00', 20),
	   (910001, '2025-01-15 10:00', 40), (910001, '2025-02-10 10:00', 7),
	   (910002, '2025-01-29 10:00', 50),
	   (910003, '2025-01-20 10:00', 30);
INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount)
VALUES (910001, '2025-01-02', 'visit', 10), (910001, '2025-01-31', 'discount', 20), (910001, '2025-02-01', 'support', 500),
	   (910002, '2025-01-29', 'support', 90), (910002, '2025-01-30', 'support', 60),
	   (910004, '2025-01-20', 'visit', 40);
SELECT * FROM crm.service_cost_per_purchase('2025-01-31') WHERE customer_id >= 910001;
-- an earlier cut-off: customer 1 has one purchase day and the visit
SELECT * FROM crm.service_cost_per_purchase('2025-01-02') WHERE customer_id >= 910001;

-- The published CDNOW models (BG/NBD 0.243, 4.414, 0.793, 2.426;
-- Gamma-Gamma 6.25, 3.74, 15.44) and the customers' summaries in weeks
CREATE TEMP TABLE m AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd AS bg,
	   ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma AS gg;
CREATE TEMP TABLE valued AS
SELECT s.customer_id, s.x, s.t_x, s."T", s.monetary, c.cost_per_purchase,
	   crm.gammagamma_expected_spend(m.gg, s.x, s.monetary::float8) AS spend,
	   crm.clv(m.bg, m.gg, s.x, s.t_x, s."T", s.monetary::float8, 12, 0.01) AS clv,
	   crm.clv_net(m.bg, m.gg, s.x, s.t_x, s."T", s.monetary::float8, c.cost_per_purchase, 12, 0.01) AS clv_net
  FROM crm.calibration_holdout('2025-01-31', '2025-01-31') s
  JOIN crm.service_cost_per_purchase('2025-01-31') c USING (customer_id), m
 WHERE s.customer_id >= 910001;
-- customer 2 costs 150 per purchase against an expected spend of 35.22:
-- negative value; customer 3 costs nothing: clv_net = clv
SELECT customer_id, x, round(spend::numeric, 4) AS spend, cost_per_purchase, round(clv::numeric, 4) AS clv,
	   round(clv_net::numeric, 4) AS clv_net,
	   abs(clv_net - clv * (1 - cost_per_purchase / spend)) < 1e-12 * abs(clv) AS hand_formula
  FROM valued ORDER BY customer_id;
-- the same by hand from the expected purchases of each month (weeks_per_month 4.348125)
SELECT v.customer_id,
	   abs(v.clv_net - sum((v.spend - v.cost_per_purchase)
						   * (crm.bgnbd_expected_purchases(m.bg, k * 4.348125, v.x, v.t_x, v."T")
							  - crm.bgnbd_expected_purchases(m.bg, (k - 1) * 4.348125, v.x, v.t_x, v."T"))
						   / 1.01 ^ k)) < 1e-9 AS monthly_sum
  FROM valued v, m, generate_series(1, 12) k
 GROUP BY v.customer_id, v.clv_net ORDER BY v.customer_id;

-- NULLs: a NULL cost gives NULL; NULL mean_amount is the population spend as for crm.clv
SELECT crm.clv_net(bg, gg, 2, 30, 38, 40, NULL, 12, 0.01) IS NULL AS null_cost,
	   crm.clv_net(bg, gg, 0, 0, 38, NULL, 0, 12, 0.01) = crm.clv(bg, gg, 0, 0, 38, NULL, 12, 0.01) AS no_repeat_purchase,
	   crm.clv_net(bg, gg, 2, 30, 38, 40, 5, 12, 0.01, 4.348125) = crm.clv_net(bg, gg, 2, 30, 38, 40, 5, 12, 0.01) AS default_weeks
  FROM m;
-- Errors: the cost, and those of crm.clv
SELECT try($$SELECT crm.clv_net(bg, gg, 2, 30, 38, 40, -1, 12, 0.01) FROM m$$);
SELECT try($$SELECT crm.clv_net(bg, gg, 2, 30, 38, 40, 'NaN', 12, 0.01) FROM m$$);
SELECT try($$SELECT crm.clv_net(bg, gg, 2, 30, 38, 40, 5, -1, 0.01) FROM m$$);
SELECT try($$SELECT crm.clv_net(bg, gg, 2, 40, 38, 40, 5, 12, 0.01) FROM m$$);

DELETE FROM crm.service_costs WHERE customer_id >= 910001;
DELETE FROM crm.orders WHERE customer_id >= 910001;
DELETE FROM crm.customers WHERE id >= 910001;
