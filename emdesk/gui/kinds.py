"""The model kinds the window knows: what each one fits, which Model-panel fields it needs and which views
the plot area hosts for it. Adding a kind is one entry here, its views module and its engine estimator (the
session's ``(kind, family)`` table); the window's core does not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelKind:
    name: str                    # the session's kind ("mixture")
    label: str                   # what the window calls it
    families: dict               # label -> the session's family name
    panel_fields: tuple          # the Model panel's fields this kind uses (ParamsPanel names)
    make_views: object           # () -> views object (widgets(), set_data(session), show_state, clear_state)
    needs: tuple = field(default=())  # Data panel pickers it needs besides the columns


def _mixture_views():
    from emdesk.gui.views.mixture import MixtureViews

    return MixtureViews()


MIXTURE = ModelKind(
    name="mixture", label="Mixture", families={"Gaussian": "gaussian"},
    panel_fields=("n_components", "covariance_type", "init_params", "n_init", "max_iter", "tol", "reg_covar",
                  "random_state"),
    make_views=_mixture_views,
)

KINDS: dict[str, ModelKind] = {"mixture": MIXTURE}
