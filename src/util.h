/*
 * util.h: helpers shared by the C files of crm.
 *
 * Money is handled as exact integers of CRM_MONEY_SCALE units per currency
 * unit (0.0001), summed in int128, so aggregates reproduce SQL's numeric
 * sums exactly and never lose a cent to floating point.
 */
#ifndef CRM_UTIL_H
#define CRM_UTIL_H

#include "fmgr.h"
#include "access/tupdesc.h"
#include "utils/array.h"
#include "datatype/timestamp.h"

#define CRM_MONEY_DIGITS 4
#define CRM_MONEY_SCALE INT64CONST(10000)

/*
 * A numeric or float8 amount in units of 0.0001; what names the argument.
 * For numeric, *dscale (when not NULL) receives its decimals as written.
 */
extern int64 crm_numeric_to_money(Datum num, const char *what, int *dscale);
extern int64 crm_float8_to_money(double value, const char *what);

/* an amount in units of 0.0001 as numeric with dscale decimals (0..4; < 0: as few as needed) */
extern Datum crm_money_to_numeric(int128 value, int dscale);

/*
 * The day (DateADT) of a date, or of a timestamptz in the session time zone
 * as ::date gives it.  A call site keeps a CrmDayCache (zeroed at first): the
 * UTC offset of the time zone and the interval it holds for, so most rows
 * cost a comparison and a division.
 */
typedef struct CrmDayCache
{
	void	   *tz;				/* the pg_tz the interval belongs to */
	TimestampTz from;			/* the offset holds from here ... */
	TimestampTz until;			/* ... to before here */
	int64		offset;			/* local time - UTC, microseconds */
} CrmDayCache;

extern int32 crm_day_of(Datum value, Oid type, const char *what, CrmDayCache *cache);

/*
 * The blessed descriptor of the calling function's row type, looked up once
 * per call site (kept in fn_extra, which the caller must not use otherwise).
 */
extern TupleDesc crm_result_tupdesc(FunctionCallInfo fcinfo);

/*
 * Aggregate states kept as plain float8[] (so that Citus and parallel query
 * ship them as they are): a new one-dimensional array of nelems zeros, and
 * the values of one after checking that it is one-dimensional float8
 * without NULLs (states reach the support functions from users); what
 * names the aggregate in the error, *nelems receives the length.
 */
extern ArrayType *crm_float8_state_new(int nelems);

extern float8 *crm_float8_state_values(ArrayType *array, const char *what, int *nelems);

/*
 * Is the varlena value byte for byte the len bytes kept (VARDATA of a copy)?
 * For the per-call-site caches of validated constant arguments (arrays of
 * cut points, conversion rates): a compressed or out-of-line value is never
 * "unchanged", so it is validated again.
 */
extern bool crm_varlena_unchanged(Datum value, const char *bytes, Size len);

#endif
