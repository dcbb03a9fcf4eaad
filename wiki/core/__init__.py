"""The pure core: values in, values out. No Flask, no SQLAlchemy, no I/O."""
