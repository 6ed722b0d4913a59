/*
 * tree.h: the crm.tree type (a fitted CART decision tree), the contract
 * between tree.c (the type: build, validation, JSON and binary I/O),
 * tree_train.c (training), tree_score.c (scoring) and tree_explain.c
 * (rules, SQL, importances).
 *
 * On disk a crm.tree is one varlena: a fixed header, then arrays, each
 * starting at a multiple of 8 bytes:
 *
 *   CrmTreeNode  nodes[n_nodes]              (40 bytes each)
 *   float8       counts[n_nodes * n_classes] (weighted class counts per node)
 *   CrmTreeFeature features[n_features]      (20 bytes each)
 *   int32        class_off[n_classes]        (offsets of class labels in strings)
 *   int32        level_off[n_levels]         (offsets of category levels in strings)
 *   uint32       words[n_words]              (category bitsets of splits)
 *   char         strings[strings_len]        (NUL-terminated names)
 *
 * Only the nodes that exist are stored (not a complete binary tree).  Nodes
 * are in preorder: a child's index is always greater than its parent's, so a
 * walk from the root ends after at most n_nodes steps; the validation in
 * crm_tree_validate guarantees that and every other index a scorer reads.
 */
#ifndef CRM_TREE_H
#define CRM_TREE_H

#include "postgres.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

#define CRM_TREE_MAGIC		0x54524D43	/* "CMRT" little-endian */
#define CRM_TREE_VERSION	1

#define CRM_TREE_GINI		0
#define CRM_TREE_ENTROPY	1

#define CRM_FEATURE_CONTINUOUS	0
#define CRM_FEATURE_CATEGORICAL	1

/* limits that keep every size computation far from overflow */
#define CRM_TREE_MAX_NODES		(1 << 22)
#define CRM_TREE_MAX_FEATURES	1600
#define CRM_TREE_MAX_CLASSES	1000
#define CRM_TREE_MAX_LEVELS		(1 << 22)

typedef struct CrmTreeNode
{
	float8		threshold;		/* continuous: value <= threshold goes left */
	int64		samples;		/* training rows that reached the node */
	int32		feature;		/* index into features, -1 for a leaf */
	int32		left;			/* child indexes (0 for a leaf) */
	int32		right;
	int32		word_off;		/* categorical: first bitset word (levels going left) */
	uint8		null_left;		/* NULL (and unknown levels) go left */
	uint8		pad[7];
} CrmTreeNode;

typedef struct CrmTreeFeature
{
	int32		kind;			/* CRM_FEATURE_* */
	int32		name_off;		/* column name, offset into strings */
	int32		first_level;	/* categorical: index of first level in level_off */
	int32		n_levels;		/* categorical: number of levels */
	int32		flags;			/* CRM_FEATURE_NULLS: NULL values seen in training */
} CrmTreeFeature;

#define CRM_FEATURE_NULLS	1

typedef struct CrmTree
{
	int32		vl_len_;
	uint32		magic;
	uint16		version;
	uint8		criterion;		/* CRM_TREE_GINI or CRM_TREE_ENTROPY */
	uint8		flags;
	int32		n_features;
	int32		n_classes;
	int32		n_nodes;
	int32		n_levels;
	int32		n_words;
	int32		positive;		/* index of the positive class */
	int32		target_off;		/* target column name, offset into strings */
	int32		strings_len;
	int64		rows;			/* training rows used (0 when unknown) */
	int64		skipped;		/* training rows skipped: NULL target (0 when unknown) */
	int32		pad;
} CrmTree;

#define CRM_TREE_ALIGN(x)	(((x) + 7) & ~((Size) 7))
#define CRM_TREE_NODES_OFF	CRM_TREE_ALIGN(sizeof(CrmTree))
#define CRM_TREE_COUNTS_OFF(t) \
	(CRM_TREE_NODES_OFF + (Size) (t)->n_nodes * sizeof(CrmTreeNode))
#define CRM_TREE_FEATURES_OFF(t) \
	(CRM_TREE_COUNTS_OFF(t) + (Size) (t)->n_nodes * (t)->n_classes * sizeof(float8))
#define CRM_TREE_CLASSES_OFF(t) \
	(CRM_TREE_FEATURES_OFF(t) + (Size) (t)->n_features * sizeof(CrmTreeFeature))
#define CRM_TREE_LEVELS_OFF(t) \
	CRM_TREE_ALIGN(CRM_TREE_CLASSES_OFF(t) + (Size) (t)->n_classes * sizeof(int32))
#define CRM_TREE_WORDS_OFF(t) \
	CRM_TREE_ALIGN(CRM_TREE_LEVELS_OFF(t) + (Size) (t)->n_levels * sizeof(int32))
#define CRM_TREE_STRINGS_OFF(t) \
	CRM_TREE_ALIGN(CRM_TREE_WORDS_OFF(t) + (Size) (t)->n_words * sizeof(uint32))

#define CRM_TREE_NODES(t)	((CrmTreeNode *) ((char *) (t) + CRM_TREE_NODES_OFF))
#define CRM_TREE_COUNTS(t)	((float8 *) ((char *) (t) + CRM_TREE_COUNTS_OFF(t)))
#define CRM_TREE_FEATURES(t) ((CrmTreeFeature *) ((char *) (t) + CRM_TREE_FEATURES_OFF(t)))
#define CRM_TREE_CLASS_OFF(t) ((int32 *) ((char *) (t) + CRM_TREE_CLASSES_OFF(t)))
#define CRM_TREE_LEVEL_OFF(t) ((int32 *) ((char *) (t) + CRM_TREE_LEVELS_OFF(t)))
#define CRM_TREE_WORDS(t)	((uint32 *) ((char *) (t) + CRM_TREE_WORDS_OFF(t)))
#define CRM_TREE_STRINGS(t)	((char *) (t) + CRM_TREE_STRINGS_OFF(t))

/*
 * A tree under construction, in ordinary palloc'd arrays: what the JSON
 * parser and the trainer fill and crm_tree_build serializes.
 */
typedef struct CrmTreeBuild
{
	int			criterion;
	char	   *target;
	int			n_classes;
	char	  **classes;
	int			positive;
	int			n_features;
	char	  **feature_names;
	int		   *feature_kinds;
	bool	   *feature_nulls;	/* NULL values seen in training (NULL array: all true) */
	int		   *feature_n_levels;
	char	 ***feature_levels;
	int			n_nodes;
	CrmTreeNode *nodes;			/* word_off unused: left levels in node_left */
	float8	   *counts;			/* n_nodes * n_classes */
	bool	  **node_left;		/* categorical splits: per level, goes left */
	int64		rows;
	int64		skipped;
} CrmTreeBuild;

/*
 * Serialize (and validate) a build into a crm.tree value.  sqlstate is the
 * error code of a build that does not validate: ERRCODE_INVALID_TEXT_REPRESENTATION
 * for the text input, ERRCODE_INVALID_BINARY_REPRESENTATION for the binary
 * one, ERRCODE_INTERNAL_ERROR for the trainer (whose builds are always valid).
 */
extern CrmTree *crm_tree_build(CrmTreeBuild *b, int sqlstate);

/*
 * Check everything a reader relies on; an error with the given sqlstate,
 * "invalid crm.tree value", whose detail names what is wrong.
 */
extern void crm_tree_validate(const CrmTree *t, Size size, int sqlstate);

/*
 * The kind of feature a column of (base) type type makes, the one rule for
 * trainer and scorer: smallint, integer, bigint, real, double precision and
 * numeric are continuous; boolean, text, varchar, char, name and enums are
 * categorical (a level is the value as ::text gives it); anything else is
 * -1, not a feature.
 */
extern int	crm_tree_feature_kind(Oid type);

/* the value of a continuous feature of (base) type type as float8 */
extern double crm_tree_feature_number(Datum value, Oid type);

/* the names stored in a tree's string pool */
static inline const char *
crm_tree_str(const CrmTree *t, int32 off)
{
	return CRM_TREE_STRINGS(t) + off;
}

static inline const char *
crm_tree_feature_name(const CrmTree *t, int f)
{
	return crm_tree_str(t, CRM_TREE_FEATURES(t)[f].name_off);
}

/* level l (0-based) of categorical feature f */
static inline const char *
crm_tree_level_name(const CrmTree *t, int f, int l)
{
	return crm_tree_str(t, CRM_TREE_LEVEL_OFF(t)[CRM_TREE_FEATURES(t)[f].first_level + l]);
}

static inline const char *
crm_tree_class_name(const CrmTree *t, int k)
{
	return crm_tree_str(t, CRM_TREE_CLASS_OFF(t)[k]);
}

/* does level l of a categorical split's feature go left at node n? */
static inline bool
crm_tree_goes_left_level(const CrmTree *t, const CrmTreeNode *n, int l)
{
	return (CRM_TREE_WORDS(t)[n->word_off + l / 32] >> (l % 32)) & 1;
}

/* d in the shortest decimal form that reads back exactly (as float8out) */
extern void crm_tree_append_double(StringInfo buf, double d);

/* v[0 .. n-1] as a float8[] */
extern ArrayType *crm_tree_float8_array(const double *v, int n);

/* class probabilities of a node (counts / their sum), in class order */
extern double *crm_tree_node_probabilities(const CrmTree *t, int node);

/* impurity of weighted class counts (criterion CRM_TREE_*) */
extern double crm_tree_impurity(int criterion, const double *counts, int n_classes, double total);

#endif
