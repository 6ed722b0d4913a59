/*
 * deal_score.sql: deal scoring by naive Bayes with the reasons of each
 * score (C in deal_score.c; the model is explained there).
 *
 * Train on closed deals, score open ones on read:
 *
 *   WITH m AS (SELECT crm.nb_train(features, won) AS model FROM closed_deals)
 *   SELECT d.id, crm.nb_score(m.model, d.features),
 *          crm.nb_factors(m.model, d.features, 'up'), crm.nb_factors(m.model, d.features, 'down')
 *     FROM open_deals d, m;
 *
 * A deal's features are "field=value" texts: categorical fields as they
 * are ('stage=' || stage), numbers binned (crm.nb_bin).
 */

CREATE TYPE @extschema@.nb_model AS (
	won			float8,
	lost		float8,
	alpha		float8,
	features	text[],
	won_counts	float8[],
	lost_counts	float8[]
);
COMMENT ON TYPE @extschema@.nb_model IS
	'A naive Bayes deal-scoring model made by crm.nb_train: the numbers of won and lost training deals, the smoothing alpha (1, Laplace), and every feature "field=value" seen (sorted) with how often it came with a won and with a lost deal';

CREATE FUNCTION @extschema@.nb_train_trans(internal, text[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'crm_nb_train_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'crm_nb_train_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nb_train_final(internal) RETURNS @extschema@.nb_model
	AS 'MODULE_PATHNAME', 'crm_nb_train_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_train_trans(internal, text[], boolean) IS
	'Transition function of crm.nb_train: counts the deal and each of its features under its outcome';
COMMENT ON FUNCTION @extschema@.nb_train_combine(internal, internal) IS
	'Combine function of crm.nb_train: adds two states'' counts (parallel query)';
COMMENT ON FUNCTION @extschema@.nb_train_serialize(internal) IS
	'Serialize function of crm.nb_train: version 1, won and lost deals, then each feature with its two counts';
COMMENT ON FUNCTION @extschema@.nb_train_deserialize(bytea, internal) IS
	'Deserialize function of crm.nb_train; checks every length and count (22P03 otherwise)';
COMMENT ON FUNCTION @extschema@.nb_train_final(internal) IS
	'Final function of crm.nb_train: the crm.nb_model, features sorted; NULL without a deal with an outcome';

-- SSPACE: a few hundred distinct features of about 300 bytes each
CREATE AGGREGATE @extschema@.nb_train(features text[], won boolean) (
	SFUNC = @extschema@.nb_train_trans,
	STYPE = internal,
	SSPACE = 65536,
	COMBINEFUNC = @extschema@.nb_train_combine,
	SERIALFUNC = @extschema@.nb_train_serialize,
	DESERIALFUNC = @extschema@.nb_train_deserialize,
	FINALFUNC = @extschema@.nb_train_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.nb_train(text[], boolean) IS
	'Trains a naive Bayes deal-scoring model (crm.nb_model) on closed deals: features are "field=value" texts (NULL elements skipped), won the outcome; rows with NULL features or outcome are skipped; no such row: NULL. Merging states adds counts, so training runs in parallel and in any split. Errors: a feature without "field=" (22023), a feature of 256 bytes or more (54000), a multi-dimensional array (22023)';

CREATE FUNCTION @extschema@.nb_score(model @extschema@.nb_model, features text[])
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_nb_score'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_score(@extschema@.nb_model, text[]) IS
	'Probability 0..1 that a deal with these features is won, by the naive Bayes model: 1 / (1 + exp(-log odds)), log odds = log((won + alpha) / (lost + alpha)) + the sum over its features of log(P(f | won) / P(f | lost)), P(f | class) = (n(f, class) + alpha) / (n(field, class) + alpha (values of the field + 1)); features of fields the model never saw add nothing, NULL elements are skipped. Errors: an invalid model (22023), a feature without "field=" (22023), one of 256 bytes or more (54000)';

CREATE FUNCTION @extschema@.nb_factors(model @extschema@.nb_model, features text[], direction text DEFAULT 'up', top integer DEFAULT 3)
RETURNS text
AS 'MODULE_PATHNAME', 'crm_nb_factors'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_factors(@extschema@.nb_model, text[], text, integer) IS
	'The reasons of crm.nb_score: the top features of the deal that raise its odds most (direction ''up'') or lower them most (''down''), strongest first, as text "field=value (odds xF)" joined by ", ", F = P(f | won) / P(f | lost); factors within 0.5 % of 1 are no reason; NULL when none. Errors: direction other than up or down, top outside 1..100, and those of crm.nb_score (22023)';

CREATE FUNCTION @extschema@.nb_bin(field text, value float8, cuts float8[])
RETURNS text
AS 'MODULE_PATHNAME', 'crm_nb_bin'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.nb_bin(text, float8, float8[]) IS
	'A number as a feature for crm.nb_train: field=<c1 below the first cut, field=ci-cj between two cuts (ci included), field=>=cn from the last (NaN: from the last), the bounds written as float8 text; NULL for a NULL argument (skipped by crm.nb_train) and for empty cuts. Errors: cuts not in ascending order or NaN (22023), with a NULL (22004), multi-dimensional (22023)';

CREATE FUNCTION @extschema@.nb_merge(a @extschema@.nb_model, b @extschema@.nb_model)
RETURNS @extschema@.nb_model
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
		(SELECT ROW((a).won OPERATOR(pg_catalog.+) (b).won, (a).lost OPERATOR(pg_catalog.+) (b).lost, (a).alpha,
					COALESCE(pg_catalog.array_agg(m.f ORDER BY m.f COLLATE "C"), '{}'),
					COALESCE(pg_catalog.array_agg(m.w ORDER BY m.f COLLATE "C"), '{}'),
					COALESCE(pg_catalog.array_agg(m.l ORDER BY m.f COLLATE "C"), '{}'))::@extschema@.nb_model
		   FROM (SELECT COALESCE(x.f, y.f) AS f,
						COALESCE(x.w, 0) OPERATOR(pg_catalog.+) COALESCE(y.w, 0) AS w,
						COALESCE(x.l, 0) OPERATOR(pg_catalog.+) COALESCE(y.l, 0) AS l
				   FROM ROWS FROM (pg_catalog.unnest((a).features), pg_catalog.unnest((a).won_counts), pg_catalog.unnest((a).lost_counts)) AS x(f, w, l)
				   FULL JOIN ROWS FROM (pg_catalog.unnest((b).features), pg_catalog.unnest((b).won_counts), pg_catalog.unnest((b).lost_counts)) AS y(f, w, l)
					 ON x.f OPERATOR(pg_catalog.=) y.f) m)
	END;
END;
COMMENT ON FUNCTION @extschema@.nb_merge(@extschema@.nb_model, @extschema@.nb_model) IS
	'Two naive Bayes models trained on separate deals merged into the model of all of them (their counts added; a''s alpha): crm.nb_merge(crm.nb_train on A, crm.nb_train on B) = crm.nb_train on A and B. NULL is the model of no deal';

-- The training rows for scoring deals by stage: each closed deal once per
-- open stage it was in before it closed, with the outcome.
CREATE FUNCTION @extschema@.deal_snapshots(pipeline text)
RETURNS TABLE (opportunity_id bigint, customer_id bigint, stage text, entered_at timestamptz,
			   closed_at timestamptz, won boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM @extschema@.known_pipeline(deal_snapshots.pipeline);
	RETURN QUERY
	WITH o AS (
		SELECT o.id, o.customer_id, o.stage, o.status, o.created_at, o.closed_at
		  FROM @extschema@.opportunities o WHERE o.pipeline = deal_snapshots.pipeline),
	-- how each deal closed: its first change to won, lost or terminated,
	-- else its status and closed_at (closed without history)
	closing AS (
		SELECT DISTINCT ON (h.customer_id, h.opportunity_id) h.customer_id, h.opportunity_id,
			   h.changed_at AS closed_at, h.new_status = 'won' AS won
		  FROM @extschema@.opportunity_history h
		  JOIN o ON o.customer_id = h.customer_id AND o.id = h.opportunity_id
		 WHERE h.new_status IN ('won', 'lost', 'terminated') AND h.old_status IS DISTINCT FROM h.new_status
		 ORDER BY h.customer_id, h.opportunity_id, h.changed_at, h.id),
	outcome AS (
		SELECT o.customer_id, o.id, coalesce(c.closed_at, o.closed_at) AS closed_at,
			   coalesce(c.won, o.status = 'won') AS won
		  FROM o LEFT JOIN closing c ON c.customer_id = o.customer_id AND c.opportunity_id = o.id
		 WHERE c.opportunity_id IS NOT NULL OR o.status IN ('won', 'lost', 'terminated')),
	-- every stay in a stage: the first from created_at, then one per stage change
	moves AS (
		SELECT h.customer_id, h.opportunity_id, h.id, h.changed_at, h.old_stage, h.new_stage,
			   row_number() OVER (PARTITION BY h.customer_id, h.opportunity_id ORDER BY h.changed_at, h.id) AS n
		  FROM @extschema@.opportunity_history h
		  JOIN outcome x ON x.customer_id = h.customer_id AND x.id = h.opportunity_id
		 WHERE h.old_stage IS DISTINCT FROM h.new_stage),
	visits AS (
		SELECT o.customer_id, o.id, coalesce(m.old_stage, o.stage) AS stage, o.created_at AS entered_at
		  FROM o JOIN outcome x ON x.customer_id = o.customer_id AND x.id = o.id
		  LEFT JOIN moves m ON m.customer_id = o.customer_id AND m.opportunity_id = o.id AND m.n = 1
		UNION ALL
		SELECT m.customer_id, m.opportunity_id, m.new_stage, m.changed_at FROM moves m)
	SELECT v.id, v.customer_id, v.stage, v.entered_at, x.closed_at, x.won
	  FROM visits v
	  JOIN outcome x ON x.customer_id = v.customer_id AND x.id = v.id
	  JOIN @extschema@.pipeline_stages s ON s.pipeline = deal_snapshots.pipeline AND s.stage = v.stage AND NOT s.is_final
	 WHERE v.entered_at < x.closed_at
	 ORDER BY v.id, v.entered_at;
END;
$$;
COMMENT ON FUNCTION @extschema@.deal_snapshots(text) IS
	'Training rows for crm.nb_train: every closed deal of the pipeline once per open stage it was in before it closed (the first stage from created_at, then each stage change of crm.opportunity_history), with when it entered the stage, when it closed (its first change to won, lost or terminated; for a deal closed without such history, its status and closed_at) and whether it was won. Stages are matched by name in the pipeline; the final stage is left out (reached on winning). Errors: unknown pipeline (22023)';
