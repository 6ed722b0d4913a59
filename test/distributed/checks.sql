/*
 * test/distributed_checks.sql: every capability of crm, run the same way on
 * a single-node database and on the Citus cluster (after crm.distribute()),
 * both with the same demo data; test/distributed.sh compares the outputs
 * line by line.
 *
 * Each line is "name|rows|md5 of the rows sorted as text" or
 * "name|ERROR|message".  Floats are rounded to 9 significant digits where a
 * sum's order may differ between one scan and shards combined; ids drawn
 * from sequences and transaction times are left out of the digests of the
 * rows the workflow writes (rows written on a worker take ids from the
 * worker's range, see crm.separate_sequences()).
 */
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.digest(name text, query text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	n	bigint;
	h	text;
BEGIN
	EXECUTE format('SELECT count(*), md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM (%s) t', query)
	   INTO n, h;
	RETURN format('%s|%s|%s', name, n, h);
EXCEPTION WHEN OTHERS THEN
	RETURN format('%s|ERROR|%s', name, SQLERRM);
END;
$$;

-- A step of the workflow: its own output digest, or its error.
CREATE FUNCTION pg_temp.step(name text, statement text)
RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
	EXECUTE statement;
	RETURN format('%s|done|', name);
EXCEPTION WHEN OTHERS THEN
	RETURN format('%s|ERROR|%s', name, SQLERRM);
END;
$$;

CREATE FUNCTION pg_temp.r(x float8) RETURNS text LANGUAGE sql IMMUTABLE
RETURN CASE WHEN x IS NULL OR x = 0 OR x <> x THEN x::text ELSE to_char(x, '9.99999999EEEE') END;

--------------------------------------------------------------------------
-- The data
--------------------------------------------------------------------------
SELECT pg_temp.digest('table ' || d.table_name, format('SELECT * FROM crm.%I', d.table_name))
  FROM crm.distribution() d
 WHERE d.table_name NOT IN ('audit_log', 'models')
 ORDER BY d.table_name;

--------------------------------------------------------------------------
-- Customer value
--------------------------------------------------------------------------
SELECT pg_temp.digest('customer_purchase_stats', 'SELECT * FROM crm.customer_purchase_stats');
SELECT pg_temp.digest('purchase_stats one customer',
	'SELECT (crm.purchase_stats(ordered_at, amount)).* FROM crm.orders WHERE customer_id = 12');
SELECT pg_temp.digest('purchase_stats all orders',
	'SELECT s.first_purchase, s.last_purchase, s.orders, s.revenue FROM (SELECT (crm.purchase_stats(ordered_at, amount)).* FROM crm.orders) s');
SELECT pg_temp.digest('customer_360', 'SELECT * FROM crm.customer_360');
SELECT pg_temp.digest('lifecycle_summary', 'SELECT * FROM crm.lifecycle_summary');
SELECT pg_temp.digest('segment_matrix', 'SELECT * FROM crm.segment_matrix');
SELECT pg_temp.digest('region_summary', 'SELECT * FROM crm.region_summary');
SELECT pg_temp.digest('pareto_classes', $$SELECT * FROM crm.pareto_classes('2025-12-31')$$);
SELECT pg_temp.digest('pareto_classes revenue_12m', $$SELECT * FROM crm.pareto_classes('2025-12-31', 'revenue_12m')$$);
SELECT pg_temp.digest('lorenz_curve', $$SELECT point, pg_temp.r(customer_share), pg_temp.r(value_share) FROM crm.lorenz_curve('2025-12-31', 'net_value', 50)$$);
SELECT pg_temp.digest('value_concentration',
	$$SELECT customers, positive_value, pg_temp.r(gini), pg_temp.r(top_20_pct_value_share), pg_temp.r(customer_share_for_80_pct)
		FROM crm.value_concentration('2025-12-31')$$);
SELECT pg_temp.digest('sales_report', $$SELECT * FROM crm.sales_report('2024-01-01', '2025-12-31', 'quarter')$$);
SELECT pg_temp.digest('sales_report by customer', $$SELECT * FROM crm.sales_report('2025-01-01', '2025-12-31', 'month', true, 'North')$$);
SELECT pg_temp.digest('find_duplicates', 'SELECT * FROM crm.find_duplicates(0.9)');

--------------------------------------------------------------------------
-- Lifetime value
--------------------------------------------------------------------------
SELECT pg_temp.digest('calibration_holdout', $$SELECT * FROM crm.calibration_holdout('2025-06-30', '2025-12-31')$$);
SELECT pg_temp.digest('bgnbd_fit and gammagamma_fit',
	$$SELECT pg_temp.r((bg).r), pg_temp.r((bg).alpha), pg_temp.r((bg).a), pg_temp.r((bg).b), pg_temp.r((bg).log_likelihood),
			 pg_temp.r((gg).p), pg_temp.r((gg).q), pg_temp.r((gg).gamma)
		FROM (SELECT crm.bgnbd_fit(x, t_x, "T") AS bg, crm.gammagamma_fit(x, monetary::float8) AS gg
				FROM crm.calibration_holdout('2025-12-31', '2025-12-31')) f$$);
SELECT pg_temp.digest('paretonbd_fit',
	$$SELECT pg_temp.r((pn).r), pg_temp.r((pn).alpha), pg_temp.r((pn).s), pg_temp.r((pn).beta), pg_temp.r((pn).log_likelihood)
		FROM (SELECT crm.paretonbd_fit(x, t_x, "T") AS pn FROM crm.calibration_holdout('2025-12-31', '2025-12-31')) f$$);
-- the fit checks, with a fixed model (the fits' last digits may differ)
SELECT pg_temp.digest('clv_calibration',
	$$SELECT c.frequency, c.customers, pg_temp.r(c.actual_purchases), pg_temp.r(c.expected_purchases)
		FROM crm.clv_calibration(ROW(0.9, 4, 0.7, 5, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd, '2025-06-30', '2025-12-31') c$$);
SELECT pg_temp.digest('clv_tracking',
	$$SELECT t.period, t.period_start, t.period_end, t.in_holdout, t.actual, t.cumulative_actual,
			 pg_temp.r(t.expected), pg_temp.r(t.cumulative_expected)
		FROM crm.clv_tracking(ROW(0.55, 10.6, 0.6, 11.7, NULL, NULL, NULL, NULL, NULL)::crm.paretonbd, '2025-06-30', '2025-12-31') t$$);
SELECT pg_temp.digest('service_cost_per_purchase and clv_net',
	$$SELECT c.customer_id, c.purchase_days, c.service_cost, pg_temp.r(c.cost_per_purchase),
			 pg_temp.r(crm.clv_net(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd,
								   ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gammagamma,
								   2, 30, 38, 40, c.cost_per_purchase, 12, 0.01))
		FROM crm.service_cost_per_purchase('2025-12-31') c$$);
SELECT pg_temp.digest('mbgnbd_fit and the standard errors of bgnbd_fit',
	$$SELECT pg_temp.r((mb).r), pg_temp.r((mb).alpha), pg_temp.r((mb).a), pg_temp.r((mb).b), pg_temp.r((mb).log_likelihood),
			 (SELECT string_agg(pg_temp.r(std_error)::text, ',' ORDER BY parameter) FROM crm.fit_parameters(bg))
		FROM (SELECT crm.mbgnbd_fit(x, t_x, "T") AS mb, crm.bgnbd_fit(x, t_x, "T") AS bg
				FROM crm.calibration_holdout('2025-12-31', '2025-12-31')) f$$);

--------------------------------------------------------------------------
-- Funnel and forecasts
--------------------------------------------------------------------------
SELECT pg_temp.digest('funnel', 'SELECT * FROM crm.funnel');
SELECT pg_temp.digest('pipeline_funnel', $$SELECT * FROM crm.pipeline_funnel('project')$$);
SELECT pg_temp.digest('pipeline_forecast', $$SELECT * FROM crm.pipeline_forecast('project', 3, '2025-12-31 24:00+00')$$);
SELECT pg_temp.digest('empirical_funnel', $$SELECT * FROM crm.empirical_funnel('project')$$);
SELECT pg_temp.digest('opportunities_as_of', $$SELECT * FROM crm.opportunities_as_of('2025-10-01 00:00+00')$$);
SELECT pg_temp.digest('pipeline_changes', $$SELECT * FROM crm.pipeline_changes('2025-10-01 00:00+00', '2026-01-01 00:00+00')$$);
SELECT pg_temp.digest('pipeline_waterfall', $$SELECT * FROM crm.pipeline_waterfall('2025-10-01 00:00+00', '2026-01-01 00:00+00')$$);
SELECT pg_temp.digest('forecast_as_of', $$SELECT * FROM crm.forecast_as_of('project', '2025-10-01 00:00+00')$$);
SELECT pg_temp.digest('pipeline_issues', $$SELECT * FROM crm.pipeline_issues('2026-01-01', 60)$$);
SELECT pg_temp.digest('forecast_accuracy', $$SELECT * FROM crm.forecast_accuracy('project', '2025-07-01', '2025-12-31', 'quarter')$$);
-- a function that reads crm tables runs on the coordinator: called with ids
-- gathered first, not per row of a distributed table (README, Scale-out)
SELECT pg_temp.digest('stage_entered_at',
	'WITH ids AS MATERIALIZED (SELECT id FROM crm.opportunities WHERE id % 50 = 0) SELECT id, crm.stage_entered_at(id) FROM ids');
SELECT pg_temp.digest('handover', $$SELECT * FROM crm.handover('rep_01')$$);
SELECT pg_temp.digest('monthly_sales', 'SELECT * FROM crm.monthly_sales');
SELECT pg_temp.digest('seasonal_forecast',
	$$SELECT crm.seasonal_forecast(month, sales::float8, 3, 'seasonal_naive')::text,
			 crm.seasonal_forecast(month, sales::float8, 3, 'moving_average')::text,
			 (SELECT array_agg(pg_temp.r(v)) FROM unnest(crm.seasonal_forecast(month, sales::float8, 3, 'holt_winters')) v)
		FROM crm.monthly_sales_total WHERE month < '2026-01-01'$$);

--------------------------------------------------------------------------
-- Quotas, campaigns, contracts
--------------------------------------------------------------------------
SELECT pg_temp.digest('quota_attainment', 'SELECT * FROM crm.quota_attainment');
SELECT pg_temp.digest('won_credit', 'SELECT customer_id, opportunity_id, owner, share, amount, credited_amount FROM crm.won_credit');  -- (closed_at: the workflow's wins are stamped with their transaction time)
SELECT pg_temp.digest('sales_share', $$SELECT * FROM crm.sales_share('region', 'ytd', '2025-12-31')$$);
SELECT pg_temp.digest('allocate_quotas', $$SELECT * FROM crm.allocate_quotas(2026, 12000000, 'half', 'region', 'ytd', adjust_pct => 5)$$);
SELECT pg_temp.digest('key_account_review', $$SELECT * FROM crm.key_account_review('2025-12-31')$$);
SELECT pg_temp.digest('key_account_profile', $$SELECT rule, companies, key_accounts, pg_temp.r(share_key_accounts) FROM crm.key_account_profile('2025-12-31')$$);
SELECT pg_temp.digest('future_key_accounts', $$SELECT customer_id, pareto_class, pg_temp.r(probability), rule FROM crm.future_key_accounts('2025-12-31')$$);
SELECT pg_temp.digest('market_segments', $$SELECT customer_id, segment, pg_temp.r(probability), rule FROM crm.market_segments('2025-12-31')$$);
SELECT pg_temp.digest('new_customer_churn', $$SELECT customer_id, first_purchase, repeat_purchases, days_since_first, pg_temp.r(churn_risk) FROM crm.new_customer_churn('2025-09-30', 90)$$);
SELECT pg_temp.digest('forecast_quotas', $$SELECT period_start, period_end, region, target, note FROM crm.forecast_quotas('2026-01-01', 3, 'seasonal_naive', 'region', 'ytd', 5)$$);
SELECT pg_temp.digest('adjust_quotas', $$SELECT period_start, period_end, region, target FROM crm.adjust_quotas('2026-01-01', '2026-03-31', 'region', '{"North": 10, "South": -5}', true)$$);
SELECT pg_temp.digest('campaign_effectiveness', 'SELECT * FROM crm.campaign_effectiveness');
SELECT pg_temp.digest('campaign_roi_by_method', 'SELECT * FROM crm.campaign_roi_by_method');
SELECT pg_temp.digest('campaign_rollup', $$SELECT * FROM crm.campaign_rollup('region', '2022-01-01', '2025-12-31')$$);
SELECT pg_temp.digest('campaigns_in_period', $$SELECT * FROM crm.campaigns_in_period('2025-01-01', '2025-12-31')$$);
SELECT pg_temp.digest('campaign_sales_lift', 'SELECT * FROM crm.campaign_sales_lift(90)');
SELECT pg_temp.digest('contract_overview', 'SELECT * FROM crm.contract_overview');
SELECT pg_temp.digest('contracts_by_status', 'SELECT * FROM crm.contracts_by_status');
SELECT pg_temp.digest('contract_status_history', 'SELECT contract_id, old_status, new_status, changed_by FROM crm.contract_status_history');
SELECT pg_temp.digest('contract_version_history', 'SELECT * FROM crm.contract_version_history');
SELECT pg_temp.digest('contract_retention', $$SELECT * FROM crm.contract_retention('2025-12-31', 365, 90)$$);

--------------------------------------------------------------------------
-- Decision trees
--------------------------------------------------------------------------
CREATE TEMP VIEW offer_customers AS
SELECT id AS customer_id, (attributes->>'age')::integer AS age, attributes->>'occupation' AS occupation,
	   (attributes->>'income')::numeric AS income, attributes->>'marital_status' AS marital_status,
	   (attributes->>'monthly_bill')::numeric AS monthly_bill, industry,
	   (attributes->>'uses_offer')::boolean AS uses_offer
  FROM crm.customers WHERE kind = 'person';
SELECT pg_temp.digest('tree_train',
	$$SELECT crm.tree_rules(crm.tree_train('SELECT age, occupation, income, marital_status, monthly_bill, industry, uses_offer FROM offer_customers ORDER BY customer_id', 'uses_offer', '{"cp": 0.004}'))$$);
SELECT pg_temp.digest('tree_train_model',
	$$SELECT name, rows_used, rows_skipped FROM crm.tree_train_model('offer', 'SELECT age, occupation, income, marital_status, monthly_bill, industry, uses_offer FROM offer_customers ORDER BY customer_id', 'uses_offer', '{"cp": 0.004}')$$);
SELECT pg_temp.digest('tree_score on a distributed table',
	$$SELECT o.customer_id, round(crm.tree_score(m.model, o)::numeric, 9)
		FROM offer_customers o, crm.models m WHERE m.name = 'offer'$$);
SELECT pg_temp.digest('auc and lift_table',
	$$SELECT round(crm.auc(crm.tree_score(m.model, o), o.uses_offer)::numeric, 9)::text FROM offer_customers o, crm.models m WHERE m.name = 'offer'
	  UNION ALL
	  -- (float sums over the rows in their scan order: 9 decimals)
	  SELECT (l.grp, l.rows, round(l.positives::numeric, 9), round(l.positive_rate::numeric, 9), round(l.lift::numeric, 9),
			  l.cumulative_rows, round(l.cumulative_positives::numeric, 9), round(l.gain::numeric, 9),
			  round(l.min_score::numeric, 9), round(l.max_score::numeric, 9))::text
		FROM crm.lift_table('SELECT crm.tree_score(m.model, o), o.uses_offer FROM offer_customers o, crm.models m WHERE m.name = ''offer''', 5) l$$);

SELECT pg_temp.digest('nb_train',
	$$SELECT (crm.nb_train(ARRAY['stage=' || stage, 'product=' || split_part(name, ' ', 1)], status = 'won')).*
		FROM crm.opportunities WHERE status IN ('won', 'lost', 'terminated')$$);
SELECT pg_temp.digest('nb_score on a distributed table',
	$$SELECT o.id, round(crm.nb_score(m.model, ARRAY['stage=' || o.stage, 'product=' || split_part(o.name, ' ', 1)])::numeric, 9),
			 crm.nb_factors(m.model, ARRAY['stage=' || o.stage, 'product=' || split_part(o.name, ' ', 1)])
		FROM crm.opportunities o,
			 (SELECT crm.nb_train(ARRAY['stage=' || stage, 'product=' || split_part(name, ' ', 1)], status = 'won') AS model
				FROM crm.opportunities WHERE status IN ('won', 'lost', 'terminated')) m
	   WHERE o.status = 'open'$$);
-- (the closing times of deals won by the workflow below, and the stages it
-- enters, are transaction times: left out)
SELECT pg_temp.digest('deal_snapshots', $$SELECT opportunity_id, customer_id, stage, entered_at, won FROM crm.deal_snapshots('project') WHERE entered_at < '2026-01-01'$$);
SELECT pg_temp.digest('forecast_rollup', $$SELECT level, name, category, deals, amount, adjusted_amount, adjusted_by FROM crm.forecast_rollup('project', '2026-01-01', 'quarter')$$);
SELECT pg_temp.digest('default_forecast_category',
	'SELECT id, crm.default_forecast_category(status, win_probability) FROM crm.opportunities');

--------------------------------------------------------------------------
-- The workflow: state machines, history, grades, governance
--------------------------------------------------------------------------
SELECT pg_temp.step('move opportunities to the next stage',
	$$UPDATE crm.opportunities SET stage = 'bid' WHERE status = 'open' AND stage = 'potential' AND id % 7 = 0$$);
SELECT pg_temp.step('win opportunities',
	$$UPDATE crm.opportunities SET status = 'won', closing_summary = 'won in the distributed test' WHERE status = 'open' AND stage = 'negotiation' AND id % 5 = 0$$);
SELECT pg_temp.step('forbidden move',
	$$UPDATE crm.opportunities SET status = 'open' WHERE id = (SELECT min(id) FROM crm.opportunities WHERE status = 'won')$$);
SELECT pg_temp.step('quote without version and customer',
	$$INSERT INTO crm.quotes (opportunity_id, customer_id, amount) SELECT id, customer_id, amount FROM crm.opportunities WHERE status = 'open' AND id % 11 = 0$$);
SELECT pg_temp.step('contracts advance',
	$$UPDATE crm.contracts SET status = 'submitted' WHERE status = 'draft'$$);
SELECT pg_temp.step('contract terms change',
	$$UPDATE crm.contracts SET amount = amount + 100 WHERE status = 'executing' AND id % 3 = 0$$);
-- approvals: the opportunity trigger on a shard uses the approval on its
-- shard (crm.use_approval); a move without one is refused
SELECT pg_temp.step('approval point on negotiation',
	$$UPDATE crm.pipeline_stages SET approval_role = 'crm_manager' WHERE pipeline = 'project' AND stage = 'negotiation'$$);
SELECT pg_temp.step('approvals decided',
	$$INSERT INTO crm.opportunity_approvals (customer_id, opportunity_id, move, decision, decided_by, decided_at)
	  SELECT customer_id, id, 'negotiation', 'approved', 'manager_01', '2025-06-01' FROM crm.opportunities
	   WHERE status = 'open' AND stage = 'bid' AND id % 13 = 0$$);
SELECT pg_temp.step('approved moves',
	$$UPDATE crm.opportunities SET stage = 'negotiation' WHERE status = 'open' AND stage = 'bid' AND id % 13 = 0$$);
SELECT pg_temp.step('unapproved move',
	$$UPDATE crm.opportunities SET stage = 'negotiation' WHERE id = (SELECT min(id) FROM crm.opportunities WHERE status = 'open' AND stage = 'bid')$$);
SELECT pg_temp.step('approval request',
	$$INSERT INTO crm.opportunity_approvals (opportunity_id, customer_id, move)
	  SELECT id, customer_id, 'negotiation' FROM crm.opportunities WHERE status = 'open' AND stage = 'bid' AND id % 17 = 0$$);
SELECT pg_temp.step('no approval point any more',
	$$UPDATE crm.pipeline_stages SET approval_role = NULL WHERE pipeline = 'project' AND stage = 'negotiation'$$);
SELECT pg_temp.digest('opportunity_approvals after the workflow',
	'SELECT customer_id, opportunity_id, move, requested_by, decision, decided_by, used_at IS NOT NULL FROM crm.opportunity_approvals');
SELECT pg_temp.step('quotes submitted', $$UPDATE crm.quotes SET status = 'submitted' WHERE status = 'draft'$$);
SELECT pg_temp.step('quotes approved', $$UPDATE crm.quotes SET status = 'approved' WHERE status = 'submitted' AND amount > 50000$$);
SELECT pg_temp.step('approved quote back to draft', $$UPDATE crm.quotes SET status = 'draft' WHERE id = (SELECT min(id) FROM crm.quotes WHERE status = 'approved')$$);
SELECT pg_temp.step('purge of an open deal', $$DELETE FROM crm.opportunities WHERE id = (SELECT min(id) FROM crm.opportunities WHERE status = 'open')$$);
SELECT pg_temp.step('purge of archived deals', $$DELETE FROM crm.opportunities WHERE status = 'archived' AND id % 3 = 0$$);
SELECT pg_temp.digest('opportunity_history after the workflow',
	'SELECT customer_id, opportunity_id, changed_by, old_stage, new_stage, old_status, new_status, old_amount, new_amount, cost FROM crm.opportunity_history');
SELECT pg_temp.digest('quotes after the workflow', 'SELECT customer_id, opportunity_id, version, amount, status, approved_by FROM crm.quotes');
SELECT pg_temp.digest('contract_history after the workflow',
	'SELECT customer_id, contract_id, changed_by, old_status, new_status, old_percent, new_percent FROM crm.contract_history');
SELECT pg_temp.digest('contract_versions after the workflow',
	'SELECT customer_id, contract_id, version, amount, starts_on, ends_on, terms FROM crm.contract_versions');
SELECT pg_temp.step('adjust_forecast',
	$$SELECT crm.adjust_forecast('project', '2026-01-01', 'quarter', 'all', NULL, 'best_case', 100000, 'distributed test')$$);
SELECT pg_temp.digest('forecast_rollup after adjust_forecast',
	$$SELECT level, name, category, deals, amount, adjusted_amount, adjusted_by FROM crm.forecast_rollup('project', '2026-01-01', 'quarter')$$);
SELECT pg_temp.digest('pipeline_changes after the workflow',
	$$SELECT opportunity_id, customer_id, change, old_stage, new_stage, old_status, new_status, amount_delta
		FROM crm.pipeline_changes('2025-01-01 00:00+00', '2100-01-01 00:00+00')$$);
SELECT pg_temp.step('refresh_grades', $$SELECT crm.refresh_grades('2025-12-31')$$);
SELECT pg_temp.digest('customer_grades', 'SELECT customer_id, as_of, lifecycle_stage, round(value_score::numeric, 9), segment, relationship, pareto_class, revenue, net_value, volume, arrears, customer_type, relationship_group, signed_amount, industry_grade FROM crm.customer_grades');
SELECT pg_temp.digest('customer_type_summary', 'SELECT * FROM crm.customer_type_summary');
SELECT pg_temp.digest('grade_history', 'SELECT customer_id, as_of, old_lifecycle_stage, new_lifecycle_stage, old_segment, new_segment, old_relationship, new_relationship, old_pareto_class, new_pareto_class, old_industry_grade, new_industry_grade, reason FROM crm.grade_history');
SELECT pg_temp.step('tag_customers', $$SELECT crm.tag_customers(ARRAY(SELECT id FROM crm.customers WHERE id % 9 = 0), 'distributed')$$);
SELECT pg_temp.step('transfer_owner', $$SELECT crm.transfer_owner('rep_02', 'rep_03')$$);
SELECT pg_temp.step('merge_customers', $$SELECT crm.merge_customers(10, 11)$$);
SELECT pg_temp.digest('customers after the workflow', 'SELECT id, name, owner, tags, attributes FROM crm.customers');
SELECT pg_temp.digest('orders after the merge', 'SELECT * FROM crm.orders WHERE customer_id IN (10, 11)');
SELECT pg_temp.digest('decision_path', 'SELECT v.id, p.* FROM generate_series(25, 2000, 25) v(id), crm.decision_path(v.id) p');
-- (a quote or approval written by the workflow takes its id from the
-- node's sequence and its times from the transaction: left out)
SELECT pg_temp.digest('audit_log',
	$$SELECT table_name, CASE WHEN table_name NOT IN ('quotes', 'opportunity_approvals') THEN row_key END, customer_id, operation,
			 changed - 'updated_at' - 'closed_at'
					 - CASE WHEN table_name IN ('quotes', 'opportunity_approvals')
							THEN ARRAY['id', 'created_at', 'approved_at', 'requested_at', 'used_at'] ELSE '{}' END,
			 role, context
		FROM crm.audit_log$$);
SELECT pg_temp.digest('audit_report', $$SELECT role, table_name, operation, changes, customers FROM crm.audit_report('-infinity', 'infinity')$$);
SELECT pg_temp.digest('customer_history', 'SELECT table_name, row_key, operation, role, context FROM crm.customer_history(10)');
