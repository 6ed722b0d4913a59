#!/usr/bin/python3
"""bench/tree.sql's scikit-learn side: time DecisionTreeClassifier.fit.

    tree_sklearn.py train.csv holdout.csv max_depth

The CSV files hold f1..f10 and label (t/f), as COPY ... CSV HEADER writes
them; loading is not timed, fit is (median of 3), then the holdout AUC.
"""
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeClassifier


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    label_col = header.index("label")
    cols = [i for i, h in enumerate(header) if h != "label"]
    X = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols)
    y = np.loadtxt(path, delimiter=",", skiprows=1, usecols=[label_col], dtype=str) == "t"
    return X, y


train, holdout, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
X, y = load(train)
Xh, yh = load(holdout)
times = []
for _ in range(3):
    clf = DecisionTreeClassifier(max_depth=depth, random_state=0)
    t0 = time.perf_counter()
    clf.fit(X, y)
    times.append((time.perf_counter() - t0) * 1000)
auc = roc_auc_score(yh, clf.predict_proba(Xh)[:, 1])
print("scikit-learn %s: fit %d rows x %d features, depth %d: median %.0f ms (runs %s), leaves %d, holdout AUC %.4f"
      % (__import__("sklearn").__version__, X.shape[0], X.shape[1], depth, sorted(times)[1],
         ", ".join("%.0f" % t for t in times), clf.get_n_leaves(), auc))
