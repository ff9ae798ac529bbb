"""The web application: the lobby service's REST API and its pages (FastAPI)."""
