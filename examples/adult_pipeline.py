"""Adult, s = sex: a tabular fairness pipeline with ForgettingClassifier.

The raw Adult table ships with fairrep. Take the target and ``s`` out of the frame, one-hot
encode and scale the rest with a ColumnTransformer, fit ForgettingClassifier with ``s`` as a
fit parameter, and measure accuracy, the post-hoc probe accuracy of ``s`` (A_s) next to the
majority share, and the demographic parity gap on the standard test split.

    python examples/adult_pipeline.py [--max-epochs 30]
"""

import argparse

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairrep import ForgettingClassifier
from fairrep.datasets import load_adult
from fairrep.metrics import demographic_parity_difference, majority_share, probe_accuracy


def main(max_epochs=30):
    train = load_adult(as_frame=True, subset="train").frame
    test = load_adult(as_frame=True, subset="test").frame
    y_train, s_train = train.pop("income"), train.pop("sex")
    y_test, s_test = test.pop("income"), test.pop("sex")

    pipe = Pipeline([
        ("prep", ColumnTransformer([
            ("cat", OneHotEncoder(handle_unknown="ignore"),
             make_column_selector(dtype_include="category")),
            ("num", StandardScaler(), make_column_selector(dtype_include="number")),
        ], sparse_threshold=0)),
        ("clf", ForgettingClassifier(max_epochs=max_epochs, batch_size=256, random_state=0)),
    ])
    pipe.fit(train, y_train, clf__s=s_train)

    y_pred = pipe.predict(test)
    rep = Pipeline(pipe.steps[:-1]).transform
    Z_train = pipe.named_steps["clf"].transform(rep(train))
    Z_test = pipe.named_steps["clf"].transform(rep(test))
    print(f"A_y (test accuracy)        : {(y_pred == y_test).mean():.3f}")
    print(f"A_s (post-hoc probe of sex): "
          f"{probe_accuracy(Z_train, s_train, Z_test, s_test, random_state=0):.3f}")
    print(f"majority share of sex      : {majority_share(s_test):.3f}")
    print(f"demographic parity gap     : "
          f"{demographic_parity_difference(y_test, y_pred, s=s_test):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-epochs", type=int, default=30)
    main(parser.parse_args().max_epochs)
