"""Stage: the event catalog, a static site and an AsyncAPI 3 document built from the compiled schemas."""
