"""The curated German and English lexicon behind `handover.sentiment`: anger in customer service.

Weights run from -3 (an insult, a threat to leave or sue) to +2 (warm thanks). Words are matched in
lower case; an entry ending in "*" matches every word that starts with it (German inflections and
compounds: "unverschämt*" matches "unverschämte", "unverschämtheit"). Phrases are matched on the
whole lower-cased message. Written for this project (no outside list fitted: SentiWS is licensed
for non-commercial use only, VADER is English only and scores any negative word, such as
"damaged", as strongly as an insult); `bench/sentiment.py` measures it.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, float]] = {
    "en": {
        # insults and contempt
        "useless": -2.5, "incompetent": -3, "idiot*": -3, "stupid": -2.5, "dumb": -2.5, "pathetic": -3,
        "ridiculous": -2.5, "joke": -1.5, "clown*": -2.5, "garbage": -2.5, "trash": -2.5, "crap*": -2.5,
        "rubbish": -2, "moron*": -3, "shame": -2, "disgrace*": -3, "scam*": -3, "fraud*": -3,
        "thie*": -3, "liar*": -3, "lie": -2, "lies": -2, "lying": -2.5, "clueless": -2.5,
        # anger
        "angry": -2.5, "furious": -3, "livid": -3, "mad": -2, "pissed": -3, "outrage*": -3,
        "disgust*": -3, "annoy*": -2, "frustrat*": -2, "fed": -0.5, "sick": -0.5, "hate": -3,
        "unacceptable": -3, "unbelievable": -2, "insane": -2, "nightmare": -2.5, "fury": -3,
        # bad service
        "worst": -3, "terrible": -2.5, "horrible": -2.5, "awful": -2.5, "appalling": -3, "atrocious": -3,
        "dreadful": -2.5, "lousy": -2.5, "rude": -2, "disaster*": -2.5, "mess": -1.5, "ruined": -2,
        "ruin": -2, "never": -0.5, "ignored": -1.5, "ignoring": -1.5, "excuses": -2, "wasting": -2,
        "waste": -1.5, "hell": -2, "damn*": -2.5, "bloody": -2, "wtf": -3, "fuck*": -3, "shit*": -3,
        "sucks": -2.5, "suck": -2, "bad": -1.5, "poor": -1.5, "unprofessional": -2.5, "nonsense": -2, "robbed": -3, "cheated": -3,
        "fuming": -3, "seriously": -1, "enough": -0.5, "again": -0.5,
        # warmth
        "thanks": 1, "thank": 1, "great": 1.5, "perfect": 1.5, "awesome": 1.5, "excellent": 1.5,
        "helpful": 1, "friendly": 1, "happy": 1, "love": 1.5, "nice": 1, "wonderful": 1.5, "good": 0.5,
        "solved": 1, "appreciate": 1, "kind": 1,
        # more anger, outrage and despair (added in the second round, see bench/README.md)
        "shock*": -2.5, "farce": -3, "infuriat*": -3, "incompeten*": -3, "demand": -1.5, "manager": -1,
        "sue": -2.5, "suing": -2.5, "lawsuit": -3, "kidding": -1.5, "compensation": -1, "badly": -1.5,
        "worse": -2, "bullshit": -3, "hopeless": -2.5, "disappoint*": -2, "unhappy": -2, "upset": -2,
        "irritat*": -2, "shambles": -3, "embarrass*": -2, "absurd": -2.5, "laughable": -2.5,
        "scandal*": -3, "arrogan*": -2.5, "disrespect*": -2.5, "still": -0.5, "staggering": -1,
        "fail*": -1, "unreliable": -2, "abysmal": -3, "stolen": -1.5, "blame*": -1.5,
    },
    "de": {
        # Beleidigung und Verachtung
        "nutzlos*": -2.5, "unfähig*": -3, "inkompetent*": -3, "idiot*": -3, "blöd*": -2.5, "dumm*": -2.5,
        "strohdumm*": -3, "dämlich*": -2.5, "erbärmlich*": -3, "lächerlich*": -2.5, "witz": -1.5,
        "saftladen": -3, "drecks*": -3, "mist*": -2, "schrott*": -2.5, "scheiß*": -3, "scheiss*": -3,
        "schande": -2.5, "schämen": -2, "betrug": -3, "betrüger*": -3, "abzocke*": -3, "abzock*": -3,
        "lüg*": -2.5, "lügen": -2.5, "lügt": -2.5, "verarsch*": -3, "frechheit": -3, "frech*": -2,
        "unverschämt*": -3, "ahnungslos*": -2.5, "clown*": -2.5, "zumutung": -3,
        # Ärger
        "wütend": -3, "stinksauer": -3, "sauer": -2, "verärgert": -2.5, "empört": -3, "empörend": -3,
        "genervt": -2, "nervig": -2, "ärgerlich": -2, "ärgert": -2, "frustrier*": -2, "hasse": -3,
        "hass": -3, "ausrasten": -3, "unglaublich": -2, "inakzeptabel": -3, "albtraum": -2.5,
        "alptraum": -2.5, "wahnsinn": -1.5, "fassungslos": -2.5, "enttäuscht": -1.5, "satt": -1,
        # schlechter Service
        "schlechteste*": -3, "schlimmste*": -3, "furchtbar*": -2.5, "schrecklich*": -2.5, "grauenhaft*": -3,
        "katastroph*": -2.5, "miserabel*": -3, "mies*": -2.5, "unfreundlich*": -2, "chaos": -2,
        "ruiniert": -2, "ausreden": -2, "ignoriert": -1.5, "verschwenden": -2, "teufel": -2,
        "verdammt*": -2.5, "unmöglich": -1.5, "ernsthaft": -1, "schon": -0.3, "wieder": -0.5, "nie": -0.5,
        "niemals": -1, "reicht's": -2, "reichts": -2, "unseriös*": -2.5, "peinlich*": -2, "schlecht*": -1.5,
        # Wärme
        "danke": 1, "dank": 1, "super": 1.5, "perfekt": 1.5, "klasse": 1.5, "toll": 1.5, "prima": 1.5,
        "hilfreich": 1, "freundlich": 1, "zufrieden": 1, "schön": 1, "schönen": 1, "gut": 0.5,
        "gelöst": 1, "nett": 1,
        # mehr Ärger, Empörung und Verzweiflung (zweite Runde, siehe bench/README.md)
        "schockier*": -2.5, "farce": -3, "kasperl*": -3, "zirkus": -2, "unsinn": -2, "quatsch": -2,
        "blödsinn": -2.5, "verlange": -1.5, "vorgesetzte*": -1, "verklagen": -2.5, "klage": -2,
        "entschädigung": -1, "desaster": -2.5, "unhöflich*": -2, "inkompeten*": -3, "enttäusch*": -2,
        "unzufrieden*": -2, "gestohlen": -1.5, "nervt": -2, "skandal*": -3, "dreist*": -2.5,
        "respektlos*": -2.5, "arrogan*": -2.5, "immer": -0.3, "schief": -1, "unzuverlässig*": -2,
        "schuld": -1, "beschissen*": -3, "noch": -0.3,
    },
}

# Phrases weigh on their own (matched as written, in lower case, on the whole message).
PHRASES: dict[str, dict[str, float]] = {
    "en": {
        "fed up": -2.5, "sick and tired": -3, "never again": -3, "never order": -2.5, "last straw": -3,
        "thanks for nothing": -3, "money back": -1.5, "refund immediately": -1.5, "nobody cares": -2.5,
        "no one cares": -2.5, "don't care": -2, "lawyer": -2.5, "consumer protection": -2.5,
        "report you": -2.5, "third time": -2, "fourth time": -2.5, "for the last time": -2.5,
        "are you even": -2, "stop wasting": -2.5, "waste of time": -2.5, "i'm done": -2, "i am done": -2,
        "how hard can it be": -2.5, "what the hell": -3, "the hell": -1, "shame on you": -3,
        "cancel my account": -1.5, "dispute": -1.5, "chargeback": -2, "nobody answers": -1.5,
        "nobody has helped": -2, "no one has helped": -2,
        "rip-off": -3, "rip off": -3, "ripoff": -3, "patience": -1, "run out of patience": -2,
        "lost my patience": -2.5, "patience has run out": -2.5, "are you kidding": -2.5,
        "one-star": -2.5, "one star": -2.5, "going in circles": -2, "losing my mind": -3,
        "every single time": -2, "how is it possible": -1.5, "how dare": -2.5, "you dare": -2.5,
        "enough is enough": -3, "spare me": -2.5, "can't believe": -2, "cannot believe": -2,
        "at all": -0.5, "legal action": -2.5, "get on my nerves": -2.5, "a joke": -1,
    },
    "de": {
        "nase voll": -3, "die schnauze voll": -3, "nie wieder": -3, "nie mehr": -2, "mir reicht": -2.5,
        "jetzt reicht": -2.5, "es reicht": -2.5, "danke für nichts": -3, "geld zurück": -1.5,
        "sofort das geld": -1.5, "interessiert niemanden": -2.5, "ist ihnen egal": -2, "sind ihnen egal": -2,
        "anwalt": -2.5, "verbraucherzentrale": -2.5, "verbraucherschutz": -2.5, "zum dritten mal": -2,
        "zum vierten mal": -2.5, "zum letzten mal": -2.5, "lesen sie": -0.5, "überhaupt": -0.5,
        "zeit zu verschwenden": -2, "zeitverschwendung": -2.5, "wie schwer kann": -2.5,
        "zum teufel": -2.5, "schämen sie sich": -3, "zurückbuchen": -2, "hilft mir keiner": -2,
        "hilft mir niemand": -2, "keiner antwortet": -1.5, "niemand antwortet": -1.5,
        "beantwortet meine": -1, "von vorne bis hinten": -1.5,
        "geduld ist am ende": -2.5, "meine geduld": -1.5, "soll das ein witz": -2.5, "ein-stern": -2.5,
        "ein stern": -2.5, "im kreis": -1.5, "in den wahnsinn": -3, "macht mich wahnsinnig": -3,
        "jedes mal": -1, "wie kann es sein": -1.5, "wagen sie es": -2.5, "genug ist genug": -3,
        "sparen sie sich": -2.5, "fasse es nicht": -2.5, "rechtliche schritte": -2.5,
        "auf die nerven": -2.5, "zum kotzen": -3, "überhaupt nicht": -1,
    },
}

NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "no", "never", "don't", "dont", "didn't", "isn't", "wasn't", "aren't",
                     "without", "hardly", "nothing"}),
    "de": frozenset({"nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "ohne", "kaum",
                     "nichts"}),
}

INTENSIFIERS: dict[str, frozenset[str]] = {
    "en": frozenset({"so", "very", "really", "extremely", "absolutely", "totally", "completely", "utterly",
                     "beyond", "incredibly", "such", "most", "just"}),
    "de": frozenset({"so", "sehr", "echt", "wirklich", "extrem", "absolut", "total", "völlig", "komplett",
                     "einfach", "mega", "äußerst", "dermaßen", "unglaublich"}),
}
