"""SHAFT content (CTIA Messaging Principles section 4) and cannabis; docs/domain.md §3.

Sex and hate/profanity are never allowed; alcohol, firearms and tobacco only in an
age-gated campaign; cannabis and CBD never on US SMS (federal law, and carriers filter it).

Sexual content also has weaker signals that carrier filters score ("sexy", "nude",
"hookup", "adults only", "18+"). Alone, most are ordinary in fashion copy ("sexy heels",
"nude pumps"), so one of them is a warning (SHAFT_SEX_SIGNAL); an age gate next to one
("sexy swimwear night, adults only") or two different ones together is sexual content and
blocks (SHAFT_SEX). An age gate alone is a warning outside an age-gated campaign.

Lexicons match whole words and phrases (see brandguard.lexicon), so "Essex", "Middlesex",
"class", "Scunthorpe", "assessment", "therapist", "gunmetal" and "cocktail dress" pass.
Words that are ordinary in retail copy are left out on purpose: "nude" (a colour), "shot"
(espresso, flu), "bar", "pub", "spirits", "weed" (gardening), "hemp" (fabric), "pot",
"joint", "magazine", "holster" (phones), "bullet" (points). Benign phrases cancel the
remaining double meanings ("massage gun", "vodka sauce", "root beer", "riding shotgun").
"""

from __future__ import annotations

import re

from brandguard import lexicon
from brandguard.checks.base import Subject, finding, quote
from brandguard.report import Finding

SEX = lexicon.register("shaft.sex", [
    "sex", "porn", "porno", "pornography", "pornographic", "xxx", "nudes", "nudity",
    "nude photo(s)", "nude pic(s)", "naked pic(s)", "naked photo(s)", "naked girl(s)",
    "escorts", "escort service(s)", "horny", "erotic", "erotica", "nsfw", "camgirl(s)",
    "cam girl(s)", "onlyfans", "sexting", "sext(s)", "fetish", "orgasm(s)", "dildo(s)",
    "sex toy(s)", "adult toy(s)", "adult content", "adult video(s)", "strip club(s)",
    "stripper(s)", "milf(s)", "bdsm", "blowjob(s)", "handjob(s)",
], benign=["paint stripper(s)", "wire stripper(s)", "floor stripper(s)"])

HATE = lexicon.register("shaft.hate", [
    # Profanity carriers filter.
    "fuck", "fucking", "fucker(s)", "fucked", "motherfucker(s)", "fck", "shit", "shitty",
    "bullshit", "shithead(s)", "dipshit", "cunt(s)", "bitch", "bitches", "asshole(s)", "ass",
    "dickhead(s)", "wtf", "stfu", "piss off", "whore(s)", "slut(s)", "twat(s)", "wanker(s)",
    # Slurs and hate slogans (kept short; ambiguous words like "chink" are left out).
    "nigger(s)", "nigga(s)", "faggot(s)", "kike(s)", "wetback(s)", "raghead(s)",
    "towelhead(s)", "gook(s)", "beaner(s)", "white power", "heil hitler", "sieg heil",
])

SEX_SIGNAL = lexicon.register("shaft.sex_signal", [
    "sexy", "sexier", "sexiest", "nude", "naked", "hookup(s)", "hook up(s)", "steamy",
    "seductive", "sensual", "kinky", "hot singles", "singles near you", "x rated",
    "lingerie party", "lingerie parties", "strip tease", "striptease",
], benign=[
    "nude tone(s)", "nude color(s)", "nude colour(s)", "nude shade(s)", "nude heel(s)",
    "nude pump(s)", "nude lip(s)", "nude lipstick(s)", "nude beige", "nude sandal(s)",
    "nude bra(s)", "nude flat(s)", "naked eye", "naked flame(s)", "rv hookup(s)",
    "electric hookup(s)", "water hookup(s)", "sewer hookup(s)", "full hookup(s)",
    "hookup site(s)", "hook up your", "hook up the",
])

AGE_GATE = lexicon.register("shaft.age_gate", [
    "adults only", "adult only", "for adults", "18 and over", "18 and up", "18 or over",
    "over 18", "18 plus", "must be 18", "21 and over", "over 21", "21 plus", "must be 21",
])
# "18+" and "21+": the tokenizer drops "+", so these are found on the text itself.
_AGE_PLUS = re.compile(r"(?<![\w+])(?:18|21)\s?\+")

ALCOHOL = lexicon.register("shaft.alcohol", [
    "beer(s)", "craft beer(s)", "wine(s)", "winery", "wineries", "vodka", "whiskey(s)",
    "whisky", "whiskies", "bourbon(s)", "tequila", "mezcal", "rum", "gin", "liquor(s)",
    "booze", "boozy", "cocktail(s)", "margarita(s)", "mimosa(s)", "sangria", "champagne",
    "prosecco", "brewery", "breweries", "brewpub(s)", "ipa(s)", "lager(s)", "pilsner(s)",
    "pale ale(s)", "martini(s)", "mojito(s)", "daiquiri(s)", "hard cider(s)", "merlot",
    "cabernet", "chardonnay", "pinot noir", "pinot grigio", "sauvignon blanc", "riesling",
    "moscato", "rosé", "open bar", "hard seltzer(s)", "spiked seltzer(s)", "brandy",
    "cognac", "absinthe", "schnapps", "soju", "jello shot(s)", "jell o shot(s)",
], benign=[
    "cocktail dress(es)", "cocktail attire", "cocktail ring(s)", "shrimp cocktail(s)",
    "fruit cocktail(s)", "cocktail sauce", "cocktail napkin(s)", "cocktail table(s)",
    "molotov cocktail(s)", "rum raisin", "cotton gin(s)", "gin rummy", "wine red",
    "wine colored", "wine coloured", "wine color", "wine colour", "champagne gold",
    "champagne colored", "champagne color", "champagne colour", "champagne pink",
    "root beer(s)", "ginger beer(s)", "beer battered", "wine gum(s)", "brandy snap(s)",
    "vodka sauce", "alla vodka", "wine vinegar", "bourbon vanilla", "bourbon biscuit(s)",
])

FIREARMS = lexicon.register("shaft.firearms", [
    "gun(s)", "handgun(s)", "firearm(s)", "rifle(s)", "shotgun(s)", "pistol(s)",
    "revolver(s)", "ammo", "ammunition", "ar 15(s)", "ak 47(s)", "glock(s)",
    "assault rifle(s)", "assault weapon(s)", "concealed carry", "gun show(s)",
    "shooting range(s)", "9mm", "semi automatic", "semi auto", "silencer(s)",
], benign=[
    "glue gun(s)", "hot glue gun(s)", "heat gun(s)", "nail gun(s)", "massage gun(s)",
    "water gun(s)", "squirt gun(s)", "spray gun(s)", "staple gun(s)", "caulk gun(s)",
    "caulking gun(s)", "grease gun(s)", "paint gun(s)", "nerf gun(s)", "bubble gun(s)",
    "top gun", "gun metal", "foam gun(s)", "price gun(s)", "label gun(s)", "radar gun(s)",
    "tattoo gun(s)", "soldering gun(s)", "jump the gun", "jumped the gun",
    "jumping the gun", "big guns", "son of a gun", "stick to your guns",
    "sticking to your guns", "guns n roses", "gun shy", "smoking gun", "starting gun",
    "pistol squat(s)", "pistol shrimp", "water pistol(s)", "rifle through",
    "shotgun wedding", "riding shotgun", "ride shotgun", "call shotgun", "shotgun start",
    "semi automatic transmission", "semi automatic espresso", "semi automatic coffee",
])

TOBACCO = lexicon.register("shaft.tobacco", [
    "tobacco", "cigarette(s)", "cig(s)", "cigar(s)", "cigarillo(s)", "vape(s)", "vaping",
    "vaper(s)", "e cig(s)", "ecig(s)", "e cigarette(s)", "juul(s)", "nicotine", "hookah(s)",
    "smoke shop(s)", "vape shop(s)", "vape juice", "e liquid(s)", "e juice", "snus", "zyn",
])

CANNABIS = lexicon.register("shaft.cannabis", [
    "cannabis", "marijuana", "marihuana", "cbd", "thc", "delta 8", "delta 9",
    "hemp oil", "hemp extract", "hemp gummies", "hemp flower", "dispensary", "dispensaries",
    "edibles", "pre roll(s)", "preroll(s)", "kush", "ganja", "sativa", "indica",
    "cannabinoid(s)", "weed delivery", "weed dispensary", "smoke weed", "420 friendly",
    "bong(s)", "dab pen(s)", "dab rig(s)",
])

# rule id, lexicon, what it is, allowed in an age-gated campaign
_RULES = (
    ("SHAFT_SEX", SEX, "Sexual content", False),
    ("SHAFT_HATE", HATE, "Hate speech or profanity", False),
    ("SHAFT_ALCOHOL", ALCOHOL, "Alcohol", True),
    ("SHAFT_FIREARMS", FIREARMS, "Firearms", True),
    ("SHAFT_TOBACCO", TOBACCO, "Tobacco or vaping", True),
    ("CANNABIS", CANNABIS, "Cannabis or CBD", False),
)


def check_shaft(s: Subject) -> list[Finding]:
    hits = s.scan.hits
    low = s.scan.copy_low
    age_plus = [m.span() for m in _AGE_PLUS.finditer(low)] if "+" in low else []
    if not hits and not age_plus:
        return []
    found = _sex_signals(s, hits, age_plus) if (
        age_plus or SEX_SIGNAL in hits or AGE_GATE in hits) else []
    for rule_id, name, label, gateable in _RULES:
        matched = hits.get(name)
        if not matched or (gateable and s.policy.age_gated):
            continue
        spans = [(h.start, h.end) for h in matched]
        if gateable:
            why = "carriers allow it only in an age-gated campaign"
            fix = "Remove it, or send it from an age-gated campaign (policy age_gated)."
        else:
            why = "carriers never allow it on US SMS"
            fix = "Remove or reword it."
        found.append(finding(rule_id, f"{label} ({quote(s.text, spans)}): {why}.", spans,
                             fix=fix))
    return found


def _sex_signals(s: Subject, hits: dict, age_plus: list) -> list[Finding]:
    signals = hits.get(SEX_SIGNAL, [])
    gates = [(h.start, h.end) for h in hits.get(AGE_GATE, [])] + age_plus
    if not signals and not gates:
        return []
    spans = sorted([(h.start, h.end) for h in signals] + gates)
    words = quote(s.text, spans)
    distinct = {h.phrase for h in signals}
    if signals and (gates or len(distinct) > 1):
        if hits.get(SEX):
            return []  # already blocked as sexual content, with these words beside it
        why = ("an age gate next to it" if gates else "several of them together")
        return [finding("SHAFT_SEX", f"Sexual content ({words}): {why} reads as adult "
                        "content, which carriers never allow on US SMS.", spans,
                        fix="Remove the age gate and the suggestive words.")]
    if signals:
        return [finding("SHAFT_SEX_SIGNAL", f"Suggestive wording ({words}): carrier filters "
                        "score it as adult content; fine in fashion copy only when nothing "
                        "else in the text reads as adult.", spans,
                        fix="Prefer a plain description of the product.")]
    if s.policy.age_gated:
        return []
    return [finding("SHAFT_SEX_SIGNAL", f"Age gate ({words}) outside an age-gated campaign: "
                    "carrier filters read it as adult content.", spans,
                    fix="Remove it, or send from an age-gated campaign (policy age_gated).")]


CHECKS = (check_shaft,)
