"""Rank a workspace's evidence by relevance to a note's text. Pure: no database, no Django.

The score is BM25 over the candidates themselves (the IDF comes from the candidate set, so a
word that every ticket contains counts for little) on English-stemmed words. Weaker signals
narrow the gap between how a team words a note and how customers talk:

* a small hand-written concept table for product research (receipt ~ slip, slow ~ wait ~
  forever, confusing ~ lost ~ unclear, export ~ download ~ csv), scored like a word at a
  reduced weight, with the IDF of its most common member (as Lucene scores synonyms);
* spelling: stems that differ by a suffix the stemmer kept ("categor", "categori"), and, at a
  lower weight, typos one edit apart ("reciept") or stems with high character-trigram overlap.

Vague words ("use", "want", "really") count at a reduced weight. For any one note word an
exact match scores more than a related one. `matched` lists the note's words (lower-cased as
typed, possessives stripped) that matched the evidence, directly or through a related word.
"""

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import snowballstemmer

K1 = 1.2
B = 0.75
FUZZY_MIN_SIMILARITY = 0.6
FUZZY_MIN_LENGTH = 5
TYPO_MIN_LENGTH = 6
DEFAULT_LIMIT = 20
# Distinct words whose stems are remembered between calls (a pure function, so no staleness).
STEM_CACHE_SIZE = 50_000

# Letters and digits in any script; an apostrophe may join parts ("don't", "client's").
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

_STOP_WORDS = """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't d did didn't
    do does doesn't doing don't down during each either else ever every few for from further
    get gets got had hadn't has hasn't have haven't having he he'd he'll her here hers herself
    him himself his how however i i'd i'll i'm i've if in into is isn't it it'll its itself
    just let ll m ma me might more most much must mustn't my myself neither no nor not now o
    of off on once one only or other ought our ours ourselves out over own re s same shall
    shan't she she'd she'll should shouldn't so some such t than that the their theirs them
    themselves then there these they they'd they'll they're they've this those though through
    to too under until up upon us ve very was wasn't we we'd we'll we're we've were weren't
    what when where whether which while who whom why will with won't would wouldn't y yet you
    you'd you'll you're you've your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Words that say little about what a note is about ("use", "want", "really"). They still
# match, at a reduced weight, so that they cannot outrank the note's real subject.
_LIGHT_WORDS = """
    actually always anyway back bit come comes coming even feel feels find getting give go goes
    going good great honestly keep kind know like look looking lot lots make makes making maybe
    need needs new put really right say says see seem sort still stuff sure take takes taking
    tell thing things think try trying use used uses using want wants way well whole
"""
LIGHT_WORDS = frozenset(_LIGHT_WORDS.split())

# Snowball leaves irregular past forms alone ("paid" is not "pay") and joins a few words that
# mean different things ("expensive" and "expense" both become "expens").
_IRREGULAR_FORMS = """
pay: paid | buy: bought | spend: spent | send: sent | take: took taken | lose: lost
make: made | give: gave given | go: went gone | come: came | know: knew known
think: thought | feel: felt | keep: kept | find: found | tell: told | say: said
see: saw seen | write: wrote written | run: ran | bring: brought | drive: drove driven
forget: forgot forgotten | mean: meant | sell: sold | understand: understood | get: got gotten
leave: left | begin: began begun | choose: chose chosen | fall: fell fallen | hold: held
"""


def _stem_overrides(irregular_forms: str) -> MappingProxyType:
    overrides = {
        "expensive": "expensive",
        "inexpensive": "expensive",
        "business": "business",
        "businesses": "business",
    }
    stemmer = snowballstemmer.stemmer("english")
    for entry in irregular_forms.replace("\n", "|").split("|"):
        if not entry.strip():
            continue
        base, forms = (part.strip() for part in entry.split(":"))
        for form in forms.split():
            overrides[form] = stemmer.stemWord(base)
    return MappingProxyType(overrides)


STEM_OVERRIDES = _stem_overrides(_IRREGULAR_FORMS)

# Each line is one concept: words a team and its customers use for the same thing. Words are
# stemmed when the table is built, so list the forms people write, not the stems.
_CONCEPT_LINES = """
receipt: receipt slip slips voucher till stub
expense: expense expenses spend spending spent cost costs purchase purchases bought buy
    outlay charge charges
price: price pricing expensive cheap cheaper afford affordable subscription plan fee fees
    money worth overpriced dollars
time: slow slowly slower wait waiting waited hours hour time forever long delay delayed days
    weeks minutes ages lag fast faster quick quicker quickly sooner speed
loading: load loading loads spinner spins spinning spun freeze frozen open opens launch
    startup
confusion: confusing confused confuse lost unclear understand mystery puzzled baffled jargon
    sense overwhelmed stupid hesitate hesitated
export: export exports exported download downloads csv spreadsheet excel file files import
    backup
accountant: accountant accountants bookkeeper bookkeeping cpa books
payment: pay paid pays paying payment payments payout payouts collect collected owed owe
overdue: overdue late unpaid chase chasing chased reminder reminders remind nudge
    outstanding
invoice: invoice invoices invoicing bill bills billing
bank: bank banks feed feeds connection connect connected linked link relink sync
disconnect: disconnect disconnects disconnected dropped drops reconnect reconnecting relink
    relinking logout expired reauthenticate
security: safe safety secure security trust trusted encrypted encryption password passwords
    privacy 2fa hacked breach drained
anxiety: anxious anxiety worried worry worries nervous scared afraid terrified fear panic
    stress stressed dread
pride: proud relieved relief happy delighted love satisfying confident
tax: tax taxes irs hmrc vat deduction deductions deductible audit audited
reconcile: reconcile reconciling reconciliation match matching matched balance balances
    unmatched
category: category categories categorize categorized categorization bucket buckets classify
    chart label
automation: automatic automatically auto recognised recognized schedule scheduled
    recurring
mobile: mobile phone iphone ios android app smartphone
checkout: checkout register cashier counter store shop
support: support help helpdesk ticket answer answered reply replied response respond chat
    agent
team: team employee employees staff crew worker workers colleague colleagues
approval: approve approves approved approving approval approvals
reimbursement: reimburse reimbursed reimbursement reimbursing repay payback
mileage: mileage miles mile odometer drive driving trip trips gps km
currency: currency currencies euro euros eur usd gbp exchange conversion foreign
    international overseas
email: email emails inbox mail spam junk deliver delivered arrive arrived
scan: scan scans scanning scanner ocr photo photos photograph photographs picture pictures
    snap capture camera reader
error: wrong mistake mistakes misread misreads error errors incorrect guesses typo
cash: cash cashflow runway liquidity
night: night nights evening evenings midnight weekend weekends sunday
paper: paper shoebox envelope notebook handwritten manual manually
"""


def _words(text: str) -> list[str]:
    """Lower-cased words with possessives stripped; stop words still in."""
    words = []
    for word in _WORD.findall(text.lower()):
        word = word.replace("\u2019", "'")
        if word.endswith("'s"):
            word = word[:-2]
        words.append(word)
    return words


def tokenize(text: str) -> list[str]:
    """Lower-case content words of `text`, in order, without English stop words."""
    return [word for word in _words(text) if len(word) > 1 and word not in STOP_WORDS]


@functools.lru_cache(maxsize=STEM_CACHE_SIZE)
def _stem_lower(word: str) -> str:
    override = STEM_OVERRIDES.get(word)
    if override is not None:
        return override
    # A stemmer keeps state while it works, so each call gets its own (they are cheap to make).
    return snowballstemmer.stemmer("english").stemWord(word)


def stem(word: str) -> str:
    """The English stem of a word: Snowball (Porter2), plus common irregular verbs."""
    return _stem_lower(word.lower())


def _build_concepts(lines: str) -> MappingProxyType:
    concepts: dict[str, set[str]] = {}
    for line in re.sub(r"\n\s+", " ", lines).strip().splitlines():
        name, members = line.split(":", 1)
        for word in members.split():
            for part in tokenize(word):
                concepts.setdefault(_stem_lower(part), set()).add(name)
    return MappingProxyType({key: frozenset(names) for key, names in concepts.items()})


LIGHT_STEMS = frozenset(stem(word) for word in LIGHT_WORDS)

# Stem -> names of the concepts it belongs to, and back. Built once; read-only.
CONCEPTS_BY_STEM = _build_concepts(_CONCEPT_LINES)
STEMS_BY_CONCEPT = MappingProxyType(
    {
        concept: frozenset(k for k, names in CONCEPTS_BY_STEM.items() if concept in names)
        for concept in sorted(set().union(*CONCEPTS_BY_STEM.values()))
    }
)


@dataclass(frozen=True)
class Weights:
    """How much each signal counts. The defaults are the ones measured in docs/suggestions.md."""

    concept: float = 0.4  # a word of the same concept as a note word
    variant: float = 0.8  # the same stem with a suffix the stemmer kept
    fuzzy: float = 0.3  # a typo or a spelling with high trigram overlap
    light: float = 0.3  # a vague note word, matched exactly
    # The score is multiplied by (share of the note's words matched) ** coverage, so that
    # evidence about the whole note beats evidence that repeats one of its words.
    coverage: float = 0.5


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Suggestion:
    evidence_id: int
    score: float  # rounded to 4 places, > 0
    matched: list[str]  # note words that matched (in note order, deduplicated)


@dataclass(frozen=True)
class _Feature:
    """One thing looked for in each candidate: a stem, a concept, or a stem's near-spellings."""

    weight: float
    stems: frozenset[str]
    note_words: tuple[str, ...]


def _trigrams(word: str) -> frozenset[str]:
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _is_variant(stem_: str, other: str) -> bool:
    """One stem extends the other by a letter or two the stemmer kept ("categor", "categori")."""
    shorter, longer = sorted((stem_, other), key=len)
    return (
        len(shorter) >= FUZZY_MIN_LENGTH
        and len(longer) - len(shorter) <= 2
        and longer.startswith(shorter)
    )


def _one_edit_apart(first: str, second: str) -> bool:
    """One letter changed, added, dropped, or two neighbours swapped ("reciept")."""
    if len(first) > len(second):
        first, second = second, first
    if len(second) - len(first) > 1:
        return False
    start = 0
    while start < len(first) and first[start] == second[start]:
        start += 1
    if len(first) < len(second):
        return first[start:] == second[start + 1 :]
    return first[start + 1 :] == second[start + 1 :] or (
        first[start + 2 :] == second[start + 2 :]
        and first[start : start + 2] == second[start : start + 2][::-1]
    )


def _spelling_neighbours(
    stem_: str, vocabulary: Iterable[str], exclude: set[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """Stems in `vocabulary` that are variants of `stem_`, and those spelled nearly like it."""
    grams = _trigrams(stem_)
    size = len(grams)
    variants, near = set(), set()
    for other in vocabulary:
        if other in exclude or other[0] != stem_[0] or len(other) < FUZZY_MIN_LENGTH - 1:
            continue
        if _is_variant(stem_, other):
            variants.add(other)
            continue
        if len(stem_) >= TYPO_MIN_LENGTH and _one_edit_apart(stem_, other):
            near.add(other)
            continue
        other_size = len(other) + 1
        # Jaccard is at most the ratio of the two set sizes: skip what cannot qualify.
        if min(size, other_size) < FUZZY_MIN_SIMILARITY * max(size, other_size):
            continue
        other_grams = _trigrams(other)
        shared = len(grams & other_grams)
        if shared >= FUZZY_MIN_SIMILARITY * (size + len(other_grams) - shared):
            near.add(other)
    return frozenset(variants), frozenset(near)


def _idf(count: int, frequency: int) -> float:
    return math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))


def _note_features(
    note_stems: dict[str, list[str]],
    vocabulary: set[str],
    weights: Weights,
) -> list[_Feature]:
    features = [
        _Feature(weights.light if stem_ in LIGHT_STEMS else 1.0, frozenset([stem_]), tuple(words))
        for stem_, words in note_stems.items()
    ]
    topical = {stem_: words for stem_, words in note_stems.items() if stem_ not in LIGHT_STEMS}
    if weights.concept > 0:
        concept_words: dict[str, list[str]] = {}
        for stem_, words in topical.items():
            for concept in sorted(CONCEPTS_BY_STEM.get(stem_, ())):
                concept_words.setdefault(concept, []).extend(words)
        features += [
            _Feature(weights.concept, STEMS_BY_CONCEPT[concept], tuple(words))
            for concept, words in concept_words.items()
        ]
    if weights.variant > 0 or weights.fuzzy > 0:
        exclude = set(note_stems)
        for stem_, words in topical.items():
            if len(stem_) < FUZZY_MIN_LENGTH or stem_.isdigit():
                continue
            variants, near = _spelling_neighbours(stem_, vocabulary, exclude)
            if variants and weights.variant > 0:
                features.append(_Feature(weights.variant, variants, tuple(words)))
            if near and weights.fuzzy > 0:
                features.append(_Feature(weights.fuzzy, near, tuple(words)))
    return features


def rank_evidence(
    note_text: str,
    candidates: Iterable[tuple[int, str]],
    *,
    limit: int = DEFAULT_LIMIT,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Suggestion]:
    """The `limit` candidates most relevant to `note_text`, best first.

    `candidates` are `(evidence_id, text)` pairs; a repeated id keeps its first text. Only
    candidates with a positive score are returned; equal scores go by ascending id.
    """
    if limit <= 0:
        return []
    note_words = list(dict.fromkeys(tokenize(note_text)))
    if not note_words:
        return []
    note_stems: dict[str, list[str]] = {}
    for word in note_words:
        note_stems.setdefault(_stem_lower(word), []).append(word)

    documents: list[tuple[int, list[str]]] = []
    seen: set[int] = set()
    for evidence_id, text in candidates:
        if evidence_id in seen:
            continue
        seen.add(evidence_id)
        documents.append((evidence_id, [_stem_lower(word) for word in tokenize(text or "")]))
    if not documents:
        return []
    vocabulary = {stem_ for _, doc_stems in documents for stem_ in doc_stems}

    features = _note_features(note_stems, vocabulary, weights=weights)
    features_by_stem: dict[str, list[int]] = {}
    for index, feature in enumerate(features):
        for stem_ in feature.stems:
            features_by_stem.setdefault(stem_, []).append(index)

    hits: list[tuple[int, int, dict[int, int]]] = []
    stem_frequency: dict[str, int] = {}
    total_length = 0
    for evidence_id, doc_stems in documents:
        total_length += len(doc_stems)
        counts: dict[int, int] = {}
        found = set()
        for stem_ in doc_stems:
            indexes = features_by_stem.get(stem_)
            if indexes:
                found.add(stem_)
                for index in indexes:
                    counts[index] = counts.get(index, 0) + 1
        if counts:
            hits.append((evidence_id, len(doc_stems), counts))
            for stem_ in found:
                stem_frequency[stem_] = stem_frequency.get(stem_, 0) + 1

    count = len(documents)
    average_length = total_length / count or 1.0
    # As Lucene does for synonyms: a group of words is as rare as its most common member.
    idf = [
        _idf(count, max((stem_frequency.get(s, 0) for s in feature.stems), default=0))
        for feature in features
    ]

    suggestions = []
    for evidence_id, length, counts in hits:
        norm = K1 * (1 - B + B * length / average_length)
        score = 0.0
        matched: set[str] = set()
        for index, tf in counts.items():
            feature = features[index]
            score += feature.weight * idf[index] * tf * (K1 + 1) / (tf + norm)
            matched.update(feature.note_words)
        score = round(score * (len(matched) / len(note_words)) ** weights.coverage, 4)
        if score > 0:
            words = [word for word in note_words if word in matched]
            suggestions.append(Suggestion(evidence_id, score, words))
    suggestions.sort(key=lambda s: (-s.score, s.evidence_id))
    return suggestions[:limit]


def recall_at_k(ranked_ids: Sequence[int], relevant: Iterable[int], k: int = 5) -> float:
    """Share of the relevant items in the top `k`, out of as many as could fit there."""
    wanted = set(relevant)
    if not wanted:
        raise ValueError("recall is undefined without relevant items")
    return len(wanted.intersection(ranked_ids[:k])) / min(k, len(wanted))


def reciprocal_rank(ranked_ids: Sequence[int], relevant: Iterable[int]) -> float:
    """1 / rank of the first relevant item, 0 when none was ranked."""
    wanted = set(relevant)
    for rank, evidence_id in enumerate(ranked_ids, start=1):
        if evidence_id in wanted:
            return 1 / rank
    return 0.0
