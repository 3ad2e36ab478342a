"""ClearCache: empty the authorization cache; Rejected while AuthorizationCacheEnabled is false."""
SCHEMA = {}


def handle(cp, payload):
    from ..engine import auth_cache
    cache = auth_cache.get(cp)
    if cache is None:
        return {"status": "Rejected"}
    cache.clear()
    return {"status": "Accepted"}
