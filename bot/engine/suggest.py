"""Text that is no command and no item: a short answer with the commands it most resembles (difflib over the command
words of both languages), each a button that starts it, and the help."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot.engine.flow import Command, Context
from bot.engine.replies import CALLBACK_LIMIT, Button, Reply

MOST = 3
CUTOFF_LATIN = 0.6
CUTOFF_CJK = 0.5  # two Chinese characters of which one is right (收获 for 收货) are close enough
HELP = "help"
MIN_LATIN = 3  # "hi" is a greeting, not a mistyped "ship"


def likely_commands(commands: Sequence[Command], word: str) -> list[tuple[Command, str]]:
    """The commands whose words are closest to `word` (or start with it), each with the word that matched, the
    closest first, at most MOST."""
    word = word.lower()
    if not word or (word.isascii() and len(word) < MIN_LATIN):
        return []
    words = {w.lower(): c for c in commands for w in c.words}
    cutoff = CUTOFF_LATIN if word.isascii() else CUTOFF_CJK
    close = difflib.get_close_matches(word, list(words), n=10, cutoff=cutoff)
    starting = sorted(w for w in words if len(word) >= 2 and w.startswith(word) and w != word)
    found: dict[str, tuple[Command, str]] = {}
    for w in [*close, *starting]:
        found.setdefault(words[w].flow, (words[w], w))
    return list(found.values())[:MOST]


def command_word(command: Command, lang: str) -> str:
    """The word that starts `command` in the reader's language: a Chinese one for Chinese readers."""
    chinese = [w for w in command.words if not w.isascii()]
    english = [w for w in command.words if w.isascii() and w.isalpha()]
    preferred = chinese if lang == "zh_CN" else english
    return (preferred or english or list(command.words))[0]


def command_description(command: Command, lang: str) -> str:
    """The command's description in the reader's language (descriptions read "English / 中文")."""
    english, _, chinese = command.describe.partition(" / ")
    return chinese.strip() if lang == "zh_CN" and chinese.strip() else english.strip()


def suggestion_reply(ctx: Context, commands: Sequence[Command], text: str) -> Reply:
    """Not understood: the text quoted back (cut short), a button for each likely command (with what followed the
    word, when it fits in a button: "库纯 CUP-00001" offers 库存 CUP-00001 in one tap), then one for help."""
    word, _, args = text.strip().partition(" ")
    word, args = word.lstrip("/"), " ".join(args.split())
    likely = [(c, w) for c, w in likely_commands(commands, word) if c.flow != HELP]
    keys = []
    for command, matched in likely:
        own = matched.isascii() == (ctx.lang == "en")  # the word typed, when it is one of the reader's language
        label, description = matched if own else command_word(command, ctx.lang), command_description(command,
                                                                                                      ctx.lang)
        shown = label if description == label else f"{label} · {description}"
        data = f"go:{label}"
        with_args = f"{data} {args}"
        keys.append((Button(shown, with_args if args and len(with_args.encode()) <= CALLBACK_LIMIT else data),))
    keys += [(Button(ctx.text("unknown_help_button"), f"go:{HELP}"),)]
    return Reply(ctx.text("unknown_words", typed=text, likely=bool(likely)), tuple(keys))
