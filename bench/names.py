"""Realistic, seeded company and person names for the benchmarks' data.

Names are drawn from plain word lists (no action words such as "settlement"
or "judgment", which would change how an item reads), so that a generated
item is read the way a real one is.
"""

from __future__ import annotations

import random


def _listed(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


FIRST_NAMES = _listed(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret "
    "Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa "
    "George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy Jacob "
    "Kathleen Gary Angela Nicholas Shirley Eric Brenda Jonathan Emma Stephen Anna Larry Pamela Justin Nicole Scott "
    "Samantha Brandon Katherine Benjamin Christine Samuel Helen Gregory Debra Alexander Rachel Patrick Carolyn Frank "
    "Janet Raymond Maria Jack Olivia Dennis Heather Jerry Catherine Tyler Diane Aaron Julie Jose Victoria Adam Joyce "
    "Nathan Lauren Henry Kelly Zachary Christina Douglas Joan Peter Evelyn Kyle Judith Noah Andrea Ethan Hannah "
    "Jeremy Megan Christian Cheryl Walter Jacqueline Keith Martha Austin Madison Roger Teresa Terry Gloria Sean "
    "Sara Gerald Janice Carl Ann Dylan Kathryn Harold Abigail Jordan Sophia Jesse Frances Bryan Jean Lawrence Alice "
    "Arthur Judy Gabriel Isabella Bruce Julia Logan Grace Billy Amber Joe Denise Alan Danielle Juan Marilyn Elijah "
    "Beverly Willie Charlotte Albert Natalie Wayne Theresa Randy Diana Mason Brittany Vincent Doris Liam Kayla Roy "
    "Alexis Bobby Lori Caleb Marie Bradley Russell Lucas Wei Mei Hiroshi Yuki Priya Rahul Arjun Ananya Olumide "
    "Chinedu Amara Kwame Sofia Mateo Valentina Lukas Ingrid Pierre Camille Giulia Marco Ahmed Fatima Omar Leila "
    "Dmitri Olga Sergei Anya Tomasz Katarzyna Javier Lucia Rafael Beatriz Changpeng Sung Jin Minh"
)
LAST_NAMES = _listed(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim "
    "Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo "
    "Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford "
    "Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman "
    "Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon "
    "Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer "
    "Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong "
    "Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards "
    "Okafor Adeyemi Mensah Nakamura Tanaka Watanabe Sato Yamamoto Wang Zhang Liu Zhao Huang Kwon Park Choi Sharma "
    "Gupta Iyer Reddy Kapoor Novak Kowalski Lindqvist Johansson Eriksson Larsen Andersen Dubois Moreau Lefebvre "
    "Rossi Bianchi Ferrari Esposito Romano Schneider Fischer Weber Becker Hoffmann Petrov Ivanov Volkov Haddad "
    "Khalil Nasser Rahman Hossain Oliveira Pereira Costa Almeida Ferreira Mashinsky Halvorsen Okonkwo Abernathy"
)
COMPANY_STEMS = _listed(
    "Norwell Halvorsen Brightwater Cedarline Ironbridge Silverpeak Bluestone Redwood Northstar Eastgate Westbrook "
    "Highland Lakeshore Pinecrest Stonegate Clearview Summit Harborview Oakmont Riverbend Sterling Granite Meridian "
    "Vantage Keystone Pinnacle Horizon Beacon Crescent Evergreen Falcon Aurora Atlas Orion Vertex Apex Nimbus "
    "Quantum Vector Zenith Cobalt Helix Lumen Nova Polaris Sierra Titan Vireo Wexford Ashford Brookfield Calloway "
    "Dunmore Elmhurst Fairhaven Glenwood Hartwell Inverness Juniper Kingsley Larkspur Marlowe Newbury Oakridge "
    "Prescott Quincy Rosewood Sheffield Thornbury Upland Valemont Whitmore Yorkshire Alder Birchwood Copperfield "
    "Driftwood Emberly Foxglove Greyhawk Hollister Ivywood Jasper Kestrel Linden Mossgrove Nettleton Osprey "
    "Palisade Quarry Ravenwood Saltmarsh Tamarack Umber Verity Willowby Arcadia Bellhaven Castlerock Deerfield "
    "Eastwind Fernhill Goldcrest Hawthorne Ironwood Kingfisher Lionsgate Mapleton Northgate Oakhurst Primrose "
    "Radiant Seabright Timberline Vistara Windham Blackthorn Coralina Dovetail Everly Galloway Hemlock Islington "
    "Kensington Lockwood Montclair Northfield Overbrook Parkside Redhill Shorewood Trident Valiant Westfield "
    "Axion Brava Celera Dynamo Elara Fortis Genova Hyperion Istra Kairo Lyra Mavera Novara Optima Praxis Quorra "
    "Rivera Solara Tessera Ultima Veritas Xandra Yarrow Zephyr Acumen Bravura Cascade Delphi Echelon Fidelis "
    "Gemini Halcyon Insignia Jubilee Kinetic Luminar Magellan Nexus Obsidian Paragon Radiance Sentinel Tribeca "
    "Uplift Voyager Wavecrest Xenon Yellowstone Zenon Amberly Bastion Corvus Denali Equinox Frontier Gallant "
    "Harbinger Imperial Javelin Keel Legacy Monarch Noble Odyssey Patriot Regent Sovereign Tempest Unity Vanguard"
)
INDUSTRIES = _listed(
    "Capital, Digital, Energy, Pharmaceuticals, Biosciences, Logistics, Technologies, Asset Management, Advisors, "
    "Partners, Ventures, Systems, Minerals, Financial, Labs, Networks, Health, Realty, Global, Analytics, Media, "
    "Resources, Semiconductor, Robotics, Mining, Exchange, Trading, Investments, Wealth Management, Biotech, "
    "Therapeutics, Software, Payments, Lending, Insurance, Shipping, Solar, Oil & Gas, Medical, Motors",
    ", ",
)
SUFFIXES = ("Inc.", "LLC", "Ltd.", "Corp.", "LP", "Holdings Inc.", "Group Inc.", "Co.", "Holdings Ltd.", "plc")


class NameMaker:
    """Draws names from a seeded generator; company names never repeat (suffix aside)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._companies: set[str] = set()

    def person(self) -> str:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < 0.15:
            return f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
        return f"{first} {last}"

    def company(self) -> str:
        rng = self.rng
        while True:
            stem = rng.choice(COMPANY_STEMS)
            if rng.random() < 0.35:
                stem += " " + rng.choice(COMPANY_STEMS)
            if rng.random() < 0.15:
                stem = f"{stem} {rng.choice(LAST_NAMES)}"
            brand = f"{stem} {rng.choice(INDUSTRIES)}"
            if brand not in self._companies:
                self._companies.add(brand)
                return f"{brand} {rng.choice(SUFFIXES)}"


def brand(company: str) -> str:
    """How a headline names a company: without its corporate suffix (``Norwell Capital``)."""
    for suffix in SUFFIXES:
        if company.endswith(f" {suffix}"):
            return company.removesuffix(f" {suffix}")
    return company
