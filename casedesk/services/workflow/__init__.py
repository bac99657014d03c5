"""The case workflow: everything that changes a case, a task or an interaction.

* ``changes`` — the one way a case changes: one guarded UPDATE plus one case event.
* ``transitions`` — queue and bin operations (next, dispatch, transfer, yank …) and
  status transitions (wait, resume, resolve, reopen, cancel, close).
* ``cases`` — creating and editing cases, notes.
* ``tasks`` — tasks on cases and their deadlines.
* ``interactions`` — calls, e-mails and chats logged on cases.

May import the models, ``casedesk.db``, ``services.context``, ``services.numbers``,
``services.sla`` and ``services.queries``. Never the UI or the CLI.
"""
