/*
 * demo.sql: the deterministic demo data generator (C helpers in demo.c).
 *
 * crm.generate_demo_data(customers, seed) fills every CRM table with four
 * years of history, 2022-01-01 to 2025-12-31; analyses of the demo data use
 * as_of = 2025-12-31.  It works set-based on chunks of customers, reports
 * progress as a NOTICE every few seconds, and gives the same rows for the
 * same seed on every machine.
 */

CREATE FUNCTION @extschema@.demo_uniform(seed bigint, stream integer, key bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_demo_uniform'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.demo_uniform(bigint, integer, bigint) IS
	'Deterministic pseudo-random number in [0, 1) for (seed, stream, key): the same arguments give the same number on every machine (SplitMix64)';

CREATE FUNCTION @extschema@.demo_normal(seed bigint, stream integer, key bigint)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_demo_normal'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.demo_normal(bigint, integer, bigint) IS
	'Deterministic standard normal pseudo-random number for (seed, stream, key)';

CREATE FUNCTION @extschema@.demo_pick(seed bigint, stream integer, key bigint, choices text[])
RETURNS text
AS 'MODULE_PATHNAME', 'crm_demo_pick'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.demo_pick(bigint, integer, bigint, text[]) IS
	'One element of a one-dimensional array, picked uniformly and deterministically for (seed, stream, key): element 1 + floor(n * demo_uniform(seed, stream, key)); NULL for an empty array';

CREATE FUNCTION @extschema@.demo_orders(seed bigint, customer_id bigint,
										first_purchase timestamptz, until timestamptz,
										spend_scale float8 DEFAULT 1, dropout_scale float8 DEFAULT 1)
RETURNS TABLE (n integer, ordered_at timestamptz, amount float8, quantity integer, product text)
AS 'MODULE_PATHNAME', 'crm_demo_orders'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.demo_orders(bigint, bigint, timestamptz, timestamptz, float8, float8) IS
	'Simulated purchase history of one customer (BG/NBD purchases and dropout, Gamma-Gamma order values, days as time unit): order n at ordered_at, amount in currency units rounded to cents; the first order is at first_purchase, none after until';

CREATE FUNCTION @extschema@.generate_demo_data(customers integer, seed integer DEFAULT 42)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- demo rows are not audited when a superuser generates them (audit.sql):
-- the audit triggers would double the generation time
SET crm.audit = 'off'
AS $$
DECLARE
	s			bigint := seed;
	since		constant timestamptz := '2022-01-01 00:00:00+00';
	until		constant timestamptz := '2026-01-01 00:00:00+00';
	as_of		constant date := '2025-12-31';
	chunk		constant integer := 50000;
	ncamp		integer;
	lo			bigint;
	hi			bigint;
	n_orders	bigint := 0;
	rows_done	bigint;
	started		timestamptz := clock_timestamp();
	last_report timestamptz := clock_timestamp();
	regions		constant text[] := '{North,East,South,West,Central}';
	n			bigint;
BEGIN
	IF customers IS NULL OR customers < 1 OR customers > 10000000 THEN
		RAISE EXCEPTION 'customers must be between 1 and 10000000, got %', coalesce(customers::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Ask for e.g. 1000 customers for a quick look or 1000000 for benchmarks (about 10 orders each).';
	END IF;
	IF seed IS NULL THEN
		RAISE EXCEPTION 'seed must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass any integer; the same seed always gives the same data.';
	END IF;
	-- On a distributed crm (crm.distribute() on an empty database): the
	-- reference tables are written in the same transaction as (and after reading) the shards of
	-- the tables that refer to them, which Citus allows over one connection
	-- per node only.  The audit triggers fire on the workers, which the SET
	-- clause above does not reach: a SET LOCAL does (crm.set_local()).
	IF @extschema@.is_distributed() THEN
		PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
		PERFORM @extschema@.set_local('crm.audit', 'off');
	END IF;

	SELECT count(*) INTO n FROM (SELECT 1 FROM @extschema@.customers LIMIT 1) c;
	IF n > 0 THEN
		RAISE EXCEPTION 'crm.customers is not empty: demo data is generated only into empty CRM tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Use a fresh database, or remove the existing data first with TRUNCATE crm.customers, crm.campaigns, crm.quotas, crm.forecast_adjustments CASCADE.';
	END IF;

	-- Campaigns: one per 5,000 customers, at least 10, spread over the
	-- years and half a year ahead.
	ncamp := greatest(10, customers / 5000);
	INSERT INTO @extschema@.campaigns
		(id, name, method, region, budget, actual_cost, planned_start, planned_end,
		 started_on, ended_on, status, approved_by, description, created_at)
	SELECT k, format('%s %s %s', coalesce(region, 'National'), method, to_char(start_day, 'YYYY-MM')),
		   method, region, budget,
		   CASE WHEN status = 'completed' THEN round(budget * (0.7 + 0.5 * @extschema@.demo_uniform(s, 107, k))::numeric, 2) END,
		   start_day, start_day + days,
		   CASE WHEN status IN ('active', 'completed') THEN start_day END,
		   CASE WHEN status = 'completed' THEN start_day + days END,
		   status,
		   CASE WHEN status IN ('approved', 'active', 'completed') THEN 'marketing_director' END,
		   format('%s campaign for %s customers', method, coalesce(region, 'all')),
		   (start_day - 30)::timestamp AT TIME ZONE 'UTC'
	  FROM (SELECT k, method, region, budget, start_day, days,
				   (CASE WHEN start_day + days < as_of
						 THEN CASE WHEN @extschema@.demo_uniform(s, 108, k) < 0.92 THEN 'completed' ELSE 'cancelled' END
						 WHEN start_day <= as_of THEN 'active'
						 ELSE @extschema@.demo_pick(s, 108, k, '{planned,submitted,approved}')
					END)::@extschema@.campaign_status AS status
			  FROM (SELECT k,
						   @extschema@.demo_pick(s, 101, k, '{email,phone,event,seminar,direct mail,online ad,trade show}') AS method,
						   CASE WHEN @extschema@.demo_uniform(s, 102, k) >= 0.2 THEN @extschema@.demo_pick(s, 103, k, regions) END AS region,
						   round((5000 + 195000 * @extschema@.demo_uniform(s, 104, k) ^ 2)::numeric, -2) AS budget,
						   date '2022-01-01' + floor(1640 * @extschema@.demo_uniform(s, 105, k))::integer AS start_day,
						   7 + floor(60 * @extschema@.demo_uniform(s, 106, k))::integer AS days
					  FROM generate_series(1, ncamp) k) c) c;

	-- Each chunk's opportunities and their simulated walk through the pipeline.
	CREATE TEMP TABLE demo_opportunity_walk (
		id bigint, customer_id bigint, owner text, campaign_id bigint, product text, amount numeric,
		created timestamptz, t1 timestamptz, t2 timestamptz, t3 timestamptz,
		p1 boolean, p2 boolean, p3 boolean,
		stage text,				-- stage at as_of
		entered timestamptz,	-- when it entered that stage
		closed timestamptz,		-- when it was won, lost or terminated
		outcome text,			-- won, lost, terminated or NULL while open
		archived timestamptz,	-- when it was archived
		status @extschema@.opportunity_status) ON COMMIT DROP;

	lo := 1;
	WHILE lo <= customers LOOP
		hi := least(lo + chunk - 1, customers);

		-- Customers: 35 % companies (small, medium, large), 65 % persons.
		INSERT INTO @extschema@.customers
			(id, name, kind, industry, region, channel, phone, email, address, owner,
			 confidentiality, satisfaction, credit_status, tags, attributes, created_at, updated_at)
		SELECT i,
			   CASE WHEN company AND chinese THEN
						@extschema@.demo_pick(s, 10, i, '{上海,北京,广州,深圳,杭州,南京,成都,武汉,天津,苏州}')
						|| @extschema@.demo_pick(s, 11, i, '{华信,东方,长城,金桥,宏达,新世纪,恒通,天成,瑞丰,中联,永安,正大}')
						|| @extschema@.demo_pick(s, 12, i, '{贸易,物流,食品,电子,纺织,机械,软件,医药,零售,能源}')
						|| @extschema@.demo_pick(s, 13, i, '{有限公司,股份有限公司,集团有限公司,有限责任公司}')
					WHEN company THEN
						@extschema@.demo_pick(s, 11, i, '{Acme,Apex,Blue River,Golden Gate,Harbor,Northwind,Summit,Silverline,Redwood,Brightstar,Pioneer,Evergreen,Lakeside,Crescent,Ironbridge,Sunrise}')
						|| ' ' || @extschema@.demo_pick(s, 12, i, '{Trading,Logistics,Foods,Electronics,Textiles,Machinery,Software,Pharma,Retail,Energy}')
						|| ' ' || @extschema@.demo_pick(s, 13, i, '{"Co., Ltd.",Inc.,Ltd.,GmbH,Group,LLC}')
					WHEN chinese THEN
						@extschema@.demo_pick(s, 11, i, '{王,李,张,刘,陈,杨,黄,赵,吴,周,徐,孙}')
						|| @extschema@.demo_pick(s, 12, i, '{伟,芳,娜,敏,静,丽,强,磊,军,洋,勇,艳,杰,涛,明,华}')
					ELSE first_name || ' ' || last_name
			   END,
			   CASE WHEN company THEN 'company' ELSE 'person' END::@extschema@.customer_kind,
			   industry, region,
			   CASE WHEN company THEN @extschema@.demo_pick(s, 14, i, '{direct,partner}')
					ELSE @extschema@.demo_pick(s, 14, i, '{online,online,retail}') END,
			   format('+86-%s-%s', 10 + floor(90 * @extschema@.demo_uniform(s, 15, i)), lpad(i::text, 8, '0')),
			   CASE WHEN company THEN format('info%s@example.com', i)
					WHEN chinese THEN format('user%s@example.cn', i)
					ELSE format('%s.%s%s@example.com', lower(first_name), lower(last_name), i) END,
			   format('%s %s Road, %s', 1 + floor(999 * @extschema@.demo_uniform(s, 16, i)),
					  @extschema@.demo_pick(s, 17, i, '{Park,Station,River,Hill,Market,Garden,Lake,Bridge}'), region),
			   CASE WHEN company THEN format('rep_%s', lpad((8 * (array_position(regions, region) - 1)
								+ 1 + floor(8 * @extschema@.demo_uniform(s, 18, i)))::text, 2, '0')) END,
			   CASE size WHEN 'large' THEN 3 WHEN 'medium' THEN 2 WHEN 'small' THEN 1 ELSE 0 END,
			   satisfaction,
			   CASE WHEN late AND @extschema@.demo_uniform(s, 19, i) < 0.1 THEN 'blocked'
					WHEN late AND @extschema@.demo_uniform(s, 19, i) < 0.5 THEN 'hold'
					WHEN late THEN 'watch'
					ELSE 'good' END::@extschema@.credit_status,
			   CASE WHEN company THEN ARRAY['industry:' || industry, 'size:' || size]
					ELSE ARRAY['gender:' || gender, 'age:' || (age / 10 * 10) || '-' || (age / 10 * 10 + 9)] END,
			   CASE WHEN company THEN jsonb_build_object(
						'basic', jsonb_build_object(
							'legal_representative', last_name || ' ' || first_name,
							'founded', 1980 + floor(40 * @extschema@.demo_uniform(s, 20, i)),
							'legal_form', @extschema@.demo_pick(s, 21, i, '{limited company,joint-stock company,partnership,sole proprietorship}'),
							'assets', round((CASE size WHEN 'large' THEN 5e8 WHEN 'medium' THEN 5e7 ELSE 5e6 END
											 * (0.2 + @extschema@.demo_uniform(s, 22, i)))::numeric, -5)),
						'characteristics', jsonb_build_object(
							'size', size,
							'service_area', region,
							'employees', CASE size WHEN 'large' THEN 1000 WHEN 'medium' THEN 100 ELSE 10 END
										 * (1 + floor(9 * @extschema@.demo_uniform(s, 23, i))),
							'growth_potential', @extschema@.demo_pick(s, 24, i, '{low,medium,high}')),
						'business', jsonb_build_object(
							'cooperation', @extschema@.demo_pick(s, 25, i, '{new,occasional,regular,strategic}'),
							'main_competitor', @extschema@.demo_pick(s, 26, i, '{Globex,Initech,Umbrella,Hooli,none}')),
						'trading', jsonb_build_object(
							'trade_terms', 'net 30',
							'credit_incidents', CASE WHEN late THEN 1 + floor(3 * @extschema@.demo_uniform(s, 27, i)) ELSE 0 END),
						-- the file was written when the customer was entered
						'field_dates', (SELECT jsonb_object_agg(f, to_char(created, 'YYYY-MM-DD'))
										  FROM unnest('{basic.legal_representative,basic.founded,basic.legal_form,basic.assets,characteristics.size,characteristics.service_area,characteristics.employees,characteristics.growth_potential,business.cooperation,business.main_competitor,trading.trade_terms,trading.credit_incidents}'::text[]) f))
					ELSE jsonb_build_object(
						'age', age, 'gender', gender, 'occupation', occupation, 'income', income,
						'marital_status', @extschema@.demo_pick(s, 28, i, '{single,married,married,divorced,widowed}'),
						'monthly_bill', monthly_bill,
						-- the decision-tree use case of the seed: who already uses the offer
						'uses_offer', @extschema@.demo_uniform(s, 29, i) <
							least(0.95, 0.03 + CASE WHEN age BETWEEN 20 AND 30 THEN 0.35 ELSE 0 END
										  + CASE WHEN occupation IN ('sales', 'self-employed') THEN 0.3 ELSE 0 END
										  + CASE WHEN monthly_bill BETWEEN 150 AND 200 THEN 0.2 ELSE 0 END
										  + CASE WHEN income BETWEEN 3000 AND 5000 THEN 0.1 ELSE 0 END),
						-- market segmentation (seed 000): why they buy and how
						-- they heard of us; the prospects who never buy (stream
						-- 52, as the orders below) came more often from ads and
						-- look for the lowest price
						'purchase_motive', CASE WHEN @extschema@.demo_uniform(s, 52, i) < 0.08
												THEN @extschema@.demo_pick(s, 122, i, '{price,price,price,quality,brand}')
												ELSE @extschema@.demo_pick(s, 122, i, '{price,quality,quality,service,brand,convenience}') END,
						'information_source', CASE WHEN @extschema@.demo_uniform(s, 52, i) < 0.08
												   THEN @extschema@.demo_pick(s, 123, i, '{online ad,online ad,trade show,referral}')
												   ELSE @extschema@.demo_pick(s, 123, i, '{referral,referral,campaign,retail,online ad,event}') END)
			   END,
			   created, created
		  FROM (SELECT i, company, chinese, industry, region, size, late, first_name, last_name, gender, age, occupation,
					   round((CASE occupation WHEN 'manager' THEN 9000 WHEN 'doctor' THEN 12000 WHEN 'engineer' THEN 8000
											 WHEN 'student' THEN 1500 WHEN 'retired' THEN 3000 ELSE 4500 END
							 * exp(0.4 * @extschema@.demo_normal(s, 30, i)))::numeric, -2) AS income,
					   round((30 + 370 * @extschema@.demo_uniform(s, 31, i) ^ 1.5)::numeric, 0) AS monthly_bill,
					   round(greatest(0, least(10, 7.2 + 1.8 * @extschema@.demo_normal(s, 32, i)))::numeric, 1) AS satisfaction,
					   since + (1461 * @extschema@.demo_uniform(s, 2, i)) * interval '1 day' AS created
				  FROM (SELECT i,
							   @extschema@.demo_uniform(s, 1, i) < 0.35 AS company,
							   @extschema@.demo_uniform(s, 3, i) < 0.4 AS chinese,
							   @extschema@.demo_pick(s, 4, i, '{manufacturing,retail,finance,telecom,healthcare,education,logistics,energy,software,hospitality}') AS industry,
							   @extschema@.demo_pick(s, 5, i, regions) AS region,
							   CASE WHEN @extschema@.demo_uniform(s, 1, i) >= 0.35 THEN NULL
									WHEN @extschema@.demo_uniform(s, 6, i) < 0.05 THEN 'large'
									WHEN @extschema@.demo_uniform(s, 6, i) < 0.25 THEN 'medium'
									ELSE 'small' END AS size,
							   @extschema@.demo_uniform(s, 7, i) < CASE WHEN @extschema@.demo_uniform(s, 1, i) < 0.35 THEN 0.08 ELSE 0.02 END AS late,
							   @extschema@.demo_pick(s, 8, i, '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,David,Elizabeth,William,Barbara,Richard,Susan,Joseph,Jessica,Thomas,Sarah,Carlos,Maria,Ahmed,Fatima,Hans,Anna,Kenji,Yuki,Pierre,Sophie,Ivan,Olga}') AS first_name,
							   @extschema@.demo_pick(s, 9, i, '{Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Wilson,Anderson,Taylor,Moore,Jackson,Martin,Lee,Thompson,White,Harris,Clark,Lewis,Walker,Young,Allen,King,Wright,Scott}') AS last_name,
							   @extschema@.demo_pick(s, 33, i, '{f,m}') AS gender,
							   18 + floor(57 * @extschema@.demo_uniform(s, 34, i))::integer AS age,
							   @extschema@.demo_pick(s, 35, i, '{sales,engineer,teacher,worker,manager,student,retired,doctor,civil servant,self-employed}') AS occupation
						  FROM generate_series(lo, hi) i) g) g;

		-- Contacts at companies: a decision maker and up to three people below.
		INSERT INTO @extschema@.contacts (id, customer_id, name, title, decision_role, phone, email, reports_to)
		SELECT 4 * (c.id - 1) + j, c.id,
			   @extschema@.demo_pick(s, 40 + j, c.id, '{James,Mary,John,Patricia,Robert,Jennifer,Michael,Linda,Wei,Fang,Min,Jing,Lei,Yang}')
			   || ' ' || @extschema@.demo_pick(s, 44 + j, c.id, '{Smith,Johnson,Brown,Garcia,Miller,Wang,Li,Zhang,Liu,Chen}'),
			   (ARRAY['CEO', 'Purchasing Director', 'IT Manager', 'Buyer'])[j],
			   (ARRAY['decision maker', 'influencer', 'evaluator', 'user'])[j],
			   format('+86-%s-%s', 20 + j, lpad(c.id::text, 8, '0')),
			   format('contact%s.%s@example.com', j, c.id),
			   CASE WHEN j > 1 THEN 4 * (c.id - 1) + j - 1 END
		  FROM @extschema@.customers c,
			   generate_series(1, 4) j
		 WHERE c.id BETWEEN lo AND hi
		   AND c.kind = 'company'
		   AND j <= 1 + floor(4 * @extschema@.demo_uniform(s, 40, c.id))
		 ORDER BY c.id, j;

		-- Orders: 8 % of customers are prospects who never bought.  Business
		-- customers buy on 30-day terms; invoices not yet due are open, and
		-- customers with a bad credit status owe their recent invoices.
		INSERT INTO @extschema@.orders (customer_id, ordered_at, amount, quantity, product, amount_paid, due_date)
		SELECT c.id, o.ordered_at, o.amount::numeric(14,2), o.quantity, o.product,
			   CASE WHEN d.due IS NULL THEN o.amount::numeric(14,2)
					WHEN d.due >= as_of THEN 0
					WHEN c.credit_status <> 'good' AND d.due >= as_of - 120
						THEN round((o.amount * floor(2 * @extschema@.demo_uniform(s, 50, c.id * 1000 + o.n)) / 2)::numeric, 2)
					ELSE o.amount::numeric(14,2) END,
			   d.due
		  FROM @extschema@.customers c
		 CROSS JOIN LATERAL @extschema@.demo_orders(
				s, c.id,
				c.created_at + (7 * @extschema@.demo_uniform(s, 51, c.id)) * interval '1 day',
				until,
				CASE c.attributes #>> '{characteristics,size}'
					WHEN 'large' THEN 25 WHEN 'medium' THEN 10 WHEN 'small' THEN 4 ELSE 1 END,
				CASE WHEN c.satisfaction >= 8 THEN 0.6 WHEN c.satisfaction >= 5 THEN 1 ELSE 2.5 END) o
		 CROSS JOIN LATERAL (SELECT CASE WHEN c.kind = 'company'
										 THEN (o.ordered_at AT TIME ZONE 'UTC')::date + 30 END AS due) d
		 WHERE c.id BETWEEN lo AND hi
		   AND @extschema@.demo_uniform(s, 52, c.id) >= 0.08
		 ORDER BY c.id, o.n;
		GET DIAGNOSTICS rows_done = ROW_COUNT;
		n_orders := n_orders + rows_done;

		-- Costs to serve buyers while they buy (until 30 days after their
		-- last order): visits for business customers (more for larger ones),
		-- support and discounts for everyone.
		-- (Gathered first and inserted in a fixed order: on Citus the ids are
		-- then drawn on the coordinator, in the same order as on one node.)
		INSERT INTO @extschema@.service_costs (customer_id, incurred_on, kind, amount, note)
		WITH costs AS MATERIALIZED (
		SELECT c.id AS customer_id, j AS cost_no,
			   (c.created_at AT TIME ZONE 'UTC')::date
				 + floor((least(as_of, (b.last_order AT TIME ZONE 'UTC')::date + 30) - (c.created_at AT TIME ZONE 'UTC')::date)
						 * @extschema@.demo_uniform(s, 61, 64 * c.id + j))::integer AS incurred_on,
			   k.kind::@extschema@.service_cost_kind AS kind,
			   round((CASE WHEN k.kind = 'visit' AND c.attributes #>> '{characteristics,size}' = 'small'
							   THEN 30 + 120 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN k.kind = 'visit' THEN 100 + 500 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN c.kind = 'person' THEN 5 + 45 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   WHEN k.kind = 'support' THEN 20 + 180 * @extschema@.demo_uniform(s, 62, 64 * c.id + j)
						   ELSE 10 + 490 * @extschema@.demo_uniform(s, 62, 64 * c.id + j) END)::numeric, 2) AS amount,
			   CASE k.kind WHEN 'visit' THEN 'on-site visit' WHEN 'support' THEN 'support ticket' ELSE 'price discount' END AS note
		  FROM @extschema@.customers c
		 CROSS JOIN LATERAL (SELECT max(o.ordered_at) AS last_order FROM @extschema@.orders o
							  WHERE o.customer_id = c.id) b
		 CROSS JOIN LATERAL generate_series(1, CASE c.attributes #>> '{characteristics,size}'
												WHEN 'large' THEN 20 WHEN 'medium' THEN 8 WHEN 'small' THEN 3 ELSE 2 END) j
		 CROSS JOIN LATERAL (SELECT (CASE WHEN c.kind = 'company'
										  THEN @extschema@.demo_pick(s, 63, 64 * c.id + j, '{visit,visit,visit,support,discount}')
										  ELSE @extschema@.demo_pick(s, 63, 64 * c.id + j, '{support,support,discount}')
									 END) AS kind) k	-- text: a cast to the enum here is not immutable, which Citus refuses in a subquery without FROM
		 WHERE c.id BETWEEN lo AND hi
		   AND b.last_order IS NOT NULL
		   AND @extschema@.demo_uniform(s, 60, 64 * c.id + j) < 0.5)
		SELECT customer_id, incurred_on, kind, amount, note FROM costs ORDER BY customer_id, cost_no;

		-- Campaign members: up to two invitations per customer, to campaigns
		-- that ran after the customer was known.
		INSERT INTO @extschema@.campaign_members (campaign_id, customer_id, invited_at, attended, responded_at)
		SELECT m.id, c.id, m.invited, m.attended,
			   CASE WHEN @extschema@.demo_uniform(s, 73, 4 * c.id + j) < m.respond_rate
					THEN m.invited + (14 * @extschema@.demo_uniform(s, 74, 4 * c.id + j)) * interval '1 day' END
		  FROM @extschema@.customers c
		 CROSS JOIN generate_series(1, 2) j
		 CROSS JOIN LATERAL (
				SELECT k.id,
					   (k.started_on::timestamp AT TIME ZONE 'UTC')
						 + (greatest(k.ended_on - k.started_on, 1) * @extschema@.demo_uniform(s, 72, 4 * c.id + j)) * interval '1 day' AS invited,
					   @extschema@.demo_uniform(s, 75, 4 * c.id + j) < CASE WHEN k.method IN ('event', 'seminar', 'trade show') THEN 0.4 ELSE 0.25 END AS attended,
					   CASE WHEN k.method IN ('event', 'seminar', 'trade show') THEN 0.2
							WHEN k.method = 'phone' THEN 0.12 ELSE 0.05 END AS respond_rate
				  FROM @extschema@.campaigns k
				 WHERE k.id = 1 + floor(ncamp * @extschema@.demo_uniform(s, 71, 4 * c.id + j))::integer
				   AND k.started_on IS NOT NULL
				   AND k.started_on > (c.created_at AT TIME ZONE 'UTC')::date) m
		 WHERE c.id BETWEEN lo AND hi
		   AND j <= floor(3 * @extschema@.demo_uniform(s, 70, c.id))
		ON CONFLICT DO NOTHING;

		-- Opportunities of business customers, walked through the seed's
		-- pipeline: potential (mean 2 months, 50 % go on) -> bid (1 month,
		-- 80 %) -> negotiation (1 month, 90 % won) -> contract. The product
		-- tells something of the outcome, as in a real pipeline (deals that
		-- extend work the customer knows, services and support, close more
		-- often than new software and hardware): it is drawn from one mix for
		-- the deals whose coins say they go all the way and another for the
		-- rest, so each stage keeps the seed's rate and a scorer has a field
		-- with signal beside the stage (docs/deal_scoring.md).
		TRUNCATE pg_temp.demo_opportunity_walk;
		INSERT INTO pg_temp.demo_opportunity_walk
		SELECT w.*, x.stage, x.entered, x.closed, y.outcome, y.archived,
			   CASE WHEN y.archived IS NOT NULL THEN 'archived'
					WHEN y.outcome IS NOT NULL THEN y.outcome
					WHEN @extschema@.demo_uniform(s, 96, w.id) < 0.06 THEN 'suspended'
					ELSE 'open' END::@extschema@.opportunity_status
		  FROM (SELECT o.id, o.customer_id, o.owner, o.campaign_id,
					   CASE WHEN o.p1 AND o.p2 AND o.p3
							THEN CASE WHEN o.u < 0.12 THEN 'software' WHEN o.u < 0.24 THEN 'hardware'
									  WHEN o.u < 0.50 THEN 'services' WHEN o.u < 0.80 THEN 'support' ELSE 'training' END
							ELSE CASE WHEN o.u < 0.26 THEN 'software' WHEN o.u < 0.52 THEN 'hardware'
									  WHEN o.u < 0.70 THEN 'services' WHEN o.u < 0.82 THEN 'support' ELSE 'training' END
					   END AS product,
					   o.amount, o.created,
					   o.created + o.d1 * interval '1 day' AS t1,
					   o.created + (o.d1 + o.d2) * interval '1 day' AS t2,
					   o.created + (o.d1 + o.d2 + o.d3) * interval '1 day' AS t3,
					   o.p1, o.p2, o.p3
				  FROM (SELECT 3 * (c.id - 1) + j AS id, c.id AS customer_id, c.owner,
							   @extschema@.demo_uniform(s, 80, 3 * (c.id - 1) + j) AS u,
							   @extschema@.demo_uniform(s, 84, 3 * (c.id - 1) + j) < 0.5 AS p1,
							   @extschema@.demo_uniform(s, 85, 3 * (c.id - 1) + j) < 0.8 AS p2,
							   @extschema@.demo_uniform(s, 86, 3 * (c.id - 1) + j) < 0.9 AS p3,
							   round((CASE c.attributes #>> '{characteristics,size}' WHEN 'large' THEN 200000 WHEN 'medium' THEN 40000 ELSE 8000 END
									  * exp(0.8 * @extschema@.demo_normal(s, 82, 3 * (c.id - 1) + j)))::numeric, -2) AS amount,
							   CASE WHEN r.campaign_id IS NOT NULL AND j = 1 THEN r.campaign_id END AS campaign_id,
							   CASE WHEN r.campaign_id IS NOT NULL AND j = 1
									THEN r.responded_at + (30 * @extschema@.demo_uniform(s, 83, 3 * (c.id - 1) + j)) * interval '1 day'
									ELSE c.created_at + ((until - c.created_at) * @extschema@.demo_uniform(s, 83, 3 * (c.id - 1) + j))
							   END AS created,
							   -60.875 * ln(1 - @extschema@.demo_uniform(s, 87, 3 * (c.id - 1) + j)) AS d1,
							   -30.4375 * ln(1 - @extschema@.demo_uniform(s, 88, 3 * (c.id - 1) + j)) AS d2,
							   -30.4375 * ln(1 - @extschema@.demo_uniform(s, 89, 3 * (c.id - 1) + j)) AS d3
						  FROM @extschema@.customers c
						 -- a response to a campaign leads to the first opportunity
						 -- in 60 % of cases, within 30 days
						 LEFT JOIN LATERAL (
								SELECT m.campaign_id, m.responded_at
								  FROM @extschema@.campaign_members m
								 WHERE m.customer_id = c.id AND m.responded_at < until - interval '30 days'
								   AND @extschema@.demo_uniform(s, 90, c.id) < 0.6
								 ORDER BY m.responded_at LIMIT 1) r ON true
						 CROSS JOIN generate_series(1, 3) j
						 WHERE c.id BETWEEN lo AND hi
						   AND c.kind = 'company'
						   AND j <= greatest(floor(4 * @extschema@.demo_uniform(s, 81, c.id) ^ 2),
											 CASE WHEN r.campaign_id IS NOT NULL THEN 1 ELSE 0 END)) o) w
		 CROSS JOIN LATERAL (
				SELECT CASE WHEN w.t1 > until OR NOT w.p1 THEN 'potential'
							WHEN w.t2 > until OR NOT w.p2 THEN 'bid'
							WHEN w.t3 > until OR NOT w.p3 THEN 'negotiation'
							ELSE 'contract' END AS stage,
					   CASE WHEN w.t1 > until OR NOT w.p1 THEN w.created
							WHEN w.t2 > until OR NOT w.p2 THEN w.t1
							WHEN w.t3 > until OR NOT w.p3 THEN w.t2
							ELSE w.t3 END AS entered,
					   CASE WHEN w.t1 > until THEN NULL WHEN NOT w.p1 THEN w.t1
							WHEN w.t2 > until THEN NULL WHEN NOT w.p2 THEN w.t2
							WHEN w.t3 > until THEN NULL ELSE w.t3 END AS closed) x
		 CROSS JOIN LATERAL (
				SELECT z.outcome,
					   CASE WHEN x.closed < until - interval '545 days' AND @extschema@.demo_uniform(s, 97, w.id) < 0.7
							THEN x.closed + interval '180 days' END AS archived
				  FROM (SELECT CASE WHEN x.closed IS NULL THEN NULL
									WHEN x.stage = 'contract' THEN 'won'
									WHEN @extschema@.demo_uniform(s, 98, w.id) < 0.75 THEN 'lost'
									ELSE 'terminated' END AS outcome) z) y;

		INSERT INTO @extschema@.opportunities
			(id, customer_id, campaign_id, name, pipeline, stage, status, amount, expected_close,
			 win_probability, owner, cost, competitor, closing_summary, created_at, updated_at, closed_at)
		SELECT w.id, w.customer_id, w.campaign_id, format('%s project %s', initcap(w.product), w.id),
			   'project', w.stage, w.status, w.amount,
			   coalesce(w.closed, w.created + interval '121.75 days')::date,
			   CASE WHEN w.status = 'open' AND @extschema@.demo_uniform(s, 92, w.id) < 0.15
					THEN round(@extschema@.demo_uniform(s, 93, w.id)::numeric, 2) END,
			   w.owner,
			   round((extract(epoch FROM coalesce(w.closed, until) - w.created) / 86400 / 7 * 2 * 60)::numeric, 2),
			   CASE WHEN w.outcome = 'lost' AND @extschema@.demo_uniform(s, 94, w.id) < 0.6
					THEN @extschema@.demo_pick(s, 95, w.id, '{Globex,Initech,Umbrella,Hooli}') END,
			   CASE w.outcome WHEN 'won' THEN 'Won: signed after negotiation'
							  WHEN 'lost' THEN format('Lost at the %s stage', w.stage)
							  WHEN 'terminated' THEN format('Terminated at the %s stage: the customer dropped the project', w.stage) END,
			   w.created, coalesce(w.archived, w.closed, w.entered),
			   CASE WHEN w.outcome IS NOT NULL THEN w.closed END
		  FROM pg_temp.demo_opportunity_walk w
		 ORDER BY w.id;

		-- Their history: each stage move (with the cost of the stage left:
		-- two visits a week at 60 each), the closing, suspension, archiving.
		-- The expected close date: 121.75 days after creation (the closing
		-- date once closed, set with the closing); on entering bid, 40 % of
		-- the deals move it there from a first guess up to 21 days later
		-- (pulled in) or 39 days earlier (pushed out).
		INSERT INTO @extschema@.opportunity_history
			(customer_id, opportunity_id, changed_at, changed_by, old_stage, new_stage, old_status, new_status,
			 old_amount, new_amount, old_owner, new_owner, cost, old_expected_close, new_expected_close)
		SELECT w.customer_id, w.id, h.at, w.owner, h.old_stage, h.new_stage, h.old_status::@extschema@.opportunity_status,
			   h.new_status::@extschema@.opportunity_status, w.amount, w.amount, w.owner, w.owner,
			   round((extract(epoch FROM h.at - h.since) / 86400 / 7 * 2 * 60)::numeric, 2),
			   h.old_close, h.new_close
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (SELECT (w.created + interval '121.75 days')::date AS planned,
									coalesce(w.closed, w.created + interval '121.75 days')::date AS final) d
		 CROSS JOIN LATERAL (VALUES
				(1, w.t1, w.created, 'potential', 'bid', 'open', 'open', w.p1 AND w.t1 <= until,
				 CASE WHEN @extschema@.demo_uniform(s, 120, w.id) < 0.4
					  THEN d.planned - round((@extschema@.demo_uniform(s, 121, w.id) - 0.35) * 60)::integer
					  ELSE d.planned END, d.planned),
				(2, w.t2, w.t1, 'bid', 'negotiation', 'open', 'open', w.p1 AND w.p2 AND w.t2 <= until, d.planned, d.planned),
				(3, w.t3, w.t2, 'negotiation', 'contract', 'open', 'won', w.outcome = 'won', d.planned, d.final),
				(4, w.closed, w.entered, w.stage, w.stage, 'open', w.outcome, w.outcome IN ('lost', 'terminated'), d.planned, d.final),
				(5, w.entered + (until - w.entered) * @extschema@.demo_uniform(s, 99, w.id), w.entered,
				 w.stage, w.stage, 'open', 'suspended', w.status = 'suspended', d.planned, d.planned),
				(6, w.archived, w.archived, w.stage, w.stage, w.outcome, 'archived', w.status = 'archived', d.final, d.final))
				AS h(step, at, since, old_stage, new_stage, old_status, new_status, happened, old_close, new_close)
		 WHERE h.happened
		 ORDER BY w.id, h.step;

		-- Quotes: one on entering bid, a revised one on entering negotiation.
		INSERT INTO @extschema@.quotes (customer_id, opportunity_id, version, amount, discount_pct, valid_until, status, approved_by, approved_at, created_at)
		SELECT w.customer_id, w.id, q.version, round(w.amount * q.factor, 2), q.discount, (q.at AT TIME ZONE 'UTC')::date + 30,
			   q.status::@extschema@.quote_status,
			   CASE WHEN q.status = 'approved' THEN 'sales_manager' END,
			   CASE WHEN q.status = 'approved' THEN q.at + interval '2 days' END,
			   q.at
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(1, w.t1, 1.05, 0, CASE WHEN w.p2 AND w.t2 <= until THEN 'rejected' ELSE 'approved' END, w.p1 AND w.t1 <= until),
				(2, w.t2, 1.00, 5, 'approved', w.p1 AND w.p2 AND w.t2 <= until))
				AS q(version, at, factor, discount, status, happened)
		 WHERE q.happened
		 ORDER BY w.id, q.version;

		-- Split credit on a tenth of the won deals: 60 % owner, 40 % a colleague.
		INSERT INTO @extschema@.opportunity_owners (customer_id, opportunity_id, owner, share)
		SELECT w.customer_id, w.id, x.owner, x.share
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (VALUES
				(w.owner, 60.00),
				(format('rep_%s', lpad((substr(w.owner, 5)::integer % 40 + 1)::text, 2, '0')), 40.00)) AS x(owner, share)
		 WHERE w.stage = 'contract' AND @extschema@.demo_uniform(s, 100, w.id) < 0.1;

		-- Contracts for won deals, in every state of their lifecycle by age.
		INSERT INTO @extschema@.contracts
			(id, customer_id, opportunity_id, campaign_id, title, amount, signed_on, starts_on, ends_on, terms,
			 percent_complete, status, version, created_at, updated_at)
		SELECT w.id, w.customer_id, w.id, w.campaign_id, format('%s contract %s', initcap(w.product), w.id),
			   round(w.amount * (0.9 + 0.1 * @extschema@.demo_uniform(s, 110, w.id))::numeric, 2),
			   CASE WHEN x.status NOT IN ('draft', 'submitted') THEN x.won END,
			   x.starts, x.ends,
			   CASE WHEN x.amended THEN 'Standard terms, amended' ELSE 'Standard terms' END,
			   CASE WHEN x.status IN ('completed', 'closed') THEN 100
					WHEN x.status IN ('executing', 'interrupted')
						THEN least(99, greatest(0, round(100.0 * (as_of - x.starts) / (x.ends - x.starts))))
					ELSE 0 END,
			   x.status, CASE WHEN x.amended THEN 2 ELSE 1 END, w.t3, w.t3
		  FROM pg_temp.demo_opportunity_walk w
		 CROSS JOIN LATERAL (
				SELECT y.*,
					   (CASE WHEN as_of - y.won < 10 THEN 'draft'
							 WHEN as_of - y.won < 20 THEN 'submitted'
							 WHEN as_of < y.starts THEN 'approved'
							 WHEN as_of <= y.ends AND @extschema@.demo_uniform(s, 111, w.id) < 0.08 THEN 'interrupted'
							 WHEN as_of <= y.ends THEN 'executing'
							 WHEN as_of <= y.ends + 90 THEN 'completed'
							 ELSE 'closed' END)::@extschema@.contract_status AS status,
					   as_of > y.starts + 30 AND @extschema@.demo_uniform(s, 112, w.id) < 0.1 AS amended
				  FROM (SELECT (w.t3 AT TIME ZONE 'UTC')::date AS won,
							   (w.t3 AT TIME ZONE 'UTC')::date + 30 AS starts,
							   (w.t3 AT TIME ZONE 'UTC')::date + 30
								 + (ARRAY[180, 365, 730])[1 + floor(3 * @extschema@.demo_uniform(s, 113, w.id))::integer] AS ends) y) x
		 WHERE w.stage = 'contract'
		 ORDER BY w.id;

		INSERT INTO @extschema@.contract_versions
			(customer_id, contract_id, version, amount, starts_on, ends_on, terms, valid_from, replaced_at, replaced_by)
		SELECT k.customer_id, k.id, 1, round(k.amount / 1.05, 2), k.starts_on, k.ends_on, 'Standard terms',
			   k.created_at, (k.starts_on + 30)::timestamp AT TIME ZONE 'UTC', 'sales_manager'
		  FROM @extschema@.contracts k
		 WHERE k.id BETWEEN 3 * (lo - 1) + 1 AND 3 * hi
		   AND k.version = 2;

		INSERT INTO @extschema@.contract_history
			(customer_id, contract_id, changed_at, changed_by, old_status, new_status, old_percent, new_percent)
		SELECT k.customer_id, k.id, (h.at::timestamp AT TIME ZONE 'UTC'), 'sales_manager',
			   h.old_status::@extschema@.contract_status, h.new_status::@extschema@.contract_status,
			   h.old_percent, h.new_percent
		  FROM @extschema@.contracts k
		 CROSS JOIN LATERAL (VALUES
				(1, (k.created_at AT TIME ZONE 'UTC')::date + 10, 'draft', 'submitted', 0, 0, k.status >= 'submitted'),
				(2, (k.created_at AT TIME ZONE 'UTC')::date + 20, 'submitted', 'approved', 0, 0, k.status >= 'approved'),
				(3, k.starts_on, 'approved', 'executing', 0, 0, k.status >= 'executing'),
				(4, as_of - 3, 'executing', 'interrupted', k.percent_complete, k.percent_complete, k.status = 'interrupted'),
				(5, k.ends_on, 'executing', 'completed', 0, 100, k.status >= 'completed'),
				(6, k.ends_on + 90, 'completed', 'closed', 100, 100, k.status = 'closed'))
				AS h(step, at, old_status, new_status, old_percent, new_percent, happened)
		 WHERE k.id BETWEEN 3 * (lo - 1) + 1 AND 3 * hi
		   AND h.happened
		 ORDER BY k.id, h.step;

		IF clock_timestamp() - last_report >= interval '5 seconds' THEN
			RAISE NOTICE 'generate_demo_data: % of % customers done, % orders, % s',
				hi, customers, n_orders, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
			last_report := clock_timestamp();
		END IF;
		lo := hi + 1;
	END LOOP;

	-- Quotas: each year's target by region and by rep is the previous
	-- year's sales plus 10 %.
	-- (Sums per year, region and owner first: Citus runs no GROUPING SETS
	-- over distributed tables; numeric sums are exact either way.)
	INSERT INTO @extschema@.quotas (period_start, period_end, region, owner, target, note)
	WITH t AS MATERIALIZED (
		SELECT extract(year FROM o.ordered_at AT TIME ZONE 'UTC')::integer AS y, c.region, c.owner, sum(o.amount) AS amount
		  FROM @extschema@.orders o JOIN @extschema@.customers c ON c.id = o.customer_id
		 GROUP BY 1, 2, 3)
	SELECT make_date(y + 1, 1, 1), make_date(y + 1, 12, 31), region, owner,
		   round(sum(amount) * 1.10, -2), 'previous year''s sales + 10 %'
	  FROM t
	 GROUP BY GROUPING SETS ((y, region), (y, owner))
	HAVING (GROUPING(owner) = 0) = (owner IS NOT NULL)
	 ORDER BY 1, 3 NULLS FIRST, 4 NULLS FIRST;	-- ids in the same order wherever the orders are

	-- Self-assessments (seed 002), one at the end of each year, the
	-- company improving as it takes the tools up: 48 (red alert), 67 and 78
	-- (improve), 97 (good); kept when some were taken already.
	IF NOT EXISTS (SELECT FROM @extschema@.assessments) THEN
		INSERT INTO @extschema@.assessments (assessed_at, assessed_by, scores, note) VALUES
			('2022-12-15 10:00+00', 'demo', '{6,4,3,3,2,4,4,4,4,5,4,5}', 'before crm'),
			('2023-12-15 10:00+00', 'demo', '{7,6,6,5,5,4,4,6,6,7,5,6}', 'campaigns and grades in crm'),
			('2024-12-15 10:00+00', 'demo', '{8,7,7,6,6,10,6,6,4,8,4,6}', 'monthly quotas'),
			('2025-12-15 10:00+00', 'demo', '{8,8,8,7,8,10,10,10,6,9,5,8}', 'forecasts at any time');
	END IF;

	-- A manager's adjustment of the forecast roll-up of the first quarter
	-- of 2026 (crm.forecast_rollup): the commit of all reps, 10 % held
	-- back; from_amount as the roll-up computes it (the open deals expected
	-- to close in the quarter whose default category is commit).
	INSERT INTO @extschema@.forecast_adjustments
		(pipeline, period, period_start, level, name, category, from_amount, amount, note, adjusted_by, adjusted_at)
	SELECT 'project', 'quarter', '2026-01-01', 'all', NULL, 'commit', x.total, round(x.total * 0.9, -2),
		   '10 % held back: deals slip in January', 'demo_manager', '2026-01-02 09:00+00'
	  FROM (SELECT coalesce(sum(o.amount), 0) AS total
			  FROM @extschema@.opportunities o, @extschema@.pipeline_funnel('project') f
			 WHERE o.pipeline = 'project' AND o.status = 'open' AND o.forecast_category IS NULL
			   AND o.expected_close >= '2026-01-01' AND o.expected_close < '2026-04-01'
			   AND @extschema@.default_forecast_category(o.status, coalesce(o.win_probability,
					   CASE WHEN array_position(f.stages, o.stage) IS NULL THEN 1
							ELSE @extschema@.win_probability(array_position(f.stages, o.stage), f.conversion) END)) = 'commit') x;

	-- Identity sequences continue after the generated keys.
	PERFORM setval(pg_get_serial_sequence(t, 'id'), m, m IS NOT NULL)
	  FROM (VALUES ('@extschema@.customers', (SELECT max(id) FROM @extschema@.customers)),
				   ('@extschema@.contacts', (SELECT max(id) FROM @extschema@.contacts)),
				   ('@extschema@.campaigns', (SELECT max(id) FROM @extschema@.campaigns)),
				   ('@extschema@.opportunities', (SELECT max(id) FROM @extschema@.opportunities)),
				   ('@extschema@.contracts', (SELECT max(id) FROM @extschema@.contracts))) AS v(t, m);

	-- (On Citus, the workers' autovacuum analyzes the shards: an ANALYZE of
	-- the distributed tables here would need connections that the local
	-- writes above already hold.)
	IF NOT @extschema@.is_distributed() THEN
		ANALYZE @extschema@.customers, @extschema@.contacts, @extschema@.orders, @extschema@.service_costs,
				@extschema@.campaigns, @extschema@.campaign_members, @extschema@.opportunities,
				@extschema@.opportunity_owners, @extschema@.opportunity_history, @extschema@.quotes,
				@extschema@.contracts, @extschema@.contract_versions, @extschema@.contract_history,
				@extschema@.quotas, @extschema@.assessments, @extschema@.forecast_adjustments;
	END IF;

	IF clock_timestamp() - started >= interval '5 seconds' THEN
		RAISE NOTICE 'generate_demo_data: done, % customers, % orders, % s',
			customers, n_orders, round(extract(epoch FROM clock_timestamp() - started)::numeric, 1);
	END IF;

	RETURN QUERY
	SELECT v.t, v.n FROM (VALUES
		('customers', (SELECT count(*) FROM @extschema@.customers)),
		('contacts', (SELECT count(*) FROM @extschema@.contacts)),
		('orders', n_orders),
		('service_costs', (SELECT count(*) FROM @extschema@.service_costs)),
		('campaigns', (SELECT count(*) FROM @extschema@.campaigns)),
		('campaign_members', (SELECT count(*) FROM @extschema@.campaign_members)),
		('opportunities', (SELECT count(*) FROM @extschema@.opportunities)),
		('opportunity_owners', (SELECT count(*) FROM @extschema@.opportunity_owners)),
		('opportunity_history', (SELECT count(*) FROM @extschema@.opportunity_history)),
		('quotes', (SELECT count(*) FROM @extschema@.quotes)),
		('contracts', (SELECT count(*) FROM @extschema@.contracts)),
		('contract_versions', (SELECT count(*) FROM @extschema@.contract_versions)),
		('contract_history', (SELECT count(*) FROM @extschema@.contract_history)),
		('quotas', (SELECT count(*) FROM @extschema@.quotas)),
		('assessments', (SELECT count(*) FROM @extschema@.assessments)),
		('forecast_adjustments', (SELECT count(*) FROM @extschema@.forecast_adjustments))) AS v(t, n);
END;
$$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(integer, integer) IS
	'Fills the empty CRM tables with deterministic demo data for the given number of customers (about 10 orders each, 2022-01-01 to 2025-12-31; analyse as of 2025-12-31); returns the rows per table. Reports progress every 5 s';
