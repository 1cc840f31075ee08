"""What text an official document can carry: no pictographic emoji (and none of the invisible joiners and
selectors that build them). Pure: the action schemas refuse such text at input, the giấy mời drops it from
anything stored before the rule."""

from __future__ import annotations

import re

# Emoji and other pictographs (Unicode's Extended_Pictographic blocks, without ©, ® and ™, which documents
# do carry), their skin-tone modifiers, regional-indicator flags, keycaps, tags, ZWJ and variation selectors.
_PICTOGRAPHS = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong, cards, enclosed supplement, pictographs, emoticons, transport, symbols
    "\U0001fc00-\U0001fffd"
    "\u2600-\u27bf"  # miscellaneous symbols, dingbats (☀ ☎ ✈ ✅ ❤)
    "\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa"  # ⌚ ⌛ ⏰ …
    "\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55"  # ⬅ ⬛ ⭐ ⭕
    "\u3030\u303d\u3297\u3299"
    "\u200d\u20e3\ufe0e\ufe0f"  # zero-width joiner, combining keycap, variation selectors 15 and 16
    "\U000e0020-\U000e007f"  # tags (subdivision flags)
    "]"
)


def has_pictographs(text: str) -> bool:
    """Whether ``text`` holds an emoji or another pictograph an official document cannot print."""
    return _PICTOGRAPHS.search(text) is not None


def without_pictographs(text: str) -> str:
    """``text`` with every pictograph taken out (and the spaces they leave doubled, collapsed)."""
    if not has_pictographs(text):
        return text
    return re.sub(r"  +", " ", _PICTOGRAPHS.sub("", text)).strip()
