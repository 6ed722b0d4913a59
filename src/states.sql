/*
 * states.sql: the rules the CRM tables enforce beyond their constraints.
 *
 * - State machines for opportunities, campaigns and contracts, driven by the
 *   table crm.status_transitions: a forbidden move fails with SQLSTATE 55000
 *   (object_not_in_prerequisite_state), a message naming the object and both
 *   states, and a hint listing the allowed next states.
 * - History written by trigger: opportunity stage / status / amount / owner /
 *   cost changes, contract status and progress changes, and earlier versions
 *   of a contract's terms.
 * - Approvals: a stage with an approval_role and the reactivation of a
 *   suspended deal need an approved crm.opportunity_approvals row; a quote
 *   is approved by a member of crm_manager, a campaign by a named role.
 * - Only archived opportunities are deleted (purged) by hand; their history
 *   goes with them into the audit log.
 * - Credit shares of an opportunity's owners sum to 100 % at commit.
 * - Contacts' reports_to chains have no cycles.
 *
 * Only UPDATEs are checked against the state machines and recorded as
 * history: an INSERT may carry any state (importing a closed deal, or
 * pg_restore reloading the tables, whose triggers are already in place), so
 * restoring a dump neither fails nor writes history twice.
 *
 * Trigger functions run with search_path = pg_catalog, pg_temp and name the
 * extension's objects as @extschema@, so nothing a user plants in another
 * schema can capture them.
 */

CREATE TABLE @extschema@.status_transitions (
	object			text NOT NULL,
	from_status		text NOT NULL,
	allowed			text[] NOT NULL,
	PRIMARY KEY (object, from_status)
);
COMMENT ON TABLE @extschema@.status_transitions IS
	'The state machines of opportunities, quotes, campaigns and contracts: for each status the statuses it may move to (empty = final). Part of the extension, not user data';
COMMENT ON COLUMN @extschema@.status_transitions.object IS 'opportunity, quote, campaign or contract';
COMMENT ON COLUMN @extschema@.status_transitions.from_status IS 'Current status';
COMMENT ON COLUMN @extschema@.status_transitions.allowed IS 'Statuses it may move to, in lifecycle order; empty = final state';

INSERT INTO @extschema@.status_transitions (object, from_status, allowed) VALUES
	('opportunity', 'open',        '{suspended,terminated,won,lost}'),
	('opportunity', 'suspended',   '{open,terminated}'),
	('opportunity', 'terminated',  '{archived}'),
	('opportunity', 'won',         '{archived}'),
	('opportunity', 'lost',        '{archived}'),
	('opportunity', 'archived',    '{}'),
	('quote',       'draft',       '{submitted}'),
	('quote',       'submitted',   '{draft,approved,rejected}'),
	('quote',       'approved',    '{}'),
	('quote',       'rejected',    '{}'),
	('campaign',    'planned',     '{submitted,cancelled}'),
	('campaign',    'submitted',   '{planned,approved,cancelled}'),
	('campaign',    'approved',    '{active,cancelled}'),
	('campaign',    'active',      '{completed,cancelled}'),
	('campaign',    'completed',   '{}'),
	('campaign',    'cancelled',   '{}'),
	('contract',    'draft',       '{submitted,closed}'),
	('contract',    'submitted',   '{draft,approved,closed}'),
	('contract',    'approved',    '{executing,closed}'),
	('contract',    'executing',   '{interrupted,completed}'),
	('contract',    'interrupted', '{executing,closed}'),
	('contract',    'completed',   '{closed}'),
	('contract',    'closed',      '{}');

-- Raise the standard error for a forbidden status change of one object.
CREATE FUNCTION @extschema@.check_status_transition(object text, object_id bigint, old_status text, new_status text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	next_states text[];
BEGIN
	SELECT t.allowed INTO next_states
	  FROM @extschema@.status_transitions t
	 WHERE t.object = check_status_transition.object
	   AND t.from_status = old_status;
	-- an unknown object or status is a mistake of the caller, not a
	-- forbidden move: say so, with the known ones
	IF NOT FOUND THEN
		IF NOT EXISTS (SELECT FROM @extschema@.status_transitions t WHERE t.object = check_status_transition.object) THEN
			RAISE EXCEPTION 'unknown object %: status transitions are defined for %', coalesce(quote_literal(object), 'NULL'),
				(SELECT string_agg(DISTINCT t.object, ', ') FROM @extschema@.status_transitions t)
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'See SELECT DISTINCT object FROM crm.status_transitions.';
		END IF;
		RAISE EXCEPTION 'unknown % status %', object, coalesce(quote_literal(old_status), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = format('The statuses of %s are: %s.', object,
								(SELECT string_agg(t.from_status, ', ' ORDER BY t.from_status)
								   FROM @extschema@.status_transitions t WHERE t.object = check_status_transition.object));
	END IF;
	IF old_status = new_status THEN
		RETURN;
	END IF;
	IF new_status = ANY (next_states) THEN
		RETURN;
	END IF;
	RAISE EXCEPTION '% % cannot move from "%" to "%"', object, object_id, old_status, new_status
		USING ERRCODE = 'object_not_in_prerequisite_state',
			  HINT = CASE WHEN cardinality(next_states) = 0
						  THEN format('"%s" is a final state: no status change is allowed.', old_status)
						  ELSE format('Allowed next statuses from "%s": %s.', old_status,
									  array_to_string(next_states, ', '))
					 END;
END;
$$;
COMMENT ON FUNCTION @extschema@.check_status_transition(text, bigint, text, text) IS
	'Returns nothing when object (opportunity, quote, campaign, contract) may move from old_status to new_status; raises SQLSTATE 55000 naming both states and the allowed ones otherwise; an unknown object or old_status is error 22023 listing the known ones';

--------------------------------------------------------------------------
-- Opportunities
--------------------------------------------------------------------------

-- Whether a stage no longer exists: then an opportunity's stage changes
-- because the stage was renamed (ON UPDATE CASCADE), not because it moved.
-- (PL/pgSQL: Citus cannot run a SQL-standard body that reads one of its
-- tables.)
CREATE FUNCTION @extschema@.stage_renamed(pipeline text, stage text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN NOT EXISTS (SELECT FROM @extschema@.pipeline_stages s
						WHERE s.pipeline = stage_renamed.pipeline AND s.stage = stage_renamed.stage);
END;
$$;
COMMENT ON FUNCTION @extschema@.stage_renamed(text, text) IS
	'True when the pipeline has no such stage (any more): used by the opportunity triggers to tell a stage rename from a stage move';

-- Use the oldest approved, unused approval of one move of an opportunity,
-- or refuse the move.  SECURITY DEFINER: the rep making the move may not
-- write approvals.
CREATE FUNCTION @extschema@.use_approval(customer_id bigint, opportunity_id bigint, move text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	approver text;
	approval bigint;
BEGIN
	SELECT a.id, a.decided_by INTO approval, approver
	  FROM @extschema@.opportunity_approvals a
	 WHERE a.customer_id = use_approval.customer_id AND a.opportunity_id = use_approval.opportunity_id
	   AND a.move = use_approval.move AND a.decision = 'approved' AND a.used_at IS NULL
	 ORDER BY a.decided_at, a.id
	 LIMIT 1
	   FOR UPDATE;
	IF approval IS NULL THEN
		RAISE EXCEPTION 'opportunity % needs an approval for %', opportunity_id,
			CASE WHEN move = 'reactivation' THEN 'its reactivation' ELSE format('stage "%s"', move) END
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = format('Ask with INSERT INTO crm.opportunity_approvals (opportunity_id, move) VALUES (%s, %L); once a member of %s approves it, make the move again.',
								opportunity_id, move,
								CASE WHEN move = 'reactivation' THEN 'crm_manager'
									 ELSE coalesce((SELECT s.approval_role FROM @extschema@.opportunities o
													  JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = move
													 WHERE o.customer_id = use_approval.customer_id AND o.id = use_approval.opportunity_id),
												   'the approval role') END);
	END IF;
	UPDATE @extschema@.opportunity_approvals a SET used_at = now()
	 WHERE a.customer_id = use_approval.customer_id AND a.id = approval;
	RETURN approver;
END;
$$;
COMMENT ON FUNCTION @extschema@.use_approval(bigint, bigint, text) IS
	'Marks the oldest approved, unused crm.opportunity_approvals row of the move (a stage, or reactivation) used and returns its approver; raises 55000 with the way to ask when there is none. Called by the opportunity trigger (SECURITY DEFINER: reps cannot write approvals)';

-- A request names a move that needs approval; a decision is made once, by
-- a member of the role that approves the move, who is not the requester;
-- the database stamps who and when.  An INSERT that carries a decision
-- (pg_restore, or the extension owner importing history) is taken as it
-- is: only the owner can write those columns.
CREATE FUNCTION @extschema@.opportunity_approvals_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	approver_role text;
BEGIN
	SELECT CASE WHEN NEW.move = 'reactivation' THEN 'crm_manager' ELSE s.approval_role END INTO approver_role
	  FROM @extschema@.opportunities o
	  LEFT JOIN @extschema@.pipeline_stages s ON s.pipeline = o.pipeline AND s.stage = NEW.move
	 WHERE o.customer_id = NEW.customer_id AND o.id = NEW.opportunity_id;
	IF TG_OP = 'INSERT' THEN
		IF NEW.decision IS NULL THEN
			IF approver_role IS NULL THEN
				RAISE EXCEPTION 'opportunity %: "%" needs no approval', NEW.opportunity_id, NEW.move
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'move is reactivation or a stage of the deal''s pipeline that has an approval_role (crm.pipeline_stages).';
			END IF;
			NEW.requested_by := current_user;
			NEW.requested_at := now();
			NEW.used_at := NULL;
		END IF;
		RETURN NEW;
	END IF;
	IF (NEW.customer_id, NEW.opportunity_id, NEW.move, NEW.requested_by, NEW.requested_at)
	   IS DISTINCT FROM (OLD.customer_id, OLD.opportunity_id, OLD.move, OLD.requested_by, OLD.requested_at) THEN
		RAISE EXCEPTION 'approval request % cannot change what it asks for', OLD.id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Ask again with a new row of crm.opportunity_approvals.';
	END IF;
	IF NEW.decision IS DISTINCT FROM OLD.decision THEN
		IF OLD.decision IS NOT NULL THEN
			RAISE EXCEPTION 'approval request % was already % by %', OLD.id, OLD.decision, OLD.decided_by
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'A decision is final: ask again with a new row of crm.opportunity_approvals.';
		END IF;
		IF NOT pg_has_role(current_user, approver_role, 'MEMBER') THEN
			RAISE EXCEPTION 'role % cannot decide approval request %: % approves "%"', current_user, OLD.id, approver_role, OLD.move
				USING ERRCODE = 'insufficient_privilege',
					  HINT = format('Ask a member of %s.', approver_role);
		END IF;
		IF current_user = OLD.requested_by THEN
			RAISE EXCEPTION 'role % cannot decide its own approval request %', current_user, OLD.id
				USING ERRCODE = 'insufficient_privilege',
					  HINT = format('Another member of %s decides it.', approver_role);
		END IF;
		NEW.decided_by := current_user;
		NEW.decided_at := now();
	ELSE
		NEW.decided_by := OLD.decided_by;
		NEW.decided_at := OLD.decided_at;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunity_approvals_before() IS
	'Trigger: checks that a new crm.opportunity_approvals request names a move that needs approval and stamps requester and time; a decision is made once, by a member of the approving role other than the requester, and stamped';

-- A terminated deal needs its closing summary, like a won or lost one (a
-- trigger rule, not a CHECK: deals terminated before crm 1.1 keep theirs
-- as they were).
CREATE FUNCTION @extschema@.require_summary(opportunity_id bigint, closing_summary text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF btrim(coalesce(closing_summary, '')) = '' THEN
		RAISE EXCEPTION 'opportunity % cannot be terminated without a closing summary', opportunity_id
			USING ERRCODE = 'check_violation',
				  HINT = 'Set closing_summary (why the deal was terminated) in the same statement.';
	END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_summary(bigint, text) IS
	'Raises 23514 when the closing summary of an opportunity being terminated is missing or blank; called by the trigger opportunities_before';

-- Keep closed_at and updated_at right, enforce the state machine, and allow
-- stage changes only while the opportunity is open (renames always).
CREATE FUNCTION @extschema@.opportunities_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		IF NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
			RAISE EXCEPTION 'the customer of opportunity % cannot change', OLD.id
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'Enter the deal again at the other customer, or merge the two customers with crm.merge_customers().';
		END IF;
		PERFORM @extschema@.check_status_transition('opportunity', OLD.id, OLD.status::text, NEW.status::text);
		IF NEW.stage IS DISTINCT FROM OLD.stage AND OLD.status <> 'open'
		   AND NOT @extschema@.stage_renamed(OLD.pipeline, OLD.stage) THEN
			RAISE EXCEPTION 'opportunity % is %: its stage cannot change', OLD.id, OLD.status
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = CASE WHEN OLD.status = 'suspended'
								  THEN 'Reactivate the opportunity (status open) before moving it to another stage.'
								  ELSE 'A closed opportunity keeps the stage it closed in; enter a new opportunity for new business.' END;
		END IF;
		-- approval points: entering a stage that has an approval role, and
		-- reactivating a suspended deal
		IF NEW.stage IS DISTINCT FROM OLD.stage
		   AND NOT @extschema@.stage_renamed(OLD.pipeline, OLD.stage)
		   AND EXISTS (SELECT FROM @extschema@.pipeline_stages s
						WHERE s.pipeline = NEW.pipeline AND s.stage = NEW.stage AND s.approval_role IS NOT NULL) THEN
			PERFORM @extschema@.use_approval(NEW.customer_id, NEW.id, NEW.stage);
		END IF;
		IF OLD.status = 'suspended' AND NEW.status = 'open' THEN
			PERFORM @extschema@.use_approval(NEW.customer_id, NEW.id, 'reactivation');
		END IF;
		NEW.updated_at := now();
		IF NEW.status = 'terminated' AND OLD.status <> 'terminated' THEN
			PERFORM @extschema@.require_summary(NEW.id, NEW.closing_summary);
		END IF;
		IF NEW.status IN ('open', 'suspended') THEN
			NEW.closed_at := NULL;
		ELSIF OLD.status IN ('open', 'suspended') THEN
			NEW.closed_at := now();
		END IF;
	ELSE
		IF NEW.status = 'terminated' THEN
			PERFORM @extschema@.require_summary(NEW.id, NEW.closing_summary);
		END IF;
		IF NEW.status NOT IN ('open', 'suspended') AND NEW.closed_at IS NULL THEN
			NEW.closed_at := now();
		END IF;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_before() IS
	'Trigger: checks status moves and stage changes of crm.opportunities, their approvals (crm.use_approval), the summary of a terminated deal (crm.require_summary) and that its customer stays, sets updated_at and closed_at';

CREATE TRIGGER opportunities_before
	BEFORE INSERT OR UPDATE ON @extschema@.opportunities
	FOR EACH ROW EXECUTE FUNCTION @extschema@.opportunities_before();

-- Record every stage, status, amount, owner, cost, forecast category or
-- expected close date change; a stage rename
-- alone is not a change of the opportunity.
CREATE FUNCTION @extschema@.opportunities_history()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.status, NEW.amount, NEW.owner, NEW.cost, NEW.forecast_category, NEW.expected_close)
	   IS NOT DISTINCT FROM (OLD.status, OLD.amount, OLD.owner, OLD.cost, OLD.forecast_category, OLD.expected_close)
	   AND @extschema@.stage_renamed(OLD.pipeline, OLD.stage) THEN
		RETURN NULL;
	END IF;
	INSERT INTO @extschema@.opportunity_history
		(customer_id, opportunity_id, changed_at, old_stage, new_stage, old_status, new_status,
		 old_amount, new_amount, old_owner, new_owner, cost, old_forecast_category, new_forecast_category,
		 old_expected_close, new_expected_close)
	VALUES
		(NEW.customer_id, NEW.id, NEW.updated_at, OLD.stage, NEW.stage, OLD.status, NEW.status,
		 OLD.amount, NEW.amount, OLD.owner, NEW.owner, greatest(NEW.cost - OLD.cost, 0),
		 OLD.forecast_category, NEW.forecast_category, OLD.expected_close, NEW.expected_close);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_history() IS
	'Trigger (SECURITY DEFINER: no role but the extension owner writes history): writes a crm.opportunity_history row for a change of stage, status, amount, owner, cost, forecast category or expected close date';

CREATE TRIGGER opportunities_history
	AFTER UPDATE ON @extschema@.opportunities
	FOR EACH ROW
	WHEN (OLD.stage IS DISTINCT FROM NEW.stage
		  OR OLD.status IS DISTINCT FROM NEW.status
		  OR OLD.amount IS DISTINCT FROM NEW.amount
		  OR OLD.owner IS DISTINCT FROM NEW.owner
		  OR OLD.cost IS DISTINCT FROM NEW.cost
		  OR OLD.forecast_category IS DISTINCT FROM NEW.forecast_category
		  OR OLD.expected_close IS DISTINCT FROM NEW.expected_close)
	EXECUTE FUNCTION @extschema@.opportunities_history();

-- The credit shares of an opportunity that has split owners sum to 100 %.
CREATE FUNCTION @extschema@.opportunity_owners_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	opp bigint;
	cust bigint;
	total numeric;
BEGIN
	FOR cust, opp IN
		SELECT CASE WHEN TG_OP <> 'INSERT' THEN OLD.customer_id END, CASE WHEN TG_OP <> 'INSERT' THEN OLD.opportunity_id END
		UNION
		SELECT CASE WHEN TG_OP <> 'DELETE' THEN NEW.customer_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.opportunity_id END
	LOOP
		CONTINUE WHEN opp IS NULL;
		SELECT sum(o.share) INTO total
		  FROM @extschema@.opportunity_owners o
		 WHERE o.customer_id = cust AND o.opportunity_id = opp;
		IF total IS NOT NULL AND total <> 100 THEN
			RAISE EXCEPTION 'credit shares of opportunity % sum to % %%, not 100 %%', opp, total
				USING ERRCODE = 'check_violation',
					  HINT = 'Change the rows of crm.opportunity_owners for one opportunity in one transaction so that their shares sum to 100.';
		END IF;
	END LOOP;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunity_owners_check() IS
	'Constraint trigger: the shares in crm.opportunity_owners of each opportunity sum to 100 at commit';

CREATE CONSTRAINT TRIGGER opportunity_owners_sum
	AFTER INSERT OR UPDATE OR DELETE ON @extschema@.opportunity_owners
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW EXECUTE FUNCTION @extschema@.opportunity_owners_check();

-- Number a new quote as the next version of its opportunity when none is given.
CREATE FUNCTION @extschema@.quotes_version()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.version IS NULL THEN
		-- serialize concurrent quoting of one opportunity
		PERFORM 1 FROM @extschema@.opportunities o
		 WHERE o.customer_id = NEW.customer_id AND o.id = NEW.opportunity_id FOR NO KEY UPDATE;
		SELECT coalesce(max(q.version), 0) + 1 INTO NEW.version
		  FROM @extschema@.quotes q
		 WHERE q.customer_id = NEW.customer_id AND q.opportunity_id = NEW.opportunity_id;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.quotes_version() IS
	'Trigger: gives a new crm.quotes row without a version the next version number of its opportunity';

CREATE TRIGGER quotes_version
	BEFORE INSERT ON @extschema@.quotes
	FOR EACH ROW EXECUTE FUNCTION @extschema@.quotes_version();

-- A quote follows its state machine (draft, submitted, then approved or
-- rejected: final, a new version for new terms); its terms change only as a
-- draft; a member of crm_manager approves it, and the database stamps who
-- and when.
CREATE FUNCTION @extschema@.quotes_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.check_status_transition('quote', OLD.id, OLD.status::text, NEW.status::text);
	IF (NEW.customer_id, NEW.opportunity_id, NEW.version, NEW.amount, NEW.discount_pct, NEW.valid_until, NEW.created_at)
	   IS DISTINCT FROM (OLD.customer_id, OLD.opportunity_id, OLD.version, OLD.amount, OLD.discount_pct, OLD.valid_until, OLD.created_at)
	   AND OLD.status <> 'draft' THEN
		RAISE EXCEPTION 'quote % is %: its terms cannot change', OLD.id, OLD.status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = CASE WHEN OLD.status = 'submitted' THEN 'Move it back to draft first, or write a new version.'
							  ELSE 'Write a new version of the quote.' END;
	END IF;
	IF NEW.status = 'approved' AND OLD.status <> 'approved' THEN
		IF NOT pg_has_role(current_user, 'crm_manager', 'MEMBER') THEN
			RAISE EXCEPTION 'role % cannot approve quote %', current_user, OLD.id
				USING ERRCODE = 'insufficient_privilege',
					  HINT = 'A member of crm_manager approves quotes.';
		END IF;
		NEW.approved_by := current_user;
		NEW.approved_at := now();
	ELSE
		NEW.approved_by := OLD.approved_by;
		NEW.approved_at := OLD.approved_at;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.quotes_before() IS
	'Trigger: checks status moves of crm.quotes (draft -> submitted -> approved or rejected; submitted -> draft), keeps the terms of a quote that is no longer a draft, lets a member of crm_manager approve and stamps approved_by and approved_at';

CREATE TRIGGER quotes_before
	BEFORE UPDATE ON @extschema@.quotes
	FOR EACH ROW EXECUTE FUNCTION @extschema@.quotes_before();

-- Rows that belong to an opportunity or a contract carry its customer_id
-- (the key they share with it); on a single node it may be left out and is
-- filled in.  Under Citus the coordinator needs it to route the row, and
-- says so.  The trigger's argument names the parent: opportunity or contract.
CREATE FUNCTION @extschema@.parent_customer()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parent_id bigint;
BEGIN
	IF TG_ARGV[0] = 'opportunity' THEN
		parent_id := NEW.opportunity_id;
		SELECT o.customer_id INTO NEW.customer_id FROM @extschema@.opportunities o WHERE o.id = parent_id;
	ELSE
		parent_id := NEW.contract_id;
		SELECT k.customer_id INTO NEW.customer_id FROM @extschema@.contracts k WHERE k.id = parent_id;
	END IF;
	IF NEW.customer_id IS NULL THEN
		RAISE EXCEPTION '% % does not exist', TG_ARGV[0], parent_id
			USING ERRCODE = 'foreign_key_violation',
				  HINT = format('A row of crm.%s needs an existing %s.', TG_TABLE_NAME, TG_ARGV[0]);
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.parent_customer() IS
	'Trigger: fills in customer_id of a new row of crm.opportunity_owners, crm.opportunity_history, crm.quotes, crm.opportunity_approvals, crm.contract_versions or crm.contract_history from its opportunity or contract when it was left out';

CREATE TRIGGER opportunity_owners_customer
	BEFORE INSERT ON @extschema@.opportunity_owners
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('opportunity');
CREATE TRIGGER opportunity_history_customer
	BEFORE INSERT ON @extschema@.opportunity_history
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('opportunity');
-- before quotes_version, which needs it
CREATE TRIGGER quotes_customer
	BEFORE INSERT ON @extschema@.quotes
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('opportunity');
-- before opportunity_approvals_stamp, which needs it
CREATE TRIGGER opportunity_approvals_customer
	BEFORE INSERT ON @extschema@.opportunity_approvals
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('opportunity');
CREATE TRIGGER opportunity_approvals_stamp
	BEFORE INSERT OR UPDATE ON @extschema@.opportunity_approvals
	FOR EACH ROW EXECUTE FUNCTION @extschema@.opportunity_approvals_before();
CREATE TRIGGER contract_versions_customer
	BEFORE INSERT ON @extschema@.contract_versions
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('contract');
CREATE TRIGGER contract_history_customer
	BEFORE INSERT ON @extschema@.contract_history
	FOR EACH ROW WHEN (NEW.customer_id IS NULL)
	EXECUTE FUNCTION @extschema@.parent_customer('contract');

-- Only an archived opportunity is purged by hand (its history goes with it
-- and is kept in the audit log); deleting its customer deletes every deal
-- (a cascade: trigger depth above 1).  A contract outlives the opportunity
-- it closed: deleting the opportunity detaches its contracts (the foreign
-- key includes customer_id, so ON DELETE SET NULL would clear that too).
CREATE FUNCTION @extschema@.opportunities_delete()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF OLD.status <> 'archived' AND pg_trigger_depth() = 1 THEN
		RAISE EXCEPTION 'opportunity % is %: only archived opportunities can be deleted', OLD.id, OLD.status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = CASE WHEN OLD.status IN ('open', 'suspended')
							  THEN 'Close it (won, lost or terminated, with a closing summary), archive it, then delete it.'
							  ELSE 'Archive it first (status archived), then delete it.' END;
	END IF;
	UPDATE @extschema@.contracts k SET opportunity_id = NULL
	 WHERE k.customer_id = OLD.customer_id AND k.opportunity_id = OLD.id;
	RETURN OLD;
END;
$$;
COMMENT ON FUNCTION @extschema@.opportunities_delete() IS
	'Trigger: refuses to delete an opportunity that is not archived (55000) unless its customer is deleted; before an opportunity is deleted, its contracts lose their opportunity_id';

CREATE TRIGGER opportunities_delete
	BEFORE DELETE ON @extschema@.opportunities
	FOR EACH ROW EXECUTE FUNCTION @extschema@.opportunities_delete();

--------------------------------------------------------------------------
-- Campaigns
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.campaigns_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.status IN ('approved', 'active', 'completed') AND NEW.approved_by IS NULL THEN
			RAISE EXCEPTION 'campaign % is % but names no approver', NEW.name, NEW.status
				USING ERRCODE = 'check_violation',
					  HINT = 'Set approved_by, or enter the campaign as planned or submitted and approve it with an UPDATE of its status.';
		END IF;
		RETURN NEW;
	END IF;
	PERFORM @extschema@.check_status_transition('campaign', OLD.id, OLD.status::text, NEW.status::text);
	-- the approver: the role named, or the role approving
	IF NEW.status = 'approved' AND OLD.status <> 'approved' AND NEW.approved_by IS NULL THEN
		NEW.approved_by := current_user;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.campaigns_before() IS
	'Trigger: checks status moves of crm.campaigns; a campaign approved without approved_by is approved by the role making the change; a campaign entered approved, active or completed must name its approver (23514)';

CREATE TRIGGER campaigns_before
	BEFORE INSERT OR UPDATE OF status ON @extschema@.campaigns
	FOR EACH ROW EXECUTE FUNCTION @extschema@.campaigns_before();

--------------------------------------------------------------------------
-- Contracts
--------------------------------------------------------------------------

-- Enforce the state machine; a change of terms archives the old terms as a
-- version of their own and numbers the new terms as the next version.
CREATE FUNCTION @extschema@.contracts_before()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	since timestamptz;
BEGIN
	PERFORM @extschema@.check_status_transition('contract', OLD.id, OLD.status::text, NEW.status::text);
	IF (NEW.amount, NEW.starts_on, NEW.ends_on, NEW.terms)
	   IS DISTINCT FROM (OLD.amount, OLD.starts_on, OLD.ends_on, OLD.terms) THEN
		IF OLD.status IN ('completed', 'closed') THEN
			RAISE EXCEPTION 'contract % is %: its terms cannot change', OLD.id, OLD.status
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'Write a new contract for new terms.';
		END IF;
		SELECT v.replaced_at INTO since
		  FROM @extschema@.contract_versions v
		 WHERE v.customer_id = OLD.customer_id AND v.contract_id = OLD.id AND v.version = OLD.version - 1;
		INSERT INTO @extschema@.contract_versions
			(customer_id, contract_id, version, amount, starts_on, ends_on, terms, valid_from)
		VALUES
			(OLD.customer_id, OLD.id, OLD.version, OLD.amount, OLD.starts_on, OLD.ends_on, OLD.terms,
			 coalesce(since, OLD.created_at));
		NEW.version := OLD.version + 1;
	ELSE
		NEW.version := OLD.version;
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.contracts_before() IS
	'Trigger (SECURITY DEFINER: it writes crm.contract_versions): checks status moves of crm.contracts, versions changes of terms, sets updated_at';

CREATE TRIGGER contracts_before
	BEFORE UPDATE ON @extschema@.contracts
	FOR EACH ROW EXECUTE FUNCTION @extschema@.contracts_before();

CREATE FUNCTION @extschema@.contracts_history()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO @extschema@.contract_history
		(customer_id, contract_id, changed_at, old_status, new_status, old_percent, new_percent)
	VALUES
		(NEW.customer_id, NEW.id, NEW.updated_at, OLD.status, NEW.status, OLD.percent_complete, NEW.percent_complete);
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.contracts_history() IS
	'Trigger (SECURITY DEFINER: no role but the extension owner writes history): writes a crm.contract_history row for a change of status or percent complete';

CREATE TRIGGER contracts_history
	AFTER UPDATE ON @extschema@.contracts
	FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status
		  OR OLD.percent_complete IS DISTINCT FROM NEW.percent_complete)
	EXECUTE FUNCTION @extschema@.contracts_history();

--------------------------------------------------------------------------
-- Customers, contacts, pipeline stages
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.touch_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.touch_updated_at() IS
	'Trigger: sets updated_at to the transaction time';

CREATE TRIGGER customers_touch
	BEFORE UPDATE ON @extschema@.customers
	FOR EACH ROW EXECUTE FUNCTION @extschema@.touch_updated_at();

-- A contact may not (indirectly) report to themselves.
CREATE FUNCTION @extschema@.contacts_no_cycle()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- reports_to stays within one customer: changes of one customer's
	-- hierarchy wait for each other, so two concurrent moves cannot close a
	-- cycle that neither sees
	PERFORM FROM @extschema@.customers c WHERE c.id = NEW.customer_id FOR NO KEY UPDATE;
	IF EXISTS (
		WITH RECURSIVE chain(id) AS (
			SELECT NEW.reports_to
			UNION
			SELECT c.reports_to
			  FROM chain JOIN @extschema@.contacts c ON c.id = chain.id
			 WHERE c.customer_id = NEW.customer_id AND c.reports_to IS NOT NULL)
		SELECT 1 FROM chain WHERE chain.id = NEW.id)
	THEN
		RAISE EXCEPTION 'contact % cannot report to contact %: that would make a reporting cycle', NEW.id, NEW.reports_to
			USING ERRCODE = 'check_violation',
				  HINT = 'reports_to must point up the hierarchy, never to the contact itself or to someone who reports to it.';
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.contacts_no_cycle() IS
	'Trigger: rejects a reports_to that closes a cycle in crm.contacts';

CREATE TRIGGER contacts_no_cycle
	BEFORE UPDATE OF reports_to ON @extschema@.contacts
	FOR EACH ROW WHEN (NEW.reports_to IS NOT NULL)
	EXECUTE FUNCTION @extschema@.contacts_no_cycle();

-- The chain of people a contact reports to, the contact first.
CREATE FUNCTION @extschema@.decision_path(contact_id bigint)
RETURNS TABLE (level integer, id bigint, name text, title text, decision_role text)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cust bigint;
BEGIN
	-- the chain stays within the contact's customer: one shard under Citus
	SELECT c.customer_id INTO cust FROM @extschema@.contacts c WHERE c.id = decision_path.contact_id;
	RETURN QUERY
	WITH RECURSIVE chain AS (
		SELECT 0 AS level, c.id, c.name, c.title, c.decision_role, c.reports_to, ARRAY[c.id] AS path
		  FROM @extschema@.contacts c
		 WHERE c.customer_id = cust AND c.id = decision_path.contact_id
		UNION ALL
		SELECT chain.level + 1, c.id, c.name, c.title, c.decision_role, c.reports_to, chain.path || c.id
		  FROM chain JOIN @extschema@.contacts c ON c.id = chain.reports_to
		 WHERE c.customer_id = cust
		   AND c.id <> ALL (chain.path)	-- stop at a cycle written around the trigger
	)
	SELECT chain.level, chain.id, chain.name, chain.title, chain.decision_role
	  FROM chain ORDER BY chain.level;
END;
$$;
COMMENT ON FUNCTION @extschema@.decision_path(bigint) IS
	'The decision path above a contact: level 0 is the contact, level 1 whom they report to, and so on up';

-- Rows shipped by the extension are marked builtin until changed; pg_dump
-- leaves out the untouched ones, which CREATE EXTENSION writes again.  A
-- user's edit of a shipped row is dumped, and at restore it meets the row
-- CREATE EXTENSION just wrote: so an inserted row replaces an untouched
-- shipped row with the same stage or position (saying so), unless that
-- shipped stage is in use.  Any row written by a user is not builtin.
CREATE FUNCTION @extschema@.pipeline_stages_before()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	shipped record;
BEGIN
	NEW.builtin := false;
	IF TG_OP = 'INSERT' THEN
		FOR shipped IN
			SELECT s.stage, s.position FROM @extschema@.pipeline_stages s
			 WHERE s.builtin
			   AND s.pipeline = NEW.pipeline
			   AND (s.stage = NEW.stage OR s.position = NEW.position)
		LOOP
			IF EXISTS (SELECT FROM @extschema@.opportunities o
						WHERE o.pipeline = NEW.pipeline AND o.stage = shipped.stage) THEN
				RAISE EXCEPTION 'stage "%" of pipeline "%" is in use: a new stage cannot take its place', shipped.stage, NEW.pipeline
					USING ERRCODE = 'unique_violation',
						  HINT = format('Change the existing stage with UPDATE crm.pipeline_stages ... WHERE pipeline = %L AND stage = %L.',
										NEW.pipeline, shipped.stage);
			END IF;
			RAISE NOTICE 'stage "%" (position %) replaces the shipped stage "%" (position %) of pipeline "%"',
				NEW.stage, NEW.position, shipped.stage, shipped.position, NEW.pipeline;
			DELETE FROM @extschema@.pipeline_stages s
			 WHERE s.pipeline = NEW.pipeline AND s.stage = shipped.stage;
		END LOOP;
	END IF;
	RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.pipeline_stages_before() IS
	'Trigger: an inserted stage replaces an untouched shipped row with the same stage or position (NOTICE; error when that stage is in use); every written row is the user''s (builtin = false)';

CREATE TRIGGER pipeline_stages_before
	BEFORE INSERT OR UPDATE ON @extschema@.pipeline_stages
	FOR EACH ROW EXECUTE FUNCTION @extschema@.pipeline_stages_before();
