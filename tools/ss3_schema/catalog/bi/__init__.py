"""BI bundles: what analytics engines need to read each topic straight from Kafka (dist/catalog/bi/<topic>/)."""
