"""Hub tests: a real JupyterHub deployment, learners as separate OS users (see conftest.py)."""
