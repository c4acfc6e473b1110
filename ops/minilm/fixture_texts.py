"""The sentences of the MiniLM parity fixtures: each one exercises a part of the tokenizer or the model."""

_PARAGRAPH = (
    "A slow dolly shot moves through a rain-soaked neon city at night; reflections ripple across puddles "
    "while commuters with umbrellas hurry past food stalls, steam rising from their grills. "
)

TEXTS = [
    "A cat sits on the mat.",
    "The QUICK Brown fox JUMPS over the lazy dog!",
    "Café, naïve résumé — déjà vu.",
    "Unbelievably, the antidisestablishmentarianism debate continues.",
    "",
    "Hello,world!How's it going?",
    "北京欢迎你 and 東京タワー",
    "Ελληνικά και Русский текст",
    "e-mail: user@example.com, price $42.50 (approx.) 100% ~tilde^caret|pipe",
    "Tabs\tand\nnewlines\r\nand   multiple   spaces",
    "Control\u0007chars\u200bzero\u00adwidth\ufeffmarks",
    "Emoji 🎬🚀 are unknown?",
    "ÅNGSTRÖM Ægir Øresund straße İstanbul",
    "A timelapse of clouds rolling over snowy mountains at dusk, cinematic, 4k",
    "supercalifragilisticexpialidocious",
    "x" * 120 + " is longer than one hundred characters",
    "[CLS] special [SEP] tokens in text [MASK] and [unk]",
    "Numbers 3.14159 and 1,000,000 and 2024-11-28",
    "Mixed Ünïcödé ﬁ ligature and ＦＵＬＬＷＩＤＴＨ",
    "   ",
    "Don't stop-believing!!! ...right?",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a lung disease.",
    (_PARAGRAPH * 16).strip(),
]

# Sentences whose every token state is stored (the others keep their first and last rows).
FULL_STATES = {0, 2, 3, 6, 12}

NOTES = {
    4: "empty string: [CLS] [SEP] only",
    15: "a word over 100 characters becomes [UNK]",
    16: "special tokens in the text are matched before normalisation",
    22: "608 word pieces (610 with [CLS] and [SEP]): truncated to max_length (256) including [CLS] and [SEP]",
}
