"""Read items of the courts' own website feeds (opinions, orders, oral
arguments), which are not CM/ECF: their titles carry a docket number and a
caption in many shapes, such as

- ``23-1187: ACME WIDGETS, INC. v. UNITED STATES [OPINION], Precedential``
- ``Case: 22-1001, Doe v Roe`` and ``11-2020 | Widget Co., In v. NLRB``
- ``Judgment in Case 19-5333, Meyers v. Troiani``
- ``FinalOpinion in case# 22-1234`` (the caption is in the description)
- ``In Re EXAMPLE CORP. [ORDER]`` and ``Doe v. Roe, No. 22-1234``
- ``PEREZ-PORTILLO, ET AL V. GARLAND`` (the docket only in the item's link)

Rules, each general: a docket number before the caption (after an optional
label such as ``Case:`` or ``<document> in case#``) or after it, separated
by ``:``, ``|``, ``,`` or a dash; the document type and precedential status
in brackets, parentheses or after a comma at the end; ``v``/``vs``/``V.``
written ``v.``; ``In Re``/``IN RE``/``In re:`` written ``In re``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from feeds import courtlistener
from feeds.docket_events import text_action
from feeds.extract import Docket, Extraction, find_dockets, tidy_caption

_DOCKET_NUMBER = r"[0-9]{2}-[0-9]{1,6}"
# "22-1234", "21-1948, 21-1950", "01-9001 & 9002"
_DOCKET_LIST = rf"{_DOCKET_NUMBER}(?:\s*(?:,|&|and)\s*(?:[0-9]{{2}}-)?[0-9]{{3,6}}(?![0-9]))*"
# "Case:", "Case No.", "Docket #", "Appeal Number:", "Judgment in Case", "FinalOpinion in case#"
_LABEL = r"(?:(?P<document>[A-Za-z][A-Za-z ]{0,40}?)\s+in\s+)?(?:Case|Docket|Appeal)\s*(?:Nos?\.?|Number|#)?\s*:?\s*"
_LEADING = re.compile(rf"^\s*(?:{_LABEL}|Nos?\.\s*)?(?P<dockets>{_DOCKET_LIST})(?:\s*[:|,\-–—]\s*|\s+|$)", re.I)
_TRAILING = re.compile(
    rf"\s*(?:[,|:\-–—]\s*|\(\s*)(?:(?:Case|Docket|Appeal)\s*)?(?:Nos?\.?\s*|#\s*)?(?P<dockets>{_DOCKET_LIST})\s*\)?\s*$",
    re.I,
)
_STATUS_WORDS = r"(?:Non-?precedential|Precedential|Published|Unpublished|Per\s+Curiam)"
# What a court appends to a caption: "[OPINION]", "(Unpublished)", "(cv)", "{Wood}",
# "[uploaded: 01/17/2023]", ", Precedential", " - Published Opinion".
_TRAILER = re.compile(
    rf"\s*(?:\[[^\[\]]*\]|\([^()]*\)|\{{[^{{}}]*\}}|(?:[,\-–—]\s*)?{_STATUS_WORDS}(?:\s+(?:Opinion|Order|Disposition))?)\s*$",
    re.I,
)
_IN_RE = re.compile(r"^(?:In\s+re|Matter\s+of)\b\s*:?\s*", re.I)
_ALL_CAPS_VERSUS = re.compile(r"\s+(?:V|VS|Vs)\.?\s+")
_ANY_VERSUS = re.compile(r"\s+(?:v|vs|V|VS|Vs)\.?\s+")
_FILE_NAME = re.compile(r"\.(?:mp3|wma|wav|m4a|mp4|pdf|docx?)$", re.I)
_ORAL_ARGUMENT = re.compile(r"oral\s+arg|\bargued\b|\.(?:mp3|wma|wav|m4a)\b", re.I)

# Document types a court names, as the kind of action (see the contract's vocabulary).
_DOCUMENT_ACTIONS = (
    # "Order and Judgment" is the 10th Circuit's unpublished decision of an appeal.
    (re.compile(r"(?:(?:un)?published\s+)?order\s+and\s+judgment", re.I), "opinion"),
    (re.compile(r"(?:(?:un)?published\s+)?(?:opinion|memorandum|summary\s+order|errata)", re.I), "opinion"),
    (re.compile(r"judgment", re.I), "judgment"),
    (re.compile(r"order", re.I), "order"),
)


def docket_entry_action(text: str, *, criminal: bool = False) -> str:
    """The kind of action of one docket entry's text (CourtListener gives the
    CM/ECF docket text: "ORDER granting 12 Motion to Dismiss …")."""
    return text_action(text, criminal=criminal)


@dataclass(frozen=True)
class CourtItem:
    """What a court-website item says: dockets, caption and kind of action."""

    dockets: list[Docket]
    caption: str | None
    action: str
    action_detail: str | None


def _docket_list(text: str) -> list[Docket]:
    """``01-9001 & 9002`` → 01-9001 and 01-9002."""
    dockets, year = [], None
    for prefix, number, follower in re.findall(r"([0-9]{2})-([0-9]{1,6})|(?<![0-9-])([0-9]{3,6})", text):
        year = prefix or year
        if year:
            dockets.extend(find_dockets(f"Docket No. {year}-{number or follower}"))
    return dockets


def docket_from_link(link: str) -> list[Docket]:
    """A docket number in an item's address, for feeds that give it nowhere
    else: the file name (``…/20-73486.pdf``, ``21-1948_20220916.mp3``,
    ``…/C:21-2913:J:Wood``) or a case-number parameter (``case_num=156003``)."""
    if not link:
        return []
    parts = urlsplit(link)
    for name, value in parse_qsl(parts.query):
        match = re.fullmatch(r"([0-9]{2})-?([0-9]{4,5})", value.strip())
        if match and re.search(r"case|docket", name, re.I):
            return _docket_list(f"{match[1]}-{match[2]}")
    segments = [unquote(s) for s in parts.path.split("/") if s] + [unquote(v) for _, v in parse_qsl(parts.query)]
    for segment in reversed(segments):
        # Not a date: "01-21-2022" has a third group.
        match = re.search(r"(?<![0-9-])([0-9]{2}-[0-9]{3,6})(?![0-9]|-[0-9]{2,4}-)", segment)
        if match:
            return _docket_list(match[1])
    return []


def clean_caption(text: str) -> tuple[str | None, list[str]]:
    """The caption in ``text`` without the court's trailers, and the trailers
    found (``[OPINION]``, ``Precedential`` …), outermost last."""
    caption, trailers = text.strip(), []
    while True:
        match = _TRAILER.search(caption)
        if not match or match.start() == 0:
            break
        trailers.insert(0, match[0].strip(" ,-–—[](){}"))
        caption = caption[: match.start()].rstrip(" ,;:-–—")
    if not caption:
        return None, trailers
    in_re = _IN_RE.match(caption)
    if in_re:
        caption = f"In re {caption[in_re.end() :]}"
    elif not re.search(r"[a-z]", _ANY_VERSUS.sub(" ", caption)):
        # ALL-CAPS captions write "V." for "v."; elsewhere "V." is an initial.
        caption = _ALL_CAPS_VERSUS.sub(" v. ", caption, count=1)
    return tidy_caption(caption), trailers


def _looks_like_caption(caption: str | None) -> bool:
    return bool(caption) and bool(re.search(r"\sv\.\s|^In re\s|^Ex parte\s", caption or ""))


def _split_docket(text: str) -> tuple[list[Docket], str, str | None]:
    """(dockets, rest, document) of a title that starts or ends with docket numbers."""
    leading = _LEADING.match(text)
    if leading:
        return _docket_list(leading["dockets"]), text[leading.end() :].strip(), leading["document"]
    trailing = _TRAILING.search(text)
    if trailing and trailing.start() > 0:
        return _docket_list(trailing["dockets"]), text[: trailing.start()].strip(), None
    return [], text.strip(), None


def _action(texts: list[str], oral_argument: bool) -> tuple[str, str | None]:
    if oral_argument:
        return "filing", "oral argument"
    for text in texts:
        for pattern, action in _DOCUMENT_ACTIONS:
            match = pattern.search(text)
            if match:
                # The document's own name when short ("rule 36 judgment"), else the words that matched.
                return action, (text if len(text) <= 40 else match[0]).strip().lower()
    return "opinion", None


_GLUED_DOCKETS = re.compile(r"^(?P<dockets>[0-9]{2}-[0-9]{4}(?:[_&]+(?:[0-9]{2}-)?[0-9]{4}(?![0-9]))*)[_ ]*")


def _file_name_title(title: str) -> str:
    """``02-3139USAvTidwell.wma`` → ``02-3139 USA v Tidwell``: a title that
    is a file name glues the docket numbers to a camel-cased caption."""
    stem = _FILE_NAME.sub("", title).strip()
    stem = re.sub(r"(?:_[a-z]|[_ ]+Rehearing|\s+-\s+Copy)$", "", stem, flags=re.I)
    if " " in stem.replace(" - ", ""):
        return stem  # already words
    dockets = _GLUED_DOCKETS.match(stem)
    head, words = (dockets["dockets"].replace("_", " & ") + ": ", stem[dockets.end() :]) if dockets else ("", stem)
    words = re.sub(r"(?<=[A-Za-z.])vs?\.?(?=[A-Z])", " v ", words.replace("_", " "))
    words = re.sub(r"(?<=[a-z])(of|and)(?=[A-Z])", r" \1 ", words)
    words = re.sub(r"(?<=[a-z])(?<!Mc)(?<!Mac)(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", words)
    words = re.sub(r"(?<=[a-z])etal$", " et al", words)
    return head + re.sub(r"\s+", " ", words).strip()


def read_court_item(*, title: str, summary: str, link: str = "", feed_title: str = "") -> CourtItem:
    """Dockets, caption and kind of action of one item of a court's website feed."""
    if _FILE_NAME.search(title):
        title = _file_name_title(title)
    dockets, rest, document = _split_docket(title)
    caption, trailers = clean_caption(rest) if rest else (None, [])
    if not _looks_like_caption(caption):
        # "FinalOpinion in case# 22-1234": the caption is in the description.
        summary_dockets, summary_rest, _ = _split_docket(re.sub(r"^.*?(?=\b(?:Case|Docket)\b)", "", summary, count=1))
        described, described_trailers = clean_caption(summary_rest) if summary_dockets else (None, [])
        if _looks_like_caption(described):
            caption, trailers = described, trailers + described_trailers
        elif not dockets and not _looks_like_caption(caption):
            caption = None
    if not dockets:
        dockets = find_dockets(f"{title}\n{summary}") or docket_from_link(link)
    oral_argument = bool(_ORAL_ARGUMENT.search(f"{feed_title}\n{summary}\n{link}"))
    documents = [*(t for t in trailers if not re.fullmatch(_STATUS_WORDS, t, re.I)), document or "", summary]
    action, detail = _action([d for d in documents if d], oral_argument)
    return CourtItem(dockets=dockets, caption=caption, action=action, action_detail=detail)


def read_court_feed_item(
    result: Extraction, *, title: str, summary: str, link: str, feed_url: str, feed_title: str
) -> None:
    """Fill ``result`` from one item of a court feed that is not CM/ECF: a
    CourtListener docket feed or a court's own website feed."""
    if courtlistener.is_courtlistener_feed(f"{feed_url} {link}"):
        entry = courtlistener.read_entry(title=title, link=link, feed_title=feed_title)
        result.dockets = find_dockets(f"Docket No. {entry.docket_number}") if entry.docket_number else []
        result.caption = tidy_caption(entry.case_name) if entry.case_name else None
        result.entry_number = str(entry.entry_number) if entry.entry_number else None
        result.docket_entry = summary or None
        result.action = docket_entry_action(
            summary, criminal=bool(re.search(r"-(?:cr|mj)-", entry.docket_number or ""))
        )
        return
    item = read_court_item(title=title, summary=summary, link=link, feed_title=feed_title)
    result.dockets, result.caption = item.dockets, item.caption
    result.action, result.action_detail = item.action, item.action_detail
