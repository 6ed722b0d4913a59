/*
 * distribute.c: the guard that keeps DROP EXTENSION crm from leaving shards
 * behind on a Citus cluster.
 *
 * After crm.distribute() (distribute.sql) the rows of crm live in shards,
 * tables that Citus created on every node beside the extension's own tables.
 * Citus drops the shards of a table when the table is dropped by DROP TABLE,
 * but not when it goes with its extension: DROP EXTENSION crm CASCADE on the
 * coordinator left 83 shard relations on each node.  crm.undistribute() brings
 * the rows back into the coordinator's tables and drops the shards; this
 * event trigger (ddl_command_start, tag DROP EXTENSION) refuses to drop crm
 * before that, with the hint.  It reads the statement itself, so that
 * dropping any other extension is not affected.
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(crm_drop_guard);

/*
 * Whether crm's tables are distributed: crm.is_distributed() (in whatever
 * schema crm is), by SPI.
 */
static bool
crm_is_distributed(void)
{
	bool		distributed = false;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm_drop_guard: SPI_connect failed");
	if (SPI_execute("SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
					" JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
					" WHERE e.extname OPERATOR(pg_catalog.=) 'crm'", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (schema != NULL &&
			SPI_execute(psprintf("SELECT %s.is_distributed()", schema), true, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			Datum		value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			distributed = !isnull && DatumGetBool(value);
		}
	}
	SPI_finish();
	return distributed;
}

/*
 * crm_drop_guard: ERROR on DROP EXTENSION naming crm while crm is
 * distributed; nothing otherwise.
 */
Datum
crm_drop_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	DropStmt   *stmt;
	ListCell   *lc;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "crm_drop_guard: not called by the event trigger manager");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (trigdata->parsetree == NULL || !IsA(trigdata->parsetree, DropStmt))
		PG_RETURN_VOID();
	stmt = (DropStmt *) trigdata->parsetree;
	if (stmt->removeType != OBJECT_EXTENSION)
		PG_RETURN_VOID();
	if (get_extension_oid("crm", true) == InvalidOid)
		PG_RETURN_VOID();
	foreach(lc, stmt->objects)
	{
		Node	   *object = (Node *) lfirst(lc);

		if (IsA(object, String) && strcmp(strVal(object), "crm") == 0 &&
			crm_is_distributed())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot drop extension crm while its tables are distributed"),
					 errdetail("Citus does not drop the shards of tables that belong to an extension: they would stay on every node."),
					 errhint("Run SELECT crm.undistribute() first (it brings the rows back into plain tables on the coordinator), then DROP EXTENSION crm.")));
	}
	PG_RETURN_VOID();
}
