/*
 * util.c: helpers shared by the C files of crm (see util.h).
 *
 * crm_numeric_to_money reads numeric's on-disk representation directly:
 * base-10000 digits with a weight and a sign, the format that pg_upgrade
 * relies on staying stable.  Going through numeric_out and a string per row
 * would cost several times more than the aggregate itself.
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "pgtime.h"

#include "util.h"

/* numeric header layout (src/backend/utils/adt/numeric.c, on-disk format) */
#define NUMERIC_FLAG_MASK		0xC000
#define NUMERIC_FLAG_NEG		0x4000
#define NUMERIC_FLAG_SHORT		0x8000
#define NUMERIC_FLAG_SPECIAL	0xC000
#define NUMERIC_SHORT_SIGN		0x2000
#define NUMERIC_SHORT_DSCALE_MASK	0x1F80
#define NUMERIC_SHORT_DSCALE_SHIFT	7
#define NUMERIC_SHORT_WEIGHT_SIGN	0x0040
#define NUMERIC_SHORT_WEIGHT_MASK	0x003F
#define NUMERIC_LONG_DSCALE_MASK	0x3FFF
#define NUMERIC_BASE			10000

/* 10^14 currency units in 0.0001 units: the largest amount accepted, excluded */
#define CRM_MONEY_LIMIT			INT64CONST(1000000000000000000)

/* The parts of a numeric: sign, weight of the first digit, digits. */
typedef struct NumericParts
{
	bool		special;		/* NaN or +-Infinity */
	bool		negative;
	int			weight;			/* first digit is times NUMERIC_BASE^weight */
	int			dscale;
	int			ndigits;
	const uint16 *digits;
} NumericParts;

static void
numeric_parts(Numeric num, NumericParts *parts)
{
	const char *data = VARDATA_ANY(num);
	uint16		header;
	Size		size = VARSIZE_ANY_EXHDR(num);

	memcpy(&header, data, sizeof(uint16));
	parts->special = (header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_SPECIAL;
	if (parts->special)
	{
		parts->negative = false;
		parts->weight = parts->dscale = parts->ndigits = 0;
		parts->digits = NULL;
		return;
	}
	if ((header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_SHORT)
	{
		parts->negative = (header & NUMERIC_SHORT_SIGN) != 0;
		parts->dscale = (header & NUMERIC_SHORT_DSCALE_MASK) >> NUMERIC_SHORT_DSCALE_SHIFT;
		parts->weight = (header & NUMERIC_SHORT_WEIGHT_MASK);
		if (header & NUMERIC_SHORT_WEIGHT_SIGN)
			parts->weight |= ~NUMERIC_SHORT_WEIGHT_MASK;
		parts->digits = (const uint16 *) (data + sizeof(uint16));
		parts->ndigits = (size - sizeof(uint16)) / sizeof(uint16);
	}
	else
	{
		int16		weight;

		parts->negative = (header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_NEG;
		parts->dscale = header & NUMERIC_LONG_DSCALE_MASK;
		memcpy(&weight, data + sizeof(uint16), sizeof(int16));
		parts->weight = weight;
		parts->digits = (const uint16 *) (data + 2 * sizeof(uint16));
		parts->ndigits = (size - 2 * sizeof(uint16)) / sizeof(uint16);
	}
}

/*
 * The numeric as a count of 0.0001 units, rounded half away from zero
 * beyond four decimals.  Non-finite values and values of 10^14 or more are
 * refused: they are not amounts of money.
 */
int64
crm_numeric_to_money(Datum num, const char *what, int *dscale)
{
	NumericParts parts;
	int128		acc = 0;
	int			p;

	/* packed: a short-header value is read in place, not copied */
	numeric_parts((Numeric) PG_DETOAST_DATUM_PACKED(num), &parts);
	if (dscale)
		*dscale = parts.dscale;
	if (parts.special)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number", what),
				 errhint("Filter out NaN and infinite values.")));
	/* the groups of four digits from NUMERIC_BASE^weight down to 10^-4 */
	for (p = parts.weight; p >= -1 && acc < CRM_MONEY_LIMIT; p--)
	{
		int			i = parts.weight - p;

		acc = acc * NUMERIC_BASE + (i < parts.ndigits ? parts.digits[i] : 0);
	}
	if (acc >= CRM_MONEY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is out of range", what,
						DatumGetCString(DirectFunctionCall1(numeric_out, num))),
				 errhint("Amounts must be below 10^14 currency units.")));
	/* round on the next group (10^-5 to 10^-8) */
	{
		int			i = parts.weight + 2;

		if (i >= 0 && i < parts.ndigits && parts.digits[i] >= NUMERIC_BASE / 2)
			acc++;
	}
	return (int64) (parts.negative ? -acc : acc);
}

int64
crm_float8_to_money(double value, const char *what)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite number", what),
				 errhint("Filter out NaN and infinite values.")));
	if (fabs(value) * (double) CRM_MONEY_SCALE >= (double) CRM_MONEY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s %g is out of range", what, value),
				 errhint("Amounts must be below 10^14 currency units.")));
	return (int64) rint(value * (double) CRM_MONEY_SCALE);
}

/*
 * An amount in 0.0001 units as numeric with dscale decimals, or with as few
 * as it needs (trailing zeros dropped) when dscale < 0.  The decimals beyond
 * dscale are zero by construction (the inputs had no more).
 */
Datum
crm_money_to_numeric(int128 value, int dscale)
{
	int			drop;

	if (dscale < 0)
		for (dscale = CRM_MONEY_DIGITS; dscale > 0; dscale--)
		{
			int128		unit = 1;

			for (drop = dscale; drop < CRM_MONEY_DIGITS + 1; drop++)
				unit *= 10;
			if (value % (unit / 10) != 0)
				break;
		}
	for (drop = dscale; drop < CRM_MONEY_DIGITS; drop++)
		value /= 10;
	if (value >= PG_INT64_MIN && value <= PG_INT64_MAX)
		return NumericGetDatum(int64_div_fast_to_numeric((int64) value, dscale));

	/* beyond int64 (a sum of over 10^14 currency units): through text */
	{
		char		digits[48];
		char	   *p = digits + sizeof(digits) - 1;
		uint128		v = value < 0 ? -(uint128) value : (uint128) value;
		int			n = 0;

		*p = '\0';
		do
		{
			if (n++ == dscale && dscale > 0)
				*--p = '.';
			*--p = '0' + (int) (v % 10);
			v /= 10;
		} while (v > 0 || n <= dscale);
		if (value < 0)
			*--p = '-';
		return DirectFunctionCall3(numeric_in, CStringGetDatum(p),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}
}

int32
crm_day_of(Datum value, Oid type, const char *what, CrmDayCache *cache)
{
	TimestampTz ts;
	int64		local;

	if (type == DATEOID)
	{
		DateADT		day = DatumGetDateADT(value);

		if (DATE_NOT_FINITE(day))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be finite", what),
					 errhint("Filter out -infinity and infinity.")));
		return day;
	}

	ts = DatumGetTimestampTz(value);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be finite", what),
				 errhint("Filter out -infinity and infinity.")));

	if (cache->tz != session_timezone || ts < cache->from || ts >= cache->until)
	{
		/* the offset at ts, and the next time it changes */
		pg_time_t	t = (pg_time_t) (ts / USECS_PER_SEC -
									 (ts % USECS_PER_SEC < 0 ? 1 : 0)) +
			(pg_time_t) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
		long int	before_gmtoff,
					after_gmtoff;
		int			before_isdst,
					after_isdst;
		pg_time_t	boundary;
		int			found = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst,
												 &boundary, &after_gmtoff, &after_isdst,
												 session_timezone);

		if (found < 0)
			return DatumGetDateADT(DirectFunctionCall1(timestamptz_date, value));
		cache->tz = session_timezone;
		cache->from = ts;
		cache->until = found == 0 ? DT_NOEND :
			((TimestampTz) boundary - (TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) * USECS_PER_SEC;
		cache->offset = (int64) before_gmtoff * USECS_PER_SEC;
	}

	local = ts + cache->offset;
	return (int32) (local / USECS_PER_DAY - (local % USECS_PER_DAY < 0 ? 1 : 0));
}

TupleDesc
crm_result_tupdesc(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	return tupdesc;
}

ArrayType *
crm_float8_state_new(int nelems)
{
	Size		size = ARR_OVERHEAD_NONULLS(1) + (Size) nelems * sizeof(float8);
	ArrayType  *array = palloc0(size);

	SET_VARSIZE(array, size);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = FLOAT8OID;
	ARR_DIMS(array)[0] = nelems;
	ARR_LBOUND(array)[0] = 1;
	return array;
}

float8 *
crm_float8_state_values(ArrayType *array, const char *what, int *nelems)
{
	if (ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not a %s state: need a one-dimensional float8[] without NULLs", what),
				 errhint("Pass only states made by the aggregate's own transition and combine functions.")));
	*nelems = ARR_DIMS(array)[0];
	return (float8 *) ARR_DATA_PTR(array);
}

bool
crm_varlena_unchanged(Datum value, const char *bytes, Size len)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		return false;
	return bytes != NULL && VARSIZE_ANY_EXHDR(v) == len && memcmp(VARDATA_ANY(v), bytes, len) == 0;
}
