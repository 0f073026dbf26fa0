"""Model adapters: the `Model` protocol, the Anthropic and OpenAI-compatible adapters, their
shared retries, and a scripted model for tests."""
