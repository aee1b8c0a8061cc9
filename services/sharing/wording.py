"""Why something is withheld, in words a caseworker reads, from the codes the API keeps.

The API's reason names codes ("withheld under thames-valley-da-isa v2: idva-oxon may not read
perpetrator.contact for marac") so that clients and auditors can act on them; the pages say
the same thing as a sentence, after a "Withheld" tag ("Your agency does not receive the
perpetrator's contact details for MARAC under the Thames Valley … agreement (version 2).").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

CLASS_WORDS: Mapping[str, str] = {
    "victim.identity": "the victim's name and date of birth",
    "victim.contact": "the victim's contact details",
    "victim.address": "the victim's address",
    "victim.health": "the victim's health details",
    "victim.demographics": "the victim's equality details",
    "children": "the children's details",
    "perpetrator.identity": "the perpetrator's name and identity",
    "perpetrator.contact": "the perpetrator's contact details",
    "offending.detail": "offending history and incident details",
    "risk.narrative": "the risk summary",
    "mappa.identity": "the nominal's identity",
    "mappa.offence": "the nominal's offence and sentence",
    "mappa.address_risk": "the nominal's address and the risk it presents",
    "mappa.minutes": "MAPPA minutes and decisions",
    "referrer.contact": "the referrer's contact details",
    "erasure.reason": "the reasons for erasures",
}
PURPOSE_WORDS: Mapping[str, str] = {"marac": "MARAC", "matac": "MATAC", "mappa": "MAPPA"}

_MAY_NOT_READ = re.compile(
    r"^withheld under (?P<agreement>\S+) v(?P<version>\d+): "
    r"(?P<agency>\S+) may not read (?P<data_class>\S+) for (?P<purpose>\S+)$"
)
_NOT_A_PARTY = re.compile(
    r"^withheld under (?P<agreement>\S+) v(?P<version>\d+): (?P<agency>\S+) is not a party"
)


def withheld_in_words(reason: str, titles: Mapping[str, str]) -> str:
    """The reason as a sentence; ``titles`` maps agreement ids to their titles."""
    if found := _MAY_NOT_READ.match(reason):
        what = CLASS_WORDS.get(found["data_class"], found["data_class"].replace(".", " "))
        purpose = PURPOSE_WORDS.get(found["purpose"], found["purpose"])
        return (
            f"Your agency does not receive {what} for {purpose} under the "
            f"{_agreement(found, titles)}."
        )
    if found := _NOT_A_PARTY.match(reason):
        return f"Your agency is not a party to the {_agreement(found, titles)}."
    return reason[:1].upper() + reason[1:]


def _agreement(found: re.Match, titles: Mapping[str, str]) -> str:
    title = titles.get(found["agreement"], found["agreement"])
    return f"{title} (version {found['version']})"
