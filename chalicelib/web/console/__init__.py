"""The staff console under /staff/: server-rendered pages over the same services as the
staff API (web/staff.py), in Ukrainian and English, signed in through Cognito's managed
login (a demo sign-in in a local run).

Each module registers its pages on the one blueprint of web/console/base.py, and
web/console/routes.py gathers them for app.py. No rule lives here: a page is a call
into services and a template.
"""
