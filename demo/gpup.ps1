# Try the GPU-P snippets here: type gpup- and pick one.
