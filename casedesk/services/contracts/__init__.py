"""Contracts and entitlements (issue 14): contracts of accounts and their lines
(``contracts``), contract templates that make a contract in one step (``templates``), and
the rules of what a line still allows and what a case or minutes use (``entitlements``).
An exhausted or expired line never blocks a case: its state is recorded and shown."""
