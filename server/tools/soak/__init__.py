"""Soak: the crash, race and hostile-input scenarios that try to break the wallet on purpose.

Each scenario runs against real processes (its own redis-server and server in a
temporary directory, or a server it is handed) and returns what it tried and
what it found; `run.py soak` repeats them for as long as asked, and the test
suite runs a short version of each. A scenario never reaches into a server's
memory: it speaks the wire protocol and reads Redis and the database only to
check the books afterwards.
"""
