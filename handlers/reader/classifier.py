"""The trained reader's two classifiers, their training and their file.

One TF-IDF vocabulary of character n-grams (1-3, within word boundaries) feeds two multinomial
logistic regressions: the intent of any message, and the category of a problem report (trained on
the reports only). Logistic regression gives probabilities, which the flows need to ask rather than
guess. The file (model.npz) holds plain arrays, not a pickle: the vocabulary, the IDF weights and
each classifier's classes, coefficients (float16) and intercepts, plus the settings as JSON, so it
loads under any scikit-learn version and runs no code when read.

Importing this module imports scikit-learn (about a second and tens of MB): the package imports it on
first use only.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

# Settings of the vocabulary and the classifiers; the file records them.
VECTORIZER: dict[str, Any] = {
    "analyzer": "char_wb",
    "ngram_range": (1, 3),
    "min_df": 2,
    "max_features": 40000,
    "sublinear_tf": True,
}
INTENT_C = 10.0
CATEGORY_C = 10.0
# The weight of all problem messages together in the intent classifier (about 50 categories' worth).
PROBLEM_WEIGHT = 18000.0
MAX_ITER = 200
TOL = 1e-3
# Characters of a message the classifiers read: a report says what it is within its first lines.
MAX_CHARS = 200

_DIGITS = re.compile(r"\d+")


def prepare(text: str) -> str:
    """The form the classifiers read: NFKC (full-width folded), lower case, any number as 0, single spaces."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).lower()
    return " ".join(_DIGITS.sub("0", text).split())[:MAX_CHARS]


@dataclass
class Model:
    """The vocabulary and the two classifiers, ready to read messages."""

    vectorizer: TfidfVectorizer
    intent: LogisticRegression
    category: LogisticRegression
    meta: dict[str, Any]

    @property
    def intents(self) -> list[str]:
        """The intent labels, in the order of intent_probabilities' columns."""
        return [str(c) for c in self.intent.classes_]

    @property
    def categories(self) -> list[str]:
        """The category codes, in the order of category_probabilities' columns."""
        return [str(c) for c in self.category.classes_]

    def features(self, texts: Sequence[str]) -> Any:
        """The TF-IDF rows of prepared texts."""
        return self.vectorizer.transform([prepare(t) for t in texts])

    def intent_probabilities(self, rows: Any) -> NDArray[np.float64]:
        """One row of intent probabilities per feature row."""
        return np.asarray(self.intent.predict_proba(rows), dtype=np.float64)

    def category_probabilities(self, rows: Any) -> NDArray[np.float64]:
        """One row of category probabilities per feature row."""
        return np.asarray(self.category.predict_proba(rows), dtype=np.float64)

    def save(self, path: Path) -> None:
        """Write the model file (byte for byte the same for the same training data)."""
        path.write_bytes(self.to_bytes())

    def to_bytes(self) -> bytes:
        """The model as a compressed archive of arrays, with fixed timestamps."""
        terms = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.__getitem__)
        arrays = {
            "terms": np.array(terms, dtype=str),
            "idf": self.vectorizer.idf_.astype(np.float32),
            "meta": np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)),
        }
        for name, clf in (("intent", self.intent), ("category", self.category)):
            arrays[f"{name}_classes"] = np.array([str(c) for c in clf.classes_], dtype=str)
            arrays[f"{name}_coef"] = clf.coef_.astype(np.float16)
            arrays[f"{name}_intercept"] = clf.intercept_.astype(np.float32)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return _stable_zip(buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> Model:
        """Read a model file."""
        return cls.from_bytes(path.read_bytes())

    @classmethod
    def from_bytes(cls, blob: bytes) -> Model:
        """Rebuild the vocabulary and the classifiers from the arrays of a saved model."""
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            settings = dict(meta["vectorizer"])
            settings["ngram_range"] = tuple(settings["ngram_range"])
            vectorizer = TfidfVectorizer(**settings, dtype=np.float32)
            vectorizer.vocabulary_ = {str(t): i for i, t in enumerate(data["terms"])}
            vectorizer.idf_ = data["idf"].astype(np.float32)
            classifiers = []
            for name in ("intent", "category"):
                clf = LogisticRegression()
                clf.classes_ = np.array([str(c) for c in data[f"{name}_classes"]])
                clf.coef_ = data[f"{name}_coef"].astype(np.float64)
                clf.intercept_ = data[f"{name}_intercept"].astype(np.float64)
                clf.n_features_in_ = clf.coef_.shape[1]
                classifiers.append(clf)
        return cls(vectorizer, classifiers[0], classifiers[1], meta)


def fit(texts: Sequence[str], intents: Sequence[str], categories: Sequence[str]) -> Model:
    """Train both classifiers (categories on the rows that have one); deterministic for the same rows."""
    vectorizer = TfidfVectorizer(**VECTORIZER, dtype=np.float32)
    rows = vectorizer.fit_transform([prepare(t) for t in texts])
    # However many categories the catalogue has, problems weigh as PROBLEM_WEIGHT messages in the
    # intent classifier: a catalogue of a hundred sub-items must not drown the other intents.
    problems = sum(1 for i in intents if i == "problem")
    scale = min(1.0, PROBLEM_WEIGHT / problems) if problems else 1.0
    # English reports are few and spread over every category: they keep their full weight.
    weights = np.array(
        [scale if i == "problem" and not t.isascii() else 1.0 for i, t in zip(intents, texts, strict=True)],
        dtype=np.float64,
    )
    intent = _regression(INTENT_C).fit(rows, list(intents), sample_weight=weights)
    reports = [i for i, c in enumerate(categories) if c]
    category = _regression(CATEGORY_C).fit(rows[reports], [categories[i] for i in reports])
    digest = hashlib.sha256(
        "\n".join(f"{a}\t{b}\t{c}" for a, b, c in zip(intents, categories, texts, strict=True)).encode()
    )
    meta = {
        "vectorizer": {**VECTORIZER, "ngram_range": list(VECTORIZER["ngram_range"])},
        "intent_C": INTENT_C,
        "category_C": CATEGORY_C,
        "problem_weight": PROBLEM_WEIGHT,
        "rows": len(texts),
        "corpus_sha256": digest.hexdigest(),
        "trained_with": f"scikit-learn {sklearn.__version__}",
    }
    # The model file keeps float16 coefficients: reload it so what is measured is what ships.
    return Model.from_bytes(Model(vectorizer, intent, category, meta).to_bytes())


def _regression(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=MAX_ITER, tol=TOL)


def fit_quiet(texts: Sequence[str], intents: Sequence[str], categories: Sequence[str]) -> Model:
    """fit() with lbfgs' convergence warning turned into an error message naming the setting to raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            return fit(texts, intents, categories)
        except ConvergenceWarning as exc:
            raise RuntimeError(f"training did not converge in {MAX_ITER} iterations: {exc}") from exc


def _stable_zip(data: bytes) -> bytes:
    """The same archive with every member's timestamp fixed, so equal models give equal files."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
