"""Registering the event schemas and OpenAPI documents in Apicurio Registry 3.x.

One module per stage: auth (credentials from the environment), client (HTTP
with retries), plan (which artifacts, in which order), register (the
registration itself), predict (the dry run of the PR gate), openapi
(OpenAPI documents) and render (the outcome for people and tools).
"""
