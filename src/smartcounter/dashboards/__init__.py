"""Role-scoped dashboards: the centre analyst's network view, the director's branch view.

``service`` builds typed view models from the metrics, programme and scorecard APIs only;
``figures`` draws their charts with the bulletin's SVG charts; ``bulletins`` serves the
week's bulletin files, built on demand and kept in the store folder.
"""
