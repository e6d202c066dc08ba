"""`archlang serve`: the web playground. server.py serves static/ and the JSON API of api.py."""
