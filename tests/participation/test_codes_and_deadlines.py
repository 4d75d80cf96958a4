import datetime as dt
import re

import pytest

from participation import codes, deadlines


def test_codes_are_dictatable_and_unguessable():
    seen = set()
    for kind, prefix in (("reclamo", "RC"), ("denuncia", "DN"), ("sugerencia", "SG")):
        for _ in range(200):
            code = codes.generate(kind)
            assert re.fullmatch(rf"{prefix}-[{codes.ALPHABET}]{{5}}-[{codes.ALPHABET}]{{5}}", code)
            seen.add(code)
    assert len(seen) == 600
    assert codes.entropy_bits() >= 40
    assert not set("01OILU") & set(codes.ALPHABET)


@pytest.mark.parametrize("typed", ["rc-7k4mx-2q9pa", " RC 7K4MX 2Q9PA ", "rc7k4mx2q9pa", "RC-7K4MX-2Q9PA"])
def test_codes_are_case_insensitive_and_ignore_separators(typed):
    assert codes.normalize(typed) == "RC-7K4MX-2Q9PA"


@pytest.mark.parametrize(
    "bad", ["", "RC-", "XX-7K4MX-2Q9PA", "RC-7K4MX-2Q9P0", "RC-7K4MX-2Q9PA1", "<script>", "RC-OOOOO-11111"]
)
def test_malformed_codes_are_refused(bad):
    with pytest.raises(codes.MalformedCode):
        codes.normalize(bad)


def test_business_days_skip_weekends_and_national_holidays(settings):
    settings.AYNI_HOLIDAY_COUNTRY = "BO"
    settings.AYNI_HOLIDAYS = []
    # Friday 2025-07-25 + 1 business day -> Monday 2025-07-28.
    assert deadlines.add_business_days(dt.date(2025, 7, 25), 1) == dt.date(2025, 7, 28)
    # Independence Day (Wed 2025-08-06) is skipped.
    assert deadlines.add_business_days(dt.date(2025, 8, 5), 1) == dt.date(2025, 8, 7)
    # 10 business days from Monday 2025-03-03 (Carnival Monday and Tuesday are holidays).
    assert deadlines.add_business_days(dt.date(2025, 3, 3), 10) == dt.date(2025, 3, 18)  # 17 without Carnival


def test_configured_holidays_and_days_per_type(settings):
    settings.AYNI_HOLIDAY_COUNTRY = ""
    settings.AYNI_HOLIDAYS = ["2025-09-15"]
    assert deadlines.add_business_days(dt.date(2025, 9, 12), 1) == dt.date(2025, 9, 16)
    settings.AYNI_COMPLAINT_BUSINESS_DAYS = {"reclamo": 5}
    settings.AYNI_COMPLAINT_BUSINESS_DAYS_DEFAULT = 10
    assert deadlines.business_days_for("reclamo") == 5
    assert deadlines.business_days_for("denuncia") == 10
