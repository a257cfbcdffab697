"""After merge: version check, publish, tag."""
