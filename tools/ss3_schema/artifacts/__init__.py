"""What a release ships, built from the schemas: the stubs, the wheel, the tool wheel, the jar.

The CLI's `gen` and `build` commands and the release's gen and build steps run this stage.
The folder is not named `build/`: that name is the usual ignore pattern for output.
"""
