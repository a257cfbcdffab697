"""ss3-schema: the tooling around the ShopSTAR3 Protobuf schema repository."""
