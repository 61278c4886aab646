"""Real-looking parties for every benchmark's data, from seeded word lists.

Companies ("Northwind Capital Partners LLC", "Alvarez Chen & Co."), people
("Maria T. Alvarez") and docket numbers. Every function takes a
``random.Random``, so a seed repeats a run exactly. The lists hold no action
words (such as "settlement" or "judgment", which would change how an item
reads), so a generated item is read the way a real one is.
"""

from __future__ import annotations

import random

from feeds.text import name_key


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    """
Aaron Abigail Adam Adrian Ahmed Aisha Alan Albert Alejandro Alexander Alice Alicia Amanda Amir Amy Ana Andrea Andrew
Angela Anil Anna Anthony Antonio Arjun Ashley Barbara Benjamin Beatriz Brandon Brian Camila Carlos Carmen Caroline
Catherine Charles Chen Chloe Christina Christopher Claire Daniel David Deborah Deepak Diana Diego Dmitri Donald Edward
Elena Elizabeth Emily Emma Eric Ethan Eva Fatima Felipe Fernando Francesca Francisco Gabriel George Giulia Grace
Hannah Hassan Helen Henry Hiroshi Ian Irina Isabel Ivan Jack Jacob James Jane Jason Javier Jennifer Jessica Jia John
Jonathan Jorge Jose Joseph Joshua Juan Julia Karen Katherine Kenji Kevin Kimberly Laura Lauren Leonardo Li Linda
Lucas Lucia Luis Maria Mark Martin Mary Matthew Mei Michael Michelle Miguel Mohammed Nadia Natalia Nathan Nicholas
Nicole Nina Olga Oliver Omar Pablo Patricia Patrick Paul Pedro Peter Priya Rachel Rafael Rahul Raj Rebecca Ricardo
Richard Robert Rosa Ryan Samantha Samuel Sandra Sara Sarah Scott Sean Sergei Sofia Sophie Stephen Steven Susan Takeshi
Thomas Timothy Valentina Victor Victoria Vikram Wei William Xavier Yan Yuki Yusuf Zhang Zoe
"""
)

SURNAMES = _words(
    """
Abbott Acosta Adams Aguilar Ahmed Alexander Ali Allen Alvarez Anderson Andrews Armstrong Arnold Bailey Baker Banerjee
Barnes Becker Bell Bennett Berg Bianchi Bishop Black Blake Boyd Bradley Brooks Brown Bryant Burke Burns Butler
Caldwell Campbell Carlson Carroll Carter Castillo Castro Chan Chang Chapman Chaudhry Chavez Chen Cheng Chopra Clark
Cohen Cole Collins Conti Cooper Costa Cox Crawford Cruz Cunningham Das Davidson Davis Dean Delgado Diaz Dixon Dominguez
Douglas Duncan Dunn Edwards Elliott Ellis Evans Farah Ferguson Fernandez Ferrari Fischer Fisher Fleming Flores Ford
Foster Fox Franco Freeman Fujita Garcia Gardner Gibson Gill Gomez Gonzalez Goodman Gordon Graham Grant Gray Green
Greene Gupta Gutierrez Haas Hall Hamilton Hansen Harper Harris Hart Hayes Henderson Hernandez Herrera Hill Hoffman
Holmes Hopkins Howard Huang Hudson Hughes Hunt Hunter Ibrahim Ivanov Iyer Jackson Jacobs James Jenkins Jensen Jimenez
Johnson Jones Jordan Joshi Kaplan Kapoor Kato Keller Kelly Kennedy Khan Kim King Klein Knight Koch Kowalski Kramer
Kumar Lambert Lane Larsen Lawrence Lee Lewis Li Lin Liu Lopez Lynch Madsen Malik Marino Marshall Martin Martinez Mason
Matsumoto Mehta Mendez Meyer Miller Mills Mitchell Molina Moore Morales Moreno Morgan Morris Murphy Murray Nakamura
Nash Nelson Nguyen Nichols Novak Nunez OBrien Olsen Ortiz Owens Palmer Park Parker Patel Patterson Pearson Perez
Perry Peters Petrov Phillips Pierce Porter Powell Price Quinn Ramirez Ramos Rao Reed Reyes Reynolds Rice Richards
Rivera Roberts Robinson Rodriguez Rogers Romano Rosen Ross Russell Russo Ryan Saito Sanchez Sanders Santos Sato
Schmidt Schneider Schultz Scott Sharma Shaw Silva Simmons Singh Smith Snyder Sokolov Soto Spencer Stanley Stewart
Stone Sullivan Suzuki Tanaka Taylor Thomas Thompson Torres Tran Tucker Turner Vargas Vasquez Vega Wagner Walker Wallace
Walsh Wang Ward Warren Watanabe Watson Weber Webb Wells West White Williams Wilson Wolf Wong Wood Wright Wu Xu Yamamoto
Yang Young Zhang Zhao Zhou Zimmerman
"""
)

# Coined brand words are a prefix and an ending: "North" + "wind" → "Northwind".
BRAND_STARTS = _words(
    """
Acme Alder Amber Apex Arbor Ash Aspen Astra Atlas Aurora Azure Bay Beacon Birch Black Blue Bold Bright Broad Brook
Cedar Clear Cobalt Copper Coral Crest Crystal Crown Cypress Dawn Deep Delta Eagle East Echo Elm Ember Falcon Fern
Fox Frontier Gold Granite Green Grey Harbor Hawk Haven High Horizon Iron Ivory Jade Keystone Lake Lark Laurel Lime
Lion Maple Marble Meadow Mesa Mill Moon Noble North Nova Oak Ocean Onyx Orchid Pacific Peak Pine Polar Prairie Quartz
Rain Raven Red Ridge River Rock Rose Ruby Sage Sand Sapphire Shore Silver Sky Slate Snow Solar South Spring Star
Steel Stone Storm Summit Sun Swift Terra Thunder Tide Timber True Valley Vertex West White Wild Willow Wind Winter
"""
)
BRAND_ENDS = _words(
    """
bay bridge brook crest dale field ford gate glen grove haven hill hurst land light line mark mere mont moor mount
point port ridge rock shire side spring stead stone vale view wall water way well wick wind wood works worth
"""
)
INDUSTRY_WORDS = _words(
    """
Advisors Analytics Asset Assets Bancorp Bank Biotech Brokerage Capital Clearing Commodities Consulting Credit Crypto
Data Digital Energy Equity Exchange Finance Financial Fund Futures Global Growth Health Income Industries Insurance
Investment Investments Lending Logistics Markets Media Minerals Mining Mortgage Networks Partners Payments Pharma
Pharmaceuticals Properties Realty Resources Securities Software Systems Technologies Trading Trust Ventures Wealth
"""
)
DESIGNATORS = _words("Group Holdings Partners Management International Services Fund Trust Associates Labs")
SUFFIXES = ["LLC", "Inc.", "Ltd.", "Corp.", "L.P.", "LLP", "S.A.", "GmbH", "plc", "Co.", "Limited", "AG"]
# Extraction keeps a caption's closing full stop only after these (feeds.extract._cut_caption):
# the database generator, which must be read exactly as it writes, draws its suffixes from them.
WHOLE_CAPTION_SUFFIXES = [suffix for suffix in SUFFIXES if suffix not in ("L.P.", "S.A.")]
# Accented names turn up in real feeds; they take fold()'s slower path.
ACCENTED = ["José", "Ramón", "Zoë", "Björn", "Łukasz", "Søren", "François", "Müller", "Núñez", "Ørsted", "Dvořák"]


def brand(rng: random.Random) -> str:
    return rng.choice(BRAND_STARTS) + rng.choice(BRAND_ENDS)


def company(rng: random.Random, suffixes: list[str] = SUFFIXES) -> str:
    """A company name with one of ``suffixes``: "Northwind Capital Partners LLC",
    "Alvarez Chen & Co.", "Oakridge Digital Assets Inc."."""
    shape = rng.random()
    if shape < 0.05:
        return f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)} & {rng.choice(['Co.', 'Partners', 'Associates'])}"
    words = [brand(rng), *rng.sample(INDUSTRY_WORDS, 2 if shape >= 0.7 else 1)]
    if shape < 0.7:
        words.append(rng.choice(DESIGNATORS))
    return " ".join(words) + " " + rng.choice(suffixes)


def person(rng: random.Random, initial_share: float = 0.6, accented_share: float = 0.03) -> str:
    """A person's name, ``initial_share`` of them with a middle initial ("Maria T. Alvarez"),
    ``accented_share`` with an accented first name ("Søren Berg")."""
    first = rng.choice(ACCENTED) if rng.random() < accented_share else rng.choice(FIRST_NAMES)
    middle = f" {chr(rng.randint(65, 90))}." if rng.random() < initial_share else ""
    return f"{first}{middle} {rng.choice(SURNAMES)}"


def party(rng: random.Random) -> str:
    """A party as releases and dockets name one: a company, or a person in full ("Maria T. Alvarez")."""
    return person(rng, initial_share=1.0) if rng.random() < 0.25 else company(rng)


def docket(rng: random.Random) -> str:
    """A federal civil docket number: "1:24-cv-01599"."""
    return f"{rng.randint(1, 4)}:{rng.randint(10, 26)}-cv-{rng.randint(1, 29999):05d}"


def unrelated_name(rng: random.Random) -> str:
    """A watched name no generated party has: two brands in a row ("Northwind
    Oakridge Capital"), or a person with a double surname."""
    if rng.random() < 0.5:
        return f"{brand(rng)} {brand(rng)} {rng.choice(INDUSTRY_WORDS)}"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}-{rng.choice(SURNAMES)}"


def trade_name(company: str) -> str:
    """How a headline names a company: without its corporate suffix
    ("Northwind Capital LLC" → "Northwind Capital"; "Alvarez Chen & Co." stays whole)."""
    for suffix in SUFFIXES:
        if company.endswith(f" {suffix}") and not company.endswith(f"& {suffix}"):
            return company.removesuffix(f" {suffix}")
    return company


class NameMaker:
    """Draws parties from one seeded generator, as extraction reads them whole;
    no two companies share a name key (folded, suffix aside), so a company
    stands for one case only."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._company_keys: set[str] = set()

    def person(self) -> str:
        # No accented first names: extraction does not split "… plc and François Q. Kaplan" in two.
        return person(self.rng, accented_share=0.0)

    def company(self) -> str:
        while True:
            name = company(self.rng, WHOLE_CAPTION_SUFFIXES)
            key = name_key(name)
            if key not in self._company_keys:
                self._company_keys.add(key)
                return name
