"""`governance-watcher --demo`: the desktop app on fictional platforms served by the app
itself, with months of history and policies that keep changing (no internet needed).

content.py: the fictional platforms and their pages; site.py: the built-in web site and the
change schedule; seed.py: the history, recorded through the real check path; session.py: the
throw-away data folder and everything else one demo run sets up; offline.py: the guard that
keeps every connection on this machine. Nothing here imports Qt (watcher_app/ui/demo.py wires
it into the window).
"""
