"""The report form's longer questions, kept apart from the fields that ask them.

The evidence consent is asked apart from every other and never implied by them
(domain/evidence.py); unanswered, it is No.
"""

from chalicelib.web.i18n import N_

EVIDENCE_LABEL = N_(
    "May prosecutors, in Ukraine and in international courts, use what you send as evidence "
    "against those who took the child?"
)
EVIDENCE_HELP = N_(
    "If you answer Yes, your photos and documents are kept exactly as you sent them, locked so "
    "that nobody can change or delete them, and every use is recorded. Only a few coalition "
    "staff can see them. You can withdraw this later on the status page, until they are handed "
    "to a prosecutor. We never ask a child to give evidence."
)
