/*
 * market_segments.sql: market segmentation (seed 000: by age, income,
 * occupation, purchase motive and information source, into existing
 * customers, winnable prospects and those not pursued now).
 *
 * A person's profile is in crm.customers.attributes (age, income,
 * occupation, purchase_motive, information_source) with the region.  A
 * decision tree of the extension learns, over every person, which profiles
 * are customers (bought up to as_of) and which stay prospects; a prospect
 * whose profile is mostly customers' is winnable, the others are not
 * pursued now.  Each row says why: the rule of its leaf.
 *
 *   SELECT segment, count(*) FROM crm.market_segments('2025-12-31') GROUP BY 1;
 */

CREATE FUNCTION @extschema@.market_profiles(as_of date)
RETURNS TABLE (customer_id bigint, age float8, income float8, occupation text, purchase_motive text,
			   information_source text, region text, status text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	SELECT c.id, (c.attributes ->> 'age')::float8, (c.attributes ->> 'income')::float8, c.attributes ->> 'occupation',
		   c.attributes ->> 'purchase_motive', c.attributes ->> 'information_source', c.region,
		   CASE WHEN EXISTS (SELECT FROM @extschema@.orders o
							  WHERE o.customer_id = c.id AND o.ordered_at < (market_profiles.as_of + 1)::timestamptz)
				THEN 'customer' ELSE 'prospect' END
	  FROM @extschema@.customers c
	 WHERE c.kind = 'person' AND c.created_at < (market_profiles.as_of + 1)::timestamptz;
END;
$$;
COMMENT ON FUNCTION @extschema@.market_profiles(date) IS
	'Internal (crm.market_segments): every person entered up to as_of with the profile of the seed''s market segmentation (age, income, occupation, purchase_motive and information_source from attributes; region) and status = customer (bought up to as_of) or prospect';

CREATE FUNCTION @extschema@.market_segments(as_of date, min_probability float8 DEFAULT 0.5,
											max_depth integer DEFAULT 3, min_samples_leaf integer DEFAULT 20)
RETURNS TABLE (customer_id bigint, segment text, probability float8, rule text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	model @extschema@.tree;
	has_customers boolean;
	has_prospects boolean;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'market_segments: as_of must be a finite date, got %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'datetime_field_overflow', HINT = 'Give the day the market is segmented on.';
	END IF;
	IF min_probability IS NULL OR NOT min_probability BETWEEN 0 AND 1 THEN
		RAISE EXCEPTION 'market_segments: min_probability must be between 0 and 1, got %', coalesce(min_probability::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A prospect is winnable when at least this share of people like it are customers, e.g. 0.5.';
	END IF;
	PERFORM @extschema@.check_tree_size('market_segments', max_depth, min_samples_leaf);
	-- (one pass over the profiles for both)
	SELECT coalesce(bool_or(p.status = 'customer'), false), coalesce(bool_or(p.status = 'prospect'), false)
	  INTO has_customers, has_prospects
	  FROM @extschema@.market_profiles(as_of) p;
	IF NOT (has_customers AND has_prospects) THEN
		RAISE EXCEPTION 'market_segments: the persons entered up to % are not both customers and prospects', as_of
			USING ERRCODE = 'no_data_found', HINT = 'The segmentation learns from people who bought and people who did not.';
	END IF;
	model := @extschema@.tree_train(
		format('SELECT age, income, occupation, purchase_motive, information_source, region, status FROM @extschema@.market_profiles(%L)', as_of),
		'status',
		jsonb_build_object('max_depth', max_depth, 'min_samples_leaf', min_samples_leaf, 'positive', 'customer'));
	RETURN QUERY
	SELECT s.customer_id,
		   CASE WHEN s.status = 'customer' THEN 'existing customer'
				WHEN s.probability >= min_probability THEN 'winnable prospect'
				ELSE 'not pursued now' END,
		   s.probability, r.rule
	  FROM (SELECT p.customer_id, p.status, @extschema@.tree_score(model, p) AS probability, @extschema@.tree_leaf(model, p) AS leaf
			  FROM @extschema@.market_profiles(as_of) p) s
	  JOIN @extschema@.tree_rules(model) r ON r.leaf = s.leaf
	 ORDER BY s.customer_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.market_segments(date, float8, integer, integer) IS
	'Market segmentation of the persons entered up to as_of (seed 000): existing customer (bought up to as_of), winnable prospect (never bought, but at least min_probability of the people with its profile are customers) or not pursued now, by a decision tree (crm.tree_train) of customer against prospect over age, income, occupation, purchase motive, information source and region (crm.market_profiles); each row with that probability and the rule of its leaf. Errors: as_of not finite (22008), bad min_probability, max_depth or min_samples_leaf (22023), no customers or no prospects (P0002)';
