"""The model kinds the window knows: what each one fits, which Model-panel fields it needs and which views
the plot area hosts for it. Adding a kind is one entry here, its views module and its engine estimator (the
session's ``(kind, family)`` table); the window's core does not change. A new emission family of an existing
kind is one call, ``emdesk.session.register_family`` (its label and fields are read here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

_COMMON = ("n_components", "init_params", "n_init", "max_iter", "tol", "random_state")
_GAUSSIAN = _COMMON + ("covariance_type", "reg_covar")
_MARKOV = ("transmat_prior",)  # an HMM's Dirichlet prior on the transition rows (every emission family)


@dataclass(frozen=True)
class ModelKind:
    name: str                    # the session's kind ("mixture", "hmm")
    label: str                   # what the window calls it
    panel_fields: dict           # family -> the Model panel's fields this kind uses (ParamsPanel names)
    make_views: object           # () -> views object (widgets(), set_data(session), show_state, clear_state)
    needs: tuple = field(default=())  # Data panel pickers it needs besides the columns ("sequence")
    restarts_view: bool = False  # the Restarts view can list and load its restarts
    start_means: bool = False    # means can be placed by hand on its views
    model_selection: bool = False  # the model-selection dialog sweeps it

    def fields(self, family: str) -> tuple:
        if family not in self.panel_fields:  # a family added by emdesk.session.register_family
            from emdesk.session import registered_families

            for _, name, fields in registered_families(self.name):
                if name == family and fields is not None:
                    return fields
        return self.panel_fields.get(family, _COMMON)

    def families(self, builtin) -> list:
        """[(label, family)]: the built-in ones then those ``emdesk.session.register_family`` added."""
        from emdesk.session import registered_families

        return list(builtin) + [(label, name) for label, name, _ in registered_families(self.name)]


def _mixture_views():
    from emdesk.gui.views.families import FamilyViews  # the mixture views + the issue-13 families' views

    return FamilyViews()


def _hmm_views():
    from emdesk.gui.views.hmm import HMMViews

    return HMMViews()


MIXTURE = ModelKind(name="mixture", label="Mixture",
                    panel_fields={"gaussian": _GAUSSIAN, "student_t": _GAUSSIAN, "poisson": _COMMON,
                                  "categorical": _COMMON, "mixed": _GAUSSIAN},
                    make_views=_mixture_views, restarts_view=True, start_means=True, model_selection=True)
HMM = ModelKind(name="hmm", label="Hidden Markov model",
                panel_fields={"gaussian": _GAUSSIAN + _MARKOV, "poisson": _COMMON + _MARKOV,
                              "categorical": _COMMON + _MARKOV},
                make_views=_hmm_views, needs=("sequence",), restarts_view=True,
                model_selection=True)

KINDS: dict[str, ModelKind] = {"mixture": MIXTURE, "hmm": HMM}
