"""The tools the model can call: one module per tool, the registry, and path/file safety."""
