/*
 * pipeline.c: crm.pipeline_changes, what changed in the open pipeline
 * between two moments (src/pipeline.sql has the rules; this is their
 * implementation).
 *
 * The SQL formulation (a join of every deal to its history, a sort by deal
 * and time and a window for each row's before-state) spent most of its
 * time sorting and windowing the whole history.  Here nothing is sorted but
 * the period's events: one scan of the opportunities created by to_at, and
 * two of the history, in any order, keep per deal only what its events
 * need:
 *
 *   - first scan: its rows in (from_at, to_at], the period's events; for a
 *     deal created in the period, its last row at or before created_at
 *     and its first row after (the state at creation: the former's new
 *     values, else the latter's old values, else the current values);
 *   - second scan, of the rows at or before from_at, for the deals with
 *     rows in the period: the last one (its new values are the state
 *     before the period's first row; without it, that row is the deal's
 *     first and its old values are its before-state).
 *
 * Rows are ordered by (changed_at, id) as in the SQL; a NULL in a history
 * column stands for the opportunity's current value.  Strings (pipeline,
 * stage, owner, changed_by) are interned, so that "is distinct from" is a
 * pointer comparison.  The output is sorted by (changed_at, opportunity,
 * history id, aspect), the aspects of an event in the order amount, close
 * date, status, stage, owner (a creation: new).
 *
 * The tables are read through SPI as the calling role (row security
 * applies, and under Citus the queries run on the shards and come back to
 * the coordinator), each row handed over as the executor makes it (a
 * DestReceiver, no tuple table).  Memory comes in blocks of 64 kB at most:
 * on the virtual machines measured, fresh pages cost a fault each, and
 * larger blocks are mapped anew on every call.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "nodes/params.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "util.h"

/* interned strings: open addressing over their hashes */
typedef struct PcStrings
{
	const char **slots;
	uint32	   *hashes;
	uint32		mask;
	uint32		used;
	MemoryContext cxt;
} PcStrings;

static void
pc_strings_init(PcStrings *s, MemoryContext cxt)
{
	s->cxt = cxt;
	s->mask = 1023;
	s->used = 0;
	s->slots = MemoryContextAllocZero(cxt, sizeof(char *) * (s->mask + 1));
	s->hashes = MemoryContextAllocZero(cxt, sizeof(uint32) * (s->mask + 1));
}

/* an interned string as a text Datum (its header precedes it) */
#define PC_TEXT(str) PointerGetDatum((str) - VARHDRSZ)

static const char *
pc_intern(PcStrings *s, const char *str, int len)
{
	uint32		h = hash_bytes((const unsigned char *) str, len);
	uint32		j;
	char	   *copy;

	if (2 * (s->used + 1) > s->mask + 1)
	{
		/* grow: rehash into twice the slots */
		uint32		old_size = s->mask + 1,
					i;
		const char **old_slots = s->slots;
		uint32	   *old_hashes = s->hashes;

		s->mask = 2 * old_size - 1;
		s->slots = MemoryContextAllocZero(s->cxt, sizeof(char *) * (s->mask + 1));
		s->hashes = MemoryContextAllocZero(s->cxt, sizeof(uint32) * (s->mask + 1));
		for (i = 0; i < old_size; i++)
		{
			if (old_slots[i] == NULL)
				continue;
			j = old_hashes[i] & s->mask;
			while (s->slots[j] != NULL)
				j = (j + 1) & s->mask;
			s->slots[j] = old_slots[i];
			s->hashes[j] = old_hashes[i];
		}
		pfree(old_slots);
		pfree(old_hashes);
	}
	j = h & s->mask;
	while (s->slots[j] != NULL)
	{
		if (s->hashes[j] == h && strncmp(s->slots[j], str, len) == 0 && s->slots[j][len] == '\0')
			return s->slots[j];
		j = (j + 1) & s->mask;
	}
	/* a text value, its bytes terminated: PC_TEXT gives the text */
	copy = MemoryContextAlloc(s->cxt, VARHDRSZ + len + 1);
	SET_VARSIZE(copy, VARHDRSZ + len);
	copy += VARHDRSZ;
	memcpy(copy, str, len);
	copy[len] = '\0';
	s->slots[j] = copy;
	s->hashes[j] = h;
	s->used++;
	return copy;
}

/* a row of a query, deformed once */
typedef struct PcTuple
{
	Datum	   *values;
	bool	   *nulls;
	TupleTableSlot *slot;		/* NULL: all deformed */
} PcTuple;

/* every column of a row (the receiver deforms only the keys) */
static inline void
pc_all(PcTuple *t)
{
	if (t->slot != NULL)
		slot_getallattrs(t->slot);
}

/* a text column (1-based) of a row, interned; NULL for SQL NULL */
static const char *
pc_text(PcStrings *s, PcTuple *row, int col)
{
	text	   *t;

	if (row->nulls[col - 1])
		return NULL;
	t = DatumGetTextPP(row->values[col - 1]);
	return pc_intern(s, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* a numeric column, copied into cxt; NULL for SQL NULL */
static Numeric
pc_numeric(MemoryContext cxt, PcTuple *row, int col)
{
	struct varlena *v;
	Numeric		copy;

	if (row->nulls[col - 1])
		return NULL;
	v = PG_DETOAST_DATUM_PACKED(row->values[col - 1]);
	/* stored short-header numerics are copied with a full header */
	copy = MemoryContextAlloc(cxt, VARSIZE_ANY_EXHDR(v) + VARHDRSZ);
	SET_VARSIZE(copy, VARSIZE_ANY_EXHDR(v) + VARHDRSZ);
	memcpy(VARDATA(copy), VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	return copy;
}

/* a deal's state: NULL members stand for the opportunity's current value */
typedef struct PcState
{
	const char *stage;
	Oid			status;			/* InvalidOid: NULL */
	Numeric		amount;
	const char *owner;
	DateADT		close;
	bool		close_null;
} PcState;

typedef struct PcRow
{
	int64		id;
	TimestampTz changed_at;
	const char *changed_by;
	PcState		old;
	PcState		new;
} PcRow;

/*
 * One side of a history row kept as a deal's landmark: its key and state,
 * the amount in place (a numeric(14,2) fits; a larger one is allocated), so
 * that replacing a landmark row by a later one allocates nothing.
 */
typedef struct PcMark
{
	int64		id;
	TimestampTz changed_at;
	PcState		state;
	char		amount[32];
} PcMark;

typedef struct PcDeal
{
	int64		customer_id;
	int64		id;
	const char *pipeline;
	TimestampTz created_at;
	PcState		cur;			/* the current values: never NULL but where the
								 * column is */
	/* landmarks, allocated when first set (NULL: none) */
	PcMark	   *before_from;	/* last row at or before from_at: its new
								 * values (deals with rows in the period) */
	PcMark	   *before_created; /* last row at or before created_at: its new
								 * values (deals created in the period) */
	PcMark	   *after_created;	/* first row after created_at: its old values */
	int			nperiod;		/* rows in (from_at, to_at] */
	int			maxperiod;
	PcRow	  **period;
} PcDeal;

/*
 * The deals by (customer_id, id): open addressing over indexes into chunks
 * of deals (chunks, not one array grown by copying: fresh memory costs a
 * page fault per page on a virtual machine, copying doubles that).
 */
#define PC_CHUNK 64
#define PC_DEAL(d, i) (&(d)->chunks[(i) / PC_CHUNK][(i) % PC_CHUNK])

typedef struct PcDeals
{
	PcDeal	  **chunks;
	int			nchunks;
	int			n;
	int			max;
	int		   *slots;			/* index + 1; 0: empty */
	uint32		mask;
	MemoryContext cxt;
} PcDeals;

static inline uint32
pc_key_hash(int64 customer_id, int64 id)
{
	/* the SplitMix64 finalizer of the two keys */
	uint64		h = (uint64) id * UINT64CONST(0x9E3779B97F4A7C15) + (uint64) customer_id;

	h = (h ^ (h >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	h = (h ^ (h >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return (uint32) (h ^ (h >> 31));
}

static void
pc_deals_rehash(PcDeals *d, uint32 size)
{
	int			i;

	if (d->slots)
		pfree(d->slots);
	d->mask = size - 1;
	d->slots = MemoryContextAllocHuge(d->cxt, sizeof(int) * size);
	memset(d->slots, 0, sizeof(int) * size);
	for (i = 0; i < d->n; i++)
	{
		uint32		j = pc_key_hash(PC_DEAL(d, i)->customer_id, PC_DEAL(d, i)->id) & d->mask;

		while (d->slots[j] != 0)
			j = (j + 1) & d->mask;
		d->slots[j] = i + 1;
	}
}

static PcDeal *
pc_deal_add(PcDeals *d, int64 customer_id, int64 id)
{
	PcDeal	   *deal;

	if (d->n == d->max)
	{
		if (d->nchunks % 1024 == 0)
			d->chunks = d->chunks ? repalloc_huge(d->chunks, sizeof(PcDeal *) * (d->nchunks + 1024))
				: MemoryContextAlloc(d->cxt, sizeof(PcDeal *) * 1024);
		d->chunks[d->nchunks++] = MemoryContextAlloc(d->cxt, sizeof(PcDeal) * PC_CHUNK);
		d->max += PC_CHUNK;
	}
	deal = PC_DEAL(d, d->n);
	d->n++;
	memset(deal, 0, sizeof(PcDeal));
	deal->customer_id = customer_id;
	deal->id = id;
	return deal;
}

static PcDeal *
pc_deal_find(PcDeals *d, int64 customer_id, int64 id)
{
	uint32		j = pc_key_hash(customer_id, id) & d->mask;

	while (d->slots[j] != 0)
	{
		PcDeal	   *deal = PC_DEAL(d, d->slots[j] - 1);

		if (deal->id == id && deal->customer_id == customer_id)
			return deal;
		j = (j + 1) & d->mask;
	}
	return NULL;
}

/* the stages' positions by pipeline and stage (interned: pointers compare) */
typedef struct PcStage
{
	const char *pipeline;
	const char *stage;
	int			position;
} PcStage;

static int
pc_stage_cmp(const void *a, const void *b)
{
	const PcStage *x = a,
			   *y = b;

	if (x->pipeline != y->pipeline)
		return x->pipeline < y->pipeline ? -1 : 1;
	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return 0;
}

/* an event of a deal: its creation (row NULL) or one of its rows */
typedef struct PcEvent
{
	TimestampTz changed_at;
	int64		opportunity_id;
	int64		hid;			/* 0 for the creation */
	PcDeal	   *deal;
	PcRow	   *row;
	PcState		before;
	PcState		after;
} PcEvent;

static int
pc_event_cmp(const void *a, const void *b)
{
	const PcEvent *x = *(PcEvent *const *) a,
			   *y = *(PcEvent *const *) b;

	if (x->changed_at != y->changed_at)
		return x->changed_at < y->changed_at ? -1 : 1;
	if (x->opportunity_id != y->opportunity_id)
		return x->opportunity_id < y->opportunity_id ? -1 : 1;
	if (x->hid != y->hid)
		return x->hid < y->hid ? -1 : 1;
	return 0;
}

static int
pc_row_cmp(const void *a, const void *b)
{
	const PcRow *x = *(PcRow *const *) a,
			   *y = *(PcRow *const *) b;

	if (x->changed_at != y->changed_at)
		return x->changed_at < y->changed_at ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* a state with every NULL replaced by the deal's current value */
static inline PcState
pc_complete(const PcState *s, const PcDeal *deal)
{
	PcState		r = *s;

	if (r.stage == NULL)
		r.stage = deal->cur.stage;
	if (r.status == InvalidOid)
		r.status = deal->cur.status;
	if (r.amount == NULL)
		r.amount = deal->cur.amount;
	if (r.owner == NULL)
		r.owner = deal->cur.owner;
	if (r.close_null)
	{
		r.close = deal->cur.close;
		r.close_null = deal->cur.close_null;
	}
	return r;
}

static inline bool
pc_numeric_distinct(Numeric a, Numeric b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) != (b == NULL);
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a), NumericGetDatum(b))) != 0;
}

/* the position of a deal's stage in its pipeline, 0 when not in it */
static int
pc_position(PcStage *stages, int nstages, const char *pipeline, const char *stage)
{
	PcStage		key;
	PcStage    *found;

	if (stage == NULL || pipeline == NULL)
		return 0;
	key.pipeline = pipeline;
	key.stage = stage;
	found = bsearch(&key, stages, nstages, sizeof(PcStage), pc_stage_cmp);
	return found ? found->position : 0;
}

/* reads a history or state value pair of an SPI row */
static void
pc_read_state(PcState *s, PcStrings *strings, MemoryContext cxt, PcTuple *row,
			  int stage_col, int status_col, int amount_col, int owner_col, int close_col)
{
	s->stage = pc_text(strings, row, stage_col);
	s->status = row->nulls[status_col - 1] ? InvalidOid : DatumGetObjectId(row->values[status_col - 1]);
	s->amount = pc_numeric(cxt, row, amount_col);
	s->owner = pc_text(strings, row, owner_col);
	s->close_null = row->nulls[close_col - 1];
	s->close = s->close_null ? 0 : DatumGetDateADT(row->values[close_col - 1]);
}

/* (changed_at, id) of a mark before the key */
static inline bool
pc_mark_before(const PcMark *m, const PcRow *key)
{
	return m->changed_at < key->changed_at || (m->changed_at == key->changed_at && m->id < key->id);
}

/*
 * Sets a landmark from one side of a history row: its stage, status,
 * amount, owner and close date in the 1-based columns first .. first + 4.
 */
static void
pc_mark_set(PcMark **mp, const PcRow *key, PcStrings *strings, MemoryContext cxt, PcTuple *t, int first)
{
	int			f = first - 1;	/* 0-based */
	PcMark	   *m = *mp;

	if (m == NULL)
		m = *mp = MemoryContextAlloc(cxt, sizeof(PcMark));
	pc_all(t);
	m->id = key->id;
	m->changed_at = key->changed_at;
	m->state.stage = pc_text(strings, t, first);
	m->state.status = t->nulls[f + 1] ? InvalidOid : DatumGetObjectId(t->values[f + 1]);
	if (t->nulls[f + 2])
		m->state.amount = NULL;
	else
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(t->values[f + 2]);
		Size		len = VARSIZE_ANY_EXHDR(v) + VARHDRSZ;
		Numeric		n = len <= sizeof(m->amount) ? (Numeric) m->amount : MemoryContextAlloc(cxt, len);

		SET_VARSIZE(n, len);
		memcpy(VARDATA(n), VARDATA_ANY(v), len - VARHDRSZ);
		m->state.amount = n;
	}
	m->state.owner = pc_text(strings, t, first + 3);
	m->state.close_null = t->nulls[f + 4];
	m->state.close = m->state.close_null ? 0 : DatumGetDateADT(t->values[f + 4]);
}

/*
 * A query's rows handed to a function as the executor makes them (a
 * DestReceiver: no copy of each row into an SPI tuple table).
 */
typedef struct PcScan
{
	DestReceiver pub;
	void		(*row) (struct PcScan *scan, PcTuple *t);
	PcStrings  *strings;
	PcDeals    *deals;
	MemoryContext cxt;
	TimestampTz from_at;
	TimestampTz to_at;
	int			keys;			/* columns the receiver deforms */
	uint64		rows;
} PcScan;

static bool
pc_receive(TupleTableSlot *slot, DestReceiver *self)
{
	PcScan	   *scan = (PcScan *) self;
	PcTuple		t;

	/* the keys first: most history rows are passed over */
	slot_getsomeattrs(slot, scan->keys);
	t.values = slot->tts_values;
	t.nulls = slot->tts_isnull;
	t.slot = slot;
	scan->row(scan, &t);
	if ((++scan->rows & 1023) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

static void
pc_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
pc_shutdown(DestReceiver *self)
{
}

static void
pc_destroy(DestReceiver *self)
{
}

/* runs a query with the parameters from_at, to_at, pipeline_name into scan */
static void
pc_run(const char *sql, Datum *args, const char *nulls, PcScan *scan)
{
	Oid			types[3] = {TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID};
	SPIPlanPtr	plan = SPI_prepare(sql, 3, types);
	ParamListInfo params = makeParamList(3);
	SPIExecuteOptions options;
	int			i;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	for (i = 0; i < 3; i++)
	{
		params->params[i].value = args[i];
		params->params[i].isnull = nulls[i] == 'n';
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	scan->pub.receiveSlot = pc_receive;
	scan->pub.rStartup = pc_startup;
	scan->pub.rShutdown = pc_shutdown;
	scan->pub.rDestroy = pc_destroy;
	scan->pub.mydest = DestNone;
	scan->rows = 0;
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = true;
	options.dest = &scan->pub;
	if (SPI_execute_plan_extended(plan, &options) < 0)
		elog(ERROR, "SPI_execute_plan_extended failed for \"%s\"", sql);
	SPI_freeplan(plan);
}

/* a deal that exists at to_at */
static void
pc_deal_row(PcScan *scan, PcTuple *t)
{
	PcDeal	   *deal;

	pc_all(t);
	deal = pc_deal_add(scan->deals, DatumGetInt64(t->values[0]), DatumGetInt64(t->values[1]));

	deal->pipeline = pc_text(scan->strings, t, 3);
	deal->created_at = DatumGetTimestampTz(t->values[3]);
	pc_read_state(&deal->cur, scan->strings, scan->cxt, t, 5, 6, 7, 8, 9);
}

/*
 * A history row, first pass: a row of the period, a landmark of a deal
 * created in the period, or nothing.
 */
static void
pc_history_row(PcScan *scan, PcTuple *t)
{
	PcDeal	   *deal;
	PcRow		key;
	PcRow	   *row;
	MemoryContext old;

	key.changed_at = DatumGetTimestampTz(t->values[3]);
	deal = pc_deal_find(scan->deals, DatumGetInt64(t->values[0]), DatumGetInt64(t->values[1]));
	if (deal == NULL)
		return;
	key.id = DatumGetInt64(t->values[2]);
	/* columns 6-10 are the old values, 11-15 the new */
	if (deal->created_at > scan->from_at)
	{
		if (key.changed_at <= deal->created_at)
		{
			if (deal->before_created == NULL || pc_mark_before(deal->before_created, &key))
				pc_mark_set(&deal->before_created, &key, scan->strings, scan->cxt, t, 11);
		}
		else if (deal->after_created == NULL || !pc_mark_before(deal->after_created, &key))
			pc_mark_set(&deal->after_created, &key, scan->strings, scan->cxt, t, 6);
	}
	if (!(key.changed_at > scan->from_at && key.changed_at <= scan->to_at))
		return;
	pc_all(t);
	/* a row of the period */
	old = MemoryContextSwitchTo(scan->cxt);
	row = palloc(sizeof(PcRow));
	*row = key;
	row->changed_by = pc_text(scan->strings, t, 5);
	pc_read_state(&row->old, scan->strings, scan->cxt, t, 6, 7, 8, 9, 10);
	pc_read_state(&row->new, scan->strings, scan->cxt, t, 11, 12, 13, 14, 15);
	if (deal->nperiod == deal->maxperiod)
	{
		deal->maxperiod = Max(4, 2 * deal->maxperiod);
		deal->period = deal->period
			? repalloc(deal->period, sizeof(PcRow *) * deal->maxperiod)
			: palloc(sizeof(PcRow *) * deal->maxperiod);
	}
	deal->period[deal->nperiod++] = row;
	MemoryContextSwitchTo(old);
}

/*
 * A history row at or before from_at, second pass: the landmark of a deal
 * with rows in the period (its state at from_at).
 */
static void
pc_history_before(PcScan *scan, PcTuple *t)
{
	PcDeal	   *deal = pc_deal_find(scan->deals, DatumGetInt64(t->values[0]), DatumGetInt64(t->values[1]));
	PcRow		key;

	if (deal == NULL || deal->nperiod == 0)
		return;
	key.id = DatumGetInt64(t->values[2]);
	key.changed_at = DatumGetTimestampTz(t->values[3]);
	if (deal->before_from == NULL || pc_mark_before(deal->before_from, &key))
		pc_mark_set(&deal->before_from, &key, scan->strings, scan->cxt, t, 11);
}

PG_FUNCTION_INFO_V1(crm_pipeline_changes);
Datum
crm_pipeline_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz from_at,
				to_at;
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	const char *nsp;
	MemoryContext cxt,
				old;
	PcStrings	strings;
	PcDeals		deals;
	PcStage    *stages = NULL;
	int			nstages = 0;
	Oid			status_type;
	Oid			open_status = InvalidOid;
	Oid		   *label_oids = NULL;
	char	  **labels = NULL;
	int			nlabels = 0;
	int			nevents = 0,
				maxevents;
	PcScan		scan;
	Numeric		zero;
	int			i;
	TupleDesc	result_desc;
	PcEvent   **order;

	InitMaterializedSRF(fcinfo, 0);
	result_desc = rsinfo->setDesc;
	status_type = TupleDescAttr(result_desc, 8)->atttypid;
	nsp = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));

	/* everything kept lives in a context of its own, freed at the end */
	/*
	 * (blocks of 64 kB at most: malloc serves them from its heap, where the
	 * previous call's freed blocks are; larger ones are fresh memory mapped
	 * for each call, a page fault per page)
	 */
	cxt = AllocSetContextCreate(rsinfo->econtext->ecxt_per_query_memory, "crm pipeline_changes",
								0, 8 * 1024, 64 * 1024);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the arguments, checked as crm.check_period does for every caller */
	args[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	args[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	for (i = 0; i < 3; i++)
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	{
		Oid			types[3] = {TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID};

		if (SPI_execute_with_args(psprintf("SELECT %s.check_period('pipeline_changes', $1, $2, $3)", nsp),
								  3, types, args, nulls, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "crm.check_period failed");
	}
	from_at = PG_GETARG_TIMESTAMPTZ(0);
	to_at = PG_GETARG_TIMESTAMPTZ(1);

	old = MemoryContextSwitchTo(cxt);
	pc_strings_init(&strings, cxt);
	deals.cxt = cxt;
	deals.n = 0;
	deals.max = 0;
	deals.nchunks = 0;
	deals.chunks = NULL;
	deals.slots = NULL;
	zero = int64_to_numeric(0);
	MemoryContextSwitchTo(old);

	/* the status labels, and which is open */
	{
		Oid			types[1] = {OIDOID};
		Datum		a[1] = {ObjectIdGetDatum(status_type)};

		if (SPI_execute_with_args("SELECT e.oid, e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = $1",
								  1, types, a, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading the opportunity statuses failed");
		nlabels = SPI_processed;
		label_oids = MemoryContextAlloc(cxt, sizeof(Oid) * Max(nlabels, 1));
		labels = MemoryContextAlloc(cxt, sizeof(char *) * Max(nlabels, 1));
		for (i = 0; i < nlabels; i++)
		{
			bool		isnull;

			label_oids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			labels[i] = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
			if (strcmp(labels[i], "open") == 0)
				open_status = label_oids[i];
		}
		SPI_freetuptable(SPI_tuptable);
		if (open_status == InvalidOid)
			elog(ERROR, "the opportunity statuses lack open");
	}

	/* the stages */
	if (SPI_execute(psprintf("SELECT s.pipeline, s.stage, s.position FROM %s.pipeline_stages s", nsp), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the pipeline stages failed");
	nstages = SPI_processed;
	stages = MemoryContextAlloc(cxt, sizeof(PcStage) * Max(nstages, 1));
	for (i = 0; i < nstages; i++)
	{
		PcTuple		t;
		Datum		values[3];
		bool		isnull[3];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, isnull);
		t.values = values;
		t.nulls = isnull;
		t.slot = NULL;
		stages[i].pipeline = pc_text(&strings, &t, 1);
		stages[i].stage = pc_text(&strings, &t, 2);
		stages[i].position = t.nulls[2] ? 0 : DatumGetInt32(t.values[2]);
	}
	SPI_freetuptable(SPI_tuptable);
	qsort(stages, nstages, sizeof(PcStage), pc_stage_cmp);

	/* the deals that exist at to_at */
	scan.strings = &strings;
	scan.deals = &deals;
	scan.cxt = cxt;
	scan.from_at = from_at;
	scan.to_at = to_at;
	scan.row = pc_deal_row;
	scan.keys = 9;
	pc_run(psprintf("SELECT o.customer_id, o.id, o.pipeline, o.created_at, o.stage, o.status, o.amount, o.owner, o.expected_close"
					" FROM %s.opportunities o WHERE o.created_at <= $2 AND ($3 IS NULL OR o.pipeline = $3)", nsp),
		   args, nulls, &scan);
	{
		uint32		size = 1024;

		while (size < 2 * (uint32) deals.n)
			size *= 2;
		pc_deals_rehash(&deals, size);
	}

	/*
	 * Their history, in any order: first the rows of the period and the
	 * landmarks of the deals created in it, then, for the deals with rows in
	 * the period, their last row before it
	 */
	scan.row = pc_history_row;
	scan.keys = 4;
	pc_run(psprintf("SELECT h.customer_id, h.opportunity_id, h.id, h.changed_at, h.changed_by,"
					" h.old_stage, h.old_status, h.old_amount, h.old_owner, h.old_expected_close,"
					" h.new_stage, h.new_status, h.new_amount, h.new_owner, h.new_expected_close"
					" FROM %s.opportunity_history h", nsp),
		   args, nulls, &scan);
	scan.row = pc_history_before;
	pc_run(psprintf("SELECT h.customer_id, h.opportunity_id, h.id, h.changed_at, h.changed_by,"
					" h.old_stage, h.old_status, h.old_amount, h.old_owner, h.old_expected_close,"
					" h.new_stage, h.new_status, h.new_amount, h.new_owner, h.new_expected_close"
					" FROM %s.opportunity_history h WHERE h.changed_at <= $1", nsp),
		   args, nulls, &scan);

	/* the events of each deal: counted, then made */
	maxevents = 0;
	for (i = 0; i < deals.n; i++)
	{
		PcDeal	   *deal = PC_DEAL(&deals, i);

		maxevents += deal->nperiod + (deal->created_at > from_at && deal->created_at <= to_at ? 1 : 0);
	}
	order = MemoryContextAllocHuge(cxt, sizeof(PcEvent *) * Max(maxevents, 1));
	old = MemoryContextSwitchTo(cxt);
	for (i = 0; i < deals.n; i++)
	{
		PcDeal	   *deal = PC_DEAL(&deals, i);
		PcState		prev;
		bool		have_prev;
		int			k;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (deal->nperiod == 0 && !(deal->created_at > from_at && deal->created_at <= to_at))
			continue;			/* nothing happened to it in the period */
		/* its creation */
		if (deal->created_at > from_at && deal->created_at <= to_at)
		{
			PcEvent    *e = order[nevents++] = palloc(sizeof(PcEvent));

			memset(e, 0, sizeof(PcEvent));
			e->changed_at = deal->created_at;
			e->opportunity_id = deal->id;
			e->hid = 0;
			e->deal = deal;
			e->row = NULL;
			if (deal->before_created)
				e->after = pc_complete(&deal->before_created->state, deal);
			else if (deal->after_created)
				e->after = pc_complete(&deal->after_created->state, deal);
			else
				e->after = deal->cur;
		}
		if (deal->nperiod == 0)
			continue;
		/* its rows in the period, chained from the last one before */
		qsort(deal->period, deal->nperiod, sizeof(PcRow *), pc_row_cmp);
		have_prev = deal->before_from != NULL;
		if (have_prev)
			prev = pc_complete(&deal->before_from->state, deal);
		for (k = 0; k < deal->nperiod; k++)
		{
			PcRow	   *row = deal->period[k];
			PcState		before = have_prev ? prev : pc_complete(&row->old, deal);
			PcState		after = pc_complete(&row->new, deal);

			if (row->changed_at > deal->created_at)
			{
				PcEvent    *e = order[nevents++] = palloc(sizeof(PcEvent));

				e->changed_at = row->changed_at;
				e->opportunity_id = deal->id;
				e->hid = row->id;
				e->deal = deal;
				e->row = row;
				e->before = before;
				e->after = after;
			}
			prev = after;
			have_prev = true;
		}
	}
	MemoryContextSwitchTo(old);
	qsort(order, nevents, sizeof(PcEvent *), pc_event_cmp);

	/* one output row per event and aspect that changed */
	{
		MemoryContext rowcxt = AllocSetContextCreate(cxt, "crm pipeline_changes row", ALLOCSET_DEFAULT_SIZES);

		for (i = 0; i < nevents; i++)
		{
			PcEvent    *e = order[i];
			PcState    *b = &e->before,
					   *a = &e->after;
			int			ord;

			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(rowcxt);
			for (ord = 1; ord <= 6; ord++)
			{
				Datum		values[16];
				bool		isnull[16];
				const char *change = NULL;
				Datum		delta = NumericGetDatum(zero);
				bool		delta_null = false;

				switch (ord)
				{
					case 1:
						if (e->row != NULL)
							continue;
						change = "new";
						if (a->status == open_status)
						{
							delta = NumericGetDatum(a->amount);
							delta_null = a->amount == NULL;
						}
						break;
					case 2:
						if (e->row == NULL || !pc_numeric_distinct(a->amount, b->amount))
							continue;
						change = a->amount != NULL && b->amount != NULL &&
							DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a->amount),
															  NumericGetDatum(b->amount))) > 0
							? "amount up" : "amount down";
						if (b->status == open_status)
						{
							delta_null = a->amount == NULL || b->amount == NULL;
							if (!delta_null)
								delta = DirectFunctionCall2(numeric_sub, NumericGetDatum(a->amount),
															NumericGetDatum(b->amount));
						}
						break;
					case 3:
						if (e->row == NULL || b->status != open_status || a->status != open_status ||
							a->close_null || b->close_null || a->close == b->close)
							continue;
						change = a->close < b->close ? "pulled in" : "pushed out";
						break;
					case 4:
						if (e->row == NULL || a->status == b->status)
							continue;
						if (a->status == open_status)
							change = "reopened";
						else
						{
							int			l;

							for (l = 0; l < nlabels; l++)
								if (label_oids[l] == a->status)
									change = labels[l];
							if (change == NULL)
								elog(ERROR, "unknown opportunity status %u", a->status);
						}
						{
							/* (a open ? amount : 0) - (b open ? amount : 0) */
							Datum		x = a->status == open_status ? NumericGetDatum(a->amount) : NumericGetDatum(zero);
							Datum		y = b->status == open_status ? NumericGetDatum(a->amount) : NumericGetDatum(zero);

							delta_null = a->amount == NULL && (a->status == open_status || b->status == open_status);
							if (!delta_null)
								delta = DirectFunctionCall2(numeric_sub, x, y);
						}
						break;
					case 5:
						if (e->row == NULL || a->stage == b->stage)
							continue;
						{
							int			pa = pc_position(stages, nstages, e->deal->pipeline, a->stage),
										pb = pc_position(stages, nstages, e->deal->pipeline, b->stage);

							change = pa && pb && pa > pb ? "stage forward"
								: pa && pb && pa < pb ? "stage back" : "stage changed";
						}
						break;
					case 6:
						if (e->row == NULL || a->owner == b->owner)
							continue;
						change = "transferred";
						break;
				}
				memset(isnull, 0, sizeof(isnull));
				values[0] = Int64GetDatum(e->deal->id);
				values[1] = Int64GetDatum(e->deal->customer_id);
				isnull[2] = e->deal->pipeline == NULL;
				values[2] = isnull[2] ? (Datum) 0 : PC_TEXT(e->deal->pipeline);
				values[3] = TimestampTzGetDatum(e->changed_at);
				isnull[4] = e->row == NULL || e->row->changed_by == NULL;
				values[4] = isnull[4] ? (Datum) 0 : PC_TEXT(e->row->changed_by);
				values[5] = PC_TEXT(pc_intern(&strings, change, strlen(change)));
				isnull[6] = e->row == NULL || b->stage == NULL;
				values[6] = isnull[6] ? (Datum) 0 : PC_TEXT(b->stage);
				isnull[7] = a->stage == NULL;
				values[7] = isnull[7] ? (Datum) 0 : PC_TEXT(a->stage);
				isnull[8] = e->row == NULL || b->status == InvalidOid;
				values[8] = ObjectIdGetDatum(b->status);
				isnull[9] = a->status == InvalidOid;
				values[9] = ObjectIdGetDatum(a->status);
				isnull[10] = e->row == NULL || b->amount == NULL;
				values[10] = NumericGetDatum(b->amount);
				isnull[11] = a->amount == NULL;
				values[11] = NumericGetDatum(a->amount);
				isnull[12] = e->row == NULL || b->close_null;
				values[12] = DateADTGetDatum(b->close);
				isnull[13] = a->close_null;
				values[13] = DateADTGetDatum(a->close);
				isnull[14] = a->owner == NULL;
				values[14] = isnull[14] ? (Datum) 0 : PC_TEXT(a->owner);
				isnull[15] = delta_null;
				values[15] = delta;
				tuplestore_putvalues(rsinfo->setResult, result_desc, values, isnull);
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
	}

	SPI_finish();
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
