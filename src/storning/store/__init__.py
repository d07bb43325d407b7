"""Persistence: the database, the table models, the case loader and the schema migrations (DESIGN §1).

The interfaces (cli, web, worker) never import this package, and only the modules listed in
pyproject.toml's import-linter contract "models" import `storning.store.models`.
"""
