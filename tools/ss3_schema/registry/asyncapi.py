"""The AsyncAPI document of the event catalog as an ASYNCAPI artifact.

The release registers it next to the event schemas, through the same
idempotent `register` (createArtifact with FIND_OR_CREATE_VERSION and
canonical=true): an unchanged document finds its existing version, a
changed one becomes the next version.
"""

from __future__ import annotations

from ss3_schema.catalog.asyncapi import render_asyncapi
from ss3_schema.catalog.model import read_catalog
from ss3_schema.catalog.site import ASYNCAPI, CATALOG_DIR
from ss3_schema.registry.plan import PlannedArtifact
from ss3_schema.schema.image import Image
from ss3_schema.workspace import DIST_DIR, Workspace, read_version

ASYNCAPI_TYPE = "ASYNCAPI"
ASYNCAPI_ARTIFACT_ID = "ss3-protos-asyncapi"
YAML_CONTENT_TYPE = "application/x-yaml"


def asyncapi_artifact(ws: Workspace, image: Image) -> PlannedArtifact:
    """The AsyncAPI 3 document of `image`, ready to register."""
    document = render_asyncapi(read_catalog(image, read_version(ws)))
    return PlannedArtifact(
        artifact_id=ASYNCAPI_ARTIFACT_ID,
        file=f"{DIST_DIR}/{CATALOG_DIR}/{ASYNCAPI}",
        content=document,
        artifact_type=ASYNCAPI_TYPE,
        content_type=YAML_CONTENT_TYPE,
    )
