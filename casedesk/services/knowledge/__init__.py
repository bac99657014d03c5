"""The knowledge base: articles (``KB-000042``), their search, and guidance for agents.

* ``library`` — drafting, editing, publishing, linking and sending articles; search as
  agents call it; reindexing.
* ``guidance`` — what to read while a case is open: similar solved cases and the articles
  that solved them, fused by reciprocal rank.
* ``search`` — the search index on each database (SQLite FTS5, PostgreSQL tsvector).
* ``folding`` — text rules: folding accents and case, tokens, stop words, queries, snippets.

May import the models, ``casedesk.db``, ``services.context``, ``services.numbers``,
``services.queries.views`` and ``services.workflow`` (a sent article is an interaction
on the case). Never the UI or the CLI.
"""
