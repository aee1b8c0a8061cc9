"""The vocabulary of data classes: the unit in which sharing is granted and keys are held.

Kept in one place because agreements, Avro schema annotations and the key vault must all
agree on it; a class unknown here is rejected wherever it appears.
"""

from typing import Final

DATA_CLASSES: Final[tuple[str, ...]] = (
    "victim.identity",  # names, aliases, date of birth
    "victim.contact",  # telephone, email, safe times and ways to make contact
    "victim.address",  # current and refuge addresses
    "victim.health",  # physical and mental health, pregnancy, substance use; DASH health answers
    "victim.demographics",  # ethnicity, disability, sexuality, language (access needs)
    "children",  # children's names, dates of birth, schools; DASH children answers
    "perpetrator.identity",  # names, aliases, date of birth, relationship to the victim
    "perpetrator.contact",  # perpetrator's telephone and address
    "offending.detail",  # police history, incident narratives, offences; DASH offending answers
    "risk.narrative",  # the referrer's risk summary and free-text reasons
    "mappa.identity",  # a MAPPA nominal's names, aliases, references
    "mappa.offence",  # index offence, sentence, key dates
    "mappa.address_risk",  # a nominal's address and the risk that address presents
    "mappa.minutes",  # minutes, risk management plan, level decisions, why management ended
    "referrer.contact",  # who referred, and how to reach them
    "erasure.reason",  # why a subject was erased: the requester's free text
)

DATA_CLASS_SET: Final[frozenset[str]] = frozenset(DATA_CLASSES)


def is_data_class(name: str) -> bool:
    """True for a data class the platform knows; annotations and agreements must use these."""
    return name in DATA_CLASS_SET
