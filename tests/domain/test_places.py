from babel import Locale

from chalicelib.domain.places import COUNTRIES, OBLASTS


def test_country_codes_match_babels_iso_3166_territories():
    territories = {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
    # Babel also knows user-assigned and exceptional codes that are no countries.
    not_countries = {
        "EA",
        "EU",
        "EZ",
        "IC",
        "QO",
        "UN",
        "XA",
        "XB",
        "XK",
        "ZZ",
        "CP",
        "DG",
        "AC",
        "TA",
        "CQ",
    }
    assert territories - not_countries == COUNTRIES


def test_every_oblast_has_a_name_in_each_language_of_the_form():
    assert len(OBLASTS) == 27
    for names in OBLASTS.values():
        assert set(names) == {"uk", "en", "ru"}
