-- Duplicate detection: name normalization for Latin and Chinese company
-- names, phone keys, Jaro-Winkler similarity, find_duplicates and
-- merge_customers.

-- Case, full width, punctuation and legal forms.
SELECT n AS name, crm.normalize_name(n) AS normalized FROM (VALUES
	('Acme Trading Co., Ltd.'), ('ACME TRADING LTD'), ('ＡＣＭＥ　Ｔｒａｄｉｎｇ　Ｃｏ．，Ｌｔｄ．'),
	('Acme-Trading, Inc.'), ('Müller Maschinenbau GmbH & Co. KG'), ('MÜLLER MASCHINENBAU AG'),
	('上海华信贸易有限公司'), ('上海华信贸易股份有限公司'), ('上海华信贸易集团有限公司'),
	('上海华信贸易有限责任公司'), ('上海华信（贸易）有限公司'), ('Blue River Group'),
	('Co., Ltd.'), ('有限公司'), ('  '), (''), ('Ltd Ltd Ltd'), ('Sakura Holdings 株式会社'), ('有限公司 有限公司')) v(n);
SELECT crm.normalize_name(NULL) IS NULL AS null_name;
-- malformed UTF-8 cannot reach a text value; very long names are cut at 4096 bytes
SELECT length(crm.normalize_name(repeat('a', 10000))) AS long_name;

SELECT p AS phone, crm.normalize_phone(p) AS normalized FROM (VALUES
	('+86-10-1234 5678'), ('0086 10 12345678'), ('(010) 1234-5678'), ('＋８６ １０ １２３４５６７８'),
	('12345'), ('call me'), ('')) v(p);

-- Levenshtein similarity (used by find_duplicates) and Jaro-Winkler, which
-- overrates a long common prefix (Evergreen Machinery / Evergreen Pharma).
SELECT a, b, round(crm.name_similarity(a, b)::numeric, 4) AS similarity,
	   round(crm.name_similarity(a, b, false)::numeric, 4) AS raw,
	   round(crm.jaro_winkler(crm.normalize_name(a), crm.normalize_name(b))::numeric, 4) AS jaro_winkler
  FROM (VALUES ('Acme Trading Co., Ltd.', 'ACME TRADING LIMITED'), ('Acme Trading', 'Acme Tradng'),
			   ('MARTHA', 'MARHTA'), ('DWAYNE', 'DUANE'), ('kitten', 'sitting'), ('Acme', 'Zenith'),
			   ('Evergreen Machinery Group', 'Evergreen Pharma LLC'),
			   ('上海华信贸易有限公司', '上海华信贸易股份有限公司'), ('南京新世纪贸易集团有限公司', '北京新世纪贸易股份有限公司'),
			   ('', ''), ('', 'x')) v(a, b);
SELECT crm.jaro_winkler(NULL, 'x') IS NULL AS strict;

-- find_duplicates: a small set with every kind of duplicate.
INSERT INTO crm.customers (name, kind, region, phone, email) VALUES
	('Dup Harbor Logistics Co., Ltd.', 'company', 'West', '+1 555 0100 001', 'ops@harbor.example'),
	('DUP HARBOR LOGISTICS LIMITED', 'company', 'West', NULL, NULL),		-- same name in region
	('Dup Harbor Logistics GmbH', 'company', 'East', NULL, NULL),			-- other region: no
	('Dup Harbour Logistics Inc.', 'company', 'West', NULL, NULL),			-- typo: similar name
	('Dup Harbor Logistic', 'company', 'West', NULL, NULL),					-- typo at the end
	('Dup Xarbor Logistics', 'company', 'West', NULL, NULL),				-- typo at the start
	('Dup Someone Else', 'company', 'West', '001 555 0100 001', NULL),		-- same phone (00 1 ...)
	('Dup Person A', 'person', 'West', NULL, 'OPS@Harbor.example'),		-- same email
	('Dup 杭州恒通软件有限公司', 'company', 'South', NULL, NULL),
	('Dup 杭州恒通软件股份有限公司', 'company', 'South', NULL, NULL),
	('Dup John Smith', 'person', 'North', NULL, NULL),
	('Dup John Smith', 'person', 'North', NULL, NULL);						-- persons: name alone is no duplicate
CREATE TEMP TABLE dup_ids AS SELECT id, name, row_number() OVER (ORDER BY id) AS n FROM crm.customers WHERE name ILIKE 'dup %';
SELECT a.n AS customer, b.n AS duplicate_of, round(d.score::numeric, 4) AS score, d.reasons
  FROM crm.find_duplicates(0.9) d JOIN dup_ids a ON a.id = d.customer_id JOIN dup_ids b ON b.id = d.duplicate_of
 ORDER BY 2, 1;
SELECT count(*) AS exact_only FROM crm.find_duplicates(1) d JOIN dup_ids a ON a.id = d.customer_id;
SELECT try($$SELECT * FROM crm.find_duplicates(0)$$) AS zero_threshold;
SELECT try($$SELECT * FROM crm.find_duplicates(1.5)$$) AS big_threshold;
SELECT try($$SELECT * FROM crm.find_duplicates(NULL)$$) AS null_threshold;
SELECT try($$SELECT * FROM crm.find_duplicates('NaN')$$) AS nan_threshold;

-- merge_customers moves every dependent row and records the merge.
SELECT id AS keep_id FROM dup_ids WHERE n = 1 \gset
SELECT id AS drop_id FROM dup_ids WHERE n = 2 \gset
UPDATE crm.customers SET tags = '{vip}', industry = 'logistics', address = '1 Quay' WHERE id = :drop_id;
INSERT INTO crm.contacts (customer_id, name) VALUES (:drop_id, 'Dup boss');
INSERT INTO crm.contacts (customer_id, name, reports_to) SELECT :drop_id, 'Dup clerk', max(id) FROM crm.contacts WHERE name = 'Dup boss';
INSERT INTO crm.orders (customer_id, ordered_at, amount) VALUES (:drop_id, '2025-01-01', 10), (:drop_id, '2025-02-01', 20);
INSERT INTO crm.opportunities (customer_id, name, stage, owner) VALUES (:drop_id, 'Dup deal', 'potential', 'rep_x');
INSERT INTO crm.contracts (customer_id, title, amount) VALUES (:drop_id, 'Dup contract', 5);
INSERT INTO crm.campaigns (name, method) VALUES ('Dup campaign', 'email');
INSERT INTO crm.campaign_members (campaign_id, customer_id)
SELECT k.id, c FROM crm.campaigns k, unnest(ARRAY[:keep_id, :drop_id]::bigint[]) c WHERE k.name = 'Dup campaign';
SELECT * FROM crm.merge_customers(:keep_id, :drop_id) ORDER BY table_name;
SELECT name, tags, industry, address, phone, attributes -> 'merged_from' = jsonb_build_array(:drop_id) AS merged_from_drop
  FROM crm.customers WHERE id = :keep_id;
SELECT count(*) AS drop_left FROM crm.customers WHERE id = :drop_id;
SELECT (SELECT count(*) FROM crm.contacts WHERE customer_id = :keep_id) AS contacts,
	   (SELECT count(*) FROM crm.orders WHERE customer_id = :keep_id) AS orders,
	   (SELECT count(*) FROM crm.opportunities WHERE customer_id = :keep_id) AS opportunities,
	   (SELECT count(*) FROM crm.contracts WHERE customer_id = :keep_id) AS contracts,
	   (SELECT count(*) FROM crm.campaign_members WHERE customer_id = :keep_id) AS campaign_memberships;
SELECT table_name, operation, customer_id = :keep_id AS of_keep, row_key = :drop_id AS is_drop,
	   regexp_replace(regexp_replace(context, '\m' || :keep_id || '\M', 'KEEP'), '\m' || :drop_id || '\M', 'DROP') AS context
  FROM crm.audit_log WHERE context LIKE 'merge_customers%' AND customer_id IN (:keep_id, :drop_id) ORDER BY id;
-- (ids shown as KEEP and DROP)
SELECT regexp_replace(try(format('SELECT * FROM crm.merge_customers(%s, %s)', :keep_id, :keep_id)), 'customer ' || :keep_id || '\M', 'customer KEEP') AS into_itself;
SELECT regexp_replace(try(format('SELECT * FROM crm.merge_customers(%s, %s)', :keep_id, :drop_id)), 'customer ' || :drop_id || '\M', 'customer DROP') AS gone;
SELECT try('SELECT * FROM crm.merge_customers(NULL, 1)') AS null_keep;

DELETE FROM crm.customers WHERE name ILIKE 'dup %';
DELETE FROM crm.campaigns WHERE name = 'Dup campaign';
