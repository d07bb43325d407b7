"""The web interface: server-rendered Swedish pages for officers and a JSON API for integrations.

    from storning.web.app import create_app
    asgi = create_app(app)          # app: storning.app.App

Both call only `storning.services` (and read-only queries) and ask `storning.access` who may do what.
Logins and API tokens are `storning.services.accounts`, shared with the CLI.
"""
