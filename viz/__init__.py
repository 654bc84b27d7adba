"""The interactive visualization: Solara components built on Mesa's SolaraViz, a stable network
layout, and the offline front-end assets."""
