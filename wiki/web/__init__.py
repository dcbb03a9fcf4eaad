"""The Flask glue shared by every blueprint: access, caching, errors, request log, rate limits,
security headers, proxy. Imports services and the core; never a blueprint."""
