#!/usr/bin/python3
"""Convert a fitted scikit-learn DecisionTreeClassifier into crm.tree JSON.

    python3 scripts/sklearn_to_crm_tree.py model.pickle [--features a,b,c]
        [--target churn] [--positive yes] > model.json

or from Python:

    from sklearn_to_crm_tree import to_crm_tree
    doc = to_crm_tree(clf, feature_names=[...], target="churn")
    json.dumps(doc)

then in PostgreSQL:  SELECT '<json>'::crm.tree  (or INSERT it into a table).

Every scikit-learn feature becomes a continuous crm.tree feature named like
the column the model was trained on (feature_names_in_ when the model was
fitted on a DataFrame, else --features); crm.tree_score binds them by name.
A split sends value <= threshold left, as scikit-learn does.  Class counts
are the weighted counts per node (tree_.value, which scikit-learn >= 1.4
stores as fractions, scaled by weighted_n_node_samples).  Missing values go
the way scikit-learn >= 1.3 learned (missing_go_to_left), else left.

One difference: scikit-learn compares float32(value) with the threshold,
crm.tree compares the value itself; they can only disagree on a value
closer to a threshold than float32 precision (about 7 significant digits).
"""
import argparse
import json
import pickle
import sys


def _label(c):
    """A class label as PostgreSQL's text form of the target would show it."""
    if isinstance(c, bool) or type(c).__name__ == "bool_":
        return "true" if c else "false"
    if hasattr(c, "item"):
        c = c.item()
    if isinstance(c, float) and c.is_integer():
        c = int(c)
    return str(c)


def to_crm_tree(clf, feature_names=None, target="target", positive=None):
    """The crm.tree JSON document (a dict) of a fitted DecisionTreeClassifier."""
    tree = clf.tree_
    if tree.n_outputs != 1:
        raise ValueError("only single-output classifiers can be converted")
    if feature_names is None:
        feature_names = getattr(clf, "feature_names_in_", None)
    if feature_names is None:
        raise ValueError("feature names are needed: fit on a DataFrame or pass feature_names")
    feature_names = [str(f) for f in feature_names]
    if len(feature_names) != tree.n_features:
        raise ValueError("%d feature names for %d features" % (len(feature_names), tree.n_features))
    classes = [_label(c) for c in clf.classes_]
    missing_left = getattr(tree, "missing_go_to_left", None)
    nodes = []
    for i in range(tree.node_count):
        value = [float(v) for v in tree.value[i][0]]
        total = sum(value)
        weight = float(tree.weighted_n_node_samples[i])
        if total > 0 and abs(total - weight) > 1e-9 * max(weight, 1.0):
            value = [v / total * weight for v in value]  # fractions (scikit-learn >= 1.4)
        node = {}
        left, right = int(tree.children_left[i]), int(tree.children_right[i])
        if left != -1:
            node["feature"] = feature_names[int(tree.feature[i])]
            node["threshold"] = float(tree.threshold[i])
            node["left"] = left
            node["right"] = right
            node["missing"] = "left" if missing_left is None or missing_left[i] else "right"
        node["samples"] = int(tree.n_node_samples[i])
        node["counts"] = value
        nodes.append(node)
    doc = {
        "format": "crm.tree",
        "version": 1,
        "criterion": "entropy" if clf.criterion in ("entropy", "log_loss") else "gini",
        "target": target,
        "classes": classes,
        "positive": positive if positive is not None else classes[-1],
        "rows": int(tree.n_node_samples[0]),
        "skipped": 0,
        # scikit-learn before 1.3 rejects missing values: none were seen
        "features": [dict({"name": f, "kind": "continuous"}, **({} if missing_left is not None else {"nulls": False}))
                     for f in feature_names],
        "nodes": nodes,
    }
    if doc["positive"] not in classes:
        raise ValueError("positive class %r is not one of %r" % (positive, classes))
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="a pickled DecisionTreeClassifier")
    ap.add_argument("--features", help="comma-separated feature names, in training column order")
    ap.add_argument("--target", default="target", help="name of the target column")
    ap.add_argument("--positive", help="the positive class (default: the last class)")
    args = ap.parse_args()
    with open(args.model, "rb") as f:
        clf = pickle.load(f)
    names = args.features.split(",") if args.features else None
    json.dump(to_crm_tree(clf, names, args.target, args.positive), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
