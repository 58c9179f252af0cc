"""The report's questions: the fields a reporter answers, in the order they meet them, with
their words (gettext message ids, translated where they are shown), their choices and
whether they must be answered.

One definition for every way a report is taken: the public form renders them
(chalicelib/web/form_fields.py), a conversation asks them one at a time
(chalicelib/domain/conversation.py: the Telegram bot, the hotline's operator). Field
names are the report's own paths (`child.family_name`), so an answer lands where the
contract's models (domain/report.py) validate it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Field:
    name: str
    # text | textarea | email | tel | date (day, month, year) | names | radio | select |
    # yesno | oblast | country | phone_country (the form's own, not the report's)
    kind: str
    label: str
    help: str | None = None
    required: bool = False
    max_length: int | None = None
    # (value, label) pairs for radio and select; selects of places fill theirs at render.
    options: tuple[tuple[str, str], ...] = ()
    # A date whose year alone is an answer (a birth: the contract's birth_year).
    year_only: bool = False

    @property
    def id(self) -> str:
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class Step:
    key: str
    # None: a step of one question, whose label is the heading.
    title: str | None
    intro: str | None
    fields: tuple[Field, ...] = field(default_factory=tuple)


SEX = (("female", N_("Girl")), ("male", N_("Boy")), ("unknown", N_("Not known")))
CATEGORIES = (
    ("deported", N_("Taken to Russia or Belarus (deported)")),
    ("forcibly_transferred", N_("Moved by force to another place in occupied territory")),
    ("held_in_facility", N_("Held in a camp, boarding school or other institution")),
    ("adopted_or_placed", N_("Adopted by or placed with a family in Russia")),
    ("missing", N_("Missing: nobody knows where the child is")),
    ("other", N_("Something else")),
)
RELATIONSHIPS = (
    ("parent", N_("Parent")),
    ("guardian", N_("Guardian")),
    ("relative", N_("Other relative")),
    ("witness", N_("Witness, neighbour or friend")),
    ("ngo", N_("Organisation that helps families")),
    ("official", N_("Official")),
    ("self", N_("I am the child")),
    ("other", N_("Other")),
)
LANGUAGE_CHOICES = (("uk", "Українська"), ("en", "English"), ("ru", "Русский"))
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
URGENCY = (("yes", N_("Yes, it is urgent")), ("no", N_("No")))
# Where a reporter's phone may be, besides Ukraine: the countries where most Ukrainians
# who fled live, the neighbours, and Russia and Belarus (families of deported children
# and people in occupied territory have numbers there). Any other country: write the
# number with "+" and its code, which needs no choice here.
PHONE_COUNTRIES = frozenset(
    """
    AT BE BG BY CA CH CZ DE DK EE ES FI FR GB GE HU IE IL IT KZ LT LV MD NL NO PL PT RO RU
    SE SK TR UA US
    """.split()  # noqa: SIM905 - a table is easier to read than 34 quoted strings
)

# Where deported children are most often taken (and Ukraine, for transfers inside
# occupied territory): a list of countries offers them first.
COMMON_COUNTRIES = ("RU", "BY", "UA")

STEPS: tuple[Step, ...] = (
    Step(
        "urgency",
        None,
        None,
        (
            Field(
                "urgent",
                "yesno",
                N_("Is the child in danger now?"),
                N_(
                    "Urgent means the child's life or health is at risk now: violence, threats, "
                    "an illness or an injury and no help. The caseworkers on duty are alerted "
                    "at once."
                ),
                options=URGENCY,
            ),
        ),
    ),
    Step(
        "child",
        N_("1. The child"),
        N_("Write the names as they are in the child's documents, if you know them."),
        (
            Field("child.family_name", "text", N_("Family name"), required=True, max_length=100),
            Field("child.given_name", "text", N_("Given name"), required=True, max_length=100),
            Field(
                "child.patronymic",
                "text",
                N_("Patronymic"),
                N_("For example Olehovych. Leave it empty if you do not know it."),
                max_length=100,
            ),
            Field(
                "child.other_names",
                "names",
                N_("Other names"),
                N_(
                    "Nicknames, other spellings, or a new name the child may have been given. "
                    "Separate them with commas."
                ),
                max_length=1100,
            ),
            Field("child.sex", "radio", N_("Sex"), required=True, options=SEX),
            Field(
                "child.date_of_birth",
                "date",
                N_("Date of birth"),
                N_("For example 14 March 2012. If you know only the year, give the year alone."),
                required=True,
                year_only=True,
            ),
            Field(
                "child.distinguishing_marks",
                "textarea",
                N_("How to recognise the child"),
                N_("Scars, birthmarks, glasses, how the child speaks: anything others notice."),
                max_length=5000,
            ),
            Field(
                "child.medical_needs",
                "textarea",
                N_("Health and medical needs"),
                N_("Illnesses, medicines, disabilities. This helps us act faster."),
                max_length=5000,
            ),
        ),
    ),
    Step(
        "event",
        N_("2. Where and when it happened"),
        None,
        (
            Field(
                "residence.oblast",
                "oblast",
                N_("Oblast where the child lived"),
                N_("Where the child lived before it happened."),
                required=True,
            ),
            Field(
                "residence.settlement",
                "text",
                N_("Town or village where the child lived"),
                max_length=200,
            ),
            Field(
                "event.category",
                "radio",
                N_("What happened to the child?"),
                required=True,
                options=CATEGORIES,
            ),
            Field(
                "event.date",
                "date",
                N_("When did it happen?"),
                N_("For example 20 October 2022. An approximate date is fine."),
            ),
            Field(
                "event.place",
                "text",
                N_("Where did it happen?"),
                N_("For example the school, the street or the checkpoint."),
                max_length=200,
            ),
            Field(
                "event.circumstances",
                "textarea",
                N_("Tell us how it happened"),
                N_("In your own words: who took the child, who was with them, what you were told."),
                max_length=5000,
            ),
        ),
    ),
    Step(
        "location",
        N_("3. Where the child may be now"),
        N_("Leave this part empty if you do not know."),
        (
            Field("last_known_location.country", "country", N_("Country")),
            Field(
                "last_known_location.region",
                "text",
                N_("Region"),
                N_("For example Krasnodar Krai, or occupied Donetsk Oblast."),
                max_length=200,
            ),
            Field("last_known_location.settlement", "text", N_("Town or village"), max_length=200),
            Field(
                "last_known_location.institution",
                "text",
                N_("Institution or family"),
                N_("The name of the camp, boarding school, hospital or family, if you know it."),
                max_length=200,
            ),
        ),
    ),
    Step(
        "reporter",
        N_("4. About you"),
        N_(
            "You may stay anonymous. We use your contact details only to ask about this "
            "child, and never share them with anyone outside the coalition."
        ),
        (
            Field(
                "reporter.name",
                "text",
                N_("Your name"),
                N_("Optional."),
                max_length=200,
            ),
            Field(
                "reporter.relationship",
                "radio",
                N_("How are you related to the child?"),
                required=True,
                options=RELATIONSHIPS,
            ),
            Field(
                "reporter.may_contact",
                "yesno",
                N_("May we contact you?"),
                N_("Choose No if a call or a text message could put you in danger."),
                required=True,
                options=YES_NO,
            ),
            Field(
                "reporter.email",
                "email",
                N_("E-mail"),
                max_length=254,
            ),
            Field(
                "reporter.phone",
                "tel",
                N_("Phone number"),
                N_("For example 050 123 45 67, or +48 512 345 678 for a number abroad."),
                max_length=32,
            ),
            Field(
                "reporter.phone_country",
                "phone_country",
                N_("Country of the phone number"),
                N_("Only if the number is not Ukrainian and does not start with +."),
            ),
            Field(
                "reporter.preferred_language",
                "select",
                N_("Language we should use with you"),
                options=LANGUAGE_CHOICES,
            ),
        ),
    ),
    Step(
        "consent",
        N_("5. Your consent"),
        N_("Answer each question. Whatever you answer, your report reaches the coalition."),
        (
            Field(
                "consent.tracing",
                "yesno",
                N_("May the coalition search for the child by comparing this report with others?"),
                N_(
                    "If you answer No, the coalition still receives your report, but does not "
                    "compare it with other reports about the same child."
                ),
                required=True,
                options=YES_NO,
            ),
            Field(
                "consent.share_with_coalition",
                "yesno",
                N_(
                    "May the coalition share this report with its member organisations that "
                    "work to return children?"
                ),
                N_("If you answer No, only the coalition's own caseworkers see the report."),
                required=True,
                options=YES_NO,
            ),
            Field(
                "consent.share_with_authorities",
                "yesno",
                N_(
                    "May the coalition share this report with Ukrainian authorities, such as "
                    "the National Police and the Ombudsman, so that they can act?"
                ),
                N_(
                    "If you answer No, the report is not passed on to the authorities; the "
                    "coalition still works on it."
                ),
                required=True,
                options=YES_NO,
            ),
            # Asked apart from every other and never implied by them (domain/evidence.py);
            # unanswered, it is No.
            Field(
                "consent.evidence",
                "yesno",
                N_(
                    "May prosecutors, in Ukraine and in international courts, use what you "
                    "send as evidence against those who took the child?"
                ),
                N_(
                    "If you answer Yes, your photos and documents are kept exactly as you sent "
                    "them, locked so that nobody can change or delete them, and every use is "
                    "recorded. Only a few coalition staff can see them. You can withdraw this "
                    "later on the status page, until they are handed to a prosecutor. We never "
                    "ask a child to give evidence."
                ),
                options=YES_NO,
            ),
        ),
    ),
)

# What a required field left empty asks for, in its own words (the server and form.js say
# the same); a question not listed asks to choose one of its options.
MISSING = {
    "child.family_name": N_("Enter the child's family name."),
    "child.given_name": N_("Enter the child's given name."),
    "child.sex": N_("Choose the child's sex."),
    "residence.oblast": N_("Choose the oblast where the child lived."),
    "event.category": N_("Choose what happened to the child."),
    "reporter.relationship": N_("Choose how you are related to the child."),
    "reporter.may_contact": N_("Choose whether we may contact you."),
}
# Why a photo or document was not taken (domain/attachments.py FileRefused's reasons).
FILE_REFUSED = {
    "missing": N_("A file did not finish uploading. Please add it again."),
    "too_large": N_("A file is larger than 10 MB and was removed."),
    "wrong_type": N_("A file is not a photo (JPEG, PNG) or a PDF document and was removed."),
    # HEIC photos are refused (domain/attachments.py says why), in words of their own.
    "heic": N_(
        "A photo in the HEIC format cannot be accepted and was removed. Please send it as a "
        "JPEG or PNG photo."
    ),
}
FIELDS: dict[str, Field] = {f.name: f for step in STEPS for f in step.fields}
# Fields of the form that are no part of the report: read on the way, never sent on.
FORM_ONLY = {"reporter.phone_country"}
