"""After merge: version check → gen → build every artifact → publish → register → tag."""
