"""Withheld reasons in words on the pages, from the codes the API keeps."""

from services.sharing.data_classes import DATA_CLASSES
from services.sharing.wording import CLASS_WORDS, withheld_in_words

TITLES = {"thames-valley-da-isa": "Thames Valley information sharing agreement"}


def test_a_class_the_agency_may_not_read_is_said_in_words():
    reason = (
        "withheld under thames-valley-da-isa v2: idva-oxon may not read perpetrator.contact "
        "for marac"
    )
    assert withheld_in_words(reason, TITLES) == (
        "Your agency does not receive the perpetrator's contact details for MARAC "
        "under the Thames Valley information sharing agreement (version 2)."
    )


def test_an_agency_outside_the_agreement_is_told_so():
    reason = "withheld under thames-valley-da-isa v1: acme is not a party to the agreement"
    assert withheld_in_words(reason, TITLES) == (
        "Your agency is not a party to the Thames Valley information sharing agreement (version 1)."
    )


def test_a_reason_of_another_shape_is_kept_not_lost():
    assert withheld_in_words("erased on request", TITLES) == "Erased on request"


def test_every_data_class_has_words():
    assert set(CLASS_WORDS) == set(DATA_CLASSES)
