"""The sample citizens the stand-in ThaiD signs in as (made-up people with valid check digits).

Register at the SSO with one of these citizen IDs, then pick the same person on the stand-in's
sign-in page to pass verification, or another one to see a mismatch refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SampleCitizen:
    key: str
    pid: str
    title_th: str
    given_name: str
    family_name: str
    title_en: str
    given_name_en: str
    family_name_en: str
    birthdate: date
    # ThaiD's subject identifier: stable per person and not the citizen ID.
    sub: str

    @property
    def name(self) -> str:
        # Thai writes the title joined to the given name: "นายสมชาย ใจดี".
        return f"{self.title_th}{self.given_name} {self.family_name}"

    @property
    def name_en(self) -> str:
        return f"{self.title_en} {self.given_name_en} {self.family_name_en}"

    def claims(self) -> dict:
        """Every claim the stand-in knows about this person, keyed by claim name."""
        return {
            "pid": self.pid,
            "title": self.title_th,
            "title_en": self.title_en,
            "name": self.name,
            "name_en": self.name_en,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "given_name_en": self.given_name_en,
            "family_name_en": self.family_name_en,
            "birthdate": self.birthdate.isoformat(),
        }


SAMPLE_CITIZENS: tuple[SampleCitizen, ...] = (
    SampleCitizen(
        "somchai",
        "1101700203450",
        "นาย",
        "สมชาย",
        "ใจดี",
        "Mr.",
        "Somchai",
        "Jaidee",
        date(1988, 3, 14),
        "thaid-dev-7c1f0a52",
    ),
    SampleCitizen(
        "malee",
        "3100500123458",
        "นาง",
        "มาลี",
        "ศรีสุข",
        "Mrs.",
        "Malee",
        "Srisuk",
        date(1975, 11, 2),
        "thaid-dev-2b94e6d1",
    ),
    SampleCitizen(
        "kittipong",
        "1409900456780",
        "นาย",
        "กิตติพงษ์",
        "บุญมา",
        "Mr.",
        "Kittipong",
        "Boonma",
        date(1992, 7, 30),
        "thaid-dev-95a3c8e0",
    ),
    SampleCitizen(
        "wanida",
        "3500600789128",
        "นางสาว",
        "วนิดา",
        "แก้วมณี",
        "Miss",
        "Wanida",
        "Kaewmanee",
        date(1969, 1, 21),
        "thaid-dev-4e07d2b9",
    ),
    SampleCitizen(
        "anan",
        "1700800112239",
        "นาย",
        "อนันต์",
        "พรหมวงศ์",
        "Mr.",
        "Anan",
        "Promwong",
        date(1995, 12, 5),
        "thaid-dev-d61b3f74",
    ),
    SampleCitizen(
        "pranee",
        "3201000567811",
        "นาง",
        "ปราณี",
        "ทองคำ",
        "Mrs.",
        "Pranee",
        "Thongkham",
        date(1981, 5, 18),
        "thaid-dev-0f8a71c6",
    ),
)

BY_KEY = {citizen.key: citizen for citizen in SAMPLE_CITIZENS}
BY_PID = {citizen.pid: citizen for citizen in SAMPLE_CITIZENS}
