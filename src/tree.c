/*
 * tree.c: the crm.tree type -- a fitted CART decision tree (Breiman et al.
 * 1984, as in rpart and scikit-learn) -- its JSON text form, validation,
 * binary send/receive, and what is done with a fitted tree: scoring a row
 * (features bound by column name), rules per leaf, an equivalent SQL CASE
 * expression, feature importances.  Training is in tree_train.c.
 *
 * Semantics of a split (the same as scikit-learn's, so imported trees score
 * identically): a continuous feature goes left when value <= threshold; a
 * categorical feature goes left when its level is in the node's set of left
 * levels.  NULL (and a level the model has never seen) goes the node's
 * default direction ("missing": "left" or "right"), learned in training.
 *
 * The positive class (crm.tree_score's probability) is stored in the model:
 * "true" for a boolean target, else the training option "positive" or the
 * last class label in byte order ("yes" of no/yes, "1" of 0/1).
 *
 * Every value that reaches a reader went through crm_tree_validate (text
 * input, binary receive, the trainer), and the scorer validates again once
 * per call site when it caches a model: no index read while scoring can be
 * out of bounds, and the walk from the root ends (children have greater
 * indexes than their parents).
 */
#include "postgres.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"			/* VARDATA, VARSIZE: in postgres.h before 16 */
#endif

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "tree.h"

#define TREE_HINT "The JSON form of crm.tree is described in the README (section Decision trees); crm.tree_train and scripts/sklearn_to_crm_tree.py write valid models."

#define TREE_ERROR(...) \
	ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
					errmsg("invalid crm.tree: %s", psprintf(__VA_ARGS__)), \
					errhint(TREE_HINT)))

/* ------------------------------------------------------------------------
 * Impurity
 * ------------------------------------------------------------------------ */

/* Gini (1 - sum p^2) or entropy (- sum p log2 p) of weighted class counts. */
double
crm_tree_impurity(int criterion, const double *counts, int n_classes, double total)
{
	double		s = 0.0;
	int			k;

	if (total <= 0.0)
		return 0.0;
	if (criterion == CRM_TREE_ENTROPY)
	{
		for (k = 0; k < n_classes; k++)
			if (counts[k] > 0.0)
			{
				double		p = counts[k] / total;

				s -= p * log2(p);
			}
		return s;
	}
	for (k = 0; k < n_classes; k++)
	{
		double		p = counts[k] / total;

		s += p * p;
	}
	return 1.0 - s;
}

/* ------------------------------------------------------------------------
 * Serialization and validation
 * ------------------------------------------------------------------------ */

typedef struct StrPool
{
	StringInfoData buf;
} StrPool;

static int32
pool_add(StrPool *p, const char *s)
{
	int32		off = p->buf.len;

	appendBinaryStringInfo(&p->buf, s, strlen(s) + 1);
	return off;
}

static int
words_for(int n_levels)
{
	return (n_levels + 31) / 32;
}

/* Serialize a build into one varlena, then validate it. */
CrmTree *
crm_tree_build(CrmTreeBuild *b)
{
	StrPool		pool;
	CrmTree		hdr;
	CrmTree    *t;
	Size		size;
	int			i,
				f,
				n_levels = 0,
				n_words = 0;
	int32	   *feature_name_off,
			   *class_off,
			   *level_off,
				target_off;
	CrmTreeFeature *features;
	CrmTreeNode *nodes;
	uint32	   *words;

	if (b->n_nodes < 1 || b->n_nodes > CRM_TREE_MAX_NODES)
		TREE_ERROR("%d nodes (1 to %d allowed)", b->n_nodes, CRM_TREE_MAX_NODES);
	if (b->n_features < 0 || b->n_features > CRM_TREE_MAX_FEATURES)
		TREE_ERROR("%d features (0 to %d allowed)", b->n_features, CRM_TREE_MAX_FEATURES);
	if (b->n_classes < 1 || b->n_classes > CRM_TREE_MAX_CLASSES)
		TREE_ERROR("%d classes (1 to %d allowed)", b->n_classes, CRM_TREE_MAX_CLASSES);

	initStringInfo(&pool.buf);
	target_off = pool_add(&pool, b->target ? b->target : "");
	feature_name_off = palloc(sizeof(int32) * (b->n_features + 1));
	for (f = 0; f < b->n_features; f++)
	{
		feature_name_off[f] = pool_add(&pool, b->feature_names[f]);
		if (b->feature_kinds[f] == CRM_FEATURE_CATEGORICAL)
		{
			if (b->feature_n_levels[f] > CRM_TREE_MAX_LEVELS - n_levels)
				TREE_ERROR("more than %d category levels", CRM_TREE_MAX_LEVELS);
			n_levels += b->feature_n_levels[f];
		}
	}
	class_off = palloc(sizeof(int32) * b->n_classes);
	for (i = 0; i < b->n_classes; i++)
		class_off[i] = pool_add(&pool, b->classes[i]);
	level_off = palloc(sizeof(int32) * (n_levels + 1));
	n_levels = 0;
	for (f = 0; f < b->n_features; f++)
		if (b->feature_kinds[f] == CRM_FEATURE_CATEGORICAL)
			for (i = 0; i < b->feature_n_levels[f]; i++)
				level_off[n_levels++] = pool_add(&pool, b->feature_levels[f][i]);
	for (i = 0; i < b->n_nodes; i++)
	{
		f = b->nodes[i].feature;
		if (f >= 0 && f < b->n_features && b->feature_kinds[f] == CRM_FEATURE_CATEGORICAL)
			n_words += words_for(b->feature_n_levels[f]);
		if (n_words > CRM_TREE_MAX_LEVELS)
			TREE_ERROR("category sets too large");
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = CRM_TREE_MAGIC;
	hdr.version = CRM_TREE_VERSION;
	hdr.criterion = b->criterion;
	hdr.n_features = b->n_features;
	hdr.n_classes = b->n_classes;
	hdr.n_nodes = b->n_nodes;
	hdr.n_levels = n_levels;
	hdr.n_words = n_words;
	hdr.positive = b->positive;
	hdr.target_off = target_off;
	hdr.strings_len = pool.buf.len;
	hdr.rows = b->rows;
	hdr.skipped = b->skipped;

	size = CRM_TREE_STRINGS_OFF(&hdr) + pool.buf.len;
	if (size > MaxAllocSize / 2)
		TREE_ERROR("model of %zu bytes is too large", size);
	t = palloc0(size);
	memcpy(t, &hdr, sizeof(hdr));
	SET_VARSIZE(t, size);

	nodes = CRM_TREE_NODES(t);
	memcpy(nodes, b->nodes, sizeof(CrmTreeNode) * b->n_nodes);
	memcpy(CRM_TREE_COUNTS(t), b->counts, sizeof(float8) * b->n_nodes * b->n_classes);
	features = CRM_TREE_FEATURES(t);
	n_levels = 0;
	for (f = 0; f < b->n_features; f++)
	{
		features[f].kind = b->feature_kinds[f];
		features[f].name_off = feature_name_off[f];
		features[f].first_level = n_levels;
		features[f].n_levels = b->feature_kinds[f] == CRM_FEATURE_CATEGORICAL ? b->feature_n_levels[f] : 0;
		features[f].flags = (b->feature_nulls == NULL || b->feature_nulls[f]) ? CRM_FEATURE_NULLS : 0;
		n_levels += features[f].n_levels;
	}
	memcpy(CRM_TREE_CLASS_OFF(t), class_off, sizeof(int32) * b->n_classes);
	memcpy(CRM_TREE_LEVEL_OFF(t), level_off, sizeof(int32) * n_levels);
	words = CRM_TREE_WORDS(t);
	n_words = 0;
	for (i = 0; i < b->n_nodes; i++)
	{
		memset(nodes[i].pad, 0, sizeof(nodes[i].pad));
		f = nodes[i].feature;
		nodes[i].word_off = 0;
		if (f >= 0 && f < b->n_features && b->feature_kinds[f] == CRM_FEATURE_CATEGORICAL)
		{
			int			l;

			nodes[i].word_off = n_words;
			nodes[i].threshold = 0.0;	/* unused: every byte of a model is defined */
			for (l = 0; l < b->feature_n_levels[f]; l++)
				if (b->node_left[i][l])
					words[n_words + l / 32] |= ((uint32) 1) << (l % 32);
			n_words += words_for(b->feature_n_levels[f]);
		}
		else
			nodes[i].threshold = f >= 0 ? nodes[i].threshold : 0.0;
	}
	memcpy(CRM_TREE_STRINGS(t), pool.buf.data, pool.buf.len);
	crm_tree_validate(t, size);
	return t;
}

static int
cmp_cstring_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* the first duplicate among n strings, or NULL */
static const char *
find_duplicate(const char **names, int n)
{
	const char **copy;
	const char *dup = NULL;
	int			i;

	if (n < 2)
		return NULL;
	copy = palloc(sizeof(char *) * n);
	memcpy(copy, names, sizeof(char *) * n);
	qsort(copy, n, sizeof(char *), cmp_cstring_ptr);
	for (i = 1; i < n && dup == NULL; i++)
		if (strcmp(copy[i - 1], copy[i]) == 0)
			dup = copy[i];
	pfree(copy);
	return dup;
}

/*
 * Check everything a reader of the varlena relies on: header, exact size,
 * string offsets, feature kinds and level ranges, node references (each
 * child index greater than its parent's and below n_nodes, each node but the
 * root the child of exactly one node: a tree, no cycles, every node
 * reachable), thresholds finite, bitsets within the words and without bits
 * beyond the feature's levels, counts finite and non-negative with a positive
 * total per node.
 */
void
crm_tree_validate(const CrmTree *t, Size size)
{
	const CrmTreeNode *nodes;
	const CrmTreeFeature *features;
	const float8 *counts;
	const int32 *class_off,
			   *level_off;
	const uint32 *words;
	const char *strings;
	const char **names;
	const char *dup;
	int		   *parents;
	int			i,
				k,
				f;

	if (size < sizeof(CrmTree))
		TREE_ERROR("binary value of %zu bytes is shorter than the header", size);
	if (t->magic != CRM_TREE_MAGIC)
		TREE_ERROR("binary value does not start with the crm.tree magic number");
	if (t->version != CRM_TREE_VERSION)
		TREE_ERROR("binary format version %d (this build reads version %d)", t->version, CRM_TREE_VERSION);
	if (t->criterion != CRM_TREE_GINI && t->criterion != CRM_TREE_ENTROPY)
		TREE_ERROR("unknown criterion code %d", t->criterion);
	if (t->n_nodes < 1 || t->n_nodes > CRM_TREE_MAX_NODES ||
		t->n_features < 0 || t->n_features > CRM_TREE_MAX_FEATURES ||
		t->n_classes < 1 || t->n_classes > CRM_TREE_MAX_CLASSES ||
		t->n_levels < 0 || t->n_levels > CRM_TREE_MAX_LEVELS ||
		t->n_words < 0 || t->n_words > CRM_TREE_MAX_LEVELS ||
		t->strings_len < 1 || t->strings_len > (int32) (MaxAllocSize / 2))
		TREE_ERROR("counts out of range (%d nodes, %d features, %d classes, %d levels)",
				   t->n_nodes, t->n_features, t->n_classes, t->n_levels);
	if (CRM_TREE_STRINGS_OFF(t) + (Size) t->strings_len != size)
		TREE_ERROR("binary value of %zu bytes, its header describes %zu bytes",
				   size, CRM_TREE_STRINGS_OFF(t) + (Size) t->strings_len);
	if (t->positive < 0 || t->positive >= t->n_classes)
		TREE_ERROR("positive class index %d outside 0..%d", t->positive, t->n_classes - 1);
	if (t->rows < 0 || t->skipped < 0)
		TREE_ERROR("negative training row count");

	strings = CRM_TREE_STRINGS(t);
	if (strings[t->strings_len - 1] != '\0')
		TREE_ERROR("string pool is not terminated");
#define CHECK_OFF(off) \
	do { if ((off) < 0 || (off) >= t->strings_len) TREE_ERROR("string offset %d out of range", (int) (off)); } while (0)
	CHECK_OFF(t->target_off);

	/* classes: non-empty list of distinct labels */
	class_off = CRM_TREE_CLASS_OFF(t);
	names = palloc(sizeof(char *) * Max(Max(t->n_classes, t->n_features), 1));
	for (k = 0; k < t->n_classes; k++)
	{
		CHECK_OFF(class_off[k]);
		names[k] = strings + class_off[k];
	}
	if ((dup = find_duplicate(names, t->n_classes)) != NULL)
		TREE_ERROR("class \"%s\" appears twice in \"classes\"", dup);

	/* features: kinds, names, level ranges (consecutive, covering n_levels) */
	features = CRM_TREE_FEATURES(t);
	level_off = CRM_TREE_LEVEL_OFF(t);
	{
		int			next_level = 0;

		for (f = 0; f < t->n_features; f++)
		{
			const CrmTreeFeature *ft = &features[f];

			CHECK_OFF(ft->name_off);
			names[f] = strings + ft->name_off;
			if (names[f][0] == '\0')
				TREE_ERROR("feature %d has an empty name", f);
			if ((ft->flags & ~CRM_FEATURE_NULLS) != 0)
				TREE_ERROR("feature \"%s\" has unknown flags %d", names[f], ft->flags);
			if (ft->kind == CRM_FEATURE_CONTINUOUS)
			{
				if (ft->n_levels != 0)
					TREE_ERROR("continuous feature \"%s\" has category levels", names[f]);
			}
			else if (ft->kind == CRM_FEATURE_CATEGORICAL)
			{
				const char **lv;

				if (ft->first_level != next_level || ft->n_levels < 0 ||
					ft->n_levels > t->n_levels - next_level)
					TREE_ERROR("levels of feature \"%s\" out of range", names[f]);
				lv = palloc(sizeof(char *) * Max(ft->n_levels, 1));
				for (k = 0; k < ft->n_levels; k++)
				{
					CHECK_OFF(level_off[next_level + k]);
					lv[k] = strings + level_off[next_level + k];
				}
				if ((dup = find_duplicate(lv, ft->n_levels)) != NULL)
					TREE_ERROR("level \"%s\" appears twice in the levels of feature \"%s\"", dup, names[f]);
				pfree(lv);
				next_level += ft->n_levels;
			}
			else
				TREE_ERROR("feature \"%s\" has unknown kind code %d", names[f], ft->kind);
		}
		if (next_level != t->n_levels)
			TREE_ERROR("%d category levels stored, features use %d", t->n_levels, next_level);
	}
	if ((dup = find_duplicate(names, t->n_features)) != NULL)
		TREE_ERROR("feature \"%s\" appears twice in \"features\"", dup);
	pfree(names);

	/* nodes */
	nodes = CRM_TREE_NODES(t);
	counts = CRM_TREE_COUNTS(t);
	words = CRM_TREE_WORDS(t);
	parents = palloc0(sizeof(int) * t->n_nodes);
	for (i = 0; i < t->n_nodes; i++)
	{
		const CrmTreeNode *n = &nodes[i];
		double		total = 0.0;

		CHECK_FOR_INTERRUPTS();
		for (k = 0; k < t->n_classes; k++)
		{
			double		c = counts[(Size) i * t->n_classes + k];

			if (!isfinite(c) || c < 0.0)
				TREE_ERROR("node %d: class count %g is not a finite non-negative number", i, c);
			total += c;
		}
		if (!(total > 0.0) || !isfinite(total))
			TREE_ERROR("node %d: class counts must have a positive finite sum", i);
		if (n->samples < 0)
			TREE_ERROR("node %d: negative sample count", i);
		if (n->feature == -1)
		{
			if (n->left != 0 || n->right != 0)
				TREE_ERROR("leaf node %d has children", i);
			continue;
		}
		if (n->feature < 0 || n->feature >= t->n_features)
			TREE_ERROR("node %d: feature index %d outside 0..%d", i, n->feature, t->n_features - 1);
		if (n->null_left > 1)
			TREE_ERROR("node %d: bad missing-value direction", i);
		if (n->left <= i || n->left >= t->n_nodes || n->right <= i || n->right >= t->n_nodes || n->left == n->right)
			TREE_ERROR("node %d: children %d and %d must be distinct nodes after it (there are %d nodes)",
					   i, n->left, n->right, t->n_nodes);
		parents[n->left]++;
		parents[n->right]++;
		if (features[n->feature].kind == CRM_FEATURE_CONTINUOUS)
		{
			if (!isfinite(n->threshold))
				TREE_ERROR("node %d: threshold is not a finite number", i);
		}
		else
		{
			int			nl = features[n->feature].n_levels;
			int			nw = words_for(nl);

			if (n->word_off < 0 || n->word_off > t->n_words - nw)
				TREE_ERROR("node %d: category set out of range", i);
			if (nl % 32 != 0 && nw > 0 &&
				(words[n->word_off + nw - 1] >> (nl % 32)) != 0)
				TREE_ERROR("node %d: category set names levels beyond the feature's %d levels", i, nl);
		}
	}
	for (i = 1; i < t->n_nodes; i++)
		if (parents[i] > 1)
			TREE_ERROR("node %d is the child of %d nodes (every node but the root must be the child of exactly one)",
					   i, parents[i]);
	for (i = 1; i < t->n_nodes; i++)
		if (parents[i] == 0)
			TREE_ERROR("node %d is the child of no node: it cannot be reached from the root", i);
	pfree(parents);
#undef CHECK_OFF
}

/* ------------------------------------------------------------------------
 * JSON text form
 * ------------------------------------------------------------------------ */

typedef struct JCtx
{
	const char *where;			/* for messages: "node 3", "feature 1" */
} JCtx;

static const char *
jtype_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a value";
	}
}

/* reject keys not in the allowed list (typos must not pass silently) */
static void
json_check_keys(JsonbContainer *obj, const char *const *allowed, const char *where)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			const char *const *a;
			bool		ok = false;

			for (a = allowed; *a; a++)
				if (strlen(*a) == (size_t) v.val.string.len &&
					memcmp(*a, v.val.string.val, v.val.string.len) == 0)
					ok = true;
			if (!ok)
				TREE_ERROR("unknown key \"%s\" in %s", pnstrdup(v.val.string.val, v.val.string.len), where);
		}
	}
}

static bool
json_get(JsonbContainer *obj, const char *key, JsonbValue *res)
{
	return getKeyJsonValueFromContainer(obj, key, strlen(key), res) != NULL;
}

static char *
json_string(JsonbValue *v, const char *what, const char *where)
{
	if (v->type != jbvString)
		TREE_ERROR("\"%s\" of %s must be a string, not %s", what, where, jtype_name(v));
	if (memchr(v->val.string.val, '\0', v->val.string.len) != NULL)
		TREE_ERROR("\"%s\" of %s contains a NUL character", what, where);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static double
json_number(JsonbValue *v, const char *what, const char *where)
{
	double		d;

	if (v->type != jbvNumeric)
		TREE_ERROR("\"%s\" of %s must be a number, not %s", what, where, jtype_name(v));
	if (numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
		TREE_ERROR("\"%s\" of %s must be a finite number", what, where);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d))
		TREE_ERROR("\"%s\" of %s is out of the range of double precision", what, where);
	return d;
}

static int64
json_int(JsonbValue *v, const char *what, const char *where, int64 lo, int64 hi)
{
	double		d = json_number(v, what, where);

	if (d != floor(d) || d < (double) lo || d > (double) hi)
		TREE_ERROR("\"%s\" of %s must be an integer from " INT64_FORMAT " to " INT64_FORMAT ", not %s",
				   what, where, lo, hi,
				   numeric_normalize(v->val.numeric));
	return (int64) d;
}

static JsonbContainer *
json_container(JsonbValue *v, bool array, const char *what, const char *where)
{
	if (v->type != jbvBinary ||
		(array ? !JsonContainerIsArray(v->val.binary.data) : !JsonContainerIsObject(v->val.binary.data)))
		TREE_ERROR("\"%s\" of %s must be %s, not %s", what, where, array ? "an array" : "an object", jtype_name(v));
	return v->val.binary.data;
}

/* index of name in names[n], or -1 */
static int
find_name(char **names, int n, const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static const char *const top_keys[] = {"format", "version", "criterion", "target", "classes", "positive",
"rows", "skipped", "features", "nodes", NULL};
static const char *const feature_keys[] = {"name", "kind", "levels", "nulls", NULL};
static const char *const node_keys[] = {"feature", "threshold", "left_levels", "left", "right", "missing",
"samples", "counts", NULL};

/* Parse the JSON form (see the README) into a build; all checks with names. */
static CrmTreeBuild *
tree_from_json(const char *text)
{
	Jsonb	   *jb;
	JsonbContainer *root,
			   *arr,
			   *obj;
	JsonbValue	v,
			   *e;
	CrmTreeBuild *b = palloc0(sizeof(CrmTreeBuild));
	int			i,
				k,
				f,
				n;
	char	   *s;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	root = &jb->root;
	if (!JsonContainerIsObject(root))
		TREE_ERROR("the JSON form must be an object");
	json_check_keys(root, top_keys, "the model");

	if (!json_get(root, "format", &v))
		TREE_ERROR("key \"format\" is missing (must be \"crm.tree\")");
	s = json_string(&v, "format", "the model");
	if (strcmp(s, "crm.tree") != 0)
		TREE_ERROR("\"format\" is \"%s\", must be \"crm.tree\"", s);
	if (!json_get(root, "version", &v))
		TREE_ERROR("key \"version\" is missing");
	if (json_number(&v, "version", "the model") != CRM_TREE_VERSION)
		TREE_ERROR("\"version\" is %s, this build reads version %d", numeric_normalize(v.val.numeric), CRM_TREE_VERSION);

	b->criterion = CRM_TREE_GINI;
	if (json_get(root, "criterion", &v))
	{
		s = json_string(&v, "criterion", "the model");
		if (strcmp(s, "gini") == 0)
			b->criterion = CRM_TREE_GINI;
		else if (strcmp(s, "entropy") == 0)
			b->criterion = CRM_TREE_ENTROPY;
		else
			TREE_ERROR("\"criterion\" is \"%s\", must be \"gini\" or \"entropy\"", s);
	}
	b->target = "";
	if (json_get(root, "target", &v))
		b->target = json_string(&v, "target", "the model");
	if (json_get(root, "rows", &v))
		b->rows = json_int(&v, "rows", "the model", 0, PG_INT64_MAX / 2);
	if (json_get(root, "skipped", &v))
		b->skipped = json_int(&v, "skipped", "the model", 0, PG_INT64_MAX / 2);

	/* classes */
	if (!json_get(root, "classes", &v))
		TREE_ERROR("key \"classes\" is missing");
	arr = json_container(&v, true, "classes", "the model");
	b->n_classes = JsonContainerSize(arr);
	if (b->n_classes < 1 || b->n_classes > CRM_TREE_MAX_CLASSES)
		TREE_ERROR("\"classes\" has %d labels (1 to %d allowed)", b->n_classes, CRM_TREE_MAX_CLASSES);
	b->classes = palloc(sizeof(char *) * b->n_classes);
	for (k = 0; k < b->n_classes; k++)
	{
		e = getIthJsonbValueFromContainer(arr, k);
		b->classes[k] = json_string(e, "classes", "the model");
	}
	b->positive = b->n_classes - 1;
	if (json_get(root, "positive", &v))
	{
		s = json_string(&v, "positive", "the model");
		b->positive = find_name(b->classes, b->n_classes, s);
		if (b->positive < 0)
			TREE_ERROR("\"positive\" class \"%s\" is not in \"classes\"", s);
	}

	/* features */
	if (!json_get(root, "features", &v))
		TREE_ERROR("key \"features\" is missing");
	arr = json_container(&v, true, "features", "the model");
	n = JsonContainerSize(arr);
	if (n > CRM_TREE_MAX_FEATURES)
		TREE_ERROR("%d features (at most %d allowed)", n, CRM_TREE_MAX_FEATURES);
	b->n_features = n;
	b->feature_names = palloc0(sizeof(char *) * (n + 1));
	b->feature_kinds = palloc0(sizeof(int) * (n + 1));
	b->feature_nulls = palloc0(sizeof(bool) * (n + 1));
	b->feature_n_levels = palloc0(sizeof(int) * (n + 1));
	b->feature_levels = palloc0(sizeof(char **) * (n + 1));
	for (f = 0; f < n; f++)
	{
		char	   *where = psprintf("feature %d", f);

		e = getIthJsonbValueFromContainer(arr, f);
		obj = json_container(e, false, "features", "the model");
		json_check_keys(obj, feature_keys, where);
		if (!json_get(obj, "name", &v))
			TREE_ERROR("%s has no \"name\"", where);
		b->feature_names[f] = json_string(&v, "name", where);
		if (b->feature_names[f][0] == '\0')
			TREE_ERROR("%s has an empty name", where);
		if (find_name(b->feature_names, f, b->feature_names[f]) >= 0)
			TREE_ERROR("feature \"%s\" appears twice in \"features\"", b->feature_names[f]);
		b->feature_nulls[f] = true;
		if (json_get(obj, "nulls", &v))
		{
			if (v.type != jbvBool)
				TREE_ERROR("\"nulls\" of %s must be true or false, not %s", where, jtype_name(&v));
			b->feature_nulls[f] = v.val.boolean;
		}
		if (!json_get(obj, "kind", &v))
			TREE_ERROR("%s has no \"kind\"", where);
		s = json_string(&v, "kind", where);
		if (strcmp(s, "continuous") == 0)
		{
			b->feature_kinds[f] = CRM_FEATURE_CONTINUOUS;
			if (json_get(obj, "levels", &v))
				TREE_ERROR("continuous %s has \"levels\"", where);
		}
		else if (strcmp(s, "categorical") == 0)
		{
			JsonbContainer *lv;

			b->feature_kinds[f] = CRM_FEATURE_CATEGORICAL;
			if (!json_get(obj, "levels", &v))
				TREE_ERROR("categorical %s has no \"levels\"", where);
			lv = json_container(&v, true, "levels", where);
			b->feature_n_levels[f] = JsonContainerSize(lv);
			if (b->feature_n_levels[f] > CRM_TREE_MAX_LEVELS)
				TREE_ERROR("%s has too many levels", where);
			b->feature_levels[f] = palloc(sizeof(char *) * (b->feature_n_levels[f] + 1));
			for (k = 0; k < b->feature_n_levels[f]; k++)
				b->feature_levels[f][k] = json_string(getIthJsonbValueFromContainer(lv, k), "levels", where);
		}
		else
			TREE_ERROR("\"kind\" of %s is \"%s\", must be \"continuous\" or \"categorical\"", where, s);
	}

	/* nodes */
	if (!json_get(root, "nodes", &v))
		TREE_ERROR("key \"nodes\" is missing");
	arr = json_container(&v, true, "nodes", "the model");
	n = JsonContainerSize(arr);
	if (n < 1 || n > CRM_TREE_MAX_NODES)
		TREE_ERROR("\"nodes\" has %d nodes (1 to %d allowed)", n, CRM_TREE_MAX_NODES);
	b->n_nodes = n;
	b->nodes = palloc0(sizeof(CrmTreeNode) * n);
	b->counts = palloc0(sizeof(float8) * n * b->n_classes);
	b->node_left = palloc0(sizeof(bool *) * n);
	for (i = 0; i < n; i++)
	{
		char	   *where = psprintf("node %d", i);
		CrmTreeNode *nd = &b->nodes[i];
		JsonbContainer *cnt;
		bool		has_feature;

		CHECK_FOR_INTERRUPTS();
		e = getIthJsonbValueFromContainer(arr, i);
		obj = json_container(e, false, "nodes", "the model");
		json_check_keys(obj, node_keys, where);
		if (json_get(obj, "samples", &v))
			nd->samples = json_int(&v, "samples", where, 0, PG_INT64_MAX / 2);
		if (!json_get(obj, "counts", &v))
			TREE_ERROR("%s has no \"counts\"", where);
		cnt = json_container(&v, true, "counts", where);
		if ((int) JsonContainerSize(cnt) != b->n_classes)
			TREE_ERROR("%s has %d counts for %d classes", where, (int) JsonContainerSize(cnt), b->n_classes);
		for (k = 0; k < b->n_classes; k++)
		{
			double		c = json_number(getIthJsonbValueFromContainer(cnt, k), "counts", where);

			if (c < 0)
				TREE_ERROR("%s has a negative count", where);
			b->counts[(Size) i * b->n_classes + k] = c;
		}
		has_feature = json_get(obj, "feature", &v);
		if (!has_feature)
		{
			nd->feature = -1;
			if (json_get(obj, "left", &v) || json_get(obj, "right", &v) ||
				json_get(obj, "threshold", &v) || json_get(obj, "left_levels", &v) ||
				json_get(obj, "missing", &v))
				TREE_ERROR("%s has no \"feature\" (a leaf) but has split keys", where);
			continue;
		}
		s = json_string(&v, "feature", where);
		f = find_name(b->feature_names, b->n_features, s);
		if (f < 0)
			TREE_ERROR("%s splits on \"%s\", which is not in \"features\"", where, s);
		nd->feature = f;
		if (!json_get(obj, "left", &v))
			TREE_ERROR("%s has no \"left\"", where);
		nd->left = json_int(&v, "left", where, 0, n);
		if (!json_get(obj, "right", &v))
			TREE_ERROR("%s has no \"right\"", where);
		nd->right = json_int(&v, "right", where, 0, n);
		if (nd->left <= i || nd->left >= n || nd->right <= i || nd->right >= n || nd->left == nd->right)
			TREE_ERROR("%s: children %d and %d must be distinct nodes after it (there are %d nodes)",
					   where, nd->left, nd->right, n);
		nd->null_left = 1;
		if (json_get(obj, "missing", &v))
		{
			s = json_string(&v, "missing", where);
			if (strcmp(s, "left") == 0)
				nd->null_left = 1;
			else if (strcmp(s, "right") == 0)
				nd->null_left = 0;
			else
				TREE_ERROR("\"missing\" of %s is \"%s\", must be \"left\" or \"right\"", where, s);
		}
		if (b->feature_kinds[f] == CRM_FEATURE_CONTINUOUS)
		{
			if (json_get(obj, "left_levels", &v))
				TREE_ERROR("%s splits on continuous \"%s\" but has \"left_levels\"", where, b->feature_names[f]);
			if (!json_get(obj, "threshold", &v))
				TREE_ERROR("%s splits on continuous \"%s\" but has no \"threshold\"", where, b->feature_names[f]);
			nd->threshold = json_number(&v, "threshold", where);
		}
		else
		{
			JsonbContainer *ll;

			if (json_get(obj, "threshold", &v))
				TREE_ERROR("%s splits on categorical \"%s\" but has a \"threshold\"", where, b->feature_names[f]);
			if (!json_get(obj, "left_levels", &v))
				TREE_ERROR("%s splits on categorical \"%s\" but has no \"left_levels\"", where, b->feature_names[f]);
			ll = json_container(&v, true, "left_levels", where);
			b->node_left[i] = palloc0(sizeof(bool) * (b->feature_n_levels[f] + 1));
			for (k = 0; k < (int) JsonContainerSize(ll); k++)
			{
				int			l;

				s = json_string(getIthJsonbValueFromContainer(ll, k), "left_levels", where);
				l = find_name(b->feature_levels[f], b->feature_n_levels[f], s);
				if (l < 0)
					TREE_ERROR("%s: level \"%s\" is not a level of \"%s\"", where, s, b->feature_names[f]);
				if (b->node_left[i][l])
					TREE_ERROR("%s: level \"%s\" appears twice in \"left_levels\"", where, s);
				b->node_left[i][l] = true;
			}
		}
	}
	return b;
}

static void
append_double(StringInfo buf, double d)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN + 1];

	double_to_shortest_decimal_buf(d, tmp);
	appendStringInfoString(buf, tmp);
}

static const char *
tree_str(const CrmTree *t, int32 off)
{
	return CRM_TREE_STRINGS(t) + off;
}

static const char *
feature_name(const CrmTree *t, int f)
{
	return tree_str(t, CRM_TREE_FEATURES(t)[f].name_off);
}

static const char *
level_name(const CrmTree *t, int f, int l)
{
	return tree_str(t, CRM_TREE_LEVEL_OFF(t)[CRM_TREE_FEATURES(t)[f].first_level + l]);
}

static const char *
class_name(const CrmTree *t, int k)
{
	return tree_str(t, CRM_TREE_CLASS_OFF(t)[k]);
}

static bool
node_goes_left_level(const CrmTree *t, const CrmTreeNode *n, int l)
{
	return (CRM_TREE_WORDS(t)[n->word_off + l / 32] >> (l % 32)) & 1;
}

/* The JSON form of a tree (one line; keys in the documented order). */
static char *
tree_to_json(const CrmTree *t)
{
	StringInfoData buf;
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	const CrmTreeFeature *features = CRM_TREE_FEATURES(t);
	const float8 *counts = CRM_TREE_COUNTS(t);
	int			i,
				k,
				f;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"format\": \"crm.tree\", \"version\": %d, \"criterion\": \"%s\", \"target\": ",
					 CRM_TREE_VERSION, t->criterion == CRM_TREE_ENTROPY ? "entropy" : "gini");
	escape_json(&buf, tree_str(t, t->target_off));
	appendStringInfoString(&buf, ", \"classes\": [");
	for (k = 0; k < t->n_classes; k++)
	{
		if (k > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, class_name(t, k));
	}
	appendStringInfoString(&buf, "], \"positive\": ");
	escape_json(&buf, class_name(t, t->positive));
	appendStringInfo(&buf, ", \"rows\": " INT64_FORMAT ", \"skipped\": " INT64_FORMAT ", \"features\": [",
					 t->rows, t->skipped);
	for (f = 0; f < t->n_features; f++)
	{
		if (f > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"name\": ");
		escape_json(&buf, feature_name(t, f));
		appendStringInfo(&buf, ", \"nulls\": %s", (features[f].flags & CRM_FEATURE_NULLS) ? "true" : "false");
		if (features[f].kind == CRM_FEATURE_CONTINUOUS)
			appendStringInfoString(&buf, ", \"kind\": \"continuous\"}");
		else
		{
			appendStringInfoString(&buf, ", \"kind\": \"categorical\", \"levels\": [");
			for (k = 0; k < features[f].n_levels; k++)
			{
				if (k > 0)
					appendStringInfoString(&buf, ", ");
				escape_json(&buf, level_name(t, f, k));
			}
			appendStringInfoString(&buf, "]}");
		}
	}
	appendStringInfoString(&buf, "], \"nodes\": [");
	for (i = 0; i < t->n_nodes; i++)
	{
		const CrmTreeNode *n = &nodes[i];

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoChar(&buf, '{');
		if (n->feature >= 0)
		{
			f = n->feature;
			appendStringInfoString(&buf, "\"feature\": ");
			escape_json(&buf, feature_name(t, f));
			if (features[f].kind == CRM_FEATURE_CONTINUOUS)
			{
				appendStringInfoString(&buf, ", \"threshold\": ");
				append_double(&buf, n->threshold);
			}
			else
			{
				bool		first = true;

				appendStringInfoString(&buf, ", \"left_levels\": [");
				for (k = 0; k < features[f].n_levels; k++)
					if (node_goes_left_level(t, n, k))
					{
						if (!first)
							appendStringInfoString(&buf, ", ");
						first = false;
						escape_json(&buf, level_name(t, f, k));
					}
				appendStringInfoChar(&buf, ']');
			}
			appendStringInfo(&buf, ", \"left\": %d, \"right\": %d, \"missing\": \"%s\", ",
							 n->left, n->right, n->null_left ? "left" : "right");
		}
		appendStringInfo(&buf, "\"samples\": " INT64_FORMAT ", \"counts\": [", n->samples);
		for (k = 0; k < t->n_classes; k++)
		{
			if (k > 0)
				appendStringInfoString(&buf, ", ");
			append_double(&buf, counts[(Size) i * t->n_classes + k]);
		}
		appendStringInfoString(&buf, "]}");
	}
	appendStringInfoString(&buf, "]}");
	return buf.data;
}

PG_FUNCTION_INFO_V1(crm_tree_in);
Datum
crm_tree_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);

	PG_RETURN_POINTER(crm_tree_build(tree_from_json(text)));
}

PG_FUNCTION_INFO_V1(crm_tree_out);
Datum
crm_tree_out(PG_FUNCTION_ARGS)
{
	CrmTree    *t = (CrmTree *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	PG_RETURN_CSTRING(tree_to_json(t));
}

/*
 * Binary form: a format byte (1) and the JSON text, as jsonb's send does;
 * receive parses and validates it exactly as the text input does.
 */
PG_FUNCTION_INFO_V1(crm_tree_send);
Datum
crm_tree_send(PG_FUNCTION_ARGS)
{
	CrmTree    *t = (CrmTree *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	char	   *json = tree_to_json(t);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint8(&buf, 1);
	pq_sendtext(&buf, json, strlen(json));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(crm_tree_recv);
Datum
crm_tree_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgint(buf, 1);
	int			nbytes;
	char	   *json;

	if (version != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported crm.tree binary format version %d", version),
				 errhint("The binary form is a version byte 1 followed by the JSON text.")));
	json = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);
	PG_RETURN_POINTER(crm_tree_build(tree_from_json(json)));
}

/* ------------------------------------------------------------------------
 * Scoring
 * ------------------------------------------------------------------------ */

/* how a row's column becomes a feature value */
typedef enum
{
	CONV_INT2, CONV_INT4, CONV_INT8, CONV_FLOAT4, CONV_FLOAT8, CONV_NUMERIC,
	CONV_TEXT,					/* text, varchar: the bytes */
	CONV_NAME,					/* name: up to the NUL */
	CONV_BPCHAR,				/* trailing blanks dropped, as ::text */
	CONV_BOOL,
	CONV_ENUM					/* the label, cached per enum value */
} Conv;

typedef struct LevelHash
{
	int			size;			/* power of two */
	int32	   *slot;			/* level index or -1 */
	const char **names;
	int		   *lens;
} LevelHash;

#define ENUM_CACHE 64

typedef struct FeatureBind
{
	int			attno;			/* 0-based column of the row */
	Conv		conv;
	LevelHash	levels;			/* categorical */
	int32		code_true;		/* CONV_BOOL */
	int32		code_false;
	Oid			enum_oid[ENUM_CACHE];	/* CONV_ENUM: direct-mapped cache */
	int32		enum_code[ENUM_CACHE];
} FeatureBind;

typedef struct TreeEntry
{
	MemoryContext cxt;			/* everything below; reset when replaced */
	/* model identity: the argument's bytes as passed (toast pointer or value) */
	char	   *raw;
	Size		rawlen;
	CrmTree    *tree;
	double	   *prob;			/* per node: positive-class probability */
	int32	   *predicted;		/* per node: majority class (lowest index on ties) */
	/* row type the features are bound to */
	Oid			typid;
	int32		typmod;
	TupleDesc	desc;			/* the row type's, to deform rows */
	FeatureBind *bind;
	Datum	   *values;
	bool	   *nulls;
	bool		columns;		/* bound to the arguments of tree_score_columns */
	struct FastNode *fast;		/* the nodes with their columns resolved */
} TreeEntry;

/*
 * A node as the scorer walks it: the column (index into the row's values or
 * the function's arguments) and its conversion resolved, 32 bytes, so that a
 * walk touches one small array.
 */
typedef struct FastNode
{
	double		threshold;
	int32		left;			/* -1: a leaf */
	int32		right;
	int32		arg;			/* column index */
	int32		word_off;		/* categorical: first bitset word */
	int16		feature;
	uint8		conv;			/* Conv */
	uint8		null_left;
	uint8		categorical;
	uint8		pad[3];
} FastNode;

/*
 * A call site keeps up to TREE_CACHE_MODELS models (a join of customers with
 * a few models scores each row against each): an entry is found by the
 * model argument's bytes as passed -- for a model stored out of line that is
 * the 18-byte toast pointer, so nothing is detoasted per row.
 */
#define TREE_CACHE_MODELS 4
typedef struct TreeCache
{
	TreeEntry	entry[TREE_CACHE_MODELS];
	int			used;
	int			victim;
	bool		model_stable;	/* the model argument is a constant (or an external parameter) */
} TreeCache;

static uint32
level_hash_of(const char *s, int len)
{
	return hash_bytes((const unsigned char *) s, len);
}

static void
level_hash_build(LevelHash *h, const CrmTree *t, int f, MemoryContext cxt)
{
	int			n = CRM_TREE_FEATURES(t)[f].n_levels;
	int			l;

	h->size = 8;
	while (h->size < 2 * n)
		h->size *= 2;
	h->slot = MemoryContextAlloc(cxt, sizeof(int32) * h->size);
	memset(h->slot, -1, sizeof(int32) * h->size);
	h->names = MemoryContextAlloc(cxt, sizeof(char *) * (n + 1));
	h->lens = MemoryContextAlloc(cxt, sizeof(int) * (n + 1));
	for (l = 0; l < n; l++)
	{
		uint32		pos;

		h->names[l] = level_name(t, f, l);
		h->lens[l] = strlen(h->names[l]);
		pos = level_hash_of(h->names[l], h->lens[l]) & (h->size - 1);
		while (h->slot[pos] >= 0)
			pos = (pos + 1) & (h->size - 1);
		h->slot[pos] = l;
	}
}

static int32
level_lookup(const LevelHash *h, const char *s, int len)
{
	uint32		pos = level_hash_of(s, len) & (h->size - 1);

	while (h->slot[pos] >= 0)
	{
		int32		l = h->slot[pos];

		if (h->lens[l] == len && memcmp(h->names[l], s, len) == 0)
			return l;
		pos = (pos + 1) & (h->size - 1);
	}
	return -1;
}

/* Take a new model into the cache: copy, validate, precompute leaf outputs. */
static void
cache_model(TreeEntry *c, Datum raw)
{
	MemoryContext cxt = c->cxt;
	struct varlena *rv = (struct varlena *) DatumGetPointer(raw);
	Size		rawlen = VARSIZE_ANY(rv);
	struct varlena *detoasted;
	CrmTree    *t;
	int			i,
				k;
	const float8 *counts;

	MemoryContextReset(cxt);
	c->raw = NULL;
	c->tree = NULL;
	c->typid = InvalidOid;		/* features must be bound again */

	detoasted = pg_detoast_datum_packed(rv);
	t = MemoryContextAlloc(cxt, VARSIZE_ANY(detoasted));
	if (VARATT_IS_SHORT(detoasted))
	{
		/* unpack a short header into an aligned 4-byte-header copy */
		Size		len = VARSIZE_SHORT(detoasted) - VARHDRSZ_SHORT;

		pfree(t);
		t = MemoryContextAlloc(cxt, len + VARHDRSZ);
		SET_VARSIZE(t, len + VARHDRSZ);
		memcpy(VARDATA(t), VARDATA_SHORT(detoasted), len);
	}
	else
		memcpy(t, detoasted, VARSIZE(detoasted));
	crm_tree_validate(t, VARSIZE(t));

	c->prob = MemoryContextAlloc(cxt, sizeof(double) * t->n_nodes);
	c->predicted = MemoryContextAlloc(cxt, sizeof(int32) * t->n_nodes);
	counts = CRM_TREE_COUNTS(t);
	for (i = 0; i < t->n_nodes; i++)
	{
		const float8 *cn = counts + (Size) i * t->n_classes;
		double		total = 0.0;
		int			best = 0;

		for (k = 0; k < t->n_classes; k++)
		{
			total += cn[k];
			if (cn[k] > cn[best])
				best = k;
		}
		c->prob[i] = cn[t->positive] / total;
		c->predicted[i] = best;
	}
	c->tree = t;
	c->raw = MemoryContextAlloc(cxt, rawlen);
	memcpy(c->raw, rv, rawlen);
	c->rawlen = rawlen;
}

static bool
is_enum_type(Oid typid)
{
	return type_is_enum(typid);
}

/* Check a feature's column type and set up its conversion (and level lookup). */
static void
bind_feature(FeatureBind *fb, const CrmTree *t, int f, Oid coltype, MemoryContext cxt)
{
	const char *name = feature_name(t, f);
	Oid			type = getBaseType(coltype);

	if (CRM_TREE_FEATURES(t)[f].kind == CRM_FEATURE_CONTINUOUS)
	{
		switch (type)
		{
			case INT2OID:
				fb->conv = CONV_INT2;
				break;
			case INT4OID:
				fb->conv = CONV_INT4;
				break;
			case INT8OID:
				fb->conv = CONV_INT8;
				break;
			case FLOAT4OID:
				fb->conv = CONV_FLOAT4;
				break;
			case FLOAT8OID:
				fb->conv = CONV_FLOAT8;
				break;
			case NUMERICOID:
				fb->conv = CONV_NUMERIC;
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" is of type %s, but the model's feature \"%s\" is continuous",
								name, format_type_be(coltype), name),
						 errhint("A continuous feature needs smallint, integer, bigint, real, double precision or numeric; cast the column in a subquery.")));
		}
		return;
	}
	if (type == TEXTOID || type == VARCHAROID || type == NAMEOID)
		fb->conv = type == NAMEOID ? CONV_NAME : CONV_TEXT;
	else if (type == BPCHAROID)
		fb->conv = CONV_BPCHAR;
	else if (type == BOOLOID)
		fb->conv = CONV_BOOL;
	else if (is_enum_type(type))
		fb->conv = CONV_ENUM;
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" is of type %s, but the model's feature \"%s\" is categorical",
						name, format_type_be(coltype), name),
				 errhint("A categorical feature needs text, varchar, char, boolean or an enum; cast the column to text in a subquery.")));
	level_hash_build(&fb->levels, t, f, cxt);
	fb->code_true = level_lookup(&fb->levels, "true", 4);
	fb->code_false = level_lookup(&fb->levels, "false", 5);
	memset(fb->enum_oid, 0, sizeof(fb->enum_oid));
}

static void
missing_feature(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("the row has no column \"%s\", a feature of the model", name),
			 errhint("Pass a row with a column named like every feature of the model (crm.tree_importance lists them); rename with a subquery: (SELECT x AS \"%s\", ...).", name)));
}

/* The walk's node array, once the features are bound. */
static void
build_fast(TreeEntry *c)
{
	const CrmTree *t = c->tree;
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	FastNode   *fast = MemoryContextAllocZero(c->cxt, sizeof(FastNode) * t->n_nodes);
	int			i;

	for (i = 0; i < t->n_nodes; i++)
	{
		const CrmTreeNode *n = &nodes[i];

		if (n->feature < 0)
		{
			fast[i].left = -1;
			continue;
		}
		fast[i].threshold = n->threshold;
		fast[i].left = n->left;
		fast[i].right = n->right;
		fast[i].arg = c->bind[n->feature].attno;
		fast[i].word_off = n->word_off;
		fast[i].feature = n->feature;
		fast[i].conv = c->bind[n->feature].conv;
		fast[i].null_left = n->null_left;
		fast[i].categorical = CRM_TREE_FEATURES(t)[n->feature].kind == CRM_FEATURE_CATEGORICAL;
	}
	c->fast = fast;
}

/* Bind the model's features to the columns of a row type, by name. */
static void
cache_bind(TreeEntry *c, Oid typid, int32 typmod)
{
	MemoryContext cxt = c->cxt;
	const CrmTree *t = c->tree;
	TupleDesc	desc;
	int			f,
				a;

	/* a copy of the row type's descriptor (versions and all) for deforming */
	desc = lookup_rowtype_tupdesc(typid, typmod);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		c->desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(old);
	}
	ReleaseTupleDesc(desc);
	desc = c->desc;
	c->bind = MemoryContextAllocZero(cxt, sizeof(FeatureBind) * Max(t->n_features, 1));
	for (f = 0; f < t->n_features; f++)
	{
		FeatureBind *fb = &c->bind[f];

		fb->attno = -1;
		for (a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), feature_name(t, f)) == 0)
			{
				fb->attno = a;
				break;
			}
		}
		if (fb->attno < 0)
			missing_feature(feature_name(t, f));
		bind_feature(fb, t, f, TupleDescAttr(desc, fb->attno)->atttypid, cxt);
	}
	c->values = MemoryContextAlloc(cxt, sizeof(Datum) * Max(desc->natts, 1));
	c->nulls = MemoryContextAlloc(cxt, sizeof(bool) * Max(desc->natts, 1));
	c->typid = typid;
	c->typmod = typmod;
	build_fast(c);
}

/*
 * Bind the features to the arguments of crm.tree_score_columns: the column
 * names (argument 1) and the columns themselves (arguments 2...).
 */
static void
cache_bind_columns(TreeEntry *c, FunctionCallInfo fcinfo)
{
	MemoryContext cxt = c->cxt;
	const CrmTree *t = c->tree;
	ArrayType  *names = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *nd;
	bool	   *nn;
	int			n,
				f,
				a;

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &nd, &nn, &n);
	if (n != PG_NARGS() - 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.tree_score_columns got %d column names for %d columns", n, PG_NARGS() - 3),
				 errhint("Call crm.tree_score(model, row); the planner writes this call.")));
	c->bind = MemoryContextAllocZero(cxt, sizeof(FeatureBind) * Max(t->n_features, 1));
	for (f = 0; f < t->n_features; f++)
	{
		FeatureBind *fb = &c->bind[f];
		const char *name = feature_name(t, f);
		size_t		len = strlen(name);

		fb->attno = -1;
		for (a = 0; a < n; a++)
			if (!nn[a] && VARSIZE_ANY_EXHDR(DatumGetPointer(nd[a])) == len &&
				memcmp(VARDATA_ANY(DatumGetPointer(nd[a])), name, len) == 0)
			{
				fb->attno = a;
				break;
			}
		if (fb->attno < 0)
			missing_feature(name);
		bind_feature(fb, t, f, get_fn_expr_argtype(fcinfo->flinfo, 3 + fb->attno), cxt);
	}
	c->values = MemoryContextAlloc(cxt, sizeof(Datum) * Max(n, 1));
	c->nulls = MemoryContextAlloc(cxt, sizeof(bool) * Max(n, 1));
	c->typid = InvalidOid;
	c->columns = true;
	build_fast(c);
}

/* the level index of a categorical value, -1 when the model does not know it */
static int32
categorical_code(FeatureBind *fb, Datum d)
{
	switch (fb->conv)
	{
		case CONV_BOOL:
			return DatumGetBool(d) ? fb->code_true : fb->code_false;
		case CONV_TEXT:
			{
				text	   *tx = (text *) DatumGetPointer(d);
				int32		code;

				tx = pg_detoast_datum_packed(tx);
				code = level_lookup(&fb->levels, VARDATA_ANY(tx), VARSIZE_ANY_EXHDR(tx));
				return code;
			}
		case CONV_NAME:
			{
				const char *nm = NameStr(*DatumGetName(d));

				return level_lookup(&fb->levels, nm, strlen(nm));
			}
		case CONV_BPCHAR:
			{
				text	   *tx = pg_detoast_datum_packed((text *) DatumGetPointer(d));
				const char *s = VARDATA_ANY(tx);
				int			len = VARSIZE_ANY_EXHDR(tx);

				while (len > 0 && s[len - 1] == ' ')
					len--;
				return level_lookup(&fb->levels, s, len);
			}
		case CONV_ENUM:
			{
				Oid			o = DatumGetObjectId(d);
				int			slot = o % ENUM_CACHE;

				if (fb->enum_oid[slot] != o || o == InvalidOid)
				{
					char	   *label = DatumGetCString(DirectFunctionCall1(enum_out, d));

					fb->enum_oid[slot] = o;
					fb->enum_code[slot] = level_lookup(&fb->levels, label, strlen(label));
					pfree(label);
				}
				return fb->enum_code[slot];
			}
		default:
			elog(ERROR, "unexpected conversion for a categorical feature");
	}
	return -1;
}

static double
continuous_value(FeatureBind *fb, Datum d)
{
	switch (fb->conv)
	{
		case CONV_INT2:
			return DatumGetInt16(d);
		case CONV_INT4:
			return DatumGetInt32(d);
		case CONV_INT8:
			return (double) DatumGetInt64(d);
		case CONV_FLOAT4:
			return DatumGetFloat4(d);
		case CONV_FLOAT8:
			return DatumGetFloat8(d);
		case CONV_NUMERIC:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
		default:
			elog(ERROR, "unexpected conversion for a continuous feature");
	}
	return 0.0;
}

/*
 * The model entry of a call site's cache for argument 0, (re)built when the
 * model bytes differ from every cached model's.
 */
static TreeEntry *
cache_entry(FunctionCallInfo fcinfo)
{
	Datum		raw = PG_GETARG_DATUM(0);
	struct varlena *rv = (struct varlena *) DatumGetPointer(raw);
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	TreeCache  *cache = (TreeCache *) fcinfo->flinfo->fn_extra;
	TreeEntry  *c = NULL;
	Size		rawlen = VARSIZE_ANY(rv);
	int			i;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(cxt, sizeof(TreeCache));
		cache->model_stable = get_fn_expr_arg_stable(fcinfo->flinfo, 0);
		fcinfo->flinfo->fn_extra = cache;
	}
	if (cache->model_stable && cache->used == 1)
		return &cache->entry[0];	/* the same model for the whole query */
	for (i = 0; i < cache->used; i++)
		if (cache->entry[i].rawlen == rawlen && cache->entry[i].raw != NULL &&
			memcmp(cache->entry[i].raw, rv, rawlen) == 0)
			return &cache->entry[i];
	if (cache->used < TREE_CACHE_MODELS)
	{
		c = &cache->entry[cache->used++];
		c->cxt = AllocSetContextCreate(cxt, "crm.tree model cache", ALLOCSET_SMALL_SIZES);
	}
	else
	{
		c = &cache->entry[cache->victim];
		cache->victim = (cache->victim + 1) % TREE_CACHE_MODELS;
	}
	cache_model(c, raw);
	return c;
}

/* whether a row goes left at a node: value and NULL flag of its column */
static inline bool
goes_left(TreeEntry *c, const FastNode *n, Datum d, bool isnull)
{
	if (isnull)
		return n->null_left;
	if (!n->categorical)
	{
		double		x;

		switch (n->conv)
		{
			case CONV_FLOAT8:
				x = DatumGetFloat8(d);
				break;
			case CONV_INT4:
				x = DatumGetInt32(d);
				break;
			default:
				x = continuous_value(&c->bind[n->feature], d);
				break;
		}
		return isnan(x) ? n->null_left : x <= n->threshold;
	}
	else
	{
		int32		l = categorical_code(&c->bind[n->feature], d);

		return l < 0 ? n->null_left : (CRM_TREE_WORDS(c->tree)[n->word_off + l / 32] >> (l % 32)) & 1;
	}
}

/* The leaf a row reaches, its column values in c->values / c->nulls. */
static int
walk(TreeEntry *c)
{
	const FastNode *fast = c->fast;
	int			i = 0;

	while (fast[i].left >= 0)
	{
		const FastNode *n = &fast[i];

		i = goes_left(c, n, c->values[n->arg], c->nulls[n->arg]) ? n->left : n->right;
	}
	return i;
}

/* The same, the column values in function arguments (tree_score_columns). */
static int
walk_args(TreeEntry *c, const NullableDatum *args)
{
	const FastNode *fast = c->fast;
	int			i = 0;

	while (fast[i].left >= 0)
	{
		const FastNode *n = &fast[i];

		i = goes_left(c, n, args[n->arg].value, args[n->arg].isnull) ? n->left : n->right;
	}
	return i;
}

/* The leaf of the row in argument 1 (a record); features bound by name. */
static int
score_leaf(FunctionCallInfo fcinfo, TreeEntry **cp)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(1);
	TreeEntry  *c = cache_entry(fcinfo);
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	HeapTupleData tuple;

	if (c->columns || c->typid != typid || c->typmod != typmod)
	{
		c->columns = false;
		cache_bind(c, typid, typmod);
	}
	*cp = c;
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	heap_deform_tuple(&tuple, c->desc, c->values, c->nulls);
	return walk(c);
}

PG_FUNCTION_INFO_V1(crm_tree_score);
Datum
crm_tree_score(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			leaf = score_leaf(fcinfo, &c);

	PG_RETURN_FLOAT8(c->prob[leaf]);
}

/*
 * crm.tree_score_columns(model, names, null_row, VARIADIC "any"):
 * crm.tree_score with the row's columns passed one by one.  The planner puts
 * it in place of crm.tree_score(model, t) when t is a table's (or view's)
 * whole row (see crm_tree_support): the executor then fetches the columns
 * from the scan instead of forming a composite value per row.  null_row says
 * when the row itself was NULL (the missing side of an outer join), which
 * crm.tree_score, being strict, answers with NULL: -1 never (a view's
 * ROW(...)), n >= 0 when column n (declared NOT NULL) is NULL, -2 when every
 * column is NULL (a table without a NOT NULL column).
 */
PG_FUNCTION_INFO_V1(crm_tree_score_columns);
Datum
crm_tree_score_columns(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			a,
				n = PG_NARGS() - 3,
				null_row;
	bool		all_null = true;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	null_row = PG_GETARG_INT32(2);
	if (null_row >= 0 && null_row < n && PG_ARGISNULL(3 + null_row))
		PG_RETURN_NULL();
	if (null_row == -2)
	{
		for (a = 0; a < n && all_null; a++)
			all_null = PG_ARGISNULL(3 + a);
		if (all_null)
			PG_RETURN_NULL();
	}
	c = cache_entry(fcinfo);
	if (!c->columns)
		cache_bind_columns(c, fcinfo);
	PG_RETURN_FLOAT8(c->prob[walk_args(c, &fcinfo->args[3])]);
}

/*
 * Planner support of crm.tree_score: a call on a whole-row reference of a
 * table or view (crm.tree_score(m.model, c)) becomes
 * crm.tree_score_columns(m.model, '{col1,...}', null_row, c.col1, ...), same
 * result; so does one on a view's row, which the planner has turned into
 * ROW(expressions) by then.
 */
PG_FUNCTION_INFO_V1(crm_tree_support);
Datum
crm_tree_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *fe;
	Var		   *v;
	Var		   *col;
	TupleDesc	desc;
	List	   *args;
	Datum	   *names;
	int			n = 0,
				a;
	Oid			argtypes[4] = {InvalidOid, TEXTARRAYOID, INT4OID, ANYOID};
	int			null_row = -1;
	Oid			fn;
	char	   *nsp;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	fe = req->fcall;
	if (list_length(fe->args) != 2)
		PG_RETURN_POINTER(NULL);
	args = list_make1(linitial(fe->args));
	args = lappend(args, NULL);	/* the names, below */
	args = lappend(args, NULL);	/* when the row is NULL, below */
	if (IsA(lsecond(fe->args), Var))
	{
		/* a table's whole row: its columns */
		v = (Var *) lsecond(fe->args);
		if (v->varattno != 0 || v->vartype == RECORDOID || get_typtype(v->vartype) != TYPTYPE_COMPOSITE)
			PG_RETURN_POINTER(NULL);
		desc = lookup_rowtype_tupdesc_noerror(v->vartype, v->vartypmod, true);
		if (desc == NULL)
			PG_RETURN_POINTER(NULL);
		names = palloc(sizeof(Datum) * Max(desc->natts, 1));
		null_row = -2;
		for (a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a);

			if (att->attisdropped)
				continue;
			if (att->attnotnull && null_row == -2)
				null_row = n;	/* NULL only when the whole row is */
			names[n++] = PointerGetDatum(cstring_to_text(NameStr(att->attname)));
			col = makeVar(v->varno, att->attnum, att->atttypid, att->atttypmod,
						  att->attcollation, v->varlevelsup);
#if PG_VERSION_NUM >= 160000
			/* nullable by the same outer joins as the whole row */
			col->varnullingrels = bms_copy(v->varnullingrels);
#endif
			args = lappend(args, col);
		}
		ReleaseTupleDesc(desc);
	}
	else if (IsA(lsecond(fe->args), RowExpr))
	{
		/*
		 * A view's whole row, after the planner pulled the view up:
		 * ROW(expressions) of the view's row type.  Its fields, named by the
		 * row type (dropped columns are NULL constants: skipped) or, for an
		 * anonymous record, by the column names the RowExpr carries.
		 */
		RowExpr    *re = (RowExpr *) lsecond(fe->args);
		ListCell   *lc;

		desc = NULL;
		if (re->row_typeid != RECORDOID)
		{
			desc = lookup_rowtype_tupdesc_noerror(re->row_typeid, -1, true);
			if (desc == NULL)
				PG_RETURN_POINTER(NULL);
			if (desc->natts != list_length(re->args))
			{
				ReleaseTupleDesc(desc);
				PG_RETURN_POINTER(NULL);
			}
		}
		else if (list_length(re->colnames) != list_length(re->args))
			PG_RETURN_POINTER(NULL);
		names = palloc(sizeof(Datum) * Max(list_length(re->args), 1));
		a = 0;
		foreach(lc, re->args)
		{
			const char *name;

			if (desc)
			{
				if (TupleDescAttr(desc, a)->attisdropped)
				{
					a++;
					continue;
				}
				name = NameStr(TupleDescAttr(desc, a)->attname);
			}
			else
				name = strVal(list_nth(re->colnames, a));
			names[n++] = PointerGetDatum(cstring_to_text(name));
			args = lappend(args, lfirst(lc));
			a++;
		}
		if (desc)
			ReleaseTupleDesc(desc);
	}
	else
		PG_RETURN_POINTER(NULL);
	if (n == 0 || n > FUNC_MAX_ARGS - 3)
		PG_RETURN_POINTER(NULL);
	lsecond(args) = makeConst(TEXTARRAYOID, -1, InvalidOid, -1,
							  PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT)),
							  false, false);
	lthird(args) = makeConst(INT4OID, -1, InvalidOid, sizeof(int32), Int32GetDatum(null_row), false, true);
	nsp = get_namespace_name(get_func_namespace(fe->funcid));
	argtypes[0] = exprType(linitial(fe->args));
	fn = LookupFuncName(list_make2(makeString(nsp), makeString("tree_score_columns")), 4, argtypes, true);
	if (!OidIsValid(fn))
		PG_RETURN_POINTER(NULL);
	PG_RETURN_POINTER(makeFuncExpr(fn, FLOAT8OID, args, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL));
}

PG_FUNCTION_INFO_V1(crm_tree_predict);
Datum
crm_tree_predict(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			leaf = score_leaf(fcinfo, &c);

	PG_RETURN_TEXT_P(cstring_to_text(class_name(c->tree, c->predicted[leaf])));
}

PG_FUNCTION_INFO_V1(crm_tree_leaf);
Datum
crm_tree_leaf(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;

	PG_RETURN_INT32(score_leaf(fcinfo, &c));
}

static ArrayType *
float8_array(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* class probabilities of a node (counts / total), in class order */
static double *
node_probabilities(const CrmTree *t, int node)
{
	const float8 *cn = CRM_TREE_COUNTS(t) + (Size) node * t->n_classes;
	double	   *p = palloc(sizeof(double) * t->n_classes);
	double		total = 0.0;
	int			k;

	for (k = 0; k < t->n_classes; k++)
		total += cn[k];
	for (k = 0; k < t->n_classes; k++)
		p[k] = cn[k] / total;
	return p;
}

PG_FUNCTION_INFO_V1(crm_tree_probabilities);
Datum
crm_tree_probabilities(PG_FUNCTION_ARGS)
{
	TreeEntry  *c;
	int			leaf = score_leaf(fcinfo, &c);

	PG_RETURN_ARRAYTYPE_P(float8_array(node_probabilities(c->tree, leaf), c->tree->n_classes));
}

/* ------------------------------------------------------------------------
 * Explaining: info, rules, SQL, importances
 * ------------------------------------------------------------------------ */

static CrmTree *
tree_arg(FunctionCallInfo fcinfo, int arg)
{
	CrmTree    *t = (CrmTree *) PG_DETOAST_DATUM(PG_GETARG_DATUM(arg));

	return t;
}

static int
tree_depth(const CrmTree *t, int **depth_out)
{
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	int		   *depth = palloc0(sizeof(int) * t->n_nodes);
	int			i,
				max = 0;

	/* preorder with children after parents: one forward pass */
	for (i = 0; i < t->n_nodes; i++)
	{
		if (depth[i] > max)
			max = depth[i];
		if (nodes[i].feature >= 0)
		{
			depth[nodes[i].left] = depth[i] + 1;
			depth[nodes[i].right] = depth[i] + 1;
		}
	}
	if (depth_out)
		*depth_out = depth;
	return max;
}

PG_FUNCTION_INFO_V1(crm_tree_info);
Datum
crm_tree_info(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	StringInfoData buf;
	int			i,
				leaves = 0;

	for (i = 0; i < t->n_nodes; i++)
		if (CRM_TREE_NODES(t)[i].feature < 0)
			leaves++;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"target\": ");
	escape_json(&buf, tree_str(t, t->target_off));
	appendStringInfoString(&buf, ", \"classes\": [");
	for (i = 0; i < t->n_classes; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, class_name(t, i));
	}
	appendStringInfoString(&buf, "], \"positive\": ");
	escape_json(&buf, class_name(t, t->positive));
	appendStringInfo(&buf, ", \"criterion\": \"%s\", \"features\": %d, \"nodes\": %d, \"leaves\": %d, \"depth\": %d, \"rows\": " INT64_FORMAT ", \"skipped\": " INT64_FORMAT ", \"bytes\": %d}",
					 t->criterion == CRM_TREE_ENTROPY ? "entropy" : "gini",
					 t->n_features, t->n_nodes, leaves, tree_depth(t, NULL),
					 t->rows, t->skipped, (int) VARSIZE(t));
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* what a path from the root says about one feature */
typedef struct PathCond
{
	bool		used;
	bool		null_ok;		/* NULL rows follow this path */
	double		lo;				/* value > lo (-inf: none) */
	double		hi;				/* value <= hi (+inf: none) */
	bool	   *allowed;		/* categorical: levels that follow this path */
} PathCond;

typedef struct RuleRow
{
	int			leaf;
	char	   *text;
	double		probability;
	int64		samples;
} RuleRow;

typedef struct RulesCtx
{
	const CrmTree *t;
	PathCond   *cond;
	int		   *order;			/* features in order of first use on the path */
	int			n_order;
	RuleRow    *rows;
	int			n_rows;
} RulesCtx;

/* probability descending, then more samples, then leaf order */
static int
cmp_rule_row(const void *a, const void *b)
{
	const RuleRow *x = a,
			   *y = b;

	if (x->probability != y->probability)
		return x->probability > y->probability ? -1 : 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->leaf < y->leaf ? -1 : x->leaf > y->leaf;
}

static void
append_name(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, s);
}

static char *
rule_text(RulesCtx *r)
{
	StringInfoData buf;
	int			j;

	initStringInfo(&buf);
	for (j = 0; j < r->n_order; j++)
	{
		int			f = r->order[j];
		PathCond   *pc = &r->cond[f];
		const char *name = feature_name(r->t, f);
		bool		has_values = true;

		if (j > 0)
			appendStringInfoString(&buf, ", ");
		if (CRM_TREE_FEATURES(r->t)[f].kind == CRM_FEATURE_CONTINUOUS)
		{
			if (isinf(pc->lo) && isinf(pc->hi))
				has_values = false;
			else if (isinf(pc->lo))
			{
				appendStringInfo(&buf, "%s <= ", name);
				append_double(&buf, pc->hi);
			}
			else if (isinf(pc->hi))
			{
				appendStringInfo(&buf, "%s > ", name);
				append_double(&buf, pc->lo);
			}
			else
			{
				append_double(&buf, pc->lo);
				appendStringInfo(&buf, " < %s <= ", name);
				append_double(&buf, pc->hi);
			}
		}
		else
		{
			int			nl = CRM_TREE_FEATURES(r->t)[f].n_levels,
						l,
						n_allowed = 0;
			bool		first = true;

			for (l = 0; l < nl; l++)
				n_allowed += pc->allowed[l];
			if (n_allowed == 0)
				has_values = false;
			else if (n_allowed == nl)
				appendStringInfo(&buf, "%s is not null", name);
			else
			{
				appendStringInfo(&buf, "%s in (", name);
				for (l = 0; l < nl; l++)
					if (pc->allowed[l])
					{
						if (!first)
							appendStringInfoString(&buf, ", ");
						first = false;
						append_name(&buf, level_name(r->t, f, l));
					}
				appendStringInfoChar(&buf, ')');
			}
		}
		if (!has_values)
			appendStringInfo(&buf, "%s is null", name);
		else if (pc->null_ok && (CRM_TREE_FEATURES(r->t)[f].flags & CRM_FEATURE_NULLS))
			appendStringInfoString(&buf, " or null");
	}
	if (r->n_order == 0)
		appendStringInfoString(&buf, "all rows");
	return buf.data;
}

static void
rules_walk(RulesCtx *r, int i)
{
	const CrmTree *t = r->t;
	const CrmTreeNode *n = &CRM_TREE_NODES(t)[i];
	int			side;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->feature < 0)
	{
		RuleRow    *row = &r->rows[r->n_rows++];

		row->leaf = i;
		row->text = rule_text(r);
		row->probability = node_probabilities(t, i)[t->positive];
		row->samples = n->samples;
		return;
	}
	for (side = 0; side < 2; side++)
	{
		int			f = n->feature;
		PathCond   *pc = &r->cond[f];
		PathCond	saved = *pc;
		bool		was_used = pc->used;
		bool		left = side == 0;
		bool	   *saved_allowed = NULL;
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels;

		if (!was_used)
		{
			pc->used = true;
			r->order[r->n_order++] = f;
		}
		if (left != (bool) n->null_left)
			pc->null_ok = false;
		if (CRM_TREE_FEATURES(t)[f].kind == CRM_FEATURE_CONTINUOUS)
		{
			if (left)
				pc->hi = Min(pc->hi, n->threshold);
			else
				pc->lo = Max(pc->lo, n->threshold);
		}
		else
		{
			int			l;

			saved_allowed = palloc(sizeof(bool) * Max(nl, 1));
			memcpy(saved_allowed, pc->allowed, sizeof(bool) * nl);
			for (l = 0; l < nl; l++)
				if (node_goes_left_level(t, n, l) != left)
					pc->allowed[l] = false;
		}
		rules_walk(r, left ? n->left : n->right);
		if (saved_allowed)
		{
			memcpy(pc->allowed, saved_allowed, sizeof(bool) * nl);
			pfree(saved_allowed);
		}
		saved.allowed = pc->allowed;
		*pc = saved;
		if (!was_used)
			r->n_order--;
	}
}

PG_FUNCTION_INFO_V1(crm_tree_rules);
Datum
crm_tree_rules(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RulesCtx	r;
	int			f;

	InitMaterializedSRF(fcinfo, 0);
	r.t = t;
	r.cond = palloc0(sizeof(PathCond) * Max(t->n_features, 1));
	r.order = palloc0(sizeof(int) * Max(t->n_features, 1));
	r.n_order = 0;
	for (f = 0; f < t->n_features; f++)
	{
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels;

		r.cond[f].null_ok = true;
		r.cond[f].lo = -INFINITY;
		r.cond[f].hi = INFINITY;
		r.cond[f].allowed = palloc(sizeof(bool) * Max(nl, 1));
		memset(r.cond[f].allowed, true, sizeof(bool) * nl);
	}
	r.rows = palloc(sizeof(RuleRow) * t->n_nodes);
	r.n_rows = 0;
	rules_walk(&r, 0);
	qsort(r.rows, r.n_rows, sizeof(RuleRow), cmp_rule_row);
	for (f = 0; f < r.n_rows; f++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		int			i = r.rows[f].leaf;
		const float8 *cn = CRM_TREE_COUNTS(t) + (Size) i * t->n_classes;
		int			k,
					best = 0;

		for (k = 1; k < t->n_classes; k++)
			if (cn[k] > cn[best])
				best = k;
		values[0] = Int32GetDatum(i);
		values[1] = PointerGetDatum(cstring_to_text(r.rows[f].text));
		values[2] = Int64GetDatum(r.rows[f].samples);
		values[3] = PointerGetDatum(float8_array(cn, t->n_classes));
		values[4] = Float8GetDatum(r.rows[f].probability);
		values[5] = PointerGetDatum(cstring_to_text(class_name(t, best)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* SQL literal of a string (standard_conforming_strings-proof E'' form) */
static void
append_literal(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, quote_literal_cstr(s));
}

static void
sql_walk(StringInfo buf, const CrmTree *t, const double *prob, const char *alias, int i)
{
	const CrmTreeNode *n = &CRM_TREE_NODES(t)[i];
	const char *col;
	int			f;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->feature < 0)
	{
		appendStringInfoString(buf, "float8 '");
		append_double(buf, prob[i]);
		appendStringInfoChar(buf, '\'');
		return;
	}
	f = n->feature;
	col = alias ? psprintf("%s.%s", quote_identifier(alias), quote_identifier(feature_name(t, f)))
		: quote_identifier(feature_name(t, f));
	appendStringInfoString(buf, "CASE WHEN ");
	if (CRM_TREE_FEATURES(t)[f].kind == CRM_FEATURE_CONTINUOUS)
	{
		/*
		 * NULL and NaN take the default direction, as in crm.tree_score (NaN
		 * sorts above every number in SQL, so it needs its own test).
		 */
		if (n->null_left)
		{
			appendStringInfo(buf, "%s > float8 '", col);
			append_double(buf, n->threshold);
			appendStringInfo(buf, "' AND %s::float8 <> float8 'NaN' THEN ", col);
			sql_walk(buf, t, prob, alias, n->right);
			appendStringInfoString(buf, " ELSE ");
			sql_walk(buf, t, prob, alias, n->left);
			appendStringInfoString(buf, " END");
			return;
		}
		appendStringInfo(buf, "%s <= float8 '", col);
		append_double(buf, n->threshold);
		appendStringInfoChar(buf, '\'');
	}
	else
	{
		/* levels the default direction does not take, listed; the rest by default */
		int			nl = CRM_TREE_FEATURES(t)[f].n_levels,
					l,
					listed = 0;

		appendStringInfo(buf, "%s%s::text IN (", n->null_left ? "NOT coalesce(" : "", col);
		for (l = 0; l < nl; l++)
			if (node_goes_left_level(t, n, l) != (bool) n->null_left)
			{
				if (listed++ > 0)
					appendStringInfoString(buf, ", ");
				append_literal(buf, level_name(t, f, l));
			}
		if (listed == 0)
			appendStringInfoString(buf, "NULL");
		appendStringInfoString(buf, n->null_left ? "), false)" : ")");
	}
	appendStringInfoString(buf, " THEN ");
	sql_walk(buf, t, prob, alias, n->left);
	appendStringInfoString(buf, " ELSE ");
	sql_walk(buf, t, prob, alias, n->right);
	appendStringInfoString(buf, " END");
}

PG_FUNCTION_INFO_V1(crm_tree_to_sql);
Datum
crm_tree_to_sql(PG_FUNCTION_ARGS)
{
	CrmTree    *t;
	char	   *alias;
	StringInfoData buf;
	double	   *prob;
	int			i;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	t = tree_arg(fcinfo, 0);
	alias = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	prob = palloc(sizeof(double) * t->n_nodes);

	if (alias && alias[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("row alias must not be empty"),
				 errhint("Pass NULL for bare column names, or the table alias of the query.")));
	for (i = 0; i < t->n_nodes; i++)
		prob[i] = node_probabilities(t, i)[t->positive];
	initStringInfo(&buf);
	sql_walk(&buf, t, prob, alias, 0);
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/*
 * Importance of a feature: the total weighted impurity decrease of its splits
 * (counts x impurity of the node minus that of the children), normalized to
 * sum 1 -- scikit-learn's feature_importances_ (mean decrease in impurity).
 */
PG_FUNCTION_INFO_V1(crm_tree_importance);
Datum
crm_tree_importance(PG_FUNCTION_ARGS)
{
	CrmTree    *t = tree_arg(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const CrmTreeNode *nodes = CRM_TREE_NODES(t);
	const float8 *counts = CRM_TREE_COUNTS(t);
	double	   *imp = palloc0(sizeof(double) * Max(t->n_features, 1));
	double	   *tot = palloc(sizeof(double) * t->n_nodes);
	double		sum = 0.0;
	int			i,
				k,
				f;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < t->n_nodes; i++)
	{
		tot[i] = 0.0;
		for (k = 0; k < t->n_classes; k++)
			tot[i] += counts[(Size) i * t->n_classes + k];
	}
#define IMP(j) (tot[j] * crm_tree_impurity(t->criterion, counts + (Size) (j) * t->n_classes, t->n_classes, tot[j]))
	for (i = 0; i < t->n_nodes; i++)
		if (nodes[i].feature >= 0)
		{
			double		d = IMP(i) - IMP(nodes[i].left) - IMP(nodes[i].right);

			imp[nodes[i].feature] += Max(d, 0.0);
		}
#undef IMP
	for (f = 0; f < t->n_features; f++)
		sum += imp[f];
	/* most important first, then feature order: a stable selection */
	{
		bool	   *done = palloc0(sizeof(bool) * Max(t->n_features, 1));
		int			j;

		for (j = 0; j < t->n_features; j++)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};

			f = -1;
			for (k = 0; k < t->n_features; k++)
				if (!done[k] && (f < 0 || imp[k] > imp[f]))
					f = k;
			done[f] = true;
			values[0] = PointerGetDatum(cstring_to_text(feature_name(t, f)));
			values[1] = Float8GetDatum(sum > 0 ? imp[f] / sum : 0.0);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
