"""The compiled schemas and what they declare, below every stage: image, event declarations, git refs."""
