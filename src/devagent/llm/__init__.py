"""Model adapters: the `Model` protocol, the Anthropic adapter and a scripted model for tests."""
