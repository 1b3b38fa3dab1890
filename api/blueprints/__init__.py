"""One blueprint per surface of the API."""
