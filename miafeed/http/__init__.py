"""HTTP plumbing shared by every blueprint: response caching and compression,
the shared-page cache, security headers, htmx fragments, page metadata,
static assets, the site's public address and the error/health pages.

Nothing here knows about a particular page; blueprints import from here,
never the other way round.
"""
