/*
 * key_accounts.sql: the key-account file (seed 003: "dynamic: kept
 * current, stale data removed; focused: current and future key accounts"),
 * validated, dated field by field, reviewed; what the key accounts have in
 * common and who may become one.
 *
 * The file lives in crm.customers.attributes, in four sections (basic,
 * characteristics, business, trading) whose fields crm.key_account_layout()
 * lists with their kinds.  A trigger refuses a file that does not follow
 * the layout and keeps attributes.field_dates: the day each field last
 * changed (or was confirmed by a review), from which crm.key_account_review
 * reports stale and missing fields.  Sales results are not stored in the
 * file: they are computed from the orders.
 *
 *   UPDATE crm.customers SET attributes = attributes || '{"trading": {"problems": ["late payments"]}}' WHERE id = 7;
 *   SELECT * FROM crm.key_account_review('2025-12-31');
 *   SELECT crm.review_key_account(7, remove_fields => '{business.main_competitor}');
 *   SELECT * FROM crm.key_account_profile('2025-12-31');
 *   SELECT * FROM crm.future_key_accounts('2025-12-31');
 */

CREATE FUNCTION @extschema@.key_account_layout()
RETURNS TABLE (section text, field text, kind text, required boolean, description text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	VALUES
		('basic', 'legal_representative', 'text', true, 'Legal representative'),
		('basic', 'founded', 'year', true, 'Year the company was founded'),
		('basic', 'trading_since', 'date', false, 'Day the company started trading with us (default: its first order)'),
		('basic', 'legal_form', 'text', true, 'Legal form: limited company, joint-stock company, ...'),
		('basic', 'assets', 'amount', false, 'Total assets, >= 0'),
		('characteristics', 'size', 'small|medium|large', true, 'Size'),
		('characteristics', 'service_area', 'text', false, 'Area it serves'),
		('characteristics', 'employees', 'count', false, 'Employees, >= 0'),
		('characteristics', 'sales_capacity', 'amount', false, 'Sales capacity per year, >= 0'),
		('characteristics', 'growth_potential', 'low|medium|high', true, 'Growth potential'),
		('business', 'cooperation', 'new|occasional|regular|strategic', true, 'Cooperation with us'),
		('business', 'main_competitor', 'text', false, 'The competitor it also buys from'),
		('business', 'competitor_relations', 'text', false, 'Its relations with competitors'),
		('trading', 'trade_terms', 'text', true, 'Trade terms, e.g. net 30'),
		('trading', 'credit_incidents', 'count', false, 'Credit incidents so far, >= 0'),
		('trading', 'problems', 'text list', false, 'Problems in the trade, a JSON array of texts'),
		('trading', 'strengths', 'text list', false, 'Strengths of the relationship, a JSON array of texts');
END;
COMMENT ON FUNCTION @extschema@.key_account_layout() IS
	'The layout of the key-account file in crm.customers.attributes: its sections (basic, characteristics, business, trading), their fields, the kind of each (text, year 1800..2100, date YYYY-MM-DD, amount >= 0, count: an integer >= 0, text list: an array of texts, or one of the values listed), whether a key account''s file needs it, and what it holds';

CREATE FUNCTION @extschema@.is_date(value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN value OPERATOR(pg_catalog.~) '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
			THEN pg_catalog.substr(value, 9, 2)::integer OPERATOR(pg_catalog.<=)
				 pg_catalog.date_part('day', pg_catalog.make_date(pg_catalog.substr(value, 1, 4)::integer, pg_catalog.substr(value, 6, 2)::integer, 1)
											 OPERATOR(pg_catalog.+) interval '1 month -1 day')
			ELSE false END;
COMMENT ON FUNCTION @extschema@.is_date(text) IS
	'True when value is a date written YYYY-MM-DD (the key-account file''s dates); NULL for NULL';

-- What is wrong with the file in attributes, one message per fault; empty
-- when it follows the layout (or there is no file).
CREATE FUNCTION @extschema@.key_account_file_errors(attributes jsonb)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (PL/pgSQL, not SQL: its plan is kept from one call to the next)
	RETURN (SELECT coalesce(array_agg(e.message ORDER BY e.message), '{}')
	  FROM (
		-- a section that is not an object
		SELECT format('%s must be a JSON object, got %s', s.section, jsonb_typeof(attributes -> s.section)) AS message
		  FROM (SELECT DISTINCT l.section FROM @extschema@.key_account_layout() l) s
		 WHERE jsonb_typeof(attributes -> s.section) NOT IN ('object', 'null')
		UNION ALL
		-- a field the layout does not have
		SELECT format('%s.%s is not a field of the key-account file', f.section, f.field)
		  FROM (SELECT DISTINCT l.section FROM @extschema@.key_account_layout() l) s,
			   LATERAL (SELECT s.section, k AS field FROM jsonb_object_keys(
							CASE WHEN jsonb_typeof(attributes -> s.section) = 'object' THEN attributes -> s.section ELSE '{}' END) k) f
		 WHERE NOT EXISTS (SELECT FROM @extschema@.key_account_layout() l WHERE l.section = f.section AND l.field = f.field)
		UNION ALL
		-- a value of the wrong kind
		SELECT format('%s.%s must be %s, got %s', l.section, l.field,
					  CASE l.kind WHEN 'year' THEN 'a year between 1800 and 2100' WHEN 'date' THEN 'a date YYYY-MM-DD'
								  WHEN 'amount' THEN 'a number >= 0' WHEN 'count' THEN 'an integer >= 0'
								  WHEN 'text list' THEN 'an array of texts' WHEN 'text' THEN 'a text'
								  ELSE 'one of ' || replace(l.kind, '|', ', ') END,
					  v)
		  FROM @extschema@.key_account_layout() l,
			   LATERAL (SELECT attributes -> l.section -> l.field AS v) x
		 WHERE jsonb_typeof(attributes -> l.section) = 'object' AND v IS NOT NULL AND v <> 'null'
		   AND NOT CASE l.kind
				WHEN 'text' THEN jsonb_typeof(v) = 'string'
				WHEN 'year' THEN jsonb_typeof(v) = 'number' AND (v::text)::numeric BETWEEN 1800 AND 2100
								 AND (v::text)::numeric % 1 = 0
				WHEN 'date' THEN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^\d{4}-\d{2}-\d{2}$'
								 AND @extschema@.is_date(v #>> '{}')
				WHEN 'amount' THEN jsonb_typeof(v) = 'number' AND (v::text)::numeric >= 0
				WHEN 'count' THEN jsonb_typeof(v) = 'number' AND (v::text)::numeric >= 0 AND (v::text)::numeric % 1 = 0
				WHEN 'text list' THEN jsonb_typeof(v) = 'array'
									  AND NOT EXISTS (SELECT FROM jsonb_array_elements(v) a WHERE jsonb_typeof(a) <> 'string')
				ELSE jsonb_typeof(v) = 'string' AND (v #>> '{}') = ANY (string_to_array(l.kind, '|'))
			END) e);
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_file_errors(jsonb) IS
	'The faults of the key-account file in a customer''s attributes against crm.key_account_layout(): a section that is not an object, a field the layout lacks, a value of the wrong kind; one message each, sorted; empty when the file is right or absent';


-- The fields of a file, as "section.field" with their values.
CREATE FUNCTION @extschema@.key_account_fields(attributes jsonb)
RETURNS TABLE (field text, value jsonb)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT l.section || '.' || l.field, attributes -> l.section -> l.field
	  FROM @extschema@.key_account_layout() l
	 WHERE jsonb_typeof(attributes -> l.section -> l.field) NOT IN ('null');
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_fields(jsonb) IS
	'The fields present in the key-account file of attributes, as section.field and value';

-- Trigger: a file that does not follow the layout is refused; each field
-- is dated with the day it last changed or the file was last reviewed
-- (attributes.field_dates, kept by the database: a date written there by
-- hand is replaced, but for a row inserted with its dates, as pg_restore
-- does).
CREATE FUNCTION @extschema@.customers_key_account()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	faults text[];
	dates jsonb;
BEGIN
	-- a superuser's bulk load (crm.audit = off, pg_restore: crm.audit_skip)
	-- is taken as it is, like the audit; so is a change that leaves the file
	IF @extschema@.audit_skip()
	   OR (TG_OP = 'UPDATE'
		   AND (NEW.attributes -> 'basic', NEW.attributes -> 'characteristics', NEW.attributes -> 'business',
				NEW.attributes -> 'trading', NEW.attributes -> 'reviewed', NEW.attributes -> 'field_dates')
			   IS NOT DISTINCT FROM
			   (OLD.attributes -> 'basic', OLD.attributes -> 'characteristics', OLD.attributes -> 'business',
				OLD.attributes -> 'trading', OLD.attributes -> 'reviewed', OLD.attributes -> 'field_dates')) THEN
		RETURN NEW;
	END IF;
	faults := @extschema@.key_account_file_errors(NEW.attributes);
	IF cardinality(faults) > 0 THEN
		RAISE EXCEPTION 'the key-account file of customer % is not valid: %', coalesce(NEW.name, NEW.id::text), array_to_string(faults, '; ')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'SELECT * FROM crm.key_account_layout() lists the sections, fields and kinds.';
	END IF;
	SELECT jsonb_object_agg(f.field,
			CASE WHEN TG_OP = 'INSERT' AND @extschema@.is_date(NEW.attributes -> 'field_dates' ->> f.field)
					  THEN NEW.attributes -> 'field_dates' -> f.field
				 WHEN TG_OP = 'UPDATE' AND f.value IS NOT DISTINCT FROM OLD.attributes #> string_to_array(f.field, '.')
					  AND NEW.attributes -> 'reviewed' IS NOT DISTINCT FROM OLD.attributes -> 'reviewed'
					  AND @extschema@.is_date(OLD.attributes -> 'field_dates' ->> f.field)
					  THEN OLD.attributes -> 'field_dates' -> f.field
				 ELSE to_jsonb(to_char(current_date, 'YYYY-MM-DD')) END)
	  INTO dates
	  FROM @extschema@.key_account_fields(NEW.attributes) f;
	NEW.attributes := CASE WHEN dates IS NULL THEN NEW.attributes - 'field_dates'
						   ELSE jsonb_set(NEW.attributes, '{field_dates}', dates) END;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.customers_key_account() IS
	'Trigger: refuses a key-account file in crm.customers.attributes that does not follow crm.key_account_layout() (22023, the faults listed) and keeps attributes.field_dates, the day each field last changed or the file was reviewed (attributes.reviewed changed); a superuser''s bulk load that is not audited (crm.audit_skip(): crm.audit = off, pg_restore) is taken as it is';

CREATE TRIGGER customers_key_account
	BEFORE INSERT OR UPDATE OF attributes ON @extschema@.customers
	FOR EACH ROW
	WHEN (NEW.attributes ?| '{basic,characteristics,business,trading,field_dates,reviewed}'::text[])
	EXECUTE FUNCTION @extschema@.customers_key_account();

-- The key accounts (Pareto class A as graded, or confidentiality 3) and
-- every customer with a file: how current the file is, what is missing,
-- and the sales results computed from the orders.
CREATE FUNCTION @extschema@.key_account_review(as_of date DEFAULT CURRENT_DATE, stale_after_days integer DEFAULT 365)
RETURNS TABLE (customer_id bigint, name text, owner text, pareto_class char(1), trading_since date,
			   reviewed_on date, reviewed_by text, stale_fields text[], missing_fields text[],
			   revenue_12m numeric, revenue_prior_12m numeric, growth_pct numeric, problems jsonb, strengths jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'key_account_review: as_of must be a finite date, got %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the day the files are judged on.';
	END IF;
	IF stale_after_days IS NULL OR stale_after_days < 1 THEN
		RAISE EXCEPTION 'key_account_review: stale_after_days must be 1 or more, got %', coalesce(stale_after_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A field not changed or confirmed for that many days is stale, e.g. 365.';
	END IF;
	-- (the parameters named in full: customer_grades has a column as_of)
	RETURN QUERY
	SELECT c.id, c.name, c.owner, g.pareto_class,
		   coalesce((c.attributes #>> '{basic,trading_since}')::date, s.first_order),
		   (c.attributes #>> '{reviewed,on}')::date, c.attributes #>> '{reviewed,by}',
		   ARRAY(SELECT f.field FROM @extschema@.key_account_fields(c.attributes) f
				  WHERE (c.attributes -> 'field_dates' ->> f.field)::date < key_account_review.as_of - key_account_review.stale_after_days
				  ORDER BY f.field),
		   ARRAY(SELECT l.section || '.' || l.field FROM @extschema@.key_account_layout() l
				  WHERE c.kind = 'company' AND l.required AND jsonb_typeof(c.attributes -> l.section -> l.field) IS NULL
				  ORDER BY 1),
		   coalesce(s.last_12m, 0), coalesce(s.prior_12m, 0),
		   round(100 * (s.last_12m - s.prior_12m) / nullif(s.prior_12m, 0), 1),
		   c.attributes #> '{trading,problems}', c.attributes #> '{trading,strengths}'
	  FROM @extschema@.customers c
	  LEFT JOIN @extschema@.customer_grades g ON g.customer_id = c.id
	  LEFT JOIN (SELECT o.customer_id, min(o.ordered_at)::date AS first_order,
						sum(o.amount) FILTER (WHERE o.ordered_at >= (key_account_review.as_of - 364)::timestamptz) AS last_12m,
						sum(o.amount) FILTER (WHERE o.ordered_at < (key_account_review.as_of - 364)::timestamptz) AS prior_12m
				   FROM @extschema@.orders o
				  WHERE o.ordered_at < (key_account_review.as_of + 1)::timestamptz AND o.ordered_at >= (key_account_review.as_of - 729)::timestamptz
				  GROUP BY o.customer_id) s ON s.customer_id = c.id
	 WHERE g.pareto_class = 'A' OR c.confidentiality = 3
		OR c.attributes ?| '{basic,characteristics,business,trading}'::text[]
	 ORDER BY g.pareto_class NULLS LAST, c.id;
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_review(date, integer) IS
	'Every key account (Pareto class A in crm.customer_grades, or confidentiality 3) and every customer with a key-account file: trading since (the file''s, else the first order), the last review, the fields not changed or confirmed for more than stale_after_days days before as_of (stale), the required fields missing (of a company), revenue in the 365 days to as_of and the 365 before with the growth in percent, and the problems and strengths of the file. Errors: as_of not finite (22008), stale_after_days below 1 (22023)';

-- A review of a file by its owner: every field is confirmed as of today,
-- the fields named in remove_fields are dropped (stale data removed), and
-- who reviewed and when is recorded in attributes.reviewed.
CREATE FUNCTION @extschema@.review_key_account(customer_id bigint, remove_fields text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	unknown text;
	result jsonb;
BEGIN
	SELECT string_agg(r, ', ') INTO unknown
	  FROM unnest(coalesce(remove_fields, '{}')) r
	 WHERE NOT EXISTS (SELECT FROM @extschema@.key_account_layout() l WHERE l.section || '.' || l.field = r);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'review_key_account: % not a field of the key-account file', unknown
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Name fields as section.field, e.g. business.main_competitor: see crm.key_account_layout().';
	END IF;
	-- (the trigger dates every field with today: the file was reviewed)
	UPDATE @extschema@.customers c
	   SET attributes = (SELECT jsonb_set(c.attributes - 'reviewed', '{reviewed}',
										  jsonb_build_object('on', to_char(current_date, 'YYYY-MM-DD'), 'by', current_user))
							    || coalesce(jsonb_object_agg(s.section, s.fields), '{}')
						  FROM (SELECT l.section, (c.attributes -> l.section) - array_agg(l.field) AS fields
								  FROM @extschema@.key_account_layout() l
								 WHERE l.section || '.' || l.field = ANY (coalesce(remove_fields, '{}'))
								   AND jsonb_typeof(c.attributes -> l.section) = 'object'
								 GROUP BY l.section) s)
	 WHERE c.id = review_key_account.customer_id
	RETURNING c.attributes INTO result;
	IF result IS NULL THEN
		RAISE EXCEPTION 'review_key_account: customer % does not exist or may not be changed by %', customer_id, current_user
			USING ERRCODE = 'no_data_found', HINT = 'The customer''s owner or a manager reviews its file.';
	END IF;
	RETURN result;
END;
$$;
COMMENT ON FUNCTION @extschema@.review_key_account(bigint, text[]) IS
	'Reviews the key-account file of a customer: drops the fields named in remove_fields (section.field: stale data removed), confirms the others as of today (attributes.field_dates) and records attributes.reviewed = {on, by}; returns the new attributes. Errors: an unknown field (22023), no such customer or not allowed to change it (P0002)';

-- What the key accounts have in common (seed 003: key accounts beside the
-- 80/20 ranking) and who may become one: a decision tree of the extension
-- (crm.tree_train) on the companies' file and profile, Pareto class A as of
-- as_of against the rest.
CREATE FUNCTION @extschema@.key_account_features(as_of date)
RETURNS TABLE (customer_id bigint, pareto_class char(1), industry text, region text, channel text, size text,
			   growth_potential text, cooperation text, employees float8, founded float8, satisfaction float8,
			   key_account text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- (PL/pgSQL: Citus cannot plan a SQL function's parameter in a join)
	RETURN QUERY
	SELECT c.id, p.class, c.industry, c.region, c.channel,
		   c.attributes #>> '{characteristics,size}', c.attributes #>> '{characteristics,growth_potential}',
		   c.attributes #>> '{business,cooperation}',
		   (c.attributes #>> '{characteristics,employees}')::float8, (c.attributes #>> '{basic,founded}')::float8,
		   c.satisfaction::float8,
		   CASE WHEN p.class = 'A' THEN 'key account' ELSE 'other' END
	  FROM @extschema@.customers c
	  LEFT JOIN @extschema@.pareto_classes(key_account_features.as_of) p ON p.customer_id = c.id
	 WHERE c.kind = 'company';
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_features(date) IS
	'Internal (crm.key_account_profile, crm.future_key_accounts): every company with its Pareto class as of as_of (crm.pareto_classes; NULL without purchases), the profile a tree learns from (industry, region, channel; size, growth potential, cooperation, employees and year founded from the key-account file; satisfaction) and key_account = ''key account'' for class A, else ''other''';

-- The size of a tree that explains segments (crm.key_account_tree,
-- crm.market_segments): small enough to read as rules.
CREATE FUNCTION @extschema@.check_tree_size(fn text, max_depth integer, min_samples_leaf integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF max_depth IS NULL OR max_depth NOT BETWEEN 1 AND 10 OR min_samples_leaf IS NULL OR min_samples_leaf < 1 THEN
		RAISE EXCEPTION '%: max_depth must be 1..10 and min_samples_leaf 1 or more, got % and %', fn,
			coalesce(max_depth::text, 'NULL'), coalesce(min_samples_leaf::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Small trees read best: max_depth 3, min_samples_leaf 20.';
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_tree_size(text, integer, integer) IS
	'Internal (crm.key_account_tree, crm.market_segments): raises 22023, prefixed with fn, unless max_depth is 1..10 and min_samples_leaf 1 or more';

CREATE FUNCTION @extschema@.key_account_tree(as_of date, max_depth integer, min_samples_leaf integer)
RETURNS @extschema@.tree
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.check_tree_size('key account tree', max_depth, min_samples_leaf);
	IF NOT EXISTS (SELECT FROM @extschema@.key_account_features(as_of) f WHERE f.pareto_class = 'A') THEN
		RAISE EXCEPTION 'no company is a key account (Pareto class A) as of %', as_of
			USING ERRCODE = 'no_data_found', HINT = 'The tree needs companies with purchases up to as_of.';
	END IF;
	RETURN @extschema@.tree_train(
		format('SELECT industry, region, channel, size, growth_potential, cooperation, employees, founded, satisfaction, key_account FROM @extschema@.key_account_features(%L)', as_of),
		'key_account',
		jsonb_build_object('max_depth', max_depth, 'min_samples_leaf', min_samples_leaf, 'positive', 'key account'));
END;
$$;
COMMENT ON FUNCTION @extschema@.key_account_tree(date, integer, integer) IS
	'Internal: the decision tree (crm.tree_train) of key account (Pareto class A as of as_of) against the other companies over crm.key_account_features. Errors: bad max_depth or min_samples_leaf (22023), no key account (P0002)';

CREATE FUNCTION @extschema@.key_account_profile(as_of date, max_depth integer DEFAULT 3, min_samples_leaf integer DEFAULT 20)
RETURNS TABLE (rule text, companies bigint, key_accounts bigint, share_key_accounts float8)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT r.rule, r.samples, round(r.probability * r.samples)::bigint, r.probability
	  FROM @extschema@.tree_rules(@extschema@.key_account_tree(as_of, max_depth, min_samples_leaf)) r
	 ORDER BY r.probability DESC, r.samples DESC, r.rule
$$;
COMMENT ON FUNCTION @extschema@.key_account_profile(date, integer, integer) IS
	'What the key accounts have in common: the leaves of a decision tree of key account (Pareto class A as of as_of) against the other companies, each as a rule over the profile (crm.key_account_features) with its companies, key accounts among them and their share, the most key-account-like first';

CREATE FUNCTION @extschema@.future_key_accounts(as_of date, min_probability float8 DEFAULT 0.5,
												max_depth integer DEFAULT 3, min_samples_leaf integer DEFAULT 20)
RETURNS TABLE (customer_id bigint, name text, owner text, pareto_class char(1), probability float8, rule text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	model @extschema@.tree;
BEGIN
	IF min_probability IS NULL OR NOT min_probability BETWEEN 0 AND 1 THEN
		RAISE EXCEPTION 'future_key_accounts: min_probability must be between 0 and 1, got %', coalesce(min_probability::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The share of key accounts among companies like it, e.g. 0.5.';
	END IF;
	model := @extschema@.key_account_tree(as_of, max_depth, min_samples_leaf);
	RETURN QUERY
	SELECT s.customer_id, c.name, c.owner, s.pareto_class, s.probability, r.rule
	  FROM (SELECT f.customer_id, f.pareto_class,
				   @extschema@.tree_score(model, f) AS probability, @extschema@.tree_leaf(model, f) AS leaf
			  FROM @extschema@.key_account_features(as_of) f
			 WHERE f.pareto_class IS DISTINCT FROM 'A') s
	  JOIN @extschema@.customers c ON c.id = s.customer_id
	  JOIN @extschema@.tree_rules(model) r ON r.leaf = s.leaf
	 WHERE s.probability >= min_probability
	 ORDER BY s.probability DESC, s.customer_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.future_key_accounts(date, float8, integer, integer) IS
	'Likely future key accounts: the companies not in Pareto class A as of as_of whose profile the key-account tree (as crm.key_account_profile) puts among key accounts with probability >= min_probability, with the rule of their leaf, most likely first. Errors: min_probability outside 0..1 (22023), those of the tree';
