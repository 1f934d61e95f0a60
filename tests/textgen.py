"""Distinct synthetic articles for tests and benchmarks: our own words, never near-duplicates.

Tests that need many different stories must not build them from one sentence template: the
duplicate grouping (digest/dedup.py) rightly merges such texts into one story. Each article here
is random prose over a fixed vocabulary, seeded by its title, so any two share no 5-word run.
"""

from __future__ import annotations

import random
import zlib

_VOCABULARY = (
    "harbour council ferry orchard bridge market station library festival tram museum garden school "
    "river bakery stadium valley village mayor engineer farmer teacher driver nurse captain builder "
    "committee budget plan road tunnel lane quay pier railway bus cycle route ticket fare winter summer "
    "spring autumn morning evening night storm flood frost harvest crop apple grain timber stone brick "
    "glass steel copper solar wind battery charger pump pipe roof wall gate tower clock bell square "
    "street avenue park meadow forest hill coast island beach cliff lighthouse boat crew passenger "
    "visitor resident neighbour shop cafe hotel theatre cinema concert choir band painter writer reader "
    "student pupil parent child family volunteer donor sponsor charity trust fund grant loan tax fee "
    "rent price wage cost saving profit loss trade export import factory workshop warehouse office "
    "hall chapel church court prison hospital clinic surgery pharmacy police fire rescue patrol signal "
    "sensor camera screen map survey report study trial vote petition meeting debate hearing inquiry"
).split()
_VERBS = ("approved", "opened", "closed", "repaired", "moved", "doubled", "halved", "delayed", "funded",
          "inspected", "rebuilt", "painted", "extended", "welcomed", "questioned", "measured")


def article_text(title: str, variant: int = 0, sentences: int = 5) -> str:
    """An article file (``Title:`` header and a body) whose prose is unique to ``title`` and ``variant``."""
    rng = random.Random(zlib.crc32(f"{title}\x00{variant}".encode("utf-8")))
    body = []
    for _ in range(sentences):
        words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(9, 15))]
        words.insert(rng.randint(2, 5), rng.choice(_VERBS))
        body.append("The " + " ".join(words) + ".")
    return f"Title: {title}\n\n" + " ".join(body) + "\n"
