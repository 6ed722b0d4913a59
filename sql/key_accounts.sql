-- The key-account file (seed 003): its layout validated, each field dated,
-- the review that confirms it and removes stale data, the report of stale
-- and missing fields with the sales results.  (What key accounts have in
-- common and the future ones: sql/demo_data.sql, on the demo.)

SELECT section, field, kind, required FROM crm.key_account_layout() ORDER BY section, field;

-- A file that does not follow the layout is refused with every fault.
INSERT INTO crm.customers (id, name, owner) OVERRIDING SYSTEM VALUE VALUES (940001, 'Contoso Key Ltd.', 'rep_01');
SELECT try($$UPDATE crm.customers SET attributes = '{"basic": {"founded": 1899.5, "legal_from": "Ltd"},
	"characteristics": {"size": "huge", "employees": -3}, "trading": {"problems": "late payments"}, "business": []}'
	WHERE id = 940001$$) AS bad_file;
SELECT crm.key_account_file_errors('{"basic": {"trading_since": "2025-02-30"}, "other": {"anything": 1}}') AS bad_date_other_keys_free;
SELECT crm.key_account_file_errors('{"age": 40, "basic": {"trading_since": "2024-02-29", "assets": 0}}') AS good;

-- A valid file: every field dated today (the day it was written).
UPDATE crm.customers SET attributes = '{"basic": {"legal_representative": "Mei Chen", "founded": 1998, "legal_form": "limited company"},
	"characteristics": {"size": "large", "growth_potential": "high"}, "business": {"cooperation": "regular", "main_competitor": "Globex"},
	"trading": {"trade_terms": "net 30", "problems": ["late payments"], "strengths": ["pays in full"]}}'
 WHERE id = 940001;
SELECT f.key AS field, f.value = to_jsonb(to_char(current_date, 'YYYY-MM-DD')) AS dated_today
  FROM crm.customers c, jsonb_each(c.attributes -> 'field_dates') f WHERE c.id = 940001 ORDER BY 1;
-- a date written by hand is replaced: the database keeps them
UPDATE crm.customers SET attributes = jsonb_set(attributes, '{field_dates,basic.founded}', '"2001-01-01"') WHERE id = 940001;
SELECT attributes #>> '{field_dates,basic.founded}' = to_char(current_date, 'YYYY-MM-DD') AS still_today FROM crm.customers WHERE id = 940001;

-- A row inserted with its dates (pg_restore, an import) keeps them; a later
-- change dates only the field that changed.
INSERT INTO crm.customers (id, name, owner, confidentiality, attributes) OVERRIDING SYSTEM VALUE VALUES
	(940002, 'Old File GmbH', 'rep_02', 3,
	 '{"basic": {"legal_representative": "Hans Berg", "founded": 1975, "legal_form": "GmbH", "trading_since": "2019-04-01"},
	   "characteristics": {"size": "medium", "growth_potential": "low"}, "business": {"cooperation": "strategic", "main_competitor": "Initech"},
	   "field_dates": {"basic.legal_representative": "2023-01-10", "basic.founded": "2023-01-10", "basic.legal_form": "2023-01-10",
					   "basic.trading_since": "2023-01-10", "characteristics.size": "2024-06-01",
					   "characteristics.growth_potential": "2025-03-01", "business.cooperation": "2025-03-01",
					   "business.main_competitor": "2023-01-10"}}');
UPDATE crm.customers SET attributes = jsonb_set(attributes, '{characteristics,growth_potential}', '"medium"') WHERE id = 940002;
SELECT f.key AS field, CASE WHEN f.value = to_jsonb(to_char(current_date, 'YYYY-MM-DD')) THEN 'today' ELSE f.value #>> '{}' END AS dated
  FROM crm.customers c, jsonb_each(c.attributes -> 'field_dates') f WHERE c.id = 940002 ORDER BY 1;

-- The review as of 2025-12-31, stale after a year: 940002's fields of
-- 2023 and 2024 are stale, its trade terms are missing; sales results from
-- the orders (365 days to as_of: 300; the 365 before: 200; +50 %).
INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES
	(940002, '2024-06-15 12:00+00', 200), (940002, '2025-03-15 12:00+00', 100), (940002, '2025-11-15 12:00+00', 200);
SELECT customer_id, name, pareto_class, trading_since, reviewed_on, stale_fields, missing_fields,
	   revenue_12m, revenue_prior_12m, growth_pct, problems
  FROM crm.key_account_review('2025-12-31') WHERE customer_id IN (940001, 940002) ORDER BY customer_id;

-- The owner reviews 940002's file: the main competitor is stale and goes,
-- every other field is confirmed today, who and when are recorded.
SELECT jsonb_pretty(crm.review_key_account(940002, remove_fields => '{business.main_competitor}') - 'field_dates' - 'reviewed') AS reviewed_file;
SELECT attributes #>> '{reviewed,by}' = current_user AS reviewed_by_me, attributes #>> '{reviewed,on}' = to_char(current_date, 'YYYY-MM-DD') AS reviewed_today,
	   (SELECT bool_and(value = to_jsonb(to_char(current_date, 'YYYY-MM-DD'))) FROM jsonb_each(attributes -> 'field_dates')) AS all_confirmed_today,
	   attributes -> 'field_dates' ? 'business.main_competitor' AS competitor_still_dated
  FROM crm.customers WHERE id = 940002;
SELECT stale_fields, reviewed_on = current_date AS reviewed_today
  FROM crm.key_account_review(current_date) WHERE customer_id = 940002;
-- and customer_360 shows the file
SELECT key_account_file -> 'basic' ->> 'legal_representative' AS legal_representative,
	   key_account_file #>> '{reviewed,by}' = current_user AS reviewed, key_account_file ? 'field_dates' AS dated
  FROM crm.customer_360 WHERE id = 940002;
SELECT key_account_file FROM crm.customer_360 WHERE id = (SELECT min(id) FROM crm.customers WHERE attributes = '{}');

SELECT try($$SELECT crm.review_key_account(940002, remove_fields => '{business.rival}')$$) AS unknown_field;
SELECT try($$SELECT crm.review_key_account(-1)$$) AS no_customer;
SELECT try($$SELECT * FROM crm.key_account_review('infinity')$$) AS infinite_as_of;
SELECT try($$SELECT * FROM crm.key_account_review('2025-12-31', 0)$$) AS zero_stale_days;
SELECT try($$SELECT * FROM crm.key_account_profile('2025-12-31', 0)$$) AS zero_depth;
SELECT try($$SELECT * FROM crm.future_key_accounts('2025-12-31', 1.5)$$) AS probability_above_1;
SELECT try($$SELECT * FROM crm.key_account_profile('1990-01-01')$$) AS no_key_accounts;

DELETE FROM crm.customers WHERE id IN (940001, 940002);
