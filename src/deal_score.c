/*
 * deal_score.c: deal scoring by naive Bayes, with the reasons of each score.
 *
 * The model (Odoo's predictive lead scoring is the same idea): a deal is a
 * set of features "field=value" (stage=bid, product=software, a binned
 * amount such as amount=10k-50k, ...), and
 *
 *   log odds(won) = log((W + a) / (L + a))
 *                 + sum over the deal's features f of log(P(f | won) / P(f | lost))
 *
 *   P(f | class)  = (n(f, class) + a) / (n(field of f, class) + a * (V + 1))
 *
 * with W and L the won and lost training deals, n(f, class) how often
 * feature f was seen with the class, n(field, class) how often the field
 * had any value, V the number of values of the field seen in training (the
 * + 1 leaves room for a value never seen) and a = 1 (Laplace smoothing).
 * A feature of a field the model has never seen adds nothing.  The score
 * is 1 / (1 + exp(-log odds)); each feature's term, as an odds factor
 * exp(term), is its reason: the largest raise the score, the smallest
 * lower it.
 *
 * Training, crm.nb_train(features text[], won boolean), is an aggregate
 * whose state is a table of counts per feature: merging two states adds
 * their counts, so training parallelizes (internal state with serialize,
 * deserialize and combine) and a model never goes stale by concurrent
 * writes to a shared frequency table -- it is computed from the closed
 * deals when wanted, and each score is computed on read.  The final
 * function returns a crm.nb_model (won, lost, alpha, features and their
 * won and lost counts, sorted by feature).  The scoring functions read a
 * model once per call site (kept in fn_extra while the same model comes).
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include <math.h>

#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "util.h"

#define NB_KEY_MAX 256			/* a feature's bytes, with its terminator */
#define NB_ALPHA 1.0			/* Laplace smoothing of a new model */
#define NB_SERIAL_VERSION 1

/* one feature's counts, in the training state and in a loaded model */
typedef struct NbEntry
{
	char		key[NB_KEY_MAX];
	double		won;
	double		lost;
	int			field;			/* loaded model: index into NbModel.fields */
	double		term;			/* loaded model: log(P(f | won) / P(f | lost)) */
} NbEntry;

/* the training state */
typedef struct NbState
{
	double		won;
	double		lost;
	HTAB	   *counts;
} NbState;

static MemoryContext
nb_agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return cxt;
}

static HTAB *
nb_table(MemoryContext cxt, long size)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NB_KEY_MAX;
	ctl.entrysize = sizeof(NbEntry);
	ctl.hcxt = cxt;
	return hash_create("crm naive Bayes counts", size, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

static NbState *
nb_state_new(MemoryContext cxt)
{
	NbState    *s = MemoryContextAllocZero(cxt, sizeof(NbState));

	s->counts = nb_table(cxt, 64);
	return s;
}

/*
 * A feature "field=value" as a hash key: not empty, with a field name
 * before its first '=', shorter than NB_KEY_MAX bytes.  *field_len gets
 * the length of the field name.
 */
static void
nb_check_feature(const char *f, int len, int *field_len)
{
	const char *eq = memchr(f, '=', len);

	if (len >= NB_KEY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a feature must be shorter than %d bytes", NB_KEY_MAX),
				 errdetail("Given: a feature of %d bytes starting \"%.*s\".", len, pg_mbcliplen(f, len, 40), f),
				 errhint("Shorten or bin the value, e.g. amount=10k-50k rather than a long text.")));
	if (eq == NULL || eq == f)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a feature must be written field=value"),
				 errdetail("Given: \"%.*s\".", len, f),
				 errhint("Name the field before an equals sign, e.g. 'stage=' || stage; a NULL element is skipped.")));
	*field_len = eq - f;
}

PG_FUNCTION_INFO_V1(crm_nb_train_trans);
Datum
crm_nb_train_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = nb_agg_context(fcinfo, "crm_nb_train_trans");
	NbState    *s = PG_ARGISNULL(0) ? NULL : (NbState *) PG_GETARG_POINTER(0);
	ArrayType  *features;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	bool		won;

	if (s == NULL)
		s = nb_state_new(cxt);
	/* a deal without an outcome or without features teaches nothing */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	features = PG_GETARG_ARRAYTYPE_P(1);
	won = PG_GETARG_BOOL(2);
	if (ARR_NDIM(features) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array"),
				 errdetail("Given: an array of %d dimensions.", ARR_NDIM(features)),
				 errhint("Pass ARRAY['stage=' || stage, 'product=' || product, ...].")));
	deconstruct_array(features, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		text	   *t;
		char		key[NB_KEY_MAX];
		int			len,
					field_len;
		bool		found;
		NbEntry    *e;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		len = VARSIZE_ANY_EXHDR(t);
		nb_check_feature(VARDATA_ANY(t), len, &field_len);
		memset(key, 0, sizeof(key));
		memcpy(key, VARDATA_ANY(t), len);
		e = hash_search(s->counts, key, HASH_ENTER, &found);
		if (!found)
			e->won = e->lost = 0;
		if (won)
			e->won += 1;
		else
			e->lost += 1;
	}
	if (won)
		s->won += 1;
	else
		s->lost += 1;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(crm_nb_train_combine);
Datum
crm_nb_train_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = nb_agg_context(fcinfo, "crm_nb_train_combine");
	NbState    *a = PG_ARGISNULL(0) ? NULL : (NbState *) PG_GETARG_POINTER(0);
	NbState    *b = PG_ARGISNULL(1) ? NULL : (NbState *) PG_GETARG_POINTER(1);
	HASH_SEQ_STATUS it;
	NbEntry    *e;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = nb_state_new(cxt);
	hash_seq_init(&it, b->counts);
	while ((e = hash_seq_search(&it)) != NULL)
	{
		bool		found;
		NbEntry    *t = hash_search(a->counts, e->key, HASH_ENTER, &found);

		if (!found)
			t->won = t->lost = 0;
		t->won += e->won;
		t->lost += e->lost;
	}
	a->won += b->won;
	a->lost += b->lost;
	PG_RETURN_POINTER(a);
}

/*
 * Version 1: int8 version, float8 won, float8 lost, int32 features, then
 * per feature int32 length, its bytes, float8 won, float8 lost.
 */
PG_FUNCTION_INFO_V1(crm_nb_train_serialize);
Datum
crm_nb_train_serialize(PG_FUNCTION_ARGS)
{
	NbState    *s = (NbState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	HASH_SEQ_STATUS it;
	NbEntry    *e;

	pq_begintypsend(&buf);
	pq_sendint8(&buf, NB_SERIAL_VERSION);
	pq_sendfloat8(&buf, s->won);
	pq_sendfloat8(&buf, s->lost);
	pq_sendint32(&buf, (int32) hash_get_num_entries(s->counts));
	hash_seq_init(&it, s->counts);
	while ((e = hash_seq_search(&it)) != NULL)
	{
		int			len = strlen(e->key);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, e->key, len);
		pq_sendfloat8(&buf, e->won);
		pq_sendfloat8(&buf, e->lost);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
nb_bad_state(int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid crm.nb_train state of %d bytes", len),
			 errhint("Pass only states made by crm.nb_train_serialize.")));
}

PG_FUNCTION_INFO_V1(crm_nb_train_deserialize);
Datum
crm_nb_train_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext cxt = nb_agg_context(fcinfo, "crm_nb_train_deserialize");
	StringInfoData buf;
	NbState    *s;
	int32		n,
				i;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 21 || pq_getmsgint(&buf, 1) != NB_SERIAL_VERSION)
		nb_bad_state(buf.len);
	s = nb_state_new(cxt);
	s->won = pq_getmsgfloat8(&buf);
	s->lost = pq_getmsgfloat8(&buf);
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > (buf.len - 21) / 20 || !(s->won >= 0) || !(s->lost >= 0))
		nb_bad_state(buf.len);
	for (i = 0; i < n; i++)
	{
		char		key[NB_KEY_MAX];
		int32		len;
		int			field_len;
		bool		found;
		NbEntry    *e;

		if (buf.len - buf.cursor < 4)
			nb_bad_state(buf.len);
		len = pq_getmsgint(&buf, 4);
		if (len <= 0 || len >= NB_KEY_MAX || buf.len - buf.cursor < len + 16)
			nb_bad_state(buf.len);
		memset(key, 0, sizeof(key));
		memcpy(key, pq_getmsgbytes(&buf, len), len);
		nb_check_feature(key, len, &field_len);
		e = hash_search(s->counts, key, HASH_ENTER, &found);
		if (found)
			nb_bad_state(buf.len);
		e->won = pq_getmsgfloat8(&buf);
		e->lost = pq_getmsgfloat8(&buf);
		if (!(e->won >= 0) || !(e->lost >= 0))
			nb_bad_state(buf.len);
	}
	if (buf.cursor != buf.len)
		nb_bad_state(buf.len);
	PG_RETURN_POINTER(s);
}

static int
nb_entry_cmp(const void *a, const void *b)
{
	return strcmp((*(NbEntry *const *) a)->key, (*(NbEntry *const *) b)->key);
}

/* crm.nb_model: (won, lost, alpha, features, won_counts, lost_counts) */
PG_FUNCTION_INFO_V1(crm_nb_train_final);
Datum
crm_nb_train_final(PG_FUNCTION_ARGS)
{
	NbState    *s = PG_ARGISNULL(0) ? NULL : (NbState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	long		n,
				i;
	NbEntry   **sorted;
	Datum	   *keys,
			   *won,
			   *lost;
	HASH_SEQ_STATUS it;
	NbEntry    *e;

	if (s == NULL || s->won + s->lost == 0)
		PG_RETURN_NULL();		/* no deal with an outcome: no model */
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "crm_nb_train_final must return a composite type");
	desc = BlessTupleDesc(desc);
	n = hash_get_num_entries(s->counts);
	sorted = palloc(sizeof(NbEntry *) * Max(n, 1));
	i = 0;
	hash_seq_init(&it, s->counts);
	while ((e = hash_seq_search(&it)) != NULL)
		sorted[i++] = e;
	qsort(sorted, n, sizeof(NbEntry *), nb_entry_cmp);
	keys = palloc(sizeof(Datum) * Max(n, 1));
	won = palloc(sizeof(Datum) * Max(n, 1));
	lost = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		keys[i] = CStringGetTextDatum(sorted[i]->key);
		won[i] = Float8GetDatum(sorted[i]->won);
		lost[i] = Float8GetDatum(sorted[i]->lost);
	}
	values[0] = Float8GetDatum(s->won);
	values[1] = Float8GetDatum(s->lost);
	values[2] = Float8GetDatum(NB_ALPHA);
	values[3] = PointerGetDatum(construct_array(keys, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(won, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[5] = PointerGetDatum(construct_array(lost, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * A model as scoring reads it: the features' counts in a hash table, and
 * per field its totals and number of values.
 */
typedef struct NbField
{
	double		won;			/* n(field, won) */
	double		lost;
	double		values;			/* V */
	double		unseen;			/* the term of a value never seen */
} NbField;

/*
 * A slot of the scoring table: open addressing over the features' hashes,
 * built once per model, so that a lookup hashes the feature's bytes once and
 * compares lengths before bytes (dynahash's string keys cost a strlen, a
 * strncmp over the key size and a call per lookup).
 */
typedef struct NbSlot
{
	const char *key;			/* NULL: empty */
	int			len;
	uint32		hash;
	double		term;
} NbSlot;

typedef struct NbModel
{
	char	   *bytes;			/* the model value it was read from */
	Size		len;
	char	   *raw;			/* that value as last passed (compressed or a
								 * TOAST pointer), NULL when not comparable */
	Size		rawlen;
	double		alpha;
	double		prior;			/* log((W + a) / (L + a)) */
	HTAB	   *counts;			/* NbEntry by feature */
	HTAB	   *fields;			/* NbFieldEntry by field name */
	NbField    *field;
	int			nfields;
	NbSlot	   *slots;			/* the features' terms, a power of 2 of them */
	uint32		mask;
} NbModel;

typedef struct NbFieldEntry
{
	char		key[NB_KEY_MAX];
	int			index;
} NbFieldEntry;

static void
nb_bad_model(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid crm.nb_model"),
			 errdetail("%s", detail),
			 errhint("Pass a model made by crm.nb_train, unchanged.")));
}

/* a float8 field of the model: finite and >= 0 (alpha: > 0) */
static double
nb_model_number(HeapTupleHeader row, const char *name, bool positive)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, name, &isnull);
	double		v;

	if (isnull)
		nb_bad_model(psprintf("Its %s is NULL.", name));
	v = DatumGetFloat8(d);
	if (isnan(v) || isinf(v) || v < 0 || (positive && v == 0))
		nb_bad_model(psprintf("Its %s is %g; it must be a finite number %s.", name, v, positive ? "above 0" : "of 0 or more"));
	return v;
}

static ArrayType *
nb_model_array(HeapTupleHeader row, const char *name)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, name, &isnull);
	ArrayType  *a;

	if (isnull)
		nb_bad_model(psprintf("Its %s is NULL.", name));
	a = DatumGetArrayTypeP(d);
	if (ARR_NDIM(a) > 1 || array_contains_nulls(a))
		nb_bad_model(psprintf("Its %s must be a one-dimensional array without NULLs.", name));
	return a;
}

/*
 * Remember the model's value as passed, before detoasting: the next call
 * with the same bytes (the same compressed value, or the same TOAST pointer
 * of a stored model: TOAST values never change) skips detoasting it.  An
 * in-memory pointer (expanded or indirect) may point at changed contents:
 * not remembered.
 */
static void
nb_model_remember(NbModel *m, MemoryContext cxt, struct varlena *raw)
{
	if (m->raw != NULL)
		pfree(m->raw);
	m->raw = NULL;
	m->rawlen = 0;
	if (VARATT_IS_EXTERNAL(raw) && !VARATT_IS_EXTERNAL_ONDISK(raw))
		return;
	m->rawlen = VARSIZE_ANY(raw);
	m->raw = MemoryContextAlloc(cxt, m->rawlen);
	memcpy(m->raw, raw, m->rawlen);
}

/*
 * The model of this call (argument 0), read once while the same model
 * comes: compared as passed first (no detoasting: a stored model above 2 kB
 * is compressed, and decompressing it per row cost more than the scoring),
 * then as a value.
 */
static NbModel *
nb_model_get(FunctionCallInfo fcinfo)
{
	NbModel    *m = (NbModel *) fcinfo->flinfo->fn_extra;
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0));
	HeapTupleHeader row;
	Size		len;
	MemoryContext old;
	ArrayType  *fa,
			   *wa,
			   *la;
	Datum	   *keys;
	float8	   *won,
			   *lost;
	int			n,
				nw,
				nl,
				i;
	double		w,
				l;

	if (m != NULL && m->raw != NULL && m->rawlen == VARSIZE_ANY(raw) && memcmp(m->raw, raw, m->rawlen) == 0)
		return m;
	row = DatumGetHeapTupleHeader(PG_GETARG_DATUM(0));
	len = HeapTupleHeaderGetDatumLength(row);
	if (m != NULL && m->len == len && memcmp(m->bytes, row, len) == 0)
	{
		nb_model_remember(m, fcinfo->flinfo->fn_mcxt, raw);
		return m;
	}
	if (m != NULL)
	{
		/* another model: drop the old one's tables */
		hash_destroy(m->counts);
		hash_destroy(m->fields);
		pfree(m->bytes);
		if (m->raw)
			pfree(m->raw);
		if (m->field)
			pfree(m->field);
		if (m->slots)
			pfree(m->slots);
		pfree(m);
		fcinfo->flinfo->fn_extra = NULL;
	}
	w = nb_model_number(row, "won", false);
	l = nb_model_number(row, "lost", false);
	fa = nb_model_array(row, "features");
	wa = nb_model_array(row, "won_counts");
	la = nb_model_array(row, "lost_counts");
	deconstruct_array(fa, TEXTOID, -1, false, TYPALIGN_INT, &keys, NULL, &n);
	won = (float8 *) ARR_DATA_PTR(wa);
	lost = (float8 *) ARR_DATA_PTR(la);
	nw = ArrayGetNItems(ARR_NDIM(wa), ARR_DIMS(wa));
	nl = ArrayGetNItems(ARR_NDIM(la), ARR_DIMS(la));
	if (nw != n || nl != n)
		nb_bad_model(psprintf("It has %d features but %d won and %d lost counts.", n, nw, nl));

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	m = palloc0(sizeof(NbModel));
	m->alpha = nb_model_number(row, "alpha", true);
	m->prior = log((w + m->alpha) / (l + m->alpha));
	m->counts = nb_table(fcinfo->flinfo->fn_mcxt, Max(n, 1));
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = NB_KEY_MAX;
		ctl.entrysize = sizeof(NbFieldEntry);
		ctl.hcxt = fcinfo->flinfo->fn_mcxt;
		m->fields = hash_create("crm naive Bayes fields", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	m->field = palloc0(sizeof(NbField) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		text	   *t = DatumGetTextPP(keys[i]);
		int			klen = VARSIZE_ANY_EXHDR(t),
					field_len;
		char		key[NB_KEY_MAX];
		bool		found;
		NbEntry    *e;
		NbFieldEntry *fe;

		nb_check_feature(VARDATA_ANY(t), klen, &field_len);
		if (isnan(won[i]) || isinf(won[i]) || won[i] < 0 || isnan(lost[i]) || isinf(lost[i]) || lost[i] < 0)
			nb_bad_model(psprintf("The counts of feature \"%.*s\" are %g and %g; counts are finite numbers of 0 or more.",
								  klen, VARDATA_ANY(t), won[i], lost[i]));
		memset(key, 0, sizeof(key));
		memcpy(key, VARDATA_ANY(t), field_len);
		fe = hash_search(m->fields, key, HASH_ENTER, &found);
		if (!found)
			fe->index = m->nfields++;
		memset(key, 0, sizeof(key));
		memcpy(key, VARDATA_ANY(t), klen);
		e = hash_search(m->counts, key, HASH_ENTER, &found);
		if (found)
			nb_bad_model(psprintf("Feature \"%s\" appears twice.", key));
		e->won = won[i];
		e->lost = lost[i];
		e->field = fe->index;
		m->field[fe->index].won += won[i];
		m->field[fe->index].lost += lost[i];
		m->field[fe->index].values += 1;
	}
	/* the terms, computed once: per feature, and per field for new values */
	for (i = 0; i < m->nfields; i++)
	{
		NbField    *f = &m->field[i];

		f->unseen = log(m->alpha / (f->won + m->alpha * (f->values + 1)))
			- log(m->alpha / (f->lost + m->alpha * (f->values + 1)));
	}
	{
		HASH_SEQ_STATUS it;
		NbEntry    *e;

		hash_seq_init(&it, m->counts);
		while ((e = hash_seq_search(&it)) != NULL)
		{
			NbField    *f = &m->field[e->field];

			e->term = log((e->won + m->alpha) / (f->won + m->alpha * (f->values + 1)))
				- log((e->lost + m->alpha) / (f->lost + m->alpha * (f->values + 1)));
		}
	}
	{
		HASH_SEQ_STATUS it;
		NbEntry    *e;
		uint32		size = 16;

		while (size < 2 * (uint32) n)
			size *= 2;
		m->slots = palloc0(sizeof(NbSlot) * size);
		m->mask = size - 1;
		hash_seq_init(&it, m->counts);
		while ((e = hash_seq_search(&it)) != NULL)
		{
			int			klen = strlen(e->key);
			uint32		h = hash_bytes((const unsigned char *) e->key, klen);
			uint32		j = h & m->mask;

			while (m->slots[j].key != NULL)
				j = (j + 1) & m->mask;
			m->slots[j].key = e->key;
			m->slots[j].len = klen;
			m->slots[j].hash = h;
			m->slots[j].term = e->term;
		}
	}
	m->bytes = palloc(len);
	memcpy(m->bytes, row, len);
	m->len = len;
	MemoryContextSwitchTo(old);
	nb_model_remember(m, fcinfo->flinfo->fn_mcxt, raw);
	fcinfo->flinfo->fn_extra = m;
	return m;
}

/* one feature of a deal and its term of the log odds */
typedef struct NbTerm
{
	const char *feature;
	int			len;
	double		term;
} NbTerm;

/* the term of a feature the model has, or NULL */
static inline const NbSlot *
nb_find(const NbModel *m, const char *key, int len)
{
	uint32		h = hash_bytes((const unsigned char *) key, len);
	uint32		j = h & m->mask;

	for (;;)
	{
		const NbSlot *slot = &m->slots[j];

		if (slot->key == NULL)
			return NULL;
		if (slot->hash == h && slot->len == len && memcmp(slot->key, key, len) == 0)
			return slot;
		j = (j + 1) & m->mask;
	}
}

/*
 * The term of one feature of a deal: its own when the model saw it, the
 * field's unseen-value term when the model knows the field; false when the
 * model never saw the field (it adds nothing).
 */
static inline bool
nb_term(const NbModel *m, const char *f, int len, double *term)
{
	const NbSlot *slot;
	int			field_len;
	char		key[NB_KEY_MAX];
	NbFieldEntry *fe;

	nb_check_feature(f, len, &field_len);
	slot = nb_find(m, f, len);
	if (slot != NULL)
	{
		*term = slot->term;
		return true;
	}
	/* the keys compare as strings: a terminator is enough */
	memcpy(key, f, field_len);
	key[field_len] = '\0';
	fe = hash_search(m->fields, key, HASH_FIND, NULL);
	if (fe == NULL)
		return false;			/* a field the model never saw */
	*term = m->field[fe->index].unseen; /* a value it never saw */
	return true;
}

/*
 * Walks the features of a deal (a one-dimensional text[]; NULL elements
 * skipped) without deconstructing the array: *n gets how many elements,
 * each call of nb_next_feature the next non-NULL one.
 */
typedef struct NbIter
{
	char	   *p;
	bits8	   *bitmap;
	int			bitmask;
	int			left;
} NbIter;

static void
nb_iter_init(NbIter *it, ArrayType *features)
{
	if (ARR_NDIM(features) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array"),
				 errdetail("Given: an array of %d dimensions.", ARR_NDIM(features)),
				 errhint("Pass ARRAY['stage=' || stage, 'product=' || product, ...], as in training.")));
	if (ARR_ELEMTYPE(features) != TEXTOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("features must be a text array"),
				 errdetail("Given: an array of type %u.", ARR_ELEMTYPE(features)),
				 errhint("Pass ARRAY['stage=' || stage, ...] of text.")));
	it->p = ARR_DATA_PTR(features);
	it->bitmap = ARR_NULLBITMAP(features);
	it->bitmask = 1;
	it->left = ArrayGetNItems(ARR_NDIM(features), ARR_DIMS(features));
}

static bool
nb_next_feature(NbIter *it, const char **f, int *len)
{
	while (it->left > 0)
	{
		bool		isnull = it->bitmap != NULL && (*it->bitmap & it->bitmask) == 0;

		it->left--;
		if (it->bitmap != NULL)
		{
			it->bitmask <<= 1;
			if (it->bitmask == 0x100)
			{
				it->bitmap++;
				it->bitmask = 1;
			}
		}
		if (!isnull)
		{
			char	   *p = it->p;

			*f = VARDATA_ANY(p);
			*len = VARSIZE_ANY_EXHDR(p);
			it->p = att_addlength_pointer(it->p, -1, it->p);
			it->p = (char *) att_align_nominal(it->p, TYPALIGN_INT);
			return true;
		}
	}
	return false;
}

/*
 * The terms of a deal's features (those of fields the model knows; NULL
 * elements skipped); returns how many, *terms palloc'd.
 */
static int
nb_terms(NbModel *m, ArrayType *features, NbTerm **terms)
{
	NbIter		it;
	const char *f;
	int			len,
				k = 0;
	double		term;

	nb_iter_init(&it, features);
	*terms = palloc(sizeof(NbTerm) * Max(it.left, 1));
	while (nb_next_feature(&it, &f, &len))
	{
		if (!nb_term(m, f, len, &term))
			continue;
		(*terms)[k].feature = f;
		(*terms)[k].len = len;
		(*terms)[k].term = term;
		k++;
	}
	return k;
}

PG_FUNCTION_INFO_V1(crm_nb_score);
Datum
crm_nb_score(PG_FUNCTION_ARGS)
{
	NbModel    *m = nb_model_get(fcinfo);
	ArrayType  *features = PG_GETARG_ARRAYTYPE_P(1);
	NbIter		it;
	const char *f;
	int			len;
	double		term,
				logodds = m->prior;

	/* the sum of the terms, without keeping them */
	nb_iter_init(&it, features);
	while (nb_next_feature(&it, &f, &len))
		if (nb_term(m, f, len, &term))
			logodds += term;
	PG_RETURN_FLOAT8(1.0 / (1.0 + exp(-logodds)));
}

static int
nb_term_desc(const void *a, const void *b)
{
	double		x = ((const NbTerm *) a)->term,
				y = ((const NbTerm *) b)->term;

	return x > y ? -1 : x < y ? 1 : 0;
}

PG_FUNCTION_INFO_V1(crm_nb_factors);
Datum
crm_nb_factors(PG_FUNCTION_ARGS)
{
	NbModel    *m = nb_model_get(fcinfo);
	text	   *dir = PG_GETARG_TEXT_PP(2);
	int32		top = PG_GETARG_INT32(3);
	bool		up;
	NbTerm	   *terms;
	int			n,
				i,
				shown = 0;
	StringInfoData out;

	if (VARSIZE_ANY_EXHDR(dir) == 2 && memcmp(VARDATA_ANY(dir), "up", 2) == 0)
		up = true;
	else if (VARSIZE_ANY_EXHDR(dir) == 4 && memcmp(VARDATA_ANY(dir), "down", 4) == 0)
		up = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("direction must be 'up' or 'down'"),
				 errdetail("Given: \"%.*s\".", (int) VARSIZE_ANY_EXHDR(dir), VARDATA_ANY(dir)),
				 errhint("'up' lists the features that raise the score most, 'down' those that lower it most.")));
	if (top < 1 || top > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("top must be between 1 and 100"),
				 errdetail("Given: %d.", top),
				 errhint("Ask for the few strongest reasons, e.g. 3.")));
	n = nb_terms(m, PG_GETARG_ARRAYTYPE_P(1), &terms);
	qsort(terms, n, sizeof(NbTerm), nb_term_desc);
	initStringInfo(&out);
	for (i = 0; i < n && shown < top; i++)
	{
		NbTerm	   *t = &terms[up ? i : n - 1 - i];

		/* a factor within 0.5 % of 1 is no reason either way */
		if (up ? !(t->term > 0.005) : !(t->term < -0.005))
			break;
		appendStringInfo(&out, "%s%.*s (odds x%.2f)", shown > 0 ? ", " : "", t->len, t->feature, exp(t->term));
		shown++;
	}
	if (shown == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/*
 * crm.nb_bin(field, value, cuts): a number as a feature, "field=<c1",
 * "field=ci-cj" or "field=>=cn" by the bucket width_bucket(value, cuts)
 * gives (the rightmost cut at or below value; NaN above every cut).  The
 * n + 1 labels of a call site's field and cuts are formatted once (float8
 * output, as cuts[i]::text) and kept in fn_extra while the same field and
 * cuts come; a call then costs a binary search and a copy of its label.
 * Empty cuts give NULL, as the SQL expression it replaced did.
 */
typedef struct NbBins
{
	char	   *field;			/* the field's bytes */
	int			field_len;
	float8	   *cuts;
	int			n;
	text	  **labels;			/* n + 1 of them: below c1, ci-cj, from cn */
} NbBins;

static NbBins *
nb_bins_get(FunctionCallInfo fcinfo, text *field, ArrayType *cuts)
{
	NbBins	   *b = (NbBins *) fcinfo->flinfo->fn_extra;
	const char *f = VARDATA_ANY(field);
	int			flen = VARSIZE_ANY_EXHDR(field);
	int			n;
	float8	   *c;
	MemoryContext old;
	int			i;

	if (ARR_NDIM(cuts) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cuts must be a one-dimensional array"),
				 errdetail("Given: an array of %d dimensions.", ARR_NDIM(cuts)),
				 errhint("Pass the bins' lower bounds in ascending order, e.g. '{10000,50000,200000}'.")));
	if (ARR_HASNULL(cuts) && array_contains_nulls(cuts))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cuts must not contain NULL"),
				 errhint("Pass the bins' lower bounds in ascending order, e.g. '{10000,50000,200000}'.")));
	n = ArrayGetNItems(ARR_NDIM(cuts), ARR_DIMS(cuts));
	c = (float8 *) ARR_DATA_PTR(cuts);
	if (b != NULL && b->n == n && b->field_len == flen && memcmp(b->field, f, flen) == 0 &&
		memcmp(b->cuts, c, n * sizeof(float8)) == 0)
		return b;

	for (i = 0; i < n; i++)
		if (isnan(c[i]) || (i > 0 && c[i] < c[i - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cuts must be numbers in ascending order"),
					 errdetail("Cut %d is %s after %s.", i + 1, float8out_internal(c[i]),
							   i > 0 ? float8out_internal(c[i - 1]) : "nothing"),
					 errhint("Pass the bins' lower bounds in ascending order, e.g. '{10000,50000,200000}'.")));
	if (b != NULL)
	{
		for (i = 0; i <= b->n; i++)
			if (b->labels[i] != NULL)
				pfree(b->labels[i]);
		pfree(b->labels);
		pfree(b->cuts);
		pfree(b->field);
		pfree(b);
		fcinfo->flinfo->fn_extra = NULL;
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	b = palloc(sizeof(NbBins));
	b->field = palloc(Max(flen, 1));
	memcpy(b->field, f, flen);
	b->field_len = flen;
	b->n = n;
	b->cuts = palloc(Max(n, 1) * sizeof(float8));
	memcpy(b->cuts, c, n * sizeof(float8));
	b->labels = palloc0((n + 1) * sizeof(text *));
	for (i = 0; i <= n && n > 0; i++)
	{
		StringInfoData s;

		initStringInfo(&s);
		appendBinaryStringInfo(&s, f, flen);
		if (i == 0)
			appendStringInfo(&s, "=<%s", float8out_internal(c[0]));
		else if (i == n)
			appendStringInfo(&s, "=>=%s", float8out_internal(c[n - 1]));
		else
			appendStringInfo(&s, "=%s-%s", float8out_internal(c[i - 1]), float8out_internal(c[i]));
		b->labels[i] = cstring_to_text_with_len(s.data, s.len);
		pfree(s.data);
	}
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = b;
	return b;
}

PG_FUNCTION_INFO_V1(crm_nb_bin);
Datum
crm_nb_bin(PG_FUNCTION_ARGS)
{
	text	   *field = PG_GETARG_TEXT_PP(0);
	float8		value = PG_GETARG_FLOAT8(1);
	NbBins	   *b = nb_bins_get(fcinfo, field, PG_GETARG_ARRAYTYPE_P(2));
	int			left = 0,
				right = b->n;
	text	   *label;

	if (b->n == 0)
		PG_RETURN_NULL();
	/* width_bucket's search: the number of cuts at or below value */
	if (isnan(value))
		left = b->n;
	else
		while (left < right)
		{
			int			mid = (left + right) / 2;

			if (value < b->cuts[mid])
				right = mid;
			else
				left = mid + 1;
		}
	label = b->labels[left];
	PG_RETURN_TEXT_P(memcpy(palloc(VARSIZE(label)), label, VARSIZE(label)));
}
