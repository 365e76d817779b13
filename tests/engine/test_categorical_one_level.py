"""A categorical column with one category cannot tell latent classes apart: the model says so in
column_notes_ (the window shows them) instead of fitting arbitrary class sizes silently (newcomer test)."""

import numpy as np

from emdesk.engine import CategoricalMixture

X = np.array([["a", "xy"[i % 2], "uvw"[i % 3]] for i in range(30)], dtype=object)


def test_one_category_columns_are_noted():
    notes = CategoricalMixture(2, random_state=0).fit(X).column_notes_
    assert len(notes) == 1 and notes[0].startswith("Column 1 holds one category only")


def test_no_column_with_two_categories_is_noted_too():
    notes = CategoricalMixture(2, random_state=0).fit(X[:, :1]).column_notes_
    assert len(notes) == 2 and "classes cannot differ" in notes[1]


def test_columns_with_two_or_more_categories_give_no_note():
    assert CategoricalMixture(2, random_state=0).fit(X[:, 1:]).column_notes_ == ()


def test_mixed_mixture_notes_its_one_category_columns_by_their_place_in_X():
    from emdesk.engine import MixedMixture

    Xm = np.array([[float(i % 7), "a", "xy"[i % 2]] for i in range(30)], dtype=object)
    notes = MixedMixture(2, categorical_columns=[1, 2], random_state=0).fit(Xm).column_notes_
    # the numeric column can still tell classes apart: no "classes cannot differ" sentence
    assert len(notes) == 1 and notes[0].startswith("Column 2 holds one category only")
    assert MixedMixture(2, categorical_columns=[1], random_state=0).fit(Xm[:, [0, 2]]).column_notes_ == ()
