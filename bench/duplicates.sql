-- crm.find_duplicates on the demo customers (issue 7: bulk duplicate
-- detection, "fast enough for 1,000,000 customers, no all-pairs loop")
-- against the query a DBA would write without pg_trgm: self-joins of
-- customers on the same lower-case name in the same region (companies), the
-- same phone and the same lower-case e-mail, each pair once.
--
-- 1 % of the companies get a planted duplicate first (another spelling of
-- the legal form, upper case, or one letter dropped), with a phone written
-- another way for half of them; they are removed again at the end.  The
-- demo names repeat by design (160 English and 1,200 Chinese company names
-- per region), so both queries also report the many same-name groups: crm
-- links each member to the first of its group (n - 1 rows), the self-join
-- gives every pair (n (n - 1) / 2 rows).
\echo '== duplicates: planting 1 % duplicate companies'
SET crm.audit = off;
CREATE TEMP TABLE planted AS
SELECT c.id AS original, 20000000 + c.id AS id,
	   CASE c.id % 3
			WHEN 0 THEN upper(c.name)
			WHEN 1 THEN regexp_replace(c.name, ' (Co\., Ltd\.|Inc\.|Ltd\.|GmbH|Group|LLC)$', ' Limited')
			ELSE overlay(c.name PLACING '' FROM 3 FOR 1) END AS name,
	   c.region,
	   CASE WHEN c.id / 100 % 2 = 0 THEN '0086 ' || regexp_replace(substr(c.phone, 5), '-', ' ', 'g') END AS phone
  FROM crm.customers c
 WHERE c.kind = 'company' AND c.id % 100 = 7;
INSERT INTO crm.customers (id, name, kind, region, phone)
SELECT id, name, 'company', region, phone FROM planted;
ANALYZE crm.customers;
SELECT count(*) AS customers, count(*) FILTER (WHERE id > 20000000) AS planted FROM crm.customers;

\echo '== duplicates: what each finds'
CREATE TEMP TABLE found_crm AS SELECT * FROM crm.find_duplicates(0.9);
SELECT unnest(reasons) AS reason, count(*) FROM found_crm GROUP BY 1 ORDER BY 1;
SELECT count(*) AS planted, count(f.customer_id) AS found_by_crm
  FROM planted p LEFT JOIN (SELECT DISTINCT customer_id FROM found_crm) f ON f.customer_id = p.id;
-- the planted duplicates crm misses, by kind of change (one character
-- dropped from a short Chinese name is more than 10 % of it)
SELECT CASE p.original % 3 WHEN 0 THEN 'upper case' WHEN 1 THEN 'legal form' ELSE 'letter dropped' END AS change,
	   (o.name ~ '[^ -~]') AS chinese, count(*) AS missed
  FROM planted p JOIN crm.customers o ON o.id = p.original
 WHERE p.id NOT IN (SELECT customer_id FROM found_crm)
 GROUP BY 1, 2 ORDER BY 1, 2;
CREATE TEMP TABLE found_sql AS
SELECT a.id AS duplicate_of, b.id AS customer_id
  FROM crm.customers a JOIN crm.customers b
	ON a.region = b.region AND lower(a.name) = lower(b.name) AND a.id < b.id
 WHERE a.kind = 'company' AND b.kind = 'company'
UNION
SELECT a.id, b.id FROM crm.customers a JOIN crm.customers b ON a.phone = b.phone AND a.id < b.id
UNION
SELECT a.id, b.id FROM crm.customers a JOIN crm.customers b ON lower(a.email) = lower(b.email) AND a.id < b.id;
SELECT count(*) AS pairs_by_sql FROM found_sql;
SELECT count(*) AS planted, count(f.customer_id) AS found_by_sql
  FROM planted p LEFT JOIN (SELECT DISTINCT customer_id FROM found_sql) f ON f.customer_id = p.id;

\echo '== duplicates: median ms of 3 runs, crm.find_duplicates vs the self-join'
SELECT * FROM bench.compare('find_duplicates',
	$$SELECT * FROM crm.find_duplicates(0.9)$$,
	$$SELECT a.id AS duplicate_of, b.id AS customer_id
		FROM crm.customers a JOIN crm.customers b
		  ON a.region = b.region AND lower(a.name) = lower(b.name) AND a.id < b.id
	   WHERE a.kind = 'company' AND b.kind = 'company'
	  UNION
	  SELECT a.id, b.id FROM crm.customers a JOIN crm.customers b ON a.phone = b.phone AND a.id < b.id
	  UNION
	  SELECT a.id, b.id FROM crm.customers a JOIN crm.customers b ON lower(a.email) = lower(b.email) AND a.id < b.id$$,
	0, 3);

DELETE FROM crm.customers WHERE id > 20000000;
RESET crm.audit;
DROP TABLE planted, found_crm, found_sql;
