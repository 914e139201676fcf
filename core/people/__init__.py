"""People: employees and roles, chat accounts and sign-in, API tokens, the audit trail."""
