"""Fuzzing ``emdesk.io.load_fit`` with tampered fit files: only ``DataError`` may come out.

    python3 benchmarks/fuzz_fitfile.py [--cases 100000] [--seed 0] [--kinds mixture|hmm|families|all]

Valid fit files are written for every covariance type (full, tied, diag, spherical) and a few shapes
(``--kinds hmm``: GaussianHMM of every covariance type, PoissonHMM and CategoricalHMM; ``--kinds families``:
Student-t, Poisson and latent class mixtures), then each case tampers with one of them, seeded: values (huge and tiny numbers, 5e-324 variances, wrong
types, negative weights), nesting (lists wrapped hundreds of levels deep, unwrapped), keys (deleted,
added, duplicated), numbers' sizes (integers of 400 to 5,000 digits, floats written with thousands of
digits, 1e999, NaN, Infinity), truncation and random bytes. The figures printed are the cases run and
each outcome: ``accepted`` (the file still loads; its scores are then checked finite), ``DataError``,
``DataError via the safety net`` (the catch-all in ``load_fit``: a kind of fault no check names yet),
and any other exception (a bug). ``tests/io/test_fuzz.py`` runs the same generator in a CI-sized form.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from emdesk.engine import CategoricalHMM, GaussianHMM, GaussianMixture, PoissonHMM  # noqa: E402
from emdesk.io import DataError, load_fit, save_fit  # noqa: E402

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
NET_MARKER = "not a valid emdesk fit file ("  # the safety net's wording in load_fit
MAX_MESSAGE = 300


def valid_documents(folder: str) -> list[str]:
    """Texts of valid fit files: every covariance type, 1-D with one component and 3-D with three."""
    rng = np.random.default_rng(12345)
    texts = []
    for ct in COVARIANCE_TYPES:
        for d, k in ((1, 1), (2, 2), (3, 3)):
            X = np.vstack([rng.normal(4.0 * j, 1.0, (40, d)) for j in range(k)])
            gm = GaussianMixture(k, covariance_type=ct, random_state=0, max_iter=20).fit(X)
            path = os.path.join(folder, f"valid-{ct}-{d}.json")
            save_fit(path, gm, X, columns=[f"c{j}" for j in range(d)])
            with open(path, encoding="utf-8") as f:
                texts.append(f.read())
    return texts


def valid_hmm_documents(folder: str) -> list[str]:
    """Texts of valid HMM fit files: GaussianHMM of every covariance type, PoissonHMM, CategoricalHMM
    (with text symbols), 1 to 3 states, in two sequences."""
    import warnings

    rng = np.random.default_rng(54321)
    texts = []
    models = []
    for d, k in ((1, 1), (2, 2), (3, 3)):
        X = np.vstack([rng.normal(4.0 * j, 1.0, (30, d)) for j in range(k)])
        for ct in COVARIANCE_TYPES:
            models.append((GaussianHMM(k, covariance_type=ct, random_state=0, max_iter=10), X))
        C = np.vstack([rng.poisson(2.0 + 6.0 * j, (30, d)) for j in range(k)]).astype(float)
        models.append((PoissonHMM(k, random_state=0, max_iter=10), C))
        S = rng.integers(0, k + 1, (30 * k, 1)).astype(float)
        models.append((CategoricalHMM(k, random_state=0, max_iter=10), S))
    for i, (model, X) in enumerate(models):
        n = X.shape[0]
        lengths = [n // 2, n - n // 2]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, lengths)
        if isinstance(model, CategoricalHMM):
            model.symbols_ = [f"s{j}" for j in range(model.emissionprob_.shape[1])]
        path = os.path.join(folder, f"valid-hmm-{i}.json")
        save_fit(path, model, X, columns=[f"c{j}" for j in range(X.shape[1])], lengths=lengths,
                 sequence_column="id", order_column="t")
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    return texts


def valid_family_documents(folder: str) -> list[str]:
    """Texts of valid Student-t (every covariance type), Poisson and latent class mixture files (when the
    engine has these estimators)."""
    import warnings

    from emdesk import engine

    if not hasattr(engine, "StudentTMixture"):
        return []
    rng = np.random.default_rng(2468)
    texts = []
    models = []
    for d, k in ((1, 1), (2, 2)):
        X = np.vstack([rng.standard_t(5, (30, d)) + 6.0 * j for j in range(k)])
        for ct in COVARIANCE_TYPES:
            models.append((engine.StudentTMixture(k, covariance_type=ct, random_state=0, max_iter=10), X))
        C = np.vstack([rng.poisson(2.0 + 6.0 * j, (30, d)) for j in range(k)]).astype(float)
        models.append((engine.PoissonMixture(k, random_state=0, max_iter=10), C))
        S = rng.choice(["a", "b", "c"], (30 * k, d)).astype(object)
        models.append((engine.CategoricalMixture(k, random_state=0, max_iter=10), S))
    for i, (model, X) in enumerate(models):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X)
        path = os.path.join(folder, f"valid-family-{i}.json")
        save_fit(path, model, X, columns=[f"c{j}" for j in range(X.shape[1])])
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    return texts


def _probe_rows(model):
    """A few rows to score an accepted model on (its centres), and their lengths."""
    if hasattr(model, "means_"):
        X = np.asarray(model.means_)
    elif hasattr(model, "lambdas_"):
        X = np.round(np.asarray(model.lambdas_))
    else:
        X = np.argmax(np.asarray(model.emissionprob_), axis=1).astype(float)[:, None]
    return X


def _accepted_scores(model) -> np.ndarray:
    with np.errstate(all="ignore"):
        if hasattr(model, "get_fitted_params"):  # Student-t, Poisson, latent class mixtures
            p = model.get_fitted_params()
            if "probs" in p:
                X = np.array([[cats[int(np.argmax(p["probs"][j, c, :len(cats)]))] for c, cats in
                               enumerate(p["categories"])] for j in range(len(p["weights"]))], dtype=object)
            elif "lambdas" in p:
                X = np.round(p["lambdas"])
            else:
                X = p["means"]
            return np.asarray(model.score_samples(X), dtype=float)
        if hasattr(model, "startprob_"):  # an HMM: each row a sequence of its own, uniform start
            import copy

            probe = copy.copy(model)
            k = len(model.startprob_)
            probe.startprob_ = np.full(k, 1.0 / k)
            X = _probe_rows(model)
            ll, post = probe.score_samples(X, [1] * X.shape[0])
            return np.append(np.ravel(post), ll)
        return model.score_samples(np.asarray(model.means_))


_HMM_KEYS = ["startprob", "transmat", "covars", "lambdas", "emissionprob", "symbols", "sequences", "x" * 5000]


# Raw JSON spellings put in place of a placeholder string after json.dumps (json.dumps cannot write them).
def _raw_values(rng: np.random.Generator) -> list[str]:
    depth = int(rng.integers(30, 1200))
    return [
        "9" * int(rng.integers(300, 500)), "1" * 4301, "-" + "7" * 5000, "1" * 64, "1" * 65,
        "1." + "0" * int(rng.integers(400, 6000)) + "1", "0." + "0" * 400 + "5",
        "1e999", "-1e999", "1e-999", "NaN", "Infinity", "-Infinity",
        "[" * depth + "]" * depth, "[" * depth + "0.5" + "]" * depth, '{"a":' * 40 + "1" + "}" * 40,
        '"' + "x" * int(rng.integers(1000, 20000)) + '"', '"\\ud800"', '"\\u0000"',
    ]


_PLACEHOLDER = "\u2603RAW{}\u2603"


_NASTY = [5e-324, -5e-324, 1e-308, 1e308, -1e308, 0.0, -0.0, -1.0, 1e-300, True, False, None, "1", "", [], {},
          [1.0], [[1.0]], {"a": 1}, 2 ** 63, -(2 ** 63), 3]


def _nasty_value(rng: np.random.Generator, raws: list[str]):
    if rng.random() < 0.4:
        return _PLACEHOLDER.format(int(rng.integers(0, len(raws))))
    return json.loads(json.dumps(_NASTY[int(rng.integers(0, len(_NASTY)))]))


def _paths(doc, prefix=()):
    """Every (path, value) of the document tree."""
    out = [(prefix, doc)]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.extend(_paths(value, prefix + (i,)))
    return out


def _set(doc, path, value):
    if not path:
        return value
    obj = doc
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value
    return doc


def _is_hmm_doc(doc) -> bool:
    try:
        return str(doc["model"]["kind"]).endswith("HMM")
    except (KeyError, TypeError):
        return False


def _tree_mutation(rng: np.random.Generator, doc, raws: list[str]):
    paths = _paths(doc)
    path, value = paths[int(rng.integers(0, len(paths)))]
    kind = int(rng.integers(0, 9))
    if kind == 0:  # a nasty value
        return _set(doc, path, _nasty_value(rng, raws))
    if kind == 1 and isinstance(value, (int, float)) and not isinstance(value, bool):  # numbers' sizes
        factor = [1e300, 1e-300, -1.0, 0.0, 1e308, 5e-324, 1e15, 1 + 1e-12][int(rng.integers(0, 8))]
        return _set(doc, path, value * factor)
    if kind == 2:  # nesting: wrap
        for _ in range(int(rng.integers(1, 4))):
            value = [value]
        return _set(doc, path, value)
    if kind == 3 and isinstance(value, list) and value:  # nesting: unwrap, or drop an item
        return _set(doc, path, value[0] if rng.random() < 0.5 else value[:-1])
    if kind == 4 and isinstance(value, dict) and value:  # keys: delete
        del value[list(value)[int(rng.integers(0, len(value)))]]
        return doc
    if kind == 5 and isinstance(value, dict):  # keys: add
        keys = ["weights", "extra", "kind", "fit", "options", "x" * 5000]
        if _is_hmm_doc(doc):
            keys = keys[:5] + _HMM_KEYS
        value[keys[int(rng.integers(0, len(keys)))]] = _nasty_value(rng, raws)
        return doc
    if kind == 6 and isinstance(value, (int, float)) and not isinstance(value, bool):  # type change
        return _set(doc, path, [str(value), [value], {"v": value}, None, True][int(rng.integers(0, 5))])
    if kind == 7 and isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        j = int(rng.integers(0, len(value)))  # one variance or weight made tiny, huge or negative
        value[j] = [5e-324, 1e-320, 1e-200, 1e200, 1e308, -value[j], 0.0][int(rng.integers(0, 7))]
        return doc
    if kind == 8 and path:  # a value replaced by a copy of another value of the tree
        other = paths[int(rng.integers(0, len(paths)))][1]
        return _set(doc, path, json.loads(json.dumps(other)))
    return _set(doc, path, _nasty_value(rng, raws))


def _text_mutation(rng: np.random.Generator, data: bytes) -> bytes:
    n = len(data)
    kind = int(rng.integers(0, 7)) if n else 6
    if kind == 0:  # truncation
        return data[: int(rng.integers(0, n + 1))]
    if kind == 1:  # random bytes replace some bytes
        arr = bytearray(data)
        for _ in range(int(rng.integers(1, 9))):
            arr[int(rng.integers(0, n))] = int(rng.integers(0, 256))
        return bytes(arr)
    if kind == 2:  # random bytes inserted
        at = int(rng.integers(0, n + 1))
        return data[:at] + rng.bytes(int(rng.integers(1, 64))) + data[at:]
    if kind == 3:  # a slice deleted
        a = int(rng.integers(0, n + 1))
        return data[:a] + data[a + int(rng.integers(1, 200)):]
    if kind == 4:  # a slice duplicated (duplicate keys, unbalanced brackets)
        a = int(rng.integers(0, n + 1))
        b = min(n, a + int(rng.integers(1, 400)))
        return data[:b] + data[a:b] + data[b:]
    if kind == 5:  # a digit run made very long
        digits = [i for i in range(n) if 48 <= data[i] <= 57]
        if digits:
            at = digits[int(rng.integers(0, len(digits)))]
            return data[:at] + b"9" * int(rng.integers(20, 6000)) + data[at:]
        return data
    return bytes(rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8))  # random bytes only


def tampered(rng: np.random.Generator, texts: list[str]) -> bytes:
    """One tampered variant of a random valid file."""
    text = texts[int(rng.integers(0, len(texts)))]
    raws = _raw_values(rng)
    if rng.random() < 0.7:
        doc = json.loads(text)
        for _ in range(int(rng.integers(1, 4))):
            doc = _tree_mutation(rng, doc, raws)
        out = json.dumps(doc, indent=None if rng.random() < 0.5 else 1)
        for i, raw in enumerate(raws):
            out = out.replace(json.dumps(_PLACEHOLDER.format(i)), raw)
        data = out.encode("utf-8", errors="surrogatepass")
        if rng.random() < 0.2:
            data = _text_mutation(rng, data)
        return data
    data = text.encode("utf-8")
    for _ in range(int(rng.integers(1, 4))):
        data = _text_mutation(rng, data)
    return data


def overwrite(path: str, data: bytes) -> None:
    """Replace a file's bytes in place (opening with truncation costs milliseconds on some file systems,
    a rewrite microseconds)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def run(n_cases: int, seed: int, folder: str, kinds: str = "mixture") -> dict:
    """Load ``n_cases`` tampered files; returns the outcome counts and an example of each bad outcome.
    ``kinds``: "mixture" (Gaussian mixtures), "hmm" (the three HMMs) or "all"."""
    texts = []
    if kinds in ("mixture", "all"):
        texts += valid_documents(folder)
    if kinds in ("hmm", "all"):
        texts += valid_hmm_documents(folder)
    if kinds in ("families", "all"):
        texts += valid_family_documents(folder)
    if not texts:
        raise ValueError(f"kinds must be mixture, hmm, families or all (families need the engine's "
                         f"StudentTMixture...); got {kinds!r}")
    rng = np.random.default_rng(seed)
    path = os.path.join(folder, "tampered.json")
    outcomes: Counter = Counter()
    examples: dict[str, tuple[bytes, str]] = {}
    longest = 0
    for _ in range(n_cases):
        data = tampered(rng, texts)
        overwrite(path, data)
        try:
            model = load_fit(path)
        except DataError as exc:
            message = str(exc)
            longest = max(longest, len(message))
            if NET_MARKER in message:
                outcomes["DataError via the safety net"] += 1
                examples.setdefault("DataError via the safety net", (data[:300], message))
            elif len(message) > MAX_MESSAGE:
                outcomes["DataError with a long message"] += 1
                examples.setdefault("DataError with a long message", (data[:300], message[:300]))
            else:
                outcomes["DataError"] += 1
            continue
        except BaseException as exc:  # noqa: BLE001 - the point is to see every kind
            label = type(exc).__name__
            outcomes[label] += 1
            examples.setdefault(label, (data[:300], str(exc)[:300]))
            continue
        try:
            scores = _accepted_scores(model)
        except Exception as exc:  # noqa: BLE001
            scores = np.array([np.nan])
            examples.setdefault("accepted, scores not finite", (data[:300], f"{type(exc).__name__}: {exc}"))
        if np.all(np.isfinite(scores)):
            outcomes["accepted"] += 1
        else:
            outcomes["accepted, scores not finite"] += 1
            examples.setdefault("accepted, scores not finite", (data[:300], repr(scores)))
    return {"cases": n_cases, "outcomes": dict(outcomes), "examples": examples, "longest_message": longest}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", choices=["mixture", "hmm", "families", "all"], default="all")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = run(args.cases, args.seed, folder, kinds=args.kinds)
        seconds = time.perf_counter() - start
    print(f"load_fit fuzz: {result['cases']} tampered fit files ({args.kinds}), seed {args.seed}, {seconds:.1f} s")
    for label, count in sorted(result["outcomes"].items(), key=lambda item: -item[1]):
        print(f"  {label}: {count}")
    print(f"  longest message: {result['longest_message']} characters")
    for label, (data, message) in result["examples"].items():
        print(f"  example of {label}: {data!r} -> {message}")
    bad = {k: v for k, v in result["outcomes"].items() if k not in ("accepted", "DataError")}
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
