"""The workstation's screens: one module each, plus what they share.

``registry`` (which screen is which mode), ``messages`` (what a screen asks of the App),
``workstation`` (the state a screen may read), ``base`` (typed service calls from workers).
Screens call services from workers and draw read models; they hold no SQL and no business
rules, and never import the app, the models, ``casedesk.db`` or SQLAlchemy (import-linter).
"""
