/*
 * auc.c: crm.auc(score, label), the exact area under the ROC curve of a
 * scoring: the probability that a random positive scores above a random
 * negative, ties counted half (the Mann-Whitney U statistic / (P x N)).
 *
 * Being exact, the aggregate keeps every score: 8 bytes per row, in two
 * arrays (positives, negatives) sorted in the final function, O(n log n).
 * The state is internal with serialize/deserialize and combine, so parallel
 * query splits it; under Citus an internal state is not pushed down, so the
 * rows are gathered on the coordinator (see SCALE-OUT.md).
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

typedef struct AucState
{
	int64		n[2];			/* [0] negatives, [1] positives */
	int64		cap[2];
	double	   *v[2];
} AucState;

static AucState *
auc_new(MemoryContext cxt)
{
	AucState   *s = MemoryContextAllocZero(cxt, sizeof(AucState));
	int			k;

	for (k = 0; k < 2; k++)
	{
		s->cap[k] = 64;
		s->v[k] = MemoryContextAlloc(cxt, sizeof(double) * s->cap[k]);
	}
	return s;
}

static void
auc_reserve(AucState *s, int k, int64 more)
{
	if (s->n[k] + more > s->cap[k])
	{
		while (s->n[k] + more > s->cap[k])
			s->cap[k] *= 2;
		s->v[k] = repalloc_huge(s->v[k], sizeof(double) * s->cap[k]);
	}
}

static MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return cxt;
}

PG_FUNCTION_INFO_V1(crm_auc_trans);
Datum
crm_auc_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = agg_context(fcinfo, "crm_auc_trans");
	AucState   *s = PG_ARGISNULL(0) ? NULL : (AucState *) PG_GETARG_POINTER(0);
	int			k;
	double		score;

	if (s == NULL)
		s = auc_new(cxt);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);	/* rows without a score or a label do not count */
	score = PG_GETARG_FLOAT8(1);

	/*
	 * NaN has no place in a ranking (PostgreSQL sorts it above Infinity, so
	 * it would count as the top score); infinite scores rank as they should.
	 */
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score must be a number"),
				 errdetail("Given: NaN."),
				 errhint("Filter out NaN scores, or pass NULL for rows without a score: those are ignored.")));
	k = PG_GETARG_BOOL(2) ? 1 : 0;
	auc_reserve(s, k, 1);
	s->v[k][s->n[k]++] = score;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(crm_auc_combine);
Datum
crm_auc_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = agg_context(fcinfo, "crm_auc_combine");
	AucState   *a = PG_ARGISNULL(0) ? NULL : (AucState *) PG_GETARG_POINTER(0);
	AucState   *b = PG_ARGISNULL(1) ? NULL : (AucState *) PG_GETARG_POINTER(1);
	int			k;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = auc_new(cxt);
	for (k = 0; k < 2; k++)
	{
		auc_reserve(a, k, b->n[k]);
		memcpy(a->v[k] + a->n[k], b->v[k], sizeof(double) * b->n[k]);
		a->n[k] += b->n[k];
	}
	PG_RETURN_POINTER(a);
}

/* version 1: int8 version, int64 negatives, int64 positives, then the float8 scores */
PG_FUNCTION_INFO_V1(crm_auc_serialize);
Datum
crm_auc_serialize(PG_FUNCTION_ARGS)
{
	AucState   *s = (AucState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			k;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendint8(&buf, 1);
	pq_sendint64(&buf, s->n[0]);
	pq_sendint64(&buf, s->n[1]);
	for (k = 0; k < 2; k++)
		for (i = 0; i < s->n[k]; i++)
			pq_sendfloat8(&buf, s->v[k][i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_auc_deserialize);
Datum
crm_auc_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext cxt = agg_context(fcinfo, "crm_auc_deserialize");
	StringInfoData buf;
	AucState   *s;
	int64		n[2];
	int			k;
	int64		i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 17 || pq_getmsgint(&buf, 1) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.auc state of %d bytes", buf.len),
				 errhint("Pass only states made by crm.auc_serialize.")));
	n[0] = pq_getmsgint64(&buf);
	n[1] = pq_getmsgint64(&buf);
	if (n[0] < 0 || n[1] < 0 || n[0] > (buf.len - 17) / 8 || n[1] > (buf.len - 17) / 8 ||
		17 + 8 * (n[0] + n[1]) != buf.len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid crm.auc state"),
				 errdetail("The state claims " INT64_FORMAT " + " INT64_FORMAT " scores in %d bytes.",
						   n[0], n[1], buf.len),
				 errhint("Pass only states made by crm.auc_serialize.")));
	s = auc_new(cxt);
	for (k = 0; k < 2; k++)
	{
		auc_reserve(s, k, n[k]);
		for (i = 0; i < n[k]; i++)
			s->v[k][i] = pq_getmsgfloat8(&buf);
		s->n[k] = n[k];
	}
	PG_RETURN_POINTER(s);
}

/* SQL's float8 order (the transition function keeps NaN out) */
static int
cmp_score(const void *a, const void *b)
{
	return float8_cmp_internal(*(const double *) a, *(const double *) b);
}

PG_FUNCTION_INFO_V1(crm_auc_final);
Datum
crm_auc_final(PG_FUNCTION_ARGS)
{
	AucState   *s = PG_ARGISNULL(0) ? NULL : (AucState *) PG_GETARG_POINTER(0);
	int64		i,
				lt = 0,
				le = 0;
	int128		twice_u = 0;
	double	   *neg,
			   *pos;

	if (s == NULL || s->n[0] == 0 || s->n[1] == 0)
		PG_RETURN_NULL();		/* undefined without both classes */
	neg = s->v[0];
	pos = s->v[1];
	qsort(neg, s->n[0], sizeof(double), cmp_score);
	qsort(pos, s->n[1], sizeof(double), cmp_score);
	/* for each positive (ascending): negatives below it, and equal to it */
	for (i = 0; i < s->n[1]; i++)
	{
		while (lt < s->n[0] && float8_cmp_internal(neg[lt], pos[i]) < 0)
			lt++;
		if (le < lt)
			le = lt;
		while (le < s->n[0] && float8_cmp_internal(neg[le], pos[i]) <= 0)
			le++;
		twice_u += 2 * lt + (le - lt);
	}
	PG_RETURN_FLOAT8((double) twice_u / (2.0 * (double) s->n[0] * (double) s->n[1]));
}
