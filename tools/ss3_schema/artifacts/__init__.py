"""What a release ships, built from the schemas: the stubs, the wheel, the tool wheel, the jar.

The CLI's `build` and `gen` commands and the release's first step run this stage.
The folder is not named `build/`: that name is the usual ignore pattern for output.
"""
