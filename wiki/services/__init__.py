"""Domain services: take the acting user as an argument, return values, raise domain errors.

Nothing here touches ``request``, ``flash`` or ``render_template``.
"""
