"""The interactive app: `solara run app.py` (or `python run.py viz`).

Built on Mesa's SolaraViz: choose the governance preset and parameters in the sidebar, then
Step, Play, Pause or Reset; the views update every step.
"""

from mesa.visualization import SolaraViz

from model import DEFAULT_PRESET, PRESETS, Organization
from viz.components import COMPONENTS

MODEL_PARAMS = {
    "preset": {"type": "Select", "value": DEFAULT_PRESET, "values": list(PRESETS),
               "label": "Governance preset"},
    "people": {"type": "SliderInt", "value": 300, "min": 20, "max": 2000, "step": 10,
               "label": "People"},
    "rng": {"type": "SliderInt", "value": 0, "min": 0, "max": 999, "step": 1, "label": "Seed"},
    "arrival_rate": {"type": "SliderFloat", "value": 0.05, "min": 0.0, "max": 0.2,
                     "step": 0.005, "label": "Work arrivals per person per step"},
    "turbulence": {"type": "SliderFloat", "value": 0.05, "min": 0.0, "max": 0.5, "step": 0.01,
                   "label": "Market turbulence"},
    "wip_doing": {"type": "SliderInt", "value": 3, "min": 1, "max": 10, "step": 1,
                  "label": "WIP limit (doing)"},
    "outside_option": {"type": "SliderFloat", "value": 0.35, "min": 0.0, "max": 1.0,
                       "step": 0.05, "label": "Outside option"},
    "consider_rate": {"type": "SliderFloat", "value": 0.1, "min": 0.0, "max": 1.0,
                      "step": 0.05, "label": "Reconsider membership (per step)"},
    "passion_drift": {"type": "SliderFloat", "value": 0.003, "min": 0.0, "max": 0.05,
                      "step": 0.001, "label": "Passion drift toward purpose"},
}


def make_model(**params) -> Organization:
    """A model with the sidebar's default parameters."""
    defaults = {name: spec["value"] for name, spec in MODEL_PARAMS.items()}
    return Organization(**{**defaults, **params})


model = make_model()
page = SolaraViz(model, components=COMPONENTS, model_params=MODEL_PARAMS,
                 name="Purposeful Enterprise", play_interval=200)
