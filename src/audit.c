/*
 * audit.c: who made a change, for the audit trail (audit.sql).
 *
 * The audit triggers are SECURITY DEFINER so that ordinary roles need no
 * privilege on crm.audit_log (and so cannot forge or alter its rows).  Inside
 * a SECURITY DEFINER function current_user is the function's owner, not the
 * role that changed the data; PostgreSQL keeps that role as the "outer" user
 * id (the role set by login or SET ROLE, which SECURITY DEFINER does not
 * change), and that is what these functions report.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(crm_audit_actor);
PG_FUNCTION_INFO_V1(crm_audit_skip);

/* The role that made the change: current_user outside SECURITY DEFINER. */
Datum
crm_audit_actor(PG_FUNCTION_ARGS)
{
	char	   *name = GetUserNameFromId(GetOuterUserId(), true);

	if (name == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(name));
}

/*
 * Whether this change is not to be audited: only ever for a superuser (who
 * could disable the triggers anyway), when pg_restore reloads a dump (whose
 * crm.audit_log already holds the rows' history) or when the superuser's
 * transaction has set crm.audit = off.  Any other role is always audited,
 * whatever it sets.
 */
Datum
crm_audit_skip(PG_FUNCTION_ARGS)
{
	const char *app;
	const char *setting;

	if (!superuser_arg(GetOuterUserId()))
		PG_RETURN_BOOL(false);
	app = GetConfigOption("application_name", true, false);
	if (app != NULL && strcmp(app, "pg_restore") == 0)
		PG_RETURN_BOOL(true);
	setting = GetConfigOption("crm.audit", true, false);
	PG_RETURN_BOOL(setting != NULL && pg_strcasecmp(setting, "off") == 0);
}
