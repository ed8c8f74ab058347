"""The interpreter's vocabulary: words and phrases mapped to token kinds and canonical values.

Plain data. Multi-word phrases are matched longest first ("to the left of" before "to the left"),
so a relation is never read as a push direction. Colours not in any scene (pink, black) are still
colours: the interpreter can then say "there is no pink block" instead of not understanding.
"""

from __future__ import annotations

# Token kinds.
SEP, SEQ, FIRST, BEFORE, AFTER, AND = "sep", "seq", "first", "before", "after", "and"
NEG, CORR = "neg", "corr"  # "don't", "never" (a negated clause); "no wait", "sorry", "actually" (a correction)
VERB, COLOR, NOUN, PRON, QUANT, EXCEPT, DIR, PREP, REL, FILLER, WORD = (
    "verb", "color", "noun", "pron", "quant", "except", "dir", "prep", "rel", "filler", "word")

# Verb classes: what the verb does before a destination decides the family.
PICK, PUT, STACK, PUSH, TOUCH, MOVE, BUILD, OOS = "pick", "put", "stack", "push", "touch", "move", "build", "oos"

COLORS: dict[str, str] = {
    "red": "red", "crimson": "red", "scarlet": "red", "ruby": "red", "cherry": "red", "maroon": "red",
    "vermilion": "red", "carmine": "red",
    "green": "green", "emerald": "green", "lime": "green", "olive": "green", "jade": "green", "mint": "green",
    "blue": "blue", "navy": "blue", "azure": "blue", "cobalt": "blue", "sapphire": "blue", "indigo": "blue",
    "cyan": "blue", "teal": "blue", "turquoise": "blue",
    "yellow": "yellow", "golden": "yellow", "gold": "yellow", "lemon": "yellow", "amber": "yellow",
    "mustard": "yellow", "canary": "yellow",
    "purple": "purple", "violet": "purple", "lilac": "purple", "lavender": "purple", "magenta": "purple",
    "orange": "orange", "tangerine": "orange",
    # colours of nothing on the table
    "pink": "pink", "black": "black", "white": "white", "grey": "grey", "gray": "grey", "brown": "brown",
    "silver": "silver", "beige": "beige",
}

NOUNS: dict[str, str] = {
    "block": "block", "cube": "block", "brick": "block", "piece": "block", "one": "block",
    "blocks": "blocks", "cubes": "blocks", "bricks": "blocks", "pieces": "blocks", "ones": "blocks",
    "object": "thing", "thing": "thing", "item": "thing", "objects": "things", "things": "things", "items": "things",
    "tray": "container", "bowl": "container", "container": "container", "receptacle": "container",
    "basket": "container", "bin": "container", "dish": "container", "box": "container", "crate": "container",
    "tub": "container", "pot": "container", "bucket": "container",
    "zone": "zone", "square": "zone", "area": "zone", "patch": "zone", "region": "zone", "mat": "zone",
    "spot": "zone", "pad": "zone", "target": "zone", "tile": "zone", "marker": "zone", "zones": "zones",
    "squares": "zones", "areas": "zones", "patches": "zones",
    "cylinder": "cylinder", "tube": "cylinder", "sphere": "sphere", "ball": "sphere",
    "orb": "sphere",
    "table": "table", "floor": "table", "tower": "tower", "pile": "tower", "stack": "tower",
}
DISTRACTOR_NOUNS = {"cylinder": "cylinder", "sphere": "sphere"}

VERBS: dict[str, str] = {
    # pick: lift without a destination; with one, the destination decides
    "pick": PICK, "lift": PICK, "grab": PICK, "raise": PICK, "hoist": PICK, "grasp": PICK, "hold": PICK,
    "take": PICK, "snatch": PICK, "collect": PICK, "fetch": PICK, "elevate": PICK, "get": PICK, "seize": PICK,
    "clutch": PICK, "grip": PICK,
    # put: needs a destination
    "put": PUT, "place": PUT, "set": PUT, "lay": PUT, "drop": PUT, "transfer": PUT, "bring": PUT,
    "deposit": PUT, "carry": PUT, "toss": PUT, "balance": PUT, "position": PUT, "stick": PUT, "plop": PUT,
    "relocate": PUT, "park": PUT, "rest": PUT, "sit": PUT, "store": PUT, "stash": PUT, "insert": PUT,
    "load": PUT, "go": PUT, "belong": PUT, "lower": PUT, "release": PUT, "deliver": PUT, "stand": PUT,
    # stack
    "stack": STACK, "pile": STACK, "heap": STACK,
    # move: put with a destination, push with a direction
    "move": MOVE, "shift": MOVE, "slide": MOVE, "scoot": MOVE,
    "push": PUSH, "shove": PUSH, "nudge": PUSH, "drag": PUSH, "bump": PUSH, "budge": PUSH, "roll": PUSH,
    "touch": TOUCH, "tap": TOUCH, "poke": TOUCH, "press": TOUCH, "prod": TOUCH, "boop": TOUCH, "pat": TOUCH,
    "contact": TOUCH, "feel": TOUCH,
    "build": BUILD, "make": BUILD, "assemble": BUILD, "construct": BUILD, "form": BUILD,
    # out of scope: named so that the refusal can say what was asked
    "throw": OOS, "pour": OOS, "open": OOS, "close": OOS, "shut": OOS, "paint": OOS, "sing": OOS,
    "dance": OOS, "wave": OOS, "break": OOS, "smash": OOS, "eat": OOS, "spin": OOS, "rotate": OOS,
    "turn": OOS, "flip": OOS, "clean": OOS, "wipe": OOS, "fold": OOS, "cut": OOS, "squeeze": OOS,
    "kick": OOS, "hide": OOS, "count": OOS, "sort": OOS, "arrange": OOS, "juggle": OOS, "shake": OOS,
    "stir": OOS, "cook": OOS, "fly": OOS, "jump": OOS, "walk": OOS, "write": OOS, "draw": OOS,
    "drink": OOS, "fill": OOS, "empty": OOS, "unstack": OOS, "knock": OOS, "topple": OOS, "destroy": OOS,
    "crush": OOS, "hit": OOS, "punch": OOS, "tilt": OOS, "twist": OOS, "weigh": OOS,
    "measure": OOS, "scan": OOS, "photograph": OOS, "drive": OOS, "wash": OOS, "heat": OOS, "line": OOS,
    "swap": OOS, "exchange": OOS, "replace": OOS, "split": OOS, "bounce": OOS, "launch": OOS, "melt": OOS,
}

DIRECTIONS: dict[str, str] = {
    "left": "left", "leftward": "left", "leftwards": "left", "right": "right", "rightward": "right",
    "rightwards": "right", "forward": "forward", "forwards": "forward", "ahead": "forward", "back": "back",
    "backward": "back", "backwards": "back", "backwards.": "back",
}

QUANTS = {"all", "every", "each", "everything", "anything", "any"}
EXCEPTS = {"except", "excluding", "besides"}
PRONOUNS = {"it": "last", "that": "last", "this": "last", "them": "group", "those": "group", "these": "group",
            "itself": "self"}
PREPS = {"on", "onto", "atop", "over", "above", "upon", "in", "into", "inside", "to", "toward", "towards",
         "within", "at", "with", "from", "of", "off", "by", "near", "beside", "behind", "under", "below",
         "beneath", "between", "against", "around", "across", "along", "through", "out", "up", "down"}
# prepositions that put a block on another block (stack) or into a place
ON_PREPS = {"on", "onto", "atop", "over", "above", "upon"}
INTO_PREPS = {"in", "into", "inside", "to", "toward", "towards", "within", "at", "on", "onto", "over"}
# spatial placements that are no skill of the robot
UNSUPPORTED_PLACES = {"near", "beside", "behind", "under", "below", "beneath", "between", "against", "around",
                      "nextto", "infrontof"}

# Multi-word phrases: words -> (kind, value). Longest match wins.
PHRASES: dict[tuple[str, ...], tuple[str, str]] = {
    ("and", "then"): (SEQ, "then"), ("then",): (SEQ, "then"), ("after", "that"): (SEQ, "then"),
    ("afterwards",): (SEQ, "then"), ("afterward",): (SEQ, "then"), ("next",): (SEQ, "then"),
    ("finally",): (SEQ, "then"), ("lastly",): (SEQ, "then"), ("after", "this"): (SEQ, "then"),
    ("and", "after", "that"): (SEQ, "then"), ("once", "done"): (SEQ, "then"), ("subsequently",): (SEQ, "then"),
    ("after", "which"): (SEQ, "then"), ("and", "finally"): (SEQ, "then"), ("and", "next"): (SEQ, "then"),
    ("first",): (FIRST, "first"), ("first", "of", "all"): (FIRST, "first"), ("to", "start"): (FIRST, "first"),
    ("to", "begin"): (FIRST, "first"), ("start", "by"): (FIRST, "first"), ("begin", "by"): (FIRST, "first"),
    ("start", "with"): (FIRST, "first"), ("initially",): (FIRST, "first"), ("firstly",): (FIRST, "first"),
    ("second",): (SEQ, "then"), ("secondly",): (SEQ, "then"), ("third",): (SEQ, "then"),
    ("before", "you"): (BEFORE, "before"), ("before",): (BEFORE, "before"), ("prior", "to"): (BEFORE, "before"),
    ("but", "before", "that"): (BEFORE, "before_that"), ("before", "that"): (BEFORE, "before_that"),
    ("after", "you"): (AFTER, "after"), ("after",): (AFTER, "after"), ("once", "you"): (AFTER, "after"),
    ("once", "you've"): (AFTER, "after"), ("when", "you"): (AFTER, "after"), ("after", "you've"): (AFTER, "after"),
    ("and",): (AND, "and"), ("as", "well", "as"): (AND, "and"), ("plus",): (AND, "and"),
    ("pick", "up"): (VERB, PICK), ("lift", "up"): (VERB, PICK), ("end", "up"): (VERB, PUT),
    ("should", "be", "in"): (PREP, "in"), ("make", "contact", "with"): (VERB, TOUCH),
    ("put", "a", "fingertip", "on"): (VERB, TOUCH), ("put", "your", "finger", "on"): (VERB, TOUCH),
    ("lay", "a", "finger", "on"): (VERB, TOUCH), ("put", "a", "finger", "on"): (VERB, TOUCH),
    ("reach", "out", "and", "touch"): (VERB, TOUCH), ("give",): (FILLER, "give"),
    ("a", "push"): (VERB, PUSH), ("a", "shove"): (VERB, PUSH), ("a", "nudge"): (VERB, PUSH),
    ("a", "closed", "gripper"): (FILLER, "closed"), ("the", "closed", "gripper"): (FILLER, "closed"),
    ("a", "tap"): (VERB, TOUCH), ("a", "poke"): (VERB, TOUCH), ("line", "up"): (VERB, OOS),
    ("knock", "over"): (VERB, OOS), ("take", "apart"): (VERB, OOS),
    ("on", "top", "of"): (PREP, "on"), ("on", "to"): (PREP, "onto"), ("in", "to"): (PREP, "into"),
    ("on", "the", "top", "of"): (PREP, "on"), ("over", "to"): (PREP, "to"), ("down", "on"): (PREP, "on"),
    ("down", "in"): (PREP, "in"), ("down", "into"): (PREP, "into"), ("inside", "of"): (PREP, "in"),
    ("next", "to"): (PREP, "nextto"), ("in", "front", "of"): (PREP, "infrontof"), ("close", "to"): (PREP, "near"),
    ("to", "the", "left", "of"): (REL, "leftof"), ("left", "of"): (REL, "leftof"),
    ("on", "the", "left", "of"): (REL, "leftof"), ("to", "the", "right", "of"): (REL, "rightof"),
    ("right", "of"): (REL, "rightof"), ("on", "the", "right", "of"): (REL, "rightof"),
    ("closest", "to"): (REL, "closest"), ("nearest", "to"): (REL, "closest"), ("closest",): (REL, "closest"),
    ("nearest",): (REL, "closest"), ("closest", "from"): (REL, "closest"), ("nearest", "the"): (REL, "closest_the"),
    ("farthest", "from"): (REL, "farthest"), ("furthest", "from"): (REL, "farthest"),
    ("farthest",): (REL, "farthest"), ("furthest",): (REL, "farthest"), ("far", "from"): (REL, "farthest"),
    ("leftmost",): (REL, "leftmost"), ("rightmost",): (REL, "rightmost"),
    ("left", "most"): (REL, "leftmost"), ("right", "most"): (REL, "rightmost"),
    ("to", "the", "left"): (DIR, "left"), ("to", "the", "right"): (DIR, "right"),
    ("towards", "the", "left"): (DIR, "left"), ("towards", "the", "right"): (DIR, "right"),
    ("away", "from", "the", "camera"): (DIR, "forward"), ("toward", "the", "camera"): (DIR, "back"),
    ("towards", "the", "camera"): (DIR, "back"), ("toward", "the", "robot"): (DIR, "forward"),
    ("towards", "the", "robot"): (DIR, "forward"), ("away", "from", "the", "robot"): (DIR, "back"),
    ("towards", "me"): (DIR, "back"), ("toward", "me"): (DIR, "back"), ("away", "from", "me"): (DIR, "forward"),
    ("the", "other", "one"): (PRON, "other"), ("the", "other", "block"): (PRON, "other"),
    ("the", "other", "cube"): (PRON, "other"), ("the", "other"): (PRON, "other"),
    ("the", "same", "block"): (PRON, "last"), ("the", "same", "one"): (PRON, "last"),
    ("the", "same", "cube"): (PRON, "last"), ("that", "one"): (PRON, "last"), ("this", "one"): (PRON, "last"),
    ("that", "block"): (PRON, "last"), ("that", "cube"): (PRON, "last"), ("this", "block"): (PRON, "last"),
    ("this", "cube"): (PRON, "last"), ("the", "one", "you", "just", "moved"): (PRON, "last"),
    ("the", "last", "one"): (PRON, "last"), ("the", "same"): (PRON, "last"),
    ("except", "for"): (EXCEPT, "except"), ("other", "than"): (EXCEPT, "except"), ("apart", "from"): (EXCEPT, "except"),
    ("but", "not"): (EXCEPT, "except"), ("save", "for"): (EXCEPT, "except"), ("aside", "from"): (EXCEPT, "except"),
    ("but",): (EXCEPT, "but"),
    ("square", "patch"): (NOUN, "zone"), ("colored", "square"): (NOUN, "zone"), ("coloured", "square"): (NOUN, "zone"),
    ("target", "zone"): (NOUN, "zone"), ("target", "area"): (NOUN, "zone"),
    ("all", "of", "the"): (QUANT, "all"), ("each", "of", "the"): (QUANT, "all"), ("every", "single"): (QUANT, "all"),
    ("all", "four"): (QUANT, "all"), ("all", "the"): (QUANT, "all"),
    ("do", "the", "same", "with"): (FILLER, "same"), ("do", "the", "same", "for"): (FILLER, "same"),
    ("the", "same", "with"): (FILLER, "same"), ("the", "same", "for"): (FILLER, "same"),
    ("same", "with"): (FILLER, "same"), ("same", "for"): (FILLER, "same"), ("likewise", "with"): (FILLER, "same"),
    ("do", "it", "again", "with"): (FILLER, "same"), ("again", "with"): (FILLER, "same"),
    ("as", "seen", "from", "the", "front", "camera"): (FILLER, "view"), ("seen", "from", "the", "front", "camera"): (FILLER, "view"),
    ("from", "the", "front", "camera"): (FILLER, "view"), ("in", "the", "front", "camera"): (FILLER, "view"),
    ("as", "seen", "from", "the", "camera"): (FILLER, "view"), ("from", "the", "camera's", "view"): (FILLER, "view"),
    ("as", "seen", "by", "the", "camera"): (FILLER, "view"), ("in", "the", "camera", "image"): (FILLER, "view"),
    ("from", "the", "camera"): (FILLER, "view"), ("from", "my", "side"): (FILLER, "view"),
    # politeness that would otherwise read as a verb
    ("go", "ahead"): (FILLER, "please"), ("go", "ahead", "and"): (FILLER, "please"), ("make", "sure"): (FILLER, "please"),
    ("help", "me"): (FILLER, "please"), ("would", "you", "mind"): (FILLER, "please"),
    ("do", "me", "a", "favour"): (FILLER, "please"),
    ("do", "me", "a", "favor"): (FILLER, "please"), ("i'd", "like", "you", "to"): (FILLER, "please"),
    ("i", "would", "like", "you", "to"): (FILLER, "please"), ("be", "so", "kind", "as", "to"): (FILLER, "please"),
    # negation: the rest of the clause is what not to do (rules read it only to say so)
    ("don't",): (NEG, "not"), ("dont",): (NEG, "not"), ("do", "not"): (NEG, "not"), ("never",): (NEG, "not"),
    ("not",): (NEG, "not"), ("must", "not"): (NEG, "not"), ("mustn't",): (NEG, "not"), ("should", "not"): (NEG, "not"),
    ("shouldn't",): (NEG, "not"), ("don't", "you", "dare"): (NEG, "not"), ("don't", "ever"): (NEG, "not"),
    ("do", "not", "ever"): (NEG, "not"), ("never", "ever"): (NEG, "not"), ("no", "need", "to"): (NEG, "not"),
    ("you", "don't", "need", "to"): (NEG, "not"), ("there's", "no", "need", "to"): (NEG, "not"), ("avoid",): (NEG, "not"),
    ("refrain", "from"): (NEG, "not"), ("can't",): (NEG, "not"), ("cannot",): (NEG, "not"), ("won't",): (NEG, "not"),
    # corrections inside one utterance: what follows replaces the request before it
    ("no", "wait"): (CORR, "wait"), ("wait", "no"): (CORR, "wait"), ("wait",): (CORR, "wait"), ("no",): (CORR, "no"),
    ("no", "no"): (CORR, "no"), ("nope",): (CORR, "no"), ("sorry",): (CORR, "sorry"), ("actually",): (CORR, "actually"),
    ("i", "mean"): (CORR, "mean"), ("i", "meant"): (CORR, "mean"), ("or", "rather"): (CORR, "rather"),
    ("rather",): (CORR, "rather"), ("scratch", "that"): (CORR, "scratch"), ("make", "that"): (CORR, "rather"),
    ("correction",): (CORR, "rather"), ("oops",): (CORR, "sorry"), ("my", "bad"): (CORR, "sorry"),
    ("my", "mistake"): (CORR, "sorry"), ("change", "of", "plan"): (CORR, "rather"), ("on", "second", "thought"): (CORR, "rather"),
    ("on", "second", "thoughts"): (CORR, "rather"),
}

# Politeness and glue that carry no meaning for the plan.
FILLERS = {
    "please", "can", "could", "would", "will", "you", "i", "want", "need", "now", "kindly", "robot", "heron",
    "ahead", "just", "also", "again", "the", "a", "an", "for", "me", "us", "let's", "lets", "let", "try",
    "gently", "carefully", "quickly", "slowly", "little", "bit", "so", "should", "be", "is", "are", "gets",
    "have", "has", "hey", "ok", "okay", "alright", "well", "do", "some", "your", "my", "its", "using",
    "gripper", "fingers", "fingertips", "air", "like", "good", "nice", "there", "here", "very",
    "really", "slightly", "bit", "way", "both", "twice", "distance", "short", "cm", "centimeters", "inches", "closed", "reach",
    "use", "we", "i'd", "i'll", "we'd", "you'd", "instead", "only", "away", "immediately",
}
