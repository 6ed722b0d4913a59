/*
 * tree.c: the crm.tree type -- a fitted CART decision tree (Breiman et al.
 * 1984, as in rpart and scikit-learn): building the binary value from a
 * CrmTreeBuild, its validation, the JSON text form and binary send/receive,
 * and the one rule of which column types make which kind of feature.  The
 * rest reads tree.h only: training in tree_train.c, scoring in
 * tree_score.c, rules, SQL and importances in tree_explain.c.
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

/* a detail message starts with a capital, also when it starts with a name */
static char *
tree_sentence(char *s)
{
	s[0] = pg_toupper((unsigned char) s[0]);
	return s;
}

/*
 * Every defect of a model is one error, "invalid crm.tree value", whose
 * detail says what is wrong.  Its SQLSTATE says where the model came from:
 * the caller of crm_tree_build and crm_tree_validate passes it (text input:
 * invalid_text_representation; a stored value that the scorer finds broken:
 * data_corrupted; the trainer, whose builds are always valid: internal_error).
 * The JSON reader's errors are always invalid_text_representation, in the
 * binary receive too: the binary form carries the JSON text.
 */
#define TREE_ERROR(sqlstate, ...) \
	ereport(ERROR, (errcode(sqlstate), \
					errmsg("invalid crm.tree value"), \
					errdetail("%s", tree_sentence(psprintf(__VA_ARGS__))), \
					errhint(TREE_HINT)))
#define JSON_ERROR(...) TREE_ERROR(ERRCODE_INVALID_TEXT_REPRESENTATION, __VA_ARGS__)

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
crm_tree_build(CrmTreeBuild *b, int sqlstate)
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
		TREE_ERROR(sqlstate, "%d nodes (1 to %d allowed).", b->n_nodes, CRM_TREE_MAX_NODES);
	if (b->n_features < 0 || b->n_features > CRM_TREE_MAX_FEATURES)
		TREE_ERROR(sqlstate, "%d features (0 to %d allowed).", b->n_features, CRM_TREE_MAX_FEATURES);
	if (b->n_classes < 1 || b->n_classes > CRM_TREE_MAX_CLASSES)
		TREE_ERROR(sqlstate, "%d classes (1 to %d allowed).", b->n_classes, CRM_TREE_MAX_CLASSES);

	initStringInfo(&pool.buf);
	target_off = pool_add(&pool, b->target ? b->target : "");
	feature_name_off = palloc(sizeof(int32) * (b->n_features + 1));
	for (f = 0; f < b->n_features; f++)
	{
		feature_name_off[f] = pool_add(&pool, b->feature_names[f]);
		if (b->feature_kinds[f] == CRM_FEATURE_CATEGORICAL)
		{
			if (b->feature_n_levels[f] > CRM_TREE_MAX_LEVELS - n_levels)
				TREE_ERROR(sqlstate, "More than %d category levels.", CRM_TREE_MAX_LEVELS);
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
			TREE_ERROR(sqlstate, "Category sets too large.");
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
		TREE_ERROR(sqlstate, "Model of %zu bytes is too large.", size);
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
	crm_tree_validate(t, size, sqlstate);
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
crm_tree_validate(const CrmTree *t, Size size, int sqlstate)
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
		TREE_ERROR(sqlstate, "Binary value of %zu bytes is shorter than the header.", size);
	if (t->magic != CRM_TREE_MAGIC)
		TREE_ERROR(sqlstate, "Binary value does not start with the crm.tree magic number.");
	if (t->version != CRM_TREE_VERSION)
		TREE_ERROR(sqlstate, "Binary format version %d (this build reads version %d).", t->version, CRM_TREE_VERSION);
	if (t->criterion != CRM_TREE_GINI && t->criterion != CRM_TREE_ENTROPY)
		TREE_ERROR(sqlstate, "Unknown criterion code %d.", t->criterion);
	if (t->n_nodes < 1 || t->n_nodes > CRM_TREE_MAX_NODES ||
		t->n_features < 0 || t->n_features > CRM_TREE_MAX_FEATURES ||
		t->n_classes < 1 || t->n_classes > CRM_TREE_MAX_CLASSES ||
		t->n_levels < 0 || t->n_levels > CRM_TREE_MAX_LEVELS ||
		t->n_words < 0 || t->n_words > CRM_TREE_MAX_LEVELS ||
		t->strings_len < 1 || t->strings_len > (int32) (MaxAllocSize / 2))
		TREE_ERROR(sqlstate, "Counts out of range (%d nodes, %d features, %d classes, %d levels).",
				   t->n_nodes, t->n_features, t->n_classes, t->n_levels);
	if (CRM_TREE_STRINGS_OFF(t) + (Size) t->strings_len != size)
		TREE_ERROR(sqlstate, "Binary value of %zu bytes, its header describes %zu bytes.",
				   size, CRM_TREE_STRINGS_OFF(t) + (Size) t->strings_len);
	if (t->positive < 0 || t->positive >= t->n_classes)
		TREE_ERROR(sqlstate, "Positive class index %d outside 0..%d.", t->positive, t->n_classes - 1);
	if (t->rows < 0 || t->skipped < 0)
		TREE_ERROR(sqlstate, "Negative training row count.");

	strings = CRM_TREE_STRINGS(t);
	if (strings[t->strings_len - 1] != '\0')
		TREE_ERROR(sqlstate, "String pool is not terminated.");
#define CHECK_OFF(off) \
	do { if ((off) < 0 || (off) >= t->strings_len) TREE_ERROR(sqlstate, "String offset %d out of range.", (int) (off)); } while (0)
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
		TREE_ERROR(sqlstate, "Class \"%s\" appears twice in \"classes\".", dup);

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
				TREE_ERROR(sqlstate, "Feature %d has an empty name.", f);
			if ((ft->flags & ~CRM_FEATURE_NULLS) != 0)
				TREE_ERROR(sqlstate, "Feature \"%s\" has unknown flags %d.", names[f], ft->flags);
			if (ft->kind == CRM_FEATURE_CONTINUOUS)
			{
				if (ft->n_levels != 0)
					TREE_ERROR(sqlstate, "Continuous feature \"%s\" has category levels.", names[f]);
			}
			else if (ft->kind == CRM_FEATURE_CATEGORICAL)
			{
				const char **lv;

				if (ft->first_level != next_level || ft->n_levels < 0 ||
					ft->n_levels > t->n_levels - next_level)
					TREE_ERROR(sqlstate, "Levels of feature \"%s\" out of range.", names[f]);
				lv = palloc(sizeof(char *) * Max(ft->n_levels, 1));
				for (k = 0; k < ft->n_levels; k++)
				{
					CHECK_OFF(level_off[next_level + k]);
					lv[k] = strings + level_off[next_level + k];
				}
				if ((dup = find_duplicate(lv, ft->n_levels)) != NULL)
					TREE_ERROR(sqlstate, "Level \"%s\" appears twice in the levels of feature \"%s\".", dup, names[f]);
				pfree(lv);
				next_level += ft->n_levels;
			}
			else
				TREE_ERROR(sqlstate, "Feature \"%s\" has unknown kind code %d.", names[f], ft->kind);
		}
		if (next_level != t->n_levels)
			TREE_ERROR(sqlstate, "%d category levels stored, features use %d.", t->n_levels, next_level);
	}
	if ((dup = find_duplicate(names, t->n_features)) != NULL)
		TREE_ERROR(sqlstate, "Feature \"%s\" appears twice in \"features\".", dup);
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
				TREE_ERROR(sqlstate, "Node %d: class count %g is not a finite non-negative number.", i, c);
			total += c;
		}
		if (!(total > 0.0) || !isfinite(total))
			TREE_ERROR(sqlstate, "Node %d: class counts must have a positive finite sum.", i);
		if (n->samples < 0)
			TREE_ERROR(sqlstate, "Node %d: negative sample count.", i);
		if (n->feature == -1)
		{
			if (n->left != 0 || n->right != 0)
				TREE_ERROR(sqlstate, "Leaf node %d has children.", i);
			continue;
		}
		if (n->feature < 0 || n->feature >= t->n_features)
			TREE_ERROR(sqlstate, "Node %d: feature index %d outside 0..%d.", i, n->feature, t->n_features - 1);
		if (n->null_left > 1)
			TREE_ERROR(sqlstate, "Node %d: bad missing-value direction.", i);
		if (n->left <= i || n->left >= t->n_nodes || n->right <= i || n->right >= t->n_nodes || n->left == n->right)
			TREE_ERROR(sqlstate, "Node %d: children %d and %d must be distinct nodes after it (there are %d nodes).",
					   i, n->left, n->right, t->n_nodes);
		parents[n->left]++;
		parents[n->right]++;
		if (features[n->feature].kind == CRM_FEATURE_CONTINUOUS)
		{
			if (!isfinite(n->threshold))
				TREE_ERROR(sqlstate, "Node %d: threshold is not a finite number.", i);
		}
		else
		{
			int			nl = features[n->feature].n_levels;
			int			nw = words_for(nl);

			if (n->word_off < 0 || n->word_off > t->n_words - nw)
				TREE_ERROR(sqlstate, "Node %d: category set out of range.", i);
			if (nl % 32 != 0 && nw > 0 &&
				(words[n->word_off + nw - 1] >> (nl % 32)) != 0)
				TREE_ERROR(sqlstate, "Node %d: category set names levels beyond the feature's %d levels.", i, nl);
		}
	}
	for (i = 1; i < t->n_nodes; i++)
		if (parents[i] > 1)
			TREE_ERROR(sqlstate, "Node %d is the child of %d nodes (every node but the root must be the child of exactly one).",
					   i, parents[i]);
	for (i = 1; i < t->n_nodes; i++)
		if (parents[i] == 0)
			TREE_ERROR(sqlstate, "Node %d is the child of no node: it cannot be reached from the root.", i);
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
				JSON_ERROR("Unknown key \"%s\" in %s.", pnstrdup(v.val.string.val, v.val.string.len), where);
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
		JSON_ERROR("\"%s\" of %s must be a string, not %s.", what, where, jtype_name(v));
	if (memchr(v->val.string.val, '\0', v->val.string.len) != NULL)
		JSON_ERROR("\"%s\" of %s contains a NUL character.", what, where);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static double
json_number(JsonbValue *v, const char *what, const char *where)
{
	double		d;

	if (v->type != jbvNumeric)
		JSON_ERROR("\"%s\" of %s must be a number, not %s.", what, where, jtype_name(v));
	if (numeric_is_nan(v->val.numeric) || numeric_is_inf(v->val.numeric))
		JSON_ERROR("\"%s\" of %s must be a finite number.", what, where);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d))
		JSON_ERROR("\"%s\" of %s is out of the range of double precision.", what, where);
	return d;
}

static int64
json_int(JsonbValue *v, const char *what, const char *where, int64 lo, int64 hi)
{
	double		d = json_number(v, what, where);

	if (d != floor(d) || d < (double) lo || d > (double) hi)
		JSON_ERROR("\"%s\" of %s must be an integer from " INT64_FORMAT " to " INT64_FORMAT ", not %s.",
				   what, where, lo, hi,
				   numeric_normalize(v->val.numeric));
	return (int64) d;
}

static JsonbContainer *
json_container(JsonbValue *v, bool array, const char *what, const char *where)
{
	if (v->type != jbvBinary ||
		(array ? !JsonContainerIsArray(v->val.binary.data) : !JsonContainerIsObject(v->val.binary.data)))
		JSON_ERROR("\"%s\" of %s must be %s, not %s.", what, where, array ? "an array" : "an object", jtype_name(v));
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
		JSON_ERROR("The JSON form must be an object.");
	json_check_keys(root, top_keys, "the model");

	if (!json_get(root, "format", &v))
		JSON_ERROR("Key \"format\" is missing (must be \"crm.tree\").");
	s = json_string(&v, "format", "the model");
	if (strcmp(s, "crm.tree") != 0)
		JSON_ERROR("\"format\" is \"%s\", must be \"crm.tree\".", s);
	if (!json_get(root, "version", &v))
		JSON_ERROR("Key \"version\" is missing.");
	if (json_number(&v, "version", "the model") != CRM_TREE_VERSION)
		JSON_ERROR("\"version\" is %s, this build reads version %d.", numeric_normalize(v.val.numeric), CRM_TREE_VERSION);

	b->criterion = CRM_TREE_GINI;
	if (json_get(root, "criterion", &v))
	{
		s = json_string(&v, "criterion", "the model");
		if (strcmp(s, "gini") == 0)
			b->criterion = CRM_TREE_GINI;
		else if (strcmp(s, "entropy") == 0)
			b->criterion = CRM_TREE_ENTROPY;
		else
			JSON_ERROR("\"criterion\" is \"%s\", must be \"gini\" or \"entropy\".", s);
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
		JSON_ERROR("Key \"classes\" is missing.");
	arr = json_container(&v, true, "classes", "the model");
	b->n_classes = JsonContainerSize(arr);
	if (b->n_classes < 1 || b->n_classes > CRM_TREE_MAX_CLASSES)
		JSON_ERROR("\"classes\" has %d labels (1 to %d allowed).", b->n_classes, CRM_TREE_MAX_CLASSES);
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
			JSON_ERROR("\"positive\" class \"%s\" is not in \"classes\".", s);
	}

	/* features */
	if (!json_get(root, "features", &v))
		JSON_ERROR("Key \"features\" is missing.");
	arr = json_container(&v, true, "features", "the model");
	n = JsonContainerSize(arr);
	if (n > CRM_TREE_MAX_FEATURES)
		JSON_ERROR("%d features (at most %d allowed).", n, CRM_TREE_MAX_FEATURES);
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
			JSON_ERROR("%s has no \"name\".", where);
		b->feature_names[f] = json_string(&v, "name", where);
		if (b->feature_names[f][0] == '\0')
			JSON_ERROR("%s has an empty name.", where);
		if (find_name(b->feature_names, f, b->feature_names[f]) >= 0)
			JSON_ERROR("Feature \"%s\" appears twice in \"features\".", b->feature_names[f]);
		b->feature_nulls[f] = true;
		if (json_get(obj, "nulls", &v))
		{
			if (v.type != jbvBool)
				JSON_ERROR("\"nulls\" of %s must be true or false, not %s.", where, jtype_name(&v));
			b->feature_nulls[f] = v.val.boolean;
		}
		if (!json_get(obj, "kind", &v))
			JSON_ERROR("%s has no \"kind\".", where);
		s = json_string(&v, "kind", where);
		if (strcmp(s, "continuous") == 0)
		{
			b->feature_kinds[f] = CRM_FEATURE_CONTINUOUS;
			if (json_get(obj, "levels", &v))
				JSON_ERROR("Continuous %s has \"levels\".", where);
		}
		else if (strcmp(s, "categorical") == 0)
		{
			JsonbContainer *lv;

			b->feature_kinds[f] = CRM_FEATURE_CATEGORICAL;
			if (!json_get(obj, "levels", &v))
				JSON_ERROR("Categorical %s has no \"levels\".", where);
			lv = json_container(&v, true, "levels", where);
			b->feature_n_levels[f] = JsonContainerSize(lv);
			if (b->feature_n_levels[f] > CRM_TREE_MAX_LEVELS)
				JSON_ERROR("%s has too many levels.", where);
			b->feature_levels[f] = palloc(sizeof(char *) * (b->feature_n_levels[f] + 1));
			for (k = 0; k < b->feature_n_levels[f]; k++)
				b->feature_levels[f][k] = json_string(getIthJsonbValueFromContainer(lv, k), "levels", where);
		}
		else
			JSON_ERROR("\"kind\" of %s is \"%s\", must be \"continuous\" or \"categorical\".", where, s);
	}

	/* nodes */
	if (!json_get(root, "nodes", &v))
		JSON_ERROR("Key \"nodes\" is missing.");
	arr = json_container(&v, true, "nodes", "the model");
	n = JsonContainerSize(arr);
	if (n < 1 || n > CRM_TREE_MAX_NODES)
		JSON_ERROR("\"nodes\" has %d nodes (1 to %d allowed).", n, CRM_TREE_MAX_NODES);
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
			JSON_ERROR("%s has no \"counts\".", where);
		cnt = json_container(&v, true, "counts", where);
		if ((int) JsonContainerSize(cnt) != b->n_classes)
			JSON_ERROR("%s has %d counts for %d classes.", where, (int) JsonContainerSize(cnt), b->n_classes);
		for (k = 0; k < b->n_classes; k++)
		{
			double		c = json_number(getIthJsonbValueFromContainer(cnt, k), "counts", where);

			if (c < 0)
				JSON_ERROR("%s has a negative count.", where);
			b->counts[(Size) i * b->n_classes + k] = c;
		}
		has_feature = json_get(obj, "feature", &v);
		if (!has_feature)
		{
			nd->feature = -1;
			if (json_get(obj, "left", &v) || json_get(obj, "right", &v) ||
				json_get(obj, "threshold", &v) || json_get(obj, "left_levels", &v) ||
				json_get(obj, "missing", &v))
				JSON_ERROR("%s has no \"feature\" (a leaf) but has split keys.", where);
			continue;
		}
		s = json_string(&v, "feature", where);
		f = find_name(b->feature_names, b->n_features, s);
		if (f < 0)
			JSON_ERROR("%s splits on \"%s\", which is not in \"features\".", where, s);
		nd->feature = f;
		if (!json_get(obj, "left", &v))
			JSON_ERROR("%s has no \"left\".", where);
		nd->left = json_int(&v, "left", where, 0, n);
		if (!json_get(obj, "right", &v))
			JSON_ERROR("%s has no \"right\".", where);
		nd->right = json_int(&v, "right", where, 0, n);
		if (nd->left <= i || nd->left >= n || nd->right <= i || nd->right >= n || nd->left == nd->right)
			JSON_ERROR("%s: children %d and %d must be distinct nodes after it (there are %d nodes).",
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
				JSON_ERROR("\"missing\" of %s is \"%s\", must be \"left\" or \"right\".", where, s);
		}
		if (b->feature_kinds[f] == CRM_FEATURE_CONTINUOUS)
		{
			if (json_get(obj, "left_levels", &v))
				JSON_ERROR("%s splits on continuous \"%s\" but has \"left_levels\".", where, b->feature_names[f]);
			if (!json_get(obj, "threshold", &v))
				JSON_ERROR("%s splits on continuous \"%s\" but has no \"threshold\".", where, b->feature_names[f]);
			nd->threshold = json_number(&v, "threshold", where);
		}
		else
		{
			JsonbContainer *ll;

			if (json_get(obj, "threshold", &v))
				JSON_ERROR("%s splits on categorical \"%s\" but has a \"threshold\".", where, b->feature_names[f]);
			if (!json_get(obj, "left_levels", &v))
				JSON_ERROR("%s splits on categorical \"%s\" but has no \"left_levels\".", where, b->feature_names[f]);
			ll = json_container(&v, true, "left_levels", where);
			b->node_left[i] = palloc0(sizeof(bool) * (b->feature_n_levels[f] + 1));
			for (k = 0; k < (int) JsonContainerSize(ll); k++)
			{
				int			l;

				s = json_string(getIthJsonbValueFromContainer(ll, k), "left_levels", where);
				l = find_name(b->feature_levels[f], b->feature_n_levels[f], s);
				if (l < 0)
					JSON_ERROR("%s: level \"%s\" is not a level of \"%s\".", where, s, b->feature_names[f]);
				if (b->node_left[i][l])
					JSON_ERROR("%s: level \"%s\" appears twice in \"left_levels\".", where, s);
				b->node_left[i][l] = true;
			}
		}
	}
	return b;
}

/* d in the shortest form that reads back exactly (as float8out) */
void
crm_tree_append_double(StringInfo buf, double d)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN + 1];

	double_to_shortest_decimal_buf(d, tmp);
	appendStringInfoString(buf, tmp);
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
	escape_json(&buf, crm_tree_str(t, t->target_off));
	appendStringInfoString(&buf, ", \"classes\": [");
	for (k = 0; k < t->n_classes; k++)
	{
		if (k > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, crm_tree_class_name(t, k));
	}
	appendStringInfoString(&buf, "], \"positive\": ");
	escape_json(&buf, crm_tree_class_name(t, t->positive));
	appendStringInfo(&buf, ", \"rows\": " INT64_FORMAT ", \"skipped\": " INT64_FORMAT ", \"features\": [",
					 t->rows, t->skipped);
	for (f = 0; f < t->n_features; f++)
	{
		if (f > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"name\": ");
		escape_json(&buf, crm_tree_feature_name(t, f));
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
				escape_json(&buf, crm_tree_level_name(t, f, k));
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
			escape_json(&buf, crm_tree_feature_name(t, f));
			if (features[f].kind == CRM_FEATURE_CONTINUOUS)
			{
				appendStringInfoString(&buf, ", \"threshold\": ");
				crm_tree_append_double(&buf, n->threshold);
			}
			else
			{
				bool		first = true;

				appendStringInfoString(&buf, ", \"left_levels\": [");
				for (k = 0; k < features[f].n_levels; k++)
					if (crm_tree_goes_left_level(t, n, k))
					{
						if (!first)
							appendStringInfoString(&buf, ", ");
						first = false;
						escape_json(&buf, crm_tree_level_name(t, f, k));
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
			crm_tree_append_double(&buf, counts[(Size) i * t->n_classes + k]);
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

	PG_RETURN_POINTER(crm_tree_build(tree_from_json(text), ERRCODE_INVALID_TEXT_REPRESENTATION));
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
	PG_RETURN_POINTER(crm_tree_build(tree_from_json(json), ERRCODE_INVALID_TEXT_REPRESENTATION));
}

/* ------------------------------------------------------------------------
 * Reading a tree: shared by the scorer and the explainer
 * ------------------------------------------------------------------------ */

ArrayType *
crm_tree_float8_array(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* class probabilities of a node (counts / total), in class order */
double *
crm_tree_node_probabilities(const CrmTree *t, int node)
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

/*
 * The feature kinds of column types: the trainer decides with it which
 * columns become features and of which kind, the scorer which columns a
 * model's feature accepts, so that a column trained on is always a column
 * that scores.  name is categorical like text (catalog columns are name).
 */
int
crm_tree_feature_kind(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return CRM_FEATURE_CONTINUOUS;
		case BOOLOID:
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return CRM_FEATURE_CATEGORICAL;
		default:
			return type_is_enum(type) ? CRM_FEATURE_CATEGORICAL : -1;
	}
}

/* numeric beyond float8's range becomes +-Infinity, which the callers refuse or treat as a value */
double
crm_tree_feature_number(Datum value, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return DatumGetInt16(value);
		case INT4OID:
			return DatumGetInt32(value);
		case INT8OID:
			return (double) DatumGetInt64(value);
		case FLOAT4OID:
			return DatumGetFloat4(value);
		case FLOAT8OID:
			return DatumGetFloat8(value);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value));
		default:
			elog(ERROR, "type %u is not a continuous feature type", type);
	}
	return 0.0;
}
