"""The PR verdict: compile the tree and its base, lint, compare, apply the event rules."""
