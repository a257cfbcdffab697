"""Stubs and artifacts from the schemas: generation, the protoc plugin, the wheel."""
