"""Browser tests: JupyterLab and Voilà driven in headless Chromium through Playwright."""
