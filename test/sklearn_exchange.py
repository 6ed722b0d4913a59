#!/usr/bin/python3
"""Half of test/sklearn_exchange.sh: train scikit-learn's DecisionTreeClassifier
on the exported rows, write its crm.tree JSON (scripts/sklearn_to_crm_tree.py),
its predictions for every row and its feature importances.

    sklearn_exchange.py rows.csv model.json predictions.csv importances.csv

rows.csv: header, then i, the features..., label (the training rows are
those with i % 10 < 7).
"""
import csv
import json
import os
import sys

import numpy as np
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from sklearn_to_crm_tree import to_crm_tree  # noqa: E402

rows_csv, model_json, predictions_csv, importances_csv = sys.argv[1:5]
with open(rows_csv, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    data = list(reader)
features = header[1:-1]
ids = np.array([int(r[0]) for r in data])
X = np.array([[float(v) for v in r[1:-1]] for r in data])
y = np.array([r[-1] for r in data])
train = ids % 10 < 7

clf = DecisionTreeClassifier(max_depth=5, random_state=0)
clf.fit(X[train], y[train])
with open(model_json, "w") as f:
    json.dump(to_crm_tree(clf, features, target=header[-1]), f)
proba = clf.predict_proba(X)
pred = clf.predict(X)
with open(predictions_csv, "w", newline="") as f:
    w = csv.writer(f)
    for i, p, pr in zip(ids, pred, proba[:, -1]):
        w.writerow([int(i), p, repr(float(pr))])
with open(importances_csv, "w", newline="") as f:
    w = csv.writer(f)
    for name, imp in zip(features, clf.feature_importances_):
        w.writerow([name, repr(float(imp))])
