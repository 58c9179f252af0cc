"""What a reporter is told about their report's stage and their withdrawal, wherever they
ask: the status page and the withdrawal page (templates/status.html, withdraw.html) and
the Telegram bot (web/telegram_bot.py) say the same words."""

from __future__ import annotations

from chalicelib.web.i18n import N_

NOT_FOUND = (
    N_("Not found"),
    N_("No report matches this number and code. Check both and try again."),
)
# A stage (domain/progress.py) -> its title and what it means; None: nothing found.
STAGES: dict[str | None, tuple[str, str]] = {
    "received": (
        N_("Received"),
        N_("The report is with the coalition and waits for a caseworker."),
    ),
    "in_review": (N_("In review"), N_("A caseworker is working on the report.")),
    "combined": (
        N_("Combined with another report"),
        N_(
            "Another report about the same child reached the coalition, and the two were "
            "combined. The search for the child goes on under that report."
        ),
    ),
    # The child's return (domain/progress.py ReturnStage).
    "located": (
        N_("The child has been found"),
        N_("The coalition knows where the child is and is working on the return."),
    ),
    "verified": (
        N_("The child's identity has been confirmed"),
        N_("The coalition has confirmed who the child is and is working on the return."),
    ),
    "on_the_way_home": (
        N_("On the way home"),
        N_("The child's return has begun. For the child's safety this page says no more."),
    ),
    "home": (N_("Home"), N_("The child has come back to Ukraine.")),
    "receiving_help": (
        N_("Home, receiving help"),
        N_("The child has come back to Ukraine and is receiving the help they need."),
    ),
    "closed": (
        N_("Closed"),
        N_("Work on this report has ended. If you know something new, send a new report."),
    ),
    None: NOT_FOUND,
}
# What withdrawing does, said before it is done.
WITHDRAW_EFFECTS = (
    N_("If you withdraw your consent:"),
    N_(
        "Your name, e-mail address and phone number are erased, and nobody will contact you "
        "about this report."
    ),
    N_(
        "The report is no longer shared with the coalition's members or with the authorities, "
        "and it is no longer compared with other reports."
    ),
    N_(
        "The report about the child is kept: the national information bureau keeps working "
        "on it, so that the child can still be found."
    ),
    N_("This cannot be undone."),
)
# A withdrawal's outcome (services/reporter.py Withdrawal) -> what is said.
WITHDRAWALS: dict[str, tuple[str, ...]] = {
    "withdrawn": (
        N_("Your consent is withdrawn"),
        N_(
            "Your name, e-mail address and phone number were erased. Nobody will contact you "
            "about this report."
        ),
        N_(
            "The report is no longer shared with anyone but the national information bureau, "
            "and it is no longer compared with other reports."
        ),
    ),
    "nothing_left": (
        N_("Nothing left to withdraw"),
        N_("Your contact details are no longer held, and nothing more about you is shared."),
    ),
    "not_found": NOT_FOUND,
}
