-- Finite values and input checks (issue 13, findings 5 to 8): NaN and
-- +-Infinity are refused by every amount, rate, score and time column and
-- by the functions that take such values; unknown names, unsorted bounds,
-- out-of-range scores and impossible requests fail with a clear error
-- (public.try from setup.sql shows SQLSTATE, message and hint).

-- Every numeric, float, date and timestamp column of a crm table has its
-- CHECK <table>_<column>_finite: a new column without one shows up here.
SELECT c.relname AS table_name, a.attname AS column_name
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
   AND a.atttypid IN ('numeric'::regtype, 'float8'::regtype, 'float4'::regtype, 'date'::regtype,
					  'timestamptz'::regtype, 'timestamp'::regtype)
   AND NOT EXISTS (SELECT FROM pg_constraint k
					WHERE k.conrelid = c.oid AND k.contype = 'c'
					  AND k.conname = c.relname || '_' || a.attname || '_finite')
 ORDER BY 1, 2;
SELECT count(*) > 50 AS many_finite_checks
  FROM pg_constraint WHERE connamespace = 'crm'::regnamespace AND conname LIKE '%\_finite';

-- The probe's rows: each refused by the constraint that names the problem
BEGIN;
INSERT INTO crm.customers (id, name, owner) VALUES (990001, 'Finite Co.', 'rep_finite');
INSERT INTO crm.opportunities (id, customer_id, name, stage, owner) VALUES (990001, 990001, 'Finite deal', 'potential', 'rep_finite');
INSERT INTO crm.contracts (id, customer_id, title, amount) VALUES (990001, 990001, 'Finite contract', 100);
INSERT INTO crm.campaigns (id, name, method) VALUES (990001, 'Finite campaign', 'email');
SELECT note, try(statement) AS error FROM (VALUES
	('NaN order', $$INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (990001, '2025-01-01', 'NaN')$$),
	('NaN paid', $$INSERT INTO crm.orders (customer_id, ordered_at, amount, amount_paid) VALUES (990001, '2025-01-01', 10, 'NaN')$$),
	('infinite order time', $$INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (990001, 'infinity', 10)$$),
	('-infinite order time', $$INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (990001, '-infinity', 10)$$),
	('infinite due date', $$INSERT INTO crm.orders (customer_id, ordered_at, amount, due_date) VALUES (990001, '2025-01-01', 10, 'infinity')$$),
	('NaN cost to serve', $$INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES (990001, '2025-01-01', 'visit', 'NaN')$$),
	('infinite cost day', $$INSERT INTO crm.service_costs (customer_id, incurred_on, kind, amount) VALUES (990001, 'infinity', 'visit', 1)$$),
	('NaN opportunity', $$UPDATE crm.opportunities SET amount = 'NaN' WHERE id = 990001$$),
	('NaN opportunity cost', $$UPDATE crm.opportunities SET cost = 'NaN' WHERE id = 990001$$),
	('infinite expected close', $$UPDATE crm.opportunities SET expected_close = 'infinity' WHERE id = 990001$$),
	('NaN quote', $$INSERT INTO crm.quotes (customer_id, opportunity_id, version, amount) VALUES (990001, 990001, 1, 'NaN')$$),
	('NaN contract', $$UPDATE crm.contracts SET amount = 'NaN' WHERE id = 990001$$),
	('infinite contract end', $$UPDATE crm.contracts SET starts_on = '2025-01-01', ends_on = 'infinity' WHERE id = 990001$$),
	('NaN budget', $$UPDATE crm.campaigns SET budget = 'NaN' WHERE id = 990001$$),
	('infinite campaign start', $$UPDATE crm.campaigns SET planned_start = '-infinity' WHERE id = 990001$$),
	('NaN quota', $$INSERT INTO crm.quotas (period_start, period_end, owner, target) VALUES ('2025-01-01', '2025-12-31', 'rep_finite', 'NaN')$$),
	('infinite quota period', $$INSERT INTO crm.quotas (period_start, period_end, owner, target) VALUES ('2025-01-01', 'infinity', 'rep_finite', 1)$$),
	('infinite stage duration', $$INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate, mean_days) VALUES ('finite', 'a', 1, 0.5, 'Infinity')$$),
	('NaN visits', $$INSERT INTO crm.pipeline_stages (pipeline, stage, position, conversion_rate, mean_days, visits_per_week) VALUES ('finite', 'a', 1, 0.5, 10, 'NaN')$$)
	) AS t(note, statement);
ROLLBACK;

-- Finding 8: the spend band of a cost needs sorted, finite bounds and a
-- finite cost
SELECT crm.spend_band(5000) AS default_bands, crm.spend_band(NULL) AS no_cost,
	   crm.spend_band(60000, '[0:1]={10000,50000}') AS bounds_numbered_from_0;
SELECT note, try(statement) AS error FROM (VALUES
	('unsorted bounds', $$SELECT crm.spend_band(5000, '{50000,10000}')$$),
	('equal bounds', $$SELECT crm.spend_band(5000, '{10000,10000}')$$),
	('NaN bound', $$SELECT crm.spend_band(5000, '{10000,NaN}')$$),
	('NULL bound', $$SELECT crm.spend_band(5000, '{10000,NULL}')$$),
	('no bounds', $$SELECT crm.spend_band(5000, '{}')$$),
	('NaN cost', $$SELECT crm.spend_band('NaN')$$),
	('infinite cost', $$SELECT crm.spend_band('Infinity')$$),
	('negative cost', $$SELECT crm.spend_band(-1)$$)
	) AS t(note, statement);

-- auc: a NaN score is refused (it used to count as the top score);
-- infinite scores rank as they should
SELECT crm.auc(s, l) AS auc_with_infinities
  FROM (VALUES ('Infinity'::float8, true), (0.5, false), ('-Infinity', false), (0.7, true)) v(s, l);
SELECT try($$SELECT crm.auc(s, l) FROM (VALUES ('NaN'::float8, false), (0.5, true), (0.2, false)) v(s, l)$$) AS nan_score;

-- segment: satisfaction on 0..10, volumes finite and not negative
SELECT crm.segment(10, 0, '{5,8}', '{1,2}') AS top_satisfaction_no_volume;
SELECT note, try(statement) AS error FROM (VALUES
	('satisfaction 11', $$SELECT crm.segment(11, 5, '{5,8}', '{1,2}')$$),
	('satisfaction -1', $$SELECT crm.segment(-1, 5, '{5,8}', '{1,2}')$$),
	('negative volume', $$SELECT crm.segment(5, -5, '{5,8}', '{1,2}')$$),
	('infinite volume', $$SELECT crm.segment(5, 'Infinity', '{5,8}', '{1,2}')$$),
	('infinite cut', $$SELECT crm.segment(5, 5, '{5,Infinity}', '{1,2}')$$)
	) AS t(note, statement);

-- funnel_forecast: a negative amount is refused (it gave negative revenue)
SELECT try($$SELECT crm.funnel_forecast(1, -100::numeric, '{0.5}', '{1}', 3)$$) AS negative_amount;

-- Unknown pipelines are errors, not an empty funnel or a forecast of zeros
SELECT note, try(statement) AS error FROM (VALUES
	('forecast of an unknown pipeline', $$SELECT * FROM crm.pipeline_forecast('Project', 3)$$),
	('funnel of an unknown pipeline', $$SELECT * FROM crm.pipeline_funnel('nope')$$),
	('infinite as_of', $$SELECT * FROM crm.pipeline_forecast('project', 3, 'infinity')$$),
	('horizon 0', $$SELECT * FROM crm.pipeline_forecast('project', 0)$$)
	) AS t(note, statement);
-- the infinite as_of error carries one line of context, not the query
\set VERBOSITY default
SELECT * FROM crm.pipeline_forecast('project', 3, '-infinity');

-- An opportunity open at the final stage (reached, not marked won yet) is
-- counted: month 1 of the forecast with its own probability or 1, and a
-- row of the funnel view for the final stage
BEGIN;
INSERT INTO crm.pipeline_stages (pipeline, stage, position, is_final, conversion_rate, mean_days) VALUES
	('finite', 'talk', 1, false, 0.5, 30.4375), ('finite', 'signed', 2, true, NULL, NULL);
INSERT INTO crm.customers (id, name, owner) VALUES (990002, 'Final Stage Co.', 'rep_finite');
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, owner, amount, created_at) VALUES
	(990002, 990002, 'talking', 'finite', 'talk', 'rep_finite', 1000, now()),
	(990003, 990002, 'signed, not won yet', 'finite', 'signed', 'rep_finite', 400, now());
INSERT INTO crm.opportunities (id, customer_id, name, pipeline, stage, owner, amount, win_probability, created_at) VALUES
	(990004, 990002, 'signed, own probability', 'finite', 'signed', 'rep_finite', 100, 0.5, now());
SELECT * FROM crm.pipeline_forecast('finite', 2);
SELECT stage, open_count, amount, win_probability, weighted_amount, months_to_close
  FROM crm.funnel WHERE pipeline = 'finite' ORDER BY position;
-- without open opportunities at the final stage, no row for it
UPDATE crm.opportunities SET stage = 'talk' WHERE id IN (990003, 990004);
SELECT stage, open_count FROM crm.funnel WHERE pipeline = 'finite' ORDER BY position;
ROLLBACK;

-- check_status_transition: an unknown object or status is named as such
SELECT note, try(statement) AS error FROM (VALUES
	('unknown object', $$SELECT crm.check_status_transition('spaceship', 1, 'open', 'closed')$$),
	('unknown status', $$SELECT crm.check_status_transition('contract', 1, 'flying', 'closed')$$),
	('forbidden move', $$SELECT crm.check_status_transition('contract', 1, 'closed', 'draft')$$),
	('allowed move', $$SELECT crm.check_status_transition('contract', 1, 'draft', 'submitted')$$)
	) AS t(note, statement);

-- transfer_owner to the same rep moves nothing: refused
SELECT try($$SELECT crm.transfer_owner('rep_01', 'rep_01')$$) AS same_owner;

-- Finding 6: create_import_table takes one plain name
SELECT try($$SELECT crm.create_import_table('crm.customers')$$) AS qualified_name;
SELECT try($$SELECT crm.create_import_table('pg_temp."Staging"')$$) AS qualified_quoted_name;
SELECT count(*) AS tables_named_with_a_dot FROM pg_class WHERE relname LIKE '%.%' AND relpersistence = 't';

-- import_customers: NULL or repeated line numbers are refused before
-- anything is imported (they inserted duplicates and dropped rows)
CREATE TEMP TABLE own_staging (line text, name text);
INSERT INTO own_staging VALUES ('1', 'Dup One'), ('01', 'Dup Two'), (NULL, 'No Line'), ('2', 'Fine');
SELECT try($$SELECT * FROM crm.import_customers('own_staging')$$) AS null_and_repeated_lines;
DELETE FROM own_staging WHERE line IS NULL;
SELECT try($$SELECT * FROM crm.import_customers('own_staging')$$) AS repeated_lines;
SELECT count(*) AS imported FROM crm.customers WHERE name IN ('Dup One', 'Dup Two', 'No Line', 'Fine');
DELETE FROM own_staging WHERE line = '01';
SELECT line, customer_id IS NOT NULL AS imported, error FROM crm.import_customers('own_staging') ORDER BY line;
SELECT name FROM crm.customers WHERE name IN ('Dup One', 'Dup Two', 'No Line', 'Fine') ORDER BY name;
DELETE FROM crm.customers WHERE name IN ('Dup One', 'Fine');

-- Finding 7: clv's horizon is bounded (1,000,000 months ran 6 min 40 s)
SELECT try($$SELECT crm.clv((1, 1, 1, 1, 0, 1, 0, true, NULL)::crm.bgnbd, (6, 4, 15, 0, 1, 0, 0, true, NULL)::crm.gammagamma,
							2, 5, 10, 100, 1000000, 0)$$) AS million_months;
SELECT crm.clv((1, 1, 1, 1, 0, 1, 0, true, NULL)::crm.bgnbd, (6, 4, 15, 0, 1, 0, 0, true, NULL)::crm.gammagamma,
			   2, 5, 10, 100, 1200, 0) > 0 AS hundred_years_computes;

-- lift_table takes a table or view name as crm.tree_train does (columns
-- score and label), or a query; NaN scores and bad sources are refused,
-- and an error of the source does not show the query built around it
CREATE TEMP TABLE scored AS
SELECT x / 10.0 AS score, x >= 5 AS label, 'extra' AS note FROM generate_series(0, 9) x;
SELECT grp, rows, positives, min_score, max_score FROM crm.lift_table('scored', 2);
SELECT grp, rows, positives, min_score, max_score FROM crm.lift_table('pg_temp.scored', 2)
EXCEPT SELECT grp, rows, positives, min_score, max_score FROM crm.lift_table('SELECT score, label FROM scored', 2);
SELECT note, try(statement) AS error FROM (VALUES
	('NaN score', $$SELECT * FROM crm.lift_table('SELECT ''NaN''::float8, true')$$),
	('neither name nor query', $$SELECT * FROM crm.lift_table('scored where 1 = 1')$$),
	('no such table', $$SELECT * FROM crm.lift_table('no_such_table')$$),
	('table without score', $$SELECT * FROM crm.lift_table('own_staging')$$),
	('error in the query', $$SELECT * FROM crm.lift_table('SELECT 1 / 0, true')$$)
	) AS t(note, statement);
SELECT * FROM crm.lift_table('SELECT score, label FROM scored WHERE no_such_column');
\set VERBOSITY terse
