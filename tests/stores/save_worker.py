"""A helpdesk process for the kill test: walks sessions and saves after every step, forever.

Run as ``python save_worker.py STORE_URL LIBRARY_DIR SEED``. After each save returns it
prints ``<session id> <version> <sha256 of to_dict()>``: the acknowledged saves the test
holds the store to after it kills this process with SIGKILL at a random moment.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys

from scriptflow import Session, load_library
from scriptflow.stores import open_store


def digest(session: Session) -> str:
    text = json.dumps(session.to_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def main() -> None:
    url, lib_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    lib = load_library(lib_dir)
    store = open_store(url)
    sessions = [store.load(lib, info.id) for info in store.list(status="active")]
    while True:
        if len(sessions) < 4 or rng.random() < 0.05:
            sessions.append(store.start(lib, rng.choice(["net", "wifi"])))
        session = rng.choice(sessions)
        prompt = session.prompt
        if prompt is None:
            sessions.remove(session)
            continue
        move = rng.random()
        if move < 0.1 and session.can_go_back:
            session.back()
        elif move < 0.2:
            session.note(f"note {rng.random()}")
        elif prompt.type == "number":
            session.answer(rng.randint(0, 30))
        else:
            session.answer(rng.choice(prompt.options or ("12345678",)))
        store.save(session)
        print(session.id, session.version, digest(session), flush=True)


if __name__ == "__main__":
    main()
